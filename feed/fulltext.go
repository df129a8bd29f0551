package feed

import (
	"bytes"
	"context"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"

	readability "codeberg.org/readeck/go-readability/v2"
	"golang.org/x/net/html/charset"

	"github.com/tidings/tidings"
)

// Full-text outcomes recorded in Item.FullText.
const (
	fullTextExtracted = "extracted"
	fullTextKeptFeed  = "kept-feed"
)

// wantFullText decides whether a new item's page is worth fetching.
func wantFullText(mode string, words int, link string) bool {
	if link == "" || !looksLikeURL(link) {
		return false
	}
	switch mode {
	case tidings.FullTextAlways:
		return true
	case tidings.FullTextNever:
		return false
	}
	return words < thinWords
}

// extractArticle fetches the item's page with the same client, limits and
// per-host politeness as feeds and returns its readable HTML.
func (p *Poller) extractArticle(ctx context.Context, link string) (string, error) {
	host := hostOf(link)
	if err := p.f.hosts.acquire(ctx, host); err != nil {
		return "", err
	}
	resp, err := p.f.get(ctx, link, "text/html,application/xhtml+xml;q=0.9", conditional{})
	p.f.hosts.release(host)
	if err != nil {
		return "", err
	}
	ct := resp.Header.Get("Content-Type")
	if strings.TrimSpace(ct) == "" {
		// Sniffed as a browser would; its charset is a guess, so the
		// page's own <meta charset> decides.
		ct, _, _ = strings.Cut(http.DetectContentType(resp.Body), ";")
	}
	mt, _, _ := mime.ParseMediaType(ct)
	if mt != "text/html" && mt != "application/xhtml+xml" {
		return "", fmt.Errorf("page is %q, not HTML", firstNonEmpty(mt, "untyped"))
	}
	r, err := charset.NewReader(bytes.NewReader(resp.Body), ct)
	if err != nil {
		return "", fmt.Errorf("page charset: %w", err)
	}
	page, _ := url.Parse(resp.URL)
	parser := readability.NewParser()
	parser.MaxElemsToParse = 200_000 // bound the work a hostile page can cause
	art, err := parser.Parse(r, page)
	if err != nil {
		return "", fmt.Errorf("extract: %w", err)
	}
	if art.Node == nil {
		return "", fmt.Errorf("extract: no readable content")
	}
	var sb strings.Builder
	if err := art.RenderHTML(&sb); err != nil {
		return "", fmt.Errorf("extract: %w", err)
	}
	return sb.String(), nil
}
