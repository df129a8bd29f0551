package feed

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/mail"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tidings/tidings"
)

// Identity modes (FeedState.IdentityMode).
const (
	IdentityGUID = "guid"
	IdentityLink = "link"
	IdentityHash = "hash"
)

// degradeShare is the share of blank or repeated GUIDs (or links) above
// which a feed's identities fall back to the next criterion.
const degradeShare = 0.05

// futureSlack tolerates clocks that run a little ahead.
const futureSlack = 10 * time.Minute

// normalized is one item before full text and sanitizing.
type normalized struct {
	item    tidings.Item
	base    *url.URL // for resolving URLs inside its content
	content string   // raw HTML from the feed
	summary string   // raw HTML from the feed
	image   string
}

// normalizeResult is what normalization decided for the whole feed.
type normalizeResult struct {
	items    []normalized
	mode     string
	siteURL  string
	warnings []string
}

// normalize turns parsed items into tidings.Items with identities, absolute
// clean URLs and sane dates. pageURL is where the document came from.
func normalize(pf *parsedFeed, feedID uint64, mode, pageURL string, now time.Time) normalizeResult {
	res := normalizeResult{}
	page, _ := url.Parse(pageURL)
	feedBase := page
	if pf.Base != "" {
		feedBase = resolveRef(page, pf.Base)
	}
	site := resolveRef(feedBase, pf.Link)
	if site != nil && (site.Scheme == "http" || site.Scheme == "https") {
		res.siteURL = site.String()
	}
	// Relative item links resolve against xml:base, else the site link
	// (what the publisher meant), else the page.
	itemBase := feedBase
	if pf.Base == "" && res.siteURL != "" {
		itemBase = site
	}

	// Identity: look at the whole document first.
	if mode == "" {
		mode = IdentityGUID
	}
	guids := make([]string, len(pf.Items))
	links := make([]string, len(pf.Items))
	bases := make([]*url.URL, len(pf.Items))
	for i, ri := range pf.Items {
		b := itemBase
		if ri.Base != "" {
			b = resolveRef(feedBase, ri.Base)
		}
		bases[i] = b
		guids[i] = ri.GUID
		if ri.Link != "" {
			links[i] = stripTracking(resolveURL(b, ri.Link))
		}
	}
	if mode == IdentityGUID && badShare(guids) > degradeShare {
		mode = IdentityLink
		if !allBlank(guids) { // a feed without GUIDs is not degraded, just plain
			res.warnings = append(res.warnings, fmt.Sprintf("GUIDs degraded: %.0f%% of items have a blank or repeated GUID; identifying items by link", 100*badShare(guids)))
		}
	}
	if mode == IdentityLink && badShare(links) > degradeShare {
		mode = IdentityHash
		res.warnings = append(res.warnings, fmt.Sprintf("links degraded: %.0f%% of items have a blank or repeated link; identifying items by title and content", 100*badShare(links)))
	}
	res.mode = mode

	seen := map[string]bool{}
	clamped := 0
	for i, ri := range pf.Items {
		content, contentIsText := ri.Content, ri.ContentIsText
		summary, summaryIsText := ri.Summary, ri.SummaryIsText
		if content == "" {
			content, summary, contentIsText = summary, "", summaryIsText
		}
		if summary == content {
			summary = ""
		}
		title := clipTitle(plainText(ri.Title))
		it := tidings.Item{
			FeedID:     feedID,
			GUID:       ri.GUID,
			URL:        links[i],
			Title:      title,
			Authors:    firstN(cleanAuthors(ri.Authors), maxNames),
			Categories: firstN(dedupe(ri.Categories), maxNames),
			Lang:       firstNonEmpty(ri.Lang, pf.Lang),
		}
		for _, e := range ri.Enclosures {
			if len(it.Enclosures) == maxEnclosures {
				break
			}
			e.URL = resolveURL(bases[i], e.URL)
			if e.URL != "" && !containsEnclosure(it.Enclosures, e.URL) {
				it.Enclosures = append(it.Enclosures, e)
			}
		}
		it.ContentHash = contentHash(title, it.URL, content, summary)
		it.Identity = identity(mode, ri.GUID, it.URL, it.ContentHash)
		if seen[it.Identity] {
			continue // the same item twice in one document: keep the first
		}
		seen[it.Identity] = true
		if contentIsText && textNeedsMarkup(content) {
			content = textToHTML(content)
		}
		if summaryIsText && textNeedsMarkup(summary) {
			summary = textToHTML(summary)
		}

		pub, pubOK := itemDate(ri.Published, ri.PubParsed)
		upd, updOK := itemDate(ri.Updated, ri.UpdParsed)
		if !pubOK && updOK {
			pub, pubOK = upd, true
		}
		if pubOK && pub.After(now.Add(futureSlack)) {
			pub, pubOK = time.Time{}, false
			clamped++
		}
		if updOK && upd.After(now.Add(futureSlack)) {
			upd = time.Time{}
		}
		it.Published, it.Updated = pub, upd
		img := ""
		if ri.Image != "" {
			img = resolveURL(bases[i], ri.Image)
		}
		res.items = append(res.items, normalized{item: it, base: contentBase(bases[i], it.URL, ri.Base != "" || pf.Base != ""), content: content, summary: summary, image: img})
	}
	if clamped > 0 {
		res.warnings = append(res.warnings, fmt.Sprintf("dates clamped: %d items dated in the future use their first-seen time", clamped))
	}
	return res
}

// textNeedsMarkup reports plain text that HTML would misread: line breaks
// it would collapse, or a '<' it would take for a tag. Other text reads
// the same either way and is left as it came.
func textNeedsMarkup(s string) bool {
	return strings.ContainsRune(strings.TrimSpace(s), '\n') || strings.ContainsRune(s, '<')
}

// contentBase is the base for URLs inside an item's HTML: its xml:base if
// the feed gave one, else the item's own page.
func contentBase(b *url.URL, link string, explicit bool) *url.URL {
	if link != "" && !explicit {
		if u, err := url.Parse(link); err == nil && u.IsAbs() {
			return u
		}
	}
	return b
}

func itemDate(s string, parsed *time.Time) (time.Time, bool) {
	if t, ok := ParseDate(s); ok {
		return t.UTC(), true
	}
	if parsed != nil && !parsed.IsZero() {
		return parsed.UTC(), true
	}
	return time.Time{}, false
}

// identity derives an item's per-feed identity; never from the clock.
func identity(mode, guid, link, hash string) string {
	switch mode {
	case IdentityGUID:
		if guid != "" {
			return guid
		}
		fallthrough
	case IdentityLink:
		if link != "" {
			return link
		}
	}
	return "sha256:" + hash
}

// badShare is the share of blank or repeated values.
func allBlank(vals []string) bool {
	for _, v := range vals {
		if v != "" {
			return false
		}
	}
	return true
}

func badShare(vals []string) float64 {
	if len(vals) == 0 {
		return 0
	}
	seen := make(map[string]bool, len(vals))
	bad := 0
	for _, v := range vals {
		if v == "" || seen[v] {
			bad++
		}
		seen[v] = true
	}
	return float64(bad) / float64(len(vals))
}

func contentHash(parts ...string) string {
	h := sha256.New()
	// Through a stack buffer: io.WriteString would copy each (long)
	// content string to the heap first.
	var buf [4096]byte
	for _, p := range parts {
		for len(p) > 0 {
			n := copy(buf[:], p)
			h.Write(buf[:n])
			p = p[n:]
		}
		h.Write([]byte{0})
	}
	var sum [sha256.Size]byte
	return hex.EncodeToString(h.Sum(sum[:0])[:16])
}

// cleanAuthors turns "jo@example.org (Jo Doe)" and "Jo Doe <jo@…>" into
// "Jo Doe" and drops repeats.
func cleanAuthors(in []string) []string {
	var out []string
	for _, a := range in {
		a = strings.TrimSpace(plainText(a))
		if a == "" {
			continue
		}
		if i := strings.Index(a, "("); i > 0 && strings.HasSuffix(a, ")") && strings.Contains(a[:i], "@") {
			a = strings.TrimSpace(a[i+1 : len(a)-1])
		} else if strings.Contains(a, "<") && strings.HasSuffix(a, ">") {
			if addr, err := mail.ParseAddress(a); err == nil && addr.Name != "" {
				a = addr.Name
			} else if i := strings.Index(a, "<"); i > 0 {
				a = strings.Trim(strings.TrimSpace(a[:i]), `"`)
			}
		}
		if a != "" {
			out = append(out, a)
		}
	}
	return dedupe(out)
}

func dedupe(in []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, v := range in {
		v = strings.TrimSpace(v)
		if v == "" || seen[strings.ToLower(v)] {
			continue
		}
		seen[strings.ToLower(v)] = true
		out = append(out, v)
	}
	return out
}

// maxEnclosures bounds an item's enclosures: a podcast episode has one, a
// photo post a few dozen. The check for repeats is linear, and an item of
// 60,000 enclosures took 3.8 s.
const maxEnclosures = 100

// maxNames bounds an item's authors and its categories: every one is
// stored with the item and matched by the digest's rules.
const maxNames = 100

func firstN(s []string, n int) []string { return s[:min(len(s), n)] }

// maxTitle bounds a title in bytes: real ones stay under 300.
const maxTitle = 1000

// clipTitle cuts a title longer than maxTitle at a word, with an ellipsis.
func clipTitle(s string) string {
	if len(s) <= maxTitle {
		return s
	}
	cut := maxTitle
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	if sp := strings.LastIndexByte(s[:cut], ' '); sp > maxTitle/2 {
		cut = sp
	}
	return strings.TrimSpace(s[:cut]) + "…"
}

func containsEnclosure(es []tidings.Enclosure, u string) bool {
	for _, e := range es {
		if e.URL == u {
			return true
		}
	}
	return false
}

func resolveRef(base *url.URL, ref string) *url.URL {
	ref = strings.TrimSpace(ref)
	r, err := url.Parse(ref)
	if err != nil {
		return base
	}
	if base == nil {
		return r
	}
	return base.ResolveReference(r)
}

// resolveURL makes ref absolute against base; unparseable refs come back
// unchanged for the sanitizer to judge.
func resolveURL(base *url.URL, ref string) string {
	ref = strings.TrimSpace(ref)
	if ref == "" || base == nil || strings.HasPrefix(ref, "data:") || strings.HasPrefix(ref, "#") && base == nil {
		return ref
	}
	r, err := url.Parse(ref)
	if err != nil {
		return ref
	}
	if r.IsAbs() {
		return ref
	}
	return base.ResolveReference(r).String()
}

// trackingParams are query parameters that only identify campaigns or
// readers; they are removed from item URLs so identities and links stay
// clean.
var trackingParams = map[string]bool{
	"fbclid": true, "gclid": true, "dclid": true, "msclkid": true, "mc_eid": true, "mc_cid": true,
	"igshid": true, "_hsenc": true, "_hsmi": true, "ref_src": true, "ref_url": true, "yclid": true,
	"twclid": true, "mkt_tok": true, "oly_anon_id": true, "oly_enc_id": true, "vero_id": true,
	"wickedid": true, "__s": true, "s_cid": true, "_ga": true, "_gl": true, "spm": true,
}

func stripTracking(raw string) string {
	if !strings.Contains(raw, "?") {
		return raw
	}
	u, err := url.Parse(raw)
	if err != nil || u.RawQuery == "" {
		return raw
	}
	parts := strings.Split(u.RawQuery, "&")
	kept := parts[:0]
	for _, p := range parts {
		k, _, _ := strings.Cut(p, "=")
		k, _ = url.QueryUnescape(k)
		lk := strings.ToLower(k)
		if strings.HasPrefix(lk, "utm_") || trackingParams[lk] {
			continue
		}
		kept = append(kept, p)
	}
	if len(kept) == len(strings.Split(u.RawQuery, "&")) {
		return raw
	}
	u.RawQuery = strings.Join(kept, "&")
	return u.String()
}
