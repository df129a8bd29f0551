package feed

import (
	"bytes"
	"compress/gzip"
	"context"
	"math"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/tidings/tidings"
)

func TestParseDate(t *testing.T) {
	utc := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		in   string
		want string // RFC 3339 UTC; "" = not parseable
	}{
		{"Mon, 02 Jan 2006 15:04:05 +0000", "2006-01-02T15:04:05Z"},
		{"Mon, 02 Jan 2006 15:04:05 GMT", "2006-01-02T15:04:05Z"},
		{"Mon, 02 Jan 2006 15:04:05 MET", "2006-01-02T14:04:05Z"},
		{"Mon, 02 Jun 2006 15:04:05 MEST", "2006-06-02T13:04:05Z"},
		{"Tue, 02 Dec 2025 10:00:00 GMT-01:01", "2025-12-02T11:01:00Z"},
		{"January 24, 2025 3:04 PM ET", "2025-01-24T20:04:00Z"},
		{"2025-12-01", "2025-12-01T00:00:00Z"},
		{"2025-11", "2025-11-01T00:00:00Z"},
		{"2025", "2025-01-01T00:00:00Z"},
		{"2025-12-01T10:00+02:00", "2025-12-01T08:00:00Z"},
		{"2025-12-01 10:00:00", "2025-12-01T10:00:00Z"},
		{"20251130T101500Z", "2025-11-30T10:15:00Z"},
		{"20251130", "2025-11-30T00:00:00Z"},
		{"2025-12-01T10:00:00.123456Z", "2025-12-01T10:00:00.123456Z"},
		{"Mi, 03 Dez 2025 10:00:00 +0100", "2025-12-03T09:00:00Z"},
		{"29 novembre 2025 08:30 +0100", "2025-11-29T07:30:00Z"},
		{"3 de marzo de 2025", ""},
		{"2 mars 2025 12:00 CET", "2025-03-02T11:00:00Z"},
		{"Sun, 1 Jun 25 12:00:00 EDT", "2025-06-01T16:00:00Z"},
		{"31 Feb 2025", ""},
		{"Mon, 02 Jan 2006 15:04:05 +0000 (UTC)", "2006-01-02T15:04:05Z"},
		{"Mon, 02 Jan 2006 15:04:05 (EST)", "2006-01-02T20:04:05Z"},
		{"Wed Nov 04 2020 09:05:00 GMT+0100 (Central European Standard Time)", "2020-11-04T08:05:00Z"},
		{"Monday, 02-Jan-06 15:04:05 MST", "2006-01-02T22:04:05Z"},
		{"Sun, 6-Nov-1994 08:49:37 GMT", "1994-11-06T08:49:37Z"},
		{"04.11.2020 09:05", "2020-11-04T09:05:00Z"},
		{"4.11.2020", "2020-11-04T00:00:00Z"},
		{"04.13.2020", ""},
		{"Wed, 04 Nov 2020 24:00:00 +0000", "2020-11-05T00:00:00Z"},
		{"Wed, 04 Nov 2020 24:00:01 +0000", ""},
		{"1604480700", "2020-11-04T09:05:00Z"},
		{"1604480700123", "2020-11-04T09:05:00.123Z"},
		{"9999999999", ""},
		{"Mon, 02 Jan 2006 15:04:05 +0000 (UTC", "2006-01-02T15:04:05Z"},
		{"not a date", ""},
		{"", ""},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, ok := ParseDate(tc.in)
			if tc.want == "" {
				if ok {
					t.Errorf("got %v, want no date", got)
				}
				return
			}
			if !ok || !got.Equal(utc(tc.want)) {
				t.Errorf("got %v (ok=%v), want %s", got.UTC(), ok, tc.want)
			}
		})
	}
}

func TestGuardAddresses(t *testing.T) {
	g, err := newGuard(nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		ip   string
		want bool
	}{
		{"127.0.0.1", false}, {"::1", false}, {"10.0.0.1", false}, {"172.16.5.4", false},
		{"192.168.1.10", false}, {"169.254.169.254", false}, {"100.64.0.1", false},
		{"0.0.0.0", false}, {"::", false}, {"224.0.0.1", false}, {"ff02::1", false},
		{"fd00::1", false}, {"fe80::1", false}, {"::ffff:127.0.0.1", false}, {"::ffff:10.0.0.1", false},
		{"255.255.255.255", false},
		{"93.184.216.34", true}, {"2606:2800:220:1:248:1893:25c8:1946", true}, {"1.1.1.1", true},
		// IPv6 transition addresses are judged by the IPv4 address they reach.
		{"::7f00:1", false}, {"::a00:1", false}, {"64:ff9b::10.0.0.1", false}, {"64:ff9b::169.254.169.254", false},
		{"2002:c0a8:0101::1", false}, {"2001:0:4136:e378:8000:63bf:f5ff:fffe", false}, // Teredo for 10.0.0.1
		{"64:ff9b::93.184.216.34", true}, {"2002:5db8:d822::1", true}, {"64:ff9b:1::1", false},
	}
	for _, tc := range tests {
		if got := g.allowed("", netip.MustParseAddr(tc.ip)); got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.ip, got, tc.want)
		}
	}
	lan, err := newGuard([]string{"192.168.1.0/24", "rss-bridge.lan", "10.9.9.9"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		host, ip string
		want     bool
	}{
		{"", "192.168.1.20", true}, {"", "192.168.2.20", false}, {"rss-bridge.lan", "10.0.0.7", true},
		{"other.lan", "10.0.0.7", false}, {"", "10.9.9.9", true}, {"", "64:ff9b::192.168.1.30", true},
		{"", "64:ff9b::192.168.2.30", false},
	} {
		if got := lan.allowed(tc.host, netip.MustParseAddr(tc.ip)); got != tc.want {
			t.Errorf("allowlist %s/%s: got %v, want %v", tc.host, tc.ip, got, tc.want)
		}
	}
	if _, err := newGuard([]string{"10.0.0.0/99"}); err == nil {
		t.Error("bad CIDR accepted")
	}
}

func TestSanitize(t *testing.T) {
	z := newSanitizer()
	base, _ := url.Parse("https://example.org/blog/post/")
	tests := []struct {
		name, in      string
		want, wantNot []string
		wantText      string
	}{
		{name: "script", in: `<p>a<script>alert(1)</script>b</p>`, wantNot: []string{"script", "alert"}, wantText: "ab"},
		{name: "handlers and style", in: `<p onclick="x()" style="color:red">t</p><img src="a.png" onerror="y()">`, want: []string{`src="https://example.org/blog/post/a.png"`}, wantNot: []string{"onclick", "onerror", "style"}},
		{name: "javascript url", in: `<a href="javascript:alert(1)">x</a><a href="JaVaScRiPt:alert(1)">y</a>`, wantNot: []string{"javascript", "JaVaScRiPt"}},
		{name: "data urls", in: `<a href="data:text/html,<script>1</script>">x</a><img src="data:image/png;base64,iVBORw0KGgo=">`, want: []string{`src="data:image/png;base64,iVBORw0KGgo="`}, wantNot: []string{"data:text"}},
		{name: "forms", in: `<form action="/x"><input name="p"><button>go</button></form>`, wantNot: []string{"<form", "<input"}},
		{name: "iframes", in: `<iframe src="https://www.youtube-nocookie.com/embed/x"></iframe><iframe src="https://evil.example/"></iframe><iframe src="http://player.vimeo.com/video/1"></iframe>`, want: []string{"youtube-nocookie.com/embed/x", "sandbox="}, wantNot: []string{"evil.example", "vimeo"}},
		{name: "pixels", in: `<img src="/t.gif" width="1" height="1"><img src="x.png" style="width:1px;height:1px"><img src="k.png" width="640">`, want: []string{"k.png"}, wantNot: []string{"t.gif", "x.png"}},
		{name: "lazy images", in: `<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" data-src="/img/a.jpg" alt="A"><img data-lazy-src="b.jpg" data-lazy-srcset="b-2x.jpg 2x">`, want: []string{`src="https://example.org/img/a.jpg"`, `src="https://example.org/blog/post/b.jpg"`, `srcset="https://example.org/blog/post/b-2x.jpg 2x"`}, wantNot: []string{"data:image/gif", "data-src", "data-lazy"}},
		{name: "lazy image script", in: `<img data-src="javascript:alert(1)" alt="x">`, wantNot: []string{"javascript", "alert"}},
		{name: "links", in: `<a href="../other/">o</a>`, want: []string{`href="https://example.org/blog/other/"`, "noopener", "noreferrer"}},
		{name: "text paragraphs", in: `<h2>Title</h2><p>One <b>bold</b> word.</p><ul><li>a</li><li>b</li></ul>`, wantText: "Title\n\nOne bold word.\n\na\n\nb"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := z.clean(tc.in, base)
			for _, w := range tc.want {
				if !strings.Contains(got.HTML, w) {
					t.Errorf("got %s, want it to contain %q", got.HTML, w)
				}
			}
			for _, w := range tc.wantNot {
				if strings.Contains(got.HTML, w) {
					t.Errorf("got %s, want no %q", got.HTML, w)
				}
			}
			if tc.wantText != "" && got.Text != tc.wantText {
				t.Errorf("text: got %q, want %q", got.Text, tc.wantText)
			}
		})
	}
	if got := plainText(`Fish &amp; <i>Chips</i> <script>x</script>`); got != "Fish & Chips" {
		t.Errorf("plain title: got %q", got)
	}
}

// TestSanitizeCapsSize: an item of more than 2 MB of HTML keeps its first
// megabyte of text as paragraphs, and says so.
func TestSanitizeCapsSize(t *testing.T) {
	z := newSanitizer()
	para := "<p>" + strings.Repeat("A sentence of the very long item, with <em>some</em> markup. ", 20) + "</p>\n"
	huge := strings.Repeat(para, 3*maxItemHTML/len(para))
	got := z.clean(huge, nil)
	if len(got.HTML) > maxItemHTML || len(got.Text) > maxItemHTML/2+100 {
		t.Fatalf("kept %d bytes of HTML, %d of text", len(got.HTML), len(got.Text))
	}
	if !strings.HasSuffix(got.Text, "was not kept.]") || !strings.HasPrefix(got.HTML, "<p>A sentence of the very long item") || !utf8.ValidString(got.Text) {
		t.Errorf("cut item: text ends %q, HTML starts %.40q", got.Text[len(got.Text)-40:], got.HTML)
	}
	if small := z.clean(para, nil); !strings.Contains(small.HTML, "<em>some</em>") {
		t.Errorf("a small item lost its markup: %.80q", small.HTML)
	}
}

func TestStripTracking(t *testing.T) {
	tests := map[string]string{
		"https://a.example/p?utm_source=rss&utm_medium=feed":                         "https://a.example/p",
		"https://a.example/p?id=3&fbclid=abc&UTM_Campaign=x&gclid=1#top":             "https://a.example/p?id=3#top",
		"https://a.example/p?mc_eid=1&mc_cid=2&igshid=3&_hsenc=4&ref_src=5&keep=yes": "https://a.example/p?keep=yes",
		"https://a.example/p?q=a%20b":                                                "https://a.example/p?q=a%20b",
	}
	for in, want := range tests {
		if got := stripTracking(in); got != want {
			t.Errorf("%s: got %s, want %s", in, got, want)
		}
	}
}

func TestSchedule(t *testing.T) {
	opts, _ := Options{}.withDefaults()
	s := newScheduler(opts)
	s.jitter = func(int64) int64 { return 0 }
	now := time.Date(2026, 1, 5, 12, 0, 0, 0, time.UTC) // a Monday
	feedWith := func(st tidings.FeedState, iv time.Duration) tidings.Feed {
		return tidings.Feed{Interval: iv, State: st}
	}
	tests := []struct {
		name string
		f    tidings.Feed
		h    hints
		want time.Duration
	}{
		{"default base", feedWith(tidings.FeedState{}, 0), hints{}, time.Hour},
		{"ttl wins", feedWith(tidings.FeedState{BaseInterval: time.Hour}, 0), hints{ttl: 3 * time.Hour}, 3 * time.Hour},
		{"max-age wins", feedWith(tidings.FeedState{BaseInterval: time.Hour}, 0), hints{cache: 5 * time.Hour}, 5 * time.Hour},
		{"clamped to min", feedWith(tidings.FeedState{BaseInterval: time.Minute}, 0), hints{}, 15 * time.Minute},
		{"clamped to max", feedWith(tidings.FeedState{BaseInterval: time.Hour}, 0), hints{period: 7 * 24 * time.Hour}, 24 * time.Hour},
		{"config interval overrides", feedWith(tidings.FeedState{BaseInterval: time.Hour}, 5*time.Minute), hints{ttl: 3 * time.Hour}, 5 * time.Minute},
		{"skip hours", feedWith(tidings.FeedState{BaseInterval: time.Hour, SkipHours: []int{13, 14}}, 0), hints{}, 3 * time.Hour},
		{"skip days", feedWith(tidings.FeedState{BaseInterval: time.Hour, SkipDays: []string{"Monday"}}, 0), hints{}, 12 * time.Hour},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := s.next(tc.f, tc.h, now).Sub(now); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
	// Adaptive base: busy feeds sooner, dormant ones up to the max.
	var busy, dormant tidings.FeedState
	var bd, dd []time.Time
	for i := range 20 {
		bd = append(bd, now.Add(-time.Duration(i)*15*time.Minute))
		dd = append(dd, now.Add(-time.Duration(i+30)*24*time.Hour*3))
	}
	s.adaptBase(&busy, bd, now)
	s.adaptBase(&dormant, dd, now)
	if busy.BaseInterval != 15*time.Minute || dormant.BaseInterval != 24*time.Hour {
		t.Errorf("adaptive base: busy %v (%.1f/day), dormant %v; want 15m and 24h", busy.BaseInterval, busy.ItemsPerDay, dormant.BaseInterval)
	}
	// Backoff: capped and never zero.
	for n := 1; n < 40; n++ {
		d := s.backoff(n, 0, now).Sub(now)
		if d <= 0 || d > opts.MaxBackoff {
			t.Fatalf("backoff after %d errors: %v", n, d)
		}
	}
	if d := s.backoff(1, 6*time.Hour, now).Sub(now); d != 6*time.Hour {
		t.Errorf("retry-after: got %v, want 6h", d)
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 5, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Duration{
		"120": 2 * time.Minute, "Mon, 05 Jan 2026 13:00:00 GMT": time.Hour, "": 0, "soon": 0, "-5": 0,
		"Mon, 05 Jan 2026 11:00:00 GMT": 0,
		// Saturates rather than wrapping around to a small or negative value.
		"99999999999999999": math.MaxInt64,
	} {
		if got := parseRetryAfter(in, now); got != want {
			t.Errorf("%q: got %v, want %v", in, got, want)
		}
	}
}

func TestCacheHintSaturates(t *testing.T) {
	now := time.Date(2026, 1, 5, 12, 0, 0, 0, time.UTC)
	h := http.Header{"Cache-Control": {"public, max-age=99999999999999"}}
	if got := cacheHint(h, now); got != math.MaxInt64 {
		t.Errorf("cacheHint = %v, want the largest duration", got)
	}
}

// TestHugeHintsStillPoll: whatever a server or feed asks for, the next
// check stays within the configured bounds, so no feed is retired by a
// header.
func TestHugeHintsStillPoll(t *testing.T) {
	opts, _ := Options{}.withDefaults()
	s := newScheduler(opts)
	s.jitter = func(int64) int64 { return 0 }
	now := time.Date(2026, 1, 5, 12, 0, 0, 0, time.UTC)
	farFuture := parseRetryAfter("Fri, 31 Dec 9999 23:59:59 GMT", now)
	week := 7 * 24 * time.Hour
	tests := []struct {
		name string
		got  time.Duration
		want time.Duration
	}{
		{"retry-after date in 9999 on a 429", s.backoff(1, farFuture, now).Sub(now), week},
		{"retry-after with a configured interval", s.next(tidings.Feed{Interval: time.Hour}, hints{retryAfter: farFuture}, now).Sub(now), week},
		{"huge max-age and ttl", s.next(tidings.Feed{}, hints{cache: math.MaxInt64, ttl: math.MaxInt64}, now).Sub(now), opts.MaxInterval},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("%s: next check in %v, want %v", tc.name, tc.got, tc.want)
		}
	}
}

func TestCharsets(t *testing.T) {
	tests := []struct {
		file, wantTitle, wantWarn string
	}{
		{"lying_charset.xml", "Café “news”", "charset fixed"},
		{"utf16_bom.xml", "日本語ブログ", "UTF-16LE"},
		{"declared_latin1_is_utf8.xml", "Grüße", "bytes are UTF-8"},
		{"invalid_utf8.xml", "Broken été", "invalid UTF-8"},
		{"rss091.xml", "Old School Weblog", ""},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			pf, err := parseFeed(b, "")
			if err != nil {
				t.Fatal(err)
			}
			if pf.Title != tc.wantTitle {
				t.Errorf("title: got %q, want %q", pf.Title, tc.wantTitle)
			}
			w := strings.Join(pf.Warnings, "; ")
			if tc.wantWarn != "" && !strings.Contains(w, tc.wantWarn) {
				t.Errorf("warnings %q lack %q", w, tc.wantWarn)
			}
		})
	}
	// The HTTP charset is used when the document does not declare one.
	doc := []byte("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>K\xf8benhavn</title></channel></rss>")
	pf, err := parseFeed(doc, "application/rss+xml; charset=ISO-8859-1")
	if err != nil || pf.Title != "København" {
		t.Errorf("http charset: got %q, %v", pf.Title, err)
	}
}

func TestAtomRawIDsAndXMLBase(t *testing.T) {
	b, _ := os.ReadFile("testdata/atom_xmlbase.xml")
	pf, err := parseFeed(b, "")
	if err != nil {
		t.Fatal(err)
	}
	nr := normalize(pf, 1, "", "https://notes.example.com/feed.xml", time.Now())
	want := []struct{ identity, url string }{
		{"Correct Value", "https://notes.example.com/blog/posts/2025/correct-value.html"},
		{"HTTP://Notes.Example.com/Blog/Posts/Upper", "https://notes.example.com/absolute-path/upper"},
		{"urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a", "https://elsewhere.example.net/x?id=7"},
	}
	if len(nr.items) != len(want) {
		t.Fatalf("got %d items, want %d", len(nr.items), len(want))
	}
	for i, w := range want {
		if nr.items[i].item.Identity != w.identity || nr.items[i].item.URL != w.url {
			t.Errorf("item %d: got %q %q, want %q %q", i, nr.items[i].item.Identity, nr.items[i].item.URL, w.identity, w.url)
		}
	}
}

// TestPermalinkGUIDs: an RSS guid that is a URL or a path is the item's
// link unless it says it is not a permalink.
func TestPermalinkGUIDs(t *testing.T) {
	doc := `<rss version="2.0"><channel><title>G</title><link>https://g.example.org/blog/</link>
<item><title>a</title><guid>https://g.example.org/blog/p1</guid></item>
<item><title>b</title><guid isPermaLink="true">/blog/p2</guid></item>
<item><title>c</title><guid isPermaLink="false">https://g.example.org/blog/p3</guid></item>
<item><title>d</title><guid>/blog/p4</guid></item>
<item><title>e</title><guid isPermaLink="true">12345</guid></item>
</channel></rss>`
	pf, err := parseFeed([]byte(doc), "")
	if err != nil {
		t.Fatal(err)
	}
	nr := normalize(pf, 1, "", "https://g.example.org/feed.xml", time.Now())
	want := []string{"https://g.example.org/blog/p1", "https://g.example.org/blog/p2", "", "https://g.example.org/blog/p4", ""}
	for i, w := range want {
		if got := nr.items[i].item.URL; got != w {
			t.Errorf("item %d: URL %q, want %q", i, got, w)
		}
	}
}

// TestHeldSlot: a slot is taken once, released once, and a bounded wait
// gives up without holding one (so a request's timeout is not spent
// waiting), but not when the caller's context ends.
func TestHeldSlot(t *testing.T) {
	ch := make(chan struct{}, 1)
	a := heldSlot{ch: ch}
	if err := a.take(t.Context()); err != nil || !a.held || len(ch) != 1 {
		t.Fatalf("take: %v, held %v, %d in use", err, a.held, len(ch))
	}
	if err := a.take(t.Context()); err != nil || len(ch) != 1 {
		t.Fatalf("second take: %v, %d in use", err, len(ch))
	}
	b := heldSlot{ch: ch}
	if err := b.takeWithin(t.Context(), 10*time.Millisecond); err != nil || b.held {
		t.Fatalf("bounded wait on a full channel: %v, held %v", err, b.held)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := b.takeWithin(ctx, time.Minute); err == nil || b.held {
		t.Fatalf("cancelled wait: %v, held %v", err, b.held)
	}
	a.release()
	a.release()
	if len(ch) != 0 {
		t.Fatalf("after release: %d in use", len(ch))
	}
	if err := b.takeWithin(t.Context(), time.Minute); err != nil || !b.held {
		t.Fatalf("free slot: %v, held %v", err, b.held)
	}
}

func TestPlainTextDetection(t *testing.T) {
	atom := []struct {
		in, typ string
		text    bool
	}{
		{"I <3 cats & dogs", "text", true},
		{"Line one\n\nLine <two>", "", true},
		{"<p>HTML in an untyped summary</p>", "", false},
		{"see <a href=\"/x\">this</a>", "TEXT", false},
		{"a <b> c", "html", false},
		{"<div>x</div>", "xhtml", false},
		{"x < y and <bold claims>", "text/plain", true},
	}
	for _, tc := range atom {
		if got := isAtomText(tc.in, tc.typ); got != tc.text {
			t.Errorf("isAtomText(%q, %q) = %v, want %v", tc.in, tc.typ, got, tc.text)
		}
	}
	rss := []struct {
		in   string
		text bool
	}{
		{"Episode notes:\n\n- one\n- two", true},
		{"AT&T and R&D, I <3 it", true},
		{"<p>Hello</p>", false},
		{"Fish &amp; chips", false}, // escaped twice: HTML
		{"caf&#233;", false},
		{"x <= y", true},
		{"", true},
	}
	for _, tc := range rss {
		if got := isRSSText(tc.in); got != tc.text {
			t.Errorf("isRSSText(%q) = %v, want %v", tc.in, got, tc.text)
		}
	}
}

// TestInspectFile: a saved feed is read under the body cap, gzipped or not.
func TestInspectFile(t *testing.T) {
	dir := t.TempDir()
	doc := []byte(`<?xml version="1.0"?><rss version="2.0"><channel><title>Saved</title><item><guid>a</guid><title>A</title></item></channel></rss>`)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(doc)
	zw.Close()
	plain := filepath.Join(dir, "feed.xml")
	packed := filepath.Join(dir, "feed.xml.gz")
	os.WriteFile(plain, doc, 0o644)
	os.WriteFile(packed, gz.Bytes(), 0o644)
	for _, path := range []string{plain, packed} {
		in, err := Inspect(context.Background(), Options{}, path)
		if err != nil || in.Title != "Saved" || len(in.Items) != 1 {
			t.Errorf("%s: title %q, %d items, %v", filepath.Base(path), in.Title, len(in.Items), err)
		}
	}
	if _, err := Inspect(context.Background(), Options{MaxBody: 64}, plain); err == nil || !strings.Contains(err.Error(), "byte limit") {
		t.Errorf("a file over the cap: %v, want the limit named", err)
	}
}
