package feed

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func manyItems(format string, n int) []byte {
	var b strings.Builder
	switch format {
	case "atom":
		b.WriteString(`<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>`)
		for i := range n {
			fmt.Fprintf(&b, "<entry><id>e%d</id><title>T%d</title><updated>2026-01-01T00:00:00Z</updated></entry>\n", i, i)
		}
		b.WriteString("</feed>")
	case "rdf":
		b.WriteString(`<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"><channel rdf:about="x"><title>R</title></channel>`)
		for i := range n {
			fmt.Fprintf(&b, `<item rdf:about="https://r.example.org/%d"><title>T%d</title><link>https://r.example.org/%d</link></item>`+"\n", i, i, i)
		}
		b.WriteString("</rdf:RDF>")
	default:
		b.WriteString(`<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x "y">]><rss version="2.0"><channel><title>R</title><!-- <item> in a comment -->`)
		for i := range n {
			fmt.Fprintf(&b, "<item><guid>g%d</guid><title>T%d</title><description><![CDATA[<item>not one</item>]]></description></item>\n", i, i)
		}
		b.WriteString("</channel></rss>")
	}
	return []byte(b.String())
}

// TestShapeManyItems: a feed of more than maxDocItems items keeps its first
// and last halves, still parses, and says so; a smaller one is untouched.
func TestShapeManyItems(t *testing.T) {
	for _, format := range []string{"rss", "atom", "rdf"} {
		t.Run(format, func(t *testing.T) {
			small := manyItems(format, maxDocItems)
			out, note, err := shapeXML(small, maxDocItems)
			if err != nil || note != "" || !bytes.Equal(out, small) {
				t.Fatalf("%d items: note %q, err %v, changed %v", maxDocItems, note, err, !bytes.Equal(out, small))
			}
			n := maxDocItems + 2345
			pf, err := parseFeed(manyItems(format, n), "")
			if err != nil {
				t.Fatal(err)
			}
			if len(pf.Items) != maxDocItems {
				t.Fatalf("%d items read, want %d", len(pf.Items), maxDocItems)
			}
			half := maxDocItems / 2
			if first, last := pf.Items[half-1].Title, pf.Items[half].Title; first != fmt.Sprint("T", half-1) || last != fmt.Sprint("T", n-half) {
				t.Errorf("around the cut: %q then %q, want T%d then T%d", first, last, half-1, n-half)
			}
			if want := fmt.Sprintf("the feed lists %d items", n); !strings.Contains(strings.Join(pf.Warnings, "; "), want) {
				t.Errorf("warnings %q lack %q", pf.Warnings, want)
			}
		})
	}
}

func TestShapeLimits(t *testing.T) {
	nest := func(depth int) []byte {
		return []byte(`<rss version="2.0"><channel><title>D</title><item><guid>a</guid>` +
			strings.Repeat("<x:a xmlns:x='u'>", depth-3) + strings.Repeat("</x:a>", depth-3) + "</item></channel></rss>")
	}
	if _, _, err := shapeXML(nest(maxXMLDepth), maxDocItems); err != nil {
		t.Errorf("depth %d: %v", maxXMLDepth, err)
	}
	if _, _, err := shapeXML(nest(maxXMLDepth+1), maxDocItems); err == nil || !strings.Contains(err.Error(), "nested") {
		t.Errorf("depth %d: %v, want an error", maxXMLDepth+1, err)
	}
	flood := func(n int) []byte {
		return []byte(`<rss version="2.0" xmlns:x="u"><channel><item><guid>a</guid>` + strings.Repeat("<x:a>v</x:a>", n) + "</item><item><guid>b</guid></item></channel></rss>")
	}
	if _, _, err := shapeXML(flood(maxExtensions), maxDocItems); err != nil {
		t.Errorf("%d extensions: %v", maxExtensions, err)
	}
	if _, _, err := shapeXML(flood(maxExtensions+1), maxDocItems); err == nil || !strings.Contains(err.Error(), "namespaced") {
		t.Errorf("%d extensions: %v, want an error", maxExtensions+1, err)
	}
	// Self-closing tags, quoted '>' and '/' in attributes, and markup in
	// CDATA and comments do not count as nesting.
	odd := []byte(`<rss version="2.0"><channel><item><guid>a</guid>` +
		strings.Repeat(`<x:a href="a>b/"/><x:b t='/>'/><!-- <c><c><c> --><![CDATA[<d><d>]]>`, 300) + "</item></channel></rss>")
	if _, _, err := shapeXML(odd, maxDocItems); err != nil {
		t.Errorf("flat document: %v", err)
	}
}

// FuzzShapeXML: shapeXML never panics, leaves a document it has no note
// for as it is, and only ever takes bytes out.
func FuzzShapeXML(f *testing.F) {
	f.Add(manyItems("rss", 3))
	f.Add(manyItems("atom", 2))
	f.Add([]byte(`<!DOCTYPE x [ <!ENTITY a "<item>"> ] ><rss><channel><item/></channel></rss>`))
	f.Add([]byte(`<a><item><b></item><item></a>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		out, note, err := shapeXML(b, 2)
		if err != nil {
			return
		}
		if note == "" && !bytes.Equal(out, b) {
			t.Fatal("changed without a note")
		}
		if len(out) > len(b) {
			t.Fatal("grew")
		}
		if note != "" && wellFormed(b) && !wellFormed(out) {
			t.Fatalf("cut a well-formed document into a broken one:\n%q\n%q", b, out)
		}
	})
}

// wellFormed reports a document that encoding/xml reads to the end.
func wellFormed(b []byte) bool {
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = true
	for {
		_, err := d.Token()
		if err == io.EOF {
			return true
		}
		if err != nil {
			return false
		}
	}
}

func manyJSONItems(n int) []byte {
	var b strings.Builder
	b.WriteString(`{"version": "https://jsonfeed.org/version/1.1", "title": "J \"quoted\" ]}", "home_page_url": "https://j.example.org/",` + "\n" + ` "items" : [`)
	for i := range n {
		if i > 0 {
			b.WriteString(",\n  ")
		}
		fmt.Fprintf(&b, `{"id": "%d", "title": "T%d", "content_text": "x [1] {y} \\ \"z\"", "_ext": {"items": [1, 2, {"a": []}]}}`, i, i)
	}
	b.WriteString("], \"description\": \"after\"}")
	return []byte(b.String())
}

func TestShapeJSON(t *testing.T) {
	small := manyJSONItems(maxDocItems)
	if out, note := shapeJSON(small, maxDocItems); note != "" || !bytes.Equal(out, small) {
		t.Fatalf("%d items: note %q", maxDocItems, note)
	}
	n := maxDocItems + 1234
	pf, err := parseFeed(manyJSONItems(n), "")
	if err != nil {
		t.Fatal(err)
	}
	half := maxDocItems / 2
	if len(pf.Items) != maxDocItems || pf.Items[half-1].Title != fmt.Sprint("T", half-1) || pf.Items[half].Title != fmt.Sprint("T", n-half) {
		t.Fatalf("%d items read, around the cut %q %q", len(pf.Items), pf.Items[half-1].Title, pf.Items[half].Title)
	}
	if want := fmt.Sprintf("the feed lists %d items", n); !strings.Contains(strings.Join(pf.Warnings, "; "), want) {
		t.Errorf("warnings %q lack %q", pf.Warnings, want)
	}
}

// FuzzShapeJSON: valid JSON stays valid JSON, and only a document with a
// note changes.
func FuzzShapeJSON(f *testing.F) {
	f.Add(manyJSONItems(5))
	f.Add([]byte(`{"items":[1,"a",[2],{"items":[3,4,5]},null,true]}`))
	f.Add([]byte(`{"x":"items","items":[{},{},{}],"items2":[]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		out, note := shapeJSON(b, 2)
		if note == "" && !bytes.Equal(out, b) {
			t.Fatal("changed without a note")
		}
		if note != "" && json.Valid(b) && !json.Valid(out) {
			t.Fatalf("cut valid JSON into invalid JSON:\n%q\n%q", b, out)
		}
	})
}

// BenchmarkShapeXML: the shape check on a feed of 20 items of 15 KB
// bodies, escaped and in CDATA, and with HTML markup in the item text (the
// worst case: a '<' every few bytes).
//
//	go test ./feed -run '^$' -bench ShapeXML
func BenchmarkShapeXML(b *testing.B) {
	para := "<p>" + strings.Repeat("word and <em>other</em> words from a <a href=\"x\">text</a> ", 8) + "</p>"
	body := strings.Repeat(para, 15360/len(para))
	escaped := strings.NewReplacer("<", "&lt;", ">", "&gt;", "\"", "&quot;").Replace(body)
	docs := map[string]string{}
	for name, inner := range map[string]string{"cdata": "<![CDATA[" + body + "]]>", "escaped": escaped} {
		var w strings.Builder
		w.WriteString(`<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>`)
		for i := range 20 {
			fmt.Fprintf(&w, `<item><title>Item %d</title><guid>g%d</guid><description>%s</description></item>`, i, i, inner)
		}
		w.WriteString(`</channel></rss>`)
		docs[name] = w.String()
	}
	for _, name := range []string{"cdata", "escaped"} {
		doc := []byte(docs[name])
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(doc)))
			for b.Loop() {
				if _, _, err := shapeXML(doc, maxDocItems); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestItemListsBounded: an item's title, enclosures, authors and
// categories are bounded, whatever the feed sends.
func TestItemListsBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString(`<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>E</title><item><title>` + strings.Repeat("Très long titre ", 5000) + `</title><guid>a</guid>`)
	for i := range 5000 {
		fmt.Fprintf(&b, `<enclosure url="https://e.example.org/%d.mp3" type="audio/mpeg" length="1"/><category>c%d</category><dc:creator>Author %d</dc:creator>`, i, i, i)
	}
	b.WriteString(`</item></channel></rss>`)
	pf, err := parseFeed([]byte(b.String()), "")
	if err != nil {
		t.Fatal(err)
	}
	it := normalize(pf, 1, "", "https://e.example.org/feed.xml", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)).items[0].item
	if len(it.Enclosures) != maxEnclosures || len(it.Categories) != maxNames || len(it.Authors) != maxNames {
		t.Errorf("kept %d enclosures, %d categories, %d authors", len(it.Enclosures), len(it.Categories), len(it.Authors))
	}
	if len(it.Title) > maxTitle+len("…") || !strings.HasPrefix(it.Title, "Très long titre") || !strings.HasSuffix(it.Title, "long…") || !utf8.ValidString(it.Title) {
		t.Errorf("title of %d bytes: ...%q", len(it.Title), it.Title[max(0, len(it.Title)-20):])
	}
	if it.Enclosures[0].URL != "https://e.example.org/0.mp3" || it.Categories[0] != "c0" {
		t.Errorf("not the first ones: %q, %q", it.Enclosures[0].URL, it.Categories[0])
	}
}

// TestShapeRawHTML: HTML pasted into a feed unescaped leaves <br>, <img>
// and <p> unclosed; that is no nesting, and such a feed still parses as
// it did before the shape check.
func TestShapeRawHTML(t *testing.T) {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0"?><rss version="2.0"><channel><title>R</title><link>https://r.example.org/</link>`)
	for i := range 600 {
		fmt.Fprintf(&b, `<item><title>T%d</title><link>https://r.example.org/%d</link><guid>g%d</guid><description><p>one<br>two<br>three</p><img src="x.png"><hr></description></item>`, i, i, i)
	}
	b.WriteString(`</channel></rss>`)
	doc := []byte(b.String())
	if out, note, err := shapeXML(doc, maxDocItems); err != nil || note != "" || !bytes.Equal(out, doc) {
		t.Fatalf("shapeXML: note %q, err %v", note, err)
	}
	pf, err := parseFeed(doc, "")
	if err != nil || len(pf.Items) != 600 {
		t.Fatalf("parse: %v, %d items", err, len(pf.Items))
	}
	// A long feed of such items is cut between items, and parses.
	b.Reset()
	b.WriteString(`<?xml version="1.0"?><rss version="2.0"><channel><title>R</title>`)
	for i := range maxDocItems + 500 {
		fmt.Fprintf(&b, `<item><title>T%d</title><link>https://r.example.org/%d</link><guid>g%d</guid><description><p>one<br>two</p><img src="x.png"></description></item>`, i, i, i)
	}
	b.WriteString(`</channel></rss>`)
	if pf, err := parseFeed([]byte(b.String()), ""); err != nil || len(pf.Items) != maxDocItems {
		t.Fatalf("long raw-HTML feed: %v", err)
	}
	// Items inside an element taken for an empty HTML one cannot be cut
	// safely: refused, not broken.
	odd := []byte(`<rss><channel><link>` + strings.Repeat("<item><guid>a</guid></item>", 3) + `</link>` + strings.Repeat("<item><guid>b</guid></item>", 3) + `</channel></rss>`)
	if _, _, err := shapeXML(odd, 2); err == nil || !strings.Contains(err.Error(), "cannot be cut") {
		t.Errorf("items inside <link>: %v, want a refusal", err)
	}
	// Unclosed <p>s inside one element close with it.
	unclosed := []byte(`<rss version="2.0"><channel>` + strings.Repeat(`<item><guid>g</guid><x:d xmlns:x="u">`+strings.Repeat("<p>a", 100)+`</x:d></item>`, 20) + `</channel></rss>`)
	if _, _, err := shapeXML(unclosed, maxDocItems); err != nil {
		t.Errorf("unclosed <p>s: %v", err)
	}
}
