package summarize

import (
	"strings"
	"unicode/utf8"
)

// Sentence compression for key points. The editors' bullets are the
// article's sentences with the framing taken out: who is speaking, how sure
// they are, asides that explain rather than state. Each rule below removes
// one such part and only parts without a fact of their own — fixed stance
// and framing phrases, asides without a number or an acronym — so what is
// left is the same claim, shorter.

// compressPoint applies every rule in a fixed order and returns the shorter
// sentence; the input is returned unchanged when no rule applies.
func compressPoint(s string) string {
	s = dropLeadIn(stripKicker(strings.TrimSpace(s)))
	s = dropStance(s)
	s = dropAttribution(s)
	s = dropFraming(s)
	s = dropLeadIn(s) // a marker may follow a dropped clause ("In my view, however, …")
	s = dropSoftAsides(s)
	return capitalize(strings.TrimSpace(s))
}

// dropStance removes a leading stance phrase when a clause of at least
// four words follows it. A stance opens a sentence with the speaker's
// attitude, not the claim: "I think that X" states X. Longer phrases come
// first so that "I think that" wins over "I think".
func dropStance(s string) string {
	for _, p := range [...]string{
		"it's worth noting that", "it is worth noting that", "it's worth mentioning that",
		"it's important to note that", "it is important to note that",
		"it should be noted that", "needless to say", "it turns out that",
		"it turns out", "the truth is that", "the fact is that",
		"what's interesting is that", "what is interesting is that",
		"i think that", "i think", "i believe that", "i believe", "i feel like",
		"i'd argue that", "i would argue that", "i'd say that", "i would say that",
		"i suspect that", "i guess", "in my opinion", "in my view",
		"in my experience", "personally", "frankly", "honestly", "to be honest",
		"to be clear", "obviously", "clearly", "of course", "note that",
	} {
		if !hasWordPrefix(s, p) {
			continue
		}
		rest := strings.TrimLeft(s[len(p):], " ,:")
		if countWords(rest) < 4 {
			return s
		}
		return capitalize(rest)
	}
	return s
}

// dropAttribution removes "The author argues that …" and its kin: in a
// summary of one article, that the article says it goes without saying. A
// named source ("McKinsey found that …") is a fact and stays.
func dropAttribution(s string) string {
	for _, subj := range []string{"the author", "the authors", "the writer", "the article", "the post", "the piece", "this post", "this article", "this piece"} {
		if !hasWordPrefix(s, subj) || len(s) <= len(subj)+1 {
			continue
		}
		rest := s[len(subj)+1:]
		for _, verb := range []string{"argues", "argue", "notes", "note", "says", "say", "writes", "write", "explains", "explain", "claims", "claim", "suggests", "suggest", "points out", "point out", "thinks", "think", "believes", "believe", "contends", "contend", "observes", "observe", "concludes", "conclude", "states", "state"} {
			if hasWordPrefix(rest, verb+" that") {
				cut := len(subj) + 1 + len(verb) + len(" that")
				if t := strings.TrimSpace(s[cut:]); countWords(t) >= 4 {
					return capitalize(t)
				}
			}
		}
	}
	return s
}

// hasWordPrefix reports whether s starts with p, ignoring case, followed
// by a non-letter; p is lower-case ASCII.
func hasWordPrefix(s, p string) bool {
	if len(s) < len(p) || !strings.EqualFold(s[:len(p)], p) {
		return false
	}
	r, _ := utf8.DecodeRuneInString(s[len(p):])
	return len(s) == len(p) || !isWordRune(r)
}

// dropFraming removes an opening frame and its comma when at least five
// words follow. A frame is a viewpoint or a discourse frame, not a scope:
// "On paper, X" and "In practice, X" both state X. Scope-setting clauses
// ("For small teams, …", "If the primary fails, …") are not frames on
// purpose: dropping them changes the claim. A lead clause with a report
// noun names the source of what follows ("In a blog post on Tuesday, …").
func dropFraming(s string) string {
	i := strings.Index(s, ", ")
	if i < 0 || i > 80 || countWords(s[:i]) > 8 {
		return s
	}
	lead, rest := strings.ToLower(s[:i]), strings.TrimSpace(s[i+2:])
	if countWords(rest) < 5 || !balanced(lead) {
		return s
	}
	drop := false
	for _, f := range [...]string{
		"on paper", "in practice", "in theory", "in reality", "in general",
		"in any case", "at the end of the day", "at this point", "at the moment",
		"for what it's worth", "as it turns out", "as such", "on the other hand",
		"on the one hand", "in contrast", "by contrast", "in other words",
		"to put it simply", "simply put", "to summarize", "to sum up", "all in all",
		"at first glance", "at its core", "in a sense", "in many ways",
		"in this post", "in this article", "in this piece", "as mentioned",
		"as noted", "as i said", "as we saw", "as you can see", "as expected",
		"when asked", "for the most part", "by and large", "with that in mind",
		"that being said", "having said that", "to that end", "in the meantime",
	} {
		if lead == f {
			drop = true
			break
		}
	}
	if !drop && (strings.HasPrefix(lead, "in a ") || strings.HasPrefix(lead, "in an ") || strings.HasPrefix(lead, "in his ") || strings.HasPrefix(lead, "in her ") || strings.HasPrefix(lead, "in their ")) && countWords(lead) <= 8 {
		for _, n := range [...]string{"post", "statement", "interview", "email", "memo", "tweet", "thread", "video", "podcast", "announcement", "letter", "filing", "call", "briefing", "press release", "talk", "keynote", "newsletter"} {
			if indexWord(lead, n) >= 0 {
				drop = true
				break
			}
		}
	}
	if !drop {
		return s
	}
	return capitalize(rest)
}

// dropSoftAsides removes parentheticals and dash asides that explain rather
// than state: those without a number or an acronym. "(~10-20 tokens per
// second)" and "(MCP)" stay; "(typically by opening a new session)" goes.
func dropSoftAsides(s string) string {
	if !strings.ContainsAny(s, "([") && !strings.Contains(s, " — ") && !strings.Contains(s, " – ") && !strings.Contains(s, " -- ") {
		return s
	}
	var b strings.Builder
	rest := s
	for {
		i := strings.IndexAny(rest, "([")
		if i < 0 {
			b.WriteString(rest)
			break
		}
		closer := byte(')')
		if rest[i] == '[' {
			closer = ']'
		}
		j := strings.IndexByte(rest[i:], closer)
		if j < 0 {
			b.WriteString(rest)
			break
		}
		inner := rest[i+1 : i+j]
		if strings.ContainsAny(inner, "([") || keepAside(inner) || i == 0 {
			b.WriteString(rest[:i+j+1])
		} else {
			b.WriteString(strings.TrimRight(rest[:i], " "))
		}
		rest = rest[i+j+1:]
	}
	t := b.String()
	for _, dash := range []string{" — ", " – ", " -- "} {
		from := 0
		for {
			i := strings.Index(t[from:], dash)
			if i < 0 {
				break
			}
			i += from
			j := strings.Index(t[i+len(dash):], dash)
			if j < 0 {
				break
			}
			inner := t[i+len(dash) : i+len(dash)+j]
			if keepAside(inner) {
				from = i + len(dash) + j + len(dash)
				continue
			}
			t = t[:i] + " " + t[i+len(dash)+j+len(dash):]
			from = i
		}
	}
	t = strings.Join(strings.Fields(t), " ")
	return strings.NewReplacer(" ,", ",", " .", ".", " ;", ";", " :", ":").Replace(t)
}

// keepAside: an aside with a number or an acronym carries a fact or a term.
func keepAside(inner string) bool {
	if hasDigit(inner) {
		return true
	}
	for _, f := range strings.Fields(inner) {
		if isAcronym(trimPunct(f)) {
			return true
		}
	}
	return false
}
