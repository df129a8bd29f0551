package feed

import (
	"bytes"
	"errors"
	"fmt"
	"html"
	"strconv"
	"strings"
	"time"

	"github.com/mmcdole/gofeed/atom"
	ext "github.com/mmcdole/gofeed/extensions"
	gjson "github.com/mmcdole/gofeed/json"
	"github.com/mmcdole/gofeed/rss"

	"github.com/tidings/tidings"
)

// parsedFeed is a feed in one shape whatever its format, before
// normalization. gofeed's format parsers do the XML/JSON work; the mapping
// to this shape is ours so the gaps of gofeed's own translator are covered.
type parsedFeed struct {
	Format       string // rss, atom, json
	Title        string
	Link         string
	Base         string // feed-level xml:base
	Lang         string
	TTL          time.Duration
	UpdatePeriod time.Duration // sy:updatePeriod / sy:updateFrequency
	SkipHours    []int
	SkipDays     []string
	Items        []rawItem
	Warnings     []string
}

type rawItem struct {
	GUID       string
	Link       string
	Base       string // item xml:base, maybe relative to the feed's
	Title      string
	Summary    string // HTML, or plain text if SummaryIsText
	Content    string // HTML, or plain text if ContentIsText
	Authors    []string
	Categories []string
	Enclosures []tidings.Enclosure
	Image      string
	Published  string
	Updated    string
	PubParsed  *time.Time // gofeed's reading, the fallback
	UpdParsed  *time.Time
	Lang       string
	// SummaryIsText and ContentIsText mark plain text, which normalize
	// turns into HTML after hashing, so the content hash (and with it an
	// identity in hash mode) is the one earlier versions computed.
	SummaryIsText, ContentIsText bool
}

// errNotFeed is a document that is neither RSS, Atom nor JSON Feed.
var errNotFeed = errors.New("not an RSS, Atom or JSON feed")

// parseFeed decodes body (any charset) into a parsedFeed.
func parseFeed(body []byte, contentType string) (*parsedFeed, error) {
	b, warn, err := toUTF8(body, contentType)
	if err != nil {
		return nil, err
	}
	var notes []string
	if warn != "" {
		notes = append(notes, warn)
	}
	format := detectFormat(b)
	if format == "" {
		cut, note := skipJunkPrefix(b)
		if cut == nil {
			return nil, errNotFeed
		}
		b, format, notes = cut, detectFormat(cut), append(notes, note)
		if format == "" {
			return nil, errNotFeed
		}
	}
	if format == "json" {
		if shaped, note := shapeJSON(b, maxDocItems); note != "" {
			b, notes = shaped, append(notes, note)
		}
	} else {
		shaped, note, err := shapeXML(b, maxDocItems)
		if err != nil {
			return nil, err
		}
		if note != "" {
			b, notes = shaped, append(notes, note)
		}
	}
	pf, err := parseFormat(b, format)
	if err != nil && format != "json" {
		if fixed, repairs := repairXML(b, format, err); fixed != nil {
			if repaired, rerr := parseFormat(fixed, format); rerr == nil {
				pf, err, notes = repaired, nil, append(notes, repairs...)
			}
		}
	}
	if err != nil {
		return nil, err
	}
	pf.Warnings = append(pf.Warnings, notes...)
	return pf, nil
}

func parseFormat(b []byte, format string) (*parsedFeed, error) {
	return parseFormatWith(b, format, true)
}

// parseFormatWith parses with or without cutBodies (the test compares).
func parseFormatWith(b []byte, format string, cut bool) (*parsedFeed, error) {
	switch format {
	case "json":
		return parseJSONFeed(b)
	case "rss", "rdf":
		return parseRSS(b, cut)
	default:
		return parseAtom(b, cut)
	}
}

// detectFormat looks at the first element (or the opening brace).
func detectFormat(b []byte) string {
	b = bytes.TrimLeft(b, " \t\r\n")
	if len(b) > 0 && b[0] == '{' {
		return "json"
	}
	for i := 0; i < len(b) && i < 1<<16; {
		j := bytes.IndexByte(b[i:], '<')
		if j < 0 {
			return ""
		}
		i += j + 1
		if i >= len(b) {
			return ""
		}
		switch b[i] {
		case '?':
			continue
		case '!':
			if bytes.HasPrefix(b[i:], []byte("!--")) {
				if k := bytes.Index(b[i:], []byte("-->")); k >= 0 {
					i += k
				}
			}
			continue
		}
		end := i
		for end < len(b) && !isSpaceOrEnd(b[end]) {
			end++
		}
		name := strings.ToLower(string(b[i:end]))
		if k := strings.IndexByte(name, ':'); k >= 0 {
			name = name[k+1:]
		}
		switch name {
		case "rss":
			return "rss"
		case "rdf":
			return "rdf"
		case "feed":
			return "atom"
		}
		return ""
	}
	return ""
}

func isSpaceOrEnd(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '>' || c == '/'
}

func parseRSS(b []byte, cut bool) (*parsedFeed, error) {
	var p rss.Parser
	f, cuts, err := parseCut(b, "rss", cut, func(doc []byte) (*rss.Feed, error) { return p.Parse(bytes.NewReader(doc)) })
	if err != nil {
		return nil, fmt.Errorf("parse rss: %w", err)
	}
	pf := &parsedFeed{Format: "rss", Title: f.Title, Link: f.Link, Lang: f.Language, SkipDays: f.SkipDays}
	if f.Version == "1.0" || f.Version == "0.90" {
		pf.Format = "rdf"
	}
	if n, err := strconv.Atoi(strings.TrimSpace(f.TTL)); err == nil && n > 0 {
		pf.TTL = durationOf(n, time.Minute)
	}
	for _, h := range f.SkipHours {
		if n, err := strconv.Atoi(strings.TrimSpace(h)); err == nil && n >= 0 && n <= 24 {
			pf.SkipHours = append(pf.SkipHours, n%24)
		}
	}
	pf.UpdatePeriod = syndicationPeriod(f.Extensions)
	if pf.Title == "" && f.DublinCoreExt != nil && len(f.DublinCoreExt.Title) > 0 {
		pf.Title = f.DublinCoreExt.Title[0]
	}
	var about []string
	if pf.Format == "rdf" {
		about = rdfAbouts(b)
		if len(about) != len(f.Items) {
			about = nil
		}
	}
	for i, it := range f.Items {
		ri := rawItem{Title: it.Title, Summary: cuts.restore(it.Description), Content: cuts.restore(it.Content), Published: it.PubDate, PubParsed: it.PubDateParsed}
		if it.GUID != nil {
			ri.GUID = strings.TrimSpace(it.GUID.Value)
		}
		if ri.GUID == "" && about != nil {
			ri.GUID = about[i]
		}
		ri.Link = strings.TrimSpace(it.Link)
		if ri.Link == "" && it.GUID != nil && !strings.EqualFold(strings.TrimSpace(it.GUID.IsPermalink), "false") &&
			(looksLikeURL(ri.GUID) || strings.HasPrefix(ri.GUID, "/") && !strings.HasPrefix(ri.GUID, "//")) {
			// A permalink guid is the item's link (RSS 2.0 spec); a path
			// is resolved by normalize like any link. Other strings
			// ("12345") are only identifiers, whatever the attribute says.
			ri.Link = ri.GUID
		}
		if ri.Link == "" && about != nil && looksLikeURL(about[i]) {
			ri.Link = about[i]
		}
		if it.Author != "" {
			ri.Authors = append(ri.Authors, it.Author)
		}
		for _, c := range it.Categories {
			if c != nil && strings.TrimSpace(c.Value) != "" {
				ri.Categories = append(ri.Categories, c.Value)
			}
		}
		for _, e := range it.Enclosures {
			if e == nil || strings.TrimSpace(e.URL) == "" {
				continue
			}
			n, _ := strconv.ParseInt(strings.TrimSpace(e.Length), 10, 64)
			ri.Enclosures = append(ri.Enclosures, tidings.Enclosure{URL: strings.TrimSpace(e.URL), Type: e.Type, Length: n})
		}
		if dc := it.DublinCoreExt; dc != nil {
			ri.Authors = append(ri.Authors, dc.Creator...)
			ri.Categories = append(ri.Categories, dc.Subject...)
			if ri.Title == "" && len(dc.Title) > 0 {
				ri.Title = dc.Title[0]
			}
			if ri.Published == "" && len(dc.Date) > 0 {
				ri.Published = dc.Date[0]
			}
			if ri.Summary == "" && len(dc.Description) > 0 {
				ri.Summary = dc.Description[0]
			}
		}
		applyExtensions(&ri, it.Extensions)
		if it.ITunesExt != nil {
			if ri.Summary == "" {
				ri.Summary = firstNonEmpty(it.ITunesExt.Summary, it.ITunesExt.Subtitle)
			}
			if ri.Image == "" {
				ri.Image = it.ITunesExt.Image
			}
			if len(ri.Authors) == 0 && it.ITunesExt.Author != "" {
				ri.Authors = append(ri.Authors, it.ITunesExt.Author)
			}
		}
		ri.SummaryIsText, ri.ContentIsText = isRSSText(ri.Summary), isRSSText(ri.Content)
		pf.Items = append(pf.Items, ri)
	}
	return pf, nil
}

// parseCut runs parse on doc with its plain item bodies cut out (see
// cutBodies) when cut is set. A document that fails that way is parsed
// whole, so errors and repairs see the original.
func parseCut[F any](doc []byte, format string, cut bool, parse func([]byte) (F, error)) (F, *bodyCuts, error) {
	if cut {
		if skeleton, cuts := cutBodies(doc, format); cuts != nil {
			if f, err := parse(skeleton); err == nil {
				return f, cuts, nil
			}
		}
	}
	f, err := parse(doc)
	return f, nil, err
}

// applyExtensions maps dcterms dates and Media RSS descriptions, thumbnails
// and files, which gofeed leaves in the raw extension map.
func applyExtensions(ri *rawItem, exts ext.Extensions) {
	if dct, ok := exts["dcterms"]; ok {
		for _, k := range []string{"issued", "created", "date", "available"} {
			if v := extValue(dct, k); v != "" && ri.Published == "" {
				ri.Published = v
			}
		}
		if v := extValue(dct, "modified"); v != "" && ri.Updated == "" {
			ri.Updated = v
		}
	}
	media, ok := exts["media"]
	if !ok {
		return
	}
	var visit func(m map[string][]ext.Extension)
	visit = func(m map[string][]ext.Extension) {
		if ri.Summary == "" {
			if v := extValue(m, "description"); v != "" {
				ri.Summary = v
			}
		}
		for _, t := range m["thumbnail"] {
			if ri.Image == "" && t.Attrs["url"] != "" {
				ri.Image = t.Attrs["url"]
			}
		}
		for _, c := range m["content"] {
			u := strings.TrimSpace(c.Attrs["url"])
			if u == "" {
				continue
			}
			typ := c.Attrs["type"]
			if typ == "" && c.Attrs["medium"] == "image" {
				typ = "image/*"
			}
			if ri.Image == "" && (strings.HasPrefix(typ, "image/") || c.Attrs["medium"] == "image") {
				ri.Image = u
			}
			n, _ := strconv.ParseInt(c.Attrs["fileSize"], 10, 64)
			ri.Enclosures = append(ri.Enclosures, tidings.Enclosure{URL: u, Type: typ, Length: n})
			visit(c.Children)
		}
		for _, g := range m["group"] {
			visit(g.Children)
		}
	}
	visit(media)
}

func extValue(m map[string][]ext.Extension, name string) string {
	for _, e := range m[name] {
		if v := strings.TrimSpace(e.Value); v != "" {
			return v
		}
	}
	return ""
}

// syndicationPeriod reads sy:updatePeriod and sy:updateFrequency (RSS 1.0
// syndication module) as an interval.
func syndicationPeriod(exts ext.Extensions) time.Duration {
	sy, ok := exts["sy"]
	if !ok {
		return 0
	}
	var unit time.Duration
	switch strings.ToLower(extValue(sy, "updatePeriod")) {
	case "hourly":
		unit = time.Hour
	case "daily", "":
		unit = 24 * time.Hour
	case "weekly":
		unit = 7 * 24 * time.Hour
	case "monthly":
		unit = 30 * 24 * time.Hour
	case "yearly":
		unit = 365 * 24 * time.Hour
	default:
		return 0
	}
	freq := 1
	if n, err := strconv.Atoi(extValue(sy, "updateFrequency")); err == nil && n > 0 {
		freq = n
	}
	if extValue(sy, "updatePeriod") == "" && extValue(sy, "updateFrequency") == "" {
		return 0
	}
	return unit / time.Duration(freq)
}

func parseAtom(b []byte, cut bool) (*parsedFeed, error) {
	var p atom.Parser
	f, cuts, err := parseCut(b, "atom", cut, func(doc []byte) (*atom.Feed, error) { return p.Parse(bytes.NewReader(doc)) })
	if err != nil {
		return nil, fmt.Errorf("parse atom: %w", err)
	}
	raw := scanAtom(b)
	if len(raw.entries) != len(f.Entries) {
		raw.entries = nil // the scan got confused (CDATA?): trust gofeed
	}
	pf := &parsedFeed{Format: "atom", Title: f.Title, Lang: f.Language, Base: raw.base}
	pf.Link = atomLink(f.Links, "alternate")
	pf.UpdatePeriod = syndicationPeriod(f.Extensions)
	for i, e := range f.Entries {
		ri := rawItem{Title: e.Title, GUID: strings.TrimSpace(e.ID),
			Published: e.Published, Updated: e.Updated, PubParsed: e.PublishedParsed, UpdParsed: e.UpdatedParsed}
		summaryType := ""
		if raw.entries != nil {
			// The raw id, not gofeed's URL-normalized rewrite of it.
			if id := raw.entries[i].id; id != "" {
				ri.GUID = id
			}
			ri.Base = raw.entries[i].base
			summaryType = raw.entries[i].summaryType
		}
		ri.Summary = cuts.restore(e.Summary)
		ri.SummaryIsText = isAtomText(ri.Summary, summaryType)
		if e.Content != nil {
			ri.Content = cuts.restore(e.Content.Value)
			ri.ContentIsText = isAtomText(ri.Content, e.Content.Type)
			if ri.Content == "" && e.Content.Src != "" && ri.Link == "" {
				ri.Link = e.Content.Src
			}
		}
		if l := atomLink(e.Links, "alternate"); l != "" {
			ri.Link = l
		}
		for _, l := range e.Links {
			if l != nil && l.Rel == "enclosure" && l.Href != "" {
				n, _ := strconv.ParseInt(l.Length, 10, 64)
				ri.Enclosures = append(ri.Enclosures, tidings.Enclosure{URL: l.Href, Type: l.Type, Length: n})
			}
		}
		authors := e.Authors
		if len(authors) == 0 {
			authors = f.Authors
		}
		for _, a := range authors {
			if a != nil {
				if n := firstNonEmpty(strings.TrimSpace(a.Name), strings.TrimSpace(a.Email)); n != "" {
					ri.Authors = append(ri.Authors, n)
				}
			}
		}
		for _, c := range e.Categories {
			// The term is the category; the label is only its display form.
			if c != nil {
				if v := firstNonEmpty(strings.TrimSpace(c.Term), strings.TrimSpace(c.Label)); v != "" {
					ri.Categories = append(ri.Categories, v)
				}
			}
		}
		applyExtensions(&ri, e.Extensions)
		pf.Items = append(pf.Items, ri)
	}
	return pf, nil
}

func atomLink(links []*atom.Link, rel string) string {
	best := ""
	for _, l := range links {
		if l == nil || l.Href == "" || (l.Rel != rel && !(rel == "alternate" && l.Rel == "")) {
			continue
		}
		if l.Type == "" || strings.Contains(l.Type, "html") {
			return strings.TrimSpace(l.Href)
		}
		if best == "" {
			best = strings.TrimSpace(l.Href)
		}
	}
	return best
}

func parseJSONFeed(b []byte) (*parsedFeed, error) {
	var p gjson.Parser
	f, err := p.Parse(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("parse json feed: %w", err)
	}
	pf := &parsedFeed{Format: "json", Title: f.Title, Link: f.HomePageURL, Lang: f.Language}
	for _, it := range f.Items {
		if it == nil {
			continue
		}
		ri := rawItem{GUID: strings.TrimSpace(it.ID), Link: firstNonEmpty(it.URL, it.ExternalURL), Title: it.Title,
			Summary: html.EscapeString(it.Summary), Content: it.ContentHTML, Image: firstNonEmpty(it.Image, it.BannerImage),
			Published: it.DatePublished, Updated: it.DateModified, Lang: it.Language}
		if ri.Content == "" && it.ContentText != "" {
			ri.Content = textToHTML(it.ContentText)
		}
		authors := it.Authors
		if it.Author != nil {
			authors = append(authors, it.Author)
		}
		if len(authors) == 0 {
			authors = f.Authors
			if f.Author != nil {
				authors = append(authors, f.Author)
			}
		}
		for _, a := range authors {
			if a != nil && strings.TrimSpace(a.Name) != "" {
				ri.Authors = append(ri.Authors, a.Name)
			}
		}
		ri.Categories = append(ri.Categories, it.Tags...)
		if it.Attachments != nil {
			for _, a := range *it.Attachments {
				if a.URL != "" {
					ri.Enclosures = append(ri.Enclosures, tidings.Enclosure{URL: a.URL, Type: a.MimeType, Length: a.SizeInBytes})
				}
			}
		}
		pf.Items = append(pf.Items, ri)
	}
	return pf, nil
}

// isAtomText reports an Atom text construct to be read as plain text.
// Atom's default type is text, so "a <b> c" there is literal; but many
// feeds put HTML in untyped or type="text" elements, and text that
// carries real markup is taken as the HTML it was meant to be, as feed
// readers do. Other types (html, xhtml, MIME types) are the sanitizer's.
func isAtomText(s, typ string) bool {
	switch strings.ToLower(strings.TrimSpace(typ)) {
	case "", "text", "text/plain":
		return !looksLikeHTML(s)
	}
	return false
}

// isRSSText reports an RSS description that is plain text: no tag and no
// character reference anywhere (RSS carries HTML, often escaped twice, so
// "&amp;" left after XML decoding is HTML too). Its line breaks then
// become paragraphs, and a "<3" in it stays.
func isRSSText(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '<':
			if i+1 < len(s) && (startsMarkup(s[i+1]) && s[i+1] < 0x80) {
				return false
			}
		case '&':
			if j := strings.IndexByte(s[i:], ';'); j > 1 && j < 12 && !strings.ContainsAny(s[i+1:i+j], " \t\n&<") {
				return false
			}
		}
	}
	return true
}

// htmlTags are the elements whose tags mark a text as HTML.
var htmlTags = []string{"p", "br", "a", "img", "div", "span", "em", "strong", "b", "i", "u", "ul", "ol", "li",
	"blockquote", "pre", "code", "h1", "h2", "h3", "h4", "h5", "h6", "figure", "table", "hr", "iframe", "video", "audio", "sup", "sub"}

// looksLikeHTML finds a start or end tag of a common HTML element.
func looksLikeHTML(s string) bool {
	for i := 0; ; {
		j := strings.IndexByte(s[i:], '<')
		if j < 0 {
			return false
		}
		i += j + 1
		rest := strings.TrimPrefix(s[i:], "/")
		for _, tag := range htmlTags {
			if len(rest) > len(tag) && strings.EqualFold(rest[:len(tag)], tag) {
				if c := rest[len(tag)]; c == '>' || c == ' ' || c == '/' || c == '\n' || c == '\t' {
					return true
				}
			}
		}
	}
}

// textToHTML turns plain text into escaped paragraphs.
func textToHTML(s string) string {
	var sb strings.Builder
	for _, p := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			sb.WriteString("<p>")
			sb.WriteString(strings.ReplaceAll(html.EscapeString(p), "\n", "<br>"))
			sb.WriteString("</p>")
		}
	}
	return sb.String()
}

func looksLikeURL(s string) bool {
	return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://")
}

// Raw scanning: gofeed rewrites Atom ids and drops rdf:about, so the few
// values that must be byte-exact are read from the document directly.

type atomRaw struct {
	base    string
	entries []atomRawEntry
}

type atomRawEntry struct{ id, base, summaryType string }

// scanAtom finds each entry's own <id> (not its <source>'s) and xml:base.
func scanAtom(b []byte) atomRaw {
	var r atomRaw
	if s, e := findStartTag(b, 0, "feed"); s >= 0 {
		r.base = attr(b[s:e], "xml:base")
	}
	pos := 0
	for {
		s, e := findStartTag(b, pos, "entry")
		if s < 0 {
			return r
		}
		end := findEndTag(b, e, "entry")
		if end < 0 {
			return r
		}
		body := b[e:end]
		ent := atomRawEntry{base: attr(b[s:e], "xml:base")}
		// Skip a <source> block: its id belongs to the origin feed.
		if ss, se := findStartTag(body, 0, "source"); ss >= 0 {
			if send := findEndTag(body, se, "source"); send >= 0 {
				body = append(append([]byte{}, body[:ss]...), body[send:]...)
			}
		}
		if is, ie := findStartTag(body, 0, "id"); is >= 0 && body[ie-2] != '/' {
			if iend := findEndTag(body, ie, "id"); iend >= 0 {
				v := body[ie:iend]
				if k := bytes.LastIndexByte(v, '<'); k >= 0 { // the end tag itself
					v = v[:k]
				}
				v = bytes.TrimPrefix(bytes.TrimSpace(v), []byte("<![CDATA["))
				v = bytes.TrimSuffix(v, []byte("]]>"))
				ent.id = strings.TrimSpace(html.UnescapeString(string(v)))
			}
		}
		if ss, se := findStartTag(body, 0, "summary"); ss >= 0 {
			ent.summaryType = attr(body[ss:se], "type")
		}
		r.entries = append(r.entries, ent)
		pos = end
	}
}

// rdfAbouts returns the rdf:about of every RSS 1.0 <item>.
func rdfAbouts(b []byte) []string {
	var out []string
	pos := 0
	for {
		s, e := findStartTag(b, pos, "item")
		if s < 0 {
			return out
		}
		out = append(out, strings.TrimSpace(html.UnescapeString(attr(b[s:e], "rdf:about"))))
		pos = e
	}
}

// findStartTag finds the next start tag with the given local name (any
// prefix) at or after pos; it returns the index of '<' and just past '>'.
func findStartTag(b []byte, pos int, local string) (int, int) {
	for pos < len(b) {
		j := bytes.IndexByte(b[pos:], '<')
		if j < 0 {
			return -1, -1
		}
		s := pos + j
		n := s + 1
		for n < len(b) && !isSpaceOrEnd(b[n]) {
			n++
		}
		name := b[s+1 : n]
		if k := bytes.IndexByte(name, ':'); k >= 0 {
			name = name[k+1:]
		}
		if string(name) == local && n < len(b) {
			e := bytes.IndexByte(b[n:], '>')
			if e < 0 {
				return -1, -1
			}
			return s, n + e + 1
		}
		pos = s + 1
	}
	return -1, -1
}

// findEndTag returns the index just past the matching "</[prefix:]local>".
func findEndTag(b []byte, pos int, local string) int {
	for pos < len(b) {
		j := bytes.Index(b[pos:], []byte("</"))
		if j < 0 {
			return -1
		}
		s := pos + j
		e := bytes.IndexByte(b[s:], '>')
		if e < 0 {
			return -1
		}
		name := bytes.TrimSpace(b[s+2 : s+e])
		if k := bytes.IndexByte(name, ':'); k >= 0 {
			name = name[k+1:]
		}
		if string(name) == local {
			return s + e + 1
		}
		pos = s + 2
	}
	return -1
}

// attr reads one attribute from a start tag.
func attr(tag []byte, name string) string {
	i := 0
	for {
		k := bytes.Index(tag[i:], []byte(name))
		if k < 0 {
			return ""
		}
		k += i
		i = k + len(name)
		if k > 0 && !isSpaceOrEnd(tag[k-1]) {
			continue
		}
		rest := bytes.TrimLeft(tag[i:], " \t\r\n")
		if len(rest) == 0 || rest[0] != '=' {
			continue
		}
		rest = bytes.TrimLeft(rest[1:], " \t\r\n")
		if len(rest) == 0 || (rest[0] != '"' && rest[0] != '\'') {
			return ""
		}
		q := rest[0]
		end := bytes.IndexByte(rest[1:], q)
		if end < 0 {
			return ""
		}
		return html.UnescapeString(string(rest[1 : 1+end]))
	}
}
