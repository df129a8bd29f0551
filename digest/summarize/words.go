package summarize

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// tokens returns the lower-cased words of s: runs of letters and digits,
// keeping inner apostrophes, hyphens and dots between letters or digits
// ("don't", "state-of-the-art", "3.5", "v1.2"), so numbers stay whole.
func tokens(s string) []string {
	out := make([]string, 0, len(s)/6)
	start := -1
	for i := 0; i <= len(s); {
		var r rune
		size := 1
		if i < len(s) {
			r, size = utf8.DecodeRuneInString(s[i:])
		}
		in := i < len(s) && isAlnum(r)
		if !in && i < len(s) && start >= 0 && isJoiner(r) {
			if nr, _ := utf8.DecodeRuneInString(s[i+size:]); i+size < len(s) && isAlnum(nr) {
				i += size
				continue
			}
		}
		if in {
			if start < 0 {
				start = i
			}
		} else if start >= 0 {
			out = append(out, lower(s[start:i]))
			start = -1
		}
		if i == len(s) {
			break
		}
		i += size
	}
	return out
}

func isAlnum(r rune) bool {
	if r < utf8.RuneSelf {
		return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9'
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}

// lower avoids an allocation for words that are already lower case.
func lower(w string) string {
	for i := 0; i < len(w); i++ {
		if c := w[i]; c >= utf8.RuneSelf || 'A' <= c && c <= 'Z' {
			return strings.ToLower(w)
		}
	}
	return w
}

func isJoiner(r rune) bool { return r == '\'' || r == '’' || r == '-' || r == '.' }

// contentTerms maps a sentence to the terms that carry its meaning: no
// stopwords, possessives and plurals folded, so "agents" meets "agent".
func contentTerms(s string) []string {
	var out []string
	for _, t := range tokens(s) {
		t = strings.TrimSuffix(strings.TrimSuffix(t, "'s"), "’s")
		if isStopword(t) || (len(t) < 2 && !isDigits(t)) {
			continue
		}
		out = append(out, fold(t))
	}
	return out
}

// fold is a deliberately light stemmer: plural and a few verb endings.
func fold(t string) string {
	n := len(t)
	switch {
	case n > 4 && strings.HasSuffix(t, "ies"):
		return t[:n-3] + "y"
	case n > 5 && strings.HasSuffix(t, "sses"):
		return t[:n-2]
	case n > 3 && strings.HasSuffix(t, "s") && !strings.HasSuffix(t, "ss") &&
		!strings.HasSuffix(t, "us") && !strings.HasSuffix(t, "is"):
		return t[:n-1]
	}
	return t
}

func isDigits(t string) bool {
	for _, r := range t {
		if !unicode.IsDigit(r) {
			return false
		}
	}
	return t != ""
}

func hasDigit(s string) bool { return strings.IndexFunc(s, unicode.IsDigit) >= 0 }

// isStopword is a small English list: function words and the filler that
// news prose repeats everywhere.
func isStopword(w string) bool {
	switch w {
	case "a", "about", "above", "after", "again", "against", "all", "also", "am",
		"an", "and", "any", "are", "aren't", "as", "at", "be", "because", "been",
		"before", "being", "below", "between", "both", "but", "by", "can",
		"can't", "cannot", "could", "couldn't", "did", "didn't", "do", "does",
		"doesn't", "doing", "don't", "down", "during", "each", "even", "ever",
		"every", "few", "for", "from", "further", "get", "gets", "got", "had",
		"hadn't", "has", "hasn't", "have", "haven't", "having", "he", "her",
		"here", "hers", "herself", "him", "himself", "his", "how", "however",
		"i", "i'm", "i've", "if", "in", "into", "is", "isn't", "it", "it's",
		"its", "itself", "just", "let", "let's", "like", "made", "make", "many",
		"may", "me", "might", "more", "most", "much", "must", "my", "myself",
		"never", "no", "nor", "not", "now", "of", "off", "often", "on", "once",
		"one", "only", "or", "other", "our", "ours", "ourselves", "out", "over",
		"own", "per", "quite", "rather", "really", "same", "say", "said", "says",
		"see", "she", "should", "shouldn't", "since", "so", "some", "still",
		"such", "than", "that", "that's", "the", "their", "theirs", "them",
		"themselves", "then", "there", "there's", "these", "they", "they're",
		"this", "those", "though", "through", "thus", "to", "too", "under",
		"until", "up", "upon", "us", "use", "used", "using", "very", "via",
		"was", "wasn't", "way", "we", "we're", "we've", "well", "were",
		"weren't", "what", "when", "where", "whether", "which", "while", "who",
		"whom", "whose", "why", "will", "with", "within", "without", "won't",
		"would", "wouldn't", "yet", "you", "you're", "your", "yours",
		"yourself", "also's", "according", "already", "although", "another",
		"around", "back", "come", "comes", "going", "go", "new", "next",
		"something", "thing", "things", "lot", "lots", "actually", "across",
		"among", "along", "almost", "always", "anything", "else", "enough",
		"everything", "first", "here's", "instead", "last", "less", "least",
		"maybe", "mostly", "need", "needs", "perhaps", "put", "seem", "seems",
		"take", "takes", "two", "want", "wants", "yes", "able":
		return true
	}
	return false
}
