package mail

import (
	"bytes"
	_ "embed"
	"fmt"
	"html"
	"html/template"
	"mime/quotedprintable"
	"net/url"
	"strconv"
	"strings"

	"github.com/tidings/tidings"
)

//go:embed email.html.tmpl
var emailHTML string

// pages is parsed once per Sender/BuildMessage call; the templates are
// constants, so a parse error is a programming error caught by every test.
func parsePages() (*template.Template, error) {
	return template.New("email").Parse(emailHTML)
}

// view is what both parts of a message show. Building both from one view is
// what keeps them equivalent: same stories, same order, same links.
type view struct {
	Title       string
	Description string
	Date        string
	Number      int
	Count       int
	Stories     string // "42 stories"
	WebURL      string
	Preheader   string
	Sections    []viewSection
	Omitted     int // stories left out to stay in budget (only on the web page)
	Recipient   string
	Unsubscribe string
	// Outlook desktop ignores max-width; its conditional comments would be
	// stripped by html/template, so they are passed in as trusted HTML.
	MsoOpen, MsoClose template.HTML
}

type viewSection struct {
	Name    string
	Entries []*viewEntry
}

type viewEntry struct {
	Title     string
	Kind      string
	Link      string // item page on the site, else the original URL; "" if none is usable
	Original  string // the original URL when it differs from Link
	Source    string
	Minutes   int
	TLDR      string
	KeyPoints []string
	Glossary  []tidings.Term

	paragraphs []string      // readable article text, if any
	Inline     bool          // the article text is inlined (fits the budget)
	Missing    bool          // no article text at all: say so, like the text edition
	Article    template.HTML // pre-rendered article block when Inline
}

// detail is one step of graceful degradation when the edition is too big.
type detail struct {
	keyPoints int // at most this many key points per story (-1: all)
	glossary  int // at most this many decoder terms (-1: all)
}

var details = [...]detail{
	{keyPoints: -1, glossary: -1},
	{keyPoints: 5, glossary: 3},
	{keyPoints: 3, glossary: 0},
	{keyPoints: 0, glossary: 0},
}

func storiesLabel(n int) string {
	if n == 1 {
		return "1 story"
	}
	return strconv.Itoa(n) + " stories"
}

// newView collects everything the message shows, before any budget decision.
func newView(e tidings.Edition, recipient, unsubscribe string, o Options) *view {
	v := &view{
		Title:       e.Title,
		Description: e.Description,
		Date:        editionDate(e),
		Number:      e.Number,
		Count:       e.Count(),
		Recipient:   recipient,
		Unsubscribe: unsubscribe,
		MsoOpen:     `<!--[if mso]><table role="presentation" width="600" cellpadding="0" cellspacing="0" border="0"><tr><td><![endif]-->`,
		MsoClose:    `<!--[if mso]></td></tr></table><![endif]-->`,
	}
	if v.Title == "" {
		v.Title = e.Digest
	}
	v.Stories = storiesLabel(v.Count)
	if o.BaseURL != "" {
		v.WebURL = joinURL(o.BaseURL, url.PathEscape(e.Digest)+"/"+strconv.Itoa(e.Number)+"/")
	}
	for _, s := range e.Sections {
		vs := viewSection{Name: s.Name}
		for _, en := range s.Entries {
			ve := &viewEntry{
				Title:     oneLine(en.Title),
				Kind:      oneLine(en.Kind),
				Source:    oneLine(en.FeedTitle),
				Minutes:   en.ReadingMinutes,
				TLDR:      oneLine(en.TLDR),
				KeyPoints: en.KeyPoints,
				Glossary:  en.Glossary,
			}
			if ve.Title == "" {
				ve.Title = "(untitled)"
			}
			orig := absoluteURL(en.URL)
			ve.Link = orig
			if o.BaseURL != "" && isItemID(en.ItemID) {
				ve.Link = joinURL(o.BaseURL, "items/"+en.ItemID+".html")
			}
			if orig != ve.Link {
				ve.Original = orig
			}
			ve.paragraphs = paragraphs(en)
			ve.Missing = len(ve.paragraphs) == 0
			vs.Entries = append(vs.Entries, ve)
		}
		if len(vs.Entries) > 0 {
			v.Sections = append(v.Sections, vs)
		}
	}
	if first := v.first(); first != nil {
		v.Preheader = first.TLDR
		if v.Preheader == "" {
			v.Preheader = first.Title
		}
	}
	return v
}

func (v *view) first() *viewEntry {
	for _, s := range v.Sections {
		if len(s.Entries) > 0 {
			return s.Entries[0]
		}
	}
	return nil
}

func (v *view) entries() []*viewEntry {
	var out []*viewEntry
	for _, s := range v.Sections {
		out = append(out, s.Entries...)
	}
	return out
}

// apply trims key points and glossary to a detail level (from the full lists
// kept in full, so levels can be tried in any order).
func (v *view) apply(full []*viewEntry, d detail) {
	for i, ve := range v.entries() {
		ve.KeyPoints = capList(full[i].KeyPoints, d.keyPoints)
		ve.Glossary = capList(full[i].Glossary, d.glossary)
		ve.Inline, ve.Article = false, ""
	}
}

func capList[T any](s []T, n int) []T {
	if n < 0 || len(s) <= n {
		return s
	}
	return s[:n]
}

// keepFirst drops every story after the first n (the tail of the edition);
// the message then points to the web page for the rest.
func (v *view) keepFirst(n int) {
	kept := 0
	var out []viewSection
	for _, s := range v.Sections {
		if kept >= n {
			break
		}
		if kept+len(s.Entries) > n {
			s.Entries = s.Entries[:n-kept]
		}
		kept += len(s.Entries)
		out = append(out, s)
	}
	v.Sections = out
	v.Omitted = v.Count - kept
}

// render builds both parts, fitting the HTML into budget bytes: first the
// richest detail level whose stories fit without article text, then article
// text for as many stories (in order) as still fit; if even bare TL;DRs do
// not fit, the tail of the edition is left to the web page.
func render(t *template.Template, v *view, budget int) (htmlPart, textPart []byte, err error) {
	var full []*viewEntry
	for _, ve := range v.entries() {
		c := *ve
		full = append(full, &c)
	}
	sections := v.Sections
	var out bytes.Buffer
	size := func() (int, error) {
		out.Reset()
		if err := t.ExecuteTemplate(&out, "email", v); err != nil {
			return 0, fmt.Errorf("render html: %w", err)
		}
		return qpLen(out.Bytes()), nil
	}
	fitted := false
	for _, d := range details {
		v.apply(full, d)
		n, err := size()
		if err != nil {
			return nil, nil, err
		}
		if n <= budget {
			fitted = true
			if err := inlineArticles(t, v, budget-n); err != nil {
				return nil, nil, err
			}
			break
		}
	}
	if !fitted {
		// Bare TL;DRs are still too big: binary search the number of stories.
		lo, hi := 0, len(full) // lo fits (assumed), hi does not
		for lo+1 < hi {
			mid := (lo + hi) / 2
			v.Sections = sections
			v.keepFirst(mid)
			n, err := size()
			if err != nil {
				return nil, nil, err
			}
			if n <= budget {
				lo = mid
			} else {
				hi = mid
			}
		}
		v.Sections = sections
		v.keepFirst(lo)
	}
	n, err := size()
	if err != nil {
		return nil, nil, err
	}
	// Block sizes add up to within a few soft line breaks; when they do not,
	// drop inlined articles from the end until the part fits.
	for ents := v.entries(); n > budget; {
		i := len(ents) - 1
		for i >= 0 && !ents[i].Inline {
			i--
		}
		if i < 0 {
			break
		}
		ents[i].Inline, ents[i].Article = false, ""
		if n, err = size(); err != nil {
			return nil, nil, err
		}
	}
	return bytes.Clone(out.Bytes()), renderText(v), nil
}

// qpLen is the size of b as quoted-printable: the budget is what travels
// (and what Gmail measures), not the decoded text.
func qpLen(b []byte) int {
	var c countWriter
	w := quotedprintable.NewWriter(&c)
	_, _ = w.Write(b)
	_ = w.Close()
	return int(c)
}

type countWriter int

func (c *countWriter) Write(p []byte) (int, error) {
	*c += countWriter(len(p))
	return len(p), nil
}

// inlineArticles adds article text story by story while it fits in room.
func inlineArticles(t *template.Template, v *view, room int) error {
	var b bytes.Buffer
	for _, ve := range v.entries() {
		if len(ve.paragraphs) == 0 {
			continue
		}
		b.Reset()
		if err := t.ExecuteTemplate(&b, "article", ve.paragraphs); err != nil {
			return fmt.Errorf("render article: %w", err)
		}
		// Inlining also swaps the "read the full article" line out; count
		// only the growth, conservatively (the removed line is not credited).
		n := qpLen(b.Bytes())
		if n > room {
			continue
		}
		room -= n
		ve.Inline, ve.Article = true, template.HTML(b.String())
	}
	return nil
}

// renderText writes the plain-text part from the same view as the HTML, in
// the anatomy of the text edition (digest-format.md).
func renderText(v *view) []byte {
	var b strings.Builder
	b.WriteString(v.Title + "\n")
	fmt.Fprintf(&b, "%s · Edition %d · %s\n", v.Date, v.Number, v.Stories)
	if v.Description != "" {
		b.WriteString(oneLine(v.Description) + "\n")
	}
	if v.WebURL != "" {
		b.WriteString("Read on the web: " + v.WebURL + "\n")
	}
	for _, s := range v.Sections {
		if s.Name != "" {
			b.WriteString("\n\n== " + oneLine(s.Name) + " ==\n")
		}
		for _, e := range s.Entries {
			b.WriteString("\n" + e.Title)
			if e.Kind != "" {
				b.WriteString(" (" + e.Kind + ")")
			}
			b.WriteString("\n")
			if e.Link != "" {
				b.WriteString(e.Link + "\n")
			}
			if e.Source != "" {
				b.WriteString(e.Source)
				if e.Minutes > 0 {
					fmt.Fprintf(&b, " · %d min read", e.Minutes)
				}
				b.WriteString("\n")
			}
			if e.TLDR != "" {
				b.WriteString(e.TLDR + "\n")
			}
			if len(e.KeyPoints) > 0 {
				b.WriteString("Deep Dive\n")
				for _, k := range e.KeyPoints {
					b.WriteString("- " + oneLine(k) + "\n")
				}
			}
			if len(e.Glossary) > 0 {
				b.WriteString("Decoder\n")
				for _, g := range e.Glossary {
					b.WriteString("- " + oneLine(g.Term) + ": " + oneLine(g.Definition) + "\n")
				}
			}
			switch {
			case e.Inline:
				b.WriteString("Original Article\n")
				for _, p := range e.paragraphs {
					b.WriteString(p + "\n\n")
				}
			case e.Missing:
				b.WriteString("Full article content is not available for inline reading.\n")
			}
			if e.Original != "" {
				b.WriteString("Original article: " + e.Original + "\n")
			}
		}
	}
	if v.Omitted > 0 {
		fmt.Fprintf(&b, "\nMore in this edition: %s", storiesLabel(v.Omitted))
		if v.WebURL != "" {
			b.WriteString(": " + v.WebURL)
		}
		b.WriteString("\n")
	}
	b.WriteString("\n-- \n")
	fmt.Fprintf(&b, "You receive %s at %s.\n", v.Title, v.Recipient)
	if v.Unsubscribe != "" {
		b.WriteString("Unsubscribe: " + v.Unsubscribe + "\n")
	}
	return []byte(b.String())
}

// paragraphs is the article text of an entry: its plain text, else text
// recovered from the sanitized HTML.
func paragraphs(e tidings.Entry) []string {
	text := e.Text
	if strings.TrimSpace(text) == "" && e.ContentHTML != "" {
		text = htmlToText(e.ContentHTML)
	}
	var out []string
	for _, p := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n\n") {
		if p = oneLine(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// htmlToText is a small tag stripper for already-sanitized article HTML:
// block elements become paragraph breaks, entities are decoded.
func htmlToText(s string) string {
	var b strings.Builder
	for len(s) > 0 {
		i := strings.IndexByte(s, '<')
		if i < 0 {
			b.WriteString(html.UnescapeString(s))
			break
		}
		b.WriteString(html.UnescapeString(s[:i]))
		s = s[i:]
		j := strings.IndexByte(s, '>')
		if j < 0 {
			break
		}
		tag := strings.ToLower(strings.TrimLeft(s[1:j], "/"))
		if k := strings.IndexAny(tag, " \t\n/"); k >= 0 {
			tag = tag[:k]
		}
		switch tag {
		case "p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "blockquote", "tr", "ul", "ol", "table", "figure", "section", "article":
			b.WriteString("\n\n")
		}
		s = s[j+1:]
	}
	return b.String()
}

// oneLine collapses all whitespace runs (newlines included) to one space.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// absoluteURL returns u if it is an absolute http(s) URL, else "": mail
// has no base to resolve against, and other schemes are not links to follow.
func absoluteURL(u string) string {
	p, err := url.Parse(strings.TrimSpace(u))
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return ""
	}
	return p.String()
}

func joinURL(base, rel string) string {
	if !strings.HasSuffix(base, "/") {
		base += "/"
	}
	return base + rel
}

// isItemID accepts the hex ids tidings.ItemID makes, so nothing else ends
// up in a path.
func isItemID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
