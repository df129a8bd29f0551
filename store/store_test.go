package store

import (
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/tidings/tidings"
)

func TestOpenCreatesAndMigrates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a", "b", "tidings.db")
	db := openAt(t, path)
	if db.Path() != path {
		t.Errorf("Path() = %q, want %q", db.Path(), path)
	}
	var v int
	if err := db.view(func(tx *bbolt.Tx) (err error) { v, err = schemaVersion(tx); return err }); err != nil {
		t.Fatal(err)
	}
	if v != SchemaVersion() {
		t.Errorf("schema version %d, want %d", v, SchemaVersion())
	}
	if b, err := os.ReadFile(path + ".pid"); err != nil || strings.TrimSpace(string(b)) != strconv.Itoa(os.Getpid()) {
		t.Errorf("pid file = %q, %v", b, err)
	}
}

func TestReopenKeepsData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tidings.db")
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	f := addFeed(t, db, "https://example.org/feed.xml")
	poll(t, db, f, t0, item("a", "alpha"))
	if err := db.SetState("k", "v"); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path + ".pid"); !os.IsNotExist(err) {
		t.Errorf("pid file left after Close: %v", err)
	}

	db = openAt(t, path)
	got, err := db.FeedByURL(f.URL)
	if err != nil || got.ID != f.ID {
		t.Fatalf("FeedByURL after reopen = %v, %v", got.ID, err)
	}
	items, err := db.FeedItems(f.ID, 0)
	if err != nil || len(items) != 1 || items[0].Text != "alpha" {
		t.Fatalf("FeedItems after reopen = %+v, %v", items, err)
	}
	if v, _ := db.GetState("k"); v != "v" {
		t.Errorf("state k = %q, want v", v)
	}
}

func TestReadOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tidings.db")
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	addFeed(t, db, "https://example.org/feed.xml")
	db.Close()

	r1, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r1.Close()
	r2, err := Open(path, Options{ReadOnly: true}) // shared lock: both get in
	if err != nil {
		t.Fatalf("second read-only Open: %v", err)
	}
	defer r2.Close()
	if fs, err := r2.Feeds(); err != nil || len(fs) != 1 {
		t.Errorf("Feeds = %d, %v; want 1", len(fs), err)
	}
	if err := r1.SetState("x", "y"); err == nil {
		t.Error("SetState on a read-only database succeeded")
	}
	if _, err := Open(path, Options{Timeout: 50 * time.Millisecond}); !errors.Is(err, ErrLocked) {
		t.Errorf("writable Open while read-only opens exist: %v, want ErrLocked", err)
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tidings.db")
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.bolt.Update(func(tx *bbolt.Tx) error {
		return tx.Bucket([]byte(bMeta)).Put([]byte(keySchemaVersion), u64(uint64(SchemaVersion()+1)))
	}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	_, err = Open(path, Options{})
	if !errors.Is(err, ErrNewerSchema) {
		t.Fatalf("Open = %v, want ErrNewerSchema", err)
	}
	if !strings.Contains(err.Error(), "upgrade tidings") {
		t.Errorf("message %q does not say what to do", err)
	}
}

func TestLockedGivesErrLocked(t *testing.T) {
	db := openTest(t)
	start := time.Now()
	_, err := Open(db.Path(), Options{Timeout: 100 * time.Millisecond})
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open = %v, want ErrLocked", err)
	}
	want := "database " + db.Path() + " is in use by another tidings process (pid " + strconv.Itoa(os.Getpid()) + "); stop it or use a different data_dir"
	if err.Error() != want {
		t.Errorf("message\n got %q\nwant %q", err, want)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("second Open took %v", d) // generous: only catches a hang
	}
	if _, _, err := Compact(db.Path(), Options{Timeout: 50 * time.Millisecond}); !errors.Is(err, ErrLocked) {
		t.Errorf("Compact of an open database = %v, want ErrLocked", err)
	}
}

func TestCorruptFiles(t *testing.T) {
	// A real database with enough items to span many pages.
	good := filepath.Join(t.TempDir(), "good.db")
	db, err := Open(good, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	f := addFeed(t, db, "https://example.org/feed.xml")
	p := newProse(7)
	for i := range 10 {
		var batch []tidings.Item
		for j := range 20 {
			batch = append(batch, p.article(strconv.Itoa(i*20+j), 4000))
		}
		poll(t, db, f, t0.Add(time.Duration(i)*time.Minute), batch...)
	}
	db.Close()
	goodBytes, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	random := make([]byte, 64<<10)
	for i := range random {
		random[i] = byte(r.Uint32())
	}
	zeroMeta := append([]byte(nil), goodBytes...)
	clear(zeroMeta[:2*4096])
	noMeta := filepath.Join(t.TempDir(), "other.db")
	ob, err := bbolt.Open(noMeta, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	ob.Update(func(tx *bbolt.Tx) error { _, err := tx.CreateBucket([]byte("not-tidings")); return err })
	ob.Close()
	otherBytes, _ := os.ReadFile(noMeta)
	tests := []struct {
		name string
		data []byte
	}{
		{name: "random bytes", data: random},
		{name: "short garbage", data: []byte("<html>this is not a database</html>")},
		{name: "truncated to half", data: goodBytes[:len(goodBytes)/2]},
		{name: "truncated after meta pages", data: goodBytes[:3*4096+100]},
		{name: "zeroed meta pages", data: zeroMeta},
		{name: "bbolt file of another program", data: otherBytes},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "tidings.db")
			if err := os.WriteFile(path, tc.data, 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := Open(path, Options{Timeout: 100 * time.Millisecond})
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Open = %v, want ErrCorrupt", err)
			}
			if !strings.Contains(err.Error(), "restore a backup") {
				t.Errorf("message %q gives no next step", err)
			}
		})
	}
}

// TestDamagedValues: a value that does not decode gives ErrCorrupt from
// the read, not a panic or a zero item.
func TestDamagedValues(t *testing.T) {
	db := openTest(t)
	f := addFeed(t, db, "https://example.org/feed.xml")
	poll(t, db, f, t0, item("a", "alpha"))
	_, _, err := db.SaveEdition(edition("daily", t0, "x"), nil, t0)
	if err != nil {
		t.Fatal(err)
	}
	for _, bucket := range []string{bItems, bEditions} {
		if err := db.bolt.Update(func(tx *bbolt.Tx) error {
			b := tx.Bucket([]byte(bucket))
			k, v := b.Cursor().First()
			v = append([]byte(nil), v...)
			v[len(v)/2] ^= 0xff
			return b.Put(append([]byte(nil), k...), v[:len(v)-3])
		}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Item(tidings.ItemID(f.ID, "a")); !errors.Is(err, ErrCorrupt) {
		t.Errorf("Item = %v, want ErrCorrupt", err)
	}
	if _, err := db.FeedItems(f.ID, 0); !errors.Is(err, ErrCorrupt) {
		t.Errorf("FeedItems = %v, want ErrCorrupt", err)
	}
	if _, err := db.LatestEdition("daily"); !errors.Is(err, ErrCorrupt) {
		t.Errorf("LatestEdition = %v, want ErrCorrupt", err)
	}
}
