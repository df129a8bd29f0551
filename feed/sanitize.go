package feed

import (
	"io"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

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
		return capSize(sanitized{HTML: strings.TrimSpace(*safe), Text: text, Words: words})
	}
	var out strings.Builder
	out.Grow(len(pre))
	_ = z.policy.SanitizeReaderToWriter(strings.NewReader(pre), &out)
	return capSize(sanitized{HTML: strings.TrimSpace(out.String()), Text: text, Words: words})
}

// maxItemHTML bounds what one item keeps: long-form articles take a few
// hundred KB of HTML. A feed that sends more (up to the 15 MiB body cap)
// would make every later step pay for it: summarizing 10 MB of text took
// 1.3 s and 167 MB, and the edition page would carry it all.
const maxItemHTML = 2 << 20

// capSize keeps a larger item as its first maxItemHTML/2 of text, in
// paragraphs, and says that the rest was cut.
func capSize(c sanitized) sanitized {
	if len(c.HTML) <= maxItemHTML {
		return c
	}
	text := c.Text
	if len(text) > maxItemHTML/2 {
		cut := strings.LastIndex(text[:maxItemHTML/2], "\n\n")
		if cut <= 0 {
			cut = maxItemHTML / 2
			for cut > 0 && !utf8.RuneStart(text[cut]) {
				cut--
			}
		}
		text = text[:cut]
	}
	text = strings.TrimSpace(text) + "\n\n[The rest of this item, over 2 MB, was not kept.]"
	return sanitized{HTML: textToHTML(text), Text: text, Words: len(strings.Fields(text))}
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
				promoteLazySource(&tok)
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

// promoteLazySource moves a lazy-loading image's real source into src and
// srcset. Lazy-loading scripts keep it in data-src (or data-lazy-src,
// data-original…) behind a placeholder, and copy it over in a browser; a
// feed reader runs no script, and the allowlist drops data-* attributes,
// so without this the image is lost or shows its placeholder.
func promoteLazySource(tok *html.Token) {
	var src, srcset string
	for _, a := range tok.Attr {
		v := strings.TrimSpace(a.Val)
		if v == "" {
			continue
		}
		switch a.Key {
		case "data-src", "data-lazy-src", "data-original", "data-lazy", "data-echo", "data-hi-res-src":
			if src == "" {
				src = v
			}
		case "data-srcset", "data-lazy-srcset":
			if srcset == "" {
				srcset = v
			}
		}
	}
	set := func(key, val string) {
		for i := range tok.Attr {
			if tok.Attr[i].Key == key {
				tok.Attr[i].Val = val
				return
			}
		}
		tok.Attr = append(tok.Attr, html.Attribute{Key: key, Val: val})
	}
	if src != "" {
		set("src", src)
	}
	if srcset != "" {
		set("srcset", srcset)
	}
}

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
