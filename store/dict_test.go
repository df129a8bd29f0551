package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	"go.etcd.io/bbolt"

	"github.com/tidings/tidings"
)

// valueDicts counts the stored items by the dictionary their value names
// (0: none, the formats before dictionaries).
func valueDicts(t *testing.T, db *DB) map[uint32]int {
	t.Helper()
	n := map[uint32]int{}
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		return tx.Bucket([]byte(bItems)).ForEach(func(k, v []byte) error {
			if len(k) != 10 || binary.BigEndian.Uint16(k[8:]) != 0 {
				return nil
			}
			if v[0] != fmtItemV3 {
				n[0]++
				return nil
			}
			var h zstd.Header
			if err := h.Decode(v[itemHeadLen:]); err != nil {
				return err
			}
			n[h.DictionaryID]++
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func storedDicts(t *testing.T, db *DB) []uint32 {
	t.Helper()
	var ids []uint32
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		return tx.Bucket([]byte(bDicts)).ForEach(func(k, _ []byte) error {
			ids = append(ids, binary.BigEndian.Uint32(k))
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// pollFeeds stores one poll of items of size bytes for each of n new
// feeds, and returns the items by id.
func pollFeeds(t *testing.T, db *DB, p *prose, prefix string, n, items, size int, now time.Time) map[string]tidings.Item {
	t.Helper()
	want := map[string]tidings.Item{}
	for i := range n {
		f := addFeed(t, db, fmt.Sprintf("https://%s%d.example.org/feed.xml", prefix, i))
		var its []tidings.Item
		for k := range items {
			it := p.article(fmt.Sprintf("%s%d-%d", prefix, i, k), size)
			it.FeedID, it.ID = f.ID, tidings.ItemID(f.ID, it.Identity)
			its = append(its, it)
			want[it.ID] = it
		}
		poll(t, db, f, now, its...)
	}
	return want
}

func checkItems(t *testing.T, db *DB, want map[string]tidings.Item) {
	t.Helper()
	for id, w := range want {
		got, err := db.Item(id)
		if err != nil {
			t.Fatalf("Item(%s): %v", id, err)
		}
		if got.Content != w.Content || got.Text != w.Text || got.Title != w.Title {
			t.Fatalf("item %s came back changed", id)
		}
	}
}

func TestFirstDictionary(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tidings.db")
	db, err := Open(path, Options{NoSync: true, Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	p := newProse(3)
	want := map[string]tidings.Item{}
	feeds := 0
	pollUntil := func(n int, max int) {
		t.Helper()
		for ; feeds < max && len(storedDicts(t, db)) < n; feeds++ {
			for id, it := range pollFeeds(t, db, p, fmt.Sprint("a", feeds, "-"), 1, 5, 6000, t0) {
				want[id] = it
			}
		}
	}
	// Feeds give 3 pieces of 4 KB each: 32 KB after 3 feeds make the first
	// dictionary.
	pollUntil(1, 10)
	d := db.codec.current()
	if ids := storedDicts(t, db); len(ids) != 1 || feeds != 3 || d == nil || len(d.content) < dictFirstBytes || len(d.content) >= dictSize {
		t.Fatalf("after %d feeds: dictionaries %v, current %d bytes; want one of 32 KB or more after 3 feeds", feeds, ids, len(d.content))
	}
	first := feeds
	// The sampler is done after 8 × 112 KB of pieces at the latest (75
	// feeds); then the full dictionary replaces it and sampling ends.
	pollUntil(2, 80)
	d = db.codec.current()
	if ids := storedDicts(t, db); len(ids) != 2 || feeds > 75 || d.id != 2 || len(d.content) < dictMinBytes || db.codec.sampling() != nil {
		t.Fatalf("after %d feeds: dictionaries %v, current %d (%d bytes), sampling %v", feeds, ids, d.id, len(d.content), db.codec.sampling() != nil)
	}
	t.Logf("first dictionary after %d feeds, the full one (%d bytes) after %d", first, len(d.content), feeds)
	for id, it := range pollFeeds(t, db, p, "c", 4, 5, 6000, t0) {
		want[id] = it
	}
	if ids := storedDicts(t, db); len(ids) != 2 {
		t.Errorf("dictionaries after sampling ended: %v", ids)
	}
	if got := valueDicts(t, db); got[0] != 5*first || got[1] != 5*(feeds-first) || got[2] != 20 {
		t.Errorf("values by dictionary = %v, want %d without, %d with 1, 20 with 2", got, 5*first, 5*(feeds-first))
	}
	checkItems(t, db, want)

	// A reopened database compresses with the full dictionary and samples
	// no more.
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = openAt(t, path)
	if db.codec.sampling() != nil {
		t.Error("sampling again after reopening")
	}
	for id, it := range pollFeeds(t, db, p, "d", 1, 5, 6000, t0) {
		want[id] = it
	}
	if got := valueDicts(t, db); got[2] != 25 {
		t.Errorf("values by dictionary after reopening = %v, want 25 with dictionary 2", got)
	}
	checkItems(t, db, want)
}

// TestDictionarySavesBytes checks that the dictionary pays: items with
// unique prose but a feed's repeated template take fewer bytes with it.
func TestDictionarySavesBytes(t *testing.T) {
	footer := `<div class="share"><a href="https://blog.example.com/share?via=feed">Share this post</a> · <a href="https://blog.example.com/subscribe">Subscribe to the newsletter</a></div><p>The post appeared first on <a href="https://blog.example.com/">The Example Blog</a>. Jane Doe writes about software, cities and the people who build them.</p>`
	size := func(withDict bool) int {
		c := newCodec()
		defer c.close()
		if withDict {
			s := newSampler()
			p := newProse(5)
			for i := 0; s.len() < dictSize; i++ {
				it := p.article(fmt.Sprint("s", i), 2000)
				it.Content += footer
				b, err := appendPayload(nil, &it)
				if err != nil {
					t.Fatal(err)
				}
				s.add(uint64(i), b)
			}
			c.addDict(newDictionary(1, t0, s.content()), true)
		}
		p := newProse(9)
		n := 0
		for i := range 200 {
			it := p.article(fmt.Sprint("t", i), 2000)
			it.Content += footer
			it.ID, it.FeedID, it.FirstSeen, it.LastSeen = tidings.ItemID(1, it.Identity), 1, t0, t0
			v, err := c.encodeItem(&it)
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.decodeItem(v)
			if err != nil || got.Content != it.Content {
				t.Fatalf("round trip: %v", err)
			}
			n += len(v)
		}
		return n / 200
	}
	without, with := size(false), size(true)
	t.Logf("2 KB items with a template footer: %d B without, %d B with a dictionary", without, with)
	if with >= without*90/100 {
		t.Errorf("dictionary values are %d B, want under 90%% of %d B", with, without)
	}
}

func TestMaintainDictionary(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tidings.db")
	now := t0
	db, err := Open(path, Options{NoSync: true, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	p := newProse(4)

	// A small store: too little for a dictionary from polls, enough for one
	// from the maintenance.
	want := pollFeeds(t, db, p, "a", 2, 4, 3000, now)
	rep, err := db.MaintainDictionary(now)
	if err != nil || rep.Created != 1 || rep.Deleted != 0 {
		t.Fatalf("MaintainDictionary on %d bytes of items = %+v, %v; want dictionary 1", 2*4*3000, rep, err)
	}
	for id, it := range pollFeeds(t, db, p, "b", 2, 4, 3000, now) {
		want[id] = it
	}
	if got := valueDicts(t, db); got[0] != 8 || got[1] != 8 {
		t.Fatalf("values by dictionary = %v", got)
	}

	// Not yet old: nothing happens.
	now = now.Add(dictMaxAge - time.Hour)
	if rep, err := db.MaintainDictionary(now); err != nil || rep != (DictionaryReport{}) {
		t.Fatalf("MaintainDictionary before dictMaxAge = %+v, %v", rep, err)
	}
	// Old: a new one replaces it; items keep theirs, new ones take the new one.
	now = now.Add(time.Hour)
	if rep, err := db.MaintainDictionary(now); err != nil || rep.Created != 2 || rep.Deleted != 0 {
		t.Fatalf("MaintainDictionary after dictMaxAge = %+v, %v", rep, err)
	}
	replaced := now
	for id, it := range pollFeeds(t, db, p, "c", 1, 4, 3000, now) {
		want[id] = it
	}
	if got := valueDicts(t, db); got[1] != 8 || got[2] != 4 {
		t.Fatalf("values by dictionary = %v", got)
	}
	checkItems(t, db, want)

	// A day later dictionary 1 is still named by 8 items: it stays.
	now = now.Add(dictKeepSuperseded)
	if rep, err := db.MaintainDictionary(now); err != nil || rep != (DictionaryReport{}) {
		t.Fatalf("MaintainDictionary while dictionary 1 is used = %+v, %v", rep, err)
	}
	// Once retention removed its items, it goes.
	pruned, err := db.Prune(replaced, 0)
	if err != nil || pruned != 16 {
		t.Fatalf("Prune = %d, %v; want the 16 items of the first polls", pruned, err)
	}
	for id, it := range want {
		if it.Identity[len("https://blog.example.com/")] != 'c' {
			delete(want, id)
		}
	}
	if rep, err := db.MaintainDictionary(now); err != nil || rep != (DictionaryReport{Deleted: 1}) {
		t.Fatalf("MaintainDictionary after retention = %+v, %v; want dictionary 1 deleted", rep, err)
	}
	if ids := storedDicts(t, db); len(ids) != 1 || ids[0] != 2 {
		t.Fatalf("stored dictionaries = %v, want [2]", ids)
	}
	checkItems(t, db, want)
	if err := db.Check(); err != nil {
		t.Fatal(err)
	}
	// The reopened database reads them and compresses with dictionary 2.
	db.Close()
	if db, err = Open(path, Options{NoSync: true, Now: func() time.Time { return now }}); err != nil {
		t.Fatal(err)
	}
	checkItems(t, db, want)
	if d := db.codec.current(); d == nil || d.id != 2 || !d.created.Equal(now.Add(-dictKeepSuperseded)) {
		t.Fatalf("current dictionary after reopening: %+v", d)
	}
}

// TestMissingDictionary: an item whose dictionary is gone (a damaged file)
// is an error naming the dictionary, not a panic or garbage.
func TestMissingDictionary(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tidings.db")
	db, err := Open(path, Options{NoSync: true, Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	p := newProse(6)
	pollFeeds(t, db, p, "a", 2, 4, 3000, t0)
	if _, err := db.MaintainDictionary(t0); err != nil {
		t.Fatal(err)
	}
	want := pollFeeds(t, db, p, "b", 1, 1, 3000, t0)
	db.Close()
	b, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Update(func(tx *bbolt.Tx) error { return tx.Bucket([]byte(bDicts)).Delete(u32(1)) }); err != nil {
		t.Fatal(err)
	}
	b.Close()
	db, err = Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for id := range want {
		_, err := db.Item(id)
		if err == nil || !strings.Contains(err.Error(), "dictionary 1") {
			t.Fatalf("Item with its dictionary gone: %v", err)
		}
	}
}

func TestSamplerPieces(t *testing.T) {
	p := newProse(8)
	payload := func(i int) []byte {
		it := p.article(fmt.Sprint(i), 8000)
		b, err := appendPayload(nil, &it)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	s := newSampler()
	first := payload(0)
	s.add(7, first)
	tail := first[len(first)-dictPiece:]
	if c := s.content(); len(c) < dictPiece*3/4 || !bytes.HasPrefix(c, tail[:dictBlock]) {
		t.Fatalf("the first piece is %d bytes, want most of the payload's last %d", len(c), dictPiece)
	}
	// The same text again adds nothing; a feed gives at most dictPerFeed.
	n := s.len()
	s.add(8, first)
	if s.len() != n {
		t.Fatalf("a repeated piece grew the sample to %d bytes", s.len())
	}
	for i := range dictPerFeed + 2 {
		s.add(7, payload(i+1))
	}
	if want := (dictPerFeed - 1) * dictPiece; s.len() < want*9/10 || s.len() > want+dictPiece {
		t.Fatalf("feed 7 gave %d bytes, want about %d", s.len(), want)
	}
	for i := 0; !s.ready(); i++ {
		if i > 1000 {
			t.Fatal("sampler never ready")
		}
		s.add(uint64(100+i), payload(100+i))
	}
	if s.len() > dictSize || s.len() < dictMinBytes {
		t.Fatalf("sampler holds %d bytes", s.len())
	}
	n = s.len()
	s.add(5000, payload(5000))
	if s.len() != n {
		t.Error("a ready sampler took more")
	}
}

// TestDictionaryIDsNeverReused: a file whose dicts bucket lost its
// sequence (copied by a tool that does not keep it) still gets a fresh id,
// never one that items may name.
func TestDictionaryIDsNeverReused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tidings.db")
	db, err := Open(path, Options{NoSync: true, Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	p := newProse(12)
	want := pollFeeds(t, db, p, "a", 2, 4, 3000, t0)
	if rep, err := db.MaintainDictionary(t0); err != nil || rep.Created != 1 {
		t.Fatalf("first dictionary: %+v, %v", rep, err)
	}
	for id, it := range pollFeeds(t, db, p, "b", 1, 4, 3000, t0) {
		want[id] = it
	}
	if err := db.bolt.Update(func(tx *bbolt.Tx) error { return tx.Bucket([]byte(bDicts)).SetSequence(0) }); err != nil {
		t.Fatal(err)
	}
	later := t0.Add(dictMaxAge)
	if rep, err := db.MaintainDictionary(later); err != nil || rep.Created != 2 {
		t.Fatalf("second dictionary: %+v, %v; want id 2", rep, err)
	}
	checkItems(t, db, want)
	db.Close()
}
