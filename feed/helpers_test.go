package feed_test

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tidings/tidings"
	"github.com/tidings/tidings/feed"
	"github.com/tidings/tidings/store"
)

// reply is one canned response of a test server.
type reply struct {
	status int
	header map[string]string
	body   string
	delay  time.Duration
	// check, if set, inspects the request (validators sent, …).
	check func(t *testing.T, r *http.Request)
}

// farm is an httptest server built from a table: each path answers its
// replies in order, repeating the last one.
type farm struct {
	t     *testing.T
	srv   *httptest.Server
	mu    sync.Mutex
	seq   map[string][]reply
	hits  map[string]int
	conns int
	after func() // runs when a reply is complete
}

func newFarm(t *testing.T, routes map[string][]reply) *farm {
	t.Helper()
	f := &farm{t: t, seq: routes, hits: map[string]int{}}
	f.srv = httptest.NewUnstartedServer(http.HandlerFunc(f.serve))
	f.srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			f.mu.Lock()
			f.conns++
			f.mu.Unlock()
		}
	}
	f.srv.Start()
	t.Cleanup(f.srv.Close)
	return f
}

func (f *farm) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	rs := f.seq[r.URL.Path]
	n := f.hits[r.URL.Path]
	f.hits[r.URL.Path]++
	f.mu.Unlock()
	if len(rs) == 0 {
		http.NotFound(w, r)
		return
	}
	rep := rs[min(n, len(rs)-1)]
	if rep.check != nil {
		rep.check(f.t, r)
	}
	if rep.delay > 0 {
		select {
		case <-time.After(rep.delay):
		case <-r.Context().Done():
			return
		}
	}
	for k, v := range rep.header {
		w.Header().Set(k, strings.ReplaceAll(v, "{base}", f.srv.URL))
	}
	st := rep.status
	if st == 0 {
		st = http.StatusOK
	}
	w.WriteHeader(st)
	fmt.Fprint(w, strings.ReplaceAll(rep.body, "{base}", f.srv.URL))
	f.mu.Lock()
	after := f.after
	f.mu.Unlock()
	if after != nil {
		after()
	}
}

func (f *farm) url(path string) string { return f.srv.URL + path }

func (f *farm) hitCount(path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits[path]
}

func (f *farm) connCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.conns
}

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// env is a poller over a real store in a temp dir.
type env struct {
	db    *store.DB
	p     *feed.Poller
	clock *clock
}

var loopback = []string{"127.0.0.0/8", "::1/128"}

func newEnv(t *testing.T, opts feed.Options) *env {
	t.Helper()
	c := &clock{t: time.Date(2026, 1, 5, 12, 0, 0, 0, time.UTC)}
	db, err := store.Open(filepath.Join(t.TempDir(), "tidings.db"), store.Options{NoSync: true, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Check(); err != nil {
			t.Errorf("store check: %v", err)
		}
		db.Close()
	})
	if opts.AllowNetworks == nil {
		opts.AllowNetworks = loopback
	}
	if opts.Now == nil {
		opts.Now = c.Now
	}
	if opts.FullText == "" {
		opts.FullText = tidings.FullTextNever
	}
	p, err := feed.NewPoller(db, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return &env{db: db, p: p, clock: c}
}

// add subscribes to u and returns the stored feed.
func (e *env) add(t *testing.T, u string) tidings.Feed {
	t.Helper()
	f, err := e.db.AddFeed(tidings.Feed{URL: u})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// poll polls feed id once and returns the result and the feed afterwards.
func (e *env) poll(t *testing.T, id uint64) (feed.CycleResult, tidings.Feed) {
	t.Helper()
	f, err := e.db.Feed(id)
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.p.PollFeeds(t.Context(), []tidings.Feed{f}, nil)
	if err != nil {
		t.Fatalf("poll: %v", err)
	}
	f, err = e.db.Feed(id)
	if err != nil {
		t.Fatal(err)
	}
	return res, f
}

func rssDoc(items ...string) string {
	return `<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><link>{base}/</link><description>d</description>` +
		strings.Join(items, "") + `</channel></rss>`
}

func rssItem(guid, title, body string) string {
	return fmt.Sprintf(`<item><guid isPermaLink="false">%s</guid><title>%s</title><link>{base}/p/%s</link><description>%s</description><pubDate>Mon, 05 Jan 2026 10:00:00 GMT</pubDate></item>`, guid, title, guid, body)
}
