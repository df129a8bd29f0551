package main

import (
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime/debug"
	"sync/atomic"
	"testing"
)

// limitWitness lifts the process's memory limit for the test and serves a
// feed that records the limit in force when it is fetched. The server runs
// in this process, so it sees what the poll set.
func limitWitness(t *testing.T) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	prev := debug.SetMemoryLimit(math.MaxInt64)
	t.Cleanup(func() { debug.SetMemoryLimit(prev) })
	seen := new(atomic.Int64)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen.Store(debug.SetMemoryLimit(-1))
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprint(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><link>http://x.test/</link><description>d</description>
<item><title>One</title><link>http://x.test/1</link><guid>1</guid><description>Some text.</description></item></channel></rss>`)
	}))
	t.Cleanup(srv.Close)
	return srv, seen
}

// TestFetchCapsHeap checks that `fetch` caps the Go heap while it polls,
// as configured, and restores the process's limit afterwards.
func TestFetchCapsHeap(t *testing.T) {
	srv, seen := limitWitness(t)
	for _, tc := range []struct {
		name, setting string
		capped        bool
	}{
		{"default", "", true},
		{"off", `memory_headroom = "0"`, false},
		{"set", `memory_headroom = "64MiB"`, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "tidings.toml")
			writeFile(t, path, fmt.Sprintf(`data_dir = "data"
[log]
level = "warn"
[fetch]
allow_networks = ["127.0.0.1/32"]
full_text = "never"
%s
[[feed]]
url = "%s/feed.xml"
`, tc.setting, srv.URL))
			seen.Store(0)
			code, out, errOut := run(t, "-config", path, "fetch")
			if code != 0 {
				t.Fatalf("fetch: %d %s %s", code, out, errOut)
			}
			got := seen.Load()
			switch {
			case got == 0:
				t.Fatal("the feed was not fetched")
			case tc.capped && got == math.MaxInt64:
				t.Errorf("no memory limit while polling")
			case !tc.capped && got != math.MaxInt64:
				t.Errorf("limit %d while polling with the cap off", got)
			}
			if l := debug.SetMemoryLimit(-1); l != math.MaxInt64 {
				t.Errorf("after fetch the limit is %d, want the process's own back", l)
			}
		})
	}
}

// TestServePollCapsHeap checks the daemon's poll cycle runs under the cap
// and that the limit is back once the cycle is over.
func TestServePollCapsHeap(t *testing.T) {
	srv, seen := limitWitness(t)
	cfg, _ := testConfig(t, "[[feed]]\nurl = \""+srv.URL+"/feed.xml\"\n")
	var logs syncBuffer
	_, stop := startServe(t, cfg, &logs)
	waitFor(t, "the first poll", func() bool { return seen.Load() != 0 })
	if got := seen.Load(); got == math.MaxInt64 {
		t.Error("no memory limit during the daemon's poll cycle")
	}
	if code := stop(); code != 0 {
		t.Errorf("exit code %d: %s", code, logs.String())
	}
	if l := debug.SetMemoryLimit(-1); l != math.MaxInt64 {
		t.Errorf("after serve stopped the limit is %d", l)
	}
}
