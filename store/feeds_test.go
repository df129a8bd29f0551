package store

import (
	"errors"
	"testing"
	"time"

	"github.com/tidings/tidings"
)

func TestFeedsCRUD(t *testing.T) {
	db := openTest(t)
	b := addFeed(t, db, "https://b.example/feed")
	a := addFeed(t, db, "https://a.example/feed")
	if a.ID != tidings.NewFeedID(a.URL) || !a.Added.Equal(t0) {
		t.Errorf("AddFeed = id %d added %v, want id %d added %v", a.ID, a.Added, tidings.NewFeedID(a.URL), t0)
	}
	if _, err := db.AddFeed(tidings.Feed{URL: a.URL}); !errors.Is(err, tidings.ErrExists) {
		t.Errorf("AddFeed duplicate = %v, want ErrExists", err)
	}
	if _, err := db.Feed(12345); !errors.Is(err, tidings.ErrNotFound) {
		t.Errorf("Feed(unknown) = %v, want ErrNotFound", err)
	}
	if _, err := db.FeedByURL("https://nope.example/"); !errors.Is(err, tidings.ErrNotFound) {
		t.Errorf("FeedByURL(unknown) = %v, want ErrNotFound", err)
	}
	fs, err := db.Feeds()
	if err != nil || len(fs) != 2 || fs[0].URL != a.URL || fs[1].URL != b.URL {
		t.Fatalf("Feeds = %v, %v; want a, b by URL", fs, err)
	}

	// A promoted redirect changes the URL; the id stays.
	b.URL = "https://b.example/new-feed"
	b.Title = "B"
	if err := db.SaveFeed(b); err != nil {
		t.Fatal(err)
	}
	if _, err := db.FeedByURL("https://b.example/feed"); !errors.Is(err, tidings.ErrNotFound) {
		t.Errorf("old URL still found: %v", err)
	}
	got, err := db.FeedByURL(b.URL)
	if err != nil || got.ID != b.ID || got.Title != "B" {
		t.Errorf("FeedByURL(new) = %+v, %v", got, err)
	}
	// Taking another feed's URL is refused.
	b.URL = a.URL
	if err := db.SaveFeed(b); !errors.Is(err, tidings.ErrExists) {
		t.Errorf("SaveFeed with a taken URL = %v, want ErrExists", err)
	}

	// Saving an unchanged feed commits nothing.
	got, _ = db.Feed(a.ID)
	before := txID(t, db)
	if err := db.SaveFeed(got); err != nil {
		t.Fatal(err)
	}
	if after := txID(t, db); after != before {
		t.Errorf("SaveFeed of an unchanged feed committed (tx %d -> %d)", before, after)
	}

	if err := db.RemoveFeed(a.ID); err != nil {
		t.Fatal(err)
	}
	if err := db.RemoveFeed(a.ID); !errors.Is(err, tidings.ErrNotFound) {
		t.Errorf("RemoveFeed twice = %v, want ErrNotFound", err)
	}
	if fs, _ := db.Feeds(); len(fs) != 1 {
		t.Errorf("Feeds after remove = %d, want 1", len(fs))
	}
	if due, _ := db.DueFeeds(t0.Add(1000 * time.Hour)); len(due) != 1 || due[0].ID != b.ID {
		t.Errorf("removed feed still due: %v", due)
	}
}

func TestDueIndex(t *testing.T) {
	db := openTest(t)
	if next, err := db.NextDue(); err != nil || !next.IsZero() {
		t.Errorf("NextDue of empty store = %v, %v; want zero", next, err)
	}
	feeds := map[string]time.Duration{"https://c.example/": 30 * time.Minute, "https://a.example/": 10 * time.Minute,
		"https://b.example/": 20 * time.Minute, "https://late.example/": 5 * time.Hour, "https://off.example/": time.Minute}
	ids := map[string]uint64{}
	for url, d := range feeds {
		f := addFeed(t, db, url)
		f.State.NextCheck = t0.Add(d)
		f.State.Disabled = url == "https://off.example/"
		if err := db.SaveFeed(f); err != nil {
			t.Fatal(err)
		}
		ids[url] = f.ID
	}
	due, err := db.DueFeeds(t0.Add(30 * time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range due {
		got = append(got, f.URL)
	}
	want := []string{"https://a.example/", "https://b.example/", "https://c.example/"}
	if len(got) != len(want) {
		t.Fatalf("DueFeeds = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("DueFeeds = %v, want %v", got, want)
		}
	}
	if next, _ := db.NextDue(); !next.Equal(t0.Add(10 * time.Minute)) {
		t.Errorf("NextDue = %v, want %v", next, t0.Add(10*time.Minute))
	}
	// Rescheduling moves the index entry rather than adding one.
	a, _ := db.Feed(ids["https://a.example/"])
	a.State.NextCheck = t0.Add(10 * time.Hour)
	if err := db.SaveFeed(a); err != nil {
		t.Fatal(err)
	}
	if due, _ := db.DueFeeds(t0.Add(30 * time.Minute)); len(due) != 2 {
		t.Errorf("after reschedule %d due, want 2", len(due))
	}
	if next, _ := db.NextDue(); !next.Equal(t0.Add(20 * time.Minute)) {
		t.Errorf("NextDue = %v, want %v", next, t0.Add(20*time.Minute))
	}
	// A feed never scheduled is due at once.
	n := addFeed(t, db, "https://new.example/")
	if due, _ := db.DueFeeds(t0); len(due) != 1 || due[0].ID != n.ID {
		t.Errorf("new feed not due: %v", due)
	}
	if next, _ := db.NextDue(); next.After(t0) {
		t.Errorf("NextDue with an unscheduled feed = %v, want a past time", next)
	}
}

func TestAddFeedsOneTransaction(t *testing.T) {
	db := openTest(t)
	old := addFeed(t, db, "https://old.example/feed")
	before := txID(t, db)
	added, err := db.AddFeeds([]tidings.Feed{
		{URL: " https://a.example/feed ", Section: "Eng"},
		{URL: old.URL, Title: "already there"},
		{URL: "https://b.example/feed"},
		{URL: "https://a.example/feed", Title: "a repeat"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(added) != 2 || added[0].URL != "https://a.example/feed" || added[1].URL != "https://b.example/feed" {
		t.Fatalf("added %+v, want a and b", added)
	}
	if added[0].ID != tidings.NewFeedID(added[0].URL) || !added[0].Added.Equal(t0) || added[0].Section != "Eng" {
		t.Errorf("added[0] = %+v", added[0])
	}
	if got := txID(t, db); got != before+1 {
		t.Errorf("%d write transactions, want 1", got-before)
	}
	fs, err := db.Feeds()
	if err != nil || len(fs) != 3 {
		t.Fatalf("Feeds = %d, %v; want 3", len(fs), err)
	}
	if f, err := db.FeedByURL(old.URL); err != nil || f.Title != old.Title {
		t.Errorf("the stored feed changed: %+v, %v", f, err)
	}
	due, err := db.DueFeeds(t0)
	if err != nil || len(due) != 3 {
		t.Errorf("due feeds = %d, %v; want all 3 (the due index is written too)", len(due), err)
	}

	// An empty URL fails the call before anything is written.
	before = txID(t, db)
	if _, err := db.AddFeeds([]tidings.Feed{{URL: "https://c.example/feed"}, {URL: "  "}}); err == nil {
		t.Error("empty URL accepted")
	}
	if got := txID(t, db); got != before {
		t.Errorf("a failed AddFeeds wrote %d transactions", got-before)
	}
	if _, err := db.FeedByURL("https://c.example/feed"); !errors.Is(err, tidings.ErrNotFound) {
		t.Errorf("feed c stored by a failed call: %v", err)
	}
}

func TestAddFeedsIDTaken(t *testing.T) {
	db := openTest(t)
	a := addFeed(t, db, "https://a.example/feed")
	_, err := db.AddFeeds([]tidings.Feed{{URL: "https://b.example/feed"}, {URL: "https://c.example/feed", ID: a.ID}})
	if !errors.Is(err, tidings.ErrExists) {
		t.Fatalf("AddFeeds with a taken id = %v, want ErrExists", err)
	}
	if _, err := db.FeedByURL("https://b.example/feed"); !errors.Is(err, tidings.ErrNotFound) {
		t.Errorf("a failed AddFeeds stored feed b: %v", err)
	}
}
