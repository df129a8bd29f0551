package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/tidings/tidings"
	"github.com/tidings/tidings/store"
)

// testDaemon is a daemon on cfg's database, with jobs driven by the test;
// the database closes at cleanup.
func testDaemon(t *testing.T, cfg *Config, clock func() time.Time, log *slog.Logger) (*daemon, *store.DB) {
	t.Helper()
	a := &app{stderr: io.Discard, getenv: func(string) string { return "" }, now: clock, cfg: cfg, log: log}
	db, err := store.Open(cfg.DBPath(), store.Options{Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return &daemon{a: a, db: db, log: log, cfg: cfg, digestID: map[string]cron.EntryID{}}, db
}

// TestCatchUpBuildsLatestSlotOnce: after days down, the daemon builds one
// edition for the latest missed slot (not one per slot), its window reaches
// back to the previous edition and forward to now (what the first poll
// found), and a second catch-up builds nothing.
func TestCatchUpBuildsLatestSlotOnce(t *testing.T) {
	dir := t.TempDir()
	cfg, err := parseConfig(filepath.Join(dir, "t.toml"), dir, []byte(`data_dir = "data"
[publish]
dir = "public"
[[digest]]
name = "daily"
schedule = "0 7 * * *"
min_items = 1
`))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 1, 7, 0, 0, 0, time.UTC)
	d, db := testDaemon(t, cfg, func() time.Time { return now }, slog.New(slog.DiscardHandler))
	f, err := db.AddFeed(tidings.Feed{URL: "http://127.0.0.1/feed.xml", Title: "Test"})
	if err != nil {
		t.Fatal(err)
	}
	seen := func(at time.Time, ids ...string) {
		t.Helper()
		var items []tidings.Item
		for _, id := range ids {
			items = append(items, tidings.Item{Identity: id, URL: "http://127.0.0.1/a/" + id, Title: "Story " + id + " about write batching",
				Published: at, Text: "The database engine batches its commits. Operators measured a lower latency on small disks. The change ships next month.",
				ContentHash: id})
		}
		if _, err := db.SavePoll(f, items, at); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()

	seen(now.Add(-time.Hour), "one")
	d.runDigest(ctx, "daily") // edition 1, for 1 March
	seen(now.Add(3*time.Hour), "two")
	now = time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC) // down over three slots
	seen(now.Add(-time.Minute), "three")              // the first poll after the start
	d.catchUp(ctx)
	d.catchUp(ctx)

	eds, err := db.Editions("daily")
	if err != nil {
		t.Fatal(err)
	}
	if len(eds) != 2 {
		t.Fatalf("%d editions, want 2 (one per run, none per missed slot)", len(eds))
	}
	if want := time.Date(2026, 3, 4, 7, 0, 0, 0, time.UTC); !eds[1].Slot.Equal(want) {
		t.Errorf("caught-up slot = %v, want %v", eds[1].Slot, want)
	}
	if got := eds[1].Count(); got != 2 {
		t.Errorf("caught-up edition has %d stories, want 2 (seen while up, and at the start)", got)
	}
	if _, err := os.Stat(filepath.Join(cfg.Publish.Dir, "daily", "2", "index.html")); err != nil {
		t.Errorf("caught-up edition not published: %v", err)
	}
}

// TestSyncFeeds: the config's [[feed]] list drives subscriptions, but
// neither the built-in defaults (no config file) nor a read-only command
// unsubscribes anything.
func TestSyncFeeds(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), "tidings.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	const a, b = "http://127.0.0.1/a.xml", "http://127.0.0.1/b.xml"
	steps := []struct {
		name           string
		file           string
		feeds          []string
		remove         bool // a working command; read-only ones only add
		added, removed int
		want           []string
	}{
		{"config subscribes", "t.toml", []string{a, b}, true, 2, 0, []string{a, b}},
		{"defaults keep them", "", nil, true, 0, 0, []string{a, b}},
		{"read-only command keeps a dropped feed", "t.toml", []string{a}, false, 0, 0, []string{a, b}},
		{"working command removes it", "t.toml", []string{a}, true, 0, 1, []string{a}},
		{"same config changes nothing", "t.toml", []string{a}, true, 0, 0, []string{a}},
	}
	for _, s := range steps {
		cfg := &Config{File: s.file}
		for _, u := range s.feeds {
			cfg.Feeds = append(cfg.Feeds, tidings.Feed{ID: tidings.NewFeedID(u), URL: u})
		}
		added, _, removed, err := syncFeeds(db, cfg, s.remove)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if added != s.added || removed != s.removed {
			t.Errorf("%s: added %d, removed %d; want %d, %d", s.name, added, removed, s.added, s.removed)
		}
		feeds, _ := db.Feeds()
		var got []string
		for _, f := range feeds {
			got = append(got, f.URL)
		}
		if strings.Join(got, " ") != strings.Join(s.want, " ") {
			t.Errorf("%s: feeds %v, want %v", s.name, got, s.want)
		}
	}
}

// TestReadOnlyCommandsDoNotSync: stats, feeds list and opml export never
// unsubscribe, even when the config no longer lists a feed.
func TestReadOnlyCommandsDoNotSync(t *testing.T) {
	srv := feedServer(t)
	cfg, _ := testConfig(t, "[[feed]]\nurl = \""+srv.URL+"/rss.xml\"\n")
	if code, _, stderr := run(t, "-config", cfg, "fetch"); code != 0 {
		t.Fatalf("fetch: %d %s", code, stderr)
	}
	good, _ := os.ReadFile(cfg)
	writeFile(t, cfg, strings.Replace(string(good), "[[feed]]\nurl = \""+srv.URL+"/rss.xml\"\n", "", 1))
	for _, args := range [][]string{{"stats"}, {"feeds", "list"}, {"opml", "export"}} {
		if code, _, stderr := run(t, append([]string{"-config", cfg}, args...)...); code != 0 {
			t.Errorf("%v: %d %s", args, code, stderr)
		}
	}
	_, out, _ := run(t, "-config", cfg, "stats", "--json")
	if !strings.Contains(out, `"feeds": 1,`) || !strings.Contains(out, `"items": 2,`) {
		t.Errorf("read-only commands changed the store: %s", out)
	}
	run(t, "-config", cfg, "fetch") // a working command follows the file
	if _, out, _ := run(t, "-config", cfg, "stats", "--json"); !strings.Contains(out, `"feeds": 0,`) {
		t.Errorf("fetch did not sync the feed list: %s", out)
	}
}

// TestCommandsWhileServing: read-only commands and backup work next to a
// running daemon (through its control socket); commands that write say the
// database is in use, once, and exit 1. An output directory lost after the
// last edition is published again when the daemon starts.
func TestCommandsWhileServing(t *testing.T) {
	srv := feedServer(t)
	cfg, dir := testConfig(t, "[[feed]]\nurl = \""+srv.URL+"/rss.xml\"\n[[digest]]\nname = \"daily\"\n")
	for _, args := range [][]string{{"fetch"}, {"digest", "daily"}} {
		if code, _, stderr := run(t, append([]string{"-config", cfg}, args...)...); code != 0 {
			t.Fatalf("%v: %d %s", args, code, stderr)
		}
	}
	if err := os.RemoveAll(filepath.Join(dir, "public")); err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	base, stop := startServe(t, cfg, &logs)
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	waitFor(t, "the republished feed", func() bool {
		resp, err := client.Get(base + "/daily/feed.xml")
		if err != nil {
			return false
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp.StatusCode == 200 && strings.Contains(string(b), "Bitmap indexes explained")
	})
	// Cache-Control follows the daily cadence (publish.CacheMaxAge), not
	// the handler's 5 minute default.
	if resp, err := client.Get(base + "/daily/feed.xml"); err != nil {
		t.Error(err)
	} else {
		resp.Body.Close()
		if got := resp.Header.Get("Cache-Control"); !strings.Contains(got, "max-age=3600") {
			t.Errorf("Cache-Control = %q, want max-age=3600", got)
		}
	}

	tests := []struct {
		name string
		args []string
		code int
		want string // in stdout for code 0, in stderr otherwise
	}{
		{"stats", []string{"stats", "--json"}, 0, `"feeds": 1,`},
		{"feeds list", []string{"feeds", "list"}, 0, "/rss.xml"},
		{"feeds list json", []string{"feeds", "list", "--json"}, 0, `"health": "ok"`},
		{"opml export", []string{"opml", "export"}, 0, "/rss.xml"},
		{"backup", []string{"backup", filepath.Join(dir, "b.db")}, 0, "through the running daemon"},
		{"digest dry run", []string{"digest", "daily", "--dry-run"}, 0, "no edition: digest daily: too few stories"},
		{"fetch", []string{"fetch"}, 1, "is in use by another tidings process"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, stderr := run(t, append([]string{"-config", cfg}, tt.args...)...)
			got := out
			if tt.code != 0 {
				got = stderr
			}
			if code != tt.code || !strings.Contains(got, tt.want) {
				t.Errorf("code %d, stdout %q, stderr %q; want %d and %q", code, out, stderr, tt.code, tt.want)
			}
			if n := strings.Count(stderr, "stop it or use a different data_dir"); n > 1 {
				t.Errorf("advice repeated %d times: %q", n, stderr)
			}
		})
	}
	var st tidings.Stats
	_, out, _ := run(t, "-config", cfg, "stats", "--json")
	if err := json.Unmarshal([]byte(out), &st); err != nil || st.Editions != 1 || st.Items != 2 {
		t.Errorf("stats through the daemon: %+v, %v", st, err)
	}
	if code := stop(); code != 0 {
		t.Errorf("serve exit code %d: %s", code, logs.String())
	}
}

func TestGuardRecovers(t *testing.T) {
	var buf bytes.Buffer
	d := &daemon{log: slog.New(slog.NewTextHandler(&buf, nil))}
	ran := false
	d.guard("test", func() { panic("boom") })
	d.guard("test", func() { ran = true })
	if !ran || !strings.Contains(buf.String(), "panic recovered") || !strings.Contains(buf.String(), "boom") ||
		!strings.Contains(buf.String(), "goroutine") {
		t.Errorf("ran %v, log %q: want the panic logged with its stack", ran, buf.String())
	}
}

func TestShortError(t *testing.T) {
	const u = "http://127.0.0.1/f.xml"
	tests := []struct{ name, msg, want string }{
		{"fetch prefix", "fetch " + u + ": HTTP 500 Internal Server Error", "HTTP 500 Internal Server Error"},
		{"url prefix", u + ": parse: EOF", "parse: EOF"},
		{"other feed", "fetch http://127.0.0.2/: timeout", "fetch http://127.0.0.2/: timeout"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		if got := shortError(tt.msg, u); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}

// TestRetentionMakesDictionary: the daily retention run also makes the
// store's first shared compression dictionary when polls stored too little
// for one, and the items written after it are read back whole.
func TestRetentionMakesDictionary(t *testing.T) {
	dir := t.TempDir()
	cfg, err := parseConfig(filepath.Join(dir, "t.toml"), dir, []byte(`data_dir = "data"`))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 1, 7, 0, 0, 0, time.UTC)
	var logs bytes.Buffer
	d, db := testDaemon(t, cfg, func() time.Time { return now }, slog.New(slog.NewTextHandler(&logs, nil)))
	save := func(feed, n int) []tidings.Item {
		f, err := db.AddFeed(tidings.Feed{URL: fmt.Sprintf("http://127.0.0.1/%d.xml", feed), Title: "Test"})
		if err != nil {
			t.Fatal(err)
		}
		var items []tidings.Item
		for i := range n {
			id := fmt.Sprintf("%d-%d", feed, i)
			// Words drawn at random: text a dictionary does not hold twice.
			rng := rand.New(rand.NewPCG(uint64(feed), uint64(i)))
			words := strings.Fields("the daemon polls feeds on a schedule and keeps items with their article text in one database file while readers follow the digest in their mailbox or feed reader every morning")
			var b strings.Builder
			for range 700 {
				b.WriteString(words[rng.IntN(len(words))] + " ")
			}
			body := b.String()
			items = append(items, tidings.Item{Identity: id, URL: "http://127.0.0.1/a/" + id, Title: "Story " + id,
				Text: body, Content: "<p>" + body + "</p>", ContentHash: id})
		}
		if _, err := db.SavePoll(f, items, now); err != nil {
			t.Fatal(err)
		}
		for i := range items {
			items[i].ID = tidings.ItemID(f.ID, items[i].Identity)
		}
		return items
	}
	save(1, 4)
	save(2, 4)
	d.retention(context.Background())
	if !strings.Contains(logs.String(), "dictionary_created=1") {
		t.Fatalf("retention log: %s", logs.String())
	}
	for _, it := range save(3, 3) {
		got, err := db.Item(it.ID)
		if err != nil || got.Content != it.Content {
			t.Fatalf("item %s after the dictionary: %v", it.Identity, err)
		}
	}
}
