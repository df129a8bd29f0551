package digest

import (
	"context"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tidings/tidings"
)

// generated is a synthetic but realistically shaped window: many feeds of
// very different rates, texts of 100–1,500 words drawn from a Zipf
// vocabulary, and about 20% duplicates of four kinds (aggregator blurb with
// a tracking URL, re-post with a site-name title, wire copy with edited
// words under another title and URL, reprint with an added paragraph).
type generated struct {
	in   Input
	base map[string]int // item id -> index of the original story
	kind map[string]string
}

func generate(n int, seed uint64) generated {
	rng := rand.New(rand.NewPCG(seed, 42))
	vocab := makeVocab(rng, 6000)
	zipf := rand.NewZipf(rng, 1.1, 2, uint64(len(vocab)-1))
	sentence := func(words int) string {
		var b strings.Builder
		for i := range words {
			w := vocab[zipf.Uint64()]
			if i == 0 {
				w = strings.ToUpper(w[:1]) + w[1:]
			} else {
				b.WriteByte(' ')
			}
			b.WriteString(w)
		}
		b.WriteString(".")
		return b.String()
	}
	text := func(words int) string {
		var paras []string
		for words > 0 {
			var p []string
			for range 3 + rng.IntN(3) {
				k := 8 + rng.IntN(20)
				p = append(p, sentence(k))
				words -= k
			}
			paras = append(paras, strings.Join(p, " "))
		}
		return strings.Join(paras, "\n\n")
	}

	from := time.Date(2026, 11, 25, 7, 0, 0, 0, time.UTC)
	to := from.Add(24 * time.Hour)
	g := generated{in: Input{From: from, To: to, Slot: to}, base: map[string]int{}, kind: map[string]string{}}
	sections := []string{"AI", "Engineering", "DevOps", "Data", "Business", "Design", "Science", ""}
	for i := range 300 {
		rate := math.Exp(rng.Float64()*8 - 4) // 0.02 to 55 items a day
		g.in.Feeds = append(g.in.Feeds, tidings.Feed{
			ID: uint64(i + 1), URL: fmt.Sprintf("https://feed%d.example.com/rss", i),
			Title: fmt.Sprintf("Feed %d", i), Section: sections[i%len(sections)],
			State: tidings.FeedState{ItemsPerDay: rate},
		})
	}
	nBase := n * 8 / 10
	for i := range n {
		var it tidings.Item
		it.FeedID = uint64(1 + rng.IntN(300))
		it.FirstSeen = from.Add(time.Duration(rng.Int64N(int64(24 * time.Hour))))
		it.Published = it.FirstSeen.Add(-time.Duration(rng.Int64N(int64(3 * time.Hour))))
		it.ID = fmt.Sprintf("item%05d", i)
		if i < nBase {
			it.Title = strings.TrimSuffix(sentence(6+rng.IntN(7)), ".")
			it.URL = fmt.Sprintf("https://site%d.example.org/%d/%s", rng.IntN(2000), i, strings.ReplaceAll(strings.ToLower(it.Title), " ", "-"))
			words := int(math.Exp(math.Log(100) + rng.Float64()*(math.Log(1500)-math.Log(100))))
			it.Text = text(words)
			g.base[it.ID] = i
			g.in.Items = append(g.in.Items, it)
			continue
		}
		bi := rng.IntN(nBase)
		orig := g.in.Items[bi]
		g.base[it.ID] = bi
		switch k := i % 4; k {
		case 0: // aggregator blurb linking the original with tracking parameters
			it.Title, it.URL = orig.Title, orig.URL+"?utm_source=agg&utm_medium=rss"
			it.Summary = "<p>Comments</p>"
			g.kind[it.ID] = "blurb"
		case 1: // re-post: same text, title with a site-name suffix, http and fragment
			it.Title = orig.Title + " | Feed Reposts"
			it.URL = strings.Replace(orig.URL, "https://", "http://", 1) + "#comments"
			it.Text = orig.Text
			g.kind[it.ID] = "repost"
		case 2: // wire copy: 1–4% of the words replaced, another title and URL
			it.Title = strings.TrimSuffix(sentence(7), ".")
			it.URL = fmt.Sprintf("https://wire%d.example.net/story/%d", rng.IntN(50), i)
			ws := strings.Fields(orig.Text)
			edits := len(ws) * (1 + rng.IntN(4)) / 100
			for range edits {
				ws[rng.IntN(len(ws))] = vocab[zipf.Uint64()]
			}
			it.Text = strings.Join(ws, " ")
			g.kind[it.ID] = "wire"
		case 3: // reprint: the lead sentence rewritten, a two-sentence paragraph added
			it.Title = strings.TrimSuffix(sentence(8), ".")
			it.URL = fmt.Sprintf("https://paper%d.example.com/news/%d", rng.IntN(50), i)
			paras := strings.SplitN(orig.Text, ". ", 2)
			lead := sentence(12)
			if len(paras) == 2 {
				it.Text = lead + " " + paras[1]
			} else {
				it.Text = lead + " " + orig.Text
			}
			it.Text += "\n\n" + sentence(12+rng.IntN(12)) + " " + sentence(8+rng.IntN(8))
			g.kind[it.ID] = "reprint"
		}
		g.in.Items = append(g.in.Items, it)
	}
	return g
}

// makeVocab makes pronounceable pseudo-words, shortest (most frequent under
// Zipf) first, like real function words.
func makeVocab(rng *rand.Rand, n int) []string {
	cons := "bcdfghjklmnprstvwz"
	vows := "aeiou"
	seen := map[string]bool{}
	var out []string
	for len(out) < n {
		syl := 1 + len(out)*4/n
		var b strings.Builder
		for range syl {
			b.WriteByte(cons[rng.IntN(len(cons))])
			b.WriteByte(vows[rng.IntN(len(vows))])
			if rng.IntN(3) == 0 {
				b.WriteByte(cons[rng.IntN(len(cons))])
			}
		}
		if w := b.String(); !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	return out
}

var genItems = flag.Int("gen.items", 3000, "items TestGeneratedClusters generates")

// TestGeneratedClusters measures clustering on generated duplicates: no two
// different originals may merge, and every copy must join its original
// (blurbs by URL and title, the others by title or text). Run with -v for
// the distances of the text copies.
func TestGeneratedClusters(t *testing.T) {
	g := generate(*genItems, 7)
	p, err := Explain(Definition{Name: "t"}, g.in)
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]int{}
	for _, s := range p.Stories {
		want := g.base[s.Members[0]]
		for _, m := range s.Members {
			if g.base[m] != want {
				t.Errorf("items %s and %s of different stories merged", s.Members[0], m)
			}
			found[m] = want
		}
	}
	missed := map[string]int{}
	for _, it := range g.in.Items {
		if k := g.kind[it.ID]; k != "" {
			same := 0
			for _, s := range p.Stories {
				if contains(s.Members, it.ID) && contains(s.Members, fmt.Sprintf("item%05d", g.base[it.ID])) {
					same = 1
				}
			}
			if same == 0 {
				missed[k]++
			}
		}
	}
	// Distances between wire copies/reprints and their originals.
	hist := map[int]int{}
	jac := map[int]int{} // jaccard tenths of the pairs beyond simThreshold
	minJac := 1.0
	maxD := 0
	for _, it := range g.in.Items {
		if k := g.kind[it.ID]; k == "wire" || k == "reprint" {
			a := printText(it.Text)
			b := printText(g.in.Items[g.base[it.ID]].Text)
			d := a.sim.distance(b.sim)
			if d > simThreshold {
				j := a.mins.jaccard(&b.mins)
				jac[int(j*10)]++
				minJac = min(minJac, j)
			}
			hist[d/4*4]++
			maxD = max(maxD, d)
		}
	}
	t.Logf("copies missed by kind: %v; wire/reprint distance histogram (4-bit buckets): %v; max %d; jaccard tenths beyond the threshold: %v (min %.2f)", missed, hist, maxD, jac, minJac)
	kinds := map[string]int{}
	for _, k := range g.kind {
		kinds[k]++
	}
	for k, n := range kinds {
		// URL and title copies must all be found; text copies all but a
		// few (measured: all, see docs/bench-digest.md), since SimHash is
		// noisy on short texts.
		limit := 0
		if k == "wire" || k == "reprint" {
			limit = n / 50
		}
		t.Logf("%s copies: %d of %d merged (%.1f%%)", k, n-missed[k], n, 100*float64(n-missed[k])/float64(n))
		if missed[k] > limit {
			t.Errorf("%d of %d %s copies not merged with their original, want at most %d", missed[k], n, k, limit)
		}
	}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// cheapSummarizer stands in for the extractive engine at a fraction of its
// cost, so the benchmark measures digest's own work.
type cheapSummarizer struct{}

func (cheapSummarizer) Summarize(_ context.Context, title, text string) (tidings.Summary, error) {
	return fallbackSummary(title, text), nil
}

// BenchmarkBuild builds an edition of 50 stories from 10,000 candidates.
//
//	go test ./digest -run '^$' -bench BenchmarkBuild -benchmem -count 1
func BenchmarkBuild(b *testing.B) {
	g := generate(10000, 1)
	def := Definition{Name: "daily", Title: "Daily", MaxItems: 50, PerFeedMax: 3,
		Rules: []Rule{
			mustRule(b, RuleSpec{Field: "title", Match: "ba", Action: "boost", Value: 1}),
			mustRule(b, RuleSpec{Field: "any", Match: "zuzu ka", Action: "drop"}),
			mustRule(b, RuleSpec{Field: "title", Regex: `(?i)\bzi\w*`, Action: "lower", Value: 0.5}),
		}}
	bld := &Builder{Summarizer: cheapSummarizer{}, Now: fixedNow}
	b.ReportAllocs()
	// CPU time as well as wall time: the development machine is shared,
	// and CPU time does not count waiting for a core.
	cpu0 := cpuTime()
	for b.Loop() {
		ed, err := bld.Build(context.Background(), def, g.in)
		if err != nil {
			b.Fatal(err)
		}
		if ed.Count() != 50 {
			b.Fatalf("got %d entries, want 50", ed.Count())
		}
	}
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
}

// cpuTime is the process's user+system CPU time (all threads, GC included).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkPrintText fingerprints one 1,000-word text.
func BenchmarkPrintText(b *testing.B) {
	g := generate(200, 3)
	text := ""
	for _, it := range g.in.Items {
		if n := len(strings.Fields(it.Text)); n > 900 && n < 1100 {
			text = it.Text
			break
		}
	}
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		printText(text)
	}
}
