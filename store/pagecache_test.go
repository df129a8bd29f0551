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

// TestReleaseMemoryKeepsData: releasing the mapped pages between reads and
// writes loses nothing and leaves the file consistent.
func TestReleaseMemoryKeepsData(t *testing.T) {
	db := openTest(t)
	f := addFeed(t, db, "https://example.org/feed.xml")
	p := newProse(5)
	var ids []string
	for i := range 10 {
		it := p.article(strconv.Itoa(i), 3000)
		poll(t, db, f, t0.Add(time.Duration(i)*time.Minute), it)
		ids = append(ids, tidings.ItemID(f.ID, it.Identity))
		db.ReleaseMemory()
	}
	for _, id := range ids {
		it, err := db.Item(id)
		if err != nil {
			t.Fatalf("Item(%s) after release: %v", id, err)
		}
		if len(it.Text) < 1000 {
			t.Errorf("Item(%s) text has %d bytes after release, want the full article", id, len(it.Text))
		}
	}
	if err := db.Check(); err != nil {
		t.Errorf("check after release: %v", err)
	}
}
