package digest

import (
	"slices"
	"strings"
	"testing"

	"github.com/tidings/tidings"
)

func TestClusters(t *testing.T) {
	fx := loadFixture(t)
	tests := []struct {
		name     string
		ids      []string
		want     [][]string // groups, best member first
		wantSize int        // number of feeds of the first group
	}{
		{
			name: "original, aggregator with utm params, re-post with http and fragment",
			ids:  []string{"hn-pg18", "lobsters-pg18", "pg-news-18"},
			want: [][]string{{"pg-news-18", "lobsters-pg18", "hn-pg18"}}, // then by text length: "via pgsql" beats "Comments"
		},
		{
			name: "syndicated copy with a footer and another title",
			ids:  []string{"planet-pg18", "pg-news-18"},
			want: [][]string{{"pg-news-18", "planet-pg18"}},
		},
		{
			name: "wire copies with edited leads, a reprint with an added paragraph",
			ids:  []string{"metro-nvidia", "ap-nvidia", "reuters-nvidia"},
			want: [][]string{{"reuters-nvidia", "ap-nvidia", "metro-nvidia"}},
		},
		{
			name: "two earnings reports from the same wire stay apart",
			ids:  []string{"reuters-nvidia", "reuters-amd"},
			want: [][]string{{"reuters-amd"}, {"reuters-nvidia"}},
		},
		{
			name: "two PostgreSQL posts stay apart",
			ids:  []string{"pg-news-18", "planet-autovac"},
			want: [][]string{{"pg-news-18"}, {"planet-autovac"}},
		},
		{
			name: "release notes sharing boilerplate and a newsletter citing them stay apart",
			ids:  []string{"rust-192", "rust-1911", "twir-626"},
			want: [][]string{{"rust-1911"}, {"rust-192"}, {"twir-626"}},
		},
		{
			name: "title with a site-name suffix and an aggregator's discussion page",
			ids:  []string{"hn-k8s", "acme-k8s"},
			want: [][]string{{"acme-k8s", "hn-k8s"}},
		},
		{
			name: "short generic titles do not merge",
			ids:  []string{"status-weekly", "garden-weekly"},
			want: [][]string{{"garden-weekly"}, {"status-weekly"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			plan, err := Explain(Definition{Name: "t"}, fx.input(tc.ids...))
			if err != nil {
				t.Fatal(err)
			}
			got := groupsOf(plan)
			if !slices.EqualFunc(got, sortGroups(tc.want), slices.Equal) {
				t.Errorf("got groups %v, want %v", got, sortGroups(tc.want))
			}
		})
	}

	t.Run("whole fixture matches the story labels", func(t *testing.T) {
		plan, err := Explain(Definition{Name: "t"}, fx.input())
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range plan.Stories {
			want := fx.story(s.ItemID)
			for _, m := range s.Members {
				if got := fx.story(m); got != want {
					t.Errorf("item %s (story %s) merged into story %s", m, got, want)
				}
			}
		}
		labels := map[string]bool{}
		for _, it := range fx.Items {
			if !it.FirstSeen.Before(fx.Window.From) {
				labels[it.Story] = true
			}
		}
		if len(plan.Stories) != len(labels) {
			t.Errorf("got %d stories, want %d", len(plan.Stories), len(labels))
		}
	})
}

// groupsOf returns each story's members, best first, the groups sorted by
// their first member.
func groupsOf(p Plan) [][]string {
	var out [][]string
	for _, s := range p.Stories {
		out = append(out, s.Members)
	}
	return sortGroups(out)
}

func sortGroups(g [][]string) [][]string {
	g = slices.Clone(g)
	slices.SortFunc(g, func(a, b []string) int { return strings.Compare(a[0], b[0]) })
	return g
}

// TestSimHashSeparation measures SimHash distances between every pair of
// fixture texts long enough to fingerprint: duplicates must be within
// simThreshold, different stories beyond it. Run with -v to see the
// distances that docs/bench-digest.md quotes.
func TestSimHashSeparation(t *testing.T) {
	fx := loadFixture(t)
	type fp struct {
		id, story string
		tp        textPrint
	}
	var fps []fp
	for _, it := range fx.Items {
		tp := printText(plainText(it.Item))
		if tp.words >= minSimWords {
			fps = append(fps, fp{it.ID, it.Story, tp})
		}
	}
	maxSame, minDiff := -1, 129
	minJac, maxJac := 1.0, 0.0
	for i := range fps {
		for j := i + 1; j < len(fps); j++ {
			d := fps[i].tp.sim.distance(fps[j].tp.sim)
			jac := fps[i].tp.mins.jaccard(&fps[j].tp.mins)
			same := fps[i].story == fps[j].story
			if same {
				maxSame = max(maxSame, d)
				minJac = min(minJac, jac)
				t.Logf("same story %-16s %-16s %2d bits, jaccard %.2f", fps[i].id, fps[j].id, d, jac)
			} else {
				minDiff = min(minDiff, d)
				maxJac = max(maxJac, jac)
			}
			if got := sameText(&fps[i].tp, &fps[j].tp); got != same {
				t.Errorf("%s and %s (%d bits, jaccard %.2f): got same=%v, want %v", fps[i].id, fps[j].id, d, jac, got, same)
			}
		}
	}
	t.Logf("duplicates: at most %d bits apart, jaccard at least %.2f; different stories: at least %d bits apart, jaccard at most %.2f",
		maxSame, minJac, minDiff, maxJac)
}

func TestCanonicalURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://www.Example.com/a/b/?utm_source=x&utm_medium=y#top", "example.com/a/b"},
		{"http://example.com/a/b", "example.com/a/b"},
		{"https://example.com:443/a?fbclid=1&gclid=2&id=7", "example.com/a?id=7"},
		{"https://example.com/a?b=2&a=1&ref=hn", "example.com/a?a=1&b=2"},
		{"https://example.com:8080/", "example.com:8080"},
		{"https://youtube.com/watch?v=abc&si=share", "youtube.com/watch?v=abc"},
		{"https://example.com/Case/Path", "example.com/Case/Path"},
		{"http://[::1]:8080/x/", "[::1]:8080/x"},
		{"ftp://example.com/file", ""},
		{"/relative/path", ""},
		{"mailto:someone@example.com", ""},
		{"", ""},
	}
	for _, tc := range tests {
		if got := canonicalURL(tc.in); got != tc.want {
			t.Errorf("canonicalURL(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestNormalizeTitle(t *testing.T) {
	acme := &tidings.Feed{Title: "Acme Engineering Blog", SiteURL: "https://engineering.acme.example/"}
	tests := []struct {
		title string
		feed  *tidings.Feed
		link  string
		want  string
	}{
		{"Why we moved off Kubernetes - Acme Engineering", acme, "", "why we moved off kubernetes"},
		{"Why We Moved Off Kubernetes", &tidings.Feed{Title: "Hacker News"}, "", "why we moved off kubernetes"},
		{"PostgreSQL 18 Released! | Lobsters", nil, "", "postgresql 18 released"},
		{"PostgreSQL 18 Released (postgresql.org)", nil, "", "postgresql 18 released"},
		{"Go 1.26 is out — what's new", nil, "https://go.dev/blog/go1.26", "go 1 26 is out whats new"},
		{"Rust 2026 - the year ahead", &tidings.Feed{Title: "Rust Blog"}, "", "rust 2026 the year ahead"},
		{"Kubernetes: the hard parts – InfoQ", nil, "https://www.infoq.com/articles/k8s", "kubernetes the hard parts"},
		// marks of revised or flagged wire copies
		{"UPDATE 2-Nimbus quarterly revenue hits record", nil, "", "nimbus quarterly revenue hits record"},
		{"Elephantly raises $50M for serverless Postgres (update 3)", nil, "", "elephantly raises 50m for serverless postgres"},
		{"Updated: Airline grounds flights after outage", nil, "", "airline grounds flights after outage"},
		{"EXCLUSIVE-Chipmaker weighs sale of its modem unit [Updated]", nil, "", "chipmaker weighs sale of its modem unit"},
		{"Breaking: city council approves fiber network", nil, "", "city council approves fiber network"},
		{"Update on the migration plan", nil, "", "update on the migration plan"},
		{"Breaking changes in Go 1.26", nil, "", "breaking changes in go 1 26"},
		{"Update:", nil, "", "update"},
		{"Update 2026-11-25 of the status page", nil, "", "update 2026 11 25 of the status page"},
		{"(Updated)", nil, "", "updated"},
	}
	for _, tc := range tests {
		if got := normalizeTitle(tc.title, tc.feed, tc.link); got != tc.want {
			t.Errorf("normalizeTitle(%q) = %q, want %q", tc.title, got, tc.want)
		}
	}
}

func TestUnionFindDeterministic(t *testing.T) {
	u := newUnionFind(5)
	u.union(4, 3)
	u.union(3, 1)
	if got := u.find(4); got != 1 {
		t.Errorf("root of 4 = %d, want 1 (the smallest index)", got)
	}
}

func FuzzCanonicalURL(f *testing.F) {
	fx := loadFixture(f)
	for _, it := range fx.Items {
		f.Add(it.URL)
	}
	f.Add("https://example.com/?utm_source=a&x=%zz#f")
	f.Fuzz(func(t *testing.T, raw string) {
		c := canonicalURL(raw)
		if c == "" {
			return
		}
		// Canonicalizing again must not change it.
		if again := canonicalURL("https://" + c); again != c {
			t.Errorf("canonicalURL(%q) = %q, but canonicalURL(https://%s) = %q", raw, c, c, again)
		}
	})
}

func FuzzSimHash(f *testing.F) {
	fx := loadFixture(f)
	for _, it := range fx.Items {
		f.Add(plainText(it.Item))
	}
	f.Fuzz(func(t *testing.T, text string) {
		a, b := printText(text), printText(text+" — !! ")
		if a != b {
			t.Errorf("trailing punctuation changed the fingerprint: %+v vs %+v", a, b)
		}
		if a.words >= minSimWords && a.mins.jaccard(&b.mins) != 1 {
			t.Errorf("a text's sketch differs from itself")
		}
	})
}

func FuzzNormalizeTitle(f *testing.F) {
	fx := loadFixture(f)
	for _, it := range fx.Items {
		f.Add(it.Title)
	}
	for _, s := range []string{"UPDATE 2-x (update 3)", "Update:", "(Updated)", "[update]", "breaking news: update 1- y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, title string) {
		got := normalizeTitle(title, nil, "")
		if got != words(got) {
			t.Errorf("normalizeTitle(%q) = %q, not normalized", title, got)
		}
	})
}
