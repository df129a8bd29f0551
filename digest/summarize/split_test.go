package summarize

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSplitSentences(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		want []string
	}{
		{"plain", "One is here. Two is there! Three? Four.",
			[]string{"One is here.", "Two is there!", "Three?", "Four."}},
		{"e.g. and i.e.", "Use a cache, e.g. Redis. It helps, i.e. it is faster.",
			[]string{"Use a cache, e.g. Redis.", "It helps, i.e. it is faster."}},
		{"titles", "Dr. Smith met Mr. Jones at St. Mary's. They talked.",
			[]string{"Dr. Smith met Mr. Jones at St. Mary's.", "They talked."}},
		{"U.S. inside", "The U.S. Federal Reserve raised rates. Markets fell.",
			[]string{"The U.S. Federal Reserve raised rates.", "Markets fell."}},
		{"U.S. at the end", "They moved to the U.S. The move took a year.",
			[]string{"They moved to the U.S.", "The move took a year."}},
		{"Inc. inside and at the end", "Acme Inc. CEO Jane Doe spoke. She works at Acme Inc. The deal closed.",
			[]string{"Acme Inc. CEO Jane Doe spoke.", "She works at Acme Inc.", "The deal closed."}},
		{"vs.", "It compares Go vs. Rust in depth. Go wins.",
			[]string{"It compares Go vs. Rust in depth.", "Go wins."}},
		{"decimals", "Revenue grew 3.5 percent to $4.2 billion. Costs fell.",
			[]string{"Revenue grew 3.5 percent to $4.2 billion.", "Costs fell."}},
		{"versions", "Go 1.26 ships v1.2.3 of the tool. Upgrade now.",
			[]string{"Go 1.26 ships v1.2.3 of the tool.", "Upgrade now."}},
		{"version at the end", "The fix landed in Go 1.26. It was small.",
			[]string{"The fix landed in Go 1.26.", "It was small."}},
		{"URL", "See https://example.com/a.b?x=1. Then reload.",
			[]string{"See https://example.com/a.b?x=1.", "Then reload."}},
		{"e-mail", "Write to jane.doe@example.org. She answers fast.",
			[]string{"Write to jane.doe@example.org.", "She answers fast."}},
		{"initials", "J. R. R. Tolkien wrote it. Read it.",
			[]string{"J. R. R. Tolkien wrote it.", "Read it."}},
		{"plan B", "We had a plan B. The plan worked.",
			[]string{"We had a plan B.", "The plan worked."}},
		{"quote closes sentence", `He said "it works." Then he left.`,
			[]string{`He said "it works."`, "Then he left."}},
		{"question inside quote", `"Why now?" she asked. Nobody knew.`,
			[]string{`"Why now?" she asked.`, "Nobody knew."}},
		{"curly quotes", "“It is done.” The team cheered.",
			[]string{"“It is done.”", "The team cheered."}},
		{"ellipsis before lower case", "It was... fine. Really.",
			[]string{"It was... fine.", "Really."}},
		{"ellipsis before capital", "Wait for it… The answer came.",
			[]string{"Wait for it…", "The answer came."}},
		{"parenthesis", "It ran fast (about 2x). Then it crashed.",
			[]string{"It ran fast (about 2x).", "Then it crashed."}},
		{"number after abbreviation", "See Fig. 3 for details. No. 5 won.",
			[]string{"See Fig. 3 for details.", "No. 5 won."}},
		{"sentence starting with a digit", "Costs fell in 2025. 40 teams agreed.",
			[]string{"Costs fell in 2025.", "40 teams agreed."}},
		{"no terminator", "A heading without a period", []string{"A heading without a period"}},
		{"empty", "   ", nil},
		{"unicode", "Ça marche très bien. Élodie a dit oui.",
			[]string{"Ça marche très bien.", "Élodie a dit oui."}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := splitSentences(tc.in)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestSplitBlocks(t *testing.T) {
	in := "Title Case Heading\n\nFirst line\nsame paragraph.\n\n- item one\n- item two\n\nhttps://example.com/only-a-link\n\n1. numbered item"
	got := splitBlocks(in)
	want := []block{
		{text: "Title Case Heading", heading: true},
		{text: "First line same paragraph."},
		{text: "item one", list: true},
		{text: "item two", list: true},
		{text: "numbered item", list: true},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestTokens(t *testing.T) {
	got := tokens("Don't use v1.2.3 — state-of-the-art MoE’s 3.5x speed (GPU).")
	want := []string{"don't", "use", "v1.2.3", "state-of-the-art", "moe’s", "3.5x", "speed", "gpu"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

// FuzzSplitSentences checks that splitting never loses or invents text.
func FuzzSplitSentences(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.txt"))
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		for _, para := range strings.Split(string(b), "\n\n") {
			f.Add(para)
		}
	}
	f.Add("U.S. e.g. 3.5. v1.2. “Hi.” … ?! a@b.c. (x.) Dr. J. K.")
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return
		}
		got := splitSentences(s)
		if strings.Join(strings.Fields(strings.Join(got, " ")), " ") != strings.Join(strings.Fields(s), " ") {
			t.Errorf("sentences %q do not add up to %q", got, s)
		}
		for _, x := range got {
			if x == "" || strings.TrimSpace(x) != x {
				t.Errorf("untrimmed or empty sentence %q", x)
			}
		}
		for _, b := range splitBlocks(s) {
			if b.text == "" {
				t.Error("empty block")
			}
		}
	})
}
