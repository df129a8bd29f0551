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
		{"hand_edited.opml", []tidings.Feed{
			{URL: "https://a.example.com/feed?x=1&y=2", Title: "Feed A", Section: "Tech"},
			{URL: "https://b.example.com/rss", Title: "Feed B", Section: "Tech / Go"},
			{URL: "http://c.example.com/atom.xml", Title: "Old Safari link", Section: "News"},
			{URL: "https://d.example.com/index.xml", Title: "Url attribute", Section: "News"},
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
			in, err := feed.ParseOPML(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			got := in.Feeds
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
			backFile, err := feed.ParseOPML(&buf)
			if err != nil {
				t.Fatalf("read back: %v\n%s", err, buf.String())
			}
			back := backFile.Feeds
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

// TestOPMLSkipped: what an import leaves out is said, entry by entry.
func TestOPMLSkipped(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "opml", "hand_edited.opml"))
	if err != nil {
		t.Fatal(err)
	}
	in, err := feed.ParseOPML(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`"Feed A again" (https://a.example.com/feed?x=1&y=2): listed again in "News"; kept in "Tech"`,
		`"Pasted script" (javascript:alert(1)): not an http(s) URL`,
		`"Local file" (file:///etc/passwd): not an http(s) URL`,
	}
	if !slices.Equal(in.Skipped, want) {
		t.Errorf("skipped:\n%s\nwant:\n%s", strings.Join(in.Skipped, "\n"), strings.Join(want, "\n"))
	}
}

// TestOPMLExportFolders: a section from nested folders is written as one
// folder of that name, which single-level readers keep and Tidings reads
// back as the same section.
func TestOPMLExportFolders(t *testing.T) {
	feeds := []tidings.Feed{
		{URL: "https://a.example/rss", Title: "A", Section: "Tech"},
		{URL: "https://b.example/rss", Title: "B", Section: "Tech / Go"},
		{URL: "https://c.example/rss", Title: "C"},
	}
	var buf bytes.Buffer
	if err := feed.WriteOPML(&buf, "t", feeds); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `<outline text="Tech / Go" title="Tech / Go">`) {
		t.Errorf("want a folder named \"Tech / Go\":\n%s", buf.String())
	}
	back, err := feed.ParseOPML(&buf)
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range back.Feeds {
		if f.URL != feeds[i].URL || f.Section != feeds[i].Section {
			t.Errorf("feed %d read back as %s in %q, want %s in %q", i, f.URL, f.Section, feeds[i].URL, feeds[i].Section)
		}
	}
}

func TestDiscover(t *testing.T) {
	html := func(head, body string) reply {
		return reply{header: map[string]string{"Content-Type": "text/html"}, body: "<!doctype html><html><head><title>Site</title>" + head + "</head><body>" + body + "</body></html>"}
	}
	tests := []struct {
		name   string
		routes map[string][]reply
		start  string
		want   []string // paths; nil: an error
	}{
		{
			name: "announced feeds in page order, comments last",
			routes: map[string][]reply{"/": {html(`
<link rel="alternate" type="application/rss+xml" title="Site &raquo; Comments Feed" href="/comments/feed/">
<link rel="alternate" type="application/rss+xml" title="RSS" href="/feed.xml">
<link rel="alternate" type="application/atom+xml" href="{base}/atom.xml">
<link rel="alternate" type="application/feed+json" href="feed.json">
<link rel="stylesheet" href="/style.css">
<link rel="alternate" hreflang="de" href="/de/">`, `<a href="/other.xml">x</a>`)}},
			start: "/",
			want:  []string{"/feed.xml", "/atom.xml", "/feed.json", "/comments/feed/"},
		},
		{
			name:   "relative links against <base href>",
			routes: map[string][]reply{"/blog/post": {html(`<base href="/blog/"><link rel="alternate" type="application/rss+xml" href="rss.xml">`, "")}},
			start:  "/blog/post",
			want:   []string{"/blog/rss.xml"},
		},
		{
			name:   "a feed URL is itself",
			routes: map[string][]reply{"/feed.xml": {{body: rssDoc()}}},
			start:  "/feed.xml",
			want:   []string{"/feed.xml"},
		},
		{
			name: "no announcement: a feed link in the body",
			routes: map[string][]reply{
				"/":                {html("", `<a href="/about">About</a> <a href="https://elsewhere.example/feed.xml">theirs</a> <a href="/posts/index.xml">RSS</a>`)},
				"/posts/index.xml": {{body: rssDoc()}},
			},
			start: "/",
			want:  []string{"/posts/index.xml"},
		},
		{
			name: "no announcement: the blog's usual feed path",
			routes: map[string][]reply{
				"/blog/":         {html("", "no links")},
				"/blog/feed":     {{status: 404}},
				"/blog/atom.xml": {{body: `<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>A</title></feed>`}},
			},
			start: "/blog/",
			want:  []string{"/blog/atom.xml"},
		},
		{
			name: "a usual path that answers HTML is no feed",
			routes: map[string][]reply{
				"/":     {html("", "no links")},
				"/feed": {html("", "a page, not a feed")},
			},
			start: "/",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fm := newFarm(t, tc.routes)
			got, err := feed.Discover(context.Background(), feed.Options{AllowNetworks: loopback}, fm.url(tc.start))
			if tc.want == nil {
				if err == nil {
					t.Fatalf("found %v, want an error", got)
				}
				fm.mu.Lock()
				probes := 0
				for _, n := range fm.hits {
					probes += n
				}
				fm.mu.Unlock()
				if probes > 11 {
					t.Errorf("%d requests; discovery must stay within the page and 10 probes", probes)
				}
				return
			}
			var want []string
			for _, p := range tc.want {
				want = append(want, fm.url(p))
			}
			if err != nil || !slices.Equal(got, want) {
				t.Errorf("got %v, %v; want %v", got, err, want)
			}
		})
	}
}
