package feed_test

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/tidings/tidings"
	"github.com/tidings/tidings/feed"
)

// TestStopFinishesInFlightStartsNoMore: once Options.Stop is closed, the
// feed being fetched is still parsed and stored, and no further feed of the
// cycle is started (a stopping daemon drains, it does not cut work off).
func TestStopFinishesInFlightStartsNoMore(t *testing.T) {
	stop := make(chan struct{})
	var once sync.Once
	closeStop := func(*testing.T, *http.Request) { once.Do(func() { close(stop) }) }
	f := newFarm(t, map[string][]reply{
		"/a.xml": {{body: rssDoc(rssItem("a1", "A one", "first")), check: closeStop}},
		"/b.xml": {{body: rssDoc(rssItem("b1", "B one", "second"))}},
		"/c.xml": {{body: rssDoc(rssItem("c1", "C one", "third"))}},
	})
	e := newEnv(t, feed.Options{Workers: 1, Stop: stop})
	var feeds []tidings.Feed
	for _, p := range []string{"/a.xml", "/b.xml", "/c.xml"} {
		feeds = append(feeds, e.add(t, f.url(p)))
	}
	// Due order decides which feed goes first.
	for i := range feeds {
		feeds[i].State.NextCheck = e.clock.Now().Add(-time.Duration(len(feeds)-i) * time.Minute)
	}

	res, err := e.p.PollFeeds(t.Context(), feeds, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Feeds != 1 || res.New != 1 {
		t.Errorf("got %d feeds polled with %d new items, want 1 and 1", res.Feeds, res.New)
	}
	if got := f.hitCount("/b.xml") + f.hitCount("/c.xml"); got != 0 {
		t.Errorf("got %d requests for feeds after the stop, want 0", got)
	}
	items, err := e.db.FeedItems(feeds[0].ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 1 || items[0].Title != "A one" {
		t.Errorf("got items %v of the feed in flight, want its one item stored", items)
	}
}
