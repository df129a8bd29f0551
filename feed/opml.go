package feed

import (
	"encoding/xml"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/tidings/tidings"
)

type opmlDoc struct {
	XMLName xml.Name    `xml:"opml"`
	Version string      `xml:"version,attr"`
	Title   string      `xml:"head>title,omitempty"`
	Body    opmlOutline `xml:"body"`
}

type opmlOutline struct {
	Text     string        `xml:"text,attr,omitempty"`
	Title    string        `xml:"title,attr,omitempty"`
	Type     string        `xml:"type,attr,omitempty"`
	XMLURL   string        `xml:"xmlUrl,attr,omitempty"`
	HTMLURL  string        `xml:"htmlUrl,attr,omitempty"`
	Category string        `xml:"category,attr,omitempty"`
	URL      string        `xml:"-"` // url="…", which some tools use for the feed
	Outlines []opmlOutline `xml:"outline"`
}

// UnmarshalXML reads an outline's attributes whatever their case: exports
// with xmlURL or XMLURL exist, and encoding/xml matches names exactly.
func (o *opmlOutline) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	for _, a := range start.Attr {
		switch strings.ToLower(a.Name.Local) {
		case "text":
			o.Text = a.Value
		case "title":
			o.Title = a.Value
		case "type":
			o.Type = a.Value
		case "xmlurl":
			o.XMLURL = a.Value
		case "htmlurl":
			o.HTMLURL = a.Value
		case "category":
			o.Category = a.Value
		case "url":
			o.URL = a.Value
		}
	}
	for {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if !strings.EqualFold(t.Name.Local, "outline") {
				if err := d.Skip(); err != nil {
					return err
				}
				continue
			}
			var child opmlOutline
			if err := child.UnmarshalXML(d, t); err != nil {
				return err
			}
			o.Outlines = append(o.Outlines, child)
		case xml.EndElement:
			return nil
		}
	}
}

// OPMLFile is what an OPML file yields: the feeds to subscribe to, and a
// line for every feed entry that was left out and why.
type OPMLFile struct {
	Feeds   []tidings.Feed
	Skipped []string
}

// ParseOPML reads subscriptions from an OPML file. A feed's Section is the
// outline folder it sits in (the innermost one; nested folders are joined
// with " / "), else its category attribute. Entries that are not feeds a
// poller may fetch (javascript:, file:, …) and repeats are skipped and
// reported; feed:// URLs are read as the http(s) URLs they stand for.
func ParseOPML(r io.Reader) (*OPMLFile, error) {
	var doc opmlDoc
	d := xml.NewDecoder(r)
	d.Strict = false // real exports have stray ampersands and HTML entities
	d.Entity = xml.HTMLEntity
	d.CharsetReader = func(label string, in io.Reader) (io.Reader, error) {
		return charsetReader(label, in)
	}
	if err := d.Decode(&doc); err != nil {
		return nil, fmt.Errorf("parse opml: %w", err)
	}
	out := &OPMLFile{}
	seen := map[string]string{} // URL -> section it was kept in
	var walk func(os []opmlOutline, path []string)
	walk = func(os []opmlOutline, path []string) {
		for _, o := range os {
			raw := strings.TrimSpace(o.XMLURL)
			if raw == "" && isFeedType(o.Type) {
				raw = strings.TrimSpace(o.URL)
			}
			name := strings.TrimSpace(firstNonEmpty(o.Title, o.Text))
			if raw == "" {
				next := path
				if name != "" {
					next = append(append([]string{}, path...), name)
				}
				walk(o.Outlines, next)
				continue
			}
			section := strings.Join(path, " / ")
			if section == "" {
				section = categorySection(o.Category)
			}
			u, ok := feedURL(raw)
			keptIn, dup := seen[u]
			switch {
			case !ok:
				out.Skipped = append(out.Skipped, fmt.Sprintf("%q (%s): not an http(s) URL", firstNonEmpty(name, raw), raw))
			case dup:
				out.Skipped = append(out.Skipped, fmt.Sprintf("%q (%s): listed again in %q; kept in %q", firstNonEmpty(name, u), u, firstNonEmpty(section, "no section"), firstNonEmpty(keptIn, "no section")))
			default:
				seen[u] = section
				out.Feeds = append(out.Feeds, tidings.Feed{URL: u, Title: name, SiteURL: strings.TrimSpace(o.HTMLURL), Section: section})
			}
			walk(o.Outlines, path)
		}
	}
	walk(doc.Body.Outlines, nil)
	return out, nil
}

// isFeedType: the outline types that mean "a feed".
func isFeedType(t string) bool {
	switch strings.ToLower(strings.TrimSpace(t)) {
	case "rss", "atom", "feed", "json":
		return true
	}
	return false
}

// feedURL accepts http(s) URLs with a host, and rewrites the old feed:
// scheme ("feed://host/rss", "feed:https://host/rss").
func feedURL(raw string) (string, bool) {
	if rest, ok := strings.CutPrefix(raw, "feed:"); ok {
		if strings.HasPrefix(rest, "//") {
			raw = "http:" + rest
		} else {
			raw = rest
		}
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", false
	}
	return u.String(), true
}

// categorySection reads the OPML 2.0 category attribute ("/Tech/Go,/News").
func categorySection(c string) string {
	first, _, _ := strings.Cut(c, ",")
	var parts []string
	for _, p := range strings.Split(first, "/") {
		if p = strings.TrimSpace(p); p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, " / ")
}

// WriteOPML writes feeds as OPML 2.0, one folder outline per section. A
// section read from nested folders ("Tech / Go") is written as one folder
// of that name: most readers know one level of folders, and to them the
// name keeps what the nesting said; Tidings reads it back as the same
// section.
func WriteOPML(w io.Writer, title string, feeds []tidings.Feed) error {
	doc := opmlDoc{Version: "2.0", Title: title}
	folders := map[string]int{}
	for _, f := range feeds {
		o := opmlOutline{Type: "rss", Text: firstNonEmpty(f.Title, f.URL), Title: f.Title, XMLURL: f.URL, HTMLURL: f.SiteURL}
		if f.Section == "" {
			doc.Body.Outlines = append(doc.Body.Outlines, o)
			continue
		}
		i, ok := folders[f.Section]
		if !ok {
			i = len(doc.Body.Outlines)
			folders[f.Section] = i
			doc.Body.Outlines = append(doc.Body.Outlines, opmlOutline{Text: f.Section, Title: f.Section})
		}
		doc.Body.Outlines[i].Outlines = append(doc.Body.Outlines[i].Outlines, o)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("write opml: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}
