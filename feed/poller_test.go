package feed_test

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"context"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tidings/tidings"
	"github.com/tidings/tidings/feed"
)

func wantHeader(name, value string) func(*testing.T, *http.Request) {
	return func(t *testing.T, r *http.Request) {
		if got := r.Header.Get(name); got != value {
			t.Errorf("request header %s: got %q, want %q", name, got, value)
		}
	}
}

func TestConditionalGet(t *testing.T) {
	doc := rssDoc(rssItem("a", "A", "first"))
	doc2 := rssDoc(rssItem("a", "A", "edited body"))
	tests := []struct {
		name         string
		replies      []reply
		wantNotMod   int
		wantLastMod  string
		wantRequests int
	}{
		{
			name: "304 by etag",
			replies: []reply{
				{header: map[string]string{"ETag": `"v1"`}, body: doc},
				{status: 304, check: wantHeader("If-None-Match", `"v1"`)},
			},
			wantNotMod: 1,
		},
		{
			name: "304 by last-modified, new last-modified kept",
			replies: []reply{
				{header: map[string]string{"Last-Modified": "Mon, 05 Jan 2026 10:00:00 GMT"}, body: doc},
				{status: 304, header: map[string]string{"Last-Modified": "Mon, 05 Jan 2026 11:00:00 GMT"}, check: wantHeader("If-Modified-Since", "Mon, 05 Jan 2026 10:00:00 GMT")},
			},
			wantNotMod:  1,
			wantLastMod: "Mon, 05 Jan 2026 11:00:00 GMT",
		},
		{
			name: "200 with the same etag",
			replies: []reply{
				{header: map[string]string{"ETag": `"v1"`}, body: doc},
				{header: map[string]string{"ETag": `"v1"`}, body: doc2},
			},
			wantNotMod: 1,
		},
		{
			name: "200 with the same body",
			replies: []reply{
				{body: doc},
				{body: doc, check: wantHeader("If-None-Match", "")},
			},
			wantNotMod: 1,
		},
		{
			name: "Expires 0 drops validators",
			replies: []reply{
				{header: map[string]string{"ETag": `"v1"`, "Expires": "0"}, body: doc},
				{header: map[string]string{"ETag": `"v1"`}, body: doc2, check: wantHeader("If-None-Match", "")},
			},
			wantNotMod: 0,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fm := newFarm(t, map[string][]reply{"/feed": tc.replies})
			e := newEnv(t, feed.Options{})
			f := e.add(t, fm.url("/feed"))
			res, _ := e.poll(t, f.ID)
			if res.New != 1 {
				t.Fatalf("first poll: got %d new, want 1", res.New)
			}
			e.clock.Add(time.Hour)
			res, f = e.poll(t, f.ID)
			if res.NotModified != tc.wantNotMod {
				t.Errorf("second poll not_modified: got %d, want %d", res.NotModified, tc.wantNotMod)
			}
			if tc.wantNotMod == 1 && (res.New != 0 || res.Updated != 0) {
				t.Errorf("not modified poll wrote items: %+v", res)
			}
			if tc.wantLastMod != "" && f.State.LastModified != tc.wantLastMod {
				t.Errorf("last modified: got %q, want %q", f.State.LastModified, tc.wantLastMod)
			}
			if !f.State.LastSuccess.Equal(e.clock.Now()) {
				t.Errorf("last success: got %v, want %v", f.State.LastSuccess, e.clock.Now())
			}
		})
	}
}

func TestErrorsAndBackoff(t *testing.T) {
	retryDate := time.Date(2026, 1, 5, 15, 0, 0, 0, time.UTC)
	tests := []struct {
		name         string
		reply        reply
		wantKind     string
		wantDisabled bool
		minNext      time.Duration // NextCheck >= now + minNext
	}{
		{"429 retry-after seconds", reply{status: 429, header: map[string]string{"Retry-After": "7200"}}, feed.KindLimited, false, 2 * time.Hour},
		{"429 retry-after date", reply{status: 429, header: map[string]string{"Retry-After": retryDate.Format(http.TimeFormat)}}, feed.KindLimited, false, 3 * time.Hour},
		{"503 with retry-after", reply{status: 503, header: map[string]string{"Retry-After": "600"}}, feed.KindLimited, false, 10 * time.Minute},
		{"410 gone", reply{status: 410}, feed.KindGone, true, 0},
		{"500", reply{status: 500}, feed.KindHTTP, false, 10 * time.Minute},
		{"403 cloudflare challenge", reply{status: 403, header: map[string]string{"Server": "cloudflare"}, body: `<html><title>Just a moment...</title><script src="/cdn-cgi/challenge-platform/h/b/orchestrate/jsch/v1"></script></html>`}, feed.KindChallenge, false, 10 * time.Minute},
		{"cf-mitigated header", reply{status: 403, header: map[string]string{"cf-mitigated": "challenge"}}, feed.KindChallenge, false, 10 * time.Minute},
		{"not a feed", reply{body: "<html><body>hello</body></html>"}, feed.KindParse, false, 10 * time.Minute},
		{"200 challenge page", reply{body: `<html><head><title>Just a moment...</title></head><body>Checking your browser before accessing</body></html>`}, feed.KindChallenge, false, 10 * time.Minute},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fm := newFarm(t, map[string][]reply{"/feed": {tc.reply}})
			e := newEnv(t, feed.Options{})
			f := e.add(t, fm.url("/feed"))
			res, f := e.poll(t, f.ID)
			if res.Errors != 1 {
				t.Fatalf("errors: got %d, want 1", res.Errors)
			}
			if f.State.ErrorKind != tc.wantKind {
				t.Errorf("kind: got %q, want %q (%s)", f.State.ErrorKind, tc.wantKind, f.State.LastError)
			}
			if f.State.Disabled != tc.wantDisabled {
				t.Errorf("disabled: got %v, want %v", f.State.Disabled, tc.wantDisabled)
			}
			if f.State.LastError == "" || f.State.ErrorCount != 1 {
				t.Errorf("health not recorded: %+v", f.State)
			}
			if got := f.State.NextCheck.Sub(e.clock.Now()); !tc.wantDisabled && got < tc.minNext {
				t.Errorf("next check in %v, want at least %v", got, tc.minNext)
			}
		})
	}
}

func TestBackoffNeverAbandons(t *testing.T) {
	fm := newFarm(t, map[string][]reply{"/feed": {{status: 500}}})
	e := newEnv(t, feed.Options{MaxBackoff: 6 * time.Hour})
	f := e.add(t, fm.url("/feed"))
	var prev time.Duration
	for i := 1; i <= 12; i++ {
		_, f = e.poll(t, f.ID)
		d := f.State.NextCheck.Sub(e.clock.Now())
		if d > 6*time.Hour {
			t.Fatalf("poll %d: backoff %v exceeds the 6h cap", i, d)
		}
		if i > 1 && i < 5 && d <= prev/2 {
			t.Errorf("poll %d: backoff %v did not grow from %v", i, d, prev)
		}
		prev = d
		e.clock.Add(d)
	}
	if f.State.Disabled || f.State.ErrorCount != 12 {
		t.Errorf("after 12 errors: disabled=%v errors=%d, want enabled with 12", f.State.Disabled, f.State.ErrorCount)
	}
	due, err := e.db.DueFeeds(e.clock.Now().Add(7 * time.Hour))
	if err != nil || len(due) != 1 {
		t.Errorf("failing feed must stay due: got %d feeds, err %v", len(due), err)
	}
}

func TestPermanentRedirectPromotedAfterThreePolls(t *testing.T) {
	doc := rssDoc(rssItem("a", "A", "x"))
	fm := newFarm(t, map[string][]reply{
		"/old": {{status: 301, header: map[string]string{"Location": "{base}/mid"}}},
		"/mid": {{status: 308, header: map[string]string{"Location": "{base}/new"}}},
		"/new": {{body: doc}},
	})
	e := newEnv(t, feed.Options{})
	f := e.add(t, fm.url("/old"))
	for i := 1; i <= 3; i++ {
		var res feed.CycleResult
		res, f = e.poll(t, f.ID)
		if res.Errors != 0 {
			t.Fatalf("poll %d: %s", i, f.State.LastError)
		}
		want := fm.url("/old")
		if i == 3 {
			want = fm.url("/new")
		}
		if f.URL != want {
			t.Errorf("after poll %d: url %s, want %s", i, f.URL, want)
		}
		e.clock.Add(time.Hour)
	}
	// A temporary redirect is never promoted.
	fm2 := newFarm(t, map[string][]reply{
		"/tmp": {{status: 302, header: map[string]string{"Location": "{base}/new"}}},
		"/new": {{body: doc}},
	})
	g := e.add(t, fm2.url("/tmp"))
	for range 4 {
		_, g = e.poll(t, g.ID)
	}
	if g.URL != fm2.url("/tmp") {
		t.Errorf("302 promoted to %s", g.URL)
	}
}

func TestRedirectLoopAndLimit(t *testing.T) {
	routes := map[string][]reply{
		"/a": {{status: 301, header: map[string]string{"Location": "{base}/b"}}},
		"/b": {{status: 302, header: map[string]string{"Location": "{base}/a"}}},
	}
	for i := 0; i < 12; i++ {
		routes["/chain"+string(rune('a'+i))] = []reply{{status: 302, header: map[string]string{"Location": "{base}/chain" + string(rune('a'+i+1))}}}
	}
	fm := newFarm(t, routes)
	e := newEnv(t, feed.Options{})
	for _, path := range []string{"/a", "/chaina"} {
		f := e.add(t, fm.url(path))
		_, f = e.poll(t, f.ID)
		if f.State.ErrorKind != feed.KindRedirect {
			t.Errorf("%s: kind %q (%s), want redirect", path, f.State.ErrorKind, f.State.LastError)
		}
	}
	if n := fm.hitCount("/a"); n != 1 {
		t.Errorf("loop: /a fetched %d times, want 1", n)
	}
}

func TestSlowServerTimesOut(t *testing.T) {
	fm := newFarm(t, map[string][]reply{"/slow": {{delay: 5 * time.Second, body: rssDoc()}}})
	e := newEnv(t, feed.Options{Timeout: 200 * time.Millisecond})
	f := e.add(t, fm.url("/slow"))
	_, f = e.poll(t, f.ID)
	if f.State.ErrorKind != feed.KindTimeout {
		t.Errorf("kind %q (%s), want timeout", f.State.ErrorKind, f.State.LastError)
	}
}

func gzipBomb(t *testing.T, n int) string {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte(`<?xml version="1.0"?><rss version="2.0"><channel><title>`))
	chunk := bytes.Repeat([]byte("A"), 1<<16)
	for written := 0; written < n; written += len(chunk) {
		zw.Write(chunk)
	}
	zw.Close()
	return b.String()
}

func TestBodyCap(t *testing.T) {
	big := rssDoc(rssItem("a", "A", strings.Repeat("x", 200<<10)))
	tests := []struct {
		name  string
		reply reply
	}{
		{"with content-length", reply{header: map[string]string{"Content-Length": "300000"}, body: big[:min(len(big), 300000)]}},
		{"chunked", reply{body: big}},
		{"gzip bomb", reply{header: map[string]string{"Content-Encoding": "gzip"}, body: gzipBomb(t, 64<<20)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fm := newFarm(t, map[string][]reply{"/feed": {tc.reply}})
			e := newEnv(t, feed.Options{MaxBody: 100 << 10})
			f := e.add(t, fm.url("/feed"))
			_, f = e.poll(t, f.ID)
			if f.State.ErrorKind != feed.KindTooLarge {
				t.Errorf("kind %q (%s), want too_large", f.State.ErrorKind, f.State.LastError)
			}
		})
	}
}

// TestHugeHeadersRefused: a server that sends megabytes of headers gets
// an error, not that much of the poller's memory.
func TestHugeHeadersRefused(t *testing.T) {
	fm := newFarm(t, map[string][]reply{"/feed": {{header: map[string]string{"X-Padding": strings.Repeat("a", 1<<20)}, body: rssDoc(rssItem("a", "A", "x"))}}})
	e := newEnv(t, feed.Options{})
	f := e.add(t, fm.url("/feed"))
	res, f := e.poll(t, f.ID)
	if res.New != 0 || f.State.LastError == "" {
		t.Errorf("new %d, error %q; want no items and an error", res.New, f.State.LastError)
	}
}

// TestCookieRedirect: a site that redirects a first visit back to the
// same URL with a cookie is followed; the cookie is not sent on the next
// poll, which starts without any.
func TestCookieRedirect(t *testing.T) {
	var mu sync.Mutex
	var cookies []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		cookies = append(cookies, r.Header.Get("Cookie"))
		mu.Unlock()
		if _, err := r.Cookie("visited"); err != nil {
			http.SetCookie(w, &http.Cookie{Name: "visited", Value: "1", Path: "/"})
			http.Redirect(w, r, r.URL.Path, http.StatusFound)
			return
		}
		w.Header().Set("Content-Type", "application/rss+xml")
		io.WriteString(w, strings.ReplaceAll(rssDoc(rssItem("c", "Cookie", "x")), "{base}", "http://"+r.Host))
	}))
	t.Cleanup(srv.Close)
	e := newEnv(t, feed.Options{})
	f := e.add(t, srv.URL+"/feed")
	res, f := e.poll(t, f.ID)
	if res.New != 1 || f.State.LastError != "" {
		t.Fatalf("new %d, error %q; want the item behind the cookie redirect", res.New, f.State.LastError)
	}
	e.clock.Add(24 * time.Hour)
	e.poll(t, f.ID)
	mu.Lock()
	defer mu.Unlock()
	want := []string{"", "visited=1", "", "visited=1"}
	if !slices.Equal(cookies, want) {
		t.Errorf("Cookie headers %q, want %q (each poll starts without cookies)", cookies, want)
	}
}

func TestGzipFeedDecoded(t *testing.T) {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte(rssDoc(rssItem("g", "G", "zipped"))))
	zw.Close()
	fm := newFarm(t, map[string][]reply{"/feed": {{header: map[string]string{"Content-Encoding": "gzip"}, body: b.String(), check: wantHeader("Accept-Encoding", "gzip, deflate")}}})
	e := newEnv(t, feed.Options{})
	f := e.add(t, fm.url("/feed"))
	res, f := e.poll(t, f.ID)
	if res.New != 1 {
		t.Errorf("new: got %d, want 1 (%s)", res.New, f.State.LastError)
	}
}

// TestBodyEncodings covers what servers send in practice: HTTP's
// "deflate" as the RFC's zlib stream and as raw DEFLATE, a .xml.gz file
// served without Content-Encoding, and a body gzipped twice.
func TestBodyEncodings(t *testing.T) {
	doc := []byte(rssDoc(rssItem("e", "E", "encoded")))
	gz := func(p []byte) []byte {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		zw.Write(p)
		zw.Close()
		return b.Bytes()
	}
	var zl, raw bytes.Buffer
	zw := zlib.NewWriter(&zl)
	zw.Write(doc)
	zw.Close()
	fw, _ := flate.NewWriter(&raw, flate.DefaultCompression)
	fw.Write(doc)
	fw.Close()
	tests := []struct {
		name     string
		encoding string
		body     []byte
	}{
		{"deflate as zlib", "deflate", zl.Bytes()},
		{"deflate raw", "deflate", raw.Bytes()},
		{"gzip file without content-encoding", "", gz(doc)},
		{"gzip twice", "gzip", gz(gz(doc))},
		{"plain document labelled gzip", "gzip", doc},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := map[string]string{"Content-Type": "application/rss+xml"}
			if tc.encoding != "" {
				h["Content-Encoding"] = tc.encoding
			}
			fm := newFarm(t, map[string][]reply{"/feed": {{header: h, body: string(tc.body)}}})
			e := newEnv(t, feed.Options{})
			f := e.add(t, fm.url("/feed"))
			res, f := e.poll(t, f.ID)
			if res.New != 1 || f.State.LastError != "" {
				t.Errorf("new %d, error %q; want 1 item, no error", res.New, f.State.LastError)
			}
		})
	}
	t.Run("sniffed gzip bomb stops at the cap", func(t *testing.T) {
		fm := newFarm(t, map[string][]reply{"/feed": {{body: gzipBomb(t, 64<<20)}}})
		e := newEnv(t, feed.Options{MaxBody: 1 << 20})
		f := e.add(t, fm.url("/feed"))
		_, f = e.poll(t, f.ID)
		if f.State.ErrorKind != feed.KindTooLarge {
			t.Errorf("kind %q (%s), want too_large", f.State.ErrorKind, f.State.LastError)
		}
	})
}

// TestUnconditional304: a server that answers 304 to a request without
// validators is broken; the feed says so instead of staying empty and
// healthy.
func TestUnconditional304(t *testing.T) {
	fm := newFarm(t, map[string][]reply{"/feed": {{status: 304}}})
	e := newEnv(t, feed.Options{})
	f := e.add(t, fm.url("/feed"))
	_, f = e.poll(t, f.ID)
	if f.State.ErrorKind != feed.KindHTTP || !strings.Contains(f.State.LastError, "not conditional") {
		t.Errorf("kind %q, error %q; want an http error about the unconditional 304", f.State.ErrorKind, f.State.LastError)
	}
}

func TestUserAgent(t *testing.T) {
	fm := newFarm(t, map[string][]reply{"/feed": {{body: rssDoc(), check: wantHeader("User-Agent", feed.DefaultUserAgent())}}})
	e := newEnv(t, feed.Options{})
	f := e.add(t, fm.url("/feed"))
	e.poll(t, f.ID)
	if !strings.Contains(feed.DefaultUserAgent(), tidings.ProjectURL) {
		t.Errorf("user agent %q lacks the project URL", feed.DefaultUserAgent())
	}
}

func TestGuardRefusesBeforeAnyPacket(t *testing.T) {
	fm := newFarm(t, map[string][]reply{
		"/feed": {{body: rssDoc(rssItem("a", "A", "x"))}},
		"/hop":  {{status: 302, header: map[string]string{"Location": "{base}/feed"}}},
	})
	// A name that resolves to a private address: refused before dialling,
	// so nothing is sent anywhere (the resolver is the test's, not DNS).
	resolve := func(_ context.Context, host string) ([]netip.Addr, error) {
		switch host {
		case "intranet.test":
			return []netip.Addr{netip.MustParseAddr("10.1.2.3")}, nil
		case "pi.lan":
			return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
		}
		return nil, &netErr{host}
	}
	port := fm.srv.URL[strings.LastIndexByte(fm.srv.URL, ':'):]
	tests := []struct {
		name      string
		allow     []string
		url       string
		wantKind  string
		wantConns int
	}{
		{"loopback refused by default", []string{}, fm.url("/feed"), feed.KindBlocked, 0},
		{"private name refused", []string{}, "http://intranet.test" + port + "/feed", feed.KindBlocked, 0},
		{"redirect to a refused address", []string{"pi.lan"}, "http://pi.lan" + port + "/hop", feed.KindBlocked, 1},
		{"cidr allowlist opens", loopback, fm.url("/feed"), "", 1},
		{"host allowlist opens", []string{"pi.lan"}, "http://pi.lan" + port + "/feed", "", 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := fm.connCount()
			e := newEnv(t, feed.Options{AllowNetworks: tc.allow, Resolve: resolve})
			f := e.add(t, tc.url)
			_, f = e.poll(t, f.ID)
			if f.State.ErrorKind != tc.wantKind {
				t.Errorf("kind %q (%s), want %q", f.State.ErrorKind, f.State.LastError, tc.wantKind)
			}
			if tc.wantKind == feed.KindBlocked && !strings.Contains(f.State.LastError, "allow_networks") {
				t.Errorf("error does not say how to allow it: %s", f.State.LastError)
			}
			if got := fm.connCount() - before; got != tc.wantConns {
				t.Errorf("server saw %d connections, want %d", got, tc.wantConns)
			}
		})
	}
}

type netErr struct{ host string }

func (e *netErr) Error() string { return "no such host " + e.host }

func TestItemEditedInPlaceAndRetention(t *testing.T) {
	v1 := rssDoc(rssItem("a", "A", "first version"), rssItem("b", "B", "other"))
	v2 := rssDoc(rssItem("a", "A (updated)", "second version"), rssItem("b", "B", "other"))
	fm := newFarm(t, map[string][]reply{"/feed": {{body: v1}, {body: v2}, {body: v2 + " "}}})
	e := newEnv(t, feed.Options{})
	f := e.add(t, fm.url("/feed"))
	res, _ := e.poll(t, f.ID)
	if res.New != 2 {
		t.Fatalf("first poll new: got %d, want 2", res.New)
	}
	first := e.clock.Now()
	e.clock.Add(time.Hour)
	res, _ = e.poll(t, f.ID)
	if res.New != 0 || res.Updated != 1 {
		t.Fatalf("edit: got new=%d updated=%d, want 0 and 1", res.New, res.Updated)
	}
	items, err := e.db.FeedItems(f.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		if !it.FirstSeen.Equal(first) {
			t.Errorf("%s: first seen %v, want %v", it.Title, it.FirstSeen, first)
		}
		if it.Identity == "a" && !strings.Contains(it.Text, "second version") {
			t.Errorf("edited item text %q", it.Text)
		}
	}
	// Retention drops everything; a re-poll carrying the same items must
	// not bring them back.
	e.clock.Add(48 * time.Hour)
	if n, err := e.db.Prune(e.clock.Now(), 0); err != nil || n != 2 {
		t.Fatalf("prune: %d, %v", n, err)
	}
	res, _ = e.poll(t, f.ID)
	if res.New != 0 {
		t.Errorf("after retention: %d items resurrected", res.New)
	}
	if items, _ := e.db.FeedItems(f.ID, 0); len(items) != 0 {
		t.Errorf("after retention: %d items stored, want 0", len(items))
	}
}

func TestDuplicateGUIDsDegradeToLinks(t *testing.T) {
	var items []string
	for i := range 10 {
		// Every item has the same GUID (a broken CMS), distinct links.
		items = append(items, strings.Replace(rssItem("same", "T"+string(rune('a'+i)), "body"), "/p/same", "/p/"+string(rune('a'+i)), 1))
	}
	fm := newFarm(t, map[string][]reply{"/feed": {{body: rssDoc(items...)}}})
	e := newEnv(t, feed.Options{})
	f := e.add(t, fm.url("/feed"))
	res, f := e.poll(t, f.ID)
	if res.New != 10 {
		t.Errorf("new: got %d, want 10", res.New)
	}
	if f.State.IdentityMode != feed.IdentityLink {
		t.Errorf("identity mode: got %q, want link", f.State.IdentityMode)
	}
}

func TestPollDueByTimeAndSchedule(t *testing.T) {
	fm := newFarm(t, map[string][]reply{
		"/a": {{body: rssDoc(rssItem("a", "A", "x")), header: map[string]string{"Cache-Control": "max-age=7200"}}},
		"/b": {{body: `<?xml version="1.0"?><rss version="2.0"><channel><title>B</title><link>{base}</link><description>d</description><ttl>600</ttl></channel></rss>`}},
	})
	e := newEnv(t, feed.Options{})
	a := e.add(t, fm.url("/a"))
	b := e.add(t, fm.url("/b"))
	res, err := e.p.PollDue(t.Context())
	if err != nil || res.Feeds != 2 {
		t.Fatalf("poll due: %+v, %v", res, err)
	}
	a, _ = e.db.Feed(a.ID)
	b, _ = e.db.Feed(b.ID)
	now := e.clock.Now()
	if d := a.State.NextCheck.Sub(now); d < 2*time.Hour || d > 2*time.Hour+30*time.Minute {
		t.Errorf("max-age 7200: next check in %v, want 2h plus jitter", d)
	}
	if d := b.State.NextCheck.Sub(now); d < 10*time.Hour || d > 12*time.Hour+30*time.Minute {
		t.Errorf("ttl 600: next check in %v, want 10h plus jitter", d)
	}
	res, _ = e.p.PollDue(t.Context())
	if res.Feeds != 0 {
		t.Errorf("nothing due yet, polled %d", res.Feeds)
	}
}

func TestFullText(t *testing.T) {
	article := `<html><head><title>Post</title></head><body><nav>menu</nav><article><h1>Post</h1>` +
		strings.Repeat("<p>This is a long paragraph of the real article with plenty of words to read, so the extractor keeps it as content.</p>", 30) +
		`<script>evil()</script></article><footer>foot</footer></body></html>`
	fm := newFarm(t, map[string][]reply{
		"/feed": {{body: rssDoc(rssItem("t", "Thin", "Just a teaser."), rssItem("m", "Missing", "Teaser two."),
			rssItem("pdf", "A PDF", "Teaser three."), rssItem("u", "Untyped", "Teaser four."), rssItem("h", "Huge", "Teaser five."))}},
		// More tags than any article has: refused before it becomes a tree.
		"/p/h":   {{header: map[string]string{"Content-Type": "text/html"}, body: "<html><body>" + strings.Repeat("<p>a</p>", 200_001) + "</body></html>"}},
		"/p/t":   {{header: map[string]string{"Content-Type": "text/html; charset=utf-8"}, body: article}},
		"/p/m":   {{status: 404}},
		"/p/pdf": {{header: map[string]string{"Content-Type": "application/pdf"}, body: "%PDF-1.7\n" + article}},
		// No Content-Type at all: the page is sniffed, as a browser does.
		"/p/u": {{header: map[string]string{"Content-Type": ""}, body: article}},
	})
	e := newEnv(t, feed.Options{FullText: tidings.FullTextAuto})
	f := e.add(t, fm.url("/feed"))
	res, _ := e.poll(t, f.ID)
	if res.New != 5 {
		t.Fatalf("new: got %d, want 5", res.New)
	}
	items, _ := e.db.FeedItems(f.ID, 0)
	for _, it := range items {
		switch it.Identity {
		case "h":
			if it.FullText != "failed: extract: the page has more than 200000 elements" || it.Text != "Teaser five." {
				t.Errorf("huge page: full_text %q, text %q", it.FullText, it.Text)
			}
		case "pdf":
			if it.FullText != `failed: page is "application/pdf", not HTML` || it.Text != "Teaser three." {
				t.Errorf("pdf page: full_text %q, text %q", it.FullText, it.Text)
			}
		case "t", "u":
			if it.FullText != "extracted" || !strings.Contains(it.Text, "real article") || strings.Contains(it.Content, "evil") {
				t.Errorf("thin item: full_text %q, text %.60q", it.FullText, it.Text)
			}
		case "m":
			if !strings.HasPrefix(it.FullText, "failed:") || it.Text != "Teaser two." {
				t.Errorf("failed extraction: full_text %q, text %q", it.FullText, it.Text)
			}
		}
	}
	// Known items are not fetched again.
	e.clock.Add(time.Hour)
	e.poll(t, f.ID)
	if n := fm.hitCount("/p/t"); n != 1 {
		t.Errorf("article fetched %d times, want 1", n)
	}
}

func TestPerHostLimit(t *testing.T) {
	var mu sync.Mutex
	cur, peak := 0, 0
	track := func(t *testing.T, r *http.Request) {
		mu.Lock()
		cur++
		peak = max(peak, cur)
		mu.Unlock()
	}
	routes := map[string][]reply{}
	for i := range 8 {
		routes[fmt.Sprintf("/f%d", i)] = []reply{{delay: 30 * time.Millisecond, body: rssDoc(rssItem(fmt.Sprint(i), "T", "b")), check: track}}
	}
	fm := newFarm(t, routes)
	fm.mu.Lock()
	fm.after = func() {
		mu.Lock()
		cur--
		mu.Unlock()
	}
	fm.mu.Unlock()
	e := newEnv(t, feed.Options{Workers: 8, PerHost: 2})
	var feeds []tidings.Feed
	for i := range 8 {
		feeds = append(feeds, e.add(t, fm.url(fmt.Sprintf("/f%d", i))))
	}
	res, err := e.p.PollFeeds(t.Context(), feeds, nil)
	if err != nil || res.Feeds != 8 || res.New != 8 {
		t.Fatalf("poll: %+v, %v", res, err)
	}
	if peak > 2 {
		t.Errorf("peak concurrent requests to one host: got %d, want at most 2", peak)
	}
}

// TestPipelineSlotsDoNotDeadlock: with one core (one CPU slot, three body
// slots), twelve workers and two connections per host, feeds whose thin
// items need full text from the same host all finish. Workers waiting for
// a body slot hold that host's connections, while others need one for
// full text: the slots must never be held across such a wait.
func TestPipelineSlotsDoNotDeadlock(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	article := `<html><body><article><h1>Post</h1>` +
		strings.Repeat("<p>A long paragraph of the real article, with plenty of words for the extractor to keep as content.</p>", 20) +
		`</article></body></html>`
	routes := map[string][]reply{}
	for i := range 12 {
		var items []string
		for k := range 3 {
			id := fmt.Sprintf("f%da%d", i, k)
			items = append(items, rssItem(id, "Thin", "Teaser."))
			routes["/p/"+id] = []reply{{delay: 5 * time.Millisecond, header: map[string]string{"Content-Type": "text/html"}, body: article}}
		}
		routes[fmt.Sprintf("/f%d", i)] = []reply{{delay: 5 * time.Millisecond, body: rssDoc(items...)}}
	}
	fm := newFarm(t, routes)
	e := newEnv(t, feed.Options{Workers: 12, PerHost: 2, FullText: tidings.FullTextAuto})
	var feeds []tidings.Feed
	for i := range 12 {
		feeds = append(feeds, e.add(t, fm.url(fmt.Sprintf("/f%d", i))))
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second) // a deadlock fails, it does not hang
	defer cancel()
	res, err := e.p.PollFeeds(ctx, feeds, nil)
	if err != nil || res.Feeds != 12 || res.New != 36 || res.Errors != 0 {
		t.Fatalf("poll: %+v, %v", res, err)
	}
	items, err := e.db.FeedItems(feeds[0].ID, 0)
	if err != nil || len(items) != 3 || items[0].FullText != "extracted" {
		t.Fatalf("items of the first feed: %d, %v", len(items), err)
	}
}

// TestSitePageInsteadOfFeed: a feed address that serves the site's page
// fails with the feed the page announces in the error.
func TestSitePageInsteadOfFeed(t *testing.T) {
	page := `<!doctype html><html><head><title>Blog</title><link rel="alternate" type="application/rss+xml" href="/feed.xml"></head><body>Posts</body></html>`
	fm := newFarm(t, map[string][]reply{
		"/":         {{header: map[string]string{"Content-Type": "text/html"}, body: page}},
		"/feed.xml": {{body: rssDoc(rssItem("a", "A", "x"))}},
	})
	e := newEnv(t, feed.Options{})
	f := e.add(t, fm.url("/"))
	_, f = e.poll(t, f.ID)
	if f.State.ErrorKind != feed.KindParse || !strings.Contains(f.State.LastError, "announces the feed "+fm.url("/feed.xml")) {
		t.Errorf("kind %q, error %q; want a parse error naming %s", f.State.ErrorKind, f.State.LastError, fm.url("/feed.xml"))
	}
}

// TestArticleBudget: a first poll of a feed with many thin items fetches
// the articles of the newest 30 only; the rest keep their feed text and
// say why.
func TestArticleBudget(t *testing.T) {
	var items []string
	routes := map[string][]reply{}
	article := `<html><body><article>` + strings.Repeat("<p>A long article paragraph with plenty of words for the extractor to keep.</p>", 40) + `</article></body></html>`
	for i := range 45 {
		// Oldest first in the document: the budget must follow the dates.
		date := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Hour).Format(time.RFC1123Z)
		items = append(items, fmt.Sprintf(`<item><guid>g%d</guid><title>T%d</title><link>{base}/p/%d</link><description>Teaser.</description><pubDate>%s</pubDate></item>`, i, i, i, date))
		routes[fmt.Sprintf("/p/%d", i)] = []reply{{header: map[string]string{"Content-Type": "text/html"}, body: article}}
	}
	routes["/feed"] = []reply{{body: rssDoc(items...)}}
	fm := newFarm(t, routes)
	e := newEnv(t, feed.Options{FullText: tidings.FullTextAuto})
	f := e.add(t, fm.url("/feed"))
	res, _ := e.poll(t, f.ID)
	if res.New != 45 {
		t.Fatalf("new %d, want 45", res.New)
	}
	fetched := 0
	for i := range 45 {
		if n := fm.hitCount(fmt.Sprintf("/p/%d", i)); n > 0 {
			fetched++
			if i < 15 {
				t.Errorf("article %d (among the oldest) was fetched", i)
			}
		}
	}
	if fetched != 30 {
		t.Errorf("%d articles fetched, want 30", fetched)
	}
	stored, _ := e.db.FeedItems(f.ID, 0)
	skipped := 0
	for _, it := range stored {
		if strings.HasPrefix(it.FullText, "skipped:") {
			skipped++
		}
	}
	if skipped != 15 {
		t.Errorf("%d items marked skipped, want 15", skipped)
	}
}

// TestArticleHostPushback: once a site answers an article request with
// 429, the poll asks it for no more articles.
func TestArticleHostPushback(t *testing.T) {
	var items []string
	routes := map[string][]reply{}
	for i := range 5 {
		date := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(-time.Duration(i) * time.Hour).Format(time.RFC1123Z)
		items = append(items, fmt.Sprintf(`<item><guid>g%d</guid><title>T%d</title><link>{base}/p/%d</link><description>Teaser.</description><pubDate>%s</pubDate></item>`, i, i, i, date))
		routes[fmt.Sprintf("/p/%d", i)] = []reply{{status: 429, header: map[string]string{"Retry-After": "3600"}}}
	}
	routes["/feed"] = []reply{{body: rssDoc(items...)}}
	fm := newFarm(t, routes)
	e := newEnv(t, feed.Options{FullText: tidings.FullTextAuto})
	f := e.add(t, fm.url("/feed"))
	if res, _ := e.poll(t, f.ID); res.New != 5 {
		t.Fatalf("new %d, want 5", res.New)
	}
	asked := 0
	for i := range 5 {
		asked += fm.hitCount(fmt.Sprintf("/p/%d", i))
	}
	if asked != 1 {
		t.Errorf("%d article requests after a 429, want 1", asked)
	}
	stored, _ := e.db.FeedItems(f.ID, 0)
	for _, it := range stored {
		if it.Identity != "g0" && !strings.Contains(it.FullText, "refused an earlier article") {
			t.Errorf("item %s: full_text %q, want it skipped", it.Identity, it.FullText)
		}
	}
	// Another feed linking to the same site, within the hour the site
	// asked for: no request; after it: asked again.
	routes2 := map[string][]reply{"/feed2": {{body: rssDoc(`<item><guid>h</guid><title>H</title><link>{base}/p/0</link><description>Teaser.</description></item>`)}}}
	fm.mu.Lock()
	maps.Copy(fm.seq, routes2)
	fm.mu.Unlock()
	e.clock.Add(30 * time.Minute)
	f2 := e.add(t, fm.url("/feed2"))
	e.poll(t, f2.ID)
	if n := fm.hitCount("/p/0"); n != 1 {
		t.Errorf("site asked again %d times within its Retry-After, want 0", n-1)
	}
	e.clock.Add(time.Hour)
	fm.mu.Lock()
	fm.seq["/feed2"] = []reply{{body: rssDoc(`<item><guid>h2</guid><title>H2</title><link>{base}/p/0</link><description>Teaser.</description></item>`)}}
	fm.hits["/feed2"] = 0
	fm.mu.Unlock()
	e.poll(t, f2.ID)
	if n := fm.hitCount("/p/0"); n != 2 {
		t.Errorf("site asked %d times in all after its Retry-After, want 2", n)
	}
}

// TestArticleBare503: a 503 without Retry-After may be one broken page;
// the site's next article is still asked for.
func TestArticleBare503(t *testing.T) {
	article := `<html><body><article>` + strings.Repeat("<p>A long article paragraph with plenty of words for the extractor to keep.</p>", 40) + `</article></body></html>`
	fm := newFarm(t, map[string][]reply{
		"/feed": {{body: rssDoc(
			`<item><guid>a</guid><title>A</title><link>{base}/p/a</link><description>Teaser.</description><pubDate>Mon, 05 Jan 2026 10:00:00 GMT</pubDate></item>`,
			`<item><guid>b</guid><title>B</title><link>{base}/p/b</link><description>Teaser.</description><pubDate>Mon, 05 Jan 2026 09:00:00 GMT</pubDate></item>`)}},
		"/p/a": {{status: 503}},
		"/p/b": {{header: map[string]string{"Content-Type": "text/html"}, body: article}},
	})
	e := newEnv(t, feed.Options{FullText: tidings.FullTextAuto})
	f := e.add(t, fm.url("/feed"))
	e.poll(t, f.ID)
	if fm.hitCount("/p/a") != 1 || fm.hitCount("/p/b") != 1 {
		t.Errorf("articles requested: a %d, b %d; want both once", fm.hitCount("/p/a"), fm.hitCount("/p/b"))
	}
}

// TestUnstableGUIDs: a feed that lists its items again under new GUIDs
// (per request, or after moving to another scheme) is switched to links,
// and neither the relisted items nor later polls bring duplicates; a feed
// whose new GUIDs come with new links is just new items.
func TestUnstableGUIDs(t *testing.T) {
	item := func(guid, link string) string {
		return fmt.Sprintf(`<item><guid isPermaLink="false">%s</guid><title>Story %s</title><link>{base}/p/%s</link><description>About %s.</description></item>`, guid, link, link, link)
	}
	doc := func(prefix string, links ...string) string {
		var items []string
		for _, l := range links {
			items = append(items, item(prefix+l, l))
		}
		return rssDoc(items...)
	}
	fm := newFarm(t, map[string][]reply{
		"/unstable": {{body: doc("g-", "a", "b", "c", "d", "e")}, {body: doc("h-", "a", "b", "c", "d", "e")}, {body: doc("i-", "f", "a", "b", "c", "d", "e")}},
		"/fresh":    {{body: doc("g-", "a", "b", "c", "d", "e")}, {body: doc("h-", "v", "w", "x", "y", "z")}},
	})
	e := newEnv(t, feed.Options{FullText: tidings.FullTextNever})
	steps := []struct {
		path string
		new  int
		mode string
	}{
		{"/unstable", 5, feed.IdentityGUID},
		{"/unstable", 0, feed.IdentityLink}, // the same five under new GUIDs
		{"/unstable", 1, feed.IdentityLink}, // one more, new GUIDs again
		{"/fresh", 5, feed.IdentityGUID},
		{"/fresh", 5, feed.IdentityGUID}, // new GUIDs, new links: new items
	}
	ids := map[string]uint64{}
	for i, s := range steps {
		if ids[s.path] == 0 {
			ids[s.path] = e.add(t, fm.url(s.path)).ID
		}
		e.clock.Add(time.Hour)
		res, f := e.poll(t, ids[s.path])
		if res.New != s.new || f.State.IdentityMode != s.mode {
			t.Errorf("step %d (%s): %d new, mode %q; want %d, %q", i, s.path, res.New, f.State.IdentityMode, s.new, s.mode)
		}
	}
	items, err := e.db.FeedItems(ids["/unstable"], 0)
	if err != nil || len(items) != 6 {
		t.Errorf("unstable feed holds %d items (%v), want 6", len(items), err)
	}
}
