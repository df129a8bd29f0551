package summarize

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestFitSentence(t *testing.T) {
	long := "The company said its new accelerator, which it has been developing in secret for three years with a team of 400 engineers, " +
		"delivers 4x the performance of its predecessor, while using half the power of the previous generation in typical data center workloads."
	for _, tc := range []struct {
		name, in string
		max      int
		want     string
		ok       bool
	}{
		{"fits", "Acme shipped 2.0.", 200, "Acme shipped 2.0.", true},
		{"discourse marker", "However, Acme shipped 2.0 today.", 200, "Acme shipped 2.0 today.", true},
		{"adds a period", "Acme shipped 2.0", 200, "Acme shipped 2.0.", true},
		{"kicker", "Update: Acme shipped version 2.0 of its router today.", 200, "Acme shipped version 2.0 of its router today.", true},
		{"parenthetical", "Acme (the router maker based in Oslo since 1999) shipped version 2.0 of its router.", 60,
			"Acme shipped version 2.0 of its router.", true},
		{"lead clause", "In a blog post on Tuesday, Acme said it shipped version 2.0 of its router.", 60,
			"Acme said it shipped version 2.0 of its router.", true},
		{"trailing clause", long, 200,
			"The company said its new accelerator, which it has been developing in secret for three years with a team of 400 engineers, delivers 4x the performance of its predecessor.", true},
		{"cannot fit", strings.Repeat("word ", 60), 50, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := fitSentence(tc.in, tc.max)
			if got != tc.want || ok != tc.ok {
				t.Errorf("got %q, %v; want %q, %v", got, ok, tc.want, tc.ok)
			}
			if ok && utf8.RuneCountInString(got) > tc.max {
				t.Errorf("%d characters, over %d", utf8.RuneCountInString(got), tc.max)
			}
		})
	}
}

func TestCutClauseKeepsQuotesWhole(t *testing.T) {
	s := `The main issue is that bringing this topic up leads to dismissals like "no no, it has full test coverage" or "bug reports are going down", which miss the point entirely.`
	got, ok := cutClause(s, 150)
	if !ok || !balanced(got) {
		t.Errorf("got %q, %v; want a cut outside the quotes", got, ok)
	}
}

func TestCutWords(t *testing.T) {
	got := cutWords(strings.Repeat("abcdefghij ", 30), 50)
	if utf8.RuneCountInString(got) > 50 || !strings.HasSuffix(got, "abcdefghij…") {
		t.Errorf("got %q", got)
	}
}

func TestTersePoint(t *testing.T) {
	for in, want := range map[string]string{
		"However, latency fell by 35%.":              "Latency fell by 35%",
		"And the cache grew to 11 GB.":               "The cache grew to 11 GB",
		"The short version: TTFT dropped to 610 ms.": "TTFT dropped to 610 ms",
		"Wait...": "Wait...",
	} {
		if got := tersePoint(in); got != want {
			t.Errorf("tersePoint(%q) = %q, want %q", in, got, want)
		}
	}
}
