package store

import (
	"encoding/binary"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/tidings/tidings"
)

func TestSavePoll(t *testing.T) {
	db := openTest(t)
	f := addFeed(t, db, "https://example.org/feed.xml")
	t1, t2 := t0.Add(time.Hour), t0.Add(2*time.Hour)

	steps := []struct {
		name  string
		now   time.Time
		items []tidings.Item
		want  tidings.PollResult
	}{
		{"first poll", t0, []tidings.Item{item("a", "alpha"), item("b", "beta"), item("c", "gamma")}, tidings.PollResult{New: 3}},
		{"same again", t1, []tidings.Item{item("a", "alpha"), item("b", "beta"), item("c", "gamma")}, tidings.PollResult{Unchanged: 3}},
		{"one edited, one new", t2, []tidings.Item{item("a", "alpha v2"), item("b", "beta"), item("d", "delta")}, tidings.PollResult{New: 1, Updated: 1, Unchanged: 1}},
		{"duplicate in one poll", t2, []tidings.Item{item("e", "eps"), item("e", "eps")}, tidings.PollResult{New: 1, Unchanged: 1}},
		{"duplicate edited in one poll", t2, []tidings.Item{item("g", "one"), item("g", "two")}, tidings.PollResult{New: 1, Updated: 1}},
	}
	for _, s := range steps {
		if got := poll(t, db, f, s.now, s.items...); got != s.want {
			t.Errorf("%s: got %+v, want %+v", s.name, got, s.want)
		}
	}
	a, err := db.Item(tidings.ItemID(f.ID, "a"))
	if err != nil {
		t.Fatal(err)
	}
	if !a.FirstSeen.Equal(t0) || !a.LastSeen.Equal(t2) || a.Text != "alpha v2" || a.FeedID != f.ID {
		t.Errorf("updated item: first %v last %v text %q feed %d; want first %v last %v", a.FirstSeen, a.LastSeen, a.Text, a.FeedID, t0, t2)
	}
	if !a.Published.Equal(t0) {
		t.Errorf("missing Published = %v, want FirstSeen %v", a.Published, t0)
	}
	if items, _ := db.FeedItems(f.ID, 0); len(items) != 6 {
		t.Errorf("%d items stored, want 6", len(items))
	}
	if g, err := db.Item(tidings.ItemID(f.ID, "g")); err != nil || g.Text != "two" {
		t.Errorf("item listed twice: %v, text %q; want the second version", err, g.Text)
	}
	if _, err := db.Item("0123456789abcdef0123"); !errors.Is(err, tidings.ErrNotFound) {
		t.Errorf("Item(unknown) = %v, want ErrNotFound", err)
	}
	// An item without identity is refused.
	if _, err := db.SavePoll(f, []tidings.Item{{Title: "x"}}, t2); err == nil {
		t.Error("SavePoll accepted an item without identity")
	}
}

func TestSavePollWritesNothingWhenNothingChanged(t *testing.T) {
	db := openTest(t)
	f := addFeed(t, db, "https://example.org/feed.xml")
	f.State.LastCheck = t0
	if _, err := db.SavePoll(f, []tidings.Item{item("a", "alpha")}, t0); err != nil {
		t.Fatal(err)
	}
	before := txID(t, db)
	res, err := db.SavePoll(f, []tidings.Item{item("a", "alpha")}, t0.Add(time.Minute))
	if err != nil || res != (tidings.PollResult{Unchanged: 1}) {
		t.Fatalf("SavePoll = %+v, %v", res, err)
	}
	if after := txID(t, db); after != before {
		t.Errorf("a poll that changed nothing committed (tx %d -> %d)", before, after)
	}
	// Only the feed state changes: one commit, items untouched.
	f.State.LastCheck = t0.Add(time.Minute)
	if _, err := db.SavePoll(f, []tidings.Item{item("a", "alpha")}, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if after := txID(t, db); after != before+1 {
		t.Errorf("feed-state-only poll: tx %d -> %d, want one commit", before, after)
	}
	a, _ := db.Item(tidings.ItemID(f.ID, "a"))
	if !a.LastSeen.Equal(t0) {
		t.Errorf("unchanged item rewritten: LastSeen %v, want %v", a.LastSeen, t0)
	}
}

func TestPruneNeverResurrects(t *testing.T) {
	db := openTest(t)
	f := addFeed(t, db, "https://example.org/feed.xml")
	old := []tidings.Item{item("a", "alpha"), item("b", "beta")}
	poll(t, db, f, t0.Add(-48*time.Hour), old...)
	poll(t, db, f, t0, item("c", "gamma"))

	n, err := db.Prune(t0.Add(-time.Hour), 0)
	if err != nil || n != 2 {
		t.Fatalf("Prune = %d, %v; want 2", n, err)
	}
	if _, err := db.Item(tidings.ItemID(f.ID, "a")); !errors.Is(err, tidings.ErrNotFound) {
		t.Errorf("pruned item still there: %v", err)
	}
	known, err := db.KnownIdentities(f.ID, []string{"a", "b", "c", "z"})
	if err != nil || !known["a"] || !known["b"] || !known["c"] || known["z"] {
		t.Errorf("KnownIdentities = %v, %v; want a, b, c", known, err)
	}
	// The feed still lists the pruned items, and now an edited one too.
	before := txID(t, db)
	res := poll(t, db, f, t0, append(old, item("c", "gamma"))...)
	if res != (tidings.PollResult{Unchanged: 3}) {
		t.Errorf("re-poll = %+v, want 3 unchanged", res)
	}
	if txID(t, db) != before { // same feed state, nothing new: no commit at all
		t.Errorf("re-poll committed: tx %d -> %d", before, txID(t, db))
	}
	if items, _ := db.FeedItems(f.ID, 0); len(items) != 1 {
		t.Errorf("%d items after re-poll, want 1", len(items))
	}
	// Nothing pruned twice.
	if n, _ := db.Prune(t0.Add(-time.Hour), 0); n != 0 {
		t.Errorf("second Prune = %d, want 0", n)
	}
	// Removing and re-adding the feed keeps its seen-set.
	if err := db.RemoveFeed(f.ID); err != nil {
		t.Fatal(err)
	}
	f2 := addFeed(t, db, f.URL)
	if res := poll(t, db, f2, t0, append(old, item("c", "gamma"))...); res.New != 0 {
		t.Errorf("re-added feed: %+v, want no new items", res)
	}
	// PruneSeen forgets entries last known before the cutoff (pruning
	// stamped them with the clock, t0).
	if n, err := db.PruneSeen(t0); err != nil || n != 0 {
		t.Errorf("PruneSeen(t0) = %d, %v; want 0", n, err)
	}
	if n, err := db.PruneSeen(t0.Add(time.Second)); err != nil || n != 3 {
		t.Errorf("PruneSeen(after) = %d, %v; want 3", n, err)
	}
}

func TestPruneKeepsNewestPerFeed(t *testing.T) {
	db := openTest(t)
	f := addFeed(t, db, "https://a.example/")
	g := addFeed(t, db, "https://b.example/")
	for i, id := range []string{"1", "2", "3", "4"} {
		poll(t, db, f, t0.Add(time.Duration(i)*time.Hour), item(id, "f"+id))
	}
	poll(t, db, g, t0, item("x", "x"))
	n, err := db.Prune(t0.Add(10*time.Hour), 2)
	if err != nil || n != 2 {
		t.Fatalf("Prune = %d, %v; want 2", n, err)
	}
	items, _ := db.FeedItems(f.ID, 0)
	if len(items) != 2 || items[0].Identity != "4" || items[1].Identity != "3" {
		t.Errorf("kept %v, want 4, 3", items)
	}
	if items, _ := db.FeedItems(g.ID, 0); len(items) != 1 {
		t.Errorf("feed g lost its only item")
	}
}

func TestItemsFirstSeenAndFeedItems(t *testing.T) {
	db := openTest(t)
	f := addFeed(t, db, "https://a.example/")
	g := addFeed(t, db, "https://b.example/")
	poll(t, db, f, t0, item("1", "one"))
	poll(t, db, g, t0.Add(time.Hour), item("2", "two"))
	poll(t, db, f, t0.Add(2*time.Hour), item("3", "three"))
	poll(t, db, f, t0.Add(3*time.Hour), item("4", "four"))

	tests := []struct {
		from, to time.Time
		want     []string
	}{
		{t0, t0.Add(3 * time.Hour), []string{"1", "2", "3"}},
		{t0.Add(time.Hour), t0.Add(2 * time.Hour), []string{"2"}},
		{t0.Add(time.Minute), t0.Add(time.Hour), nil},
		{time.Time{}, t0.Add(24 * time.Hour), []string{"1", "2", "3", "4"}},
	}
	for _, tc := range tests {
		items, err := db.ItemsFirstSeen(tc.from, tc.to)
		if err != nil {
			t.Fatal(err)
		}
		if got := identities(items); !equal(got, tc.want) {
			t.Errorf("ItemsFirstSeen(%v, %v) = %v, want %v", tc.from, tc.to, got, tc.want)
		}
	}
	items, _ := db.FeedItems(f.ID, 2)
	if got := identities(items); !equal(got, []string{"4", "3"}) {
		t.Errorf("FeedItems(f, 2) = %v, want [4 3]", got)
	}
	items, _ = db.FeedItems(f.ID, 0)
	if got := identities(items); !equal(got, []string{"4", "3", "1"}) {
		t.Errorf("FeedItems(f, 0) = %v, want [4 3 1]", got)
	}
}

func identities(items []tidings.Item) []string {
	var s []string
	for _, it := range items {
		s = append(s, it.Identity)
	}
	return s
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestSeenRenewedWhileListed: a pruned item that its feed keeps listing has
// its seen-set entry renewed (at most weekly), so PruneSeen never forgets
// it while it can still come back.
func TestSeenRenewedWhileListed(t *testing.T) {
	db := openTest(t)
	f := addFeed(t, db, "https://example.org/feed.xml")
	a := item("a", "alpha")
	poll(t, db, f, t0.Add(-48*time.Hour), a)
	if n, _ := db.Prune(t0.Add(-time.Hour), 0); n != 1 {
		t.Fatalf("Prune = %d, want 1", n)
	}
	stamp := func() time.Time {
		var ts time.Time
		db.view(func(tx *bbolt.Tx) error {
			v := bkt(tx, bSeen).Get(seenKey(f.ID, itemKey(tidings.ItemID(f.ID, "a"))))
			ts = fromNS(binary.BigEndian.Uint64(v))
			return nil
		})
		return ts
	}
	if got := stamp(); !got.Equal(t0) {
		t.Fatalf("seen stamp after prune = %v, want %v", got, t0)
	}
	f, _ = db.Feed(f.ID)
	before := txID(t, db)
	if res, _ := db.SavePoll(f, []tidings.Item{a}, t0.Add(24*time.Hour)); res != (tidings.PollResult{Unchanged: 1}) || txID(t, db) != before {
		t.Errorf("poll a day later: %+v, tx %d -> %d; want unchanged, no commit", res, before, txID(t, db))
	}
	later := t0.Add(8 * 24 * time.Hour)
	if res, _ := db.SavePoll(f, []tidings.Item{a}, later); res != (tidings.PollResult{Unchanged: 1}) {
		t.Errorf("poll 8 days later: %+v", res)
	}
	if got := stamp(); !got.Equal(later) {
		t.Errorf("seen stamp = %v, want renewed to %v", got, later)
	}
	if n, _ := db.PruneSeen(t0.Add(24 * time.Hour)); n != 0 {
		t.Errorf("PruneSeen forgot a still-listed identity")
	}
}

// TestConcurrentPolls: polls of many feeds at once share batched commits
// and still count and store every item exactly once.
func TestConcurrentPolls(t *testing.T) {
	db := openTest(t)
	var feeds []tidings.Feed
	for i := range 8 {
		feeds = append(feeds, addFeed(t, db, "https://example.org/"+strconv.Itoa(i)))
	}
	results := make([]tidings.PollResult, len(feeds))
	var wg sync.WaitGroup
	for i, f := range feeds {
		wg.Go(func() {
			for round := range 3 {
				f.State.LastCheck = t0.Add(time.Duration(round) * time.Minute)
				res, err := db.SavePoll(f, []tidings.Item{item("a", "alpha"), item("b", "beta"), item(strconv.Itoa(round), "r")}, f.State.LastCheck)
				if err != nil {
					t.Error(err)
					return
				}
				results[i].New += res.New
				results[i].Unchanged += res.Unchanged
			}
		})
	}
	wg.Wait()
	for i, r := range results {
		if r.New != 5 || r.Unchanged != 4 {
			t.Errorf("feed %d: %+v, want 5 new, 4 unchanged", i, r)
		}
	}
	if st, _ := db.Stats(); st.Items != 40 || st.Seen != 40 {
		t.Errorf("stats: %d items, %d seen; want 40, 40", st.Items, st.Seen)
	}
}

// TestLargeItemPieces: a big item is stored in pieces, read back whole,
// and an update to a smaller body leaves no stale pieces behind.
func TestLargeItemPieces(t *testing.T) {
	db := openTest(t)
	f := addFeed(t, db, "https://example.org/feed.xml")
	big := newProse(5).article("big", 60000)
	big.Identity = "big"
	poll(t, db, f, t0, big)
	pieces := func() int {
		n := 0
		db.view(func(tx *bbolt.Tx) error { n = bkt(tx, bItems).Stats().KeyN; return nil })
		return n
	}
	if n := pieces(); n < 10 {
		t.Errorf("60 KB item stored in %d pieces, want many", n)
	}
	got, err := db.Item(tidings.ItemID(f.ID, "big"))
	if err != nil || got.Content != big.Content || got.Text != big.Text {
		t.Fatalf("big item did not round-trip: %v", err)
	}
	small := item("big", "now short")
	if res := poll(t, db, f, t0.Add(time.Hour), small); res.Updated != 1 {
		t.Fatalf("update = %+v", res)
	}
	if n := pieces(); n != 1 {
		t.Errorf("%d pieces after shrinking update, want 1", n)
	}
	if got, _ := db.Item(tidings.ItemID(f.ID, "big")); got.Text != "now short" || !got.FirstSeen.Equal(t0) {
		t.Errorf("after update: text %q first seen %v", got.Text, got.FirstSeen)
	}
}

// TestRememberIdentities: a remembered identity is known, and a poll that
// lists it stores nothing, as for a pruned item; stored items are left
// alone.
func TestRememberIdentities(t *testing.T) {
	db := openTest(t)
	f := addFeed(t, db, "https://example.org/feed.xml")
	poll(t, db, f, t0, item("https://example.org/a", "A"))
	if err := db.RememberIdentities(f.ID, []string{"https://example.org/a", "https://example.org/b"}, t0); err != nil {
		t.Fatal(err)
	}
	known, err := db.KnownIdentities(f.ID, []string{"https://example.org/a", "https://example.org/b", "https://example.org/c"})
	if err != nil || !known["https://example.org/a"] || !known["https://example.org/b"] || known["https://example.org/c"] {
		t.Fatalf("known = %v, %v", known, err)
	}
	res := poll(t, db, f, t0.Add(time.Hour), item("https://example.org/b", "B"), item("https://example.org/c", "C"))
	if res.New != 1 || res.Unchanged != 1 {
		t.Errorf("poll after remembering b: %+v, want c new and b unchanged", res)
	}
	if _, err := db.Item(tidings.ItemID(f.ID, "https://example.org/a")); err != nil {
		t.Errorf("the stored item a: %v", err)
	}
}
