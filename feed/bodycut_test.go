package feed

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// cutDocs are documents whose item bodies cutBodies takes out, with the
// edge cases of gofeed's text decoding in them.
func cutDocs() [][]byte {
	long := strings.Repeat("Words of a long paragraph, long enough to be worth cutting. ", 8)
	bodies := []string{
		"<![CDATA[<p>" + long + "</p>]]>",
		"  \n<![CDATA[<p>" + long + "</p>]]>\n  ",
		"&lt;p&gt;" + long + "&lt;/p&gt; &amp;amp; &copy=2; &#233; &#xE9; &nbsp; &bogus; &amp &", // entities as gofeed reads them
		"before <![CDATA[<b>" + long + "</b>]]> between &amp; <![CDATA[second]]> after",
		"<![CDATA[" + long + " unterminated &amp;",
		"&lt;p&gt;" + long + strings.Repeat("&", 70) + "; tail &amp; end",
		"\r\n" + long + "\r\nline two &lt;br&gt;\r\n",
	}
	var docs [][]byte
	for _, b := range bodies {
		docs = append(docs,
			[]byte(`<?xml version="1.0"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>T</title><description>`+b+`</description>`+
				`<item><title>A</title><guid>a</guid><description>`+b+`</description><content:encoded>`+b+`</content:encoded></item>`+
				`<item><title>B</title><guid>b</guid><description type="html">`+b+`</description></item></channel></rss>`),
			[]byte(`<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>T</title>`+
				`<entry><id>a</id><title>A</title><summary>`+b+`</summary><content type="html">`+b+`</content></entry>`+
				`<entry><id>b</id><title>B</title><content type="text" xml:lang="en">`+b+`</content></entry>`+
				`<entry><id>c</id><title>C</title><content type="text/html">`+b+`</content></entry>`+
				`<entry><id>d</id><title>D</title><content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">`+long+`</div></content></entry>`+
				`<entry><id>e</id><title>E</title><content type="html" mode="escaped">`+b+`</content></entry></feed>`),
		)
	}
	return docs
}

// TestCutBodiesSameFeed: cutting bodies out before gofeed changes nothing
// in what is parsed, on the fixtures and on the edge cases above.
func TestCutBodiesSameFeed(t *testing.T) {
	docs := cutDocs()
	m, _ := filepath.Glob(filepath.Join("testdata", "*.xml"))
	for _, path := range m {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, b)
	}
	cutSome := 0
	for i, doc := range docs {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			if _, cuts := cutBodies(doc, formatOf(doc)); cuts != nil {
				cutSome++
			}
			assertSameParse(t, doc)
		})
	}
	// All but the two with an unterminated CDATA section, which no
	// parser accepts.
	if want := len(cutDocs()) - 2; cutSome < want {
		t.Errorf("bodies cut in %d documents, want at least %d", cutSome, want)
	}
}

func formatOf(doc []byte) string {
	b, _, err := toUTF8(doc, "")
	if err != nil {
		return ""
	}
	return detectFormat(b)
}

func assertSameParse(t *testing.T, doc []byte) {
	t.Helper()
	b, _, err := toUTF8(doc, "")
	if err != nil {
		return
	}
	format := detectFormat(b)
	if format == "" || format == "json" {
		return
	}
	want, werr := parseFormatWith(b, format, false)
	got, gerr := parseFormatWith(b, format, true)
	if (werr == nil) != (gerr == nil) {
		t.Fatalf("error without cutting %v, with cutting %v", werr, gerr)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("cutting bodies changed the parse:\n got %+v\nwant %+v", got, want)
	}
}

// FuzzCutBodies: the same, on whatever the fuzzer makes of the seeds.
func FuzzCutBodies(f *testing.F) {
	for _, d := range cutDocs() {
		f.Add(d)
	}
	for _, b := range seedFiles(f, "*.xml") {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		assertSameParse(t, doc)
	})
}

func TestDecodeEntities(t *testing.T) {
	tests := map[string]string{
		"a &amp; b":    "a & b",
		"&lt;p&gt;":    "<p>",
		"&#233;&#xE9;": "éé",
		"?a=1&copy=2;": "?a=1&copy=2;",
		"AT&T":         "AT&T",
		"&bogus;":      "&bogus;",
		"a & b; c":     "a & b; c",
		"&amp;amp;":    "&amp;",
		"& ;&amp;":     "& ;&",
		"&nbsp;":       "\u00a0",
		"trailing &":   "trailing &",
	}
	for in, want := range tests {
		if got := decodeEntities(in); got != want {
			t.Errorf("decodeEntities(%q) = %q, want %q", in, got, want)
		}
	}
}

// BenchmarkParseBodies parses a feed of 20 items of 15 KB of HTML, in
// CDATA and escaped, with gofeed alone and with the bodies cut out.
//
//	go test ./feed -run '^$' -bench ParseBodies
func BenchmarkParseBodies(b *testing.B) {
	para := "<p>" + strings.Repeat("word and other words from a text of paragraphs ", 8) + "</p>"
	body := strings.Repeat(para, 15360/len(para))
	escaped := strings.NewReplacer("<", "&lt;", ">", "&gt;").Replace(body)
	var rssCDATA, rssEscaped, atomCDATA strings.Builder
	for _, w := range []*strings.Builder{&rssCDATA, &rssEscaped} {
		w.WriteString(`<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>`)
	}
	atomCDATA.WriteString(`<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>T</title>`)
	for i := range 20 {
		fmt.Fprintf(&rssCDATA, `<item><title>Item %d</title><guid>g%d</guid><description><![CDATA[%s]]></description></item>`, i, i, body)
		fmt.Fprintf(&rssEscaped, `<item><title>Item %d</title><guid>g%d</guid><description>%s</description></item>`, i, i, escaped)
		fmt.Fprintf(&atomCDATA, `<entry><title>Item %d</title><id>g%d</id><content type="html"><![CDATA[%s]]></content></entry>`, i, i, body)
	}
	rssCDATA.WriteString(`</channel></rss>`)
	rssEscaped.WriteString(`</channel></rss>`)
	atomCDATA.WriteString(`</feed>`)
	for _, doc := range []struct {
		name, format string
		b            []byte
	}{
		{"rss-cdata", "rss", []byte(rssCDATA.String())},
		{"rss-escaped", "rss", []byte(rssEscaped.String())},
		{"atom-cdata", "atom", []byte(atomCDATA.String())},
	} {
		for _, cut := range []bool{false, true} {
			name := doc.name + "/gofeed"
			if cut {
				name = doc.name + "/cut"
			}
			b.Run(name, func(b *testing.B) {
				b.SetBytes(int64(len(doc.b)))
				b.ReportAllocs()
				for b.Loop() {
					if _, err := parseFormatWith(doc.b, doc.format, cut); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
