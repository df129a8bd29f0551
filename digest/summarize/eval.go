package summarize

import (
	"math"
	"sort"
	"strings"
	"unicode"
)

// This file holds the measuring tools behind cmd/sumeval: ROUGE and the
// baselines the engine is compared with. They share the engine's sentence
// splitter, so every system sees the same sentences.

// Score is precision, recall and F1 of one comparison.
type Score struct {
	P, R, F float64
}

func prf(overlap, cand, ref float64) Score {
	if cand == 0 || ref == 0 || overlap == 0 {
		return Score{}
	}
	p, r := overlap/cand, overlap/ref
	return Score{P: p, R: r, F: 2 * p * r / (p + r)}
}

// rougeTokens lower-cases and splits on anything that is not a letter or
// digit; no stemming, no stopword removal.
func rougeTokens(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
}

// RougeN is ROUGE-N of a candidate against one reference: clipped n-gram
// overlap.
func RougeN(candidate, reference string, n int) Score {
	c, r := ngrams(rougeTokens(candidate), n), ngrams(rougeTokens(reference), n)
	var overlap, cn, rn float64
	for g, k := range c {
		cn += float64(k)
		overlap += float64(min(k, r[g]))
	}
	for _, k := range r {
		rn += float64(k)
	}
	return prf(overlap, cn, rn)
}

func ngrams(ts []string, n int) map[string]int {
	m := map[string]int{}
	for i := 0; i+n <= len(ts); i++ {
		m[strings.Join(ts[i:i+n], " ")]++
	}
	return m
}

// RougeL is ROUGE-L (β = 1): the longest common subsequence of the two
// token sequences. Multi-sentence texts are compared as one sequence.
func RougeL(candidate, reference string) Score {
	c, r := rougeTokens(candidate), rougeTokens(reference)
	if len(c) == 0 || len(r) == 0 {
		return Score{}
	}
	prev := make([]int, len(r)+1)
	cur := make([]int, len(r)+1)
	for i := 1; i <= len(c); i++ {
		for j := 1; j <= len(r); j++ {
			if c[i-1] == r[j-1] {
				cur[j] = prev[j-1] + 1
			} else {
				cur[j] = max(cur[j-1], prev[j])
			}
		}
		prev, cur = cur, prev
	}
	return prf(float64(prev[len(r)]), float64(len(c)), float64(len(r)))
}

// Lead returns the first n prose sentences of text (the LEAD baselines).
func Lead(text string, n int) []string {
	d := parse(text)
	var out []string
	for _, s := range d.sents {
		if len(out) == n {
			break
		}
		if s.pos >= 0 {
			out = append(out, s.text)
		}
	}
	return out
}

// TextRankBaseline is plain TextRank (Mihalcea & Tarau 2004): sentences
// linked by word overlap normalized by log lengths, no position, title or
// redundancy handling. It returns the top n sentences in article order.
func TextRankBaseline(text string, n int) []string {
	d := parse(text)
	var cand []int
	words := make([]map[string]bool, len(d.sents))
	for i, s := range d.sents {
		if s.heading {
			continue
		}
		words[i] = map[string]bool{}
		for _, t := range tokens(s.text) {
			if !isStopword(t) {
				words[i][t] = true
			}
		}
		if len(words[i]) > 1 {
			cand = append(cand, i)
		}
	}
	sim := func(i, j int) float64 {
		common := 0
		for w := range words[i] {
			if words[j][w] {
				common++
			}
		}
		return float64(common) / (math.Log(float64(len(words[i]))) + math.Log(float64(len(words[j]))))
	}
	score := textRank(cand, sim)
	order := make([]int, len(cand))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return score[order[a]] > score[order[b]] })
	if len(order) > n {
		order = order[:n]
	}
	sort.Ints(order)
	out := make([]string, 0, len(order))
	for _, k := range order {
		out = append(out, d.sents[cand[k]].text)
	}
	return out
}

// AcronymBaseline is the naive glossary: the first n distinct acronyms of
// the text, with no definition.
func AcronymBaseline(text string, n int) []string {
	seen := map[string]bool{}
	var out []string
	for _, f := range strings.Fields(text) {
		w := trimPunct(f)
		if len(out) == n {
			break
		}
		if isAcronym(w) && !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	return out
}

// MatchTerms counts one-to-one matches between predicted and reference
// glossary terms. Terms match case-insensitively on their words; a term
// written "CRDT (Conflict-free Replicated Data Type)" matches either form.
func MatchTerms(got, want []string) int {
	used := make([]bool, len(want))
	n := 0
	for _, g := range got {
		ga := termAliases(g)
		for j, w := range want {
			if used[j] {
				continue
			}
			if overlaps(ga, termAliases(w)) {
				used[j] = true
				n++
				break
			}
		}
	}
	return n
}

func termAliases(t string) []string {
	out := []string{normAlias(t)}
	if i := strings.IndexByte(t, '('); i > 0 {
		if j := strings.LastIndexByte(t, ')'); j > i {
			out = append(out, normAlias(t[:i]), normAlias(t[i+1:j]))
		}
	}
	return out
}

// normAlias lower-cases, drops punctuation and a plural "s".
func normAlias(s string) string {
	ts := rougeTokens(strings.ReplaceAll(s, "'s", ""))
	for i, t := range ts {
		if len(t) > 3 && strings.HasSuffix(t, "s") && !strings.HasSuffix(t, "ss") {
			ts[i] = t[:len(t)-1]
		}
	}
	return strings.Join(ts, " ")
}

func overlaps(a, b []string) bool {
	for _, x := range a {
		for _, y := range b {
			if x != "" && x == y {
				return true
			}
		}
	}
	return false
}
