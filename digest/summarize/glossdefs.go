package summarize

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// More ways an article defines its terms, each a fixed construction that
// writers use to introduce a term to readers who may not know it:
//
//	Patroni, an open-source tool that automates failover, …   (appositive)
//	Patroni, which is an open-source tool that …              (relative)
//	kubectl (short for Kube Control) …                        (parenthetical expansion)
//	… (a sigmoid is an S-shaped curve that …)                 (parenthetical definition)
//	Goodhart's Law: when a measure becomes a target, …        (named law or principle)
//
// Precision comes from the construction plus a check on each side: an
// appositive's term must look like a name (capitalized words, or a word
// with a digit) and its description must name a kind of thing a glossary
// explains (a tool, a protocol, a technique), so "Jane Doe, a senior
// engineer" and "Monday, a busy day" are not terms.

// extraDefs finds the constructions above in one sentence.
func extraDefs(s string, off int, freq func(string) int) []gterm {
	var out []gterm
	out = append(out, appositiveDefs(s, off, freq)...)
	out = append(out, parenDefs(s, off)...)
	out = append(out, namedLawDefs(s, off)...)
	for k := range out {
		out[k].prio = prioDefinition
	}
	return out
}

// appositiveDefs handles "X, a/an <kind> …," and "X, which is a/an <kind> …".
func appositiveDefs(s string, off int, freq func(string) int) []gterm {
	var out []gterm
	for _, intro := range []string{", a ", ", an ", ", which is a ", ", which is an "} {
		for from := 0; ; {
			k := strings.Index(s[from:], intro)
			if k < 0 {
				break
			}
			k += from
			from = k + len(intro)
			term, start := nameBefore(s[:k])
			if term == "" || (start == 0 && !strings.ContainsAny(term, " -0123456789") && freq(term) < 2) {
				continue // a lone capitalized first word may just open the sentence
			}
			if pluralAcronym(term) {
				continue // "… across GPUs, a scheme …": a singular appositive after a plural sums up the clause
			}
			def := clauseAfter(s[from:])
			n := countWords(def)
			if n < 3 || n > 18 || !namesKind(def) || vagueDef(def) || firstPerson(def) || secondPerson(def) || namesOther(def) {
				continue
			}
			art := strings.TrimSpace(intro[strings.LastIndex(strings.TrimSpace(intro), " ")+1:])
			out = append(out, gterm{term: term, def: def, article: art, pos: off + start})
		}
	}
	return out
}

// pluralAcronym: "GPUs", "LLMs".
func pluralAcronym(term string) bool {
	f := strings.Fields(term)
	w := f[len(f)-1]
	return strings.HasSuffix(w, "s") && isAcronym(w) && isAcronym(strings.TrimSuffix(w, "s"))
}

// namesOther: the appositive introduces a term of its own ("a scheme known
// as expert parallelism"), which the known-as rule handles.
func namesOther(def string) bool {
	ld := strings.ToLower(def)
	for _, k := range []string{" known as ", " called ", " dubbed ", " termed "} {
		if strings.Contains(ld+" ", k) {
			return true
		}
	}
	return false
}

// nameBefore returns the capitalized name (1–4 words) that ends s, and where
// it starts; "" when s does not end with one.
func nameBefore(s string) (string, int) {
	words := strings.Fields(s)
	if len(words) == 0 {
		return "", 0
	}
	n := 0
	for i := len(words) - 1; i >= 0 && n < 4; i-- {
		w := words[i]
		if strings.ContainsAny(w, ",;:()\"“”") || !nameWord(w) {
			break
		}
		n++
	}
	if n == 0 {
		return "", 0
	}
	run := words[len(words)-n:]
	for len(run) > 0 && isStopword(strings.ToLower(trimPunct(run[0]))) {
		run = run[1:] // "At Rubrik" names Rubrik
	}
	if len(run) == 0 {
		return "", 0
	}
	name := strings.Join(run, " ")
	return name, max(0, strings.LastIndex(s, name))
}

// nameWord: capitalized or containing a digit ("Gemma4", "B200", "Weights.gg").
func nameWord(w string) bool {
	r, _ := utf8.DecodeRuneInString(w)
	return unicode.IsUpper(r) || (unicode.IsLetter(r) && hasDigit(w))
}

// clauseAfter returns s up to the end of its clause.
func clauseAfter(s string) string {
	end := len(s)
	for _, stop := range []string{", ", ". ", "; ", " — ", " – ", " (", ")", ":"} {
		if i := strings.Index(s, stop); i >= 0 && i < end {
			end = i
		}
	}
	return strings.TrimSpace(strings.TrimRight(s[:end], ".!?"))
}

// isKindNoun: kinds of tools, methods and organizations, which is what
// glossary entries are. People's roles are not among them on purpose.
func isKindNoun(w string) bool {
	switch w {
	case "tool", "library", "framework", "protocol", "format", "language",
		"technique", "method", "model", "database", "service", "platform",
		"system", "standard", "algorithm", "startup", "company", "metric",
		"measure", "architecture", "api", "engine", "runtime", "compiler",
		"benchmark", "dataset", "organization", "organisation", "nonprofit",
		"project", "approach", "pattern", "structure", "specification",
		"extension", "plugin", "editor", "chip", "gpu", "processor",
		"accelerator", "network", "layer", "scheme", "mechanism",
		"strategy", "practice", "principle", "heuristic", "rule", "law",
		"concept", "term", "process", "store", "queue", "cache", "index",
		"file", "app", "application", "product", "feature", "interface",
		"toolkit", "sdk", "cli", "utility", "package", "module",
		"component", "device", "lab", "consortium", "foundation", "vendor",
		"provider", "exchange", "marketplace", "aggregator", "agent",
		"assistant", "chatbot", "pipeline", "workflow", "test", "attack",
		"vulnerability", "bug", "error", "failure", "technology",
		"programme", "program", "initiative", "paradigm", "type":
		return true
	}
	return false
}

// namesKind reports whether the first words of def (before a "that",
// "which", "for" … that starts its modifier) include a kind noun.
func namesKind(def string) bool {
	for i, w := range strings.Fields(strings.ToLower(def)) {
		w = strings.TrimSuffix(trimPunct(w), "s")
		if i >= 6 {
			break
		}
		switch w {
		case "that", "which", "who", "for", "to", "used", "with", "from", "where":
			return false
		}
		if isKindNoun(w) || isKindNoun(w+"s") {
			return true
		}
	}
	return false
}

// parenDefs handles "X (short for Y)" and "(a X is Y)".
func parenDefs(s string, off int) []gterm {
	var out []gterm
	forEachParen(s, func(i int, inner string) {
		li := strings.ToLower(inner)
		for _, p := range []string{"short for ", "shorthand for ", "which stands for ", "stands for "} {
			if !strings.HasPrefix(li, p) {
				continue
			}
			pw := strings.Fields(s[:i])
			if len(pw) == 0 {
				break
			}
			term := trimPunct(pw[len(pw)-1])
			long := strings.TrimSpace(inner[len(p):])
			if term != "" && countWords(long) >= 1 && countWords(long) <= 8 {
				out = append(out, gterm{term: term, def: capitalize(long), pos: off + i})
			}
			break
		}
		if t, d, art, ok := innerDefinition(inner); ok {
			out = append(out, gterm{term: t, def: d, article: art, pos: off + i})
		}
	})
	return out
}

// innerDefinition reads "a X is a/an/the Y" or "X is a/an Y" inside
// parentheses, where a defining statement is almost always a definition.
func innerDefinition(inner string) (term, def, art string, ok bool) {
	li := strings.ToLower(inner)
	for _, v := range []string{" is a ", " is an ", " is the ", " are "} {
		k := strings.Index(li, v)
		if k <= 0 {
			continue
		}
		subj := strings.TrimSpace(inner[:k])
		for _, a := range []string{"a ", "an ", "the ", "A ", "An ", "The "} {
			subj = strings.TrimPrefix(subj, a)
		}
		if n := countWords(subj); n == 0 || n > 3 || isStopword(strings.ToLower(firstWord(subj))) || strings.ContainsAny(subj, ",;:\"“”") {
			return "", "", "", false
		}
		d := shortDef(inner[k+len(v):])
		if countWords(d) < 3 || vagueDef(d) {
			return "", "", "", false
		}
		art = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), "is"))
		if art == "are" {
			art = ""
		}
		return subj, d, art, true
	}
	return "", "", "", false
}

// namedLawDefs handles "<Name>'s Law: …" and "<Name>'s Law states that …".
// It looks for the separators first and only then at the word before them,
// so that most sentences cost a few substring searches.
func namedLawDefs(s string, off int) []gterm {
	var out []gterm
	for _, sep := range []string{": ", " states that ", " says that ", " holds that "} {
		k := strings.Index(s, sep)
		if k <= 0 {
			continue
		}
		head := s[:k]
		sp := strings.LastIndexByte(head, ' ')
		if sp < 0 {
			continue
		}
		form := head[sp+1:]
		if !isLawNoun(form) {
			continue
		}
		term, start := nameBefore(head[:sp])
		if term == "" || !strings.HasSuffix(term, "'s") && !strings.HasSuffix(term, "’s") {
			continue
		}
		def := shortDef(strings.TrimSpace(s[k+len(sep):]))
		if countWords(def) < 4 || vagueDef(def) {
			continue
		}
		out = append(out, gterm{term: term + " " + form, def: def, pos: off + start})
	}
	return out
}

// isLawNoun: the nouns that end the names of laws, principles and effects
// ("Conway's law", "Occam's Razor").
func isLawNoun(w string) bool {
	for _, n := range [...]string{"Law", "Principle", "Effect", "Rule", "Razor", "Paradox", "Theorem", "Fallacy", "Dilemma", "Hypothesis", "Conjecture"} {
		if strings.EqualFold(w, n) {
			return true
		}
	}
	return false
}
