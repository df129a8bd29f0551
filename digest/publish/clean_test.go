package publish

import (
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

func TestCleanText(t *testing.T) {
	for k, s := range hostile {
		got := cleanText(s)
		if !utf8.ValidString(got) {
			t.Errorf("%s: invalid UTF-8 in %q", k, got)
		}
		for _, r := range got {
			if !allowedRune(r) {
				t.Errorf("%s: %U survived", k, r)
			}
		}
	}
	if got := cleanText("a\x00b\x7fc\u0085d\tе"); got != "abcd\tе" {
		t.Errorf("got %q", got)
	}
	if got := oneLine("  a \n b\r\n\tc  "); got != "a b c" {
		t.Errorf("oneLine: got %q", got)
	}
}

func TestCleanHTML(t *testing.T) {
	src, err := os.ReadFile("testdata/article.html")
	if err != nil {
		t.Fatal(err)
	}
	got := cleanHTML(string(src), 3)
	for _, bad := range []string{"<script", "<iframe", "javascript:", "onclick", "style=", `id="main"`, "class=", "<h1", "<h2"} {
		if strings.Contains(got, bad) {
			t.Errorf("output contains %q:\n%s", bad, got)
		}
	}
	for _, want := range []string{"<h3>Intro</h3>", "<h4>Skipped levels</h4>", `alt=""`, `aria-label="link to https://x.example/"`,
		`<a href="https://ok.example/">good</a>`, "<b>bold <i>italic\n</i></b></p>"} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	// Whatever the article leaves open is closed: the page after it is safe.
	if strings.Count(got, "<b>") != strings.Count(got, "</b>") || strings.Count(got, "<p>") != strings.Count(got, "</p>") {
		t.Errorf("unbalanced output:\n%s", got)
	}
}

func FuzzCleanHTML(f *testing.F) {
	if src, err := os.ReadFile("testdata/article.html"); err == nil {
		f.Add(string(src))
	}
	for _, s := range hostile {
		f.Add("<p>" + s + "</p>")
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := cleanHTML(s, 3)
		if !utf8.ValidString(got) {
			t.Fatalf("invalid UTF-8: %q", got)
		}
		for _, r := range got {
			if !allowedRune(r) {
				t.Fatalf("%U in output", r)
			}
		}
		// Read the output as a browser would: no active element, handler
		// attribute or script URL may appear.
		ctx := &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div}
		nodes, err := html.ParseFragment(strings.NewReader(got), ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range nodes {
			walk(n, func(n *html.Node) {
				if n.Type != html.ElementNode {
					return
				}
				if dropElements[n.DataAtom] {
					t.Fatalf("<%s> survived: %q -> %q", n.Data, s, got)
				}
				for _, a := range n.Attr {
					if strings.HasPrefix(strings.ToLower(a.Key), "on") || !safeURL(a.Val, true) && (a.Key == "href" || a.Key == "src") {
						t.Fatalf("attribute %s=%q survived: %q -> %q", a.Key, a.Val, s, got)
					}
				}
			})
		}
	})
}
