package feed

import (
	"bytes"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/net/html"
)

func seedFiles(f *testing.F, patterns ...string) [][]byte {
	var out [][]byte
	for _, p := range patterns {
		m, _ := filepath.Glob(filepath.Join("testdata", p))
		for _, path := range m {
			b, err := os.ReadFile(path)
			if err != nil {
				f.Fatal(err)
			}
			out = append(out, b)
		}
	}
	return out
}

// FuzzParse runs the whole document path: charset, parse, normalize,
// sanitize. It must never panic, and what comes out must be clean.
func FuzzParse(f *testing.F) {
	for _, b := range seedFiles(f, "*.xml", "*.json") {
		f.Add(b, "")
	}
	f.Add([]byte(`<rss><channel><item><guid>a</guid></item></channel></rss>`), "text/xml; charset=koi8-r")
	z := newSanitizer()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, body []byte, ct string) {
		pf, err := parseFeed(body, ct)
		if err != nil {
			return
		}
		nr := normalize(pf, 1, "", "https://example.org/feed", now)
		seen := map[string]bool{}
		for _, n := range nr.items {
			it := n.item
			if it.Identity == "" {
				t.Fatalf("empty identity for %+v", it)
			}
			if seen[it.Identity] {
				t.Fatalf("duplicate identity %q", it.Identity)
			}
			seen[it.Identity] = true
			if it.Published.After(now.Add(futureSlack)) {
				t.Fatalf("future date kept: %v", it.Published)
			}
			c := z.clean(n.content, n.base)
			if !utf8.ValidString(c.HTML) || !utf8.ValidString(it.Title) {
				t.Fatalf("invalid UTF-8 out")
			}
			assertClean(t, c.HTML)
		}
		if _, err := json.Marshal(nr.items[:0]); err != nil {
			t.Fatal(err)
		}
	})
}

func assertClean(t *testing.T, out string) {
	t.Helper()
	z := html.NewTokenizer(strings.NewReader(out))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		tok := z.Token()
		switch tok.Data {
		case "script", "style", "form", "input", "object", "embed", "textarea":
			t.Fatalf("sanitized output has <%s>: %s", tok.Data, out)
		}
		for _, a := range tok.Attr {
			v := strings.ToLower(strings.TrimSpace(a.Val))
			switch {
			case strings.HasPrefix(a.Key, "on"), a.Key == "style":
				t.Fatalf("sanitized output has %s=: %s", a.Key, out)
			case strings.HasPrefix(v, "javascript:"), strings.HasPrefix(v, "vbscript:"):
				t.Fatalf("sanitized output has a script URL: %s", out)
			case strings.HasPrefix(v, "data:") && !(tok.Data == "img" && a.Key == "src" && strings.HasPrefix(v, "data:image/")):
				t.Fatalf("sanitized output has a data URL outside an image: %s", out)
			}
		}
	}
}

// FuzzSanitize feeds arbitrary HTML to the sanitizer.
func FuzzSanitize(f *testing.F) {
	for _, s := range []string{
		`<p onclick="x">a<script>b</script></p>`, `<a href="javascript:alert(1)">x</a>`,
		`<img src=x onerror=alert(1)>`, `<iframe src="https://www.youtube.com/embed/x"></iframe>`,
		`<svg><script>1</script></svg>`, `<a href="  JAVASCRIPT:1">`, `<style>*{}</style><p style="x">`,
		`<p>See <a href="https://example.com/a?b=1&amp;c=2">this</a> and <a href="/rel">that</a>.</p>`,
		`<figure><img src="/i.png" alt="A cat, 2 (tabby)" width="640" height="50%"><figcaption>Cat</figcaption></figure>`,
	} {
		f.Add(s)
	}
	for _, b := range seedFiles(f, "*.xml") {
		f.Add(string(b))
	}
	z := newSanitizer()
	base, _ := urlParse("https://example.org/a/b")
	f.Fuzz(func(t *testing.T, in string) {
		c := z.clean(in, base)
		assertClean(t, c.HTML)
		if slow := slowClean(z, in, base); c.HTML != slow {
			t.Fatalf("fast path %q, allowlist %q", c.HTML, slow)
		}
		// Sanitizing is idempotent on its own output.
		if again := z.clean(c.HTML, base); again.Text != c.Text && !bytes.Equal([]byte(strings.Join(strings.Fields(again.Text), " ")), []byte(strings.Join(strings.Fields(c.Text), " "))) {
			t.Fatalf("text changed on re-sanitizing: %q vs %q", c.Text, again.Text)
		}
	})
}

// FuzzParseDate: never panics, never returns absurd dates.
func FuzzParseDate(f *testing.F) {
	for _, s := range []string{
		"Mon, 02 Jan 2006 15:04:05 MEST", "January 24, 2025 3:04 PM ET", "Tue, 02 Dec 2025 10:00:00 GMT-01:01",
		"2025-11", "20251130T101500Z", "29 novembre 2025 08:30 +0100", "Mi, 03 Dez 2025 10:00:00 +0100",
	} {
		f.Add(s)
	}
	for _, b := range seedFiles(f, "dates_mixed.xml") {
		for _, part := range strings.Split(string(b), "<pubDate>")[1:] {
			d, _, _ := strings.Cut(part, "</pubDate>")
			f.Add(d)
		}
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, ok := ParseDate(s)
		if ok && (d.Year() < -1 || d.Year() > 10001) {
			t.Fatalf("%q: absurd date %v", s, d)
		}
	})
}

func urlParse(s string) (*url.URL, error) { return url.Parse(s) }

// FuzzOPML: subscription files come from other programs.
func FuzzOPML(f *testing.F) {
	for _, b := range seedFiles(f, "opml/*") {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		in, err := ParseOPML(bytes.NewReader(b))
		if err != nil {
			return
		}
		for _, f := range in.Feeds {
			if u, err := url.Parse(f.URL); err != nil || u.Scheme != "http" && u.Scheme != "https" {
				t.Fatalf("kept a feed URL no poller may fetch: %q", f.URL)
			}
		}
		var buf bytes.Buffer
		if err := WriteOPML(&buf, "t", in.Feeds); err != nil {
			t.Fatal(err)
		}
		back, err := ParseOPML(&buf)
		if err != nil {
			t.Fatalf("own output unreadable: %v", err)
		}
		if len(back.Feeds) != len(in.Feeds) || len(back.Skipped) != 0 {
			t.Fatalf("round trip: %d feeds (%d skipped), want %d", len(back.Feeds), len(back.Skipped), len(in.Feeds))
		}
		sections := map[string]string{}
		for _, f := range in.Feeds {
			sections[f.URL] = f.Section
		}
		for _, f := range back.Feeds {
			if sections[f.URL] != f.Section {
				t.Fatalf("round trip: %s in section %q came back in %q", f.URL, sections[f.URL], f.Section)
			}
		}
	})
}
