package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
)

// farm serves n RSS feeds of realistic size on loopback, with ETags, and the
// article pages they link to (for full_text = "auto"/"always").
type farm struct {
	n, items int
	words    []string
	srv      *http.Server
	url      string
	base     time.Time
	reqs     atomic.Int64
	done     chan struct{}
}

func startFarm(n, items int) (*farm, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	f := &farm{n: n, items: items, url: "http://" + ln.Addr().String(), base: time.Now().UTC().Truncate(time.Hour), done: make(chan struct{}), words: vocabulary(5000)}
	f.srv = &http.Server{Handler: f, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		defer close(f.done)
		f.srv.Serve(ln)
	}()
	return f, nil
}

func (f *farm) close() {
	f.srv.Close()
	<-f.done
}

func (f *farm) requests() int64 { return f.reqs.Load() }

func (f *farm) feedURL(i int) string { return fmt.Sprintf("%s/feed/%d.xml", f.url, i) }

// syllables make up the farm's vocabulary. Text is drawn from it with a
// Zipf distribution, like natural language, so it compresses about as well
// as real articles do (repeating one paragraph would flatter the database
// size, which compresses bodies).
var syllables = []string{"ka", "lo", "mi", "ne", "ra", "to", "su", "vi", "de", "po",
	"an", "er", "in", "on", "ul", "ba", "ce", "di", "fo", "gu", "ha", "je", "ki", "lu",
	"ma", "ni", "or", "pe", "qu", "re", "si", "ta", "un", "ve", "wa", "xe", "yo", "ze", "th", "st"}

func vocabulary(n int) []string {
	r := rand.New(rand.NewPCG(1, 2))
	words := make([]string, n)
	for i := range words {
		var b strings.Builder
		for k := 1 + r.IntN(4); k > 0; k-- {
			b.WriteString(syllables[r.IntN(len(syllables))])
		}
		words[i] = b.String()
	}
	return words
}

// text is paragraph p of item j of feed i: deterministic, so a feed's body
// (and its ETag) is the same on every request.
func (f *farm) text(i, j, p, words int) string {
	r := rand.New(rand.NewPCG(uint64(i), uint64(j)<<8|uint64(p)))
	z := rand.NewZipf(r, 1.1, 1, uint64(len(f.words)-1))
	var b strings.Builder
	for k := 0; k < words; k++ {
		w := f.words[z.Uint64()]
		if k == 0 {
			w = strings.ToUpper(w[:1]) + w[1:]
		}
		b.WriteString(w)
		switch {
		case k == words-1:
			b.WriteString(".")
		case r.IntN(12) == 0:
			b.WriteString(". ")
		default:
			b.WriteString(" ")
		}
	}
	return b.String()
}

func (f *farm) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.reqs.Add(1)
	var feed, item int
	switch {
	case strings.HasPrefix(r.URL.Path, "/feed/"):
		if _, err := fmt.Sscanf(r.URL.Path, "/feed/%d.xml", &feed); err != nil || feed < 0 || feed >= f.n {
			http.NotFound(w, r)
			return
		}
		body := f.feed(feed)
		sum := sha256.Sum256(body)
		etag := `"` + hex.EncodeToString(sum[:8]) + `"`
		w.Header().Set("ETag", etag)
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		w.Write(body)
	case strings.HasPrefix(r.URL.Path, "/a/"):
		if _, err := fmt.Sscanf(r.URL.Path, "/a/%d/%d", &feed, &item); err != nil {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, "<!doctype html><html><head><title>Story %d of feed %d</title></head><body><nav>Home · About</nav><article><h1>Story %d of feed %d</h1>", item, feed, item, feed)
		for k := 0; k < 8; k++ {
			fmt.Fprintf(w, "<p>%s</p>", f.text(feed, item, k, 60))
		}
		fmt.Fprint(w, "</article><footer>© the farm</footer></body></html>")
	default:
		http.NotFound(w, r)
	}
}

// feed renders feed i: items with a two-paragraph description each (about
// 500 bytes of text, a typical summary-only blog feed); the linked article
// pages have eight paragraphs (about 3 KB of text).
func (f *farm) feed(i int) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Farm feed %d</title><link>%s/site/%d</link><description>Loopback feed %d</description>
`, i, f.url, i, i)
	for j := f.items - 1; j >= 0; j-- {
		pub := f.base.Add(-time.Duration(i%7*24+j) * time.Hour)
		fmt.Fprintf(&b, `<item><guid>%s/a/%d/%d</guid><title>Story %d of feed %d</title><link>%s/a/%d/%d</link><pubDate>%s</pubDate>
<description><![CDATA[<p>%s</p><p>%s</p>]]></description></item>
`, f.url, i, j, j, i, f.url, i, j, pub.Format(time.RFC1123Z), f.text(i, j, 0, 40), f.text(i, j, 1, 40))
	}
	b.WriteString("</channel></rss>\n")
	return b.Bytes()
}
