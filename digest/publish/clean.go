package publish

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// cleanText makes s safe for every output format: invalid UTF-8 becomes
// U+FFFD and characters that XML 1.0 forbids (C0 controls other than tab,
// newline and carriage return, C1 controls, U+FFFE/U+FFFF) are dropped.
// Feeds are marshaled only from cleaned strings, so no input can make them
// ill-formed.
func cleanText(s string) string {
	if isClean(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if r == utf8.RuneError && size == 1 {
			b.WriteRune(utf8.RuneError)
			continue
		}
		if allowedRune(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func isClean(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			return cleanSlow(s[i:])
		}
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' || c == 0x7f {
			return false
		}
	}
	return true
}

func cleanSlow(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if !allowedRune(r) {
			return false
		}
	}
	return true
}

func allowedRune(r rune) bool {
	switch {
	case r == '\t' || r == '\n' || r == '\r':
		return true
	case r < 0x20 || r == 0x7f:
		return false
	case r >= 0x80 && r <= 0x9f:
		return false
	case r == 0xfffe || r == 0xffff:
		return false
	}
	return true
}

// oneLine cleans s and folds runs of whitespace (including newlines) into
// single spaces: titles and summaries must not break line-based formats.
func oneLine(s string) string {
	return strings.Join(strings.Fields(cleanText(s)), " ")
}

// dropElements are removed with everything inside them: they run code, load
// other documents or would break the page around an article.
var dropElements = map[atom.Atom]bool{
	atom.Script: true, atom.Style: true, atom.Iframe: true, atom.Object: true,
	atom.Embed: true, atom.Form: true, atom.Input: true, atom.Button: true,
	atom.Textarea: true, atom.Select: true, atom.Link: true, atom.Meta: true,
	atom.Base: true, atom.Frame: true, atom.Frameset: true, atom.Noscript: true,
	atom.Template: true, atom.Svg: true, atom.Math: true, atom.Title: true,
	atom.Head: true, atom.Applet: true, atom.Dialog: true,
}

var headingLevel = map[atom.Atom]int{
	atom.H1: 1, atom.H2: 2, atom.H3: 3, atom.H4: 4, atom.H5: 5, atom.H6: 6,
}

var headingAtom = [...]atom.Atom{0, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6}

// cleanHTML re-parses already-sanitized article HTML as a fragment and
// renders it back. Parsing closes every open tag, so an article can never
// swallow what follows it (clean item boundaries). On the way it drops active
// content (the feed sanitizer should have, but feeds are hostile input),
// inline styles (the CSP blocks them) and ids (they could clash with the
// page's own), gives images an alt and re-levels headings to start at
// baseLevel without skipping levels, so pages keep a valid outline.
func cleanHTML(s string, baseLevel int) string {
	s = cleanText(s)
	if strings.TrimSpace(s) == "" {
		return ""
	}
	ctx := &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div}
	nodes, err := html.ParseFragment(strings.NewReader(s), ctx)
	if err != nil {
		return html.EscapeString(s)
	}
	minLevel := 7
	for _, n := range nodes {
		walk(n, func(n *html.Node) {
			if l, ok := headingLevel[n.DataAtom]; ok && n.Type == html.ElementNode && l < minLevel {
				minLevel = l
			}
		})
	}
	last := baseLevel - 1
	var b strings.Builder
	for _, n := range nodes {
		if dropped(n) {
			continue
		}
		scrub(n, minLevel, baseLevel, &last)
		if err := html.Render(&b, n); err != nil {
			return html.EscapeString(s)
		}
	}
	return b.String()
}

// dropped reports elements removed with their content: active ones and
// malformed names (such as "a<script") that only confuse other parsers.
func dropped(n *html.Node) bool {
	if n.Type != html.ElementNode {
		return false
	}
	if dropElements[n.DataAtom] {
		return true
	}
	return !saneName(n.Data)
}

func saneName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return s != ""
}

func walk(n *html.Node, f func(*html.Node)) {
	f(n)
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		walk(c, f)
	}
}

func scrub(n *html.Node, minLevel, base int, last *int) {
	switch n.Type {
	case html.CommentNode:
		n.Data = ""
	case html.TextNode:
		// Character references (&#11;) decode to characters XML forbids.
		n.Data = cleanText(n.Data)
	}
	if n.Type == html.ElementNode {
		if l, ok := headingLevel[n.DataAtom]; ok {
			nl := l - minLevel + base
			if nl > *last+1 {
				nl = *last + 1
			}
			nl = min(max(nl, base), 6)
			*last = nl
			n.DataAtom = headingAtom[nl]
			n.Data = n.DataAtom.String()
		}
		attrs := n.Attr[:0]
		hasAlt := false
		for _, a := range n.Attr {
			key := strings.ToLower(a.Key)
			switch {
			case a.Namespace != "", !saneName(key), strings.HasPrefix(key, "on"), key == "style", key == "id",
				key == "class", key == "target", key == "srcset", key == "tabindex",
				key == "accesskey", key == "autofocus", key == "contenteditable":
				continue
			case key == "href" || key == "src" || key == "cite" || key == "poster" || key == "action":
				if !safeURL(a.Val, key == "src" && n.DataAtom == atom.Img) {
					continue
				}
			case key == "alt":
				hasAlt = true
			}
			a.Val = cleanText(a.Val)
			attrs = append(attrs, a)
		}
		n.Attr = attrs
		if n.DataAtom == atom.Pre || n.DataAtom == atom.Table {
			// They scroll sideways on small screens; keyboard users must be
			// able to reach them to scroll.
			n.Attr = append(n.Attr, html.Attribute{Key: "tabindex", Val: "0"})
		}
		if n.DataAtom == atom.Img && !hasAlt {
			n.Attr = append(n.Attr, html.Attribute{Key: "alt", Val: ""})
		}
		if n.DataAtom == atom.A && textOf(n) == "" && !hasImageAlt(n) {
			href := ""
			for _, a := range n.Attr {
				if a.Key == "href" {
					href = a.Val
				}
			}
			n.Attr = append(n.Attr, html.Attribute{Key: "aria-label", Val: "link to " + href})
		}
	}
	for c := n.FirstChild; c != nil; {
		next := c.NextSibling
		if dropped(c) {
			n.RemoveChild(c)
		} else {
			scrub(c, minLevel, base, last)
		}
		c = next
	}
}

func textOf(n *html.Node) string {
	var b strings.Builder
	walk(n, func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
	})
	return strings.TrimSpace(b.String())
}

func hasImageAlt(n *html.Node) bool {
	found := false
	walk(n, func(n *html.Node) {
		if n.Type == html.ElementNode && n.DataAtom == atom.Img {
			for _, a := range n.Attr {
				if a.Key == "alt" && strings.TrimSpace(a.Val) != "" {
					found = true
				}
			}
		}
	})
	return found
}

// safeURL accepts relative URLs and http(s)/mailto ones; data: only for
// images.
func safeURL(v string, image bool) bool {
	u := strings.ToLower(strings.TrimSpace(v))
	u = strings.Map(func(r rune) rune {
		if r < 0x21 {
			return -1
		}
		return r
	}, u)
	i := strings.IndexAny(u, ":/?#")
	if i < 0 || u[i] != ':' {
		return true // relative
	}
	switch u[:i] {
	case "http", "https", "mailto":
		return true
	case "data":
		return image && strings.HasPrefix(u, "data:image/")
	}
	return false
}
