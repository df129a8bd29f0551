package feed

import (
	"bytes"
	"encoding/binary"
	"io"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
	"unsafe"

	"github.com/microcosm-cc/bluemonday"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// videoHosts may appear in iframes; every other iframe is removed.
var videoHosts = []string{
	"youtube.com", "www.youtube.com", "youtube-nocookie.com", "www.youtube-nocookie.com",
	"player.vimeo.com", "vimeo.com", "www.dailymotion.com", "dailymotion.com",
	"player.twitch.tv", "clips.twitch.tv", "w.soundcloud.com", "bandcamp.com",
	"open.spotify.com", "embed.podcasts.apple.com", "peertube.tv", "www.loom.com",
	"player.bilibili.com", "archive.org",
}

// sanitizer is the last step for every piece of feed HTML: a bluemonday
// allowlist, preceded by one tokenizer pass that resolves relative URLs,
// removes tracking pixels and foreign iframes, and collects the plain text.
type sanitizer struct {
	policy *bluemonday.Policy
	fast   *fastPath
}

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

func newSanitizer() *sanitizer {
	p := bluemonday.UGCPolicy()
	p.AllowURLSchemes("http", "https", "mailto")
	p.AllowDataURIImages() // data: only for <img src>, and only base64 images
	p.RequireNoFollowOnLinks(false)
	p.RequireNoReferrerOnLinks(true)
	p.AddTargetBlankToFullyQualifiedLinks(true) // adds rel="noopener"
	p.AllowAttrs("src", "width", "height", "allowfullscreen", "title").OnElements("iframe")
	p.RequireSandboxOnIFrame(bluemonday.SandboxAllowScripts, bluemonday.SandboxAllowSameOrigin, bluemonday.SandboxAllowPopups, bluemonday.SandboxAllowPresentation)
	p.AllowAttrs("src", "controls", "poster", "width", "height", "preload").OnElements("video", "audio")
	p.AllowAttrs("src", "type").OnElements("source")
	p.AllowAttrs("srcset", "sizes", "loading").OnElements("img")
	p.AllowElements("figure", "figcaption", "picture", "details", "summary", "mark", "time")
	// Asked of the policy itself, so the set follows its configuration.
	plain := make(map[string]bool)
	for _, el := range strings.Fields(plainCandidates) {
		probe := "<" + el + ">x</" + el + ">"
		if p.Sanitize(probe) == probe {
			plain[el] = true
		}
	}
	const probe = `<a href="https://example.org/x?a=1&amp;b=2">x</a>`
	links := p.Sanitize(probe) == linkTag("https://example.org/x?a=1&b=2")+"x</a>"
	const img = `<img src="https://example.org/i.png?a=1&amp;b=2" alt="A picture, 2 of (it)" width="640" height="50%">`
	images := p.Sanitize(img) == img && p.Sanitize(`<img src="https://example.org/i.png" alt="x?">`) == `<img src="https://example.org/i.png">`
	return &sanitizer{policy: p, fast: &fastPath{plain: plain, links: links, images: images}}
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

// sanitized is clean HTML plus its plain-text rendering.
type sanitized struct {
	HTML  string
	Text  string
	Words int
}

// clean resolves, filters and sanitizes fragment s against base.
func (z *sanitizer) clean(s string, base *url.URL) sanitized {
	if strings.TrimSpace(s) == "" {
		return sanitized{}
	}
	pre, text, words, safe := prepass(s, base, z.fast)
	if safe != nil {
		return sanitized{HTML: strings.TrimSpace(*safe), Text: text, Words: words}
	}
	var out strings.Builder
	out.Grow(len(pre))
	_ = z.policy.SanitizeReaderToWriter(strings.NewReader(pre), &out)
	return sanitized{HTML: strings.TrimSpace(out.String()), Text: text, Words: words}
}

// blockish elements end a paragraph in the text rendering.
func blockish(a atom.Atom) bool {
	switch a {
	case atom.P, atom.Div, atom.Br, atom.Li, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6,
		atom.Blockquote, atom.Pre, atom.Tr, atom.Table, atom.Ul, atom.Ol, atom.Section, atom.Article,
		atom.Figure, atom.Figcaption, atom.Hr, atom.Dd, atom.Dt, atom.Header, atom.Footer:
		return true
	}
	return false
}

// prepass rewrites the fragment before the allowlist runs and returns its
// text (paragraphs separated by blank lines) and word count. Tokens that
// need no change are not copied at all while the output is still a prefix
// of s (lazyCopy), so the common case allocates only the text.
//
// When every token of s is text or an attribute-free tag named in plain,
// prepass changes nothing and the allowlist would tokenize s just as
// prepass did, keep each tag and write each text escaped; prepass then
// also returns that output (safe), built the same way. Any other token
// (attributes, comments, removed elements) ends the fast path.
//
// With links, a start tag <a href="..."> whose resolved href passes
// fastLink keeps the fast path too: prepass writes it as the policy would
// (linkTag), and its </a>.
func prepass(s string, base *url.URL, fp *fastPath) (string, string, int, *string) {
	if fp != nil {
		if safe, text, words, ok := scanPlain(s, base, fp); ok {
			return "", text, words, &safe
		}
	}
	return tokenPass(s, base, fp)
}

// tokenPass is prepass with the HTML tokenizer, for any fragment.
func tokenPass(s string, base *url.URL, fp *fastPath) (string, string, int, *string) {
	z := html.NewTokenizer(strings.NewReader(s))
	out, safe := lazyCopy{src: s}, lazyCopy{src: s}
	fast := fp != nil
	var text textRender
	text.b.Grow(len(s))
	skipDepth := 0 // inside script/style/removed iframe…: drop text
	var skipTag atom.Atom
	openLinks := 0        // fast-path links not yet closed
	var rawText atom.Atom // the start tag just before, if the tokenizer reads its content raw
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			break
		}
		raw := z.Raw()
		rawParent := rawText
		rawText = 0
		switch tt {
		case html.TextToken:
			if skipDepth > 0 {
				fast = false
				out.drop()
				continue
			}
			// Raw before Text: Text unescapes in place, in raw's bytes.
			// A text with an entity or a stray '<' is written escaped, not
			// raw: once a neighbouring token is dropped, a raw "<" could
			// open a tag in the allowlist's own tokenizing ("<<!>b"). Raw
			// text (inside <xmp>, <iframe>…) is not unescaped by Text, so
			// it is kept as it is.
			escape := rawParent == 0 && needsEscape(raw)
			if !escape {
				out.keep(raw) // no entity, no \r: the text is raw
				if fast {
					safe.keep(raw)
				}
			}
			data := z.Text()
			if escape {
				esc := html.EscapeString(string(data))
				out.writeString(esc)
				if fast {
					safe.writeString(esc)
				}
			}
			if rawParent == atom.Iframe {
				// An embed's fallback text is not the article's, and the
				// allowlist writes it escaped inside the kept iframe, so it
				// would read differently on every pass.
				continue
			}
			text.add(data)
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			a := atom.Lookup(name)
			if tt == html.StartTagToken && rawTextElement(a) {
				rawText = a
			}
			link, image := false, false // decided once the attributes are resolved
			if fast {
				switch {
				case !hasAttr && fp.plain[string(name)]:
					writeTag(&safe, tt, name, raw)
				case fp.links && hasAttr && a == atom.A && tt == html.StartTagToken && skipDepth == 0:
					link = true
				case fp.images && hasAttr && a == atom.Img && skipDepth == 0:
					image = true
				default:
					fast = false
				}
			}
			if skipDepth > 0 {
				if a == skipTag && tt == html.StartTagToken {
					skipDepth++
				}
				out.drop()
				continue
			}
			switch a {
			// The allowlist drops the content of the frame elements too.
			case atom.Script, atom.Style, atom.Noscript, atom.Template, atom.Textarea, atom.Select, atom.Object, atom.Embed, atom.Svg, atom.Math, atom.Title, atom.Head,
				atom.Frame, atom.Frameset, atom.Noembed, atom.Noframes:
				if tt == html.StartTagToken {
					skipDepth, skipTag = 1, a
				}
				out.drop()
				continue
			}
			if blockish(a) {
				text.block()
			}
			if !hasAttr {
				if a == atom.Iframe { // no src: not one of the allowed embeds
					if tt == html.StartTagToken {
						skipDepth, skipTag = 1, atom.Iframe
					}
					out.drop()
					continue
				}
				out.keep(raw)
				continue
			}
			tok := html.Token{Type: tt, DataAtom: a, Data: string(name)}
			for {
				k, v, more := z.TagAttr()
				tok.Attr = append(tok.Attr, html.Attribute{Key: string(k), Val: string(v)})
				if !more {
					break
				}
			}
			switch a {
			case atom.Iframe:
				if !allowedIframe(tok, base) {
					if tt == html.StartTagToken {
						skipDepth, skipTag = 1, atom.Iframe
					}
					out.drop()
					continue
				}
			case atom.Img:
				if trackingPixel(tok) {
					out.drop()
					safe.drop() // the allowlist never sees it either
					continue
				}
			}
			resolveAttrs(&tok, base)
			out.writeString(tok.String())
			if image {
				if imageAttrsOK(tok.Attr) {
					safe.writeString(tok.String())
				} else {
					fast = false
				}
			}
			if link {
				if len(tok.Attr) == 1 && tok.Attr[0].Key == "href" && fastLink(tok.Attr[0].Val) {
					safe.writeString(linkTag(tok.Attr[0].Val))
					openLinks++
				} else {
					fast = false
				}
			}
		case html.EndTagToken:
			name, hasAttr := z.TagName()
			a := atom.Lookup(name)
			if fast {
				switch {
				case !hasAttr && fp.plain[string(name)]:
					writeTag(&safe, tt, name, raw)
				case !hasAttr && a == atom.A && openLinks > 0:
					writeTag(&safe, tt, name, raw)
					openLinks--
				default:
					fast = false
				}
			}
			if skipDepth > 0 {
				if a == skipTag {
					skipDepth--
				}
				out.drop()
				continue
			}
			if blockish(a) {
				text.block()
			}
			out.keep(raw)
		default: // comments and doctypes are dropped
			fast = false
			out.drop()
		}
	}
	if fast && z.Err() == io.EOF {
		h := safe.String()
		return "", text.String(), text.words, &h // out is not needed
	}
	return out.String(), text.String(), text.words, nil
}

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
			if q < 0 || q+1 >= len(v) || v[q+1] != '>' || bytes.IndexByte(v[:q], '&') >= 0 ||
				bytes.IndexByte(v[:q], '\r') >= 0 || bytes.IndexByte(v[:q], 0) >= 0 {
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
			if bytes.IndexByte(seg, '&') >= 0 || bytes.IndexByte(seg, '\r') >= 0 || bytes.IndexByte(seg, 0) >= 0 {
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
		if q < 0 || bytes.IndexByte(v[:q], '&') >= 0 || bytes.IndexByte(v[:q], '\r') >= 0 || bytes.IndexByte(v[:q], 0) >= 0 {
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

// textRender builds the plain-text rendering of a fragment from its text
// tokens: words separated by single spaces, paragraphs (block elements)
// by a blank line.
type textRender struct {
	b           strings.Builder
	words       int
	para, space bool
}

// block notes a block element's boundary.
func (r *textRender) block() {
	if r.b.Len() > 0 {
		r.para = true
	}
}

// add appends the (unescaped) text of one text token.
func (r *textRender) add(data []byte) {
	if lo, hi, n, ok := plainRun(data); ok {
		// The common case: copied in one piece, same result as the loop
		// below.
		if n > 0 {
			r.sep(firstIsSpace(data))
			r.b.Write(data[lo:hi])
			r.words += n
			r.space = lastIsSpace(data)
		} else {
			r.space = r.space || len(data) > 0
		}
		return
	}
	first := true
	for i := 0; ; {
		start, end := nextField(data, i)
		if start == end {
			break
		}
		i = end
		if first {
			r.sep(firstIsSpace(data))
			first = false
		} else {
			r.b.WriteByte(' ')
		}
		r.b.Write(data[start:end])
		r.words++
	}
	if first {
		r.space = r.space || len(data) > 0
	} else {
		r.space = lastIsSpace(data)
	}
}

// sep writes what separates the next word from the text so far.
func (r *textRender) sep(spaceBefore bool) {
	switch {
	case r.para:
		r.b.WriteString("\n\n")
	case r.b.Len() > 0 && (r.space || spaceBefore):
		r.b.WriteByte(' ')
	}
	r.para = false
}

func (r *textRender) String() string { return cleanText(strings.TrimSpace(r.b.String())) }

// rawTextElement reports whether the tokenizer reads the content of a
// (until its end tag) as raw text or RCDATA.
func rawTextElement(a atom.Atom) bool {
	switch a {
	case atom.Iframe, atom.Noembed, atom.Noframes, atom.Noscript, atom.Plaintext, atom.Script, atom.Style,
		atom.Textarea, atom.Title, atom.Xmp:
		return true
	}
	return false
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

// firstIsSpace and lastIsSpace tell whether data starts or ends with what
// nextField counts as a space (\v and U+00A0 included), so words split
// across text tokens are joined or separated as they would be within one.
func firstIsSpace(data []byte) bool {
	if len(data) == 0 {
		return false
	}
	if c := data[0]; c < utf8.RuneSelf {
		return asciiSpace(c)
	}
	r, _ := utf8.DecodeRune(data)
	return unicode.IsSpace(r)
}

func lastIsSpace(data []byte) bool {
	if len(data) == 0 {
		return false
	}
	if c := data[len(data)-1]; c < utf8.RuneSelf {
		return asciiSpace(c)
	}
	r, _ := utf8.DecodeLastRune(data)
	return unicode.IsSpace(r)
}

// asciiSpace reports the ASCII bytes unicode.IsSpace accepts.
func asciiSpace(c byte) bool { return c == ' ' || '\t' <= c && c <= '\r' }

// plainRun reports whether data, without the ASCII spaces at its ends
// (data[lo:hi]), is ASCII words separated by single spaces, and counts
// them. It checks eight bytes at a time: it runs on every text node.
func plainRun(data []byte) (lo, hi, words int, ok bool) {
	hi = len(data)
	for lo < hi && asciiSpace(data[lo]) {
		lo++
	}
	for hi > lo && asciiSpace(data[hi-1]) {
		hi--
	}
	if lo == hi {
		return lo, hi, 0, true
	}
	inner := data[lo:hi]
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	i := 0
	for ; i+8 <= len(inner); i += 8 {
		x := binary.LittleEndian.Uint64(inner[i:])
		// Any non-ASCII byte, or (all ASCII) any byte below 14: the
		// whitespace other than ' ' and the control characters.
		if x&highs != 0 || (x-14*ones)&^x&highs != 0 {
			return 0, 0, 0, false
		}
	}
	for ; i < len(inner); i++ {
		if c := inner[i]; c >= utf8.RuneSelf || c < 14 {
			return 0, 0, 0, false
		}
	}
	if bytes.Contains(inner, []byte("  ")) {
		return 0, 0, 0, false
	}
	return lo, hi, bytes.Count(inner, []byte(" ")) + 1, true
}

// nextField returns the bounds of the first whitespace-separated field of
// data at or after i (start == end when there is none). It splits exactly
// like bytes.Fields but scans ASCII bytes directly: the per-rune iterator was a
// third of the text rendering's cost.
func nextField(data []byte, i int) (start, end int) {
	for i < len(data) {
		if c := data[i]; c < utf8.RuneSelf {
			if !asciiSpace(c) {
				break
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(data[i:])
		if !unicode.IsSpace(r) {
			break
		}
		i += n
	}
	start = i
	for i < len(data) {
		if c := data[i]; c < utf8.RuneSelf {
			if asciiSpace(c) {
				break
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(data[i:])
		if unicode.IsSpace(r) {
			break
		}
		i += n
	}
	return start, i
}

// resolveAttrs makes URL attributes absolute.
func resolveAttrs(tok *html.Token, base *url.URL) {
	if base == nil {
		return
	}
	for i, a := range tok.Attr {
		switch a.Key {
		case "href", "src", "poster", "cite", "longdesc":
			tok.Attr[i].Val = resolveURL(base, a.Val)
		case "srcset":
			parts := strings.Split(a.Val, ",")
			for j, p := range parts {
				f := strings.Fields(p)
				if len(f) > 0 {
					f[0] = resolveURL(base, f[0])
					parts[j] = strings.Join(f, " ")
				}
			}
			tok.Attr[i].Val = strings.Join(parts, ", ")
		}
	}
}

func attrVal(tok html.Token, key string) string {
	for _, a := range tok.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// trackingPixel recognises 1x1 (or 0x0) images and the usual beacons.
func trackingPixel(tok html.Token) bool {
	w, h := pixelSize(attrVal(tok, "width")), pixelSize(attrVal(tok, "height"))
	if w >= 0 && w <= 1 && h >= 0 && h <= 1 {
		return true
	}
	st := strings.ReplaceAll(strings.ToLower(attrVal(tok, "style")), " ", "")
	if strings.Contains(st, "width:1px") && strings.Contains(st, "height:1px") || strings.Contains(st, "display:none") {
		return true
	}
	src := strings.ToLower(attrVal(tok, "src"))
	for _, m := range []string{"feeds.feedburner.com/~r/", "pixel.wp.com/", "/~ff/", "stats.wordpress.com", "pixel.quantserve.com", "www.google-analytics.com/", "/open.gif", "/beacon.gif"} {
		if strings.Contains(src, m) {
			return true
		}
	}
	return false
}

func pixelSize(v string) int {
	v = strings.TrimSuffix(strings.TrimSpace(v), "px")
	if v == "" {
		return -1
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return -1
	}
	return n
}

func allowedIframe(tok html.Token, base *url.URL) bool {
	u, err := url.Parse(resolveURL(base, attrVal(tok, "src")))
	if err != nil || u.Scheme != "https" {
		return false
	}
	h := strings.ToLower(u.Hostname())
	for _, v := range videoHosts {
		if h == v {
			return true
		}
	}
	return false
}

// plainText renders an HTML-ish title or snippet as one line of text.
func plainText(s string) string {
	if !strings.ContainsAny(s, "<&") {
		return strings.Join(strings.Fields(s), " ")
	}
	_, text, _, _ := prepass(s, nil, nil)
	return strings.Join(strings.Fields(text), " ")
}

// cleanText drops control characters and invalid UTF-8 from plain text.
func cleanText(s string) string {
	// Plain ASCII text, the common case, needs no rune decoding.
	ascii := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 0x7f || c < 0x20 && c != '\n' {
			ascii = false
			break
		}
	}
	if ascii {
		return s
	}
	bad := false
	for _, r := range s {
		if r == utf8.RuneError || (r < 0x20 && r != '\n') || r == 0x7f {
			bad = true
			break
		}
	}
	if !bad {
		return s
	}
	return strings.Map(func(r rune) rune {
		if r == utf8.RuneError || (r < 0x20 && r != '\n') || r == 0x7f {
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, ""))
}
