// Package farm serves a loopback farm of synthetic feeds for benchmarks and
// memory/crash tests: N feeds (RSS 2.0 and Atom 1.0 alternately) of 20 items
// each, item bodies of 1–30 KB, ETag and Last-Modified support, a
// configurable per-request latency, and article pages behind every item
// link. Bodies are assembled from one shared word corpus on each request
// (or drawn afresh, see Config.Unique), so a farm of 2,000 feeds costs a
// few megabytes, not the 600 MB it serves.
package farm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Config describes a farm. Zero values take the defaults in the comments.
type Config struct {
	Feeds        int           // number of feeds; default 100
	Items        int           // items per feed; default 20
	MinItemBytes int           // default 1024
	MaxItemBytes int           // default 30720
	Latency      time.Duration // added to every request
	Hosts        int           // listeners (distinct host:port); default max(1, Feeds/20)
	Seed         uint64        // corpus and sizes; default 1
	// Links starts every paragraph with a link (relative, so it is
	// resolved) and sets the rest in <em>, as real articles' HTML has
	// markup; without it paragraphs are plain text.
	Links bool
	// Unique draws every item body's words afresh instead of cutting it
	// from the shared corpus. Bodies cut from one corpus share long
	// passages, which compression across items (the store's shared
	// dictionary) turns into references; unique bodies share only the
	// vocabulary.
	Unique bool
}

// Stats counts what the farm served.
type Stats struct {
	Requests    int64 `json:"requests"`
	NotModified int64 `json:"not_modified"`
	Feeds200    int64 `json:"feeds_200"`
	Articles    int64 `json:"articles"`
	BytesSent   int64 `json:"bytes_sent"`
}

// Farm is a running set of loopback servers.
type Farm struct {
	cfg     Config
	corpus  string
	bases   []string
	servers []*http.Server
	wg      sync.WaitGroup
	version []atomic.Int64 // per feed; bumped by Publish
	started time.Time

	requests, notModified, feeds200, articles, bytesSent atomic.Int64
}

// Start listens on cfg.Hosts loopback ports and serves until Close.
func Start(cfg Config) (*Farm, error) {
	if cfg.Feeds <= 0 {
		cfg.Feeds = 100
	}
	if cfg.Items <= 0 {
		cfg.Items = 20
	}
	if cfg.MinItemBytes <= 0 {
		cfg.MinItemBytes = 1024
	}
	if cfg.MaxItemBytes < cfg.MinItemBytes {
		cfg.MaxItemBytes = max(cfg.MinItemBytes, 30720)
	}
	if cfg.Hosts <= 0 {
		cfg.Hosts = max(1, cfg.Feeds/20)
	}
	if cfg.Seed == 0 {
		cfg.Seed = 1
	}
	f := &Farm{cfg: cfg, corpus: makeCorpus(cfg.Seed, 2*cfg.MaxItemBytes+4096), version: make([]atomic.Int64, cfg.Feeds),
		started: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	for range cfg.Hosts {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("farm listen: %w", err)
		}
		srv := &http.Server{Handler: f, ReadHeaderTimeout: 10 * time.Second}
		f.servers = append(f.servers, srv)
		f.bases = append(f.bases, "http://"+ln.Addr().String())
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				_ = err // the listener is ours; nothing else can close it
			}
		}()
	}
	return f, nil
}

// Close stops every server and waits for them.
func (f *Farm) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var errs []error
	for _, s := range f.servers {
		errs = append(errs, s.Shutdown(ctx))
	}
	f.wg.Wait()
	return errors.Join(errs...)
}

// Bases are the farm's base URLs, one per host.
func (f *Farm) Bases() []string { return f.bases }

// URL of feed i.
func (f *Farm) URL(i int) string { return FeedURL(f.bases, i) }

// URLs of all feeds.
func (f *Farm) URLs() []string {
	out := make([]string, f.cfg.Feeds)
	for i := range out {
		out[i] = f.URL(i)
	}
	return out
}

// Publish adds one new item at the top of feed i (new ETag, new
// Last-Modified).
func (f *Farm) Publish(i int) { f.version[i].Add(1) }

// Stats returns the counters; ResetStats zeroes them.
func (f *Farm) Stats() Stats {
	return Stats{Requests: f.requests.Load(), NotModified: f.notModified.Load(), Feeds200: f.feeds200.Load(),
		Articles: f.articles.Load(), BytesSent: f.bytesSent.Load()}
}

// ResetStats zeroes the counters.
func (f *Farm) ResetStats() {
	f.requests.Store(0)
	f.notModified.Store(0)
	f.feeds200.Store(0)
	f.articles.Store(0)
	f.bytesSent.Store(0)
}

// ServeHTTP answers /feed/N, /a/N/K (article pages), and /_stats and
// /_reset (not counted).
func (f *Farm) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/_stats": // control endpoints for a benchmark in another process
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(f.Stats())
		return
	case "/_reset":
		f.ResetStats()
		return
	}
	f.requests.Add(1)
	if f.cfg.Latency > 0 {
		t := time.NewTimer(f.cfg.Latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	switch {
	case len(parts) == 2 && parts[0] == "feed":
		i, err := strconv.Atoi(parts[1])
		if err != nil || i < 0 || i >= f.cfg.Feeds {
			http.NotFound(w, r)
			return
		}
		f.serveFeed(w, r, i)
	case len(parts) == 3 && parts[0] == "a":
		i, _ := strconv.Atoi(parts[1])
		k, _ := strconv.Atoi(parts[2])
		f.articles.Add(1)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		body := "<!doctype html><html><head><title>Article</title></head><body><article><h1>Article</h1>" + f.itemHTML(i, k) + f.itemHTML(i, k+1) + "</article></body></html>"
		f.bytesSent.Add(int64(len(body)))
		_, _ = w.Write([]byte(body))
	default:
		http.NotFound(w, r)
	}
}

func (f *Farm) serveFeed(w http.ResponseWriter, r *http.Request, i int) {
	v := f.version[i].Load()
	etag := fmt.Sprintf(`"f%d-v%d"`, i, v)
	mod := f.started.Add(time.Duration(v) * time.Hour)
	lm := mod.Format(http.TimeFormat)
	w.Header().Set("ETag", etag)
	w.Header().Set("Last-Modified", lm)
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		if inm == etag {
			f.notModified.Add(1)
			w.WriteHeader(http.StatusNotModified)
			return
		}
	} else if ims := r.Header.Get("If-Modified-Since"); ims != "" {
		if t, err := http.ParseTime(ims); err == nil && !mod.After(t) {
			f.notModified.Add(1)
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	var b strings.Builder
	base := "http://" + r.Host
	atom := i%2 == 1
	if atom {
		w.Header().Set("Content-Type", "application/atom+xml; charset=utf-8")
		fmt.Fprintf(&b, `<?xml version="1.0" encoding="utf-8"?>`+"\n"+`<feed xmlns="http://www.w3.org/2005/Atom"><title>Farm feed %d</title><id>urn:farm:%d</id><updated>%s</updated><link href="%s/site/%d/"/>`+"\n", i, i, mod.Format(time.RFC3339), base, i)
	} else {
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		fmt.Fprintf(&b, `<?xml version="1.0" encoding="utf-8"?>`+"\n"+`<rss version="2.0"><channel><title>Farm feed %d</title><link>%s/site/%d/</link><description>synthetic</description><lastBuildDate>%s</lastBuildDate>`+"\n", i, base, i, mod.Format(time.RFC1123Z))
	}
	// Newest first: item k = v+Items-1 … v (Publish shifts the window).
	for n := 0; n < f.cfg.Items; n++ {
		k := int(v) + f.cfg.Items - 1 - n
		date := f.started.Add(-time.Duration(f.cfg.Items-k) * 6 * time.Hour)
		link := fmt.Sprintf("%s/a/%d/%d", base, i, k)
		body := f.itemHTML(i, k)
		if atom {
			fmt.Fprintf(&b, "<entry><title>Item %d of feed %d</title><id>urn:farm:%d:%d</id><link href=\"%s\"/><updated>%s</updated><author><name>Writer %d</name></author><content type=\"html\"><![CDATA[%s]]></content></entry>\n",
				k, i, i, k, link, date.Format(time.RFC3339), k%7, body)
		} else {
			fmt.Fprintf(&b, "<item><title>Item %d of feed %d</title><guid isPermaLink=\"false\">farm-%d-%d</guid><link>%s</link><pubDate>%s</pubDate><author>w%d@farm.example (Writer %d)</author><description><![CDATA[%s]]></description></item>\n",
				k, i, i, k, link, date.Format(time.RFC1123Z), k%7, k%7, body)
		}
	}
	if atom {
		b.WriteString("</feed>\n")
	} else {
		b.WriteString("</channel></rss>\n")
	}
	f.feeds200.Add(1)
	f.bytesSent.Add(int64(b.Len()))
	_, _ = w.Write([]byte(b.String()))
}

// itemHTML is item k of feed i: paragraphs cut from the corpus, of a size
// between MinItemBytes and MaxItemBytes fixed by (i, k).
func (f *Farm) itemHTML(i, k int) string {
	rng := rand.New(rand.NewPCG(f.cfg.Seed, uint64(i)<<32|uint64(uint32(k))))
	size := f.cfg.MinItemBytes + rng.IntN(f.cfg.MaxItemBytes-f.cfg.MinItemBytes+1)
	var text string
	if f.cfg.Unique {
		text = wordText(rng, size)
	} else {
		off := rng.IntN(len(f.corpus) - size - 1)
		text = f.corpus[off : off+size]
	}
	var b strings.Builder
	b.Grow(size + size/40)
	for len(text) > 0 {
		n := min(len(text), 400+rng.IntN(400))
		if j := strings.LastIndexByte(text[:n], ' '); j > 0 && n < len(text) {
			n = j + 1
		}
		b.WriteString("<p>")
		para := strings.TrimSpace(text[:n])
		if j := strings.IndexByte(para, ' '); f.cfg.Links && j > 0 {
			fmt.Fprintf(&b, `<a href="/ref/%d/%d">%s</a> <em>%s</em>`, i, k, para[:j], para[j+1:])
		} else {
			b.WriteString(para)
		}
		b.WriteString("</p>")
		text = text[n:]
	}
	return b.String()
}

var words = strings.Fields(`the of and to in is was for on that with as by at from his her it an were are which this be or has had not but also their its one after first new two been who they other into during more time year over all most years three can world when may only where than some such between these would up out about many under known later while city three part since both made used number people state while there through before high during four made team country early called life school became being series`)

// makeCorpus builds n bytes of word text.
func makeCorpus(seed uint64, n int) string {
	return wordText(rand.New(rand.NewPCG(seed, 7)), n)
}

// wordText draws n bytes of words from rng: uniform over the word list,
// with a sentence end after one word in 14.
func wordText(rng *rand.Rand, n int) string {
	var b strings.Builder
	b.Grow(n + 16)
	for b.Len() < n {
		w := words[rng.IntN(len(words))]
		if rng.IntN(14) == 0 {
			b.WriteString(strings.ToUpper(w[:1]) + w[1:] + ". ")
			continue
		}
		b.WriteString(w)
		b.WriteByte(' ')
	}
	return b.String()
}

// FeedURL is the URL of feed i of a farm with the given base URLs (for a
// farm running in another process).
func FeedURL(bases []string, i int) string {
	return fmt.Sprintf("%s/feed/%d", bases[i%len(bases)], i)
}
