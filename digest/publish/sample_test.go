package publish

import (
	"fmt"
	"strings"
	"time"

	"github.com/tidings/tidings"
)

var t0 = time.Date(2026, 11, 1, 7, 0, 0, 0, time.UTC)

// sampleEntry builds a realistic entry; i makes it unique.
func sampleEntry(i int) tidings.Entry {
	id := tidings.ItemID(uint64(i%7+1), fmt.Sprintf("https://blog%d.example.org/post/%d", i%7, i))
	e := tidings.Entry{
		ItemID:    id,
		Title:     fmt.Sprintf("Story %d: Postgres 18 ships asynchronous I/O", i),
		URL:       fmt.Sprintf("https://blog%d.example.org/post/%d", i%7, i),
		Authors:   []string{"Ada Lovelace"},
		FeedTitle: fmt.Sprintf("Blog %d", i%7),
		Published: t0.Add(time.Duration(i) * time.Hour),
		FirstSeen: t0.Add(time.Duration(i)*time.Hour + time.Minute),
		Summary: tidings.Summary{
			TLDR:      fmt.Sprintf("Postgres 18 reads up to %d%% faster thanks to io_uring-based asynchronous I/O.", 20+i%50),
			KeyPoints: []string{"Async I/O uses io_uring on Linux", "Sequential scans gain the most", fmt.Sprintf("Benchmarks show %d ms p99", 3+i%9)},
			Glossary:  []tidings.Term{{Term: "io_uring", Definition: "Linux interface for asynchronous system calls"}},
		},
		ContentHTML: fmt.Sprintf("<p>Paragraph one of story %d.</p><h2>Details</h2><p>More <a href=\"https://example.org/x\">text</a> with <code>code</code>.</p><blockquote>Quote</blockquote>", i),
		Text:        fmt.Sprintf("Paragraph one of story %d.\n\nDetails\n\nMore text with code.", i),
		Sources:     []tidings.Source{{Title: fmt.Sprintf("Blog %d", i%7), URL: fmt.Sprintf("https://blog%d.example.org/post/%d", i%7, i)}},
		Score:       float64(i%10) + 0.5,
		Why:         "covered by 1 feed; fresh",
	}
	if i%5 == 0 {
		e.Kind = "GitHub Repo"
	}
	if i%4 == 3 {
		e.ContentHTML, e.Text = "", ""
	}
	return e
}

// sampleEdition builds edition n of digest with per entries in up to three
// sections, numbered from base.
func sampleEdition(digest string, n, per, base int) tidings.Edition {
	names := []string{"Engineering", "AI", "Data"}
	e := tidings.Edition{Digest: digest, Number: n, Title: fmt.Sprintf("Daily Tidings #%d", n),
		Slot: t0.Add(time.Duration(n) * 24 * time.Hour), Built: t0.Add(time.Duration(n)*24*time.Hour + time.Minute)}
	e.From, e.To = e.Slot.Add(-24*time.Hour), e.Slot
	for k := 0; k < per; k++ {
		si := k % len(names)
		for len(e.Sections) <= si {
			e.Sections = append(e.Sections, tidings.Section{Name: names[len(e.Sections)]})
		}
		e.Sections[si].Entries = append(e.Sections[si].Entries, sampleEntry(base+k))
	}
	return e
}

func sampleInput(editions, per int) Input {
	in := Input{Title: "Tidings", Lang: "en",
		Digests:  []DigestInfo{{Name: "daily", Title: "Daily Tidings", Description: "The best of the day.", Schedule: "0 7 * * *", TTL: 6 * time.Hour}},
		Editions: map[string][]tidings.Edition{},
		Feeds: []tidings.Feed{
			{ID: 1, URL: "https://blog0.example.org/feed.xml", Title: "Blog 0", SiteURL: "https://blog0.example.org/", Section: "Engineering",
				State: tidings.FeedState{LastCheck: t0, LastSuccess: t0}},
			{ID: 2, URL: "https://down.example.org/rss", Title: "Down & Out", Section: "AI",
				State: tidings.FeedState{LastCheck: t0, ErrorCount: 3, LastError: "http 503", ErrorKind: "http"}},
		},
		OPML: []byte(`<?xml version="1.0"?><opml version="2.0"><head><title>Tidings</title></head><body><outline type="rss" text="Blog 0" xmlUrl="https://blog0.example.org/feed.xml"/></body></opml>` + "\n"),
	}
	for n := 1; n <= editions; n++ {
		in.Editions["daily"] = append(in.Editions["daily"], sampleEdition("daily", n, per, (n-1)*per))
	}
	return in
}

// hostile strings that must not break any output.
var hostile = map[string]string{
	"control":   "bell\x07 null\x00 esc\x1b vt\x0b del\x7f c1\u0085\u009f",
	"invalid":   "bad \xff\xfe utf8 \xc3\x28 end",
	"cdata":     "ends ]]> here ]]]]><![CDATA[>",
	"amp":       "AT&T & R&D &amp; &#x; &bogus",
	"emoji":     "Rocket 🚀 family 👨‍👩‍👧 flag 🇺🇦",
	"rtl":       "مرحبا بالعالم \u202e reversed \u202c שלום",
	"markup":    "<script>alert(1)</script><b>bold</b> *md* _x_ [link](javascript:alert(1)) # head",
	"newlines":  "line one\nline two\r\nline three\u2028sep",
	"nonchar":   "non\uFFFEchar\uFFFF",
	"longspace": strings.Repeat(" ", 50) + "padded" + strings.Repeat("\t", 5),
}

func hostileEntry(kind, s string, i int) tidings.Entry {
	e := sampleEntry(i)
	e.Title = s
	e.Kind = s
	e.TLDR = s
	e.KeyPoints = []string{s, "plain"}
	e.Glossary = []tidings.Term{{Term: s, Definition: s}}
	e.FeedTitle = s
	e.Authors = []string{s}
	e.Why = s
	e.ContentHTML = "<p>" + s + "</p><script>evil()</script><img src=x onerror=alert(1)><p>unclosed <b>bold <div>"
	e.Text = s + "\n\n" + s
	e.Sources = []tidings.Source{{Title: s, URL: "https://example.org/" + kind}}
	return e
}
