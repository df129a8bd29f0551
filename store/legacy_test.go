package store

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/tidings/tidings"
)

// deflateV1 writes v the way the V1 formats did (DEFLATE of JSON with
// dictV1 after a header), to check that such values stay readable.
func deflateV1(t testing.TB, head []byte, v any) []byte {
	t.Helper()
	js, err := marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	buf := bytes.NewBuffer(head)
	w, err := flate.NewWriterDict(buf, flate.DefaultCompression, []byte(dictV1))
	if err != nil {
		t.Fatal(err)
	}
	w.Write(js)
	w.Close()
	return buf.Bytes()
}

func itemV1(t testing.TB, it *tidings.Item) []byte {
	head := make([]byte, itemHeadLen)
	head[0] = fmtItemV1
	fp := itemFingerprint(it)
	copy(head[1:9], fp[:])
	binary.BigEndian.PutUint64(head[9:17], nsKey(it.FirstSeen))
	return deflateV1(t, head, it)
}

// TestLegacyValues: items and editions written in the V1 (DEFLATE) formats
// read back, count as unchanged when polled again, and are rewritten in
// the current format, keeping FirstSeen, when they change.
func TestLegacyValues(t *testing.T) {
	db := openTest(t)
	f := addFeed(t, db, "https://example.org/feed.xml")
	p := newProse(5)
	it := p.article("old", 3000)
	poll(t, db, f, t0, it)
	id := tidings.ItemID(f.ID, it.Identity)
	stored, err := db.Item(id)
	if err != nil {
		t.Fatal(err)
	}
	ed, _, err := db.SaveEdition(edition("daily", t0, id), nil, t0)
	if err != nil {
		t.Fatal(err)
	}
	// Rewrite both values in the V1 formats.
	if err := db.bolt.Update(func(tx *bbolt.Tx) error {
		seq := tx.Bucket([]byte(bItemsByID)).Get(itemKey(id))
		if err := putItem(tx, bytes.Clone(seq), itemV1(t, &stored)); err != nil {
			return err
		}
		prefix, _ := digestPrefix("daily")
		return tx.Bucket([]byte(bEditions)).Put(join(prefix, u32(1)), deflateV1(t, []byte{fmtDeflateV1}, &ed))
	}); err != nil {
		t.Fatal(err)
	}
	got, err := db.Item(id)
	if err != nil {
		t.Fatalf("V1 item: %v", err)
	}
	if got.Content != it.Content || got.Text != it.Text || !got.FirstSeen.Equal(t0) {
		t.Error("V1 item did not read back")
	}
	if e, err := db.LatestEdition("daily"); err != nil || e.Number != 1 || e.Title != ed.Title {
		t.Errorf("V1 edition: %+v, %v", e, err)
	}
	t1 := t0.Add(time.Hour)
	if res := poll(t, db, f, t1, it); res != (tidings.PollResult{Unchanged: 1}) {
		t.Errorf("V1 item polled again: %+v, want unchanged", res)
	}
	it.Content += "<p>more</p>"
	it.ContentHash += "2"
	if res := poll(t, db, f, t1, it); res != (tidings.PollResult{Updated: 1}) {
		t.Errorf("edited V1 item: %+v, want updated", res)
	}
	db.bolt.View(func(tx *bbolt.Tx) error {
		seq := tx.Bucket([]byte(bItemsByID)).Get(itemKey(id))
		if v := tx.Bucket([]byte(bItems)).Get(chunkKey(seq, 0)); v[0] != fmtItemV2 {
			t.Errorf("rewritten item has format %d, want %d", v[0], fmtItemV2)
		}
		return nil
	})
	if got, err := db.Item(id); err != nil || got.Content != it.Content || !got.FirstSeen.Equal(t0) || !got.LastSeen.Equal(t1) {
		t.Errorf("rewritten item: first %v last %v, %v", got.FirstSeen, got.LastSeen, err)
	}
}

// TestStalePreparedValue: when the stored state changed between SavePoll's
// dry run and its write (another writer committed), the write transaction
// does not use the value prepared for another FirstSeen.
func TestStalePreparedValue(t *testing.T) {
	db := openTest(t)
	f := addFeed(t, db, "https://example.org/feed.xml")
	a := item("a", "alpha")
	a.ID, a.FeedID = tidings.ItemID(f.ID, "a"), f.ID
	poll(t, db, f, t0, a)
	edited := a
	edited.Text, edited.ContentHash = "alpha v2", "v2"
	t1 := t0.Add(time.Hour)
	wrong := edited
	stale, err := db.encodeItem(&wrong, nsKey(t1), t1) // prepared as if new
	if err != nil {
		t.Fatal(err)
	}
	fval, _ := marshal(&f)
	plan := []itemWrite{{fp: itemFingerprint(&edited), write: true, firstSeen: nsKey(t1), value: stale, published: edited.Published}}
	if err := db.bolt.Update(func(tx *bbolt.Tx) error {
		res, _, err := db.applyPoll(tx, &f, fval, []tidings.Item{edited}, t1, plan, false)
		if res != (tidings.PollResult{Updated: 1}) {
			t.Errorf("result %+v, want updated", res)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	got, err := db.Item(a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.FirstSeen.Equal(t0) || got.Text != "alpha v2" {
		t.Errorf("stored first seen %v text %q, want %v and the edit", got.FirstSeen, got.Text, t0)
	}
}

// TestUnpreparedItemIsLeftAlone: an item the dry run found unchanged (so
// nothing was prepared and its body is gone) but that another writer
// removed before the write is not stored again: the poll keeps no body to
// store, and a pruned item must not come back.
func TestUnpreparedItemIsLeftAlone(t *testing.T) {
	db := openTest(t)
	f := addFeed(t, db, "https://example.org/feed.xml")
	a := item("a", "alpha")
	a.ID, a.FeedID = tidings.ItemID(f.ID, "a"), f.ID
	light := a
	light.Content, light.Text, light.Summary = "", "", ""
	fval, _ := marshal(&f)
	plan := []itemWrite{{fp: itemFingerprint(&a)}}
	if err := db.bolt.Update(func(tx *bbolt.Tx) error {
		res, _, err := db.applyPoll(tx, &f, fval, []tidings.Item{light}, t0, plan, false)
		if res != (tidings.PollResult{Unchanged: 1}) {
			t.Errorf("result %+v, want unchanged", res)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Item(a.ID); !errors.Is(err, tidings.ErrNotFound) {
		t.Errorf("item stored without a body: %v", err)
	}
}
