package summarize

import (
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/tidings/tidings"
)

// gterm is a glossary candidate with where it first occurs and how much we
// trust the way it was found (lower is better).
type gterm struct {
	term, def string
	article   string // "a", "an" or "the" the definition followed, for merging
	pos       int
	prio      int
}

// glossary collects, in order of trust: acronyms the article defines, user
// glossary terms the article uses, and terms the article defines in a
// sentence. It keeps at most maxGlossary, listed in order of appearance.
func glossary(d *document, user map[string]string) []tidings.Term {
	var cands []gterm
	var all strings.Builder
	for _, s := range d.sents {
		all.WriteString(strings.ToLower(s.text))
		all.WriteByte('\n')
	}
	lowerDoc := all.String()
	freq := func(term string) int { return countWord(lowerDoc, strings.ToLower(term)) }
	for _, s := range d.sents {
		if s.heading {
			continue
		}
		off := s.index * sentStride
		cands = append(cands, acronymDefs(s.text, off)...)
		cands = append(cands, definingSentence(s.text, off, freq)...)
		cands = append(cands, extraDefs(s.text, off, freq)...)
	}
	cands = append(cands, userTerms(d, user)...)
	// Definitions from sentences enrich the acronym entries they explain.
	defs := map[string]string{}
	for _, c := range cands {
		if c.prio == prioDefinition {
			d := lowerFirst(c.def)
			if c.article != "" {
				d = c.article + " " + d
			}
			defs[strings.ToLower(c.term)] = d
		}
	}
	for i, c := range cands {
		if c.prio != prioAcronym {
			continue
		}
		for _, k := range []string{strings.ToLower(c.term), strings.ToLower(c.def)} {
			if extra, ok := defs[k]; ok && !strings.EqualFold(extra, c.def) {
				cands[i].def = c.def + ", " + extra
				break
			}
		}
	}
	sort.SliceStable(cands, func(a, b int) bool {
		if cands[a].prio != cands[b].prio {
			return cands[a].prio < cands[b].prio
		}
		return cands[a].pos < cands[b].pos
	})
	seen := map[string]bool{}
	var keep []gterm
	for _, c := range cands {
		k := normTerm(c.term)
		if seen[k] || len(keep) == maxGlossary {
			continue
		}
		seen[k] = true
		if c.prio == prioAcronym {
			seen[normTerm(strings.SplitN(c.def, ",", 2)[0])] = true
		}
		keep = append(keep, c)
	}
	sort.SliceStable(keep, func(a, b int) bool { return keep[a].pos < keep[b].pos })
	var out []tidings.Term
	for _, c := range keep {
		out = append(out, tidings.Term{Term: c.term, Definition: finishDef(c.def)})
	}
	return out
}

// sentStride orders positions: sentence index * sentStride + byte offset.
const sentStride = 1 << 20

const (
	prioAcronym = iota
	prioUser
	prioDefinition
	prioKnownAs
)

func normTerm(s string) string {
	return strings.Join(tokens(s), " ")
}

func lowerFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError || !unicode.IsUpper(r) {
		return s
	}
	// Keep acronyms and names ("GPU …", "Nvidia's …") as they are.
	if r2, _ := utf8.DecodeRuneInString(s[n:]); unicode.IsUpper(r2) {
		return s
	}
	return string(unicode.ToLower(r)) + s[n:]
}

func finishDef(s string) string {
	s = strings.TrimSpace(strings.TrimRight(strings.TrimSpace(s), ".,;: "))
	return capitalize(s)
}

// isAcronym: 2–10 characters, mostly capitals ("MoE", "CRDT", "B200",
// "LLMs", "R&D"), starting with a letter.
func isAcronym(w string) bool {
	w = strings.TrimSuffix(w, "s")
	n := utf8.RuneCountInString(w)
	if n < 2 || n > 10 {
		return false
	}
	first, _ := utf8.DecodeRuneInString(w)
	if !unicode.IsUpper(first) {
		return false
	}
	upper, letters := 0, 0
	for _, r := range w {
		switch {
		case unicode.IsUpper(r):
			upper++
			letters++
		case unicode.IsLetter(r):
			letters++
		case unicode.IsDigit(r), r == '&', r == '-':
		default:
			return false
		}
	}
	return upper >= 2 && upper*2 >= letters
}

// forEachParen calls fn for each parenthesized span of s, in order: open is
// the index of "(" and inner the trimmed text up to the next ")". An
// unclosed "(" ends the walk.
func forEachParen(s string, fn func(open int, inner string)) {
	for i := 0; i < len(s); i++ {
		if s[i] != '(' {
			continue
		}
		j := strings.IndexByte(s[i:], ')')
		if j < 0 {
			return
		}
		fn(i, strings.TrimSpace(s[i+1:i+j]))
		i += j
	}
}

// acronymDefs finds "Long Form (ACR)", "ACR (Long Form)", "ACR, or Long
// Form," and "Long Form, or ACR," in one sentence, and "A vs B (long a vs.
// long b)". Each pair is checked letter by letter (Schwartz & Hearst 2003)
// and by the initials of the long form's words.
func acronymDefs(s string, off int) []gterm {
	var out []gterm
	forEachParen(s, func(i int, inner string) {
		before := strings.TrimSpace(s[:i])
		fields := strings.Fields(inner)
		switch {
		case len(fields) == 1 && isAcronym(trimPunct(inner)):
			acr := trimPunct(inner)
			if long, ok := longFormBefore(acr, before); ok {
				out = append(out, gterm{term: acr, def: capitalize(long), pos: off + i})
			}
		case len(fields) >= 2:
			pw := strings.Fields(before)
			if len(pw) == 0 {
				break
			}
			last := trimPunct(pw[len(pw)-1])
			if !isAcronym(last) {
				break
			}
			if ok := matchLongForm(last, inner); ok {
				out = append(out, gterm{term: last, def: capitalize(inner), pos: off + i})
				break
			}
			out = append(out, pairedDefs(pw, inner, off+i)...)
		}
	})
	out = append(out, orDefs(s, off)...)
	for k := range out {
		out[k].prio = prioAcronym
	}
	return out
}

// pairedDefs handles "MTBF vs MTTR (mean-time-between-failure vs.
// mean-time-to-recovery)".
func pairedDefs(pw []string, inner string, pos int) []gterm {
	if len(pw) < 3 {
		return nil
	}
	a, sep, b := trimPunct(pw[len(pw)-3]), strings.ToLower(pw[len(pw)-2]), trimPunct(pw[len(pw)-1])
	if !isAcronym(a) || !isAcronym(b) {
		return nil
	}
	switch sep {
	case "vs", "vs.", "and", "or", "/", "versus":
	default:
		return nil
	}
	for _, isep := range []string{" vs. ", " vs ", " versus ", " and ", " or ", " / ", ", "} {
		parts := strings.SplitN(inner, isep, 2)
		if len(parts) == 2 && matchLongForm(a, parts[0]) && matchLongForm(b, parts[1]) {
			return []gterm{
				{term: a, def: capitalize(strings.TrimSpace(parts[0])), pos: pos},
				{term: b, def: capitalize(strings.TrimSpace(parts[1])), pos: pos},
			}
		}
	}
	return nil
}

// orDefs handles "ACR, or Long Form," and "Long Form, or ACR,".
func orDefs(s string, off int) []gterm {
	var out []gterm
	for i := 0; ; {
		k := strings.Index(s[i:], ", or ")
		if k < 0 {
			return out
		}
		k += i
		before, after := s[:k], s[k+5:]
		end := strings.IndexAny(after, ",.;:)")
		if end < 0 {
			end = len(after)
		}
		rest := strings.TrimSpace(after[:end])
		pw := strings.Fields(before)
		if len(pw) > 0 {
			last := trimPunct(pw[len(pw)-1])
			if isAcronym(last) && len(strings.Fields(rest)) >= 2 && matchLongForm(last, rest) {
				out = append(out, gterm{term: last, def: capitalize(rest), pos: off + k})
			} else if isAcronym(rest) {
				if long, ok := longFormBefore(rest, before); ok {
					out = append(out, gterm{term: rest, def: capitalize(long), pos: off + k})
				}
			}
		}
		i = k + 5
	}
}

func trimPunct(w string) string {
	return strings.TrimFunc(w, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

// longFormBefore finds the expansion of acr among the words before it.
func longFormBefore(acr, before string) (string, bool) {
	words := strings.Fields(before)
	n := utf8.RuneCountInString(acr)
	limit := min(n+5, 2*n)
	if len(words) > limit {
		words = words[len(words)-limit:]
	}
	cand := strings.Join(words, " ")
	long, ok := schwartzHearst(acr, cand)
	if !ok {
		return "", false
	}
	long = strings.TrimLeftFunc(long, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	long = strings.TrimRight(long, " ,;:")
	if !initialsMatch(acr, long) {
		return "", false
	}
	return long, true
}

// matchLongForm checks that long, as a whole, expands acr.
func matchLongForm(acr, long string) bool {
	long = strings.TrimSpace(long)
	got, ok := schwartzHearst(acr, long)
	return ok && got == long && initialsMatch(acr, long)
}

// schwartzHearst matches the acronym's characters right to left inside
// long, the first one at the start of a word, and returns the shortest
// tail of long that does it.
func schwartzHearst(acr, long string) (string, bool) {
	a := []rune(strings.ToLower(strings.TrimSuffix(acr, "s")))
	l := []rune(strings.ToLower(long))
	si, li := len(a)-1, len(l)-1
	for si >= 0 {
		c := a[si]
		if !unicode.IsLetter(c) && !unicode.IsDigit(c) {
			si--
			continue
		}
		for li >= 0 && (l[li] != c || (si == 0 && li > 0 && (unicode.IsLetter(l[li-1]) || unicode.IsDigit(l[li-1])))) {
			li--
		}
		if li < 0 {
			return "", false
		}
		li--
		si--
	}
	start := li + 1
	for start > 0 && !unicode.IsSpace(l[start-1]) {
		start--
	}
	rs := []rune(long)
	out := strings.TrimSpace(string(rs[start:]))
	if utf8.RuneCountInString(out) <= len(a) {
		return "", false
	}
	return out, true
}

// initialsMatch validates the pairing by word initials: the long form must
// start with the acronym's first letter, and most of its content words must
// begin with letters of the acronym, in order.
func initialsMatch(acr, long string) bool {
	a := []rune(strings.ToLower(strings.TrimSuffix(acr, "s")))
	var words []string
	for _, w := range strings.Fields(long) {
		w = trimPunct(w)
		if w == "" || isStopword(strings.ToLower(w)) {
			continue
		}
		words = append(words, w)
	}
	if len(words) == 0 || len(words) > len(a)+1 {
		return false
	}
	f, _ := utf8.DecodeRuneInString(strings.ToLower(words[0]))
	if f != a[0] {
		return false
	}
	k, hit := 0, 0
	for _, w := range words {
		r, _ := utf8.DecodeRuneInString(strings.ToLower(w))
		for j := k; j < len(a); j++ {
			if a[j] == r {
				hit++
				k = j + 1
				break
			}
		}
	}
	return hit*5 >= len(words)*3
}

// definingSentence finds "X is a …", "X refers to …", "X stands for …" and
// "… known as X" / "… called X".
func definingSentence(s string, off int, freq func(string) int) []gterm {
	var out []gterm
	ls := strings.ToLower(s)
	for _, v := range []string{" is a ", " is an ", " refers to ", " is short for ", " stands for ", " is defined as ", " is the practice of ", " is the process of ", " are a ", " is the "} {
		i := strings.Index(ls, v)
		if i <= 0 {
			continue
		}
		subj := strings.TrimSpace(s[:i])
		for _, art := range []string{"The ", "A ", "An "} {
			subj = strings.TrimPrefix(subj, art)
		}
		subj = strings.Trim(subj, "\"'“”‘’*`")
		if !termLike(subj, freq) {
			break
		}
		def := shortDef(s[i+len(v):])
		if def == "" || vagueDef(def) || firstPerson(def) || secondPerson(def) {
			break
		}
		art := strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(v, " is "), " are "))
		if art != "a" && art != "an" && art != "the" {
			art = ""
		}
		out = append(out, gterm{term: subj, def: def, article: art, pos: off, prio: prioDefinition})
		break
	}
	for _, v := range []string{" known as ", " called ", " dubbed ", " termed "} {
		i := strings.Index(ls, v)
		if i <= 0 {
			continue
		}
		term := leadingPhrase(s[i+len(v):])
		if term == "" {
			continue
		}
		head := strings.TrimRight(strings.TrimSpace(s[:i]), ",")
		head = strings.TrimSuffix(strings.TrimSuffix(head, " also"), " is")
		lh := strings.ToLower(head)
		k := max(strings.LastIndex(lh, " a "), strings.LastIndex(lh, " an "))
		if k < 0 {
			continue
		}
		def := strings.TrimSpace(head[k:])
		def = strings.TrimPrefix(strings.TrimPrefix(def, "a "), "an ")
		if countWords(def) < 3 || vagueDef(def) {
			continue
		}
		out = append(out, gterm{term: term, def: shortDef(def), pos: off, prio: prioKnownAs})
	}
	return out
}

// termLike accepts 1–4 words that read like a term rather than a pronoun
// or a clause: no stopword first, no punctuation, and some mark of a term —
// a capital after the first letter, a digit or a hyphen, or use elsewhere in
// the article (phrases only, twice or more).
func termLike(t string, freq func(string) int) bool {
	fs := strings.Fields(t)
	if len(fs) == 0 || len(fs) > 4 {
		return false
	}
	first := strings.ToLower(trimPunct(fs[0]))
	if isStopword(first) || vagueSubject(first) {
		return false
	}
	for _, f := range fs {
		if strings.ContainsAny(f, ",;:()\"“”") {
			return false
		}
	}
	if r, _ := utf8.DecodeRuneInString(t); !unicode.IsLetter(r) {
		return false // "10-minute RPO is …" describes a value, not a term
	}
	for i, r := range []rune(t) {
		if i > 0 && (unicode.IsUpper(r) || unicode.IsDigit(r)) || r == '-' {
			return true
		}
	}
	// A lone common word ("model", "router") is too often the article's
	// subject rather than jargon.
	return len(fs) > 1 && freq(t) >= 2
}

// vagueSubject lists nouns that open opinions, not definitions ("The
// problem is a …", "The result is a …").
func vagueSubject(w string) bool {
	switch w {
	case "result", "problem", "issue", "answer", "goal", "idea", "point",
		"reason", "question", "solution", "difference", "catch", "trick",
		"downside", "upside", "challenge", "key", "lesson", "outcome",
		"takeaway", "plan", "truth", "fact", "rest", "bottom", "hope", "worry",
		"risk", "aim", "cost", "price", "effect", "impact", "benefit", "change",
		"situation", "story", "news", "thing", "message", "bet", "irony":
		return true
	}
	return false
}

// countWord counts word-bounded occurrences of needle in hay.
func countWord(hay, needle string) int {
	n := 0
	for from := 0; from < len(hay); {
		i := indexWord(hay[from:], needle)
		if i < 0 {
			break
		}
		n++
		from += i + len(needle)
	}
	return n
}

// vagueDef rejects opinions posing as definitions ("X is a great tool").
func vagueDef(d string) bool {
	switch strings.ToLower(firstWord(d)) {
	case "great", "good", "bad", "big", "huge", "nice", "lot", "little", "bit",
		"real", "whole", "very", "really", "pretty", "major", "serious",
		"better", "best", "fine", "perfect", "terrible", "problem", "mistake",
		"question", "reason", "way", "thing", "lot's", "fact", "must", "sign",
		"step", "win", "shame", "joke", "few", "long", "short", "simple", "new":
		return true
	}
	return countWords(d) < 3
}

// shortDef keeps a definition to one clause of at most ~160 characters.
func shortDef(d string) string {
	d = strings.TrimSpace(strings.TrimRight(strings.TrimSpace(d), "."))
	if utf8.RuneCountInString(d) <= 160 {
		return d
	}
	if t, ok := cutClause(d, 160); ok {
		return t
	}
	return ""
}

// leadingPhrase takes the term after "known as": a quoted phrase, or up to
// four words before punctuation or a stopword.
func leadingPhrase(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	if q, _ := utf8.DecodeRuneInString(s); strings.ContainsRune("\"“'‘", q) {
		if k := strings.IndexAny(s[1:], "\"”'’"); k > 0 {
			return strings.TrimSpace(s[1 : 1+k])
		}
	}
	var words []string
	for _, f := range strings.Fields(s) {
		w := strings.TrimRight(f, ",.;:)!?\"”’")
		if isStopword(strings.ToLower(w)) || len(words) == 4 {
			break
		}
		words = append(words, w)
		if w != f {
			break
		}
	}
	return strings.Join(words, " ")
}

// userTerms finds user glossary terms in the article, word-bounded; terms
// with two or more capitals ("GPU", "MoE") must match case too, so "it"
// never matches "IT".
func userTerms(d *document, user map[string]string) []gterm {
	if len(user) == 0 {
		return nil
	}
	keys := make([]string, 0, len(user))
	for k := range user {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	lower := make([]string, len(d.sents))
	for i, s := range d.sents {
		lower[i] = strings.ToLower(s.text)
	}
	var out []gterm
	for _, term := range keys {
		exact := upperCount(term) >= 2
		needle := strings.ToLower(term)
		if exact {
			needle = term
		}
		for i, s := range d.sents {
			hay := lower[i]
			if exact {
				hay = s.text
			}
			if k := indexWord(hay, needle); k >= 0 {
				out = append(out, gterm{term: term, def: user[term], pos: i*sentStride + k, prio: prioUser})
				break
			}
		}
	}
	return out
}

func upperCount(s string) int {
	n := 0
	for _, r := range s {
		if unicode.IsUpper(r) {
			n++
		}
	}
	return n
}

// indexWord finds needle in hay with non-word characters (or the ends) on
// both sides.
func indexWord(hay, needle string) int {
	if needle == "" {
		return -1
	}
	for from := 0; from < len(hay); {
		i := strings.Index(hay[from:], needle)
		if i < 0 {
			return -1
		}
		i += from
		before, _ := utf8.DecodeLastRuneInString(hay[:i])
		after, _ := utf8.DecodeRuneInString(hay[i+len(needle):])
		if (i == 0 || !isWordRune(before)) && (i+len(needle) == len(hay) || !isWordRune(after)) {
			return i
		}
		from = i + 1
	}
	return -1
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' }
