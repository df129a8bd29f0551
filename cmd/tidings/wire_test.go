package main

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/tidings/tidings"
	"github.com/tidings/tidings/digest"
	"github.com/tidings/tidings/store"
)

// wireEnv is an app over a real store in t.TempDir() with a settable clock.
type wireEnv struct {
	a   *app
	cfg *Config
	db  *store.DB
	now time.Time
}

func newWireEnv(t *testing.T, config string) *wireEnv {
	t.Helper()
	dir := t.TempDir()
	cfg, err := parseConfig(filepath.Join(dir, "t.toml"), dir, []byte("data_dir = \"data\"\n[publish]\ndir = \"public\"\n"+config))
	if err != nil {
		t.Fatal(err)
	}
	e := &wireEnv{cfg: cfg, now: time.Date(2026, 3, 2, 7, 0, 0, 0, time.UTC)}
	clock := func() time.Time { return e.now }
	e.a = &app{stdout: io.Discard, stderr: io.Discard, getenv: func(string) string { return "" }, now: clock, cfg: cfg, log: slog.New(slog.DiscardHandler)}
	if e.db, err = store.Open(cfg.DBPath(), store.Options{Now: clock}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := e.db.Check(); err != nil {
			t.Errorf("store check: %v", err)
		}
		e.db.Close()
	})
	return e
}

func (e *wireEnv) feed(t *testing.T, url, title string) tidings.Feed {
	t.Helper()
	f, err := e.db.AddFeed(tidings.Feed{URL: url, Title: title})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// save stores items as one poll of f at time at.
func (e *wireEnv) save(t *testing.T, f tidings.Feed, at time.Time, items ...tidings.Item) {
	t.Helper()
	for i := range items {
		items[i].FeedID = f.ID
		items[i].Published = at
		items[i].ContentHash = items[i].Identity
	}
	if _, err := e.db.SavePoll(f, items, at); err != nil {
		t.Fatal(err)
	}
}

const pgText = "PostgreSQL 18 adds asynchronous I/O for sequential scans, bitmap heap scans and vacuum. " +
	"On a cloud disk with 2 ms latency the new io_uring method read tables up to three times faster in the project's benchmarks. " +
	"The release also adds virtual generated columns and OAuth authentication for client connections. " +
	"Operators upgrading from version 17 keep their planner statistics, so the first queries after pg_upgrade no longer run slowly."

// TestRecentEditionsDropLaterCopies: a copy of an already published story
// first seen after its edition (a wire copy, an aggregator's link with
// tracking parameters) clusters with the published item and is dropped,
// instead of coming back in the next edition.
func TestRecentEditionsDropLaterCopies(t *testing.T) {
	tests := []struct {
		name string
		copy tidings.Item
	}{
		{"wire copy", tidings.Item{Identity: "wire-pg18", URL: "http://127.0.0.1/wire/pg18-async-io",
			Title: "PostgreSQL 18 ships asynchronous I/O", Text: pgText}},
		{"aggregator link", tidings.Item{Identity: "agg-pg18", URL: "http://127.0.0.1/blog/pg18?utm_source=agg&utm_medium=rss#top",
			Title: "PostgreSQL 18 ships asynchronous I/O", Text: "Link: PostgreSQL 18 ships asynchronous I/O (127.0.0.1)."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newWireEnv(t, "[[digest]]\nname = \"daily\"\nschedule = \"0 7 * * *\"\n")
			blog := e.feed(t, "http://127.0.0.1/blog/feed.xml", "Database Blog")
			other := e.feed(t, "http://127.0.0.1/other/feed.xml", "Other News")
			e.save(t, blog, e.now.Add(-2*time.Hour), tidings.Item{Identity: "pg18", URL: "http://127.0.0.1/blog/pg18",
				Title: "PostgreSQL 18 ships asynchronous I/O", Text: pgText})
			dc := e.cfg.Digests[0]
			run, err := e.a.makeEdition(t.Context(), e.cfg, e.db, dc, e.now, false)
			if err != nil || run.Edition.Number != 1 {
				t.Fatalf("edition 1: %+v, %v", run.Edition.Number, err)
			}

			e.now = e.now.Add(24 * time.Hour)
			e.save(t, other, e.now.Add(-3*time.Hour), tt.copy, tidings.Item{Identity: "fresh", URL: "http://127.0.0.1/other/raft",
				Title: "Raft leader leases explained", Text: "Leader leases let a Raft leader answer reads without a round trip to a quorum. They rely on bounded clock drift between the nodes."})
			def := definition(e.cfg, dc)
			in, err := buildInput(e.db, def, e.now, e.now)
			if err != nil {
				t.Fatal(err)
			}
			plan, err := digest.Explain(def, in)
			if err != nil {
				t.Fatal(err)
			}
			copyID := tidings.ItemID(other.ID, tt.copy.Identity)
			var selected []string
			for _, s := range plan.Selected() {
				selected = append(selected, s.Title)
				for _, m := range s.Members {
					if m == copyID {
						t.Errorf("the copy is back in story %q", s.Title)
					}
				}
			}
			if strings.Join(selected, "|") != "Raft leader leases explained" {
				t.Errorf("selected %q, want only the fresh story", selected)
			}
			dropped := false
			for _, d := range plan.Dropped {
				dropped = dropped || d.ItemID == copyID
			}
			if !dropped {
				t.Errorf("the copy is not among the dropped items: %+v", plan.Dropped)
			}
		})
	}
}

// TestRecentlyPublishedHorizon: only editions that ended within the
// horizon are loaded, and a pruned item is skipped, not an error.
func TestRecentlyPublishedHorizon(t *testing.T) {
	e := newWireEnv(t, "[[digest]]\nname = \"daily\"\nmin_items = 1\n")
	f := e.feed(t, "http://127.0.0.1/blog/feed.xml", "Blog")
	dc := e.cfg.Digests[0]
	var ids []string
	for i, title := range []string{"Vacuum tuning notes", "Write amplification on SD cards", "A tour of the page cache"} {
		it := tidings.Item{Identity: "s" + itoa(i), URL: "http://127.0.0.1/blog/" + itoa(i), Title: title, Text: title + ". " + pgText}
		e.save(t, f, e.now.Add(-time.Hour), it)
		ids = append(ids, tidings.ItemID(f.ID, it.Identity))
		if _, err := e.a.makeEdition(t.Context(), e.cfg, e.db, dc, e.now, false); err != nil {
			t.Fatal(err)
		}
		e.now = e.now.Add(10 * 24 * time.Hour)
	}
	last, err := e.db.LatestEdition("daily")
	if err != nil || last.Number != 3 {
		t.Fatalf("latest edition %d, %v; want 3", last.Number, err)
	}
	tests := []struct {
		name  string
		since time.Time
		want  []string
	}{
		{"latest only", last.To.Add(-time.Hour), ids[2:]},
		{"two editions", last.To.Add(-11 * 24 * time.Hour), []string{ids[2], ids[1]}},
		{"all", time.Time{}, []string{ids[2], ids[1], ids[0]}},
		{"none", last.To, nil},
	}
	for _, tt := range tests {
		items, err := recentlyPublished(e.db, last, tt.since)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		var got []string
		for _, it := range items {
			got = append(got, it.ID)
		}
		if strings.Join(got, " ") != strings.Join(tt.want, " ") {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
	if err := e.db.RemoveFeed(f.ID); err != nil {
		t.Fatal(err)
	}
	if items, err := recentlyPublished(e.db, last, time.Time{}); err != nil || len(items) != 0 {
		t.Errorf("after the items were removed: %d items, %v; want none and no error", len(items), err)
	}
}

// TestTTLOf: the TTL is the smallest gap between slots over a fixed week,
// so it does not depend on when it is computed.
func TestTTLOf(t *testing.T) {
	tests := []struct {
		spec string
		tz   string
		want time.Duration
	}{
		{"0 7 * * *", "UTC", 24 * time.Hour},
		{"0 7 * * 1-5", "UTC", 24 * time.Hour}, // not 72 h on a Friday
		{"0 8 * * 1", "Europe/Berlin", 7 * 24 * time.Hour},
		{"0 7,19 * * *", "UTC", 12 * time.Hour},
		{"0 6 * * 1,4", "UTC", 72 * time.Hour},
		{"@every 6h", "UTC", 6 * time.Hour},
		{"*/15 * * * *", "UTC", 15 * time.Minute},
		{"0 7 1 * *", "UTC", 31 * 24 * time.Hour}, // January to February 2024
	}
	for _, tt := range tests {
		loc, err := time.LoadLocation(tt.tz)
		if err != nil {
			t.Fatal(err)
		}
		sched, err := cron.ParseStandard("CRON_TZ=" + tt.tz + " " + tt.spec)
		if strings.HasPrefix(tt.spec, "@") {
			sched, err = cron.ParseStandard(tt.spec)
		}
		if err != nil {
			t.Fatal(err)
		}
		dc := DigestConfig{Schedule: tt.spec, Cron: sched, Def: digest.Definition{Location: loc}}
		if got := ttlOf(dc); got != tt.want {
			t.Errorf("%s (%s): got %v, want %v", tt.spec, tt.tz, got, tt.want)
		}
	}
	if got := ttlOf(DigestConfig{}); got != 0 {
		t.Errorf("no schedule: got %v, want 0", got)
	}
}

// TestPublishRemovedDigestAndLang: a digest removed from the config keeps
// its feeds titled after its latest edition (not its bare name), and
// publish.lang reaches the pages.
func TestPublishRemovedDigestAndLang(t *testing.T) {
	e := newWireEnv(t, "[[digest]]\nname = \"daily\"\n[[digest]]\nname = \"weekly\"\ntitle = \"Weekly Tidings\"\nschedule = \"0 8 * * 1\"\n")
	f := e.feed(t, "http://127.0.0.1/blog/feed.xml", "Blog")
	e.save(t, f, e.now.Add(-time.Hour), tidings.Item{Identity: "a", URL: "http://127.0.0.1/blog/a", Title: "Vacuum tuning notes", Text: pgText})
	weekly, _ := e.cfg.Digest("weekly")
	run, err := e.a.makeEdition(t.Context(), e.cfg, e.db, weekly, e.now, false)
	if err != nil {
		t.Fatal(err)
	}
	cfg2, err := parseConfig(e.cfg.File, filepath.Dir(e.cfg.File), []byte("data_dir = \"data\"\n[publish]\ndir = \"public\"\nlang = \"de\"\n[[digest]]\nname = \"daily\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.a.publishAll(t.Context(), cfg2, e.db); err != nil {
		t.Fatal(err)
	}
	rss, err := os.ReadFile(filepath.Join(cfg2.Publish.Dir, "weekly", "feed.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "<title>" + run.Edition.Title; !strings.Contains(string(rss), want) {
		t.Errorf("weekly/feed.xml lacks %q (the latest edition's title):\n%.400s", want, rss)
	}
	if strings.Contains(string(rss), "<title>weekly</title>") {
		t.Errorf("weekly/feed.xml is titled with the bare digest name")
	}
	page, err := os.ReadFile(filepath.Join(cfg2.Publish.Dir, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(page), `lang="de"`) {
		t.Errorf("index.html lacks lang=\"de\":\n%.300s", page)
	}
}
