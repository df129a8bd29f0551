package digest

import (
	"context"
	"html"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/sync/errgroup"

	"github.com/tidings/tidings"
)

// FallbackEngine names summaries made without the summarizer, after it
// failed for that story.
const FallbackEngine = "fallback"

// entries turns the selected stories into edition entries, summarizing
// them a few at a time. A failed summary falls back to the first sentence.
func (b *Builder) entries(ctx context.Context, stories []Story) ([]tidings.Entry, error) {
	out := make([]tidings.Entry, len(stories))
	limit := b.Concurrency
	if limit <= 0 {
		limit = 4
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(limit)
	for i := range stories {
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error {
			s := &stories[i]
			text := plainText(*s.item)
			if len(strings.Fields(text)) < minSummaryWords {
				// An aggregator's "Comments" link or a bare title: nothing
				// to summarize, and a summary of it would read badly.
				out[i] = entryOf(s, thinSummary(s.Title, text))
				return nil
			}
			sum, err := b.Summarizer.Summarize(gctx, s.Title, text)
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				// One bad article must not cost the whole edition.
				b.logger().Warn("summary failed, using the first sentence", "item_id", s.ItemID, "url", s.URL, "err", err)
				sum = fallbackSummary(s.Title, text)
			}
			if sum.TLDR == "" || sum.ReadingMinutes == 0 {
				fb := fallbackSummary(s.Title, text)
				if sum.TLDR == "" {
					// The summarizer found no usable sentence (a paywall stub,
					// page clutter): the text's first line would be junk too.
					sum.TLDR = emptySummaryTLDR(s.Title, *s.item) // every entry shows a TL;DR line
				}
				if sum.ReadingMinutes == 0 {
					sum.ReadingMinutes = fb.ReadingMinutes
				}
			}
			out[i] = entryOf(s, sum)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

func entryOf(s *Story, sum tidings.Summary) tidings.Entry {
	it := s.item
	title := strings.TrimSpace(it.Title)
	if title == "" {
		title = untitled(plainText(*it), it.URL)
	}
	if sameWords(sum.TLDR, title) {
		// A title-only item (or one titled by its first sentence): the
		// TL;DR line would print the title a second time.
		sum.TLDR = ""
	}
	content, text := it.Content, it.Text
	if linkStub(content, text) {
		content, text = "", "" // renderers say the article is not available
	}
	return tidings.Entry{
		ItemID:      it.ID,
		Title:       title,
		Kind:        linkKind(it),
		URL:         it.URL,
		Authors:     it.Authors,
		FeedTitle:   s.FeedTitle,
		Published:   it.Published,
		FirstSeen:   it.FirstSeen,
		Summary:     sum,
		ContentHTML: content,
		Text:        text,
		Sources:     s.Sources,
		Score:       s.Score,
		Why:         s.Why,
		Pinned:      s.Pinned,
	}
}

// linkStub reports whether an item's body is only a link label, as
// aggregators send ("Comments", "Link", "Read more"): shown as the
// original article it reads as a glitch.
func linkStub(content, text string) bool {
	return strings.Contains(content, "<a ") && len(strings.Fields(text)) <= 3
}

// sameWords reports whether a and b are the same words, ignoring case,
// spacing and a final full stop.
func sameWords(a, b string) bool {
	norm := func(s string) string {
		return strings.TrimRight(strings.Join(strings.Fields(s), " "), ".…")
	}
	return strings.EqualFold(norm(a), norm(b))
}

// untitled makes a title for an item that has none: its first words, or
// the host of its link.
func untitled(text, link string) string {
	if t := truncate(firstSentence(text), 80); t != "" {
		return t
	}
	if h := hostOf(link); h != "" {
		return h
	}
	return "Untitled"
}

// minSummaryWords is the least text worth sending to the summarizer.
const minSummaryWords = 20

// thinSummary is the summary of a story with almost no text: the text
// itself when it is a sentence or so, else the title.
func thinSummary(title, text string) tidings.Summary {
	sum := tidings.Summary{TLDR: title, Engine: FallbackEngine}
	if t := strings.Join(strings.Fields(text), " "); len(strings.Fields(t)) >= 8 {
		sum.TLDR = truncate(t, 200)
	}
	return sum
}

// fallbackSummary is the minimal summary used when the summarizer fails:
// the first sentence as TL;DR and the reading time.
func fallbackSummary(title, text string) tidings.Summary {
	tldr := truncate(firstSentence(text), 200)
	if tldr == "" {
		tldr = title
	}
	return tidings.Summary{TLDR: tldr, ReadingMinutes: readingMinutes(text), Engine: FallbackEngine}
}

// emptySummaryTLDR is the TL;DR of a story whose text gave the summarizer
// nothing usable: the feed's own description when it says more than the
// title and is not the same text, else the title.
func emptySummaryTLDR(title string, it tidings.Item) string {
	desc := strings.Join(strings.Fields(stripTags(it.Summary)), " ")
	text := strings.Join(strings.Fields(it.Text), " ")
	if desc != "" && desc != text && !strings.EqualFold(desc, strings.TrimSpace(title)) && len(strings.Fields(desc)) >= 5 {
		return truncate(firstSentence(desc), 200)
	}
	return title
}

func readingMinutes(text string) int {
	n := len(strings.Fields(text))
	if n == 0 {
		return 0
	}
	return (n + 229) / 230 // ~230 words a minute, rounded up
}

// firstSentence returns text up to the first ".", "!" or "?" that is
// followed by a space and an upper-case letter (so "v1.2" and "e.g. this"
// do not end it), or the whole first paragraph.
func firstSentence(text string) string {
	text = strings.TrimSpace(text)
	if i := strings.Index(text, "\n\n"); i > 0 {
		text = text[:i]
	}
	text = strings.Join(strings.Fields(text), " ")
	for i := 0; i < len(text); i++ {
		c := text[i]
		if c != '.' && c != '!' && c != '?' {
			continue
		}
		if i+2 < len(text) && text[i+1] == ' ' && !(c == '.' && abbreviation(text[:i+1])) {
			r, _ := utf8.DecodeRuneInString(text[i+2:])
			if unicode.IsUpper(r) || r == '"' || r == '“' {
				return text[:i+1]
			}
		}
	}
	return text
}

// abbreviation reports whether s ends in a word whose period does not end
// a sentence: "e.g.", "U.S.", an initial ("J."), or a common title.
func abbreviation(s string) bool {
	w := s[strings.LastIndexByte(s, ' ')+1:]
	if strings.Count(w, ".") >= 2 {
		return true
	}
	if len(w) == 2 && w[0] >= 'A' && w[0] <= 'Z' {
		return true
	}
	switch strings.ToLower(w) {
	case "mr.", "mrs.", "ms.", "dr.", "st.", "vs.", "inc.", "jr.", "sr.", "no.", "fig.", "approx.":
		return true
	}
	return false
}

// truncate cuts s to at most n bytes at a word boundary, adding "…".
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := strings.LastIndexByte(s[:n], ' ')
	if cut < n/2 {
		cut = n
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
	}
	return strings.TrimRight(s[:cut], " ,;:") + "…"
}

// plainText is the item's readable text: Text, or its HTML content or
// feed summary with the tags removed.
func plainText(it tidings.Item) string {
	if strings.TrimSpace(it.Text) != "" {
		return it.Text
	}
	if it.Content != "" {
		return stripTags(it.Content)
	}
	return stripTags(it.Summary)
}

// stripTags removes HTML tags and decodes entities. The input is already
// sanitized, so this only needs to be good enough for matching and
// summarizing, not safe for output.
func stripTags(s string) string {
	if !strings.ContainsAny(s, "<&") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	in := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '<':
			in = true
			b.WriteByte(' ')
		case c == '>' && in:
			in = false
		case !in:
			b.WriteByte(c)
		}
	}
	return strings.Join(strings.Fields(html.UnescapeString(b.String())), " ")
}

func hostOf(link string) string {
	u, err := url.Parse(link)
	if err != nil {
		return ""
	}
	return strings.TrimPrefix(strings.ToLower(u.Hostname()), "www.")
}

// linkKind names what a link points to, for the title suffix of
// digest-format.md. An ordinary article gets "" (renderers show its reading
// time instead); a site's home page is a "Website".
func linkKind(it *tidings.Item) string {
	for _, e := range it.Enclosures {
		switch {
		case strings.HasPrefix(e.Type, "audio/"):
			return "Podcast"
		case strings.HasPrefix(e.Type, "video/"):
			return "Video"
		}
	}
	u, err := url.Parse(it.URL)
	if err != nil || u.Host == "" {
		return ""
	}
	host := strings.TrimPrefix(strings.ToLower(u.Hostname()), "www.")
	host = strings.TrimPrefix(host, "m.")
	segs := strings.FieldsFunc(u.Path, func(r rune) bool { return r == '/' })
	switch host {
	case "github.com":
		if len(segs) == 2 || (len(segs) > 2 && (segs[2] == "tree" || segs[2] == "blob" && len(segs) > 4 && strings.EqualFold(segs[len(segs)-1], "README.md"))) {
			if !githubReserved(segs[0]) {
				return "GitHub Repo"
			}
		}
	case "youtube.com":
		if len(segs) > 0 && (segs[0] == "watch" || segs[0] == "shorts" || segs[0] == "live") {
			return "Video"
		}
	case "youtu.be", "vimeo.com", "player.vimeo.com":
		if len(segs) > 0 {
			return "Video"
		}
	}
	if strings.HasSuffix(strings.ToLower(u.Path), ".pdf") {
		return "PDF"
	}
	if len(segs) == 0 && u.RawQuery == "" {
		return "Website"
	}
	return ""
}

// githubReserved are first path segments of github.com that are not users.
func githubReserved(seg string) bool {
	switch strings.ToLower(seg) {
	case "features", "topics", "marketplace", "sponsors", "about", "pricing", "orgs",
		"settings", "collections", "trending", "explore", "login", "security", "enterprise", "events":
		return true
	}
	return false
}
