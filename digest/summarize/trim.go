package summarize

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// fitSentence makes s fit in max characters by removing, in order, what
// carries least: a discourse marker ("However, "), parentheticals and dash
// asides, a framing lead clause ("In a blog post on Tuesday, "), and finally
// a trailing clause. It never cuts inside a clause and reports false when s
// cannot be made to fit that way. The result ends with punctuation.
func fitSentence(s string, max int) (string, bool) {
	s = dropLeadIn(stripKicker(strings.TrimSpace(s)))
	if fits(s, max) {
		return finish(s), true
	}
	if t := dropAsides(s); t != s {
		s = t
		if fits(s, max) {
			return finish(s), true
		}
	}
	if t := dropLeadClause(s); t != s {
		s = t
		if fits(s, max) {
			return finish(s), true
		}
	}
	if t, ok := cutClause(s, max-1); ok {
		return finish(t), true
	}
	return "", false
}

func fits(s string, max int) bool { return utf8.RuneCountInString(finish(s)) <= max }

// finish capitalizes s and makes sure it ends with sentence punctuation.
func finish(s string) string {
	s = strings.TrimSpace(s)
	s = strings.TrimRight(s, ",;:—–- ")
	if s == "" {
		return s
	}
	r, n := utf8.DecodeRuneInString(s)
	if unicode.IsLower(r) {
		s = string(unicode.ToUpper(r)) + s[n:]
	}
	last, _ := utf8.DecodeLastRuneInString(s)
	if !strings.ContainsRune(".!?…", last) {
		t := strings.TrimRightFunc(s, isCloser)
		l2, _ := utf8.DecodeLastRuneInString(t)
		if !strings.ContainsRune(".!?…", l2) {
			s += "."
		}
	}
	return s
}

// leadIns are discourse markers that add nothing out of context.
func leadIns() []string {
	return []string{
		"however", "moreover", "furthermore", "additionally", "in addition",
		"also", "and", "but", "so", "still", "indeed", "in fact", "of course",
		"that said", "meanwhile", "overall", "basically", "essentially",
		"ultimately", "finally", "first", "second", "third", "firstly",
		"secondly", "lastly", "in short", "in other words", "notably",
		"importantly", "interestingly", "similarly", "likewise", "then", "now",
		"well", "anyway", "again", "plus", "as a result", "for example",
		"for instance", "on top of that", "to be fair", "honestly", "in the end",
		"the short version", "the bottom line", "bottom line", "tl;dr", "tldr",
		"the upshot", "in a nutshell", "long story short", "put simply", "instead",
	}
}

// dropLeadIn removes a leading discourse marker and its comma.
func dropLeadIn(s string) string {
	for {
		cut := false
		for _, w := range leadIns() {
			if len(s) < len(w) || !strings.EqualFold(s[:len(w)], w) {
				continue
			}
			rest := s[len(w):]
			switch {
			case strings.HasPrefix(rest, ", ") || strings.HasPrefix(rest, ": "):
				s, cut = rest[2:], true
			case strings.HasPrefix(rest, " ") && len(strings.Fields(w)) == 1 && (w == "and" || w == "but" || w == "so" || w == "also" || w == "plus"):
				s, cut = rest[1:], true
			}
			if cut {
				break
			}
		}
		if !cut {
			return s
		}
		s = capitalize(s)
	}
}

func capitalize(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if unicode.IsLower(r) {
		return string(unicode.ToUpper(r)) + s[n:]
	}
	return s
}

// dropAsides removes "(…)" and "[…]" groups and " — … —" asides.
func dropAsides(s string) string {
	var b strings.Builder
	depth := 0
	for _, r := range s {
		switch r {
		case '(', '[':
			depth++
			continue
		case ')', ']':
			if depth > 0 {
				depth--
				continue
			}
		}
		if depth == 0 {
			b.WriteRune(r)
		}
	}
	if depth != 0 {
		return s // unbalanced: leave it alone
	}
	t := b.String()
	for _, dash := range []string{" — ", " – ", " -- "} {
		for {
			i := strings.Index(t, dash)
			if i < 0 {
				break
			}
			j := strings.Index(t[i+len(dash):], dash)
			if j < 0 {
				break
			}
			t = t[:i] + t[i+len(dash)+j+len(dash)-1:]
		}
	}
	t = strings.Join(strings.Fields(t), " ")
	t = strings.NewReplacer(" ,", ",", " .", ".", " ;", ";", " :", ":").Replace(t)
	return t
}

// dropLeadClause removes an opening adverbial clause ("In a blog post on
// Tuesday, ", "According to the report, ", "When asked, ") that frames the
// sentence rather than stating its fact.
func dropLeadClause(s string) string {
	i := strings.Index(s, ", ")
	if i < 0 || i > 90 {
		return s
	}
	switch strings.ToLower(firstWord(s)) {
	case "in", "on", "at", "according", "after", "before", "when", "while",
		"since", "as", "last", "earlier", "although", "though", "with", "for",
		"during", "over", "under", "by", "following", "despite", "because",
		"if", "unlike", "like", "once", "today", "yesterday", "recently",
		"now", "back", "speaking", "writing", "from", "to", "given", "based",
		"whereas", "whether", "until", "within", "amid", "against", "this",
		"next", "later":
		rest := strings.TrimSpace(s[i+2:])
		if countWords(rest) >= 6 {
			return capitalize(rest)
		}
	}
	return s
}

// cutClause shortens s to at most max characters at the last clause
// boundary that keeps at least half the budget.
func cutClause(s string, max int) (string, bool) {
	rs := []rune(s)
	if len(rs) <= max {
		return s, true
	}
	head := string(rs[:max])
	best := -1
	for _, sep := range []string{"; ", " — ", " – ", ": ", ", which ", ", while ", ", but ", ", and ", ", as ", ", after ", ", because ", ", with ", ", where ", ", who ", ", so ", ", though ", ", although ", ", since ", ", making ", ", allowing ", ", enabling ", ", including ", " while ", " because ", " but ", " after ", ", "} {
		for i := strings.LastIndex(head, sep); i > best; i = strings.LastIndex(head[:i], sep) {
			if utf8.RuneCountInString(head[:i]) < max/2 {
				break
			}
			if balanced(head[:i]) {
				best = i
				break
			}
		}
	}
	if best < 0 {
		return "", false
	}
	return strings.TrimSpace(head[:best]), true
}

// cutWords is the last resort: cut at a word boundary and mark the cut.
func cutWords(s string, max int) string {
	s = dropLeadIn(strings.TrimSpace(s))
	if fits(s, max) {
		return finish(s)
	}
	rs := []rune(s)
	head := string(rs[:max-1])
	if i := strings.LastIndexFunc(head, unicode.IsSpace); i > 0 {
		head = head[:i]
	}
	head = strings.TrimRightFunc(head, func(r rune) bool { return unicode.IsPunct(r) || unicode.IsSpace(r) })
	return capitalize(head) + "…"
}

// tersePoint turns a sentence into a bullet: no lead-in, asides dropped when
// long, no final period (bullets in the reference digest have none).
func tersePoint(s string) string {
	s = dropLeadIn(strings.TrimSpace(s))
	if utf8.RuneCountInString(s) > maxKeyPoint {
		s = dropAsides(s)
	}
	if utf8.RuneCountInString(s) > maxKeyPoint+60 {
		if t, ok := cutClause(s, maxKeyPoint); ok {
			s = t
		}
	}
	s = capitalize(strings.TrimSpace(s))
	if strings.HasSuffix(s, ".") && !strings.HasSuffix(s, "..") {
		s = strings.TrimSuffix(s, ".")
	}
	return s
}

// stripKicker removes a title-cased label before a colon ("Offline Agentic
// Coding part 3: …", "Update: …") that names a series or a rubric rather
// than the news.
func stripKicker(s string) string {
	i := strings.Index(s, ": ")
	if i <= 0 || i > 60 {
		return s
	}
	head, rest := s[:i], strings.TrimSpace(s[i+2:])
	hw := strings.Fields(head)
	if len(hw) > 7 || countWords(rest) < 4 {
		return s
	}
	caps := 0
	for _, w := range hw {
		r, _ := utf8.DecodeRuneInString(w)
		if unicode.IsUpper(r) || unicode.IsDigit(r) {
			caps++
		}
	}
	if caps*2 < len(hw) || (len(hw) == 1 && !isKickerWord(hw[0])) {
		return s
	}
	return capitalize(rest)
}

func isKickerWord(w string) bool {
	switch strings.ToLower(w) {
	case "update", "updated", "exclusive", "breaking", "opinion", "analysis", "review", "editorial", "correction", "podcast", "video", "watch", "listen", "interview", "explainer", "sponsored", "announcement", "news":
		return true
	}
	return false
}

// balanced reports whether s closes every quote and bracket it opens, so a
// cut after it does not strand half a quotation.
func balanced(s string) bool {
	straight, curly, paren := 0, 0, 0
	for _, r := range s {
		switch r {
		case '"':
			straight++
		case '“':
			curly++
		case '”':
			curly--
		case '(', '[':
			paren++
		case ')', ']':
			paren--
		}
	}
	return straight%2 == 0 && curly == 0 && paren == 0
}
