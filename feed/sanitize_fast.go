package feed

import (
	"bytes"
	"net/url"
	"strings"
	"unsafe"

	"github.com/microcosm-cc/bluemonday"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// fastPath is what the prepass may write itself because the policy would
// write it byte for byte the same (each found by asking the policy). A
// fragment made only of such parts is sanitized by the prepass alone: the
// allowlist would tokenize it a second time to write the same thing, which
// was a third of sanitizing and most of it on HTML with links.
type fastPath struct {
	// plain holds the elements the policy keeps unchanged when they have
	// no attributes.
	plain map[string]bool
	// links: a bare external link is written as linkTag does.
	links bool
	// images: an <img> with only src, alt, width and height that pass
	// imageAttrsOK is kept as it is.
	images bool
}

// imageAttrsOK reports whether the policy keeps an <img> with these
// attributes exactly as they are: a src that fastLink accepts, and only
// alt, width and height besides, each once, with values its patterns
// accept.
func imageAttrsOK(attrs []html.Attribute) bool {
	src := false
	for i, a := range attrs {
		for _, prev := range attrs[:i] {
			if prev.Key == a.Key {
				return false // the policy keeps only the first
			}
		}
		switch a.Key {
		case "src":
			if !fastLink(a.Val) {
				return false
			}
			src = true
		case "alt":
			if !bluemonday.Paragraph.MatchString(a.Val) {
				return false
			}
		case "width", "height":
			if !bluemonday.NumberOrPercent.MatchString(a.Val) {
				return false
			}
		default:
			return false
		}
	}
	return src
}

// linkTag is the start tag the policy writes for a link whose only
// attribute is the external URL href (see fastLink).
func linkTag(href string) string {
	return `<a href="` + html.EscapeString(href) + `" rel="noreferrer noopener" target="_blank">`
}

// fastLink reports whether the policy keeps href exactly as it is and
// treats the link as external: an absolute http(s) URL with a host, which
// url.Parse reads back unchanged (the policy writes back what it parsed),
// without spaces, quotes, angle brackets or non-ASCII bytes.
func fastLink(href string) bool {
	if len(href) > 2048 || !strings.HasPrefix(href, "https://") && !strings.HasPrefix(href, "http://") {
		return false
	}
	for i := 0; i < len(href); i++ {
		switch c := href[i]; {
		case c <= ' ' || c >= 0x7f, c == '"', c == '\'', c == '<', c == '>', c == '\\', c == '`':
			return false
		}
	}
	u, err := url.Parse(href)
	return err == nil && u.Host != "" && u.String() == href
}

// plainCandidates are the common attribute-free elements of feed HTML.
const plainCandidates = `p br hr em strong b i u s q small sub sup mark code pre kbd samp var
	blockquote h1 h2 h3 h4 h5 h6 ul ol li dl dt dd table thead tbody tfoot tr td th caption
	figure figcaption div span abbr cite dfn del ins time details summary`

// scanPlain is prepass's fast path without the tokenizer, for fragments
// of entity-free text and bare tags named in plain (<p>, </p>, <br/>): it
// reads them exactly as the tokenizer would and returns what tokenPass
// returns for them. Anything else (an entity, \r or NUL in text, an
// attribute, a comment, any other '<') makes it give up (ok false), and
// tokenPass starts over. It is a third of tokenPass's cost on such
// fragments, which are most of a plain-prose feed.
//
// With links it also takes <a href="..."> written just so (one
// double-quoted attribute without entities) whose resolved href passes
// fastLink, as tokenPass does, and its </a>.
func scanPlain(s string, base *url.URL, fp *fastPath) (safe, text string, words int, ok bool) {
	// A read-only view of s: copying it would double the bytes this fast
	// path allocates. Nothing below writes through b.
	b := unsafe.Slice(unsafe.StringData(s), len(s))
	out := lazyCopy{src: s}
	var tr textRender
	tr.b.Grow(len(s))
	openLinks := 0
	for i := 0; i < len(b); {
		if fp.images && bytes.HasPrefix(b[i:], []byte("<img ")) {
			n, tok, ok := scanImage(b[i:])
			if !ok {
				return "", "", 0, false
			}
			i += n
			if trackingPixel(tok) {
				out.drop()
				continue
			}
			resolveAttrs(&tok, base)
			if !imageAttrsOK(tok.Attr) {
				return "", "", 0, false
			}
			out.writeString(tok.String())
			continue
		}
		if fp.links && bytes.HasPrefix(b[i:], []byte(`<a href="`)) {
			v := b[i+len(`<a href="`):]
			q := bytes.IndexByte(v, '"')
			if q < 0 || q+1 >= len(v) || v[q+1] != '>' || tokenizerRewrites(v[:q]) {
				return "", "", 0, false // the tokenizer would read the value differently
			}
			href := resolveURL(base, string(v[:q]))
			if !fastLink(href) {
				return "", "", 0, false
			}
			out.writeString(linkTag(href))
			openLinks++
			i += len(`<a href="`) + q + 2
			continue
		}
		if b[i] != '<' {
			j := bytes.IndexByte(b[i:], '<')
			if j < 0 {
				j = len(b) - i
			}
			seg := b[i : i+j]
			if tokenizerRewrites(seg) {
				return "", "", 0, false // the tokenizer would rewrite the text
			}
			if needsEscape(seg) {
				out.writeString(html.EscapeString(string(seg)))
			} else {
				out.keep(seg)
			}
			tr.add(seg)
			i += j
			continue
		}
		j := bytes.IndexByte(b[i:], '>')
		if j < 0 {
			return "", "", 0, false
		}
		name := b[i+1 : i+j]
		closing := len(name) > 0 && name[0] == '/'
		if closing {
			name = name[1:]
		} else if len(name) > 0 && name[len(name)-1] == '/' {
			name = name[:len(name)-1]
		}
		if len(name) == 0 || name[0] < 'a' || name[0] > 'z' {
			return "", "", 0, false
		}
		for _, c := range name {
			if (c < 'a' || c > 'z') && (c < '0' || c > '9') {
				return "", "", 0, false
			}
		}
		switch {
		case fp.plain[string(name)]:
		case closing && string(name) == "a" && openLinks > 0:
			openLinks--
		default:
			return "", "", 0, false
		}
		out.keep(b[i : i+j+1])
		if blockish(atom.Lookup(name)) {
			tr.block()
		}
		i += j + 1
	}
	return out.String(), tr.String(), tr.words, true
}

// tokenizerRewrites reports whether the tokenizer would hand back text or
// an attribute value other than as written: entities are decoded, \r\n
// becomes \n, NUL is replaced.
func tokenizerRewrites(b []byte) bool {
	return bytes.IndexByte(b, '&') >= 0 || bytes.IndexByte(b, '\r') >= 0 || bytes.IndexByte(b, 0) >= 0
}

// scanImage reads an <img> tag written just so at the start of b: one
// space before each key="value" attribute, lower-case keys, values without
// entities, \r or NUL (the tokenizer would rewrite those), and '>' right
// after the last quote. It returns the tag's length and the token the
// tokenizer would make of it.
func scanImage(b []byte) (int, html.Token, bool) {
	tok := html.Token{Type: html.StartTagToken, DataAtom: atom.Img, Data: "img"}
	i := len("<img")
	for i < len(b) && b[i] == ' ' {
		i++
		eq := bytes.IndexByte(b[i:], '=')
		if eq <= 0 || i+eq+1 >= len(b) || b[i+eq+1] != '"' {
			return 0, tok, false
		}
		key := b[i : i+eq]
		for _, c := range key {
			if c < 'a' || c > 'z' {
				return 0, tok, false
			}
		}
		v := b[i+eq+2:]
		q := bytes.IndexByte(v, '"')
		if q < 0 || tokenizerRewrites(v[:q]) {
			return 0, tok, false
		}
		tok.Attr = append(tok.Attr, html.Attribute{Key: string(key), Val: string(v[:q])})
		i += eq + 2 + q + 1
	}
	if i >= len(b) || b[i] != '>' || len(tok.Attr) == 0 {
		return 0, tok, false
	}
	return i + 1, tok, true
}

// lazyCopy builds a rewrite of src token by token. While every token so
// far was kept unchanged the result is src[:n] and nothing is copied; the
// first change copies that prefix once. Tokens must be passed in order:
// the tokenizer's raw tokens are consecutive slices of its input.
type lazyCopy struct {
	src    string
	n      int
	b      strings.Builder
	copied bool
}

// keep appends the token raw unchanged.
func (l *lazyCopy) keep(raw []byte) {
	if !l.copied {
		l.n += len(raw)
		return
	}
	l.b.Write(raw)
}

// drop leaves the current token out.
func (l *lazyCopy) drop() { l.diverge() }

// writeString appends s in place of the current token.
func (l *lazyCopy) writeString(s string) {
	l.diverge()
	l.b.WriteString(s)
}

func (l *lazyCopy) diverge() {
	if !l.copied {
		l.copied = true
		l.b.Grow(len(l.src) + len(l.src)/8)
		l.b.WriteString(l.src[:l.n])
	}
}

func (l *lazyCopy) String() string {
	if !l.copied {
		return l.src[:l.n]
	}
	return l.b.String()
}

// writeTag writes an attribute-free tag as html.Token.String does, keeping
// raw when it is already written that way.
func writeTag(b *lazyCopy, tt html.TokenType, name, raw []byte) {
	var open, end string
	switch tt {
	case html.StartTagToken:
		open, end = "<", ">"
	case html.EndTagToken:
		open, end = "</", ">"
	case html.SelfClosingTagToken:
		open, end = "<", "/>"
	default:
		return
	}
	if len(raw) == len(open)+len(name)+len(end) && string(raw[:len(open)]) == open &&
		string(raw[len(open):len(raw)-len(end)]) == string(name) && string(raw[len(raw)-len(end):]) == end {
		b.keep(raw)
		return
	}
	b.writeString(open + string(name) + end)
}

// needsEscape reports whether html.Token.String would write the text token
// raw differently: it holds an entity or a character that is escaped (or,
// \r, normalized by the tokenizer). One vectorized scan per character beats
// IndexAny's byte loop on long texts, which mostly have none.
func needsEscape(raw []byte) bool {
	return bytes.IndexByte(raw, '&') >= 0 || bytes.IndexByte(raw, '<') >= 0 || bytes.IndexByte(raw, '>') >= 0 ||
		bytes.IndexByte(raw, '\'') >= 0 || bytes.IndexByte(raw, '"') >= 0 || bytes.IndexByte(raw, '\r') >= 0 ||
		bytes.IndexByte(raw, 0) >= 0
}
