package publish

import (
	"bytes"
	"crypto/sha1"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/gorilla/feeds"
	"github.com/tidings/tidings"
)

// gorilla/feeds v1.2.0 supplies the element types, but its Feed → RSS/Atom/
// JSON converters have defects (random Atom ids, empty dates, no self/hub
// links, no isPermaLink, invalid JSON Feeds without items, ...). So the
// documents are assembled here from its element structs inside our own
// envelopes, from cleaned strings only, and marshaled with encoding/xml and
// encoding/json.

const (
	nsAtom    = "http://www.w3.org/2005/Atom"
	nsContent = "http://purl.org/rss/1.0/modules/content/"
	rssDocs   = "https://www.rssboard.org/rss-specification"
)

type rssDoc struct {
	XMLName   xml.Name   `xml:"rss"`
	Version   string     `xml:"version,attr"`
	NSContent string     `xml:"xmlns:content,attr"`
	NSAtom    string     `xml:"xmlns:atom,attr"`
	Channel   rssChannel `xml:"channel"`
}

type rssChannel struct {
	Title         string           `xml:"title"`
	Link          string           `xml:"link"`
	Description   string           `xml:"description"`
	AtomLinks     []rssAtomLink    `xml:"atom:link"`
	Language      string           `xml:"language,omitempty"`
	PubDate       string           `xml:"pubDate,omitempty"`
	LastBuildDate string           `xml:"lastBuildDate,omitempty"`
	Generator     string           `xml:"generator,omitempty"`
	Docs          string           `xml:"docs,omitempty"`
	TTL           int              `xml:"ttl,omitempty"`
	Items         []*feeds.RssItem `xml:"item"`
}

type rssAtomLink struct {
	Href string `xml:"href,attr"`
	Rel  string `xml:"rel,attr"`
	Type string `xml:"type,attr,omitempty"`
}

type atomDoc struct {
	XMLName   xml.Name           `xml:"feed"`
	Xmlns     string             `xml:"xmlns,attr"`
	Lang      string             `xml:"xml:lang,attr,omitempty"`
	Title     string             `xml:"title"`
	Subtitle  string             `xml:"subtitle,omitempty"`
	ID        string             `xml:"id"`
	Updated   string             `xml:"updated"`
	Links     []feeds.AtomLink   `xml:"link"`
	Author    *feeds.AtomAuthor  `xml:"author"`
	Generator *atomGenerator     `xml:"generator"`
	Entries   []*feeds.AtomEntry `xml:"entry"`
}

type atomGenerator struct {
	URI     string `xml:"uri,attr,omitempty"`
	Version string `xml:"version,attr,omitempty"`
	Name    string `xml:",chardata"`
}

// jsonDoc shadows the embedded feed's `items,omitempty`: JSON Feed 1.1
// requires the key even when there are no items.
type jsonDoc struct {
	feeds.JSONFeed
	Items []jsonItem `json:"items"`
}

type jsonItem struct {
	*feeds.JSONItem
	Tidings *jsonTidings `json:"_tidings,omitempty"`
}

// jsonTidings is the `_tidings` extension of items.json (see DESIGN.md).
type jsonTidings struct {
	Section   string           `json:"section"`
	KeyPoints []string         `json:"key_points"`
	Glossary  []tidings.Term   `json:"glossary"`
	Sources   []tidings.Source `json:"sources"`
	Score     float64          `json:"score"`
	Why       string           `json:"why"`
	Edition   int              `json:"edition"`
	Page      string           `json:"page"`
}

// feedEntry is the format-neutral entry the three writers share.
type feedEntry struct {
	ID        string // tag: URI, stable forever
	Title     string
	Link      string // alternate (HTML) link
	Related   string // our page for the story, item feeds only
	Summary   string // plain text
	Content   string // HTML
	Section   string
	Author    string
	Published time.Time
	Updated   time.Time
	Ext       *jsonTidings
	URL       string // JSON Feed `url`
}

type feedMeta struct {
	Title       string
	Description string
	Home        string // HTML page the feed belongs to
	Self        string // absolute URL of this feed file
	Hubs        []string
	TTL         time.Duration
	Updated     time.Time
}

func fmtRFC3339(t time.Time) string { return t.UTC().Truncate(time.Second).Format(time.RFC3339) }
func fmtRFC822(t time.Time) string  { return t.UTC().Format(time.RFC1123Z) }

// tagID makes an RFC 4151 tag URI: tag:<host>,<date>:<specific>. The date is
// the (immutable) date of the edition or first sighting, so ids never change
// while the host stays the same.
func (s *site) tagID(t time.Time, specific string) string {
	return fmt.Sprintf("tag:%s,%s:%s", s.host, t.UTC().Format("2006-01-02"), specific)
}

// urnOf names a feed for its Atom id: a name-based (version 5) UUID URN of
// its URL. Like every Atom id here it is a URN or tag URI, never a
// dereferenceable URL, and it stays the same as long as the feed's URL does.
func urnOf(feedURL string) string {
	// The RFC 9562 namespace for URLs, 6ba7b811-9dad-11d1-80b4-00c04fd430c8.
	ns := []byte{0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8}
	h := sha1.Sum(append(ns, feedURL...))
	u := h[:16]
	u[6] = u[6]&0x0f | 0x50 // version 5
	u[8] = u[8]&0x3f | 0x80 // RFC 9562 variant
	return fmt.Sprintf("urn:uuid:%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

func (s *site) editionEntries(d *digestData) ([]feedEntry, error) {
	n := len(d.Editions)
	var out []feedEntry
	for i := n - 1; i >= max(0, n-maxEditionEntries); i-- {
		e := d.Editions[i]
		v := s.editionView(d, e)
		content, err := s.editionFragment(v)
		if err != nil {
			return nil, err
		}
		var titles []string
		for _, sec := range v.Sections {
			for _, en := range sec.Entries {
				titles = append(titles, en.Title)
			}
		}
		summary := v.E.Description
		if summary == "" {
			summary = fmt.Sprintf("%d stories: %s", e.Count(), strings.Join(titles, "; "))
		}
		out = append(out, feedEntry{
			ID:        s.tagID(v.Date, fmt.Sprintf("%s/%d", d.Info.Name, e.Number)),
			Title:     v.E.Title,
			Link:      s.base + v.Path,
			URL:       s.base + v.Path,
			Summary:   summary,
			Content:   content,
			Published: v.Date,
			Updated:   v.Date,
		})
	}
	return out, nil
}

func (s *site) itemEntries(d *digestData) []feedEntry {
	var out []feedEntry
	seen := map[string]bool{}
	for i := len(d.Editions) - 1; i >= 0 && len(out) < maxItemEntries; i-- {
		e := d.Editions[i]
		v := s.editionView(d, e)
		for _, sec := range v.Sections {
			for _, en := range sec.Entries {
				if seen[en.PageID] || len(out) >= maxItemEntries {
					continue
				}
				seen[en.PageID] = true
				page := s.base + "items/" + en.PageID + ".html"
				content := s.article(en.ContentHTML)
				if content == "" {
					content = "<p>Full article content is not available for inline reading.</p>"
				}
				first := en.FirstSeen
				if first.IsZero() {
					first = editionTime(e)
				}
				link := en.URL
				if !absoluteURL(link) {
					link = page
				}
				fe := feedEntry{
					ID:        s.tagID(first, "items/"+en.PageID),
					Title:     en.Title,
					Link:      link,
					URL:       link,
					Related:   page,
					Summary:   en.TLDR,
					Content:   content,
					Section:   en.Section,
					Published: entryTime(en.Entry, e),
					Updated:   entryTime(en.Entry, e),
					Ext: &jsonTidings{Section: en.Section, KeyPoints: en.KeyPoints, Glossary: en.Glossary,
						Sources: en.Sources, Score: en.Score, Why: en.Why, Edition: e.Number, Page: page},
				}
				if fe.Summary == "" {
					fe.Summary = en.Title
				}
				if len(en.Authors) > 0 {
					fe.Author = strings.Join(en.Authors, ", ")
				}
				out = append(out, fe)
			}
		}
	}
	return out
}

func absoluteURL(u string) bool {
	p, err := url.Parse(u)
	return err == nil && (p.Scheme == "http" || p.Scheme == "https") && p.Host != ""
}

func (s *site) meta(d *digestData, file string, items bool, entries []feedEntry) feedMeta {
	m := feedMeta{Title: d.Info.Title, Description: d.Info.Description, Home: s.base + d.Info.Name + "/",
		Self: s.base + d.Info.Name + "/" + file, Hubs: cleanList(d.Info.Hubs), TTL: d.Info.TTL}
	if items {
		m.Title += ": stories"
	}
	if m.Description == "" {
		m.Description = "Editions of " + d.Info.Title + ", published by " + s.title + "."
		if items {
			m.Description = "The stories of " + d.Info.Title + ", one entry each, published by " + s.title + "."
		}
	}
	m.Updated = time.Unix(0, 0).UTC()
	for _, e := range entries {
		if e.Updated.After(m.Updated) {
			m.Updated = e.Updated
		}
	}
	return m
}

func (s *site) editionsRSS(d *digestData) ([]byte, error) {
	es, err := s.editionEntries(d)
	if err != nil {
		return nil, err
	}
	return s.rss(s.meta(d, "feed.xml", false, es), es)
}

func (s *site) editionsAtom(d *digestData) ([]byte, error) {
	es, err := s.editionEntries(d)
	if err != nil {
		return nil, err
	}
	return s.atom(s.meta(d, "atom.xml", false, es), es)
}

func (s *site) editionsJSON(d *digestData) ([]byte, error) {
	es, err := s.editionEntries(d)
	if err != nil {
		return nil, err
	}
	return s.jsonFeed(s.meta(d, "feed.json", false, es), es)
}

func (s *site) itemsRSS(d *digestData) ([]byte, error) {
	es := s.itemEntries(d)
	return s.rss(s.meta(d, "items.xml", true, es), es)
}

func (s *site) itemsAtom(d *digestData) ([]byte, error) {
	es := s.itemEntries(d)
	return s.atom(s.meta(d, "items.atom", true, es), es)
}

func (s *site) itemsJSON(d *digestData) ([]byte, error) {
	es := s.itemEntries(d)
	return s.jsonFeed(s.meta(d, "items.json", true, es), es)
}

func (s *site) rss(m feedMeta, es []feedEntry) ([]byte, error) {
	ttl := int(m.TTL / time.Minute)
	if ttl <= 0 {
		ttl = 60
	}
	doc := rssDoc{Version: "2.0", NSContent: nsContent, NSAtom: nsAtom, Channel: rssChannel{
		Title: m.Title, Link: m.Home, Description: m.Description, Language: s.lang,
		AtomLinks: []rssAtomLink{{Href: m.Self, Rel: "self", Type: "application/rss+xml"}},
		Generator: "Tidings " + tidings.Version, Docs: rssDocs, TTL: ttl,
	}}
	for _, h := range m.Hubs {
		doc.Channel.AtomLinks = append(doc.Channel.AtomLinks, rssAtomLink{Href: h, Rel: "hub"})
	}
	if len(es) > 0 {
		doc.Channel.PubDate = fmtRFC822(m.Updated)
		doc.Channel.LastBuildDate = fmtRFC822(m.Updated)
	}
	for _, e := range es {
		it := &feeds.RssItem{
			Title:       e.Title,
			Link:        e.Link,
			Description: e.Summary,
			Content:     &feeds.RssContent{Content: e.Content},
			Category:    e.Section,
			Guid:        &feeds.RssGuid{Id: e.ID, IsPermaLink: "false"},
			PubDate:     fmtRFC822(e.Published),
		}
		doc.Channel.Items = append(doc.Channel.Items, it)
	}
	return marshalXML(doc)
}

func (s *site) atom(m feedMeta, es []feedEntry) ([]byte, error) {
	doc := atomDoc{Xmlns: nsAtom, Lang: s.lang, Title: m.Title, Subtitle: m.Description, ID: urnOf(m.Self),
		Updated: fmtRFC3339(m.Updated),
		Links: []feeds.AtomLink{
			{Href: m.Self, Rel: "self", Type: "application/atom+xml"},
			{Href: m.Home, Rel: "alternate", Type: "text/html"},
		},
		// RFC 4287 requires an author for the feed when entries lack one.
		Author:    &feeds.AtomAuthor{AtomPerson: feeds.AtomPerson{Name: s.title, Uri: s.base}},
		Generator: &atomGenerator{URI: tidings.ProjectURL, Version: tidings.Version, Name: "Tidings"},
	}
	for _, h := range m.Hubs {
		doc.Links = append(doc.Links, feeds.AtomLink{Href: h, Rel: "hub"})
	}
	for _, e := range es {
		ae := &feeds.AtomEntry{
			Title:     e.Title,
			Id:        e.ID,
			Updated:   fmtRFC3339(e.Updated),
			Published: fmtRFC3339(e.Published),
			Links:     []feeds.AtomLink{{Href: e.Link, Rel: "alternate", Type: "text/html"}},
			Summary:   &feeds.AtomSummary{Type: "text", Content: e.Summary},
			Content:   &feeds.AtomContent{Type: "html", Content: e.Content},
		}
		if e.Related != "" && e.Related != e.Link {
			ae.Links = append(ae.Links, feeds.AtomLink{Href: e.Related, Rel: "related", Type: "text/html"})
		}
		if e.Author != "" {
			ae.Author = &feeds.AtomAuthor{AtomPerson: feeds.AtomPerson{Name: e.Author}}
		}
		doc.Entries = append(doc.Entries, ae)
	}
	return marshalXML(doc)
}

func (s *site) jsonFeed(m feedMeta, es []feedEntry) ([]byte, error) {
	doc := jsonDoc{JSONFeed: feeds.JSONFeed{
		Version: "https://jsonfeed.org/version/1.1", Title: m.Title, Language: s.lang,
		HomePageUrl: m.Home, FeedUrl: m.Self, Description: m.Description,
		Authors: []*feeds.JSONAuthor{{Name: s.title, Url: s.base}},
	}, Items: []jsonItem{}}
	for _, h := range m.Hubs {
		doc.Hubs = append(doc.Hubs, &feeds.JSONHub{Type: "WebSub", Url: h})
	}
	for _, e := range es {
		pub, upd := e.Published.UTC().Truncate(time.Second), e.Updated.UTC().Truncate(time.Second)
		it := jsonItem{JSONItem: &feeds.JSONItem{
			Id: e.ID, Url: e.URL, Title: e.Title, Summary: e.Summary, ContentHTML: e.Content,
			PublishedDate: &pub, ModifiedDate: &upd,
		}, Tidings: e.Ext}
		if e.Author != "" {
			it.Authors = []*feeds.JSONAuthor{{Name: e.Author}}
		}
		if e.Section != "" {
			it.Tags = []string{e.Section}
		}
		if it.Tidings != nil {
			// Lists are always arrays, never null, for strict consumers.
			if it.Tidings.KeyPoints == nil {
				it.Tidings.KeyPoints = []string{}
			}
			if it.Tidings.Glossary == nil {
				it.Tidings.Glossary = []tidings.Term{}
			}
			if it.Tidings.Sources == nil {
				it.Tidings.Sources = []tidings.Source{}
			}
		}
		doc.Items = append(doc.Items, it)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // content_html stays readable; JSON needs no escaping of <>&
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func marshalXML(v any) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	enc := xml.NewEncoder(&b)
	enc.Indent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	b.WriteByte('\n')
	return b.Bytes(), nil
}
