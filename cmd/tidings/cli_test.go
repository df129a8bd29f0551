package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the daemon's concurrent loggers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// run invokes the program as `tidings ARGS...` and returns the exit code
// and what it printed.
func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	return runCtx(context.Background(), nil, args...)
}

func runCtx(ctx context.Context, setup func(*app), args ...string) (int, string, string) {
	var stdout, stderr syncBuffer
	a := &app{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, getenv: func(string) string { return "" }, now: time.Now}
	if setup != nil {
		setup(a)
	}
	code := a.main(ctx, args)
	return code, stdout.String(), stderr.String()
}

// feedServer serves RSS and Atom feeds and an HTML page announcing them.
func feedServer(t *testing.T) *httptest.Server {
	t.Helper()
	now := time.Now().UTC()
	body := func(topic string) string {
		return strings.Repeat("This paragraph explains "+topic+" in some detail for the test. ", 8)
	}
	mux := http.NewServeMux()
	var srv *httptest.Server
	mux.HandleFunc("/rss.xml", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprintf(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>Test Systems</title><link>%[1]s/</link><description>d</description>
<item><title>Bitmap indexes explained</title><link>%[1]s/a/bitmap</link><guid>bitmap-1</guid><pubDate>%[2]s</pubDate><description>%[3]s</description></item>
<item><title>A tour of the page cache</title><link>%[1]s/a/pagecache</link><guid>pagecache-1</guid><pubDate>%[2]s</pubDate><description>%[4]s</description></item>
</channel></rss>`, srv.URL, now.Add(-2*time.Hour).Format(time.RFC1123Z), body("bitmap indexes"), body("the page cache"))
	})
	mux.HandleFunc("/atom.xml", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/atom+xml")
		fmt.Fprintf(w, `<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Test Data</title><id>urn:test:data</id><updated>%[2]s</updated>
<entry><title>Vector clocks in practice</title><id>urn:test:vc</id><link href="%[1]s/a/vc"/><updated>%[2]s</updated><content type="html">%[3]s</content></entry>
</feed>`, srv.URL, now.Add(-time.Hour).Format(time.RFC3339), body("vector clocks"))
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<html><head><link rel="alternate" type="application/rss+xml" href="/rss.xml"></head><body>hi</body></html>`)
	})
	srv = httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// testConfig writes a config for a data directory under t.TempDir() that
// may fetch from loopback.
func testConfig(t *testing.T, extra string) (path, dir string) {
	t.Helper()
	dir = t.TempDir()
	path = filepath.Join(dir, "tidings.toml")
	writeFile(t, path, `data_dir = "data"
[log]
level = "warn"
[fetch]
allow_networks = ["127.0.0.1/32", "::1/128"]
full_text = "never"
[publish]
dir = "public"
base_url = "http://tidings.test/"
`+extra)
	return path, dir
}

func TestVersion(t *testing.T) {
	code, out, _ := run(t, "version")
	if code != 0 || !strings.Contains(out, "tidings dev") || !strings.Contains(out, runtime.Version()) {
		t.Errorf("version: code %d, output %q", code, out)
	}
}

func TestUsageAndHelp(t *testing.T) {
	tests := []struct {
		args []string
		code int
		want string // in stderr
	}{
		{nil, 2, "Usage: tidings"},
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{[]string{"-h"}, 0, "Commands:"},
		{[]string{"fetch", "--bogus"}, 2, "flag provided but not defined"},
		{[]string{"digest"}, 2, "want exactly one digest NAME"},
		{[]string{"feeds"}, 2, "missing subcommand"},
		{[]string{"feeds", "explode"}, 2, "unknown subcommand"},
	}
	for _, tt := range tests {
		code, _, stderr := run(t, tt.args...)
		if code != tt.code || !strings.Contains(stderr, tt.want) {
			t.Errorf("tidings %v: code %d, stderr %q; want code %d and %q", tt.args, code, stderr, tt.code, tt.want)
		}
	}
	for name := range commands() {
		code, _, stderr := run(t, name, "--help")
		if code != 0 || !strings.Contains(stderr, "tidings "+name) {
			t.Errorf("tidings %s --help: code %d, stderr %q", name, code, stderr)
		}
	}
}

func TestCheck(t *testing.T) {
	good, _ := testConfig(t, "")
	if code, out, stderr := run(t, "-config", good, "check"); code != 0 || !strings.Contains(out, "ok") {
		t.Errorf("check good: code %d, out %q, stderr %q", code, out, stderr)
	}
	bad, _ := testConfig(t, "[fetch2]\nx = 1\n")
	code, _, stderr := run(t, "-config", bad, "check")
	if code != 2 || !strings.Contains(stderr, "tidings.toml:10: fetch2: unknown section (did you mean [fetch]?)") {
		t.Errorf("check bad: code %d, stderr %q; want 2 and the line", code, stderr)
	}
	if code, _, stderr := run(t, "-config", filepath.Join(t.TempDir(), "missing.toml"), "check"); code != 2 {
		t.Errorf("check missing file: code %d, stderr %q; want 2", code, stderr)
	}
}

func TestFeedsAddListRemove(t *testing.T) {
	srv := feedServer(t)
	cfg, _ := testConfig(t, "")
	// A site page: the feed is discovered from its <link rel="alternate">.
	code, out, stderr := run(t, "-config", cfg, "feeds", "add", srv.URL+"/", "--section", "Systems")
	if code != 0 || !strings.Contains(out, "added "+srv.URL+"/rss.xml") {
		t.Fatalf("feeds add: code %d, out %q, stderr %q", code, out, stderr)
	}
	if code, _, stderr := run(t, "-config", cfg, "feeds", "add", srv.URL+"/rss.xml"); code != 1 || !strings.Contains(stderr, "already subscribed") {
		t.Errorf("second add: code %d, stderr %q; want 1 and 'already subscribed'", code, stderr)
	}
	code, out, _ = run(t, "-config", cfg, "feeds", "list", "--json")
	var list []feedHealth
	if err := json.Unmarshal([]byte(out), &list); code != 0 || err != nil {
		t.Fatalf("feeds list --json: code %d, %v: %q", code, err, out)
	}
	if len(list) != 1 || list[0].Section != "Systems" || list[0].Health != "new" {
		t.Errorf("list = %+v, want one new feed in Systems", list)
	}
	if code, out, _ := run(t, "-config", cfg, "feeds", "list"); code != 0 || !strings.Contains(out, srv.URL+"/rss.xml") {
		t.Errorf("feeds list: code %d, out %q", code, out)
	}
	if code, out, stderr := run(t, "-config", cfg, "feeds", "remove", srv.URL+"/rss.xml"); code != 0 || !strings.Contains(out, "removed") {
		t.Errorf("feeds remove: code %d, out %q, stderr %q", code, out, stderr)
	}
	if code, _, _ := run(t, "-config", cfg, "feeds", "remove", srv.URL+"/rss.xml"); code != 1 {
		t.Errorf("removing twice: code %d, want 1", code)
	}
	code, out, _ = run(t, "-config", cfg, "feeds", "list", "--json")
	if code != 0 || strings.TrimSpace(out) != "[]" {
		t.Errorf("list after remove: code %d, %q", code, out)
	}
}

func TestOPMLRoundTrip(t *testing.T) {
	cfg, dir := testConfig(t, "")
	opml := filepath.Join(dir, "in.opml")
	writeFile(t, opml, `<?xml version="1.0"?><opml version="2.0"><head><title>mine</title></head><body>
<outline text="Engineering"><outline type="rss" text="One" xmlUrl="https://one.example/feed.xml"/><outline type="rss" text="Two" xmlUrl="https://two.example/atom.xml"/></outline>
<outline type="rss" text="Three" xmlUrl="https://three.example/feed.json"/>
<outline type="rss" text="Script" xmlUrl="javascript:alert(1)"/>
</body></opml>`)
	if code, out, stderr := run(t, "-config", cfg, "opml", "import", opml); code != 0 || !strings.Contains(out, "imported 3 feeds") ||
		!strings.Contains(out, "skipped 1 entry:\n  \"Script\" (javascript:alert(1)): not an http(s) URL") {
		t.Fatalf("import: code %d, out %q, stderr %q", code, out, stderr)
	}
	if code, out, _ := run(t, "-config", cfg, "opml", "import", opml); code != 0 || !strings.Contains(out, "imported 0 feeds (3 already subscribed)") {
		t.Errorf("second import: code %d, out %q", code, out)
	}
	code, out, _ := run(t, "-config", cfg, "opml", "export")
	if code != 0 {
		t.Fatalf("export: code %d", code)
	}
	// Import the export into a fresh store: same feeds, same sections.
	cfg2, dir2 := testConfig(t, "")
	exported := filepath.Join(dir2, "out.opml")
	writeFile(t, exported, out)
	if code, out, _ := run(t, "-config", cfg2, "opml", "import", exported); code != 0 || !strings.Contains(out, "imported 3 feeds") {
		t.Fatalf("re-import: code %d, out %q", code, out)
	}
	_, l1, _ := run(t, "-config", cfg, "feeds", "list", "--json")
	_, l2, _ := run(t, "-config", cfg2, "feeds", "list", "--json")
	var a, b []feedHealth
	json.Unmarshal([]byte(l1), &a)
	json.Unmarshal([]byte(l2), &b)
	if len(a) != 3 || len(a) != len(b) {
		t.Fatalf("feeds %d vs %d, want 3", len(a), len(b))
	}
	for i := range a {
		if a[i].URL != b[i].URL || a[i].Section != b[i].Section {
			t.Errorf("feed %d: %s (%s) vs %s (%s)", i, a[i].URL, a[i].Section, b[i].URL, b[i].Section)
		}
	}
	if a[0].Section != "Engineering" && a[1].Section != "Engineering" {
		t.Errorf("sections lost: %+v", a)
	}
}

func TestStatsJSON(t *testing.T) {
	cfg, _ := testConfig(t, "[[feed]]\nurl = \"https://example.org/x.xml\"\n")
	code, out, stderr := run(t, "-config", cfg, "stats", "--json")
	if code != 0 {
		t.Fatalf("stats: code %d, stderr %q", code, stderr)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("stats --json: %v: %q", err, out)
	}
	for _, k := range []string{"feeds", "items", "editions", "failing_feeds"} {
		if _, ok := m[k]; !ok {
			t.Errorf("stats --json lacks %q: %s", k, out)
		}
	}
	if m["feeds"] != 1.0 {
		t.Errorf("feeds = %v, want 1 (synced from the config)", m["feeds"])
	}
}

func TestSendWithoutSMTP(t *testing.T) {
	cfg, _ := testConfig(t, "")
	code, _, stderr := run(t, "-config", cfg, "send", "daily")
	if code != 1 || !strings.Contains(stderr, "no SMTP configured") {
		t.Errorf("send: code %d, stderr %q", code, stderr)
	}
}

func TestPrevSlot(t *testing.T) {
	cfg, err := parseConfig("t.toml", t.TempDir(), []byte(`
[[digest]]
name = "a"
schedule = "0 7 * * *"
timezone = "America/New_York"
[[digest]]
name = "b"
schedule = "@weekly"
[[digest]]
name = "c"
schedule = "*/15 * * * *"
`))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 4, 11, 20, 0, 0, time.UTC) // a Wednesday
	tests := []struct {
		digest int
		want   time.Time
	}{
		{0, time.Date(2026, 3, 3, 12, 0, 0, 0, time.UTC)}, // 07:00 EST is 12:00 UTC; today's is still ahead
		{1, time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)},  // Sunday midnight
		{2, time.Date(2026, 3, 4, 11, 15, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		if got := prevSlot(cfg.Digests[tt.digest].Cron, now); !got.Equal(tt.want) {
			t.Errorf("%s: prevSlot = %v, want %v", cfg.Digests[tt.digest].Def.Name, got, tt.want)
		}
	}
}

func TestInspect(t *testing.T) {
	srv := feedServer(t)
	cfg, dir := testConfig(t, "")
	code, out, stderr := run(t, "-config", cfg, "inspect", srv.URL+"/rss.xml", "--json")
	var in struct {
		Format string `json:"format"`
		Items  []struct {
			Title string `json:"title"`
		} `json:"items"`
	}
	if err := json.Unmarshal([]byte(out), &in); code != 0 || err != nil || len(in.Items) != 2 {
		t.Fatalf("inspect --json: code %d, %v, out %q, stderr %q", code, err, out, stderr)
	}
	code, out, _ = run(t, "-config", cfg, "inspect", srv.URL+"/atom.xml")
	if code != 0 || !strings.Contains(out, "Vector clocks in practice") {
		t.Errorf("inspect: code %d, out %q", code, out)
	}
	file := filepath.Join(dir, "feed.json")
	writeFile(t, file, `{"version":"https://jsonfeed.org/version/1.1","title":"F","items":[{"id":"1","title":"From a file","content_text":"x"}]}`)
	if code, out, stderr := run(t, "-config", cfg, "inspect", file); code != 0 || !strings.Contains(out, "From a file") {
		t.Errorf("inspect FILE: code %d, out %q, stderr %q", code, out, stderr)
	}
	// The text form shows what the issue lists per item, not only --json.
	podcast := filepath.Join(dir, "podcast.xml")
	writeFile(t, podcast, `<rss version="2.0"><channel><title>P</title><language>de</language>
<item><guid isPermaLink="false">ep1</guid><title>Episode 1</title><pubDate>Mon, 02 Mar 2026 10:00:00 GMT</pubDate>
<description>Show &lt;b&gt;notes&lt;/b&gt;</description>
<enclosure url="https://cdn.example.org/ep1.mp3" type="audio/mpeg" length="2097152"/></item></channel></rss>`)
	code, out, _ = run(t, "-config", cfg, "inspect", podcast)
	for _, want := range []string{"language: de", "url:       -", "enclosure: https://cdn.example.org/ep1.mp3 (audio/mpeg, 2.0 MiB)", "html:      Show <b>notes</b>"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("inspect text lacks %q: code %d, out %q", want, code, out)
		}
	}
	// Nothing was stored.
	_, out, _ = run(t, "-config", cfg, "stats", "--json")
	if !strings.Contains(out, `"items": 0`) {
		t.Errorf("inspect stored items: %s", out)
	}
}

func TestConfigLookupFromEnv(t *testing.T) {
	cfg, _ := testConfig(t, "")
	env := func(k string) string {
		if k == "TIDINGS_CONFIG" {
			return cfg
		}
		return ""
	}
	code, out, _ := runCtx(context.Background(), func(a *app) { a.getenv = env }, "check")
	if code != 0 || !strings.HasPrefix(out, cfg+": ok") {
		t.Errorf("check with $TIDINGS_CONFIG: code %d, out %q", code, out)
	}
	// -config wins over the environment.
	other, _ := testConfig(t, "")
	code, out, _ = runCtx(context.Background(), func(a *app) { a.getenv = env }, "-config", other, "check")
	if code != 0 || !strings.HasPrefix(out, other+": ok") {
		t.Errorf("check with -config and $TIDINGS_CONFIG: code %d, out %q", code, out)
	}
}
