package digest

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// testdata/recurring.json holds feeds that repeat themselves: a daily
// podcast whose episodes share a long sponsor footer (and one episode
// re-published under a new id), a weekly newsletter with a fixed header and
// footer, and a project blog whose release notes follow one template — its
// back catalogue first seen together with the newest post, as when the feed
// has just been added — plus another feed's copy of the newest release.

func TestRecurringPostsStayApart(t *testing.T) {
	fx := loadFixtureFile(t, "testdata/recurring.json")
	tests := []struct {
		name string
		ids  []string
		want [][]string
	}{
		{"episodes sharing a footer stay apart", []string{"ep301", "ep302", "ep303"}, [][]string{{"ep301"}, {"ep302"}, {"ep303"}}},
		{"an episode re-published under a new id merges", []string{"ep303", "ep303-fixed"}, [][]string{{"ep303", "ep303-fixed"}}},
		{"newsletter issues nine days apart stay apart", []string{"nl410", "nl411"}, [][]string{{"nl410"}, {"nl411"}}},
		{"release notes from one template stay apart", []string{"rel23", "rel24", "rel25"}, [][]string{{"rel23"}, {"rel24"}, {"rel25"}}},
		{"another feed's copy of a release merges", []string{"rel25", "dbw-rel25"}, [][]string{{"rel25", "dbw-rel25"}}},
		{"another feed's copy does not pull in last month's release", []string{"rel24", "rel25", "dbw-rel25"}, [][]string{{"rel24"}, {"rel25", "dbw-rel25"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Explain(Definition{Name: "t"}, fx.input(tc.ids...))
			if err != nil {
				t.Fatal(err)
			}
			if got := groupsOf(p); !slices.EqualFunc(got, sortGroups(tc.want), slices.Equal) {
				t.Errorf("got groups %v, want %v", got, sortGroups(tc.want))
			}
		})
	}

	// The measurements quoted in cluster.go (run with -v).
	for _, it := range fx.Items {
		for _, o := range fx.Items {
			if it.ID >= o.ID || it.FeedID != o.FeedID {
				continue
			}
			a, b := printText(plainText(it.Item)), printText(plainText(o.Item))
			t.Logf("same feed, same story %-5v %-11s %-11s %2d bits, jaccard %.2f", it.Story == o.Story, it.ID, o.ID,
				a.sim.distance(b.sim), a.mins.jaccard(&b.mins))
		}
	}
}

func TestStaleStories(t *testing.T) {
	fx := loadFixtureFile(t, "testdata/recurring.json")
	to := fx.Window.To
	pin := mustRule(t, RuleSpec{Field: "title", Match: "released", Action: "pin"})
	tests := []struct {
		name         string
		from         time.Time
		rules        []Rule
		wantSelected []string
		wantStale    []string
	}{
		{
			name:         "daily: a new feed's back catalogue is left out, a post a few days old is kept",
			from:         to.Add(-24 * time.Hour),
			wantSelected: []string{"ep301", "ep302", "ep303", "nl411", "rel25"},
			wantStale:    []string{"nl410", "rel23", "rel24"},
		},
		{
			name:         "weekly: the window's length is the grace",
			from:         to.Add(-7 * 24 * time.Hour),
			wantSelected: []string{"ep301", "nl410", "nl411", "rel25"},
			wantStale:    []string{"rel23", "rel24"},
		},
		{
			name:         "monthly: the last two months' releases are news",
			from:         to.Add(-31 * 24 * time.Hour),
			wantSelected: []string{"rel23", "rel24", "rel25"},
		},
		{
			name:         "a pin does not bring old news back",
			from:         to.Add(-24 * time.Hour),
			rules:        []Rule{pin},
			wantSelected: []string{"rel25"},
			wantStale:    []string{"rel23", "rel24"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := fx.input()
			in.From = tc.from
			p, err := Explain(Definition{Name: "t", Rules: tc.rules}, in)
			if err != nil {
				t.Fatal(err)
			}
			for _, id := range tc.wantSelected {
				if s := storyOf(t, p, id); !s.Selected {
					t.Errorf("%s: got skipped %q, want selected", id, s.Skipped)
				}
			}
			for _, id := range tc.wantStale {
				if s := storyOf(t, p, id); s.Selected || s.Skipped != "stale" {
					t.Errorf("%s: got selected=%v skipped=%q, want skipped \"stale\"", id, s.Selected, s.Skipped)
				}
			}
		})
	}
}

// TestLaterCopiesOfPublishedStories: the previous edition published
// pg-news-18; its copies first seen since (an aggregator's link, a re-post, a
// syndicated copy) must not bring the story back when the caller passes the
// published item along, although it was first seen before the window.
func TestLaterCopiesOfPublishedStories(t *testing.T) {
	fx := loadFixture(t)
	copies := []string{"hn-pg18", "lobsters-pg18", "planet-pg18"}
	tests := []struct {
		name       string
		published  string // id of the item in the earlier edition, passed in Items and Exclude
		wantAbsent bool
	}{
		{"copies of a story published in the last edition are dropped", "pg-news-18", true},
		{"without the published item the copies come back", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := fx.input(copies...)
			in.From = time.Date(2026, 11, 25, 13, 0, 0, 0, time.UTC) // edition 1 ended here
			if tc.published != "" {
				in.Items = append(in.Items, fx.item(t, tc.published)) // first seen 12:20, before From
				in.Exclude = map[string]bool{tc.published: true}
			}
			p, err := Explain(Definition{Name: "t"}, in)
			if err != nil {
				t.Fatal(err)
			}
			if tc.wantAbsent {
				wantAbsent(t, p, append(copies, tc.published)...)
				if len(p.Dropped) != len(copies) || !strings.Contains(p.Dropped[0].Reason, "already in an edition (item pg-news-18)") {
					t.Errorf("got dropped %+v, want the %d copies dropped as already published", p.Dropped, len(copies))
				}
				if p.Excluded != 0 {
					t.Errorf("got %d excluded, want 0: the published item is not in the window", p.Excluded)
				}
				return
			}
			if len(p.Selected()) == 0 {
				t.Errorf("got no story selected, want the copies back (the caller passed no published item)")
			}
		})
	}
}
