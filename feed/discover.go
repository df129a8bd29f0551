package feed

import (
	"context"
	"fmt"
	"mime"
	"net/url"
	"path"
	"slices"
	"strings"
	"time"

	"golang.org/x/net/html"
)

// A page that announces no feed gets at most maxProbes more requests,
// one at a time, within probeBudget: candidates linked from the page
// first, then the paths where blog engines put their feeds.
const (
	maxProbes   = 10
	probeBudget = 30 * time.Second
)

// wellKnownFeedPaths are where WordPress, Ghost, Hugo, Jekyll, Blogger and
// most static generators serve a site's main feed, most common first.
var wellKnownFeedPaths = []string{"/feed", "/feed.xml", "/rss.xml", "/index.xml", "/atom.xml", "/rss", "/feed.json", "/feeds/posts/default"}

// Discover returns the feed URLs a page announces with <link
// rel="alternate"> (RSS, Atom, JSON Feed), main feeds before comment
// feeds, or the URL itself when it is already a feed. A page that
// announces none is searched further: feed-looking links in its body,
// then the usual feed paths of its site, each fetched and kept only if
// it parses as a feed.
func Discover(ctx context.Context, opts Options, siteURL string) ([]string, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	f, err := newFetcher(o)
	if err != nil {
		return nil, err
	}
	defer f.close()
	resp, err := f.get(ctx, siteURL, "text/html, "+acceptFeed, conditional{})
	if err != nil {
		return nil, err
	}
	if _, err := parseFeed(resp.Body, resp.Header.Get("Content-Type")); err == nil {
		return []string{resp.URL}, nil
	}
	base, _ := url.Parse(resp.URL)
	page := scanPage(string(resp.Body), base)
	if len(page.alternates) > 0 {
		return page.alternates, nil
	}
	candidates := append(page.anchors, siteCandidates(base)...)
	ctx, cancel := context.WithTimeout(ctx, probeBudget)
	defer cancel()
	tried := 0
	for _, c := range candidates {
		if tried == maxProbes || ctx.Err() != nil {
			break
		}
		if c == resp.URL {
			continue
		}
		tried++
		r, err := f.get(ctx, c, acceptFeed, conditional{})
		if err != nil {
			continue
		}
		if _, err := parseFeed(r.Body, r.Header.Get("Content-Type")); err == nil {
			return []string{r.URL}, nil
		}
	}
	return nil, fmt.Errorf("discover %s: no feed found (no <link rel=\"alternate\"> to RSS, Atom or JSON Feed, and none of %d likely feed URLs answered with a feed)", siteURL, tried)
}

var feedTypes = map[string]bool{
	"application/rss+xml": true, "application/atom+xml": true, "application/feed+json": true,
	"application/json": true, "application/rdf+xml": true, "text/xml": true, "application/xml": true,
	"application/x-rss+xml": true, "application/x-atom+xml": true,
}

// pageLinks is what a page says about its feeds.
type pageLinks struct {
	alternates []string // <link rel="alternate"> to a feed type, ranked
	anchors    []string // same-site <a href> that look like feeds
}

// scanPage reads a page's <base>, its alternate feed links and the body
// links that look like feeds.
func scanPage(page string, base *url.URL) pageLinks {
	z := html.NewTokenizer(strings.NewReader(page))
	var main, comments, anchors []string
	seen := map[string]bool{}
	inBody := false
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			break
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		tok := z.Token()
		switch tok.Data {
		case "body":
			inBody = true
		case "base":
			if href := strings.TrimSpace(attrVal(tok, "href")); href != "" && !inBody {
				if b, err := url.Parse(resolveURL(base, href)); err == nil && (b.Scheme == "http" || b.Scheme == "https") {
					base = b
				}
			}
		case "link":
			if u, isComments, ok := alternateFeed(tok, base); ok && !seen[u] {
				seen[u] = true
				if isComments {
					comments = append(comments, u)
				} else {
					main = append(main, u)
				}
			}
		case "a":
			if !inBody || len(anchors) >= maxProbes {
				continue
			}
			u := resolveURL(base, attrVal(tok, "href"))
			if p, err := url.Parse(u); err == nil && base != nil && p.Host == base.Host && looksLikeFeedPath(p.Path) && !seen[u] {
				seen[u] = true
				anchors = append(anchors, u)
			}
		}
	}
	return pageLinks{alternates: append(main, comments...), anchors: anchors}
}

// alternateFeed reads a <link> element: the feed URL it announces, and
// whether that is a comments feed (WordPress announces one per site and
// per post; readers almost always want the posts).
func alternateFeed(tok html.Token, base *url.URL) (string, bool, bool) {
	rels := strings.Fields(strings.ToLower(attrVal(tok, "rel")))
	mt, _, _ := mime.ParseMediaType(attrVal(tok, "type"))
	href := strings.TrimSpace(attrVal(tok, "href"))
	if !slices.Contains(rels, "alternate") || !feedTypes[strings.ToLower(mt)] || href == "" {
		return "", false, false
	}
	u := resolveURL(base, href)
	lu := strings.ToLower(u)
	isComments := strings.Contains(strings.ToLower(attrVal(tok, "title")), "comment") ||
		strings.Contains(lu, "/comments/") || strings.Contains(lu, "comments/feed")
	return u, isComments, true
}

// looksLikeFeedPath: a link path a site's "RSS" button commonly points at.
func looksLikeFeedPath(p string) bool {
	p = strings.ToLower(strings.TrimSuffix(p, "/"))
	switch path.Ext(p) {
	case ".rss", ".atom", ".rdf":
		return true
	case ".xml", ".json":
		name := path.Base(p)
		return strings.Contains(name, "feed") || strings.Contains(name, "rss") || strings.Contains(name, "atom") || strings.Contains(name, "index")
	}
	last := path.Base(p)
	return last == "feed" || last == "rss" || last == "atom"
}

// siteCandidates are the usual feed paths, under the page's own path
// first (a blog at example.org/blog/) and then at the site's root.
func siteCandidates(base *url.URL) []string {
	if base == nil {
		return nil
	}
	var out []string
	dir := strings.TrimSuffix(base.Path, "/")
	if path.Ext(dir) != "" {
		dir = path.Dir(dir)
	}
	if dir == "." || dir == "/" {
		dir = ""
	}
	for _, prefix := range []string{dir, ""} {
		for _, p := range wellKnownFeedPaths {
			u := *base
			u.Path, u.RawPath, u.RawQuery, u.Fragment = prefix+p, "", "", ""
			if s := u.String(); !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
		if dir == "" {
			break
		}
	}
	return out
}

// withFeedHint adds to "not a feed" what an HTML page announces, so a
// site's address given where its feed's belongs says how to fix it.
func withFeedHint(err error, body []byte, pageURL string) error {
	base, _ := url.Parse(pageURL)
	links := scanPage(string(head(body, 256<<10)), base).alternates
	if len(links) == 0 {
		return err
	}
	return fmt.Errorf("%w: this is a web page that announces the feed %s; subscribe to that URL instead", err, links[0])
}
