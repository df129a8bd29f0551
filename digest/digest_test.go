package digest

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tidings/tidings"
)

func TestBuild(t *testing.T) {
	fx := loadFixture(t)
	sum := &fakeSummarizer{}
	b := &Builder{Summarizer: sum, Now: fixedNow, Concurrency: 2}
	def := Definition{
		Name: "daily", Title: "Daily Tidings", Description: "The day in tech",
		MaxItems: 6, Sections: []string{"Languages", "Business"},
		Location: time.FixedZone("PST", -8*3600),
	}
	ed, err := b.Build(context.Background(), def, fx.input())
	if err != nil {
		t.Fatal(err)
	}
	if ed.Number != 0 || ed.Digest != "daily" || ed.Description != "The day in tech" {
		t.Errorf("got number %d digest %q description %q", ed.Number, ed.Digest, ed.Description)
	}
	// the slot is 07:00 UTC on the 26th, 23:00 on the 25th in PST
	if want := "Daily Tidings — 25 Nov 2026"; ed.Title != want {
		t.Errorf("got title %q, want %q", ed.Title, want)
	}
	if !ed.Built.Equal(fixedNow()) || !ed.From.Equal(fx.Window.From) || !ed.To.Equal(fx.Window.To) || !ed.Slot.Equal(fx.Window.To) {
		t.Errorf("got built %v from %v to %v slot %v", ed.Built, ed.From, ed.To, ed.Slot)
	}
	if ed.Engine != "fake" || ed.Quiet {
		t.Errorf("got engine %q quiet %v, want fake, false", ed.Engine, ed.Quiet)
	}
	if ed.Count() != 6 || len(sum.calls) != 6 {
		t.Errorf("got %d entries and %d summaries, want 6 and 6 (only selected stories are summarized)", ed.Count(), len(sum.calls))
	}
	var names []string
	for _, s := range ed.Sections {
		names = append(names, s.Name)
	}
	// configured order first, then by each section's best story
	if want := []string{"Languages", "Business", "Databases", "Engineering"}; !slices.Equal(names, want) {
		t.Errorf("got sections %v, want %v", names, want)
	}
	pg := findEntry(t, ed, "pg-news-18")
	if pg.TLDR != "TLDR: PostgreSQL 18 Released!" || pg.Engine != "fake" || pg.FeedTitle != "PostgreSQL News" {
		t.Errorf("got entry %+v", pg)
	}
	if len(pg.Sources) != 4 || pg.Sources[0].Title != "PostgreSQL News" || !strings.Contains(pg.Why, "covered by 4 feeds") || pg.Score <= 0 {
		t.Errorf("got sources %v why %q score %v", pg.Sources, pg.Why, pg.Score)
	}
	if pg.Text == "" || pg.ContentHTML == "" || pg.Published.IsZero() || pg.FirstSeen.IsZero() || len(pg.Authors) != 1 {
		t.Errorf("entry misses copied item fields: %+v", pg)
	}
	// entries in a section follow the score
	for _, s := range ed.Sections {
		for i := 1; i < len(s.Entries); i++ {
			if s.Entries[i].Score > s.Entries[i-1].Score && !s.Entries[i].Pinned {
				t.Errorf("section %s: entry %d scores %v above the previous %v", s.Name, i, s.Entries[i].Score, s.Entries[i-1].Score)
			}
		}
	}
}

func findEntry(t *testing.T, ed tidings.Edition, itemID string) tidings.Entry {
	t.Helper()
	for _, s := range ed.Sections {
		for _, e := range s.Entries {
			if e.ItemID == itemID {
				return e
			}
		}
	}
	t.Fatalf("no entry %s in the edition", itemID)
	return tidings.Entry{}
}

func TestBuildSummarizerFailureFallsBack(t *testing.T) {
	fx := loadFixture(t)
	sum := &fakeSummarizer{fail: map[string]bool{"Nvidia forecasts fourth-quarter revenue above estimates on AI chip demand": true}}
	b := &Builder{Summarizer: sum, Now: fixedNow}
	ed, err := b.Build(context.Background(), Definition{Name: "daily"}, fx.input())
	if err != nil {
		t.Fatal(err)
	}
	e := findEntry(t, ed, "reuters-nvidia")
	want := "Nvidia forecast fourth-quarter revenue above Wall Street estimates on Wednesday, betting on sustained demand for its artificial intelligence chips from cloud providers and large enterprises, and its…"
	if e.Engine != FallbackEngine || e.TLDR != want || e.ReadingMinutes != 1 {
		t.Errorf("got engine %q TLDR %q minutes %d, want fallback with %q", e.Engine, e.TLDR, e.ReadingMinutes, want)
	}
	if ed.Engine != "fake" {
		t.Errorf("got edition engine %q, want the most common one, fake", ed.Engine)
	}
}

func TestBuildThinStory(t *testing.T) {
	fx := loadFixture(t)
	sum := &fakeSummarizer{}
	b := &Builder{Summarizer: sum, Now: fixedNow}
	ed, err := b.Build(context.Background(), Definition{Name: "daily"}, fx.input("hn-tinyq"))
	if err != nil {
		t.Fatal(err)
	}
	e := findEntry(t, ed, "hn-tinyq")
	// The title alone is all there is: no TL;DR line repeats it.
	if len(sum.calls) != 0 || e.TLDR != "" || e.Kind != "GitHub Repo" || e.Engine != FallbackEngine {
		t.Errorf("got %d summarizer calls, entry %+v; want none, no TL;DR, kind GitHub Repo", len(sum.calls), e)
	}
	if !strings.Contains(e.Why, "little text") {
		t.Errorf("got why %q, want it to mention the missing text", e.Why)
	}
}

func TestBuildCancelled(t *testing.T) {
	fx := loadFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	b := &Builder{Summarizer: &fakeSummarizer{}, Now: fixedNow}
	if _, err := b.Build(ctx, Definition{Name: "daily"}, fx.input()); !errors.Is(err, context.Canceled) {
		t.Errorf("got error %v, want context.Canceled", err)
	}
}

func TestBuildMinItems(t *testing.T) {
	fx := loadFixture(t)
	few := fx.input("garden-weekly", "status-weekly")
	tests := []struct {
		name      string
		quiet     string
		wantErr   error
		wantQuiet bool
		wantDesc  string
	}{
		{"skip by default", "", ErrTooFew, false, ""},
		{"skip", QuietSkip, ErrTooFew, false, ""},
		{"publish a quiet edition", QuietPublish, nil, true, "Weekend reading. A quiet period: only 2 new stories since the last edition."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := &Builder{Summarizer: &fakeSummarizer{}, Now: fixedNow}
			ed, err := b.Build(context.Background(), Definition{Name: "daily", Description: "Weekend reading.", MinItems: 3, Quiet: tc.quiet}, few)
			if tc.wantErr != nil && err != nil && !strings.Contains(err.Error(), "2 of min_items 3") {
				t.Errorf("got error %q, want it to say how many stories there were", err)
			}
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("got error %v, want %v", err, tc.wantErr)
			}
			if err == nil && (ed.Quiet != tc.wantQuiet || ed.Count() != 2) {
				t.Errorf("got quiet %v with %d entries, want quiet %v with 2", ed.Quiet, ed.Count(), tc.wantQuiet)
			}
			if err == nil && ed.Description != tc.wantDesc {
				t.Errorf("got description %q, want %q", ed.Description, tc.wantDesc)
			}
		})
	}
}

func TestBuildQuietEmpty(t *testing.T) {
	fx := loadFixture(t)
	in := fx.input()
	in.Items = nil
	b := &Builder{Summarizer: &fakeSummarizer{}, Now: fixedNow}
	ed, err := b.Build(context.Background(), Definition{Name: "daily", MinItems: 1, Quiet: QuietPublish}, in)
	if err != nil {
		t.Fatal(err)
	}
	if !ed.Quiet || ed.Sections == nil || ed.Count() != 0 {
		t.Errorf("got quiet %v sections %#v, want a quiet edition with an empty, non-nil section list", ed.Quiet, ed.Sections)
	}
	if want := "A quiet period: no new stories since the last edition."; ed.Description != want {
		t.Errorf("got description %q, want %q", ed.Description, want)
	}
}

func TestBuildDeterministic(t *testing.T) {
	fx := loadFixture(t)
	def := Definition{Name: "daily", MaxItems: 8, PerFeedMax: 2,
		Rules: []Rule{mustRule(t, RuleSpec{Field: "title", Match: "rust", Action: "boost", Value: 0.3})}}
	b := &Builder{Summarizer: &fakeSummarizer{}, Now: fixedNow, Concurrency: 3}
	in1 := fx.input()
	in2 := fx.input()
	slices.Reverse(in2.Items)
	slices.Reverse(in2.Feeds)
	var out [2][]byte
	for i, in := range []Input{in1, in2} {
		ed, err := b.Build(context.Background(), def, in)
		if err != nil {
			t.Fatal(err)
		}
		out[i], _ = json.Marshal(ed)
	}
	if string(out[0]) != string(out[1]) {
		t.Errorf("the same items in another order built another edition:\n%s\n%s", out[0], out[1])
	}
}

func TestBuildErrors(t *testing.T) {
	fx := loadFixture(t)
	tests := []struct {
		name string
		b    Builder
		def  Definition
		want string
	}{
		{"no summarizer", Builder{}, Definition{Name: "d"}, "no summarizer"},
		{"no name", Builder{Summarizer: &fakeSummarizer{}}, Definition{}, "needs a name"},
		{"bad quiet", Builder{Summarizer: &fakeSummarizer{}}, Definition{Name: "d", Quiet: "later"}, `quiet is "later"`},
		{"min above max", Builder{Summarizer: &fakeSummarizer{}}, Definition{Name: "d", MinItems: 5, MaxItems: 2}, "min_items 5"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.b.Build(context.Background(), tc.def, fx.input())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestWindow(t *testing.T) {
	slot := time.Date(2026, 11, 26, 7, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		def      Definition
		prevTo   time.Time
		wantFrom time.Time
	}{
		{"first edition uses the window", Definition{Window: 7 * 24 * time.Hour}, time.Time{}, slot.Add(-7 * 24 * time.Hour)},
		{"first edition defaults to a day", Definition{}, time.Time{}, slot.Add(-24 * time.Hour)},
		{"later editions start where the previous ended", Definition{Window: time.Hour}, slot.Add(-30 * time.Hour), slot.Add(-30 * time.Hour)},
		{"a previous end after the slot gives an empty window", Definition{}, slot.Add(time.Hour), slot},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			from, to := Window(tc.def, tc.prevTo, slot)
			if !from.Equal(tc.wantFrom) || !to.Equal(slot) {
				t.Errorf("got %v–%v, want %v–%v", from, to, tc.wantFrom, slot)
			}
		})
	}
}

func TestLinkKind(t *testing.T) {
	tests := []struct {
		url  string
		encl string
		want string
	}{
		{"https://github.com/someone/tinyq", "", "GitHub Repo"},
		{"https://github.com/someone/tinyq/tree/main/cmd", "", "GitHub Repo"},
		{"https://github.com/someone/tinyq/issues/12", "", ""},
		{"https://github.com/features/copilot", "", ""},
		{"https://www.youtube.com/watch?v=abc", "", "Video"},
		{"https://youtu.be/abc", "", "Video"},
		{"https://vimeo.com/12345", "", "Video"},
		{"https://example.com/episodes/42", "audio/mpeg", "Podcast"},
		{"https://arxiv.org/pdf/2501.00001.pdf", "", "PDF"},
		{"https://tinyq.dev/", "", "Website"},
		{"https://blog.example.com/2026/11/post", "", ""},
	}
	for _, tc := range tests {
		it := tidings.Item{URL: tc.url}
		if tc.encl != "" {
			it.Enclosures = []tidings.Enclosure{{URL: tc.url + ".mp3", Type: tc.encl}}
		}
		if got := linkKind(&it); got != tc.want {
			t.Errorf("linkKind(%s) = %q, want %q", tc.url, got, tc.want)
		}
	}
}

func TestFallbackSummary(t *testing.T) {
	tests := []struct {
		title, text, want string
	}{
		{"T", "Go 1.26 is out. It is faster.", "Go 1.26 is out."},
		{"T", "We use e.g. Postgres here. Then more.", "We use e.g. Postgres here."},
		{"T", "First paragraph without a stop\n\nSecond one.", "First paragraph without a stop"},
		{"Only a title", "", "Only a title"},
	}
	for _, tc := range tests {
		if got := fallbackSummary(tc.title, tc.text); got.TLDR != tc.want || got.Engine != FallbackEngine {
			t.Errorf("fallbackSummary(%q) = %+v, want TLDR %q", tc.text, got, tc.want)
		}
	}
}

func TestLinkStub(t *testing.T) {
	for _, tc := range []struct {
		content, text string
		want          bool
	}{
		{`<a href="https://news.ycombinator.com/item?id=1">Comments</a>`, "Comments", true},
		{`<p><a href="https://example.org/">Read more</a></p>`, "Read more", true},
		{`<p>Short, but real.</p>`, "Short, but real.", false},
		{`<p>A real paragraph with <a href="/x">a link</a> in it.</p>`, "A real paragraph with a link in it.", false},
		{"", "", false},
	} {
		if got := linkStub(tc.content, tc.text); got != tc.want {
			t.Errorf("linkStub(%q) = %v, want %v", tc.content, got, tc.want)
		}
	}
}

func TestSameWords(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"Show HN: Tinyq", "show hn:  tinyq", true}, {"It rained.", "It rained", true}, {"It rained", "It rained today", false}, {"", "x", false},
	} {
		if got := sameWords(tc.a, tc.b); got != tc.want {
			t.Errorf("sameWords(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestEmptySummaryTLDR(t *testing.T) {
	paywall := "By Jane Doe · 25 November 2026\n\nSubscribe to continue reading."
	tests := []struct {
		name  string
		title string
		item  tidings.Item
		want  string
	}{
		{"feed description says more", "Chip maker beats estimates",
			tidings.Item{Summary: "<p>Nimbus reported revenue of $4.2 billion, up 31% on the year.</p>", Text: paywall},
			"Nimbus reported revenue of $4.2 billion, up 31% on the year."},
		{"description is the same text", "Chip maker beats estimates",
			tidings.Item{Summary: paywall, Text: paywall}, "Chip maker beats estimates"},
		{"description repeats the title", "Chip maker beats estimates",
			tidings.Item{Summary: "Chip maker beats estimates", Text: paywall}, "Chip maker beats estimates"},
		{"no description", "Chip maker beats estimates", tidings.Item{Text: paywall}, "Chip maker beats estimates"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := emptySummaryTLDR(tt.title, tt.item); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
