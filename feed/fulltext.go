package feed

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

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

// maxArticleElements bounds the elements of an article page: long real
// articles have tens of thousands.
const maxArticleElements = 200_000

// countTags counts the start tags of an HTML page ('<' and a letter),
// stopping once it passes limit.
func countTags(b []byte, limit int) int {
	n := 0
	for i := 0; n <= limit; i++ {
		j := bytes.IndexByte(b[i:], '<')
		if j < 0 {
			break
		}
		i += j
		if i+1 < len(b) && (b[i+1]|0x20 >= 'a' && b[i+1]|0x20 <= 'z') {
			n++
		}
	}
	return n
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
	// readability counts elements only once the page is a tree: a page of
	// 1.5 million tags cost 470 MB before it refused. Count them first.
	if n := countTags(resp.Body, maxArticleElements); n > maxArticleElements {
		return "", fmt.Errorf("extract: the page has more than %d elements", maxArticleElements)
	}
	r, err := charset.NewReader(bytes.NewReader(resp.Body), ct)
	if err != nil {
		return "", fmt.Errorf("page charset: %w", err)
	}
	page, _ := url.Parse(resp.URL)
	parser := readability.NewParser()
	parser.MaxElemsToParse = maxArticleElements // bound the work a hostile page can cause
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

// fullText fetches the article behind link, within the poll's budget, and
// returns the content to keep (the article's if it is longer) and what
// happened, for Item.FullText. The caller holds a CPU slot, which is let
// go while the page is fetched; the error is only ctx's.
func (p *Poller) fullText(ctx context.Context, link string, base *url.URL, content sanitized, articles *articleBudget) (sanitized, string, error) {
	host := hostOf(link)
	if why := articles.skip(host); why != "" {
		return content, why, nil
	}
	p.releaseCPU() // not while waiting on the network
	page, err := func() (page string, err error) {
		defer recoverAs(&err, "extract")
		return p.extractArticle(ctx, link)
	}()
	articles.record(host, err)
	// Blocking here (not selecting on ctx) keeps the caller's slot
	// accounting simple; slots are freed within one parse.
	p.cpu <- struct{}{}
	if ctx.Err() != nil {
		return content, "", ctx.Err()
	}
	if err != nil {
		return content, "failed: " + err.Error(), nil
	}
	if ext := p.san.clean(page, base); ext.Words > content.Words {
		return ext, fullTextExtracted, nil
	}
	return content, fullTextKeptFeed, nil
}

// articleBudget is what one poll of one feed may still ask of the sites
// its items link to.
type articleBudget struct {
	left    int
	refused map[string]string // host -> why it is not asked again this poll
	holds   *articleHolds
	now     time.Time
}

// skip says why an article at host is not fetched, or "".
func (b *articleBudget) skip(host string) string {
	if why := b.refused[host]; why != "" {
		return "skipped: " + why
	}
	if until, ok := b.holds.until(host, b.now); ok {
		return fmt.Sprintf("skipped: %s asked to be left alone until %s", host, until.UTC().Format(time.RFC3339))
	}
	if b.left <= 0 {
		return fmt.Sprintf("skipped: more than %d new items wanted their article in one poll", maxArticlesPerPoll)
	}
	return ""
}

// record notes a fetch. A site that rate-limits or walls off readers is
// not asked again in this poll, nor by any feed until its Retry-After (at
// least articleHoldMin, at most articleHoldMax) has passed; a refused
// address is not asked again in this poll.
func (b *articleBudget) record(host string, err error) {
	b.left--
	var fe *fetchError
	if !errors.As(err, &fe) || !pushedBack(fe) && fe.Kind != KindBlocked {
		return
	}
	if b.refused == nil {
		b.refused = map[string]string{}
	}
	b.refused[host] = fmt.Sprintf("%s refused an earlier article in this poll (%s)", host, fe.Kind)
	if fe.Kind != KindBlocked {
		b.holds.hold(host, b.now.Add(min(max(fe.RetryAfter, articleHoldMin), articleHoldMax)), b.now)
	}
}

// pushedBack reports a site asking to be left alone: a 429, a 503 that
// says for how long, or a bot wall. (A bare 503 may be one broken page.)
func pushedBack(fe *fetchError) bool {
	return fe.Kind == KindChallenge || fe.Kind == KindLimited && (fe.Status == http.StatusTooManyRequests || fe.RetryAfter > 0)
}

// How long a site that pushed back on an article request is left alone.
const (
	articleHoldMin = 30 * time.Minute
	articleHoldMax = 24 * time.Hour
)

// articleHolds are the sites that asked the poller to leave their pages
// alone, across feeds and polls (many feeds link to one site).
type articleHolds struct {
	mu    sync.Mutex
	hosts map[string]time.Time
}

func (h *articleHolds) until(host string, now time.Time) (time.Time, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	t, ok := h.hosts[host]
	return t, ok && now.Before(t)
}

func (h *articleHolds) hold(host string, until, now time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.hosts == nil {
		h.hosts = map[string]time.Time{}
	}
	for k, t := range h.hosts {
		if !now.Before(t) {
			delete(h.hosts, k) // expired: the map stays as small as the hosts on hold
		}
	}
	h.hosts[host] = until
}
