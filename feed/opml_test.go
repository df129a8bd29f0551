package feed_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tidings/tidings"
	"github.com/tidings/tidings/feed"
)

func TestOPML(t *testing.T) {
	tests := []struct {
		file string
		want []tidings.Feed // URL, Title, Section
	}{
		{"feedly.opml", []tidings.Feed{
			{URL: "https://blog.example.org/feed/", Title: "Kitchen Table Engineering", Section: "Tech"},
			{URL: "https://science.example.edu/rss", Title: "Lab News", Section: "Tech"},
			{URL: "https://micro.example.com/feed.json", Title: "Micro Notes", Section: "News & Politics"},
		}},
		{"inoreader.xml", []tidings.Feed{
			{URL: "https://podcast.example.fm/rss", Title: "Garden Talk", Section: "Podcasts"},
			{URL: "http://oldschool.example.com/rss.xml", Title: "Old School Weblog"},
		}},
		{"miniflux.opml", []tidings.Feed{
			{URL: "https://notes.example.com/blog/atom.xml", Title: "Field Notes", Section: "All"},
			{URL: "https://blog.example.org/feed/", Title: "Kitchen Table Engineering", Section: "Engineering"},
		}},
		{"netnewswire.opml", []tidings.Feed{
			{URL: "https://daring.example.net/feeds/main", Title: "Daring Stuff"},
			{URL: "https://legacy.example.org/atom.xml", Title: "Legacy Atom", Section: "Reading / Deep"},
			{URL: "https://tagged.example.org/feed", Title: "Tagged", Section: "Reading"},
			{URL: "https://cat.example.org/feed", Title: "Categorized", Section: "Science / Space"},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata", "opml", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			got, err := feed.ParseOPML(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			check := func(label string, got []tidings.Feed) {
				if len(got) != len(tc.want) {
					t.Fatalf("%s: got %d feeds, want %d: %+v", label, len(got), len(tc.want), got)
				}
				for i, w := range tc.want {
					g := got[i]
					if g.URL != w.URL || g.Title != w.Title || g.Section != w.Section {
						t.Errorf("%s feed %d: got %q %q %q, want %q %q %q", label, i, g.URL, g.Title, g.Section, w.URL, w.Title, w.Section)
					}
				}
			}
			check("parse", got)
			// Round trip: write and read back, same feeds and sections
			// (writing groups feeds by section, so compare as sets).
			var buf bytes.Buffer
			if err := feed.WriteOPML(&buf, "Tidings", got); err != nil {
				t.Fatal(err)
			}
			back, err := feed.ParseOPML(&buf)
			if err != nil {
				t.Fatalf("read back: %v\n%s", err, buf.String())
			}
			key := func(f tidings.Feed) string { return f.URL + "|" + f.Title + "|" + f.Section }
			var a, b2 []string
			for _, f := range got {
				a = append(a, key(f))
			}
			for _, f := range back {
				b2 = append(b2, key(f))
			}
			slices.Sort(a)
			slices.Sort(b2)
			if !slices.Equal(a, b2) {
				t.Errorf("round trip: got %v, want %v", b2, a)
			}
		})
	}
	if _, err := feed.ParseOPML(strings.NewReader("not xml at all <")); err == nil {
		t.Error("garbage parsed without error")
	}
}

func TestDiscover(t *testing.T) {
	page := `<!doctype html><html><head><title>Site</title>
<link rel="alternate" type="application/rss+xml" title="RSS" href="/feed.xml">
<link rel="alternate" type="application/atom+xml" href="{base}/atom.xml">
<link rel="alternate" type="application/feed+json" href="feed.json">
<link rel="stylesheet" href="/style.css">
<link rel="alternate" hreflang="de" href="/de/">
</head><body><a href="/other.xml">x</a></body></html>`
	fm := newFarm(t, map[string][]reply{
		"/":         {{header: map[string]string{"Content-Type": "text/html"}, body: page}},
		"/feed.xml": {{body: rssDoc()}},
		"/bare":     {{header: map[string]string{"Content-Type": "text/html"}, body: "<html><head></head><body>none</body></html>"}},
	})
	opts := feed.Options{AllowNetworks: loopback}
	got, err := feed.Discover(context.Background(), opts, fm.url("/"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{fm.url("/feed.xml"), fm.url("/atom.xml"), fm.url("/feed.json")}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	got, err = feed.Discover(context.Background(), opts, fm.url("/feed.xml"))
	if err != nil || !slices.Equal(got, []string{fm.url("/feed.xml")}) {
		t.Errorf("a feed URL: got %v, %v", got, err)
	}
	if _, err := feed.Discover(context.Background(), opts, fm.url("/bare")); err == nil {
		t.Error("page without feeds: no error")
	}
}
