package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tidings/tidings"
	"github.com/tidings/tidings/feed"
	"github.com/tidings/tidings/store"
)

func (a *app) cmdFeeds(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "-help" {
		fmt.Fprintf(a.stderr, "Usage:\n  tidings feeds add URL [--section S]\n  tidings feeds list [--json]\n  tidings feeds remove URL\n")
		if len(args) == 0 {
			return usagef("missing subcommand (add, list or remove)")
		}
		return nil
	}
	switch args[0] {
	case "add":
		return a.feedsAdd(ctx, args[1:])
	case "list", "ls":
		return a.feedsList(ctx, args[1:])
	case "remove", "rm":
		return a.feedsRemove(args[1:])
	}
	return usagef("unknown subcommand %q (add, list or remove)", args[0])
}

func (a *app) feedsAdd(ctx context.Context, args []string) error {
	fs := a.flags("feeds add", "URL [--section S] [--title T]",
		"Subscribe to a feed. URL may be a feed or a web page that links to one\n(the feed is discovered). Polled at the next fetch or serve cycle.")
	section := fs.String("section", "", "section the feed's items go to")
	title := fs.String("title", "", "title override")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("feeds add: want exactly one URL")
	}
	cfg, err := a.config()
	if err != nil {
		return err
	}
	v := &validator{name: "argument"}
	if !v.httpURL("URL", pos[0]) {
		return usagef("%q is not an http(s) URL", pos[0])
	}
	url := pos[0]
	found, err := feed.Discover(ctx, a.feedOptions(cfg), url)
	if err != nil {
		return fmt.Errorf("discover %s: %w", url, err)
	}
	if len(found) == 0 {
		return fmt.Errorf("no feed found at %s", url)
	}
	if found[0] != url {
		fmt.Fprintf(a.stdout, "found feed %s\n", found[0])
		if len(found) > 1 {
			fmt.Fprintf(a.stdout, "(the page announces %d feeds; add another with 'tidings feeds add URL')\n", len(found))
		}
	}
	f := tidings.Feed{URL: found[0], Section: *section, Title: *title}
	db, err := a.openStore(cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := lookupFeed(db, f.URL); err == nil {
		return fmt.Errorf("already subscribed to %s", f.URL)
	}
	added, err := db.AddFeed(f)
	if errors.Is(err, tidings.ErrExists) {
		return fmt.Errorf("already subscribed to %s", f.URL)
	} else if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "added %s", added.URL)
	if added.Title != "" {
		fmt.Fprintf(a.stdout, " (%s)", added.Title)
	}
	fmt.Fprintln(a.stdout)
	return nil
}

// feedHealth is one line of `feeds list`.
type feedHealth struct {
	URL         string    `json:"url"`
	Title       string    `json:"title,omitempty"`
	Section     string    `json:"section,omitempty"`
	Health      string    `json:"health"` // ok, failing, disabled, new
	LastSuccess time.Time `json:"last_success"`
	LastCheck   time.Time `json:"last_check"`
	NextCheck   time.Time `json:"next_check"`
	ErrorCount  int       `json:"error_count"`
	LastError   string    `json:"last_error,omitempty"`
}

func healthOf(f tidings.Feed) string {
	switch {
	case f.State.Disabled:
		return "disabled"
	case f.State.ErrorCount > 0:
		return "failing"
	case f.State.LastCheck.IsZero():
		return "new"
	}
	return "ok"
}

func (a *app) feedsList(ctx context.Context, args []string) error {
	fs := a.flags("feeds list", "[--json]", "List subscriptions with their health: last success, errors, next check,\nlast error. Works while serve runs.")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := noArgs(fs, args); err != nil {
		return err
	}
	cfg, err := a.config()
	if err != nil {
		return err
	}
	feeds, err := readOrAsk(ctx, a, cfg, "/feeds", (*store.DB).Feeds)
	if err != nil {
		return err
	}
	list := make([]feedHealth, 0, len(feeds))
	for _, f := range feeds {
		list = append(list, feedHealth{
			URL: f.URL, Title: f.Title, Section: f.Section, Health: healthOf(f),
			LastSuccess: f.State.LastSuccess, LastCheck: f.State.LastCheck, NextCheck: f.State.NextCheck,
			ErrorCount: f.State.ErrorCount, LastError: f.State.LastError,
		})
	}
	if *asJSON {
		return a.printJSON(list)
	}
	// The last error is the last column: its length does not widen the
	// others, and the URL it usually repeats is cut.
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "HEALTH\tURL\tTITLE\tSECTION\tLAST SUCCESS\tNEXT CHECK\tERRORS\tLAST ERROR")
	now := a.now()
	for _, h := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\n", h.Health, h.URL, clip(h.Title, 40), h.Section,
			ago(now, h.LastSuccess), until(now, h.NextCheck), h.ErrorCount, clip(shortError(h.LastError, h.URL), 80))
	}
	return tw.Flush()
}

// shortError drops the "fetch URL: " prefix that repeats the row's URL.
func shortError(msg, url string) string {
	for _, p := range []string{"fetch " + url + ": ", url + ": "} {
		if rest, ok := strings.CutPrefix(msg, p); ok {
			return rest
		}
	}
	return msg
}

func (a *app) feedsRemove(args []string) error {
	fs := a.flags("feeds remove", "URL", "Unsubscribe from a feed and delete its items. Its seen-set is kept, so\nre-subscribing does not bring old items back as new.")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("feeds remove: want exactly one URL")
	}
	cfg, db, err := a.command()
	if err != nil {
		return err
	}
	defer db.Close()
	f, err := lookupFeed(db, pos[0])
	if errors.Is(err, tidings.ErrNotFound) {
		return fmt.Errorf("not subscribed to %s", pos[0])
	} else if err != nil {
		return err
	}
	if err := db.RemoveFeed(f.ID); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "removed %s\n", f.URL)
	for _, cf := range cfg.Feeds {
		if cf.URL == pos[0] || cf.URL == f.URL {
			fmt.Fprintf(a.stderr, "note: %s is listed in %s; remove it there too or the next run subscribes again\n", cf.URL, cfg.File)
		}
	}
	return nil
}

func (a *app) cmdOPML(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "-help" {
		fmt.Fprintf(a.stderr, "Usage:\n  tidings opml import FILE   subscribe to every feed in an OPML file (\"-\" = stdin)\n  tidings opml export        print the subscriptions as OPML\n")
		if len(args) == 0 {
			return usagef("missing subcommand (import or export)")
		}
		return nil
	}
	switch args[0] {
	case "import":
		return a.opmlImport(args[1:])
	case "export":
		return a.opmlExport(ctx, args[1:])
	}
	return usagef("unknown subcommand %q (import or export)", args[0])
}

func (a *app) opmlImport(args []string) error {
	fs := a.flags("opml import", "FILE", "Subscribe to every feed of an OPML file (\"-\" reads stdin). Outline\ncategories become sections. Feeds already subscribed are skipped.")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("opml import: want exactly one FILE")
	}
	cfg, err := a.config()
	if err != nil {
		return err
	}
	r := a.stdin
	if pos[0] != "-" {
		fh, err := os.Open(pos[0])
		if err != nil {
			return err
		}
		defer fh.Close()
		r = fh
	}
	in, err := feed.ParseOPML(r)
	if err != nil {
		return fmt.Errorf("opml %s: %w", pos[0], err)
	}
	feeds := in.Feeds
	db, err := a.openStore(cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	var fresh []tidings.Feed
	for _, f := range feeds {
		if _, err := lookupFeed(db, f.URL); err == nil {
			continue
		} else if !errors.Is(err, tidings.ErrNotFound) {
			return err
		}
		f.ID = 0
		fresh = append(fresh, f)
	}
	// One transaction for the whole file; feeds it lists twice count once.
	added, err := db.AddFeeds(fresh)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "imported %d feeds (%d already subscribed)\n", len(added), len(feeds)-len(added))
	if len(in.Skipped) > 0 {
		noun := "entries"
		if len(in.Skipped) == 1 {
			noun = "entry"
		}
		fmt.Fprintf(a.stdout, "skipped %d %s:\n", len(in.Skipped), noun)
		for _, s := range in.Skipped {
			fmt.Fprintf(a.stdout, "  %s\n", s)
		}
	}
	return nil
}

func (a *app) opmlExport(ctx context.Context, args []string) error {
	fs := a.flags("opml export", "", "Print the subscriptions as OPML 2.0 on stdout. Works while serve runs.")
	if err := noArgs(fs, args); err != nil {
		return err
	}
	cfg, err := a.config()
	if err != nil {
		return err
	}
	feeds, err := readOrAsk(ctx, a, cfg, "/feeds", (*store.DB).Feeds)
	if err != nil {
		return err
	}
	return feed.WriteOPML(a.stdout, cfg.Publish.Title+" subscriptions", feeds)
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func ago(now, t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return now.Sub(t).Round(time.Second).String() + " ago"
}

func until(now, t time.Time) string {
	if t.IsZero() || !t.After(now) {
		return "due"
	}
	return "in " + t.Sub(now).Round(time.Second).String()
}
