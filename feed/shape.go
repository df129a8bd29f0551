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
	maxXMLDepth = 256
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
	var items []itemStart
	var open []int // ids of the open elements
	ids := 0
	itemDepth := -1
	extensions := 0 // in the current item, or before the first
	for i := 0; i < len(b); i++ {
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
			if len(open) > 0 {
				open = open[:len(open)-1]
			}
			i = skipTo(b, i, ">")
		case c == '?':
			i = skipTo(b, i, "?>")
		case c == '!':
			i = skipDeclaration(b, i)
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == ':' || c >= 0x80:
			k := i + 1
			for k < len(b) && !isNameEnd(b[k]) {
				k++
			}
			name := b[i+1 : k]
			end := tagEnd(b, i)
			if end < 0 {
				end = len(b)
			}
			selfClosing := end < len(b) && b[end-1] == '/'
			depth := len(open) + 1 // of this element
			if isItemName(name) && (itemDepth < 0 || depth == itemDepth) {
				itemDepth = depth
				parent := -1
				if len(open) > 0 {
					parent = open[len(open)-1]
				}
				items = append(items, itemStart{i, parent})
				extensions = 0
			} else if p := bytes.IndexByte(name, ':'); p > 0 && string(name[:p]) != "rdf" {
				if extensions++; extensions > maxExtensions {
					return nil, "", fmt.Errorf("more than %d namespaced elements in one item", maxExtensions)
				}
			}
			if !selfClosing {
				if depth > maxXMLDepth {
					return nil, "", fmt.Errorf("elements nested more than %d deep", maxXMLDepth)
				}
				ids++
				open = append(open, ids)
			}
			i = end
		}
	}
	if len(items) <= maxItems {
		return b, "", nil
	}
	half := maxItems / 2
	from, to := items[half], items[len(items)-half]
	if from.parent != to.parent {
		// Items under different parents: no cut keeps the document whole.
		return b, "", nil
	}
	out = make([]byte, 0, from.pos+len(b)-to.pos)
	out = append(append(out, b[:from.pos]...), b[to.pos:]...)
	return out, fmt.Sprintf("the feed lists %d items: read the first %d and the last %d", len(items), half, half), nil
}

// isNameEnd reports a byte that ends an element name.
func isNameEnd(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '>' || c == '/'
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
// byte.
func skipDeclaration(b []byte, i int) int {
	rest := b[i:]
	switch {
	case bytes.HasPrefix(rest, []byte("<![CDATA[")):
		return skipTo(b, i, "]]>")
	case bytes.HasPrefix(rest, []byte("<!--")):
		return skipTo(b, i, "-->")
	}
	gt := bytes.IndexByte(rest, '>')
	if br := bytes.IndexByte(rest, '['); br >= 0 && (gt < 0 || br < gt) {
		return skipTo(b, skipTo(b, i+br, "]"), ">")
	}
	if gt < 0 {
		return len(b) - 1
	}
	return i + gt
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
	from, to := starts[half], starts[len(starts)-half]
	out = make([]byte, 0, from+len(b)-to)
	out = append(append(out, b[:from]...), b[to:]...)
	return out, fmt.Sprintf("the feed lists %d items: read the first %d and the last %d", len(starts), half, half)
}
