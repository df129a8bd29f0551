package main

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/tidings/tidings"
	"github.com/tidings/tidings/digest"
	"github.com/tidings/tidings/digest/publish"
	"github.com/tidings/tidings/feed"
)

// The demo's sample feeds and articles: original content, bundled so the
// demo needs no network and no configuration.
//
//go:embed demo/*.json
var demoFS embed.FS

type demoFeed struct {
	Slug        string `json:"slug"`
	Title       string `json:"title"`
	Section     string `json:"section"`
	Format      string `json:"format"` // rss | atom | json
	Thin        bool   `json:"thin"`   // only summaries: Tidings fetches the article pages
	Description string `json:"description"`
}

type demoArticle struct {
	Feed       string   `json:"feed"`
	Slug       string   `json:"slug"`
	Hours      int      `json:"hours"` // published this many hours before the demo starts
	Author     string   `json:"author"`
	Title      string   `json:"title"`
	Summary    string   `json:"summary"`
	Link       string   `json:"link"` // another article's slug: the same story carried by a second feed
	Categories []string `json:"categories"`
	Paywall    bool     `json:"paywall"` // its page has no readable text
	Paragraphs []string `json:"paragraphs"`
}

func (a *app) cmdDemo(ctx context.Context, args []string) error {
	fs := a.flags("demo", "[--once] [--dir DIR] [--listen ADDR]",
		"Offline demo: serves bundled sample feeds on loopback, subscribes to them in\na fresh data directory, fetches, builds a digest, publishes it and serves the\nresult. Needs no configuration and no internet.")
	once := fs.Bool("once", false, "build, print where the output is, and exit")
	dir := fs.String("dir", "", "keep data and output in `DIR` (default: a new temporary directory)")
	listen := fs.String("listen", "127.0.0.1:0", "serve the output at `ADDR`")
	if err := noArgs(fs, args); err != nil {
		return err
	}
	var err error
	if *dir == "" {
		if *dir, err = os.MkdirTemp("", "tidings-demo-"); err != nil {
			return err
		}
	}
	if *dir, err = filepath.Abs(*dir); err != nil {
		return err
	}
	feeds, articles, err := loadDemo()
	if err != nil {
		return err
	}

	// The sample feed server, on loopback only.
	started := a.now()
	srcLn, err := listenDemoSource(*dir)
	if err != nil {
		return err
	}
	srcURL := "http://" + srcLn.Addr().String()
	src := &http.Server{Handler: demoHandler(srcURL, started, feeds, articles), ReadHeaderTimeout: 5 * time.Second}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return ignoreClosed(src.Serve(srcLn)) })
	defer func() {
		src.Close()
		g.Wait()
	}()

	var outLn net.Listener
	baseURL := "http://127.0.0.1:8080/"
	if !*once {
		if outLn, err = net.Listen("tcp", *listen); err != nil {
			return fmt.Errorf("listen: %w", err)
		}
		defer outLn.Close()
		baseURL = "http://" + outLn.Addr().String() + "/"
	}

	cfg, err := LoadConfig("")
	if err != nil {
		return err
	}
	cfg.DataDir = filepath.Join(*dir, "data")
	cfg.Publish.Dir = filepath.Join(*dir, "public")
	cfg.Publish.BaseURL = baseURL
	cfg.Publish.Title = "Tidings demo"
	cfg.Fetch.AllowNetworks = []string{"127.0.0.0/8", "::1/128"}
	cfg.Fetch.Workers = 4
	cfg.Digests[0].Def.Title = "Tidings Demo Daily"
	cfg.Digests[0].Def.Description = "A daily digest built from the bundled sample feeds."
	cfg.Digests[0].Def.Window = 48 * time.Hour
	cfg.Digests[0].Def.Quiet = digest.QuietPublish
	a.cfg = cfg
	if a.log == nil {
		a.level.Set(cfg.Log.Level)
		a.log = newLogger(a.stderr, cfg.Log.Format, &a.level)
	}

	db, err := a.openStore(cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	for _, f := range feeds {
		u := srcURL + "/feeds/" + f.Slug + "." + map[string]string{"rss": "xml", "atom": "atom", "json": "json"}[f.Format]
		if _, err := lookupFeed(db, u); err == nil {
			continue
		}
		if _, err := db.AddFeed(tidings.Feed{URL: u, Title: f.Title, Section: f.Section}); err != nil && !errors.Is(err, tidings.ErrExists) {
			return err
		}
	}
	all, err := db.Feeds()
	if err != nil {
		return err
	}
	// Feeds of an earlier run in the same --dir pointed at another port.
	var current []tidings.Feed
	for _, f := range all {
		if strings.HasPrefix(f.URL, srcURL+"/") {
			current = append(current, f)
		} else if err := db.RemoveFeed(f.ID); err != nil {
			return err
		}
	}
	poller, err := feed.NewPoller(db, a.feedOptions(cfg))
	if err != nil {
		return err
	}
	defer poller.Close()
	res, err := poller.PollFeeds(gctx, current, nil)
	if err != nil {
		return fmt.Errorf("fetch: %w", err)
	}
	fmt.Fprintf(a.stdout, "fetched %d sample feeds: %d new items, %d errors\n", res.Feeds, res.New, res.Errors)
	// A rerun in the same --dir with nothing new shows the edition it has
	// rather than publishing an empty one.
	ed, err := db.LatestEdition(cfg.Digests[0].Def.Name)
	if res.New > 0 || err != nil {
		run, err := a.makeEdition(gctx, cfg, db, cfg.Digests[0], a.now().UTC(), true)
		if err != nil {
			return err
		}
		ed = run.Edition
		fmt.Fprintf(a.stdout, "built %s #%d with %d stories\n", ed.Digest, ed.Number, ed.Count())
	} else {
		fmt.Fprintf(a.stdout, "no new stories since %s #%d; showing it\n", ed.Digest, ed.Number)
	}
	index := filepath.Join(cfg.Publish.Dir, "index.html")
	if *once {
		if err := relinkOffline(cfg.Publish.Dir, ed); err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "output: %s\nopen:   %s\n", cfg.Publish.Dir, index)
		return nil
	}
	db.Close() // the demo server only reads files from here on

	out := &http.Server{Handler: publish.NewHandler(cfg.Publish.Dir, publish.HandlerOptions{MaxAge: publish.CacheMaxAge(digestInfos(cfg))}), ReadHeaderTimeout: 10 * time.Second}
	g.Go(func() error { return ignoreClosed(out.Serve(outLn)) })
	fmt.Fprintf(a.stdout, "output: %s\nserving the demo at %s (Ctrl-C to stop)\n", cfg.Publish.Dir, baseURL)
	if a.onServing != nil {
		a.onServing(outLn.Addr().String())
	}
	<-gctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), httpTimeout)
	defer cancel()
	return out.Shutdown(sctx)
}

// relinkOffline rewrites the plain-text and Markdown renderings of ed for
// `demo --once`, which serves nothing: the text's "Read here" links then
// open the item pages on disk, and the Markdown (which links http(s) only)
// has none, instead of pointing at a server that is not running.
func relinkOffline(pubDir string, ed tidings.Edition) error {
	dir := filepath.Join(pubDir, ed.Digest, strconv.Itoa(ed.Number))
	fileBase := (&url.URL{Scheme: "file", Path: filepath.ToSlash(pubDir) + "/"}).String()
	for _, r := range []struct {
		name   string
		base   string
		render func(io.Writer, tidings.Edition, publish.TextOptions) error
	}{
		{"index.txt", fileBase, publish.RenderText},
		{"index.md", "", publish.RenderMarkdown},
	} {
		var b bytes.Buffer
		if err := r.render(&b, ed, publish.TextOptions{BaseURL: r.base}); err != nil {
			return fmt.Errorf("render %s: %w", r.name, err)
		}
		tmp := filepath.Join(dir, ".tidings-demo-"+r.name)
		if err := os.WriteFile(tmp, b.Bytes(), 0o644); err != nil {
			return err
		}
		if err := os.Rename(tmp, filepath.Join(dir, r.name)); err != nil {
			return err
		}
	}
	return nil
}

func loadDemo() ([]demoFeed, []demoArticle, error) {
	var feeds []demoFeed
	var arts []demoArticle
	for name, v := range map[string]any{"demo/feeds.json": &feeds, "demo/articles.json": &arts} {
		b, err := demoFS.ReadFile(name)
		if err != nil {
			return nil, nil, err
		}
		if err := json.Unmarshal(b, v); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	return feeds, arts, nil
}

// demoHandler serves the sample feeds in their three formats and the
// article pages they link to. Dates are relative to the demo's start so the
// items always fall inside the digest's window.
func demoHandler(base string, now time.Time, feeds []demoFeed, arts []demoArticle) http.Handler {
	bySlug := map[string]demoArticle{}
	for _, a := range arts {
		bySlug[a.Slug] = a
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, "<!doctype html><html><head><title>Sample feeds</title>")
		for _, f := range feeds {
			fmt.Fprintf(w, `<link rel="alternate" type="%s" title="%s" href="%s">`, demoMIME(f.Format), html.EscapeString(f.Title), demoFeedURL(base, f))
		}
		fmt.Fprintf(w, "</head><body><h1>Sample feeds</h1><ul>")
		for _, f := range feeds {
			fmt.Fprintf(w, `<li><a href="%s">%s</a></li>`, demoFeedURL(base, f), html.EscapeString(f.Title))
		}
		fmt.Fprintf(w, "</ul></body></html>")
	})
	for _, f := range feeds {
		mux.HandleFunc("GET "+strings.TrimPrefix(demoFeedURL(base, f), base), func(w http.ResponseWriter, r *http.Request) {
			var items []demoArticle
			for _, a := range arts {
				if a.Feed == f.Slug {
					items = append(items, a)
				}
			}
			w.Header().Set("Content-Type", demoMIME(f.Format)+"; charset=utf-8")
			w.Write(renderDemoFeed(base, now, f, items, bySlug))
		})
	}
	mux.HandleFunc("GET /articles/{slug}", func(w http.ResponseWriter, r *http.Request) {
		a, ok := bySlug[strings.TrimSuffix(r.PathValue("slug"), ".html")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(renderDemoArticle(now, a))
	})
	return mux
}

func demoMIME(format string) string {
	return map[string]string{"rss": "application/rss+xml", "atom": "application/atom+xml", "json": "application/feed+json"}[format]
}

func demoFeedURL(base string, f demoFeed) string {
	return base + "/feeds/" + f.Slug + "." + map[string]string{"rss": "xml", "atom": "atom", "json": "json"}[f.Format]
}

func demoLink(base string, a demoArticle) string {
	slug := a.Slug
	if a.Link != "" {
		slug = a.Link
	}
	return base + "/articles/" + slug + ".html"
}

func demoBody(a demoArticle) string {
	var b strings.Builder
	for _, p := range a.Paragraphs {
		b.WriteString("<p>" + html.EscapeString(p) + "</p>\n")
	}
	return b.String()
}

func xmlEsc(s string) string { return html.EscapeString(s) }

func renderDemoFeed(base string, now time.Time, f demoFeed, items []demoArticle, bySlug map[string]demoArticle) []byte {
	var b strings.Builder
	switch f.Format {
	case "rss":
		b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
		b.WriteString(`<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>` + "\n")
		fmt.Fprintf(&b, "<title>%s</title><link>%s/</link><description>%s</description><ttl>60</ttl>\n", xmlEsc(f.Title), base, xmlEsc(f.Description))
		for _, a := range items {
			fmt.Fprintf(&b, "<item><title>%s</title><link>%s</link><guid isPermaLink=\"false\">%s</guid><pubDate>%s</pubDate><dc:creator>%s</dc:creator>",
				xmlEsc(a.Title), demoLink(base, a), "demo:"+a.Slug, now.Add(-time.Duration(a.Hours)*time.Hour).UTC().Format(time.RFC1123Z), xmlEsc(a.Author))
			for _, c := range a.Categories {
				fmt.Fprintf(&b, "<category>%s</category>", xmlEsc(c))
			}
			fmt.Fprintf(&b, "<description>%s</description>", xmlEsc(demoSummary(a)))
			if !f.Thin && len(a.Paragraphs) > 0 {
				fmt.Fprintf(&b, "<content:encoded><![CDATA[%s]]></content:encoded>", demoBody(a))
			}
			b.WriteString("</item>\n")
		}
		b.WriteString("</channel></rss>\n")
	case "atom":
		b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
		fmt.Fprintf(&b, "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>%s</title><subtitle>%s</subtitle><id>urn:tidings-demo:%s</id><link href=\"%s/\"/><updated>%s</updated>\n",
			xmlEsc(f.Title), xmlEsc(f.Description), f.Slug, base, now.UTC().Format(time.RFC3339))
		for _, a := range items {
			t := now.Add(-time.Duration(a.Hours) * time.Hour).UTC().Format(time.RFC3339)
			fmt.Fprintf(&b, "<entry><title>%s</title><id>urn:tidings-demo:%s</id><link href=\"%s\"/><published>%s</published><updated>%s</updated><author><name>%s</name></author>",
				xmlEsc(a.Title), a.Slug, demoLink(base, a), t, t, xmlEsc(a.Author))
			for _, c := range a.Categories {
				fmt.Fprintf(&b, "<category term=\"%s\"/>", xmlEsc(c))
			}
			fmt.Fprintf(&b, "<summary>%s</summary>", xmlEsc(demoSummary(a)))
			if !f.Thin && len(a.Paragraphs) > 0 {
				fmt.Fprintf(&b, "<content type=\"html\">%s</content>", xmlEsc(demoBody(a)))
			}
			b.WriteString("</entry>\n")
		}
		b.WriteString("</feed>\n")
	case "json":
		type item struct {
			ID            string   `json:"id"`
			URL           string   `json:"url"`
			Title         string   `json:"title"`
			Summary       string   `json:"summary,omitempty"`
			ContentHTML   string   `json:"content_html,omitempty"`
			DatePublished string   `json:"date_published"`
			Authors       []any    `json:"authors,omitempty"`
			Tags          []string `json:"tags,omitempty"`
		}
		doc := map[string]any{
			"version":       "https://jsonfeed.org/version/1.1",
			"title":         f.Title,
			"description":   f.Description,
			"home_page_url": base + "/",
			"feed_url":      demoFeedURL(base, f),
		}
		list := []item{}
		for _, a := range items {
			it := item{ID: "demo:" + a.Slug, URL: demoLink(base, a), Title: a.Title, Summary: demoSummary(a),
				DatePublished: now.Add(-time.Duration(a.Hours) * time.Hour).UTC().Format(time.RFC3339),
				Authors:       []any{map[string]string{"name": a.Author}}, Tags: a.Categories}
			if !f.Thin && len(a.Paragraphs) > 0 {
				it.ContentHTML = demoBody(a)
			} else {
				it.ContentHTML = "<p>" + html.EscapeString(demoSummary(a)) + "</p>"
			}
			list = append(list, it)
		}
		doc["items"] = list
		out, _ := json.MarshalIndent(doc, "", "  ")
		return out
	}
	return []byte(b.String())
}

func demoSummary(a demoArticle) string {
	if a.Summary != "" {
		return a.Summary
	}
	if len(a.Paragraphs) > 0 {
		s := a.Paragraphs[0]
		if i := strings.Index(s, ". "); i > 0 {
			return s[:i+1]
		}
		return s
	}
	return a.Title
}

// renderDemoArticle writes an article page with the clutter real pages have
// (navigation, a newsletter box, related links), for the extractor to remove.
func renderDemoArticle(now time.Time, a demoArticle) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>%s</title></head><body>\n", xmlEsc(a.Title))
	b.WriteString(`<header><nav><a href="/">Home</a> · <a href="/">Archive</a> · <a href="/">About</a> · <a href="/">Subscribe</a></nav></header>` + "\n<main><article>\n")
	fmt.Fprintf(&b, "<h1>%s</h1>\n<p class=\"byline\">By %s · %s</p>\n", xmlEsc(a.Title), xmlEsc(a.Author),
		now.Add(-time.Duration(a.Hours)*time.Hour).UTC().Format("2 January 2006"))
	if a.Paywall {
		b.WriteString("<div class=\"paywall\"><p>Subscribe to continue reading.</p></div>\n")
	} else {
		b.WriteString(demoBody(a))
	}
	b.WriteString("</article>\n<aside class=\"newsletter\"><h2>Get the newsletter</h2><p>One email a week. No spam.</p><form><input type=\"email\"><button>Sign up</button></form></aside>\n")
	b.WriteString("<aside class=\"related\"><h2>Related</h2><ul><li><a href=\"/\">More from this author</a></li><li><a href=\"/\">Popular this week</a></li></ul></aside>\n")
	b.WriteString("</main><footer><p>© Sample Publications. All rights reserved.</p></footer></body></html>\n")
	return []byte(b.String())
}

// demoPortFile remembers, inside --dir, the port the sample feed server had.
const demoPortFile = "demo-source-port"

// listenDemoSource listens on loopback for the sample feed server, on the
// port an earlier run in the same directory used when it is free: the feed
// URLs, and so the feeds' ids and seen-sets, then stay the same and a rerun
// does not present the same stories as new ones.
func listenDemoSource(dir string) (net.Listener, error) {
	portFile := filepath.Join(dir, demoPortFile)
	if b, err := os.ReadFile(portFile); err == nil {
		if port, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && port > 0 && port < 65536 {
			if ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port))); err == nil {
				return ln, nil
			}
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	if err := os.MkdirAll(dir, 0o755); err == nil {
		_ = os.WriteFile(portFile, []byte(port+"\n"), 0o644) // best effort: only reruns benefit
	}
	return ln, nil
}
