package summarize

import (
	"math"
	"reflect"
	"testing"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestRouge(t *testing.T) {
	// Classic example: 6 of the candidate's 7 unigrams and 3 of its bigrams
	// (the cat, cat was, under the... ) are in the reference.
	cand := "the cat was found under the bed"
	ref := "the cat was under the bed"
	r1 := RougeN(cand, ref, 1)
	if !near(r1.P, 6.0/7) || !near(r1.R, 1) || !near(r1.F, 2*(6.0/7)/(6.0/7+1)) {
		t.Errorf("ROUGE-1 = %+v", r1)
	}
	r2 := RougeN(cand, ref, 2)
	if !near(r2.P, 4.0/6) || !near(r2.R, 4.0/5) {
		t.Errorf("ROUGE-2 = %+v, want P 4/6, R 4/5", r2)
	}
	rl := RougeL(cand, ref)
	if !near(rl.P, 6.0/7) || !near(rl.R, 1) {
		t.Errorf("ROUGE-L = %+v, want P 6/7, R 1", rl)
	}
	// Clipping: a repeated word counts only as often as the reference has it.
	if r := RougeN("the the the", "the cat", 1); !near(r.P, 1.0/3) || !near(r.R, 1.0/2) {
		t.Errorf("clipped ROUGE-1 = %+v", r)
	}
	// Case and punctuation do not matter; empty input scores zero.
	if r := RougeN("The Cat!", "the cat", 1); !near(r.F, 1) {
		t.Errorf("case-insensitive ROUGE-1 = %+v", r)
	}
	if r := RougeL("", "x"); r != (Score{}) {
		t.Errorf("empty ROUGE-L = %+v", r)
	}
	// LCS is a subsequence, not a substring.
	if r := RougeL("a x b y c", "a b c"); !near(r.R, 1) || !near(r.P, 3.0/5) {
		t.Errorf("ROUGE-L subsequence = %+v", r)
	}
}

func TestBaselines(t *testing.T) {
	text := "Heading\n\nFirst sentence here. Second sentence here.\n\nThird one is here. Fourth one."
	if got, want := Lead(text, 3), []string{"First sentence here.", "Second sentence here.", "Third one is here."}; !reflect.DeepEqual(got, want) {
		t.Errorf("Lead = %q, want %q", got, want)
	}
	tr := TextRankBaseline("Cats chase mice daily. Dogs chase cats daily. Mice fear cats and dogs. Birds sing.", 2)
	if len(tr) != 2 {
		t.Fatalf("TextRankBaseline = %q, want 2 sentences", tr)
	}
	if got := AcronymBaseline("The GPU and the TPU beat the CPU; the GPU won. OK?", 2); !reflect.DeepEqual(got, []string{"GPU", "TPU"}) {
		t.Errorf("AcronymBaseline = %q", got)
	}
}

func TestMatchTerms(t *testing.T) {
	got := []string{"MoE", "CRDT", "Sigmoid curves", "NVLink"}
	want := []string{"Mixture of Experts (MoE)", "CRDT (Conflict-free Replicated Data Type)", "sigmoid curve", "Lindy's Law"}
	if n := MatchTerms(got, want); n != 3 {
		t.Errorf("MatchTerms = %d, want 3", n)
	}
	if n := MatchTerms([]string{"MoE", "moe"}, []string{"MoE"}); n != 1 {
		t.Errorf("one reference term matched %d times", n)
	}
}
