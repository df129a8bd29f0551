package summarize

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// longArticle builds an article of at least n words from the fixtures,
// numbering the repeats so that sentences are not exact duplicates.
func longArticle(tb testing.TB, n int) string {
	var paras []string
	for _, f := range []string{"moe-serving.txt", "db-failover.txt", "blurb.txt"} {
		paras = append(paras, strings.Split(readFixture(tb, f), "\n\n")...)
	}
	var b strings.Builder
	words := 0
	for round := 0; words < n; round++ {
		for i, p := range paras {
			if words >= n {
				break
			}
			if i%4 == 0 {
				fmt.Fprintf(&b, "In round %d the team measured %d more cases. ", round, round*7+i)
			}
			b.WriteString(p)
			b.WriteString("\n\n")
			words += len(strings.Fields(p))
		}
	}
	return b.String()
}

func BenchmarkSummarize5000Words(b *testing.B) {
	text := longArticle(b, 5000)
	e := NewExtractive(map[string]string{"NVLink": "GPU link", "gray failure": "partial failure"})
	warmUp(b, e, text)
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Summarize(context.Background(), "Serving MoE models", text); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSummarize20000Words(b *testing.B) {
	text := longArticle(b, 20000)
	e := NewExtractive(nil)
	warmUp(b, e, text)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Summarize(context.Background(), "Serving MoE models", text); err != nil {
			b.Fatal(err)
		}
	}
}

// warmUp summarizes once before the timed loop, so that what is built on
// first use (the clutter patterns) is not counted against the steady state.
func warmUp(b *testing.B, e *Extractive, text string) {
	b.Helper()
	if _, err := e.Summarize(context.Background(), "Serving MoE models", text); err != nil {
		b.Fatal(err)
	}
}

func TestLongArticleKeepsLimits(t *testing.T) {
	s, err := NewExtractive(nil).Summarize(context.Background(), "Serving MoE models", longArticle(t, 20000))
	if err != nil {
		t.Fatal(err)
	}
	checkSummary(t, s)
	if len(s.KeyPoints) != kpMaxPoints {
		t.Errorf("got %d key points, want %d", len(s.KeyPoints), kpMaxPoints)
	}
}
