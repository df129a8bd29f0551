package publish

import (
	"github.com/tidings/tidings"

	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// TestPagesStructure checks what every page must carry, beyond what axe
// checks in the browser test: lang, feed autodiscovery, Open Graph, a skip
// link to main, one h1, no script and no inline style.
func TestPagesStructure(t *testing.T) {
	in := sampleInput(2, 4)
	in.Lang = "en-GB"
	dir := publishInput(t, in)
	pages := []string{"index.html", "daily/index.html", "daily/1/index.html", "daily/archive.html", "sources.html",
		"items/" + in.Editions["daily"][0].Sections[0].Entries[0].ItemID + ".html"}
	for _, p := range pages {
		t.Run(p, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join(dir, p))
			if err != nil {
				t.Fatal(err)
			}
			doc, err := html.Parse(strings.NewReader(string(b)))
			if err != nil {
				t.Fatal(err)
			}
			counts := map[string]int{}
			var lang string
			walk(doc, func(n *html.Node) {
				if n.Type != html.ElementNode {
					return
				}
				counts[n.Data]++
				attr := func(k string) string {
					for _, a := range n.Attr {
						if a.Key == k {
							return a.Val
						}
					}
					return ""
				}
				switch {
				case n.Data == "html":
					lang = attr("lang")
				case n.Data == "link" && attr("rel") == "alternate":
					counts["alternate"]++
					if !strings.HasPrefix(attr("href"), testBase) {
						t.Errorf("alternate href %q is not absolute", attr("href"))
					}
				case n.Data == "meta" && strings.HasPrefix(attr("property"), "og:"):
					counts[attr("property")]++
				case n.Data == "a" && attr("class") == "skip":
					if attr("href") != "#main" {
						t.Errorf("skip link to %q", attr("href"))
					}
					counts["skip"]++
				case n.Data == "main" && attr("id") == "main":
					counts["main#main"]++
				}
				if attr("style") != "" {
					t.Errorf("inline style on <%s>", n.Data)
				}
			})
			if lang != "en-GB" {
				t.Errorf("lang: got %q, want en-GB", lang)
			}
			for _, k := range []string{"alternate", "og:title", "og:type", "og:url", "og:site_name", "skip", "main#main", "nav", "header", "footer"} {
				if counts[k] == 0 {
					t.Errorf("no %s", k)
				}
			}
			if counts["h1"] != 1 {
				t.Errorf("%d h1 elements, want 1", counts["h1"])
			}
			if counts["script"] != 0 {
				t.Errorf("%d scripts", counts["script"])
			}
		})
	}
}

func TestItemPageParts(t *testing.T) {
	in := sampleInput(1, 4)
	dir := publishInput(t, in)
	for _, s := range in.Editions["daily"][0].Sections {
		for _, e := range s.Entries {
			b, err := os.ReadFile(filepath.Join(dir, "items", e.ItemID+".html"))
			if err != nil {
				t.Fatal(err)
			}
			page := string(b)
			wants := []string{"TL;DR:", ">Deep Dive</h3>", ">Decoder</h3>", ">Original Article</h2>", `href="` + e.URL + `"`}
			// The story's own feed is not "also" covering it.
			if others := alsoCoveredBy(e); len(others) > 0 {
				wants = append(wants, ">Also covered by</h2>")
			} else if strings.Contains(page, ">Also covered by</h2>") {
				t.Errorf("%s: lists only its own feed under Also covered by", e.ItemID)
			}
			if e.ContentHTML == "" {
				wants = append(wants, fallbackText)
			} else {
				wants = append(wants, "<h3>Details</h3>")
			}
			for _, w := range wants {
				if !strings.Contains(page, w) {
					t.Errorf("%s: lacks %q", e.ItemID, w)
				}
			}
		}
	}
}

func TestTemplateOverride(t *testing.T) {
	tpl := t.TempDir()
	os.WriteFile(filepath.Join(tpl, "style.css"), []byte("body{color:red}"), 0o644)
	os.WriteFile(filepath.Join(tpl, "archive.html"), []byte(`{{define "main"}}<h1>Custom archive</h1>{{end}}`), 0o644)
	dir := t.TempDir()
	p := newPublisher(t, dir)
	p.TemplatesDir = tpl
	if _, err := p.Publish(context.Background(), sampleInput(1, 2)); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "style.css")); string(b) != "body{color:red}" {
		t.Errorf("style.css: got %q", b)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "daily", "archive.html")); !strings.Contains(string(b), "<h1>Custom archive</h1>") {
		t.Errorf("archive not overridden")
	}
	os.WriteFile(filepath.Join(tpl, "item.html"), []byte(`{{define "main"}}{{.Nope}}{{end}}`), 0o644)
	if _, err := p.Publish(context.Background(), sampleInput(1, 2)); err == nil || !strings.Contains(err.Error(), "item") {
		t.Errorf("broken template: got %v, want an error naming the item page", err)
	}
}

func TestPublishRejects(t *testing.T) {
	cases := []struct {
		name string
		p    Publisher
		in   Input
	}{
		{"no base", Publisher{Dir: t.TempDir()}, sampleInput(1, 1)},
		{"relative base", Publisher{Dir: t.TempDir(), BaseURL: "/x/"}, sampleInput(1, 1)},
		{"no dir", Publisher{BaseURL: testBase}, sampleInput(1, 1)},
		{"bad digest name", Publisher{Dir: t.TempDir(), BaseURL: testBase}, Input{Digests: []DigestInfo{{Name: "../x"}}}},
		{"reserved digest name", Publisher{Dir: t.TempDir(), BaseURL: testBase}, Input{Digests: []DigestInfo{{Name: "items"}}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := c.p.Publish(context.Background(), c.in); err == nil {
				t.Error("no error")
			}
		})
	}
}

func TestAlsoCoveredBy(t *testing.T) {
	own := tidings.Source{Title: "Blog", URL: "https://blog.example.org/a"}
	other := tidings.Source{Title: "Aggregator", URL: "https://agg.example.net/a"}
	tests := []struct {
		name    string
		entry   tidings.Entry
		wantLen int
	}{
		{"only its own feed", tidings.Entry{FeedTitle: "Blog", URL: own.URL, Sources: []tidings.Source{own}}, 0},
		{"own feed and another", tidings.Entry{FeedTitle: "Blog", URL: own.URL, Sources: []tidings.Source{own, other}}, 1},
		{"first source is not its own", tidings.Entry{FeedTitle: "Blog", URL: own.URL, Sources: []tidings.Source{other}}, 1},
		{"no sources", tidings.Entry{FeedTitle: "Blog"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := alsoCoveredBy(tt.entry); len(got) != tt.wantLen {
				t.Errorf("got %v, want %d sources", got, tt.wantLen)
			}
		})
	}
}

// FuzzSafeID checks safeID against the expression it replaces.
func FuzzSafeID(f *testing.F) {
	re := regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	for _, s := range []string{"", "a", "Item-1_x", strings.Repeat("z", 64), strings.Repeat("z", 65),
		"a b", "a/b", "a.b", "../x", "é", "a\n", "\x00", "ab\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := safeID(s), re.MatchString(s); got != want {
			t.Errorf("safeID(%q) = %v, want %v", s, got, want)
		}
	})
}
