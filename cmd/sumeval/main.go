// Command sumeval scores the extractive summarizer against a development set
// of edited summaries and prints a Markdown table: ROUGE-1/2/L F1 of the
// TL;DR and of the key points, and glossary precision and recall, next to
// the LEAD and plain TextRank baselines computed by the same code.
//
//	go run ./cmd/sumeval -data ../shared/samples/digest-dev.json
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/tidings/tidings/digest/summarize"
)

type item struct {
	Title      string   `json:"title"`
	TLDR       string   `json:"tldr"`
	DeepDive   []string `json:"deep_dive"`
	Paragraphs []string `json:"article_paragraphs"`
	Decoder    []struct {
		Term string `json:"term"`
	} `json:"decoder"`
}

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "sumeval:", err)
		os.Exit(1)
	}
}

func run(args []string, w io.Writer) error {
	fs := flag.NewFlagSet("sumeval", flag.ContinueOnError)
	data := fs.String("data", "../shared/samples/digest-dev.json", "JSON array of items with title, tldr, deep_dive, decoder, article_paragraphs")
	glossary := fs.String("glossary", "", "optional user glossary file for the extractive engine")
	verbose := fs.Bool("v", false, "print each item's outputs")
	if err := fs.Parse(args); err != nil {
		return err
	}
	raw, err := os.ReadFile(*data)
	if err != nil {
		return err
	}
	var items []item
	if err := json.Unmarshal(raw, &items); err != nil {
		return fmt.Errorf("parse %s: %w", *data, err)
	}
	var user map[string]string
	if *glossary != "" {
		if user, err = summarize.LoadGlossary(*glossary); err != nil {
			return err
		}
	}
	eng := summarize.NewExtractive(user)
	systems := []string{"extractive", "LEAD-1 / LEAD-3", "LEAD-1 / LEAD-k", "TextRank-1 / TextRank-3", "TextRank-1 / TextRank-k"}
	tl := make([]acc, len(systems))
	kp := make([]acc, len(systems))
	var gl, glBase glossAcc
	var refTL, refKP acc
	nText, nDeep := 0, 0
	for _, it := range items {
		text := strings.Join(it.Paragraphs, "\n\n")
		if strings.TrimSpace(text) == "" {
			continue // no article text: nothing to summarize extractively
		}
		nText++
		s, err := eng.Summarize(context.Background(), it.Title, text)
		if err != nil {
			return fmt.Errorf("summarize %q: %w", it.Title, err)
		}
		k := max(len(s.KeyPoints), 3)
		tr1 := summarize.TextRankBaseline(text, 1)
		tldrs := []string{s.TLDR, first(summarize.Lead(text, 1)), first(summarize.Lead(text, 1)), first(tr1), first(tr1)}
		points := [][]string{s.KeyPoints, summarize.Lead(text, 3), summarize.Lead(text, k), summarize.TextRankBaseline(text, 3), summarize.TextRankBaseline(text, k)}
		for i := range systems {
			tl[i].add(tldrs[i], it.TLDR)
		}
		refTL.add(it.TLDR, it.TLDR)
		if len(it.DeepDive) > 0 {
			nDeep++
			ref := strings.Join(it.DeepDive, "\n")
			for i := range systems {
				kp[i].add(strings.Join(points[i], "\n"), ref)
			}
			refKP.add(ref, ref)
		}
		var want, got []string
		for _, d := range it.Decoder {
			want = append(want, d.Term)
		}
		for _, g := range s.Glossary {
			got = append(got, g.Term)
		}
		gl.add(got, want)
		glBase.add(summarize.AcronymBaseline(text, 6), want)
		if *verbose {
			fmt.Fprintf(w, "## %s\nTLDR: %s\nLEAD: %s\nREF:  %s\nR-1 F1: extractive %.3f, lead %.3f\n", it.Title, s.TLDR, tldrs[1], it.TLDR,
				summarize.RougeN(s.TLDR, it.TLDR, 1).F, summarize.RougeN(tldrs[1], it.TLDR, 1).F)
			for _, p := range s.KeyPoints {
				fmt.Fprintf(w, "- %s\n", p)
			}
			for _, g := range s.Glossary {
				fmt.Fprintf(w, "  * %s: %s\n", g.Term, g.Definition)
			}
			fmt.Fprintf(w, "  want: %v\n\n", want)
		}
	}
	if nText == 0 {
		return errors.New("no item has article text")
	}
	fmt.Fprintf(w, "Items with article text: %d of %d; with a reference deep dive: %d.\n\n", nText, len(items), nDeep)
	fmt.Fprintln(w, "ROUGE F1, macro-averaged over items; words = mean length of the output.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| system (TL;DR / key points) | TL;DR R-1 | R-2 | R-L | words | key points R-1 | R-2 | R-L | words |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|")
	for i, name := range systems {
		fmt.Fprintf(w, "| %s | %.3f | %.3f | %.3f | %.0f | %.3f | %.3f | %.3f | %.0f |\n", name,
			tl[i].mean(0), tl[i].mean(1), tl[i].mean(2), tl[i].meanWords(),
			kp[i].mean(0), kp[i].mean(1), kp[i].mean(2), kp[i].meanWords())
	}
	fmt.Fprintf(w, "| reference | | | | %.0f | | | | %.0f |\n", refTL.meanWords(), refKP.meanWords())
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| glossary | predicted | reference | matched | precision | recall |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|")
	gl.row(w, "extractive")
	glBase.row(w, "acronym spotting (first 6 acronyms)")
	return nil
}

func first(ss []string) string {
	if len(ss) == 0 {
		return ""
	}
	return ss[0]
}

// acc averages ROUGE-1, -2 and -L F1 over items (macro average).
type acc struct {
	sum   [3]float64
	n     int
	words int
}

func (a *acc) add(cand, ref string) {
	a.words += len(strings.Fields(cand))
	a.sum[0] += summarize.RougeN(cand, ref, 1).F
	a.sum[1] += summarize.RougeN(cand, ref, 2).F
	a.sum[2] += summarize.RougeL(cand, ref).F
	a.n++
}

func (a *acc) meanWords() float64 {
	if a.n == 0 {
		return 0
	}
	return float64(a.words) / float64(a.n)
}

func (a *acc) mean(i int) float64 {
	if a.n == 0 {
		return 0
	}
	return a.sum[i] / float64(a.n)
}

// glossAcc sums glossary matches over all items (micro average).
type glossAcc struct{ got, want, match int }

func (g *glossAcc) add(got, want []string) {
	g.got += len(got)
	g.want += len(want)
	g.match += summarize.MatchTerms(got, want)
}

func (g *glossAcc) row(w io.Writer, name string) {
	p, r := 0.0, 0.0
	if g.got > 0 {
		p = float64(g.match) / float64(g.got)
	}
	if g.want > 0 {
		r = float64(g.match) / float64(g.want)
	}
	fmt.Fprintf(w, "| %s | %d | %d | %d | %.2f | %.2f |\n", name, g.got, g.want, g.match, p, r)
}
