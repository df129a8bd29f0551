// Package summarize makes the TL;DR, key points and glossary ("Decoder") of
// an article. The default engine is extractive and offline: it picks and
// trims sentences of the article itself. An optional engine asks any
// OpenAI-compatible chat-completions endpoint and falls back to the
// extractive one on any failure. Results can be cached by content hash.
package summarize

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"math"
	"sort"
	"strings"

	"github.com/tidings/tidings"
)

// Summarizer is what both engines (and the Cached wrapper) implement; it is
// the same method set as digest.Summarizer.
type Summarizer interface {
	Summarize(ctx context.Context, title, text string) (tidings.Summary, error)
}

// EngineExtractive is the Engine value of extractive summaries.
const EngineExtractive = "extractive"

// WordsPerMinute is the reading speed behind Summary.ReadingMinutes.
const WordsPerMinute = 230

// Limits of the extractive engine.
const (
	maxTLDR      = 200 // characters
	maxKeyPoint  = 240 // characters, soft: longer ones are trimmed at a clause
	maxGlossary  = 6
	maxGraphSize = 300 // sentences in the TextRank graph (caps the O(n²) part)
)

// Extractive is the offline engine. It is safe for concurrent use.
type Extractive struct {
	glossary map[string]string
	id       string
}

// NewExtractive returns the extractive engine. glossary holds user terms
// (term -> definition) that are added to an article's glossary when the
// article uses them; it may be nil.
func NewExtractive(glossary map[string]string) *Extractive {
	g := make(map[string]string, len(glossary))
	keys := make([]string, 0, len(glossary))
	for k, v := range glossary {
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if k != "" && v != "" {
			g[k] = v
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	h := sha256.New()
	for _, k := range keys {
		h.Write([]byte(k + "\x00" + g[k] + "\x00"))
	}
	// The id changes with the method version and the glossary, so a cache
	// keyed by it never serves a summary made under other rules.
	return &Extractive{glossary: g, id: "extractive/3/" + hex.EncodeToString(h.Sum(nil)[:6])}
}

// EngineID identifies the engine and its configuration for cache keys.
func (e *Extractive) EngineID() string { return e.id }

// Summarize summarizes plain text (paragraphs separated by blank lines). An
// empty text gives an empty summary, not an error.
func (e *Extractive) Summarize(ctx context.Context, title, text string) (tidings.Summary, error) {
	if err := ctx.Err(); err != nil {
		return tidings.Summary{}, err
	}
	d := parse(text)
	s := tidings.Summary{Engine: EngineExtractive, ReadingMinutes: readingMinutes(d.words)}
	if len(d.sents) == 0 {
		return s, nil
	}
	sc := d.score(title)
	s.TLDR = d.tldr(sc, title)
	s.KeyPoints = d.keyPoints(sc, title, s.TLDR)
	s.Glossary = glossary(d, e.glossary)
	return s, nil
}

func readingMinutes(words int) int {
	if words == 0 {
		return 0
	}
	return int(math.Ceil(float64(words) / WordsPerMinute))
}

// scores holds the per-sentence signals both selections combine.
type scores struct {
	central []float64 // cosine with the centroid, normalized
	rank    []float64 // TextRank, normalized
	title   []float64 // cosine with the title
	cand    []int     // sentences that may be picked at all
}

func (d *document) score(title string) scores {
	var sc scores
	sc.central = normalize(d.centrality())
	for i, s := range d.sents {
		if !s.heading && s.vec.norm > 0 && s.words >= 4 {
			sc.cand = append(sc.cand, i)
		}
	}
	// Cap the graph: the most central sentences take part, the rest keep a
	// TextRank of zero and compete on centrality alone.
	graph := sc.cand
	if len(graph) > maxGraphSize {
		graph = append([]int(nil), graph...)
		sort.SliceStable(graph, func(a, b int) bool { return sc.central[graph[a]] > sc.central[graph[b]] })
		graph = graph[:maxGraphSize]
		sort.Ints(graph)
	}
	tr := textRank(graph, func(i, j int) float64 { return d.sents[i].vec.cos(d.sents[j].vec) })
	rank := make([]float64, len(d.sents))
	for k, i := range graph {
		rank[i] = tr[k]
	}
	sc.rank = normalize(rank)
	q := d.query(title)
	sc.title = make([]float64, len(d.sents))
	for i, s := range d.sents {
		sc.title[i] = s.vec.cos(q)
	}
	return sc
}

// tldr picks the most representative sentence that can be made to fit:
// central to the document, close to the title, early, and carrying facts
// (numbers, named actors). Sentences that open with a pronoun or address the
// reader lose, because out of context they say little.
func (d *document) tldr(sc scores, title string) string {
	type cand struct {
		i     int
		score float64
	}
	var cs []cand
	for _, i := range sc.cand {
		s := d.sents[i]
		if s.list && s.words < 8 {
			continue
		}
		// Title overlap saturates: beyond half the title, more of it only
		// restates the headline.
		v := 0.35*sc.central[i] + 0.25*sc.rank[i] + 0.3*math.Min(sc.title[i], 0.5)
		if s.pos >= 0 {
			v += 0.15 / (1 + float64(s.pos)/3)
		}
		if s.digits {
			v += 0.05
		}
		v += 0.03 * math.Min(float64(s.actors), 3)
		v -= 0.01 * float64(s.pos/20) // long tails rarely hold the point
		v -= tldrPenalty(s)
		if d.summaryBlock(i) {
			v += 0.15 // the author's own summary ("Key takeaways", "TL;DR")
		}
		if echoesTitle(stripKicker(s.text), title) {
			v -= 0.3 // restates the title: adds nothing under it
		}
		cs = append(cs, cand{i, v})
	}
	sort.SliceStable(cs, func(a, b int) bool { return cs[a].score > cs[b].score })
	for _, c := range cs {
		if t, ok := fitSentence(d.sents[c.i].text, maxTLDR); ok {
			return t
		}
	}
	// Nothing fits cleanly: cut the best one at a word boundary (or, for
	// texts of fragments only, the first of them that is not a heading).
	// With no such sentence, say nothing: the caller has a fallback, and a
	// heading such as "Markets" is no summary.
	if len(cs) > 0 {
		return cutWords(d.sents[cs[0].i].text, maxTLDR)
	}
	for _, s := range d.sents {
		if !s.heading && s.words >= 3 {
			return cutWords(s.text, maxTLDR)
		}
	}
	return ""
}

func tldrPenalty(s sentence) float64 {
	p := 0.0
	t := strings.TrimSpace(s.text)
	if strings.HasSuffix(t, "?") {
		p += 0.3
	}
	if s.words < 8 {
		p += 0.3
	} else if s.words > 60 {
		p += 0.1
	}
	if startsWithPronoun(t) {
		p += 0.12
	}
	if s.list {
		p += 0.1
	}
	if s.firstPerson {
		p += 0.08
	}
	if s.secondPerson {
		p += 0.08
	}
	return p
}

// startsWithPronoun: the sentence leans on an earlier one ("It was …",
// "This means …").
func startsWithPronoun(s string) bool {
	switch strings.ToLower(firstWord(s)) {
	case "it", "this", "that", "these", "those", "they", "he", "she", "its",
		"their", "there", "here", "such", "his", "her", "them":
		return true
	}
	return false
}

// secondPerson reports sentences that address the reader.
func secondPerson(s string) bool {
	for _, t := range tokens(s) {
		switch t {
		case "you", "your", "you're", "you'd", "you've", "you'll", "yours":
			return true
		}
	}
	return false
}

// firstPerson reports sentences told by the author ("I think", "our
// team"): fine in the article, odd in a summary written about it.
func firstPerson(s string) bool {
	for _, t := range tokens(s) {
		switch t {
		case "i", "i'm", "i've", "i'd", "my", "we", "we're", "we've", "our", "me":
			return true
		}
	}
	return false
}

func firstWord(s string) string {
	w := nextWord(s)
	return w
}

func countLists(d *document) int {
	n := 0
	for _, b := range d.blocks {
		if b.list {
			n++
		}
	}
	return min(n, 2) // a list counts as a paragraph or two, not one per item
}

// echoesTitle: most of the sentence's terms are the title's (a kicker or a
// repeated headline at the top of the page).
func echoesTitle(sentence, title string) bool {
	tt := map[string]bool{}
	for _, t := range contentTerms(title) {
		tt[t] = true
	}
	ts := contentTerms(sentence)
	if len(ts) == 0 || len(tt) == 0 {
		return false
	}
	in := 0
	for _, t := range ts {
		if tt[t] {
			in++
		}
	}
	// A lede that contains the headline and goes on to say more is not an
	// echo; a line that adds at most two words to it is.
	return in*3 >= len(tt)*2 && len(ts)-in <= 2
}

// summaryBlock reports whether sentence i sits in the first lines under a
// heading such as "Key takeaways", "TL;DR" or "Summary".
func (d *document) summaryBlock(i int) bool {
	s := d.sents[i]
	for b := s.block - 1; b >= 0 && b >= s.block-3; b-- {
		if !d.blocks[b].heading {
			continue
		}
		h := strings.ToLower(d.blocks[b].text)
		for _, k := range []string{"takeaway", "tl;dr", "tldr", "summary", "in brief", "bottom line", "highlights", "key points", "at a glance", "in short"} {
			if strings.Contains(h, k) {
				return true
			}
		}
		return false
	}
	return false
}
