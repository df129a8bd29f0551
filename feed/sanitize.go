package feed

import (
	"bytes"
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
	return &sanitizer{policy: p}
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
	pre, text, words := prepass(s, base)
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
// need no change are copied raw, so the common case allocates little.
func prepass(s string, base *url.URL) (string, string, int) {
	z := html.NewTokenizer(strings.NewReader(s))
	var out strings.Builder
	out.Grow(len(s) + len(s)/8)
	var text strings.Builder
	text.Grow(len(s))
	words := 0
	skipDepth := 0 // inside script/style/removed iframe…: drop text
	var skipTag atom.Atom
	para, space := false, false
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			break
		}
		switch tt {
		case html.TextToken:
			if skipDepth > 0 {
				continue
			}
			raw := z.Raw()
			out.Write(raw)
			data := z.Text()
			first := true
			for w := range bytes.FieldsSeq(data) {
				if first {
					switch {
					case para:
						text.WriteString("\n\n")
					case text.Len() > 0 && (space || isSpace(data[0])):
						text.WriteByte(' ')
					}
					para, first = false, false
				} else {
					text.WriteByte(' ')
				}
				text.Write(w)
				words++
			}
			if first {
				space = space || len(data) > 0
			} else {
				space = isSpace(data[len(data)-1])
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			a := atom.Lookup(name)
			if skipDepth > 0 {
				if a == skipTag && tt == html.StartTagToken {
					skipDepth++
				}
				continue
			}
			switch a {
			case atom.Script, atom.Style, atom.Noscript, atom.Template, atom.Textarea, atom.Select, atom.Object, atom.Embed, atom.Svg, atom.Math, atom.Title, atom.Head:
				if tt == html.StartTagToken {
					skipDepth, skipTag = 1, a
				}
				continue
			}
			if blockish(a) && text.Len() > 0 {
				para = true
			}
			if !hasAttr {
				out.Write(z.Raw())
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
					continue
				}
			case atom.Img:
				if trackingPixel(tok) {
					continue
				}
			}
			resolveAttrs(&tok, base)
			out.WriteString(tok.String())
		case html.EndTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			if skipDepth > 0 {
				if a == skipTag {
					skipDepth--
				}
				continue
			}
			if blockish(a) && text.Len() > 0 {
				para = true
			}
			out.Write(z.Raw())
		}
	}
	return out.String(), cleanText(strings.TrimSpace(text.String())), words
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' }

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
	_, text, _ := prepass(s, nil)
	return strings.Join(strings.Fields(text), " ")
}

// cleanText drops control characters and invalid UTF-8 from plain text.
func cleanText(s string) string {
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
