package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/tidings/tidings"
	"github.com/tidings/tidings/digest"
	"github.com/tidings/tidings/digest/mail"
	"github.com/tidings/tidings/digest/publish"
	"github.com/tidings/tidings/digest/summarize"
	"github.com/tidings/tidings/feed"
	"github.com/tidings/tidings/store"
)

// This file wires the packages together from a Config: every command and the
// daemon build their parts here, so they all behave the same.

const storeTimeout = 2 * time.Second

// openStore opens the database for a command that changes it. The
// config's [[feed]] list is synced first, so every command sees the
// subscriptions the file asks for.
func (a *app) openStore(cfg *Config) (*store.DB, error) {
	return a.openSynced(cfg, true)
}

// openReader opens the database for a read-only command (stats, feeds
// list, opml export): feeds new in the config are added, so they show, but
// none is removed: a command run with the wrong config by mistake must
// not unsubscribe anything.
func (a *app) openReader(cfg *Config) (*store.DB, error) {
	return a.openSynced(cfg, false)
}

func (a *app) openSynced(cfg *Config, remove bool) (*store.DB, error) {
	db, err := a.openDB(cfg)
	if err != nil {
		return nil, err
	}
	n, u, r, err := syncFeeds(db, cfg, remove)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("sync feeds from config: %w", err)
	}
	if n+u+r > 0 {
		a.log.Info("feeds synced from config", "added", n, "updated", u, "removed", r)
	}
	return db, nil
}

// openDB opens the database without syncing feeds.
func (a *app) openDB(cfg *Config) (*store.DB, error) {
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	// store's errors already say what to do next (stop the other process,
	// restore a backup).
	return store.Open(cfg.DBPath(), store.Options{Timeout: storeTimeout, Now: a.now})
}

// command loads the configuration and opens the database (openStore),
// the preamble of every command that works on the store.
func (a *app) command() (*Config, *store.DB, error) {
	cfg, err := a.config()
	if err != nil {
		return nil, nil, err
	}
	db, err := a.openStore(cfg)
	if err != nil {
		return nil, nil, err
	}
	return cfg, db, nil
}

func (a *app) feedOptions(cfg *Config) feed.Options {
	f := cfg.Fetch
	return feed.Options{
		Workers:       f.Workers,
		PerHost:       f.PerHost,
		Timeout:       f.Timeout,
		MaxBody:       f.MaxBody,
		UserAgent:     f.UserAgent,
		AllowNetworks: f.AllowNetworks,
		FullText:      f.FullText,
		MinInterval:   f.MinInterval,
		MaxInterval:   f.MaxInterval,
		MaxBackoff:    f.MaxBackoff,
		Now:           a.now,
		Log:           a.log,
	}
}

// stateConfigFeeds remembers which feeds came from the config file, so a feed
// deleted from the file is unsubscribed while feeds added with
// `tidings feeds add` stay.
const stateConfigFeeds = "config/feeds"

// syncFeeds makes the store's subscriptions follow the config's [[feed]]
// list: new ones are added, config fields of existing ones updated (their
// poll state kept), ones removed from the file unsubscribed (if remove; if
// not, they stay noted for a later sync that removes). It writes only what
// changed.
func syncFeeds(db *store.DB, cfg *Config, remove bool) (added, updated, removed int, err error) {
	var previous []string
	if s, err := db.GetState(stateConfigFeeds); err != nil {
		return 0, 0, 0, err
	} else if s != "" {
		if err := json.Unmarshal([]byte(s), &previous); err != nil {
			previous = nil // a damaged note only costs us removals
		}
	}
	if cfg.File == "" && len(cfg.Feeds) == 0 {
		// Built-in defaults say nothing about subscriptions: running a
		// command without the config file must not unsubscribe the feeds
		// the file added.
		return 0, 0, 0, nil
	}
	var current []string
	var missing []tidings.Feed
	for _, want := range cfg.Feeds {
		current = append(current, want.URL)
		have, err := lookupFeed(db, want.URL)
		if errors.Is(err, tidings.ErrNotFound) {
			missing = append(missing, want)
			continue
		} else if err != nil {
			return added, updated, removed, err
		}
		next := have
		if want.Title != "" {
			next.Title = want.Title
		}
		next.Section, next.Interval, next.FullText, next.Weight = want.Section, want.Interval, want.FullText, want.Weight
		if next.Title == have.Title && next.Section == have.Section && next.Interval == have.Interval &&
			next.FullText == have.FullText && next.Weight == have.Weight {
			continue
		}
		if err := db.SaveFeed(next); err != nil {
			return added, updated, removed, fmt.Errorf("update feed %s: %w", want.URL, err)
		}
		updated++
	}
	// New feeds in one transaction: a first start on a config of 2,000
	// feeds took 2,000 commits.
	if len(missing) > 0 {
		fs, err := db.AddFeeds(missing)
		if err != nil {
			return added, updated, removed, fmt.Errorf("add feeds: %w", err)
		}
		added = len(fs)
	}
	for _, u := range previous {
		if slices.Contains(current, u) {
			continue
		}
		if !remove {
			current = append(current, u)
			continue
		}
		f, err := lookupFeed(db, u)
		if errors.Is(err, tidings.ErrNotFound) {
			continue
		} else if err != nil {
			return added, updated, removed, err
		}
		if err := db.RemoveFeed(f.ID); err != nil {
			return added, updated, removed, fmt.Errorf("remove feed %s: %w", u, err)
		}
		removed++
	}
	if !slices.Equal(previous, current) {
		b, _ := json.Marshal(current)
		if err := db.SetState(stateConfigFeeds, string(b)); err != nil {
			return added, updated, removed, err
		}
	}
	return added, updated, removed, nil
}

// lookupFeed finds a feed by the URL it was subscribed with (its id) or the
// URL it is polled at now (after a promoted redirect).
func lookupFeed(db *store.DB, url string) (tidings.Feed, error) {
	f, err := db.Feed(tidings.NewFeedID(url))
	if err == nil || !errors.Is(err, tidings.ErrNotFound) {
		return f, err
	}
	return db.FeedByURL(url)
}

// summarizer builds the configured engine behind cache (the store, or a
// readOnlyCache for dry runs).
func (a *app) summarizer(cfg *Config, cache summarize.Cache) (digest.Summarizer, error) {
	var glossary map[string]string
	if cfg.Summarize.GlossaryFile != "" {
		g, err := summarize.LoadGlossary(cfg.Summarize.GlossaryFile)
		if err != nil {
			return nil, err
		}
		glossary = g
	}
	// Summaries are cached by content, so a rebuilt edition or a story in
	// two digests is summarized once.
	ext := summarize.Cached(summarize.NewExtractive(glossary), cache)
	if cfg.Summarize.Engine != "llm" {
		return ext, nil
	}
	l := cfg.Summarize.LLM
	llm, err := summarize.NewLLM(summarize.LLMConfig{
		BaseURL:     l.BaseURL,
		Model:       l.Model,
		APIKey:      a.getenv(l.APIKeyEnv),
		Timeout:     l.Timeout,
		Concurrency: l.Concurrency,
		DailyTokens: l.DailyTokens,
		Now:         a.now,
	}, ext, cache, a.log)
	if err != nil {
		return nil, fmt.Errorf("summarize.llm: %w", err)
	}
	return llm, nil
}

// definition is a digest's definition with the global and per-feed rules
// added to its own.
func definition(cfg *Config, dc DigestConfig) digest.Definition {
	def := dc.Def
	def.Rules = append(slices.Clip(cfg.Rules), dc.Def.Rules...)
	return def
}

// buildInput gathers what the builder needs for one slot: the items first
// seen since the previous edition (or the window before the first one) up
// to the slot, or up to until when that is later, plus the stories of the
// recent editions (see recentlyPublished).
func buildInput(db *store.DB, def digest.Definition, slot, until time.Time) (digest.Input, error) {
	var prevTo time.Time
	last, err := db.LatestEdition(def.Name)
	if err == nil {
		prevTo = last.To
	} else if !errors.Is(err, tidings.ErrNotFound) {
		return digest.Input{}, err
	}
	in := digest.Input{Slot: slot}
	in.From, in.To = digest.Window(def, prevTo, slot)
	if until.After(in.To) {
		in.To = until
	}
	if in.Items, err = db.ItemsFirstSeen(in.From, in.To); err != nil {
		return in, err
	}
	if in.Feeds, err = db.Feeds(); err != nil {
		return in, err
	}
	if in.Exclude, err = db.EditionItemIDs(def.Name); err != nil {
		return in, err
	}
	published, err := recentlyPublished(db, last, in.From.Add(-max(2*def.Window, 7*24*time.Hour)))
	if err != nil {
		return in, err
	}
	have := make(map[string]bool, len(in.Items))
	for _, it := range in.Items {
		have[it.ID] = true
	}
	for _, it := range published {
		if !have[it.ID] {
			have[it.ID] = true
			in.Items = append(in.Items, it)
		}
	}
	return in, nil
}

// recentlyPublished loads the stories of last and the editions before it
// that ended after since (one edition at a time: editions carry whole
// articles). They are in Input.Exclude, so they are never candidates again;
// given to the builder they let a later copy of the same story (a wire
// copy, an aggregator's link) cluster with them and be dropped. Items
// pruned since are skipped.
func recentlyPublished(db *store.DB, last tidings.Edition, since time.Time) ([]tidings.Item, error) {
	var items []tidings.Item
	for ed := last; ed.Number > 0 && ed.To.After(since); {
		for _, sec := range ed.Sections {
			for _, e := range sec.Entries {
				it, err := db.Item(e.ItemID)
				if errors.Is(err, tidings.ErrNotFound) {
					continue
				} else if err != nil {
					return nil, fmt.Errorf("item %s of %s #%d: %w", e.ItemID, ed.Digest, ed.Number, err)
				}
				items = append(items, it)
			}
		}
		if ed.Number == 1 {
			break
		}
		prev, err := db.Edition(ed.Digest, ed.Number-1)
		if errors.Is(err, tidings.ErrNotFound) {
			break
		} else if err != nil {
			return nil, err
		}
		ed = prev
	}
	return items, nil
}

func (a *app) publisher(cfg *Config) *publish.Publisher {
	return &publish.Publisher{
		Dir:          cfg.Publish.Dir,
		BaseURL:      cfg.Publish.BaseURL,
		TemplatesDir: cfg.Publish.TemplatesDir,
		Now:          a.now,
		Log:          a.log,
	}
}

// digestInfos describes the configured digests to the publisher (and to
// the HTTP handler, whose cache lifetime follows their cadence).
func digestInfos(cfg *Config) []publish.DigestInfo {
	infos := make([]publish.DigestInfo, 0, len(cfg.Digests))
	for _, dc := range cfg.Digests {
		infos = append(infos, publish.DigestInfo{
			Name:        dc.Def.Name,
			Title:       dc.Def.Title,
			Description: dc.Def.Description,
			Schedule:    dc.Schedule,
			TTL:         ttlOf(dc),
			Hubs:        cfg.Publish.WebSubHubs,
		})
	}
	return infos
}

// publishAll rebuilds the output directory from the store (unchanged files
// are left alone by the publisher).
func (a *app) publishAll(ctx context.Context, cfg *Config, db *store.DB) (publish.Result, error) {
	in := publish.Input{Title: cfg.Publish.Title, Lang: cfg.Publish.Lang, Digests: digestInfos(cfg),
		Editions: map[string][]tidings.Edition{}}
	names := map[string]bool{}
	for _, d := range in.Digests {
		names[d.Name] = true
	}
	stored, err := db.Digests()
	if err != nil {
		return publish.Result{}, err
	}
	// Digests removed from the config keep their published history.
	for _, n := range stored {
		if !names[n] {
			// No title: the publisher falls back to the latest edition's.
			in.Digests = append(in.Digests, publish.DigestInfo{Name: n})
		}
	}
	for _, d := range in.Digests {
		eds, err := db.Editions(d.Name)
		if err != nil {
			return publish.Result{}, err
		}
		in.Editions[d.Name] = eds
	}
	if in.Feeds, err = db.Feeds(); err != nil {
		return publish.Result{}, err
	}
	var opml bytes.Buffer
	if err := feed.WriteOPML(&opml, cfg.Publish.Title+" sources", in.Feeds); err != nil {
		return publish.Result{}, err
	}
	in.OPML = opml.Bytes()
	return a.publisher(cfg).Publish(ctx, in)
}

// ttlOf tells feed readers how long to wait: the shortest gap between two
// slots over a fixed reference week. Measuring from now would make a
// weekday-only schedule's TTL change from day to day, rewriting the feeds
// for nothing.
func ttlOf(dc DigestConfig) time.Duration {
	if dc.Cron == nil {
		return 0
	}
	// A fixed week (from Monday, 1 January 2024) with no clock change in
	// the usual time zones.
	ref := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	end := ref.Add(7 * 24 * time.Hour)
	var best time.Duration
	prev := dc.Cron.Next(ref)
	// Bounded: a "* * * * *" schedule has 10,080 slots a week. The gap
	// that crosses the week's end counts too, so a monthly schedule gets
	// one.
	for range 20000 {
		if prev.IsZero() {
			break
		}
		next := dc.Cron.Next(prev)
		if next.IsZero() {
			break
		}
		if gap := next.Sub(prev); gap > 0 && (best == 0 || gap < best) {
			best = gap
		}
		if next.After(end) {
			break
		}
		prev = next
	}
	return best
}

// sender builds the mail sender, or nil when no SMTP is configured.
func (a *app) sender(cfg *Config, db *store.DB) (*mail.Sender, error) {
	s := cfg.SMTP
	if !s.Configured() {
		return nil, nil
	}
	pw, err := s.Password()
	if err != nil {
		return nil, err
	}
	return mail.NewSender(mail.Config{
		Host:               s.Host,
		Port:               s.Port,
		TLS:                s.TLS,
		Username:           s.Username,
		Password:           pw,
		From:               s.From,
		Sendmail:           s.Sendmail,
		InsecureSkipVerify: s.InsecureSkipVerify,
		Timeout:            s.Timeout,
	}, mail.Options{
		BaseURL:         cfg.Publish.BaseURL,
		SubjectTemplate: s.Subject,
		Unsubscribe:     s.Unsubscribe,
		Now:             a.now,
		Log:             a.log,
	}, db)
}
