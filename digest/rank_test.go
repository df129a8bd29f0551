package digest

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func TestRanking(t *testing.T) {
	fx := loadFixture(t)
	at := func(in *Input, id string, ts time.Time) {
		for i := range in.Items {
			if in.Items[i].ID == id {
				in.Items[i].Published, in.Items[i].FirstSeen = ts, ts
			}
		}
	}
	noon := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name           string
		mutate         func(in *Input)
		higher, lower  string // item ids of the best members
		whyHigher      string // part of the higher story's why
		wantSignalName string // a signal the higher story must have
	}{
		{
			name:      "a story covered by four feeds beats a fresher single report",
			higher:    "pg-news-18",
			lower:     "reuters-amd",
			whyHigher: "covered by 4 feeds",
		},
		{
			name: "an infrequent feed beats a firehose at the same time",
			mutate: func(in *Input) {
				at(in, "rust-1911", noon)
				at(in, "reuters-amd", noon)
			},
			higher:         "rust-1911",
			lower:          "reuters-amd",
			wantSignalName: "infrequent_feed",
		},
		{
			name: "feed weight lifts a firehose",
			mutate: func(in *Input) {
				at(in, "rust-1911", noon)
				at(in, "reuters-amd", noon)
				for i := range in.Feeds {
					if in.Feeds[i].Title == "Reuters Technology" {
						in.Feeds[i].Weight = 2
					}
				}
			},
			higher:    "reuters-amd",
			lower:     "rust-1911",
			whyHigher: "feed weight 2",
		},
		{
			name:   "newer beats older from the same feed",
			higher: "rust-192",
			lower:  "rust-1911",
		},
		{
			name: "almost no text is penalized",
			mutate: func(in *Input) {
				at(in, "hn-tinyq", noon)
				at(in, "reuters-amd", noon)
			},
			higher: "reuters-amd",
			lower:  "hn-tinyq",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := fx.input()
			if tc.mutate != nil {
				// the fixture's slices are shared: copy before changing
				in.Items = append(in.Items[:0:0], in.Items...)
				in.Feeds = append(in.Feeds[:0:0], in.Feeds...)
				tc.mutate(&in)
			}
			p, err := Explain(Definition{Name: "t"}, in)
			if err != nil {
				t.Fatal(err)
			}
			hi, lo := rankOf(p, tc.higher), rankOf(p, tc.lower)
			if hi < 0 || lo < 0 || hi > lo {
				t.Errorf("got %s at %d and %s at %d, want the first above", tc.higher, hi, tc.lower, lo)
			}
			s := p.Stories[max(hi, 0)]
			if tc.whyHigher != "" && !strings.Contains(s.Why, tc.whyHigher) {
				t.Errorf("got why %q, want it to contain %q", s.Why, tc.whyHigher)
			}
			if tc.wantSignalName != "" && signal(s, tc.wantSignalName) <= signal(p.Stories[max(lo, 0)], tc.wantSignalName) {
				t.Errorf("signal %s: got %v for %s, not above %v for %s", tc.wantSignalName,
					signal(s, tc.wantSignalName), tc.higher, signal(p.Stories[max(lo, 0)], tc.wantSignalName), tc.lower)
			}
			// the score is the sum of the signals
			sum := 0.0
			for _, sig := range s.Signals {
				sum += sig.Value
			}
			if d := sum - s.Score; d > 0.002 || d < -0.002 {
				t.Errorf("got score %v, signals sum to %v", s.Score, sum)
			}
		})
	}
}

func TestBreakdown(t *testing.T) {
	s := Story{Score: 1.25, Pinned: true, Signals: []Signal{
		{Name: "recency", Value: 0.5},
		{Name: "coverage", Value: 1, Note: "covered by 2 feeds"},
		{Name: "thin_text", Value: -0.25},
	}}
	want := "1.25 = recency 0.50 + coverage 1.00 (covered by 2 feeds) − thin_text 0.25; pinned"
	if got := s.Breakdown(); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func rankOf(p Plan, itemID string) int {
	for i, s := range p.Stories {
		if s.ItemID == itemID {
			return i
		}
	}
	return -1
}

func signal(s Story, name string) float64 {
	for _, sig := range s.Signals {
		if sig.Name == name {
			return sig.Value
		}
	}
	return 0
}

func TestSelectionWindowAndExclude(t *testing.T) {
	fx := loadFixture(t)
	in := fx.input()
	in.Exclude = map[string]bool{"pg-news-18": true, "pg-news-old": true}
	p, err := Explain(Definition{Name: "t"}, in)
	if err != nil {
		t.Fatal(err)
	}
	// pg-news-old was first seen before the window; backdated items count
	// by first-seen time and are in.
	wantAbsent(t, p, "pg-news-old", "pg-news-18", "hn-pg18", "lobsters-pg18", "planet-pg18")
	wantPresent(t, p, "acme-backdated")
	if p.Excluded != 1 {
		t.Errorf("got %d excluded, want 1 (the other is outside the window)", p.Excluded)
	}
	var copies []string
	for _, d := range p.Dropped {
		if strings.Contains(d.Reason, "already in an edition (item pg-news-18)") {
			copies = append(copies, d.ItemID)
		}
	}
	if len(copies) != 3 {
		t.Errorf("got copies dropped %v, want the 3 other copies of the published story", copies)
	}
	if want := len(fx.Items) - 2; p.Candidates != want {
		t.Errorf("got %d candidates, want %d", p.Candidates, want)
	}
}

func TestQuotas(t *testing.T) {
	fx := loadFixture(t)
	pinRust := mustRule(t, RuleSpec{Field: "feed", Match: "rust blog", Action: "pin"})
	tests := []struct {
		name        string
		def         Definition
		wantCount   int
		wantSkipped map[string]string // item id -> reason
	}{
		{"no limits", Definition{}, 12, nil},
		{"max items", Definition{MaxItems: 5}, 5, map[string]string{"hn-tinyq": "max_items"}},
		{"per feed", Definition{PerFeedMax: 1}, 9, map[string]string{"rust-1911": "per_feed_max", "reuters-amd": "per_feed_max", "acme-backdated": "per_feed_max"}},
		{"per section", Definition{PerSectionMax: 1}, 6, map[string]string{"reuters-amd": "per_section_max", "twir-626": "per_section_max"}},
		{"pins are exempt from per-feed and per-section", Definition{PerFeedMax: 1, PerSectionMax: 1, Rules: []Rule{pinRust}},
			7, map[string]string{"twir-626": "per_section_max"}},
		{"pins still obey max items", Definition{MaxItems: 1, Rules: []Rule{pinRust}}, 1, map[string]string{"pg-news-18": "max_items"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.def.Name = "t"
			p, err := Explain(tc.def, fx.input())
			if err != nil {
				t.Fatal(err)
			}
			if got := len(p.Selected()); got != tc.wantCount {
				t.Errorf("got %d selected, want %d", got, tc.wantCount)
			}
			for id, reason := range tc.wantSkipped {
				if s := storyOf(t, p, id); s.Selected || s.Skipped != reason {
					t.Errorf("%s: got selected=%v skipped=%q, want skipped %q", id, s.Selected, s.Skipped, reason)
				}
			}
		})
	}
}

func TestSectionName(t *testing.T) {
	def := Definition{Sections: []string{"Business", "AI"}}
	tests := []struct{ in, want string }{
		{"", DefaultSection},
		{"  ", DefaultSection},
		{"business", "Business"},
		{" AI ", "AI"},
		{"Life", "Life"},
	}
	for _, tc := range tests {
		if got := sectionName(def, tc.in); got != tc.want {
			t.Errorf("sectionName(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestPlanGolden keeps the whole plan of the fixture under review: run
// `go test ./digest -run TestPlanGolden -update` and read the diff.
func TestPlanGolden(t *testing.T) {
	fx := loadFixture(t)
	def := Definition{Name: "daily", MaxItems: 10, PerFeedMax: 2, Sections: []string{"Business"},
		Rules: []Rule{
			mustRule(t, RuleSpec{Field: "any", Match: "postgresql", Action: "boost", Value: 0.5}),
			mustRule(t, RuleSpec{Field: "title", Regex: `(?i)^weekly update$`, Action: "lower", Value: 1}),
			mustRule(t, RuleSpec{Field: "url", Match: "github.com", Action: "section", Section: "Tools"}),
		}}
	p, err := Explain(def, fx.input())
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(p); err != nil {
		t.Fatal(err)
	}
	got := buf.Bytes()
	const golden = "testdata/plan.golden.json"
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("plan differs from %s; run with -update and review the diff:\n%s", golden, got)
	}
}
