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
	if !z.plain["p"] || z.plain["a"] || z.plain["script"] {
		t.Fatalf("plain set: %v", z.plain)
	}
	base, _ := url.Parse("https://example.org/blog/")
	pieces := []string{
		"<p>", "</p>", "<P>", "</P >", "<p >", "<br>", "<br/>", "</br>", "<em>", "</em>", "<h2>", "</h2>",
		"<ul>", "<li>", "</li>", "</ul>", "<div>", "</div>", "<span>", "</span>", "<pre>", "</pre>",
		"<a>", "</a>", `<a href="/x">`, `<p class="c">`, "<script>", "</script>", "<!-- c -->", "<!doctype html>",
		"<textarea>", "<b>", "</b>", "<foo>", "</foo>", "<blockquote>", "<hr/>", "<table>", "<td>",
		"word ", "two words", " ", "\n", "\r\n", "\t", "&amp;", "&", "&am", "p;", "&lt;", "<", ">", "'", `"`,
		"&#39;", "&nbsp;", "é", "\xff", "\x00", "&copy", "</", "< p>", "<p", "=",
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
	fast := 0
	for _, s := range inputs {
		_, _, _, safe := prepass(s, base, z.plain)
		if safe != nil {
			fast++
		}
		got, want := z.clean(s, base).HTML, slowClean(z, s, base)
		if got != want {
			t.Fatalf("%q:\n got %q\nwant %q", s, got, want)
		}
	}
	if fast < 1000 {
		t.Fatalf("only %d of %d inputs took the fast path", fast, len(inputs))
	}
}

// scanMatchesTokens fails t when scanPlain accepts s but reads it
// differently from the tokenizer.
func scanMatchesTokens(t *testing.T, z *sanitizer, s string) bool {
	t.Helper()
	safe, text, words, ok := scanPlain(s, z.plain)
	if !ok {
		return false
	}
	_, wantText, wantWords, wantSafe := tokenPass(s, nil, z.plain)
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
	for _, s := range []string{"<p>One paragraph.</p><p>Two, \"quoted\" and 'single'.</p>", "just text", "<h2>Title</h2>\n<ul><li>a</li><li>b</li></ul>"} {
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
	for _, s := range []string{"<p>a b</p>", "x<br/>y", "<h2>T</h2>\n<p>'q' \"d\" > c</p>", "é\u00a0x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { scanMatchesTokens(t, z, s) })
}
