package feed

import (
	"bytes"
	"fmt"
	"strings"
)

// Feeds break in a few ways over and over, and a strict parser drops the
// whole feed for any of them. These repairs run only after a document
// failed to parse (or to be recognised); each one says what it did, so a
// feed that parses only thanks to them shows it in inspect.

// maxJunkPrefix bounds how far into a body a feed's start is looked for.
const maxJunkPrefix = 64 << 10

// skipJunkPrefix drops what a server printed before the feed itself: a
// PHP warning, a stray line of debug output. It finds the XML declaration,
// else the root element of a feed, in the first 64 KB; an HTML page is
// left alone, since a feed inside one is not the page's content.
func skipJunkPrefix(b []byte) ([]byte, string) {
	h := head(b, maxJunkPrefix)
	i := bytes.Index(h, []byte("<?xml"))
	if i < 0 {
		i = firstFeedRoot(h)
	}
	if i <= 0 {
		return nil, ""
	}
	prefix := bytes.ToLower(h[:i])
	if bytes.Contains(prefix, []byte("<html")) || bytes.Contains(prefix, []byte("<!doctype")) {
		return nil, ""
	}
	if len(bytes.TrimSpace(prefix)) == 0 {
		return nil, "" // only white space: the parsers skip it themselves
	}
	return b[i:], fmt.Sprintf("dropped %d bytes of text before the feed (a server-side error message?)", i)
}

// firstFeedRoot is the offset of the first <rss, <feed or <rdf:RDF start
// tag, or -1.
func firstFeedRoot(b []byte) int {
	best := -1
	for _, root := range []string{"<rss", "<feed", "<rdf:RDF"} {
		for off := 0; ; {
			j := bytes.Index(b[off:], []byte(root))
			if j < 0 {
				break
			}
			j += off
			if end := j + len(root); end < len(b) && isSpaceOrEnd(b[end]) {
				if best < 0 || j < best {
					best = j
				}
				break
			}
			off = j + 1
		}
	}
	return best
}

// repairXML mends the two breakages that stop encoding/xml even in its
// lenient mode: a bare '<' in text ("1 < 2", "<3"), and a document cut
// short, by its generator running out of time or memory, after some
// complete items. It returns nil if there is nothing it knows to mend.
func repairXML(b []byte, format string, parseErr error) ([]byte, []string) {
	var notes []string
	fixed, n := escapeStrayLT(b)
	if n > 0 {
		notes = append(notes, fmt.Sprintf("escaped %d stray '<' in text", n))
	} else {
		fixed = b
	}
	if isUnexpectedEOF(parseErr) {
		if cut, ok := closeTruncated(fixed, format); ok {
			fixed = cut
			notes = append(notes, "the document was cut short: kept the complete items before the cut")
		}
	}
	if len(notes) == 0 {
		return nil, nil
	}
	return fixed, notes
}

// escapeStrayLT replaces each '<' that cannot start markup with "&lt;",
// leaving CDATA sections, comments and processing instructions as they
// are. It returns nil and 0 if there is none.
func escapeStrayLT(b []byte) ([]byte, int) {
	var out []byte
	n, last := 0, 0
	for i := 0; i < len(b); i++ {
		if b[i] != '<' {
			continue
		}
		rest := b[i:]
		switch {
		case bytes.HasPrefix(rest, []byte("<![CDATA[")):
			i = skipTo(b, i, "]]>")
			continue
		case bytes.HasPrefix(rest, []byte("<!--")):
			i = skipTo(b, i, "-->")
			continue
		case bytes.HasPrefix(rest, []byte("<?")):
			i = skipTo(b, i, "?>")
			continue
		}
		if i+1 < len(b) && startsMarkup(b[i+1]) {
			continue
		}
		out = append(out, b[last:i]...)
		out = append(out, "&lt;"...)
		last = i + 1
		n++
	}
	if n == 0 {
		return nil, 0
	}
	return append(out, b[last:]...), n
}

// skipTo is the index of the last byte of the first end after i, or the
// end of b.
func skipTo(b []byte, i int, end string) int {
	if j := bytes.Index(b[i:], []byte(end)); j >= 0 {
		return i + j + len(end) - 1
	}
	return len(b) - 1
}

// startsMarkup: what may follow '<' in XML (a name start, an end tag, a
// declaration). Bytes from 0x80 may start a non-ASCII name.
func startsMarkup(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == ':' || c == '/' || c == '!' || c == '?' || c >= 0x80
}

// closeTruncated cuts a document after its last complete item or entry
// and closes the elements that enclose items in that format.
func closeTruncated(b []byte, format string) ([]byte, bool) {
	endTag, closers := "</item>", "</channel></rss>"
	switch format {
	case "atom":
		endTag, closers = "</entry>", "</feed>"
	case "rdf":
		closers = "</rdf:RDF>"
	}
	i := bytes.LastIndex(b, []byte(endTag))
	if i < 0 {
		return nil, false
	}
	i += len(endTag)
	out := make([]byte, 0, i+len(closers))
	return append(append(out, b[:i]...), closers...), true
}

// isUnexpectedEOF reports a parse that ran out of document. gofeed does
// not always wrap encoding/xml's error, so its text is what is left.
func isUnexpectedEOF(err error) bool {
	return err != nil && strings.Contains(err.Error(), "unexpected EOF")
}
