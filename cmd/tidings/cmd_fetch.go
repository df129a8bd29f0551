package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/tidings/tidings"
	"github.com/tidings/tidings/feed"
	"github.com/tidings/tidings/internal/heapcap"
)

func (a *app) cmdFetch(ctx context.Context, args []string) error {
	fs := a.flags("fetch", "[--all] [--feed URL]... [--json]",
		"Poll the feeds that are due (or all of them, or the named ones) once, store\nnew items, then exit.")
	all := fs.Bool("all", false, "poll every feed, due or not")
	var only multiFlag
	fs.Var(&only, "feed", "poll only this feed `URL` (repeatable)")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("fetch takes no arguments (use --feed URL)")
	}
	cfg, db, err := a.command()
	if err != nil {
		return err
	}
	defer db.Close()
	var feeds []tidings.Feed
	switch {
	case len(only) > 0:
		for _, u := range only {
			f, err := lookupFeed(db, u)
			if errors.Is(err, tidings.ErrNotFound) {
				return fmt.Errorf("not subscribed to %s (add it with 'tidings feeds add %s')", u, u)
			} else if err != nil {
				return err
			}
			feeds = append(feeds, f)
		}
	case *all:
		feeds, err = db.Feeds()
	default:
		feeds, err = db.DueFeeds(a.now())
	}
	if err != nil {
		return err
	}
	poller, err := feed.NewPoller(db, a.feedOptions(cfg))
	if err != nil {
		return err
	}
	defer poller.Close()
	var bar *progressBar
	if !*asJSON && isTerminal(a.stderr) {
		bar = &progressBar{w: a.stderr}
	}
	start := time.Now()
	heap := heapcap.New(cfg.Fetch.MemoryHeadroom)
	release := heap.Ingest()
	a.log.Debug("polling", "feeds", len(feeds), "heap_cap_bytes", heap.Limit())
	res, err := poller.PollFeeds(ctx, feeds, func(p feed.Progress) {
		if bar != nil {
			bar.draw(p)
		}
	})
	release()
	if bar != nil {
		bar.done()
	}
	if err != nil {
		return err
	}
	if *asJSON {
		return a.printJSON(res)
	}
	fmt.Fprintf(a.stdout, "fetched %d feeds in %s: %d new items, %d updated, %d not modified, %d errors\n",
		res.Feeds, time.Since(start).Round(10*time.Millisecond), res.New, res.Updated, res.NotModified, res.Errors)
	return nil
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(s string) error { *m = append(*m, s); return nil }

// isTerminal reports whether w is a character device (an interactive
// terminal), where a redrawn progress line makes sense.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// progressBar redraws one line: feeds done/total, new items, errors.
type progressBar struct {
	w     io.Writer
	drawn bool
}

func (b *progressBar) draw(p feed.Progress) {
	const width = 30
	filled := 0
	if p.Total > 0 {
		filled = width * p.Done / p.Total
	}
	fmt.Fprintf(b.w, "\r[%s%s] %d/%d feeds, %d new items, %d errors ",
		strings.Repeat("#", filled), strings.Repeat(".", width-filled), p.Done, p.Total, p.New, p.Errors)
	b.drawn = true
}

func (b *progressBar) done() {
	if b.drawn {
		fmt.Fprintln(b.w)
	}
}
