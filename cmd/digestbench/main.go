// Command digestbench measures building one edition the way the daemon does:
// the real digest builder choosing 50 stories out of many candidates, with the
// real extractive summarizer writing their TL;DRs, key points and glossaries.
//
//	go run ./cmd/digestbench -items 10000 -select 50 -runs 5
package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/tidings/tidings"
	"github.com/tidings/tidings/digest"
	"github.com/tidings/tidings/digest/summarize"
)

func main() {
	items := flag.Int("items", 10000, "candidate items in the window")
	feeds := flag.Int("feeds", 300, "feeds the candidates come from")
	selected := flag.Int("select", 50, "max_items of the digest")
	runs := flag.Int("runs", 5, "builds to time")
	flag.Parse()
	if err := run(*items, *feeds, *selected, *runs); err != nil {
		fmt.Fprintln(os.Stderr, "digestbench:", err)
		os.Exit(1)
	}
}

func run(nItems, nFeeds, selected, runs int) error {
	now := time.Date(2026, 11, 26, 7, 0, 0, 0, time.UTC)
	in := generate(nItems, nFeeds, now)
	def := digest.Definition{Name: "daily", Title: "Daily Tidings", MaxItems: selected, PerFeedMax: 3, Window: 24 * time.Hour}
	b := &digest.Builder{Summarizer: summarize.NewExtractive(nil), Now: func() time.Time { return now }}

	var walls, cpus []time.Duration
	for range runs {
		cpu0, t0 := cpuTime(), time.Now()
		ed, err := b.Build(context.Background(), def, in)
		if err != nil {
			return err
		}
		walls = append(walls, time.Since(t0))
		cpus = append(cpus, cpuTime()-cpu0)
		if ed.Count() != selected {
			return fmt.Errorf("edition has %d entries, want %d", ed.Count(), selected)
		}
	}
	slices.Sort(walls)
	slices.Sort(cpus)
	fmt.Printf("candidates=%d feeds=%d selected=%d runs=%d\n", nItems, nFeeds, selected, runs)
	fmt.Printf("wall: min %v median %v max %v\n", walls[0], walls[len(walls)/2], walls[len(walls)-1])
	fmt.Printf("cpu:  min %v median %v max %v\n", cpus[0], cpus[len(cpus)/2], cpus[len(cpus)-1])
	return nil
}

// generate makes candidates whose text is English-like prose with numbers,
// acronyms and defining phrases, so the summarizer does realistic work.
func generate(nItems, nFeeds int, now time.Time) digest.Input {
	r := rand.New(rand.NewPCG(1, 2))
	var in digest.Input
	for f := range nFeeds {
		url := fmt.Sprintf("https://feed%d.example.com/feed.xml", f)
		in.Feeds = append(in.Feeds, tidings.Feed{ID: tidings.NewFeedID(url), URL: url,
			Title: fmt.Sprintf("Feed %d", f), Section: sections[f%len(sections)],
			State: tidings.FeedState{ItemsPerDay: 0.05 + r.Float64()*40}})
	}
	for i := range nItems {
		f := in.Feeds[r.IntN(len(in.Feeds))]
		title := sentence(r, 6+r.IntN(6), false)
		identity := fmt.Sprintf("item-%d", i)
		text := article(r, 100+r.IntN(1400))
		seen := now.Add(-time.Duration(r.Int64N(int64(24 * time.Hour))))
		in.Items = append(in.Items, tidings.Item{ID: tidings.ItemID(f.ID, identity), FeedID: f.ID,
			Identity: identity, URL: fmt.Sprintf("https://site%d.example.com/post/%d", f.ID%997, i),
			Title: strings.TrimSuffix(title, "."), Published: seen, FirstSeen: seen, LastSeen: seen,
			Text: text, Content: "<p>" + strings.ReplaceAll(text, "\n\n", "</p><p>") + "</p>"})
	}
	in.From, in.To, in.Slot = now.Add(-24*time.Hour), now, now
	return in
}

var (
	sections = []string{"AI", "Engineering", "DevOps", "Data", "Science"}
	words    = strings.Fields(`the a team model system database release users latency memory cluster
		server query index cache network protocol engineers company researchers version update
		performance benchmark storage kernel compiler runtime library framework service platform
		security vulnerability patch training inference dataset accuracy throughput cost price
		market revenue growth startup investors open source project community developers code
		review tests production outage incident migration upgrade feature support hardware chip
		GPU CPU energy power data center cloud region customers analysis results paper study`)
	verbs = strings.Fields(`announced released measured reduced improved doubled shipped found
		reported replaced rewrote deprecated acquired launched published explained tested`)
	acronyms = []string{"Mixture of Experts (MoE)", "Write-Ahead Log (WAL)", "Large Language Model (LLM)",
		"Conflict-free Replicated Data Type (CRDT)", "Time To First Byte (TTFB)"}
)

func sentence(r *rand.Rand, n int, numbers bool) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(' ')
		}
		switch {
		case i == 2:
			b.WriteString(verbs[r.IntN(len(verbs))])
		case numbers && i == n/2:
			fmt.Fprintf(&b, "%d.%d%%", r.IntN(90)+1, r.IntN(10))
		case r.IntN(40) == 0:
			b.WriteString(acronyms[r.IntN(len(acronyms))])
		default:
			b.WriteString(words[r.IntN(len(words))])
		}
	}
	s := b.String()
	return strings.ToUpper(s[:1]) + s[1:] + "."
}

func article(r *rand.Rand, nWords int) string {
	var paras []string
	for written := 0; written < nWords; {
		var p []string
		for range 2 + r.IntN(4) {
			n := 8 + r.IntN(18)
			p = append(p, sentence(r, n, r.IntN(3) == 0))
			written += n
		}
		paras = append(paras, strings.Join(p, " "))
	}
	return strings.Join(paras, "\n\n")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
