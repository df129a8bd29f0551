package feed

import (
	"context"
	"fmt"
	"mime"
	"net/url"
	"strings"

	"golang.org/x/net/html"
)

// Discover returns the feed URLs a page announces with <link
// rel="alternate"> (RSS, Atom, JSON Feed), or the URL itself when it is
// already a feed.
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
	found := discoverLinks(string(resp.Body), base)
	if len(found) == 0 {
		return nil, fmt.Errorf("discover %s: no feed found (no <link rel=\"alternate\"> to RSS, Atom or JSON Feed)", siteURL)
	}
	return found, nil
}

var feedTypes = map[string]bool{
	"application/rss+xml": true, "application/atom+xml": true, "application/feed+json": true,
	"application/json": true, "application/rdf+xml": true, "text/xml": true, "application/xml": true,
	"application/x-rss+xml": true, "application/x-atom+xml": true,
}

// discoverLinks scans a page's head for alternate feed links.
func discoverLinks(page string, base *url.URL) []string {
	z := html.NewTokenizer(strings.NewReader(page))
	var out []string
	seen := map[string]bool{}
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return out
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		tok := z.Token()
		if tok.Data == "body" {
			return out
		}
		if tok.Data != "link" {
			continue
		}
		rels := strings.Fields(strings.ToLower(attrVal(tok, "rel")))
		alt := false
		for _, r := range rels {
			alt = alt || r == "alternate"
		}
		mt, _, _ := mime.ParseMediaType(attrVal(tok, "type"))
		href := strings.TrimSpace(attrVal(tok, "href"))
		if !alt || !feedTypes[strings.ToLower(mt)] || href == "" {
			continue
		}
		u := resolveURL(base, href)
		if !seen[u] {
			seen[u] = true
			out = append(out, u)
		}
	}
}
