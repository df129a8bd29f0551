package feed

import (
	"bytes"
	"fmt"
)

// Limits on the shape of an XML document, applied before gofeed builds it
// in memory. gofeed keeps every item, and every namespaced element as a
// tree of extensions: a hostile 14 MB feed of 1.3 million nested elements
// took 1.8 GB and 5 s, and one of 350,000 empty items 766 MB, enough to
// get the daemon killed on a Pi. Real feeds nest less than 30 deep (XHTML
// content included) and rarely carry more than a few thousand items.
const (
	maxXMLDepth = 512
	maxDocItems = 10000
	// maxExtensions bounds the namespaced elements (other than RDF's) in
	// one item, or before the first item: gofeed keeps each as a map-laden
	// extension (700,000 of them took 245 MB). Podcast items carry about
	// a hundred.
	maxExtensions = 50000
)

// shapeXML checks how deep the document's elements nest and, when it holds
// more than maxItems items (or entries), takes out the middle ones: the
// first and the last maxItems/2 stay, so a feed is read whether it
// lists its newest items first or last. note says what was taken out.
func shapeXML(b []byte, maxItems int) (out []byte, note string, err error) {
	type itemStart struct{ pos, parent int }
	type element struct {
		id   int
		name []byte
	}
	var items []itemStart
	var open []element
	ids := 0
	itemDepth := -1
	extensions := 0 // in the current item, or before the first
	for i := 0; ; {
		t := nextTag(b, i)
		if t.kind == noTag {
			break
		}
		i = t.last + 1
		if t.kind == endTag {
			// An end tag closes its element and whatever was left open in
			// it (HTML pasted into a feed unescaped: <p>a<br>b</p>); one
			// that matches nothing open is ignored.
			for d := len(open) - 1; d >= 0; d-- {
				if bytes.Equal(open[d].name, t.name) {
					open = open[:d]
					break
				}
			}
			continue
		}
		depth := len(open) + 1 // of this element
		if isItemName(t.name) && (itemDepth < 0 || depth == itemDepth) {
			itemDepth = depth
			parent := -1
			if len(open) > 0 {
				parent = open[len(open)-1].id
			}
			items = append(items, itemStart{t.start, parent})
			extensions = 0
		} else if p := bytes.IndexByte(t.name, ':'); p > 0 && string(t.name[:p]) != "rdf" {
			if extensions++; extensions > maxExtensions {
				return nil, "", fmt.Errorf("more than %d namespaced elements in one item", maxExtensions)
			}
		}
		if !t.selfClosing && !htmlVoid(t.name) {
			if depth > maxXMLDepth {
				return nil, "", fmt.Errorf("elements nested more than %d deep", maxXMLDepth)
			}
			ids++
			open = append(open, element{ids, t.name})
		}
	}
	if len(items) <= maxItems {
		return b, "", nil
	}
	half := maxItems / 2
	from, to := items[half], items[len(items)-half]
	if from.parent != to.parent || !regionClosed(b[from.pos:to.pos]) {
		// No cut here keeps the document whole (items under different
		// parents, or inside an element taken for an empty HTML one).
		return nil, "", fmt.Errorf("the feed lists %d items, more than %d, and cannot be cut to size", len(items), maxItems)
	}
	out, note = cutMiddle(b, from.pos, to.pos, len(items), half)
	return out, note, nil
}

// regionClosed reports whether every end tag in b closes an element that
// starts in b, so that taking b out of a document leaves the elements
// around it whole. Elements left open in b (an unclosed <br>) are fine.
func regionClosed(b []byte) bool {
	var open [][]byte
	for i := 0; ; {
		t := nextTag(b, i)
		switch {
		case t.kind == noTag:
			return true
		case t.unterminated:
			return false
		case t.kind == endTag:
			d := len(open) - 1
			for d >= 0 && !bytes.Equal(open[d], t.name) {
				d--
			}
			if d < 0 {
				return false
			}
			open = open[:d]
		case !t.selfClosing:
			open = append(open, t.name)
		}
		i = t.last + 1
	}
}

type tagKind int

const (
	noTag tagKind = iota
	startTag
	endTag
)

// tag is a start or end tag found by nextTag.
type tag struct {
	kind         tagKind
	name         []byte
	start, last  int // indexes of its '<' and of its last byte
	selfClosing  bool
	unterminated bool // no '>' before the end of the input
}

// nextTag finds the first start or end tag at or after i, past comments,
// CDATA sections, declarations, processing instructions and any '<' that
// starts no markup; its kind is noTag at the end of b.
func nextTag(b []byte, i int) tag {
	for ; i < len(b); i++ {
		j := bytes.IndexByte(b[i:], '<')
		if j < 0 {
			break
		}
		i += j
		if i+1 >= len(b) {
			break
		}
		switch c := b[i+1]; {
		case c == '/':
			k := i + 2
			for k < len(b) && !isSpaceOrEnd(b[k]) {
				k++
			}
			t := tag{kind: endTag, name: b[i+2 : k], start: i, last: bytes.IndexByte(b[k:], '>')}
			if t.last < 0 {
				t.last, t.unterminated = len(b)-1, true
			} else {
				t.last += k
			}
			return t
		case c == '?':
			i = skipTo(b, i, "?>")
		case c == '!':
			i = skipDeclaration(b, i)
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == ':' || c >= 0x80:
			k := i + 1
			for k < len(b) && !isSpaceOrEnd(b[k]) {
				k++
			}
			t := tag{kind: startTag, name: b[i+1 : k], start: i, last: tagEnd(b, i)}
			if t.last < 0 {
				t.last, t.unterminated = len(b)-1, true
			} else {
				t.selfClosing = b[t.last-1] == '/'
			}
			return t
		}
	}
	return tag{kind: noTag}
}

// htmlVoid reports HTML's empty elements, which HTML pasted into a feed
// unescaped leaves unclosed (<br>, <img>). RSS's <link> has content, but
// as its end tag then matches nothing open, it is ignored.
func htmlVoid(name []byte) bool {
	switch string(name) {
	case "br", "img", "hr", "input", "meta", "link", "area", "base", "col", "embed", "param", "source", "track", "wbr":
		return true
	}
	return false
}

// isItemName: item or entry, with any namespace prefix.
func isItemName(name []byte) bool {
	if k := bytes.IndexByte(name, ':'); k >= 0 {
		name = name[k+1:]
	}
	return string(name) == "item" || string(name) == "entry"
}

// skipDeclaration skips a comment, a CDATA section or a declaration such
// as a DOCTYPE with its internal subset, returning the index of its last
// byte. A declaration ends as encoding/xml ends it: at the first '>' that
// is not quoted or nested in a '<' of its own, counted from the second
// byte after "<!".
func skipDeclaration(b []byte, i int) int {
	rest := b[i:]
	switch {
	case bytes.HasPrefix(rest, []byte("<![CDATA[")):
		return skipTo(b, i, "]]>")
	case bytes.HasPrefix(rest, []byte("<!--")):
		return skipTo(b, i, "-->")
	}
	depth := 0
	var quote byte
	for k := i + 3; k < len(b); k++ {
		switch c := b[k]; {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '<':
			depth++
		case c == '>':
			if depth == 0 {
				return k
			}
			depth--
		}
	}
	return len(b) - 1
}

// shapeJSON is shapeXML's item limit for JSON Feed: when the top-level
// "items" array holds more than maxItems elements, the middle ones are
// taken out, so gofeed never decodes them (300,000 small items took
// 790 MB). Nesting is bounded by encoding/json itself.
func shapeJSON(b []byte, maxItems int) (out []byte, note string) {
	var starts []int
	depth, itemsDepth := 0, -1
	itemsKey, wantElem := false, false
	elem := func(i int) {
		if wantElem && depth == itemsDepth {
			starts = append(starts, i)
			wantElem = false
		}
	}
scan:
	for i := 0; i < len(b); i++ {
		switch c := b[i]; c {
		case ' ', '\t', '\r', '\n', ':':
		case '{', '[':
			elem(i)
			open := c == '[' && depth == 1 && itemsKey && itemsDepth < 0
			itemsKey = false
			depth++
			if open {
				itemsDepth, wantElem = depth, true
			}
		case '}', ']':
			depth--
			if itemsDepth > 0 && depth < itemsDepth {
				break scan
			}
		case ',':
			if depth == itemsDepth {
				wantElem = true
			}
		case '"':
			elem(i)
			j := i + 1
			for j < len(b) && b[j] != '"' {
				if b[j] == '\\' {
					j++
				}
				j++
			}
			if depth == 1 {
				k := j + 1
				for k < len(b) && (b[k] == ' ' || b[k] == '\t' || b[k] == '\r' || b[k] == '\n') {
					k++
				}
				isKey := k < len(b) && b[k] == ':'
				itemsKey = isKey && string(b[i+1:min(j, len(b))]) == "items"
			}
			i = j
		default:
			elem(i)
			if depth == 1 {
				itemsKey = false
			}
		}
	}
	if len(starts) <= maxItems {
		return b, ""
	}
	half := maxItems / 2
	return cutMiddle(b, starts[half], starts[len(starts)-half], len(starts), half)
}

// cutMiddle returns b without b[from:to], the items between the first and
// the last half of a document's n items, and the note that says so.
func cutMiddle(b []byte, from, to, n, half int) ([]byte, string) {
	out := make([]byte, 0, from+len(b)-to)
	out = append(append(out, b[:from]...), b[to:]...)
	return out, fmt.Sprintf("the feed lists %d items: read the first %d and the last %d", n, half, half)
}
