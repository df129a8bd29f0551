package summarize

import (
	"container/heap"
	"math"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Key points are chosen as a set, not one by one: the bullets together
// should cover the concepts the article keeps returning to, each stated
// once, in as few words as possible (concept coverage in the manner of
// Gillick & Favre 2009 and Lin & Bilmes 2011). A concept is a content term
// or a pair of adjacent content terms ("managed connector", "tokens
// second"); its weight grows with the number of sentences that use it, so
// what the article repeats counts and what it mentions once barely does.
// Every sentence is compressed first (compress.go), so a sentence competes
// with the words it will actually take in the digest.

// Concept weights and sentence multipliers. They express priors, not fits:
// a repeated term matters, a repeated phrase matters more, the article's
// first part and sentences with numbers carry its facts (the lead bias of
// news writing), and the author's or reader's voice reads badly as a bullet.
const (
	kpMinWords     = 8 // shorter sentences are rarely a self-contained fact
	kpMinPoints    = 3
	kpMaxPoints    = 12  // the reference digest runs 5–12 bullets
	kpWordsPerStep = 120 // one more point per this many words of article
	onceWeight     = 0.2 // a term used in one sentence only
	titleBoost     = 1.5 // a term of the title
	bigramBoost    = 1.5 // a repeated phrase over a repeated word
	leadBoost      = 0.3 // at the first sentence, falling to 0 at the last
	digitBoost     = 0.3 // numbers are facts
	voicePenalty   = 0.15
	centralShare   = 0.5 // how much TextRank and centrality scale the gain
	costExponent   = 0.5 // gain per word^costExponent: shorter is better, not at any price
	// A sentence that defines a term belongs in the Decoder, not in the
	// key points; it still may be picked when nothing else says as much.
	definitionShare = 0.5
)

type kpCand struct {
	i     int     // sentence index
	text  string  // compressed text
	terms []int32 // its content term ids, in order
	words int
	mult  float64 // quality multiplier
}

// keyPoints returns 3–12 compressed sentences (more for longer articles)
// in article order. Short articles get none.
func (d *document) keyPoints(sc scores, title, tldr string) []string {
	if d.proseBlks+countLists(d) < 4 || d.words < 180 {
		return nil
	}
	k := max(kpMinPoints, min(kpMaxPoints, 3+d.words/kpWordsPerStep))
	cs := d.keyPointCands(sc, title)
	wUni, wBi := d.conceptWeights(title)

	// Concepts already said by the TL;DR are covered: a bullet may repeat
	// them but gains nothing from it.
	covered := make([]bool, len(d.vocab))
	coveredBi := map[[2]int32]bool{}
	prev := int32(-1)
	for _, t := range contentTerms(tldr) {
		id, ok := d.vocab[t]
		if !ok {
			id = -1
		} else {
			covered[id] = true
			if prev >= 0 {
				coveredBi[[2]int32{prev, id}] = true
			}
		}
		prev = id
	}
	stamp := make([]int, len(d.vocab)) // dedup of terms within one sentence
	gen := 0
	gain := func(c *kpCand) float64 {
		gen++
		g := 0.0
		for j, id := range c.terms {
			if !covered[id] && stamp[id] != gen {
				stamp[id] = gen
				g += wUni[id]
			}
			if j > 0 {
				b := [2]int32{c.terms[j-1], id}
				if !coveredBi[b] {
					g += wBi[b]
				}
			}
		}
		return g
	}
	// Lazy greedy (Minoux 1978): coverage gains only shrink as concepts get
	// covered, so a candidate's last computed value bounds its current one.
	// The candidate on top of the heap is recounted; if it stays on top with
	// a fresh value, it is the best pick. Same picks as plain greedy, a
	// fraction of the recounts.
	value := func(ci int) float64 {
		c := &cs[ci]
		return gain(c) * c.mult / math.Pow(float64(c.words), costExponent)
	}
	h := make(lazyHeap, len(cs))
	for ci := range cs {
		h[ci] = lazyItem{ci: ci, v: value(ci)}
	}
	heap.Init(&h)
	var picked []int
	for round := 0; len(picked) < k && h.Len() > 0; {
		top := &h[0]
		if top.round != round {
			top.v, top.round = value(top.ci), round
			heap.Fix(&h, 0)
			continue
		}
		if top.v <= 0 {
			break // nothing left adds a concept
		}
		ci := heap.Pop(&h).(lazyItem).ci
		picked = append(picked, ci)
		c := cs[ci]
		for j, id := range c.terms {
			covered[id] = true
			if j > 0 {
				coveredBi[[2]int32{c.terms[j-1], id}] = true
			}
		}
		round++
	}
	sort.Slice(picked, func(a, b int) bool { return cs[picked[a]].i < cs[picked[b]].i })
	out := make([]string, 0, len(picked))
	for _, ci := range picked {
		if p := tersePoint(cs[ci].text); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// lazyItem is a candidate with its last computed value and the round it
// was computed in.
type lazyItem struct {
	ci, round int
	v         float64
}

// lazyHeap is a max-heap by value; ties go to the earlier sentence.
type lazyHeap []lazyItem

func (h lazyHeap) Len() int { return len(h) }
func (h lazyHeap) Less(a, b int) bool {
	if h[a].v != h[b].v {
		return h[a].v > h[b].v
	}
	return h[a].ci < h[b].ci
}
func (h lazyHeap) Swap(a, b int) { h[a], h[b] = h[b], h[a] }
func (h *lazyHeap) Push(x any)   { *h = append(*h, x.(lazyItem)) }
func (h *lazyHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// keyPointCands compresses the sentences that may become bullets and gives
// each its quality multiplier.
func (d *document) keyPointCands(sc scores, title string) []kpCand {
	titleTerms := contentTerms(title)
	inTitle := map[int32]bool{}
	for _, t := range titleTerms {
		if id, ok := d.vocab[t]; ok {
			inTitle[id] = true
		}
	}
	var cs []kpCand
	for _, i := range sc.cand {
		s := d.sents[i]
		t := strings.TrimSpace(s.text)
		if s.words < kpMinWords || !pointLike(t) {
			continue
		}
		ct, terms, words := t, s.terms, s.words
		// A compression must leave a point that stands alone; if it leaves
		// a stub ("AI forecasters know some things"), the aside it dropped
		// was the point, and the sentence stays whole.
		if c := compressPoint(t); c != t && countWords(c) >= kpMinWords {
			ct, terms, words = c, nil, countWords(c)
			for _, w := range contentTerms(ct) {
				if id, ok := d.vocab[w]; ok {
					terms = append(terms, id)
				}
			}
		}
		if words == 0 || len(terms) == 0 || echoes(terms, inTitle, len(titleTerms)) {
			continue
		}
		m := 1.0
		if s.firstPerson {
			m -= voicePenalty
		}
		if s.secondPerson {
			m -= voicePenalty
		}
		if startsWithPronoun(ct) {
			m -= voicePenalty
		}
		if s.pos >= 0 && d.prose > 0 {
			m *= 1 + leadBoost*(1-float64(s.pos)/float64(d.prose))
		}
		if s.digits {
			m *= 1 + digitBoost
		}
		if definitional(ct) {
			m *= definitionShare
		}
		m *= 1 - centralShare + centralShare*(0.5*sc.rank[i]+0.5*sc.central[i])
		cs = append(cs, kpCand{i: i, text: ct, terms: terms, words: words, mult: m})
	}
	return cs
}

// echoes is echoesTitle on term ids: the sentence is mostly the title's
// terms and adds at most two of its own (a headline repeated in the text).
func echoes(terms []int32, inTitle map[int32]bool, titleN int) bool {
	if titleN == 0 {
		return false
	}
	in := 0
	for _, id := range terms {
		if inTitle[id] {
			in++
		}
	}
	return in*3 >= titleN*2 && len(terms)-in <= 2
}

// definitional: "X is a technique where …", "X refers to …" — a short
// subject (at most four words) then a defining verb.
func definitional(t string) bool {
	lt := strings.ToLower(t)
	for _, v := range []string{" is a ", " is an ", " are a ", " refers to ", " is short for ", " stands for ", " is defined as ", " means "} {
		if i := strings.Index(lt, v); i > 0 && countWords(t[:i]) <= 4 && !strings.ContainsAny(t[:i], ",;:") {
			return true
		}
	}
	return false
}

// pointLike rejects what cannot stand as a bullet: questions, list
// introductions ("…:"), and fragments that continue an earlier sentence
// (they open in lower case or with an ellipsis).
func pointLike(t string) bool {
	if strings.HasSuffix(t, "?") || strings.HasSuffix(t, ":") {
		return false
	}
	r, _ := utf8.DecodeRuneInString(t)
	return !unicode.IsLower(r) && r != '…' && !strings.HasPrefix(t, "...")
}

// conceptWeights weighs each content term and each adjacent pair of
// content terms by the number of sentences that use it.
func (d *document) conceptWeights(title string) ([]float64, map[[2]int32]float64) {
	df := make([]int, len(d.vocab))
	bdf := map[[2]int32]int{}
	stamp := make([]int, len(d.vocab))
	seenBi := map[[2]int32]bool{}
	for si, s := range d.sents {
		if s.heading {
			continue
		}
		clear(seenBi)
		for j, id := range s.terms {
			if stamp[id] != si+1 {
				stamp[id] = si + 1
				df[id]++
			}
			if j > 0 {
				b := [2]int32{s.terms[j-1], id}
				if !seenBi[b] {
					seenBi[b] = true
					bdf[b]++
				}
			}
		}
	}
	inTitle := map[int32]bool{}
	for _, id := range d.query(title).ids {
		inTitle[id] = true
	}
	wUni := make([]float64, len(d.vocab))
	for id, n := range df {
		switch {
		case n < 2:
			wUni[id] = onceWeight
		default:
			wUni[id] = math.Log(1 + float64(n))
		}
		if inTitle[int32(id)] {
			wUni[id] *= titleBoost
		}
	}
	wBi := make(map[[2]int32]float64, len(bdf))
	for b, n := range bdf {
		if n >= 2 {
			wBi[b] = bigramBoost * math.Log(1+float64(n))
		}
	}
	return wUni, wBi
}
