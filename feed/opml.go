package feed

import (
	"encoding/xml"
	"fmt"
	"io"
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
	Outlines []opmlOutline `xml:"outline"`
}

// ParseOPML reads subscriptions from an OPML file. A feed's Section is the
// outline folder it sits in (the innermost one; nested folders are joined
// with " / "), else its category attribute.
func ParseOPML(r io.Reader) ([]tidings.Feed, error) {
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
	var feeds []tidings.Feed
	seen := map[string]bool{}
	var walk func(os []opmlOutline, path []string)
	walk = func(os []opmlOutline, path []string) {
		for _, o := range os {
			u := strings.TrimSpace(o.XMLURL)
			if u == "" {
				name := strings.TrimSpace(firstNonEmpty(o.Title, o.Text))
				next := path
				if name != "" {
					next = append(append([]string{}, path...), name)
				}
				walk(o.Outlines, next)
				continue
			}
			if seen[u] {
				continue
			}
			seen[u] = true
			f := tidings.Feed{URL: u, Title: strings.TrimSpace(firstNonEmpty(o.Title, o.Text)), SiteURL: strings.TrimSpace(o.HTMLURL)}
			if len(path) > 0 {
				f.Section = strings.Join(path, " / ")
			} else if c := categorySection(o.Category); c != "" {
				f.Section = c
			}
			feeds = append(feeds, f)
			walk(o.Outlines, path)
		}
	}
	walk(doc.Body.Outlines, nil)
	return feeds, nil
}

// categorySection reads the OPML 2.0 category attribute ("/Tech/Go,/News").
func categorySection(c string) string {
	first, _, _ := strings.Cut(c, ",")
	parts := strings.FieldsFunc(first, func(r rune) bool { return r == '/' })
	return strings.Join(parts, " / ")
}

// WriteOPML writes feeds as OPML 2.0, one folder outline per section.
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
