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
	pre, _, _, _ := prepass(s, base, nil, false)
	var out strings.Builder
	_ = z.policy.SanitizeReaderToWriter(strings.NewReader(pre), &out)
	return strings.TrimSpace(out.String())
}

// TestPlainFastPathMatchesPolicy: the prepass's own output for plain
// fragments is byte for byte what the allowlist writes.
func TestPlainFastPathMatchesPolicy(t *testing.T) {
	z := newSanitizer()
	if !z.plain["p"] || z.plain["a"] || z.plain["script"] || !z.links {
		t.Fatalf("plain set: %v, links %v", z.plain, z.links)
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
	fast, fastLinks := 0, 0
	for _, s := range inputs {
		_, _, _, safe := prepass(s, base, z.plain, z.links)
		if safe != nil {
			fast++
			if strings.Contains(s, "<a href") {
				fastLinks++
			}
		}
		got, want := z.clean(s, base).HTML, slowClean(z, s, base)
		if got != want {
			t.Fatalf("%q:\n got %q\nwant %q", s, got, want)
		}
	}
	if fast < 1000 || fastLinks < 300 {
		t.Fatalf("only %d of %d inputs took the fast path, %d of them with links", fast, len(inputs), fastLinks)
	}
}

// scanMatchesTokens fails t when scanPlain accepts s but reads it
// differently from the tokenizer.
func scanMatchesTokens(t *testing.T, z *sanitizer, s string) bool {
	t.Helper()
	base, _ := url.Parse("https://example.org/blog/")
	safe, text, words, ok := scanPlain(s, base, z.plain, z.links)
	if !ok {
		return false
	}
	_, wantText, wantWords, wantSafe := tokenPass(s, base, z.plain, z.links)
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
		`<p>See <a href="https://example.com/x?a=1">this</a> and <a href="/rel">that</a>.</p>`} {
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
	for _, s := range []string{"<p>a b</p>", "x<br/>y", "<h2>T</h2>\n<p>'q' \"d\" > c</p>", "é\u00a0x", `<p><a href="/x">y</a></p>`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { scanMatchesTokens(t, z, s) })
}
