package summarize

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tidings/tidings"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

func readFixture(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestExtractiveGolden(t *testing.T) {
	g, err := LoadGlossary(filepath.Join("testdata", "glossary.txt"))
	if err != nil {
		t.Fatal(err)
	}
	e := NewExtractive(g)
	for _, tc := range []struct{ name, title string }{
		{"moe-serving", "Serving a trillion-parameter MoE on eight GPUs"},
		{"db-failover", "Postmortem: a 47-minute database failover"},
		{"blurb", "Cloudflare expands Workers AI to 40 more cities"},
		{"wire-clutter", "Nimbus revenue jumps 38% on AI chip demand"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := e.Summarize(context.Background(), tc.title, readFixture(t, tc.name+".txt"))
			if err != nil {
				t.Fatal(err)
			}
			got, _ := json.MarshalIndent(s, "", "  ")
			got = append(got, '\n')
			path := filepath.Join("testdata", tc.name+".golden.json")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if string(got) != string(want) {
				t.Errorf("summary differs from %s (rerun with -update and review the diff):\n%s", path, got)
			}
		})
	}
}

func TestExtractiveShape(t *testing.T) {
	e := NewExtractive(map[string]string{"gray failure": "a partial failure that health checks miss"})
	for _, tc := range []struct {
		name, file   string
		minKP, maxKP int
		wantTerms    []string
		minutes      int
	}{
		{"long article", "moe-serving.txt", 3, 10, []string{"MoE", "TTFT", "EP", "KV cache"}, 3},
		{"postmortem", "db-failover.txt", 3, 10, []string{"AZ", "WAL", "RPO", "gray failure"}, 3},
		{"blurb", "blurb.txt", 0, 0, nil, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := e.Summarize(context.Background(), "", readFixture(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			checkSummary(t, s)
			if n := len(s.KeyPoints); n < tc.minKP || n > tc.maxKP {
				t.Errorf("got %d key points, want %d..%d: %q", n, tc.minKP, tc.maxKP, s.KeyPoints)
			}
			have := map[string]bool{}
			for _, g := range s.Glossary {
				have[g.Term] = true
			}
			for _, w := range tc.wantTerms {
				if !have[w] {
					t.Errorf("glossary lacks %q: %+v", w, s.Glossary)
				}
			}
			if s.ReadingMinutes != tc.minutes {
				t.Errorf("got %d reading minutes, want %d", s.ReadingMinutes, tc.minutes)
			}
			if s.Engine != EngineExtractive {
				t.Errorf("got engine %q, want %q", s.Engine, EngineExtractive)
			}
		})
	}
}

// checkSummary asserts the invariants every summary keeps.
func checkSummary(t *testing.T, s tidings.Summary) {
	t.Helper()
	if n := utf8.RuneCountInString(s.TLDR); n == 0 || n > maxTLDR {
		t.Errorf("TL;DR has %d characters, want 1..%d: %q", n, maxTLDR, s.TLDR)
	}
	last, _ := utf8.DecodeLastRuneInString(strings.TrimRight(s.TLDR, "\"'”’)"))
	if !strings.ContainsRune(".!?…", last) {
		t.Errorf("TL;DR does not end with punctuation: %q", s.TLDR)
	}
	if len(s.Glossary) > maxGlossary {
		t.Errorf("got %d glossary terms, want at most %d", len(s.Glossary), maxGlossary)
	}
	for _, g := range s.Glossary {
		if g.Term == "" || g.Definition == "" {
			t.Errorf("empty glossary entry %+v", g)
		}
	}
}

func TestExtractiveEmptyAndCancelled(t *testing.T) {
	e := NewExtractive(nil)
	s, err := e.Summarize(context.Background(), "t", " \n\n ")
	if err != nil || s.TLDR != "" || s.ReadingMinutes != 0 {
		t.Errorf("empty text: got %+v, %v; want an empty summary", s, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := e.Summarize(ctx, "t", "Some text here."); err == nil {
		t.Error("cancelled context: got nil error")
	}
}

func TestTLDRNotBlindlyFirst(t *testing.T) {
	text := "Welcome back to the newsletter, everyone.\n\n" +
		"Acme Corp released Widget 2.0 on Monday, cutting cloud costs for its 3,000 customers by 40%. " +
		"The release of Widget 2.0 follows a year of customer complaints about cloud costs. " +
		"Acme says Widget 2.0 customers will see the lower cloud costs on their next bill."
	s, err := NewExtractive(nil).Summarize(context.Background(), "Acme Widget 2.0 cuts cloud costs", text)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(s.TLDR, "Acme Corp released Widget 2.0") {
		t.Errorf("got TL;DR %q, want the sentence with the news", s.TLDR)
	}
}

func TestEngineIDDependsOnGlossary(t *testing.T) {
	a := NewExtractive(nil).EngineID()
	b := NewExtractive(map[string]string{"X": "y"}).EngineID()
	if a == b || a != NewExtractive(map[string]string{}).EngineID() {
		t.Errorf("engine ids: %q, %q", a, b)
	}
}
