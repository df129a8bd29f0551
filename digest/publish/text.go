package publish

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/tidings/tidings"
)

// TextOptions controls the Markdown and plain-text renderings.
type TextOptions struct {
	Scores  bool   // add each item's score and why (dry runs)
	BaseURL string // when set, link each item's page on the site
}

// fallbackText stands in for an article whose readable text is missing.
const fallbackText = "Full article content is not available for inline reading."

// RenderText writes an edition as plain text in the anatomy of a digest item:
// title (kind), TL;DR, Summary, Deep Dive, Decoder, Original Article.
func RenderText(w io.Writer, e tidings.Edition, opts TextOptions) error {
	bw := bufio.NewWriter(w)
	title, sub := editionHeading(e)
	fmt.Fprintf(bw, "%s\n%s\n", title, strings.Repeat("=", min(72, max(3, len([]rune(title))))))
	if sub != "" {
		fmt.Fprintf(bw, "%s\n", sub)
	}
	if d := oneLine(e.Description); d != "" {
		fmt.Fprintf(bw, "\n%s\n", d)
	}
	for _, sec := range e.Sections {
		name := oneLine(sec.Name)
		if name == "" {
			name = "Stories"
		}
		fmt.Fprintf(bw, "\n\n%s\n%s\n", strings.ToUpper(name), strings.Repeat("-", min(72, max(3, len([]rune(name))))))
		for _, raw := range sec.Entries {
			en := cleanEntry(raw)
			// A blank line always separates items, so the end of one
			// article can never run into the next title.
			fmt.Fprintf(bw, "\n%s\n", entryTitle(en))
			if en.TLDR != "" {
				fmt.Fprintf(bw, "%s\n", en.TLDR)
			}
			fmt.Fprintf(bw, "Summary\n")
			if len(en.KeyPoints) > 0 {
				fmt.Fprintf(bw, "Deep Dive\n")
				for _, k := range en.KeyPoints {
					fmt.Fprintf(bw, "- %s\n", k)
				}
			}
			if len(en.Glossary) > 0 {
				fmt.Fprintf(bw, "Decoder\n")
				for _, t := range en.Glossary {
					fmt.Fprintf(bw, "- %s: %s\n", t.Term, t.Definition)
				}
			}
			fmt.Fprintf(bw, "Original Article\n")
			if ps := paragraphs(en.Text); len(ps) > 0 {
				fmt.Fprintf(bw, "%s\n", strings.Join(ps, "\n\n"))
			} else {
				fmt.Fprintf(bw, "%s\n", fallbackText)
			}
			if en.URL != "" {
				fmt.Fprintf(bw, "Link: %s\n", en.URL)
			}
			if page := itemPage(opts.BaseURL, raw.ItemID); page != "" {
				fmt.Fprintf(bw, "Read here: %s\n", page)
			}
			if src := sourceNames(en); src != "" {
				fmt.Fprintf(bw, "Also covered by: %s\n", src)
			}
			if opts.Scores {
				fmt.Fprintf(bw, "Score: %s", formatScore(en.Score))
				if en.Why != "" {
					fmt.Fprintf(bw, " (%s)", en.Why)
				}
				bw.WriteString("\n")
			}
		}
	}
	return bw.Flush()
}

// RenderMarkdown writes an edition as CommonMark in the same anatomy as
// RenderText. Every text from a feed is escaped, so it cannot turn into
// markup, links or headings.
func RenderMarkdown(w io.Writer, e tidings.Edition, opts TextOptions) error {
	bw := bufio.NewWriter(w)
	title, sub := editionHeading(e)
	fmt.Fprintf(bw, "# %s\n", mdEscape(title))
	if sub != "" {
		fmt.Fprintf(bw, "\n%s\n", mdEscape(sub))
	}
	if d := oneLine(e.Description); d != "" {
		fmt.Fprintf(bw, "\n%s\n", mdEscape(d))
	}
	for _, sec := range e.Sections {
		name := oneLine(sec.Name)
		if name == "" {
			name = "Stories"
		}
		fmt.Fprintf(bw, "\n## %s\n", mdEscape(name))
		for _, raw := range sec.Entries {
			en := cleanEntry(raw)
			t := mdEscape(en.Title)
			if u := mdURL(en.URL); u != "" {
				t = "[" + t + "](" + u + ")"
			}
			if en.Kind != "" {
				t += " (" + mdEscape(en.Kind) + ")"
			}
			fmt.Fprintf(bw, "\n### %s\n\n", t)
			if en.TLDR != "" {
				fmt.Fprintf(bw, "%s\n\n", mdEscape(en.TLDR))
			}
			fmt.Fprintf(bw, "**Summary**\n\n")
			if len(en.KeyPoints) > 0 {
				fmt.Fprintf(bw, "**Deep Dive**\n\n")
				for _, k := range en.KeyPoints {
					fmt.Fprintf(bw, "- %s\n", mdEscape(k))
				}
				bw.WriteString("\n")
			}
			if len(en.Glossary) > 0 {
				fmt.Fprintf(bw, "**Decoder**\n\n")
				for _, g := range en.Glossary {
					fmt.Fprintf(bw, "- **%s**: %s\n", mdEscape(g.Term), mdEscape(g.Definition))
				}
				bw.WriteString("\n")
			}
			fmt.Fprintf(bw, "**Original Article**\n\n")
			if ps := paragraphs(en.Text); len(ps) > 0 {
				for _, p := range ps {
					fmt.Fprintf(bw, "%s\n\n", mdEscape(p))
				}
			} else {
				fmt.Fprintf(bw, "*%s*\n\n", fallbackText)
			}
			var links []string
			if page := mdURL(itemPage(opts.BaseURL, raw.ItemID)); page != "" {
				links = append(links, "[Read here]("+page+")")
			}
			for _, s := range en.Sources {
				if u := mdURL(s.URL); u != "" {
					links = append(links, "["+mdEscape(s.Title)+"]("+u+")")
				} else if s.Title != "" {
					links = append(links, mdEscape(s.Title))
				}
			}
			if len(links) > 0 {
				fmt.Fprintf(bw, "Sources: %s\n\n", strings.Join(links, " · "))
			}
			if opts.Scores {
				fmt.Fprintf(bw, "Score: %s", formatScore(en.Score))
				if en.Why != "" {
					fmt.Fprintf(bw, " (%s)", mdEscape(en.Why))
				}
				bw.WriteString("\n\n")
			}
			bw.WriteString("---\n")
		}
	}
	return bw.Flush()
}

func editionHeading(e tidings.Edition) (title, sub string) {
	title = oneLine(e.Title)
	if title == "" {
		title = oneLine(e.Digest)
	}
	if e.Number > 0 {
		sub = "Edition " + strconv.Itoa(e.Number)
	}
	if t := editionTime(e); t.Unix() != 0 {
		if sub != "" {
			sub += ", "
		}
		sub += t.Format("2 January 2006")
	}
	if n := e.Count(); n > 0 {
		if sub != "" {
			sub += " · "
		}
		sub += strconv.Itoa(n) + " stories"
	}
	return title, sub
}

func entryTitle(en tidings.Entry) string {
	if en.Kind != "" {
		return en.Title + " (" + en.Kind + ")"
	}
	return en.Title
}

func sourceNames(en tidings.Entry) string {
	var names []string
	for _, s := range alsoCoveredBy(en) {
		if s.Title != "" {
			names = append(names, s.Title)
		}
	}
	return strings.Join(names, ", ")
}

func itemPage(base, itemID string) string {
	if base == "" || itemID == "" {
		return ""
	}
	if !strings.HasSuffix(base, "/") {
		base += "/"
	}
	return base + "items/" + pageID(itemID) + ".html"
}

func formatScore(f float64) string { return strconv.FormatFloat(f, 'f', 2, 64) }

// mdEscape backslash-escapes what CommonMark could read as markup in a
// one-line text: inline punctuation anywhere, and block markers (headings,
// list items, thematic breaks) at the start.
func mdEscape(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 8)
	i := 0
	for len(s) > i && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i > 0 && i < len(s) && (s[i] == '.' || s[i] == ')') {
		b.WriteString(s[:i])
		b.WriteByte('\\')
		s = s[i:]
	} else if s != "" && strings.ContainsRune("#-+=", rune(s[0])) {
		b.WriteByte('\\')
	}
	for _, r := range s {
		if strings.ContainsRune("\\`*_[]<>|~&", r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// mdURL returns u usable as a link destination, or "" for anything but
// absolute http(s) URLs; spaces and parentheses are percent-encoded.
func mdURL(u string) string {
	if !absoluteURL(u) {
		return ""
	}
	r := strings.NewReplacer(" ", "%20", "(", "%28", ")", "%29", "<", "%3C", ">", "%3E")
	return r.Replace(u)
}
