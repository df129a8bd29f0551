package feed

import (
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// slowClean is clean without the prepass's fast path: always the allowlist.
func slowClean(z *sanitizer, s string, base *url.URL) string {
	if strings.TrimSpace(s) == "" {
		return ""
	}
	pre, _, _, _ := prepass(s, base, nil)
	var out strings.Builder
	_ = z.policy.SanitizeReaderToWriter(strings.NewReader(pre), &out)
	return strings.TrimSpace(out.String())
}

// TestPlainFastPathMatchesPolicy: the prepass's own output for plain
// fragments is byte for byte what the allowlist writes.
func TestPlainFastPathMatchesPolicy(t *testing.T) {
	z := newSanitizer()
	if fp := z.fast; !fp.plain["p"] || fp.plain["a"] || fp.plain["script"] || !fp.links || !fp.images {
		t.Fatalf("fast path: plain %v, links %v, images %v", fp.plain, fp.links, fp.images)
	}
	base, _ := url.Parse("https://example.org/blog/")
	pieces := []string{
		"<p>", "</p>", "<P>", "</P >", "<p >", "<br>", "<br/>", "</br>", "<em>", "</em>", "<h2>", "</h2>",
		"<ul>", "<li>", "</li>", "</ul>", "<div>", "</div>", "<span>", "</span>", "<pre>", "</pre>",
		"<a>", "</a>", `<a href="/x">`, `<p class="c">`, "<script>", "</script>", "<!-- c -->", "<!doctype html>",
		"<textarea>", "<b>", "</b>", "<foo>", "</foo>", "<blockquote>", "<hr/>", "<table>", "<td>",
		"word ", "two words", " ", "\n", "\r\n", "\t", "&amp;", "&", "&am", "p;", "&lt;", "<", ">", "'", `"`,
		"&#39;", "&nbsp;", "é", "\xff", "\x00", "&copy", "</", "< p>", "<p", "=",
		// Links: kept by the fast path only when the allowlist keeps them
		// exactly so.
		`<a href="https://example.com/x">`, `<a href="http://example.com/a?b=1&amp;c=2#d">`, `<a href="/rel/path">`,
		`<a href="#frag">`, `<a href="//cdn.example.com/x">`, `<a href="javascript:alert(1)">`, `<a href="  JAVASCRIPT:1">`,
		`<a href="https://example.com/a b">`, `<a href="HTTPS://EXAMPLE.COM/">`, `<a href="https://ex.com/é">`,
		`<a href="https://ex.com/%zz">`, `<a href="https://ex.com/%41">`, `<a href="https://ex.com/?q=a+b">`,
		`<a href="https://user:pw@ex.com/">`, `<a href="https://[::1]:8080/">`, `<a href="https://ex.com/'q'">`,
		`<a href="mailto:a@example.com">`, `<a href="https:">`, `<a href="https:///x">`, `<a href=https://ex.com/unquoted>`,
		`<a href="https://ex.com/" title="t">`, `<a title="t" href="https://ex.com/">`, `<a href="https://ex.com/" rel="x">`,
		`<a href="https://ex.com/" target="_self">`, `<a name="n">`, `<A HREF="https://ex.com/">`, `<a href="https://ex.com/"/>`,
		// Images: kept as they are only with src, alt, width, height
		// values the policy keeps.
		`<img src="https://example.com/i.png">`, `<img src="/i.png" alt="A cat, 2 (tabby)">`, `<img src="https://ex.com/i.png" alt="x?">`,
		`<img src="https://ex.com/i.png" width="640" height="50%">`, `<img src="https://ex.com/i.png" width="wide">`,
		`<img src="https://ex.com/i.png" class="wp-image">`, `<img alt="no src">`, `<img src="data:image/png;base64,iVBO">`,
		`<img src="https://ex.com/p.gif" width="1" height="1">`, `<img src="https://ex.com/i.png"/>`, `<IMG SRC="https://ex.com/i.png">`,
		`<img src="https://ex.com/i.png" alt="a" alt="b">`, `<img src="javascript:x">`, `<img src="https://ex.com/i.png" srcset="a 1x">`,
		`<img src="https://feeds.feedburner.com/~r/x/~4/y">`, `<img src="https://ex.com/i.png" alt="">`,
		"</a>", "</A>", "<a>", `<a href="https://ex.com/\x00">`, `<a href="https://ex.com/` + "\t" + `x">`,
	}
	inputs := []string{"<p>Hello &amp; welcome</p>\n<p>Second, \"quoted\" 'para'</p>"}
	r := rand.New(rand.NewPCG(3, 4))
	for range 30000 {
		var b strings.Builder
		for range 1 + r.IntN(14) {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		inputs = append(inputs, b.String())
	}
	files, _ := filepath.Glob("testdata/*.xml")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, string(b))
	}
	fast, fastLinks, fastImages := 0, 0, 0
	for _, s := range inputs {
		_, _, _, safe := prepass(s, base, z.fast)
		if safe != nil {
			fast++
			if strings.Contains(s, "<a href") {
				fastLinks++
			}
			if strings.Contains(s, "<img src") {
				fastImages++
			}
		}
		got, want := z.clean(s, base).HTML, slowClean(z, s, base)
		if got != want {
			t.Fatalf("%q:\n got %q\nwant %q", s, got, want)
		}
	}
	if fast < 1000 || fastLinks < 300 || fastImages < 100 {
		t.Fatalf("only %d of %d inputs took the fast path, %d of them with links, %d with images", fast, len(inputs), fastLinks, fastImages)
	}
}

// scanMatchesTokens fails t when scanPlain accepts s but reads it
// differently from the tokenizer.
func scanMatchesTokens(t *testing.T, z *sanitizer, s string) bool {
	t.Helper()
	base, _ := url.Parse("https://example.org/blog/")
	safe, text, words, ok := scanPlain(s, base, z.fast)
	if !ok {
		return false
	}
	_, wantText, wantWords, wantSafe := tokenPass(s, base, z.fast)
	if wantSafe == nil {
		t.Fatalf("%q: scanPlain accepted what the tokenizer's fast path refuses", s)
	}
	if safe != *wantSafe || text != wantText || words != wantWords {
		t.Fatalf("%q:\n scan   %q %q %d\n tokens %q %q %d", s, safe, text, words, *wantSafe, wantText, wantWords)
	}
	return true
}

// TestScanPlainMatchesTokenPass: the tokenizer-free scan gives the
// tokenizer's results (clean HTML, text, words) wherever it accepts a
// fragment, and accepts the plain ones.
func TestScanPlainMatchesTokenPass(t *testing.T) {
	z := newSanitizer()
	pieces := []string{
		"<p>", "</p>", "<P>", "<p >", "<br>", "<br/>", "</br>", "<br />", "<em>", "</em>", "<h2>", "</h2>", "<h7>",
		"<li>", "</li>", "<ul>", "<pre>", "</pre>", "<a>", "<p class=x>", "<!-- c -->", "<script>", "</script>",
		"word ", "two  words", " ", "\n", "\r\n", "\t", "&amp;", "&", "<", ">", "'", `"`, "é", "\xff", "\x00",
		"\u00a0", "\u2003x", "</", "<>", "< p>", "<p", "=", "/", "<1>", "<-p>", "</p/>", "<p/>",
		`<a href="https://example.com/x">`, `<a href="/rel">`, `<a href="#f">`, `<a href=" https://ex.com/ ">`,
		`<a href="https://ex.com/?a=1&amp;b=2">`, `<a href="javascript:x">`, `<a href="https://ex.com/a b">`,
		`<a href="https://ex.com/é">`, `<a href="https://ex.com/x"/>`, `<a href='https://ex.com/'>`, "</a>", "<a>",
		`<a href="https://ex.com/` + "\n" + `x">`, `<a href="`,
		`<img src="/i.png" alt="A cat, 2 (tabby)">`, `<img src="https://ex.com/i.png" width="640" height="50%">`,
		`<img src="https://ex.com/i.png" class="x">`, `<img src="https://ex.com/p.gif" width="1" height="1">`,
		`<img src="https://ex.com/i.png" alt="x?">`, `<img  src="https://ex.com/i.png">`, `<img src="https://ex.com/i.png"/>`,
		`<img src="https://ex.com/i.png" alt="a&amp;b">`, `<img src='https://ex.com/i.png'>`, `<img src="https://ex.com/i.png" alt=x>`,
		`<img src="https://ex.com/i.png" ALT="A">`, `<img alt="A">`, `<img src="`, `<img >`,
	}
	accepted := 0
	r := rand.New(rand.NewPCG(5, 6))
	for range 50000 {
		var b strings.Builder
		for range 1 + r.IntN(16) {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		if scanMatchesTokens(t, z, b.String()) {
			accepted++
		}
	}
	for _, s := range []string{"<p>One paragraph.</p><p>Two, \"quoted\" and 'single'.</p>", "just text", "<h2>Title</h2>\n<ul><li>a</li><li>b</li></ul>",
		`<p>See <a href="https://example.com/x?a=1">this</a> and <a href="/rel">that</a>.</p>`,
		`<figure><img src="/i.png" alt="A cat" width="640"><figcaption>Cat</figcaption></figure>`} {
		if !scanMatchesTokens(t, z, s) {
			t.Errorf("%q: not accepted", s)
		}
	}
	if accepted < 2000 {
		t.Fatalf("only %d inputs accepted", accepted)
	}
}

func FuzzScanPlain(f *testing.F) {
	z := newSanitizer()
	for _, s := range []string{"<p>a b</p>", "x<br/>y", "<h2>T</h2>\n<p>'q' \"d\" > c</p>", "é\u00a0x", `<p><a href="/x">y</a></p>`, `<p><img src="/i.png" alt="A" width="9"></p>`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { scanMatchesTokens(t, z, s) })
}

// BenchmarkSanitize: the prepass's fast paths against the allowlist on
// article-shaped fragments.
//
//	go test ./feed -run '^$' -bench Sanitize
func BenchmarkSanitize(b *testing.B) {
	para := "The committee met on Tuesday and agreed, after a long debate, to publish the figures next month. "
	link := `<p>As <a href="https://example.org/report">the report</a> shows, <em>most</em> of it holds. ` + para + `</p>`
	img := `<figure><img src="/media/chart.png" alt="Chart of the figures" width="640" height="360"><figcaption>The figures</figcaption></figure>`
	wp := `<figure><img class="wp-image-42" src="/media/chart.png" srcset="/media/chart-2x.png 2x" loading="lazy" alt="Chart"></figure>`
	fragments := map[string]string{
		"plain":     strings.Repeat("<p>"+para+para+"</p>\n", 20),
		"links":     strings.Repeat(link+"\n", 20),
		"images":    strings.Repeat(link+"\n", 10) + img + strings.Repeat(link+"\n", 10),
		"wordpress": strings.Repeat(link+"\n", 10) + wp + strings.Repeat(link+"\n", 10),
	}
	z := newSanitizer()
	base, _ := url.Parse("https://example.org/2026/11/post/")
	for _, name := range []string{"plain", "links", "images", "wordpress"} {
		s := fragments[name]
		b.Run(name+"/prepass", func(b *testing.B) {
			b.SetBytes(int64(len(s)))
			for b.Loop() {
				z.clean(s, base)
			}
		})
		b.Run(name+"/allowlist", func(b *testing.B) {
			b.SetBytes(int64(len(s)))
			for b.Loop() {
				slowClean(z, s, base)
			}
		})
	}
}
