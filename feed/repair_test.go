package feed

import (
	"errors"
	"testing"
)

func TestEscapeStrayLT(t *testing.T) {
	tests := []struct {
		in, want string
		n        int
	}{
		{`<t>1 < 2</t>`, `<t>1 &lt; 2</t>`, 1},
		{`<t>I <3 it, x <= y</t>`, `<t>I &lt;3 it, x &lt;= y</t>`, 2},
		{`<t><![CDATA[a < b]]> < </t>`, `<t><![CDATA[a < b]]> &lt; </t>`, 1},
		{`<!-- 1 < 2 --><?pi a < b?><t/>`, "", 0},
		{`<a:b/><_x/><é/></t>`, "", 0},
		{`<t>ends with <`, `<t>ends with &lt;`, 1},
		{`<![CDATA[never closed < `, "", 0},
	}
	for _, tc := range tests {
		got, n := escapeStrayLT([]byte(tc.in))
		if n != tc.n || string(got) != tc.want {
			t.Errorf("escapeStrayLT(%q) = %q, %d; want %q, %d", tc.in, got, n, tc.want, tc.n)
		}
	}
}

func TestSkipJunkPrefix(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"php warning before the declaration", "<b>Warning</b>: x<br />\n<?xml version=\"1.0\"?><rss/>", "<?xml version=\"1.0\"?><rss/>"},
		{"debug line before an atom root", "debug: 42\n<feed xmlns=\"http://www.w3.org/2005/Atom\"></feed>", "<feed xmlns=\"http://www.w3.org/2005/Atom\"></feed>"},
		{"not a prefix of <rss", "x <rssfoo> <rss>", "<rss>"},
		{"html page mentioning a feed", "<!DOCTYPE html><html><pre><?xml version=\"1.0\"?><rss/></pre></html>", ""},
		{"white space only", "\n  <?xml version=\"1.0\"?><rss/>", ""},
		{"no feed at all", "<br>hello", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, note := skipJunkPrefix([]byte(tc.in))
			if string(got) != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
			if (note != "") != (tc.want != "") {
				t.Errorf("note %q with result %q", note, got)
			}
		})
	}
}

func TestRepairTruncated(t *testing.T) {
	eof := errors.New("XML syntax error on line 9: unexpected EOF")
	tests := []struct {
		name, format, in string
		items            int // -1: still an error
	}{
		{"rss cut inside the third item", "rss", `<rss version="2.0"><channel><title>T</title><item><guid>1</guid></item><item><guid>2</guid></item><item><guid>3</gu`, 2},
		{"rss missing only its end tags", "rss", `<rss version="2.0"><channel><item><guid>1</guid></item>`, 1},
		{"atom cut inside an entry", "atom", `<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>a</id></entry><entry><id>b`, 1},
		{"rdf cut after an item", "rdf", `<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"><channel><title>R</title></channel><item rdf:about="https://e.org/1"><title>I</title><link>https://e.org/1</link></item><item><ti`, 1},
		{"no complete item", "rss", `<rss version="2.0"><channel><item><guid>1</gu`, -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fixed, notes := repairXML([]byte(tc.in), tc.format, eof)
			if tc.items < 0 {
				if fixed != nil {
					t.Fatalf("repaired %q into %q", tc.in, fixed)
				}
				return
			}
			if len(notes) == 0 {
				t.Fatal("no note of the repair")
			}
			pf, err := parseFormat(fixed, tc.format)
			if err != nil {
				t.Fatalf("repaired document still fails: %v\n%s", err, fixed)
			}
			if len(pf.Items) != tc.items {
				t.Errorf("%d items, want %d", len(pf.Items), tc.items)
			}
		})
	}
	// Only a parse that ran out of document is cut: any other error with
	// nothing else to mend is left as it is.
	if fixed, _ := repairXML([]byte(`<rss><channel><item></item></channel></rss>`), "rss", errors.New("XML syntax error: expected /> in element")); fixed != nil {
		t.Errorf("repaired a document whose error was not a cut: %q", fixed)
	}
}
