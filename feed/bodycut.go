package feed

import (
	"bytes"
	"html"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Item bodies are nearly all of a feed's bytes, and gofeed reads each one
// through encoding/xml a byte at a time only to keep the raw inner XML,
// which it then decodes itself (a third of an ingest's CPU). cutBodies
// takes out the bodies whose inner XML is plain: text and CDATA sections
// with no markup, which is how feeds ship HTML. It decodes them as gofeed
// would and leaves a short marker in their place; gofeed parses the rest,
// and restore puts the bodies back. Anything else (markup inside a body,
// xml:base, unusual attributes, a DTD) is left to gofeed as it is; the
// differential fuzz test checks that both paths give the same feed.

const (
	// minCut: shorter bodies cost gofeed little; a marker is not worth it.
	minCut        = 256
	cutMarker     = "tidingscutbody"
	cdataStart    = "<![CDATA["
	cdataEnd      = "]]>"
	maxEntitySpan = 64 // as gofeed: '&' to ';' at most this far
)

// bodyCuts are the bodies taken out of one document.
type bodyCuts struct{ vals []string }

// restore returns the body a marker stands for, or s itself.
func (c *bodyCuts) restore(s string) string {
	if c == nil || !strings.HasPrefix(s, cutMarker) {
		return s
	}
	n, err := strconv.Atoi(s[len(cutMarker):])
	if err != nil || n < 0 || n >= len(c.vals) {
		return s
	}
	return c.vals[n]
}

// cutBodies returns doc with plain item bodies replaced by markers, or
// doc and nil when there is nothing to cut or the document is unusual.
// format is "rss", "rdf" or "atom".
func cutBodies(doc []byte, format string) ([]byte, *bodyCuts) {
	if bytes.Contains(doc, []byte(cutMarker)) {
		return doc, nil
	}
	itemName := "item"
	targets := map[string]bool{"description": true}
	if format == "atom" {
		if bytes.Contains(doc, []byte("xml:base")) {
			return doc, nil // gofeed resolves URLs in HTML against it
		}
		itemName, targets = "entry", map[string]bool{"content": true, "summary": true}
	} else if bytes.Contains(doc, []byte(`xmlns:content="http://purl.org/rss/1.0/modules/content/"`)) {
		targets["content:encoded"] = true
	}
	var out []byte
	cuts := &bodyCuts{}
	var open []string // the elements around pos
	last := 0
	for pos := 0; pos < len(doc); {
		k := bytes.IndexByte(doc[pos:], '<')
		if k < 0 {
			break
		}
		pos += k
		rest := doc[pos:]
		switch {
		case bytes.HasPrefix(rest, []byte("<!--")):
			e := bytes.Index(rest, []byte("-->"))
			if e < 0 {
				return doc, nil
			}
			pos += e + 3
			continue
		case bytes.HasPrefix(rest, []byte(cdataStart)):
			e := bytes.Index(rest, []byte(cdataEnd))
			if e < 0 {
				return doc, nil
			}
			pos += e + len(cdataEnd)
			continue
		case bytes.HasPrefix(rest, []byte("<?")):
			e := bytes.Index(rest, []byte("?>"))
			if e < 0 {
				return doc, nil
			}
			pos += e + 2
			continue
		case bytes.HasPrefix(rest, []byte("<!")):
			e := bytes.IndexByte(rest, '>')
			if e < 0 || bytes.IndexByte(rest[:e], '[') >= 0 {
				return doc, nil // an internal DTD subset may declare entities
			}
			pos += e + 1
			continue
		}
		end := tagEnd(doc, pos)
		if end < 0 {
			return doc, nil
		}
		if rest[1] == '/' {
			// Anything but well-nested elements is left to gofeed whole.
			if n := len(open); n == 0 || open[n-1] != tagName(doc[pos+2:end]) {
				return doc, nil
			}
			open = open[:len(open)-1]
			pos = end + 1
			continue
		}
		name := tagName(doc[pos+1 : end])
		if doc[end-1] == '/' {
			pos = end + 1
			continue
		}
		if targets[name] && isItemPath(open, itemName) && (format != "atom" || plainAtomAttrs(doc[pos+1+len(name):end])) {
			if close := plainBodyEnd(doc, end+1, name); close >= 0 && close-(end+1) >= minCut {
				raw := doc[end+1 : close]
				out = append(out, doc[last:end+1]...)
				out = append(out, cutMarker...)
				out = strconv.AppendInt(out, int64(len(cuts.vals)), 10)
				last = close
				cuts.vals = append(cuts.vals, decodeInnerXML(raw))
				open = append(open, name)
				pos = close
				continue
			}
		}
		open = append(open, name)
		pos = end + 1
	}
	if len(cuts.vals) == 0 {
		return doc, nil
	}
	return append(out, doc[last:]...), cuts
}

// isItemPath reports open to be exactly the elements around an item's
// children: rss > channel > item, rdf:RDF > item, or feed > entry. A
// body anywhere else may sit inside an element whose raw inner XML gofeed
// keeps, where a marker would show.
func isItemPath(open []string, itemName string) bool {
	switch len(open) {
	case 2:
		return open[1] == itemName && (open[0] == "feed" && itemName == "entry" || open[0] == "rdf:RDF" && itemName == "item")
	case 3:
		return itemName == "item" && open[0] == "rss" && open[1] == "channel" && open[2] == "item"
	}
	return false
}

// tagEnd is the index of the '>' that ends the tag starting at pos, past
// quoted attribute values, or -1.
func tagEnd(doc []byte, pos int) int {
	var quote byte
	for i := pos + 1; i < len(doc); i++ {
		c := doc[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '>':
			return i
		}
	}
	return -1
}

// tagName is the qualified name at the start of a tag's inside.
func tagName(b []byte) string {
	i := 0
	for i < len(b) && !isSpaceOrEnd(b[i]) {
		i++
	}
	return string(b[:i])
}

// plainAtomAttrs accepts an Atom text construct whose gofeed reading
// depends on nothing but its text: no src, mode or other attributes, and
// a type whose CDATA and entity handling cutBodies repeats.
func plainAtomAttrs(attrs []byte) bool {
	attrs = bytes.TrimSuffix(bytes.TrimSpace(attrs), []byte("/"))
	for len(attrs) > 0 {
		attrs = bytes.TrimLeft(attrs, " \t\r\n")
		eq := bytes.IndexByte(attrs, '=')
		if eq < 0 {
			return len(bytes.TrimSpace(attrs)) == 0
		}
		key := string(bytes.TrimSpace(attrs[:eq]))
		v := bytes.TrimLeft(attrs[eq+1:], " \t\r\n")
		if len(v) == 0 || (v[0] != '"' && v[0] != '\'') {
			return false
		}
		e := bytes.IndexByte(v[1:], v[0])
		if e < 0 {
			return false
		}
		val := strings.ToLower(strings.TrimSpace(string(v[1 : 1+e])))
		attrs = v[e+2:]
		switch key {
		case "xml:lang":
		case "type":
			if val != "" && val != "text" && val != "html" && val != "text/html" && val != "text/plain" {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// plainBodyEnd finds the end tag of element name whose content starts at
// pos, if that content is only text and CDATA sections; else -1.
func plainBodyEnd(doc []byte, pos int, name string) int {
	for {
		k := bytes.IndexByte(doc[pos:], '<')
		if k < 0 || bytes.Contains(doc[pos:pos+k], []byte(cdataEnd)) || hasIllegalCharRef(doc[pos:pos+k]) {
			return -1 // errors gofeed must report, as it would without the cut
		}
		pos += k
		rest := doc[pos:]
		if bytes.HasPrefix(rest, []byte(cdataStart)) {
			e := bytes.Index(rest, []byte(cdataEnd))
			if e < 0 {
				return -1
			}
			pos += e + len(cdataEnd)
			continue
		}
		if !bytes.HasPrefix(rest, []byte("</")) || !bytes.HasPrefix(rest[2:], []byte(name)) {
			return -1
		}
		after := bytes.TrimLeft(rest[2+len(name):], " \t\r\n")
		if len(after) == 0 || after[0] != '>' {
			return -1
		}
		return pos
	}
}

// hasIllegalCharRef finds a character reference to a character XML
// forbids ("&#0;"), which encoding/xml rejects even when lenient.
func hasIllegalCharRef(text []byte) bool {
	for {
		i := bytes.Index(text, []byte("&#"))
		if i < 0 {
			return false
		}
		text = text[i+2:]
		base, digits := 10, "0123456789"
		if len(text) > 0 && text[0] == 'x' {
			base, digits, text = 16, "0123456789abcdefABCDEF", text[1:]
		}
		n := 0
		for n < len(text) && strings.IndexByte(digits, text[n]) >= 0 {
			n++
		}
		if n == 0 || n == len(text) || text[n] != ';' {
			continue
		}
		v, err := strconv.ParseUint(string(text[:n]), base, 64)
		if err == nil && v <= unicode.MaxRune && !legalRune(rune(v), utf8.UTFMax) {
			return true
		}
	}
}

// decodeInnerXML reads a body's inner XML as gofeed's text parsing does:
// trimmed, then CDATA sections taken verbatim and the text around them
// entity-decoded. (For Atom's text, html and text/* types without
// xml:base, gofeed's extra steps change nothing in such a body.)
func decodeInnerXML(raw []byte) string {
	t := bytes.TrimSpace(raw)
	// The common shapes, copied once: one CDATA section, or text with no
	// character reference.
	if inner, ok := bytes.CutPrefix(t, []byte(cdataStart)); ok && bytes.HasSuffix(inner, []byte(cdataEnd)) {
		inner = inner[:len(inner)-len(cdataEnd)]
		if !bytes.Contains(inner, []byte(cdataEnd)) {
			return string(inner)
		}
	}
	s := string(t)
	if !strings.Contains(s, cdataStart) {
		return decodeEntities(s)
	}
	var b strings.Builder
	b.Grow(len(s))
	for len(s) > 0 {
		start := strings.Index(s, cdataStart)
		if start < 0 {
			b.WriteString(decodeEntities(s))
			break
		}
		b.WriteString(decodeEntities(s[:start]))
		inner := s[start+len(cdataStart):]
		end := strings.Index(inner, cdataEnd)
		if end < 0 {
			b.WriteString(decodeEntities(s[start:]))
			break
		}
		b.WriteString(inner[:end])
		s = inner[end+len(cdataEnd):]
	}
	return b.String()
}

// decodeEntities decodes character references the way gofeed does: a
// reference ends at a ';' within 64 bytes with no white space before it,
// and counts only if the ';' is part of it (so "&copy=2;" in a URL stays
// as it is); anything else is a literal '&'.
func decodeEntities(s string) string {
	if strings.IndexByte(s, '&') < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for {
		i := strings.IndexByte(s, '&')
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		s = s[i:]
		window := s[:min(len(s), maxEntitySpan)]
		semi := strings.IndexByte(window, ';')
		if semi < 0 && len(window) == len(s) {
			b.WriteString(s)
			return b.String()
		}
		if semi < 0 || strings.ContainsAny(s[1:semi], " \t\r\n") {
			b.WriteByte('&')
			s = s[1:]
			continue
		}
		ref := s[:semi+1]
		dec := html.UnescapeString(ref)
		if dec == html.UnescapeString(ref[:len(ref)-1])+";" {
			b.WriteByte('&')
			s = s[1:]
			continue
		}
		b.WriteString(dec)
		s = s[semi+1:]
	}
}
