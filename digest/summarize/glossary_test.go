package summarize

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/tidings/tidings"
)

func TestGlossaryFromText(t *testing.T) {
	for _, tc := range []struct {
		name string
		text string
		user map[string]string
		want []tidings.Term
	}{
		{"long form then acronym",
			"The model is a Mixture of Experts (MoE) with 64 experts.",
			nil, []tidings.Term{{Term: "MoE", Definition: "Mixture of Experts"}}},
		{"acronym then long form",
			"Each MoE (Mixture of Experts) layer routes tokens.",
			nil, []tidings.Term{{Term: "MoE", Definition: "Mixture of Experts"}}},
		{"acronym, or long form",
			"We keep the RPO, or recovery point objective, at zero.",
			nil, []tidings.Term{{Term: "RPO", Definition: "Recovery point objective"}}},
		{"long form, or acronym",
			"It splits matrices (tensor parallelism, or TP) across GPUs.",
			nil, []tidings.Term{{Term: "TP", Definition: "Tensor parallelism"}}},
		{"hyphenated long form",
			"A Conflict-free Replicated Data Type (CRDT) merges edits.",
			nil, []tidings.Term{{Term: "CRDT", Definition: "Conflict-free Replicated Data Type"}}},
		{"paired acronyms",
			"The MTBF vs MTTR (mean-time-between-failure vs. mean-time-to-recovery) debate is back.",
			nil, []tidings.Term{{Term: "MTBF", Definition: "Mean-time-between-failure"}, {Term: "MTTR", Definition: "Mean-time-to-recovery"}}},
		{"initials do not match",
			"He joined the company (IBM) last year. We use it (GPU) daily.",
			nil, nil},
		{"parenthetical that is not an acronym",
			"The cluster (in Frankfurt) failed twice (again).",
			nil, nil},
		{"defining sentence",
			"Prompt caching is a technique that reuses the computed prefix of a prompt. Prompt caching cut our bill.",
			nil, []tidings.Term{{Term: "Prompt caching", Definition: "Technique that reuses the computed prefix of a prompt"}}},
		{"refers to",
			"Gray failure refers to a partial outage that health checks miss. Gray failure is common.",
			nil, []tidings.Term{{Term: "Gray failure", Definition: "A partial outage that health checks miss"}}},
		{"known as",
			"We split whole experts across GPUs, a scheme known as expert parallelism.",
			nil, nil},
		{"known as with an article",
			"They used a method that places whole experts on separate GPUs, known as expert parallelism.",
			nil, []tidings.Term{{Term: "expert parallelism", Definition: "Method that places whole experts on separate GPUs"}}},
		{"opinion is not a definition",
			"Self-hosted Kafka is a great choice for you. Self-hosted Kafka is popular.",
			nil, nil},
		{"pronoun is not a term",
			"It is a database that stores vectors. This is a problem.",
			nil, nil},
		{"user glossary, word-bounded and case-aware",
			"The NVLink fabric links GPUs; it is fast. Gray failures are hard.",
			map[string]string{"NVLink": "GPU link", "IT": "information technology", "gray failure": "a partial failure", "link": "never shown"},
			[]tidings.Term{{Term: "NVLink", Definition: "GPU link"}}},
		{"user glossary case-insensitive for lower-case terms",
			"A Gray Failure took us down.",
			map[string]string{"gray failure": "a partial failure"},
			[]tidings.Term{{Term: "gray failure", Definition: "A partial failure"}}},
		{"acronym and its definition merge",
			"We store changes in the Write-Ahead Log (WAL) first. The Write-Ahead Log is an append-only file that replicas replay.",
			nil, []tidings.Term{{Term: "WAL", Definition: "Write-Ahead Log, an append-only file that replicas replay"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := glossary(parse(tc.text), tc.user)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestGlossaryIsSmall(t *testing.T) {
	var b strings.Builder
	for _, p := range []string{"Alpha Beta Cache (ABC)", "Delta Echo Fabric (DEF)", "Gamma Hotel Index (GHI)", "Juliet Kilo Lima (JKL)", "Mike November Oscar (MNO)", "Papa Quebec Romeo (PQR)", "Sierra Tango Union (STU)", "Victor Whiskey Xray (VWX)"} {
		b.WriteString("We adopted the " + p + " last year.\n\n")
	}
	if got := glossary(parse(b.String()), nil); len(got) != maxGlossary {
		t.Errorf("got %d terms, want %d", len(got), maxGlossary)
	}
}

func TestSchwartzHearst(t *testing.T) {
	for _, tc := range []struct {
		acr, long, want string
		ok              bool
	}{
		{"MoE", "a sparse Mixture of Experts", "Mixture of Experts", true},
		{"TTFT", "median time to first token", "time to first token", true},
		{"B200", "the new chip", "", false},
		{"AWS", "runs on Amazon Web Services", "Amazon Web Services", true},
		{"LLMs", "many large language models", "large language models", true},
	} {
		got, ok := schwartzHearst(tc.acr, tc.long)
		if ok != tc.ok || got != tc.want {
			t.Errorf("schwartzHearst(%q, %q) = %q, %v; want %q, %v", tc.acr, tc.long, got, ok, tc.want, tc.ok)
		}
	}
}

func TestParseGlossary(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     map[string]string
		err      string
	}{
		{"ok", "\ufeff# comment\n\nMoE: Mixture of Experts\nstd::vector: a growable array\n  KV cache :  attention memory  \n",
			map[string]string{"MoE": "Mixture of Experts", "std::vector": "a growable array", "KV cache": "attention memory"}, ""},
		{"no colon", "MoE: Mixture of Experts\nJust words\n", nil, "2: want \"Term: definition\""},
		{"empty term", "# x\n: nothing\n", nil, "2: empty term"},
		{"empty definition", "MoE:\n", nil, "1: term \"MoE\" has no definition"},
		{"duplicate", "MoE: a\n\nmoe: b\n", nil, "3: term \"moe\" already defined on line 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseGlossary(strings.NewReader(tc.in))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("got error %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

func TestLoadGlossary(t *testing.T) {
	g, err := LoadGlossary(filepath.Join("testdata", "glossary.txt"))
	if err != nil || g["Patroni"] == "" {
		t.Errorf("got %v, %v", g, err)
	}
	bad := filepath.Join(t.TempDir(), "g.txt")
	if err := os.WriteFile(bad, []byte("A: b\nbroken\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadGlossary(bad); err == nil || !strings.Contains(err.Error(), bad+":2:") {
		t.Errorf("got %v, want an error naming %s:2", err, bad)
	}
	if _, err := LoadGlossary(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("missing file: got nil error")
	}
}

func FuzzParseGlossary(f *testing.F) {
	b, err := os.ReadFile(filepath.Join("testdata", "glossary.txt"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(b))
	f.Add("a:b\n:c\nd:\n#e\n")
	f.Fuzz(func(t *testing.T, s string) {
		g, err := parseGlossary(strings.NewReader(s))
		if err != nil {
			return
		}
		for k, v := range g {
			if strings.TrimSpace(k) == "" || strings.TrimSpace(v) == "" {
				t.Errorf("empty entry %q: %q", k, v)
			}
		}
	})
}

// FuzzSummarize runs the whole extractive engine on arbitrary text: it must
// not panic and must keep its invariants.
func FuzzSummarize(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.txt"))
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add("Title", string(b))
	}
	f.Add("x", "A (B) C (DE) Mixture of Experts (MoE). X is a y z w. known as q")
	e := NewExtractive(map[string]string{"MoE": "m"})
	f.Fuzz(func(t *testing.T, title, text string) {
		s, err := e.Summarize(t.Context(), title, text)
		if err != nil {
			t.Fatal(err)
		}
		if len([]rune(s.TLDR)) > maxTLDR || len(s.KeyPoints) > 10 || len(s.Glossary) > maxGlossary {
			t.Errorf("limits broken: %+v", s)
		}
	})
}
