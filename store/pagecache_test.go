package store

import (
	"strconv"
	"testing"
	"time"

	"github.com/tidings/tidings"
)

// TestTrimCache: dropping the file's cached pages between polls (every
// trimCacheEvery item-writing polls) loses nothing.
func TestTrimCache(t *testing.T) {
	db := openTest(t)
	if db.cache == nil {
		t.Fatal("read-write database has no cache descriptor")
	}
	f := addFeed(t, db, "https://example.org/feed.xml")
	p := newProse(3)
	var ids []string
	for i := range 2*trimCacheEvery + 1 {
		it := p.article(strconv.Itoa(i), 2000)
		poll(t, db, f, t0.Add(time.Duration(i)*time.Minute), it)
		ids = append(ids, tidings.ItemID(f.ID, it.Identity))
	}
	if n := db.writes.Load(); n != 2*trimCacheEvery+1 {
		t.Errorf("%d item-writing polls counted, want %d", n, 2*trimCacheEvery+1)
	}
	for _, id := range ids {
		if _, err := db.Item(id); err != nil {
			t.Fatalf("Item(%s) after trims: %v", id, err)
		}
	}
}
