package summarize

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// block is one unit of the article's layout: a prose paragraph, a heading
// or a list item. Headings and list items are kept apart from prose because
// they make poor TL;DRs and would skew the position prior.
type block struct {
	text    string
	heading bool
	list    bool
}

// splitBlocks cuts plain text (paragraphs separated by blank lines) into
// blocks. Lines inside a paragraph are joined, except list items, which stay
// one block each.
func splitBlocks(text string) []block {
	var out []block
	var para []string
	flush := func() {
		if len(para) == 0 {
			return
		}
		p := strings.Join(para, " ")
		para = para[:0]
		if isBareURL(p) {
			return
		}
		out = append(out, block{text: p, heading: looksLikeHeading(p)})
	}
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			flush()
			continue
		}
		if item, ok := cutListMarker(line); ok {
			flush()
			if item != "" {
				out = append(out, block{text: item, list: true})
			}
			continue
		}
		para = append(para, line)
	}
	flush()
	return out
}

// cutListMarker strips "- ", "* ", "• " or "12. " / "3) " from a list line.
func cutListMarker(line string) (string, bool) {
	for _, m := range []string{"- ", "* ", "• ", "– "} {
		if strings.HasPrefix(line, m) {
			return strings.TrimSpace(line[len(m):]), true
		}
	}
	i := 0
	for i < len(line) && i < 3 && line[i] >= '0' && line[i] <= '9' {
		i++
	}
	if i > 0 && i+1 < len(line) && (line[i] == '.' || line[i] == ')') && line[i+1] == ' ' {
		return strings.TrimSpace(line[i+2:]), true
	}
	return "", false
}

func isBareURL(p string) bool {
	return !strings.ContainsAny(p, " \t") && (strings.HasPrefix(p, "http://") || strings.HasPrefix(p, "https://") || strings.HasPrefix(p, "www."))
}

// looksLikeHeading: a short line without sentence punctuation at its end.
func looksLikeHeading(p string) bool {
	if len(strings.Fields(p)) > 10 {
		return false
	}
	r, _ := utf8.DecodeLastRuneInString(p)
	return !strings.ContainsRune(".!?:;\"'”’)…", r)
}

// splitSentences cuts one paragraph into sentences. A candidate boundary is
// a run of terminators (. ! ? …) followed by optional closing quotes or
// brackets and then white space; it is rejected when the next word starts in
// lower case or the period belongs to an abbreviation or an initial. Periods
// not followed by space (3.5, v1.2.3, example.com, a@b.org) are never
// boundaries.
func splitSentences(p string) []string {
	var out []string
	start, i := 0, 0
	for i < len(p) {
		r, size := utf8.DecodeRuneInString(p[i:])
		if !isTerminator(r) {
			i += size
			continue
		}
		end := i + size
		for end < len(p) {
			r2, s2 := utf8.DecodeRuneInString(p[end:])
			if !isTerminator(r2) {
				break
			}
			end += s2
		}
		run := p[i:end]
		for end < len(p) {
			r2, s2 := utf8.DecodeRuneInString(p[end:])
			if !isCloser(r2) {
				break
			}
			end += s2
		}
		if end >= len(p) {
			break
		}
		if r2, _ := utf8.DecodeRuneInString(p[end:]); !unicode.IsSpace(r2) {
			i = end
			continue
		}
		j := end
		for j < len(p) {
			r2, s2 := utf8.DecodeRuneInString(p[j:])
			if !unicode.IsSpace(r2) {
				break
			}
			j += s2
		}
		if j >= len(p) {
			break
		}
		if isBoundary(p[start:i], run, p[j:]) {
			if s := strings.TrimSpace(p[start:end]); s != "" {
				out = append(out, s)
			}
			start = j
		}
		i = j
	}
	if s := strings.TrimSpace(p[start:]); s != "" {
		out = append(out, s)
	}
	return out
}

func isTerminator(r rune) bool { return r == '.' || r == '!' || r == '?' || r == '…' }

func isCloser(r rune) bool {
	switch r {
	case '"', '\'', '”', '’', ')', ']', '»', '*':
		return true
	}
	return false
}

func isOpener(r rune) bool {
	switch r {
	case '"', '\'', '“', '‘', '(', '[', '«', '*', '¿', '¡':
		return true
	}
	return false
}

// isBoundary decides whether the terminator run ends a sentence, given the
// text before it and the text after the following white space.
func isBoundary(before, run, next string) bool {
	nw := nextWord(next)
	if nw == "" {
		r, _ := utf8.DecodeRuneInString(next)
		return !unicode.IsLower(r)
	}
	first, _ := utf8.DecodeRuneInString(nw)
	if unicode.IsLower(first) {
		return false
	}
	if run != "." {
		return true // ! ? … and "..." end a sentence before a capital
	}
	w := lastWord(before)
	if w == "" {
		return true
	}
	lw := strings.ToLower(w)
	starter := unicode.IsUpper(first) && isStopword(strings.ToLower(nw))
	switch {
	case isAbbrev(lw):
		return false
	case isWeakAbbrev(lw):
		return starter
	case utf8.RuneCountInString(w) == 1 && unicode.IsUpper([]rune(w)[0]):
		return starter // an initial ("J. Smith"), unless "Plan B. The …"
	case strings.Contains(w, ".") && isDottedAbbrev(w):
		return starter // U.S., a.m., Ph.D.
	}
	return true
}

// nextWord returns the letters/digits that open next, skipping opening
// quotes and brackets.
func nextWord(next string) string {
	i := 0
	for i < len(next) {
		r, s := utf8.DecodeRuneInString(next[i:])
		if !isOpener(r) {
			break
		}
		i += s
	}
	j := i
	for j < len(next) {
		r, s := utf8.DecodeRuneInString(next[j:])
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			break
		}
		j += s
	}
	return next[i:j]
}

// lastWord returns the token right before the terminator, without opening
// quotes or brackets.
func lastWord(before string) string {
	k := strings.LastIndexFunc(before, unicode.IsSpace)
	w := before[k+1:]
	return strings.TrimLeftFunc(w, isOpener)
}

// isDottedAbbrev: letters separated by single dots, like "U.S" or "e.g"
// (the final period has already been cut off).
func isDottedAbbrev(w string) bool {
	for _, part := range strings.Split(w, ".") {
		n := utf8.RuneCountInString(part)
		if n == 0 || n > 2 {
			return false
		}
		for _, r := range part {
			if !unicode.IsLetter(r) {
				return false
			}
		}
	}
	return true
}

// isAbbrev lists abbreviations that practically never end a sentence.
func isAbbrev(w string) bool {
	switch w {
	case "mr", "mrs", "ms", "dr", "prof", "sr", "st", "vs", "e.g", "i.e", "cf",
		"fig", "figs", "eq", "eqs", "approx", "ca", "no", "nos", "vol", "vols",
		"pp", "gen", "gov", "sen", "rep", "lt", "col", "capt", "sgt", "mt",
		"jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct",
		"nov", "dec", "est", "dept", "univ", "v", "ver", "op", "ed", "eds",
		"ref", "refs", "sec", "ch", "min", "max", "incl", "resp", "viz", "ibid":
		return true
	}
	return false
}

// isWeakAbbrev lists abbreviations that often end a sentence too ("… at
// Acme Inc. The deal …"); they split only before a typical sentence opener.
func isWeakAbbrev(w string) bool {
	switch w {
	case "inc", "ltd", "corp", "co", "llc", "plc", "etc", "al", "jr", "bros",
		"a.m", "p.m", "u.s", "u.k", "u.n", "e.u", "ph.d":
		return true
	}
	return false
}
