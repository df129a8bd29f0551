package feed_test

import (
	"testing"

	"github.com/tidings/tidings"
	"github.com/tidings/tidings/feed"
)

// TestProgressKindAndDuration: each feed's progress report carries its
// outcome and how long its poll took (the daemon's per-fetch metrics).
func TestProgressKindAndDuration(t *testing.T) {
	doc := rssDoc(rssItem("a", "A", "first"))
	tests := []struct {
		name    string
		replies []reply
		polls   int
		want    string
	}{
		{"ok", []reply{{body: doc}}, 1, "ok"},
		{"not modified", []reply{{header: map[string]string{"ETag": `"v1"`}, body: doc}, {status: 304}}, 2, "not_modified"},
		{"http error", []reply{{status: 500}}, 1, feed.KindHTTP},
		{"gone", []reply{{status: 410}}, 1, feed.KindGone},
		{"parse error", []reply{{body: "<html>not a feed</html>"}}, 1, feed.KindParse},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFarm(t, map[string][]reply{"/f.xml": tt.replies})
			e := newEnv(t, feed.Options{})
			id := e.add(t, f.url("/f.xml")).ID
			var got []feed.Progress
			for range tt.polls {
				fd, err := e.db.Feed(id)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := e.p.PollFeeds(t.Context(), []tidings.Feed{fd}, func(p feed.Progress) { got = append(got, p) }); err != nil {
					t.Fatal(err)
				}
			}
			if len(got) != tt.polls {
				t.Fatalf("got %d progress reports, want %d", len(got), tt.polls)
			}
			last := got[len(got)-1]
			if last.Kind != tt.want {
				t.Errorf("Kind = %q, want %q (err %q)", last.Kind, tt.want, last.Err)
			}
			if last.Duration <= 0 {
				t.Errorf("Duration = %v, want > 0", last.Duration)
			}
			if last.FeedURL != f.url("/f.xml") {
				t.Errorf("FeedURL = %q, want %q", last.FeedURL, f.url("/f.xml"))
			}
		})
	}
}
