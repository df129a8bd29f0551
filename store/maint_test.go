package store

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/tidings/tidings"
)

func TestBackup(t *testing.T) {
	db := openTest(t)
	f := addFeed(t, db, "https://example.org/feed.xml")
	poll(t, db, f, t0, item("a", "alpha"), item("b", "beta"))
	if _, _, err := db.SaveEdition(edition("daily", t0, tidings.ItemID(f.ID, "a")), []string{"x@example.org"}, t0); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	n, err := db.Backup(&buf)
	if err != nil || n != int64(buf.Len()) || n == 0 {
		t.Fatalf("Backup = %d (%d written), %v", n, buf.Len(), err)
	}
	dir := t.TempDir()
	streamed := filepath.Join(dir, "streamed.db")
	if err := os.WriteFile(streamed, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "backup.db")
	if err := db.BackupFile(file); err != nil {
		t.Fatal(err)
	}
	if err := db.BackupFile(db.Path()); err == nil {
		t.Error("BackupFile over the database itself succeeded")
	}
	wantItems, _ := db.FeedItems(f.ID, 0)
	wantStats, _ := db.Stats()
	for _, path := range []string{streamed, file} {
		b := openAt(t, path)
		items, err := b.FeedItems(f.ID, 0)
		if err != nil || len(items) != len(wantItems) {
			t.Fatalf("%s: FeedItems = %d, %v", path, len(items), err)
		}
		for i := range items {
			if items[i].Content != wantItems[i].Content || !items[i].FirstSeen.Equal(wantItems[i].FirstSeen) {
				t.Errorf("%s: item %d differs", path, i)
			}
		}
		st, _ := b.Stats()
		st.DBBytes, wantStats.DBBytes = 0, 0
		if st != wantStats {
			t.Errorf("%s: stats %+v, want %+v", path, st, wantStats)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2+2 { // two databases and their pid files, no temp files
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("backup dir holds %v", names)
	}
}

func TestCompactShrinksAfterDeletes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tidings.db")
	db, err := Open(path, Options{NoSync: true, Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	f := addFeed(t, db, "https://example.org/feed.xml")
	p := newProse(3)
	for i := range 10 {
		var items []tidings.Item
		for j := range 20 {
			items = append(items, p.article(strconv.Itoa(i*20+j), 8000))
		}
		poll(t, db, f, t0.Add(time.Duration(i)*time.Minute), items...)
	}
	if n, err := db.Prune(t0.Add(time.Hour), 5); err != nil || n != 195 {
		t.Fatalf("Prune = %d, %v", n, err)
	}
	db.Close()

	before, after, err := Compact(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(path)
	if after >= before/2 || fi.Size() != after {
		t.Errorf("Compact: %d -> %d bytes (file now %d), want it at least halved", before, after, fi.Size())
	}
	t.Logf("compact: %d -> %d bytes", before, after)
	db = openAt(t, path)
	if items, err := db.FeedItems(f.ID, 0); err != nil || len(items) != 5 {
		t.Errorf("after compact FeedItems = %d, %v; want 5", len(items), err)
	}
	if res := poll(t, db, f, t0.Add(2*time.Hour), p.article("0", 8000)); res.New != 0 {
		t.Errorf("seen-set lost by compact: %+v", res)
	}
}

func TestStats(t *testing.T) {
	db := openTest(t)
	f := addFeed(t, db, "https://a.example/")
	g := addFeed(t, db, "https://b.example/")
	addFeed(t, db, "https://c.example/")
	g.State.ErrorCount, g.State.LastError = 3, "http 500"
	if err := db.SaveFeed(g); err != nil {
		t.Fatal(err)
	}
	h := addFeed(t, db, "https://d.example/")
	h.State.Disabled = true
	if err := db.SaveFeed(h); err != nil {
		t.Fatal(err)
	}
	poll(t, db, f, t0, item("1", "one"), item("2", "two"))
	db.SaveEdition(edition("daily", t0, tidings.ItemID(f.ID, "1")), []string{"a@example.org"}, t0)
	st, err := db.Stats()
	if err != nil {
		t.Fatal(err)
	}
	want := tidings.Stats{Feeds: 4, Items: 2, Editions: 1, FailingFeeds: 2, DisabledFeeds: 1, Seen: 2, PendingDeliveries: 1}
	if st.DBBytes <= 0 {
		t.Errorf("DBBytes = %d", st.DBBytes)
	}
	st.DBBytes = 0
	if st != want {
		t.Errorf("Stats = %+v, want %+v", st, want)
	}
}
