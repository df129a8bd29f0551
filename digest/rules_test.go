package digest

import (
	"strings"
	"testing"

	"github.com/tidings/tidings"
)

func TestCompileRuleErrors(t *testing.T) {
	tests := []struct {
		name string
		spec RuleSpec
		want string // part of the error
	}{
		{"bad regex", RuleSpec{Field: "title", Regex: "post(gres", Action: "drop"}, "regex"},
		{"unknown field", RuleSpec{Field: "body", Match: "x", Action: "drop"}, `field "body" is unknown`},
		{"unknown action", RuleSpec{Match: "x", Action: "hide"}, `action "hide" is unknown`},
		{"no action", RuleSpec{Match: "x"}, "no action"},
		{"boost without value", RuleSpec{Match: "x", Action: "boost"}, "positive value"},
		{"lower with negative value", RuleSpec{Match: "x", Action: "lower", Value: -1}, "positive value"},
		{"section without name", RuleSpec{Match: "x", Action: "section"}, "needs a section"},
		{"section on another action", RuleSpec{Match: "x", Action: "drop", Section: "News"}, "use action \"section\""},
		{"match and regex", RuleSpec{Match: "x", Regex: "y", Action: "drop"}, "both match and regex"},
		{"no pattern", RuleSpec{Action: "drop"}, "needs match or regex"},
		{"blank phrase", RuleSpec{Match: "   ", Action: "drop"}, "needs match or regex"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := CompileRule(tc.spec)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestRuleMatches(t *testing.T) {
	feed := tidings.Feed{ID: 9, URL: "https://blog.example.com/feed.xml", Title: "Example Blog"}
	item := tidings.Item{
		Title:      "Go 1.26 brings faster C++ interop for PostgreSQL drivers",
		URL:        "https://blog.example.com/2026/go-1-26?utm_source=x",
		Authors:    []string{"Ada Lovelace"},
		Categories: []string{"Databases", "Go"},
		Content:    "<p>The new release &amp; its <b>runtime</b> changes.</p>",
	}
	tests := []struct {
		spec RuleSpec
		want bool
	}{
		{RuleSpec{Field: "title", Match: "go"}, true},
		{RuleSpec{Field: "title", Match: "GO 1.26"}, true},
		{RuleSpec{Field: "title", Match: "goo"}, false},
		{RuleSpec{Field: "title", Match: "post"}, false}, // whole words only
		{RuleSpec{Field: "title", Match: "c++"}, true},
		{RuleSpec{Field: "title", Match: "faster   c++"}, true},
		{RuleSpec{Field: "title", Regex: `Go \d+\.\d+`}, true},
		{RuleSpec{Field: "url", Match: "blog.example.com"}, true},
		{RuleSpec{Field: "content", Match: "runtime changes"}, true}, // tags removed
		{RuleSpec{Field: "content", Match: "release & its"}, true},   // entities decoded
		{RuleSpec{Field: "content", Match: "b"}, false},              // not the tag
		{RuleSpec{Field: "author", Match: "lovelace"}, true},
		{RuleSpec{Field: "category", Match: "databases"}, true},
		{RuleSpec{Field: "category", Match: "rust"}, false},
		{RuleSpec{Field: "feed", Match: "example blog"}, true},
		{RuleSpec{Field: "any", Match: "ada"}, true},
		{RuleSpec{Match: "runtime"}, true}, // field defaults to any
		{RuleSpec{Field: "title", Match: "ada"}, false},
	}
	for _, tc := range tests {
		tc.spec.Action = ActionDrop
		r := mustRule(t, tc.spec)
		if got := r.Matches(item, feed); got != tc.want {
			t.Errorf("rule %s on field %s: got %v, want %v", r, tc.spec.Field, got, tc.want)
		}
	}
}

func TestRuleAppliesTo(t *testing.T) {
	f := tidings.Feed{ID: tidings.NewFeedID("https://old.example.com/feed"), URL: "https://new.example.com/feed"}
	tests := []struct {
		feedURL string
		want    bool
	}{
		{"", true},
		{"https://new.example.com/feed", true},
		{"https://NEW.example.com/feed/", true},
		{"https://old.example.com/feed", true}, // subscribed URL, redirected since
		{"https://other.example.com/feed", false},
	}
	for _, tc := range tests {
		r := mustRule(t, RuleSpec{Match: "x", Action: "drop", FeedURL: tc.feedURL})
		if got := r.AppliesTo(f); got != tc.want {
			t.Errorf("rule for %q applies to %s: got %v, want %v", tc.feedURL, f.URL, got, tc.want)
		}
	}
}

// TestRuleActions runs each action on the fixture and checks its effect on
// the plan.
func TestRuleActions(t *testing.T) {
	fx := loadFixture(t)
	base, err := Explain(Definition{Name: "t"}, fx.input())
	if err != nil {
		t.Fatal(err)
	}
	const hn = "https://news.ycombinator.com/rss"
	tests := []struct {
		name  string
		rules []RuleSpec
		check func(t *testing.T, p Plan)
	}{
		{
			name:  "drop removes matching items before clustering",
			rules: []RuleSpec{{Field: "title", Match: "weekly update", Action: "drop"}},
			check: func(t *testing.T, p Plan) {
				wantAbsent(t, p, "status-weekly", "garden-weekly")
				if len(p.Dropped) != 2 || !strings.Contains(p.Dropped[0].Reason, "drop 'weekly update'") {
					t.Errorf("got dropped %+v, want the two weekly updates with the rule as reason", p.Dropped)
				}
			},
		},
		{
			name:  "global keep-only keeps only matching items",
			rules: []RuleSpec{{Field: "any", Match: "postgresql", Action: "keep"}},
			check: func(t *testing.T, p Plan) {
				for _, s := range p.Stories {
					if fx.story(s.ItemID) != "pg18" && fx.story(s.ItemID) != "autovac" {
						t.Errorf("story %s kept, want only PostgreSQL stories", s.ItemID)
					}
				}
				wantPresent(t, p, "pg-news-18", "planet-autovac")
			},
		},
		{
			name:  "per-feed keep-only filters only that feed",
			rules: []RuleSpec{{Field: "title", Match: "kubernetes", Action: "keep", FeedURL: hn}},
			check: func(t *testing.T, p Plan) {
				wantAbsent(t, p, "hn-tinyq") // HN item not about kubernetes
				wantPresent(t, p, "reuters-amd", "garden-weekly")
				s := storyOf(t, p, "acme-k8s")
				if len(s.Members) != 2 {
					t.Errorf("got members %v, want the HN copy kept", s.Members)
				}
				// pg18's HN copy is gone, the others remain
				if s := storyOf(t, p, "pg-news-18"); len(s.Sources) != 3 {
					t.Errorf("got sources %v, want 3 without Hacker News", s.Sources)
				}
			},
		},
		{
			name:  "per-feed drop does not touch other feeds",
			rules: []RuleSpec{{Field: "title", Match: "nvidia", Action: "drop", FeedURL: "https://apnews.com/hub/technology/rss"}},
			check: func(t *testing.T, p Plan) {
				s := storyOf(t, p, "reuters-nvidia")
				if len(s.Members) != 2 {
					t.Errorf("got members %v, want Reuters and Metro without AP", s.Members)
				}
			},
		},
		{
			name:  "boost adds its value and says so",
			rules: []RuleSpec{{Field: "title", Match: "autovacuum", Action: "boost", Value: 3}},
			check: func(t *testing.T, p Plan) {
				s := storyOf(t, p, "planet-autovac")
				if d := s.Score - storyOf(t, base, "planet-autovac").Score; d < 2.999 || d > 3.001 {
					t.Errorf("got score change %v, want +3", d)
				}
				if !strings.Contains(s.Why, "rule: boost 'autovacuum' in title") {
					t.Errorf("got why %q", s.Why)
				}
				if p.Stories[0].ItemID != "planet-autovac" {
					t.Errorf("got first %s, want the boosted story", p.Stories[0].ItemID)
				}
			},
		},
		{
			name: "a rule counts once per story even when several members match",
			rules: []RuleSpec{{Field: "any", Match: "nvidia", Action: "lower", Value: 1},
				{Field: "content", Regex: `(?i)blackwell`, Action: "boost", Value: 0.5}},
			check: func(t *testing.T, p Plan) {
				s := storyOf(t, p, "reuters-nvidia")
				if d := s.Score - storyOf(t, base, "reuters-nvidia").Score; d < -0.501 || d > -0.499 {
					t.Errorf("got score change %v, want -1 + 0.5", d)
				}
			},
		},
		{
			name:  "pin puts the story first even with a low score",
			rules: []RuleSpec{{Field: "url", Match: "github.com", Action: "pin"}},
			check: func(t *testing.T, p Plan) {
				if p.Stories[0].ItemID != "hn-tinyq" || !p.Stories[0].Pinned {
					t.Errorf("got first %s pinned=%v, want hn-tinyq pinned", p.Stories[0].ItemID, p.Stories[0].Pinned)
				}
			},
		},
		{
			name: "section moves a story; a per-feed rule beats a global one",
			rules: []RuleSpec{
				{Field: "title", Match: "kubernetes", Action: "section", Section: "Ops", FeedURL: "https://engineering.acme.example/feed.xml"},
				{Field: "title", Match: "kubernetes", Action: "section", Section: "Cloud"},
				{Field: "title", Match: "nvidia", Action: "section", Section: "AI"},
			},
			check: func(t *testing.T, p Plan) {
				if got := storyOf(t, p, "acme-k8s").Section; got != "Ops" {
					t.Errorf("got section %q, want Ops", got)
				}
				if got := storyOf(t, p, "reuters-nvidia").Section; got != "AI" {
					t.Errorf("got section %q, want AI", got)
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			def := Definition{Name: "t"}
			for _, spec := range tc.rules {
				def.Rules = append(def.Rules, mustRule(t, spec))
			}
			p, err := Explain(def, fx.input())
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, p)
		})
	}
}

func storyOf(t *testing.T, p Plan, itemID string) Story {
	t.Helper()
	for _, s := range p.Stories {
		for _, m := range s.Members {
			if m == itemID {
				return s
			}
		}
	}
	t.Fatalf("no story has item %s", itemID)
	return Story{}
}

func hasItem(p Plan, id string) bool {
	for _, s := range p.Stories {
		for _, m := range s.Members {
			if m == id {
				return true
			}
		}
	}
	return false
}

func wantAbsent(t *testing.T, p Plan, ids ...string) {
	t.Helper()
	for _, id := range ids {
		if hasItem(p, id) {
			t.Errorf("item %s is in the plan, want it removed", id)
		}
	}
}

func wantPresent(t *testing.T, p Plan, ids ...string) {
	t.Helper()
	for _, id := range ids {
		if !hasItem(p, id) {
			t.Errorf("item %s is missing from the plan", id)
		}
	}
}

func FuzzCompileRule(f *testing.F) {
	f.Add("title", "postgres", "", "boost", 1.0)
	f.Add("any", "", `(?i)\bgo\b`, "keep", 0.0)
	f.Add("content", "c++", "", "drop", 0.0)
	f.Fuzz(func(t *testing.T, field, match, regex, action string, value float64) {
		sec := ""
		if action == ActionSection {
			sec = "S"
		}
		r, err := CompileRule(RuleSpec{Field: field, Match: match, Regex: regex, Action: action, Value: value, Section: sec})
		if err != nil {
			return
		}
		_ = r.Matches(tidings.Item{Title: match, Text: regex}, tidings.Feed{})
		_ = r.String()
	})
}
