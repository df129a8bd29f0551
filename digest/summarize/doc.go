package summarize

import (
	"math"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// sentence is one sentence of the article with its place and its weighted
// term vector.
type sentence struct {
	text    string
	block   int // index of its block
	section int // number of headings before it
	pos     int // index among prose sentences (-1 for headings and list items)
	index   int // index among all sentences
	list    bool
	heading bool
	words   int     // word count
	terms   []int32 // content term ids in text order
	vec     vector
	// Cues computed once: voice, facts.
	firstPerson, secondPerson, digits bool
	actors                            int
}

// vector is a sparse TF-ISF vector sorted by term id, with its norm.
type vector struct {
	ids  []int32
	w    []float64
	norm float64
}

func (a vector) dot(b vector) float64 {
	var s float64
	i, j := 0, 0
	for i < len(a.ids) && j < len(b.ids) {
		switch {
		case a.ids[i] == b.ids[j]:
			s += a.w[i] * b.w[j]
			i++
			j++
		case a.ids[i] < b.ids[j]:
			i++
		default:
			j++
		}
	}
	return s
}

func (a vector) cos(b vector) float64 {
	if a.norm == 0 || b.norm == 0 {
		return 0
	}
	return a.dot(b) / (a.norm * b.norm)
}

// document is an article prepared for ranking.
type document struct {
	blocks    []block
	sents     []sentence
	vocab     map[string]int32
	isf       []float64
	words     int
	proseBlks int
	prose     int // prose sentences
}

// parse splits the text and builds the term vectors (sentences are the
// "documents" of the inverse frequency, as usual for single-document
// summarization).
func parse(text string) *document {
	d := &document{vocab: map[string]int32{}}
	var split [][]string
	d.blocks, split = cleanBlocks(splitBlocks(text))
	var terms [][]int32
	df := []int{}
	pos, section := 0, 0
	for bi, b := range d.blocks {
		if b.heading {
			section++
		}
		if !b.heading && !b.list {
			d.proseBlks++
		}
		for _, s := range split[bi] {
			st := sentence{text: s, block: bi, section: section, pos: -1, index: len(d.sents), list: b.list, heading: b.heading}
			if !b.heading && !b.list {
				st.pos = pos
				pos++
			}
			st.words = countWords(s)
			st.firstPerson, st.secondPerson = firstPerson(s), secondPerson(s)
			st.digits, st.actors = hasDigit(s), namedActors(s)
			d.words += st.words
			var ids []int32
			seen := map[int32]bool{}
			for _, t := range contentTerms(s) {
				id, ok := d.vocab[t]
				if !ok {
					id = int32(len(d.vocab))
					d.vocab[t] = id
					df = append(df, 0)
				}
				if !seen[id] {
					seen[id] = true
					df[id]++
				}
				ids = append(ids, id)
			}
			terms = append(terms, ids)
			st.terms = ids
			d.sents = append(d.sents, st)
		}
	}
	d.prose = pos
	n := float64(len(d.sents))
	d.isf = make([]float64, len(df))
	for i, c := range df {
		d.isf[i] = math.Log(1 + n/float64(c))
	}
	for i := range d.sents {
		d.sents[i].vec = d.vectorOf(terms[i])
	}
	return d
}

// cleanArticle is text without the page clutter the extractive engine
// drops (bylines, datelines, share and subscribe lines, photo credits):
// what the LLM engine sends, so it spends no tokens on clutter and cannot
// summarize it. Paragraphs stay separated by blank lines.
func cleanArticle(text string) string {
	blocks, split := cleanBlocks(splitBlocks(text))
	var b strings.Builder
	for i, bl := range blocks {
		if i > 0 {
			b.WriteString("\n\n")
		}
		if bl.list {
			b.WriteString("- ")
		}
		b.WriteString(strings.Join(split[i], " "))
	}
	return b.String()
}

// cleanBlocks splits prose blocks into sentences and removes page clutter
// (clutter.go) from every block: a block that was nothing but clutter goes,
// so it neither counts as a paragraph nor opens a section.
func cleanBlocks(bs []block) ([]block, [][]string) {
	out := bs[:0]
	var split [][]string
	for _, b := range bs {
		var ss []string
		if b.heading || b.list {
			if t := cleanSentence(b.text, true); t != "" {
				b.text = t
				ss = []string{t}
			}
		} else {
			for i, s := range splitSentences(cleanLead(b.text)) {
				if t := cleanSentence(s, i == 0); t != "" {
					ss = append(ss, t)
				}
			}
		}
		if len(ss) == 0 {
			continue
		}
		out = append(out, b)
		split = append(split, ss)
	}
	return out, split
}

// vectorOf weights raw term ids; unknown terms (id < 0) are skipped.
func (d *document) vectorOf(ids []int32) vector {
	tf := map[int32]float64{}
	for _, id := range ids {
		if id >= 0 {
			tf[id]++
		}
	}
	v := vector{ids: make([]int32, 0, len(tf)), w: make([]float64, 0, len(tf))}
	for id := range tf {
		v.ids = append(v.ids, id)
	}
	sort.Slice(v.ids, func(i, j int) bool { return v.ids[i] < v.ids[j] })
	for _, id := range v.ids {
		w := (1 + math.Log(tf[id])) * d.isf[id]
		v.w = append(v.w, w)
		v.norm += w * w
	}
	v.norm = math.Sqrt(v.norm)
	return v
}

// query turns outside text (the title) into a vector in this document's
// vocabulary.
func (d *document) query(s string) vector {
	var ids []int32
	for _, t := range contentTerms(s) {
		if id, ok := d.vocab[t]; ok {
			ids = append(ids, id)
		}
	}
	return d.vectorOf(ids)
}

// centrality is each sentence's cosine with the document centroid (the sum
// of the unit sentence vectors): O(total terms), so it works on any length.
func (d *document) centrality() []float64 {
	c := make([]float64, len(d.vocab))
	for _, s := range d.sents {
		if s.vec.norm == 0 || s.heading {
			continue
		}
		for k, id := range s.vec.ids {
			c[id] += s.vec.w[k] / s.vec.norm
		}
	}
	var cn float64
	for _, x := range c {
		cn += x * x
	}
	cn = math.Sqrt(cn)
	out := make([]float64, len(d.sents))
	if cn == 0 {
		return out
	}
	for i, s := range d.sents {
		if s.vec.norm == 0 {
			continue
		}
		var dot float64
		for k, id := range s.vec.ids {
			dot += s.vec.w[k] * c[id]
		}
		out[i] = dot / (s.vec.norm * cn)
	}
	return out
}

// textRank runs weighted PageRank over the sentence similarity graph of the
// given candidates (indexes into d.sents). The caller caps len(cand), which
// bounds the quadratic graph.
func textRank(cand []int, sim func(i, j int) float64) []float64 {
	n := len(cand)
	score := make([]float64, n)
	if n == 0 {
		return score
	}
	// Sparse in-links: only edges above a small threshold, as weight/outdegree.
	type edge struct {
		from int
		w    float64
	}
	in := make([][]edge, n)
	out := make([]float64, n)
	for a := 0; a < n; a++ {
		for b := a + 1; b < n; b++ {
			s := sim(cand[a], cand[b])
			if s <= 0.03 {
				continue
			}
			in[b] = append(in[b], edge{a, s})
			in[a] = append(in[a], edge{b, s})
			out[a] += s
			out[b] += s
		}
	}
	for b := range in {
		for k := range in[b] {
			in[b][k].w /= out[in[b][k].from]
		}
	}
	const damp = 0.85
	for i := range score {
		score[i] = 1
	}
	next := make([]float64, n)
	for iter := 0; iter < 50; iter++ {
		var delta float64
		for b := 0; b < n; b++ {
			var s float64
			for _, e := range in[b] {
				s += e.w * score[e.from]
			}
			next[b] = (1 - damp) + damp*s
			delta += math.Abs(next[b] - score[b])
		}
		score, next = next, score
		if delta < 1e-4*float64(n) {
			break
		}
	}
	return score
}

// normalize scales xs into [0, 1] by its maximum.
func normalize(xs []float64) []float64 {
	var m float64
	for _, x := range xs {
		m = math.Max(m, x)
	}
	out := make([]float64, len(xs))
	if m == 0 {
		return out
	}
	for i, x := range xs {
		out[i] = x / m
	}
	return out
}

func countWords(s string) int { return len(strings.Fields(s)) }

// namedActors counts capitalized words that are not the sentence's first
// word nor a capitalized stopword: a cheap proxy for names of companies,
// people and products, which good TL;DRs carry.
func namedActors(s string) int {
	n := 0
	for i, f := range strings.Fields(s) {
		f = strings.TrimLeftFunc(f, isOpener)
		r, _ := utf8.DecodeRuneInString(f)
		if i == 0 || !unicode.IsUpper(r) {
			continue
		}
		if isStopword(strings.ToLower(strings.TrimRightFunc(f, func(r rune) bool { return !unicode.IsLetter(r) }))) {
			continue
		}
		n++
	}
	return n
}
