package summarize

import (
	"context"
	"strings"
	"testing"
)

func TestDefinitional(t *testing.T) {
	for in, want := range map[string]bool{
		"Speculative decoding is a technique where a draft model proposes tokens.": true,
		"Gray failure refers to a partial outage.":                                 true,
		"The replicas cost 11 GB of extra memory per node.":                        false,
		"Throughput per node, measured at peak, is a third higher.":                false,
		"The team that built the new scheduler in the spring is a small one.":      false,
	} {
		if got := definitional(in); got != want {
			t.Errorf("definitional(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestEchoes(t *testing.T) {
	d := parse("Acme ships Widget 2.0 today.\n\nAcme ships Widget 2.0 with a new router and faster sync for teams.")
	title := "Acme ships Widget 2.0"
	tt := contentTerms(title)
	in := map[int32]bool{}
	for _, w := range tt {
		in[d.vocab[w]] = true
	}
	if !echoes(d.sents[0].terms, in, len(tt)) {
		t.Errorf("%q should echo the title", d.sents[0].text)
	}
	if echoes(d.sents[1].terms, in, len(tt)) {
		t.Errorf("%q adds to the title and is not an echo", d.sents[1].text)
	}
}

// keyPointArticle has a headline echo, a question, a definition, a
// near-duplicate and facts spread over three sections.
const keyPointArticle = `Acme cuts sync latency

Acme cuts sync latency.

Acme released version 4 of its sync engine on Monday, cutting median sync latency from 900 ms to 120 ms for its 2 million users.

Why did sync take so long before? The old engine polled the server every few seconds and shipped whole documents on every change to every device.

Delta sync

A delta is a compact record of the bytes that changed between two versions of a document.

The new engine sends deltas instead of whole documents, which cut sync traffic by 85% for large documents.
The new engine sends deltas instead of whole documents, which cut sync traffic by 85% in large documents.
Deltas are merged on the server in the order they arrive, and conflicts fall back to the last writer.

Rollout

The rollout to all 2 million users took three weeks and was paused once after a merge bug corrupted 40 documents.
Acme restored the 40 corrupted documents from backups within six hours and added a merge test suite of 1,200 cases.
The company plans to open-source the delta format next year so that third-party clients can sync directly.`

func TestKeyPointsSelection(t *testing.T) {
	title := "Acme cuts sync latency"
	s, err := NewExtractive(nil).Summarize(context.Background(), title, keyPointArticle)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.KeyPoints) < kpMinPoints {
		t.Fatalf("got %d key points, want at least %d: %q", len(s.KeyPoints), kpMinPoints, s.KeyPoints)
	}
	text := strings.Join(s.KeyPoints, "\n")
	for _, bad := range []string{"Why did sync", "A delta is a compact record"} {
		if strings.Contains(text, bad) {
			t.Errorf("key points contain %q:\n%s", bad, text)
		}
	}
	dup := 0
	if strings.HasPrefix(s.TLDR, "The new engine sends deltas") {
		dup++
	}
	last := -1
	for _, p := range s.KeyPoints {
		if strings.HasPrefix(p, "The new engine sends deltas") {
			dup++
		}
		if strings.EqualFold(p, title) {
			t.Errorf("key point repeats the title: %q", p)
		}
		if p == strings.TrimSuffix(s.TLDR, ".") {
			t.Errorf("key point repeats the TL;DR: %q", p)
		}
		i := strings.Index(keyPointArticle, p)
		if i < 0 {
			continue // compressed: not a substring any more
		}
		if i < last {
			t.Errorf("key points out of article order: %q", s.KeyPoints)
		}
		last = i
	}
	if dup > 1 {
		t.Errorf("near-duplicate sentences both picked:\n%s", text)
	}
	// Together the TL;DR and the points cover the article's parts.
	all := strings.ToLower(s.TLDR + "\n" + text)
	sections := 0
	for _, marker := range []string{"version 4", "deltas", "restored", "open-source"} {
		if strings.Contains(all, marker) {
			sections++
		}
	}
	if sections < 4 {
		t.Errorf("key points cluster instead of covering the article:\n%s", text)
	}
}
