package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"time"

	"go.etcd.io/bbolt"

	"github.com/tidings/tidings"
)

// seenRefresh is how stale a seen-set entry of a pruned item may get before
// a poll that still lists the item renews it. Renewing keeps PruneSeen from
// forgetting identities that a feed keeps listing, while costing at most
// one small write per item and week rather than one per poll.
const seenRefresh = 7 * 24 * time.Hour

// KnownIdentities reports which identities of the feed are in its
// seen-set; the map holds only the known ones.
func (db *DB) KnownIdentities(feedID uint64, identities []string) (map[string]bool, error) {
	known := make(map[string]bool)
	err := db.view(func(tx *bbolt.Tx) error {
		seen := bkt(tx, bSeen)
		for _, ident := range identities {
			if seen.Get(seenKey(feedID, itemKey(tidings.ItemID(feedID, ident)))) != nil {
				known[ident] = true
			}
		}
		return nil
	})
	return known, err
}

func seenKey(feedID uint64, key []byte) []byte { return join(u64(feedID), key) }

// RememberIdentities adds identities of the feed to its seen-set without
// storing items for them, so that a poll that lists them treats them as
// known (as it treats pruned items) and stores nothing new. The poller
// uses it when a feed changes how its items are identified: the items it
// already holds under their old identities must not come back under the
// new ones. Identities already seen or stored are left alone.
func (db *DB) RememberIdentities(feedID uint64, identities []string, now time.Time) error {
	err := db.update(func(tx *bbolt.Tx) error {
		seen, byID := bkt(tx, bSeen), bkt(tx, bItemsByID)
		for _, ident := range identities {
			key := itemKey(tidings.ItemID(feedID, ident))
			sk := seenKey(feedID, key)
			if seen.Get(sk) != nil || byID.Get(key) != nil {
				continue
			}
			if err := seen.Put(sk, u64(nsKey(now))); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("remember identities of feed %d: %w", feedID, err)
	}
	return nil
}

// SavePoll stores the outcome of one poll in one transaction: the feed
// record and its items. An item is new (inserted, FirstSeen = LastSeen =
// now), updated (its content hash, title or URL changed: rewritten, keeping
// FirstSeen) or unchanged (nothing written). An item whose identity is in
// the seen-set but which was pruned stays pruned. Items get ID =
// tidings.ItemID(f.ID, Identity) and FeedID = f.ID when those are empty. If
// neither the feed record nor any item changes, nothing is written.
func (db *DB) SavePoll(f tidings.Feed, items []tidings.Item, now time.Time) (tidings.PollResult, error) {
	return db.SavePollNotify(f, items, now, nil)
}

// SavePollNotify is SavePoll that calls encoded (if not nil) once the
// poll's values are encoded and compressed, before it waits for the write
// transaction, in the caller's goroutine. A caller that bounds its
// CPU-heavy work can hand its slot on there instead of holding it through
// the wait. encoded is not called when SavePollNotify fails before that
// point or has nothing to write.
func (db *DB) SavePollNotify(f tidings.Feed, items []tidings.Item, now time.Time, encoded func()) (tidings.PollResult, error) {
	if f.ID == 0 {
		return tidings.PollResult{}, fmt.Errorf("save poll of %s: zero feed id", f.URL)
	}
	items = append([]tidings.Item(nil), items...)
	for i := range items {
		it := &items[i]
		if it.Identity == "" {
			return tidings.PollResult{}, fmt.Errorf("save poll of %s: item %q has no identity", f.URL, it.URL)
		}
		if it.FeedID == 0 {
			it.FeedID = f.ID
		}
		want := tidings.ItemID(f.ID, it.Identity)
		if it.ID == "" {
			it.ID = want
		}
		if it.FeedID != f.ID || it.ID != want {
			return tidings.PollResult{}, fmt.Errorf("save poll of %s: item %q: feed id or item id does not match tidings.ItemID(feed, identity)", f.URL, it.Identity)
		}
	}
	fval, err := marshal(&f)
	if err != nil {
		return tidings.PollResult{}, fmt.Errorf("save poll of %s: %w", f.URL, err)
	}
	// Dry run first: most polls of a quiet feed change only the feed state,
	// and a poll that changes nothing must not commit at all. It also tells
	// which items will be written, and with which FirstSeen.
	var res tidings.PollResult
	var writes bool
	plan := make([]itemWrite, len(items))
	for i := range items {
		plan[i].fp = itemFingerprint(&items[i])
	}
	err = db.view(func(tx *bbolt.Tx) (err error) {
		res, writes, err = db.applyPoll(tx, &f, fval, items, now, plan, true)
		return err
	})
	if err != nil || !writes {
		return res, wrapPoll(f.URL, err)
	}
	// Encode and compress in the caller's goroutine, where polls of
	// different feeds run in parallel, not inside the write transaction,
	// which all of them wait for.
	for i := range plan {
		if plan[i].write {
			it := items[i]
			plan[i].published = it.Published
			if plan[i].value, err = db.encodeItem(&it, plan[i].firstSeen, now); err != nil {
				return res, wrapPoll(f.URL, err)
			}
		}
	}
	// The bodies are in the prepared values now. Dropping them here lets
	// the GC free them while this poll waits for the batch: with many
	// polls in flight, that wait held most of the ingest's live heap.
	for i := range items {
		items[i].Summary, items[i].Content, items[i].Text = "", "", ""
	}
	if encoded != nil {
		encoded()
	}
	err = db.batch(func(tx *bbolt.Tx) (err error) {
		res, _, err = db.applyPoll(tx, &f, fval, items, now, plan, false)
		return err
	})
	if err == nil && res.New+res.Updated > 0 {
		db.trimCache()
		db.maybeFirstDict()
	}
	return res, wrapPoll(f.URL, err)
}

func wrapPoll(url string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("save poll of %s: %w", url, err)
}

// itemWrite is the dry run's verdict on one item of a poll: whether it is
// written and with which FirstSeen, and the value encoded for that.
type itemWrite struct {
	fp        [8]byte // itemFingerprint, taken before the bodies are dropped
	write     bool
	firstSeen uint64 // ns
	value     []byte
	published time.Time // the item's own Published (encodeItem may default it)
}

// applyPoll classifies (dry, filling plan) or stores the poll (using the
// values prepared in plan; the items' bodies are gone by then). It must
// start from scratch on every call: bbolt's Batch may run it twice. The
// write run re-checks everything, as another writer may have committed
// since the dry run: a prepared value stored with another FirstSeen is
// re-encoded from itself, and an item the dry run found unchanged or
// pruned is left alone (keeping the other writer's version; a pruned item
// stays pruned).
func (db *DB) applyPoll(tx *bbolt.Tx, f *tidings.Feed, fval []byte, items []tidings.Item, now time.Time, plan []itemWrite, dry bool) (res tidings.PollResult, writes bool, err error) {
	if !bytes.Equal(bkt(tx, bFeeds).Get(u64(f.ID)), fval) {
		writes = true
		if !dry {
			if err := putFeed(tx, f); err != nil {
				return res, writes, err
			}
		}
	}
	itemsB, byID, seen := bkt(tx, bItems), bkt(tx, bItemsByID), bkt(tx, bSeen)
	nowNS := nsKey(now)
	// value returns the encoded item i stored with firstSeen, or nil when
	// the dry run prepared nothing for item i.
	value := func(i int, firstSeen uint64) ([]byte, error) {
		p := plan[i]
		if p.value == nil || p.firstSeen == firstSeen {
			return p.value, nil
		}
		it, err := db.codec.decodeItem(p.value)
		if err != nil {
			return nil, err
		}
		it.Published = p.published
		return db.encodeItem(&it, firstSeen, now)
	}
	// The two indexes keyed by item hash get their new keys after the
	// loop, in key order: bbolt splits nodes only at commit, so random
	// puts into one node cost a copy of its tail each, quadratic in the
	// items of a poll (a 20,000-item feed took 7.8 s, 100,000 items
	// over 3 minutes); sorted, they append.
	var newIDs, newSeen []kv
	pending := map[string][]byte{}
	defer func() {
		if err != nil || dry {
			return
		}
		for _, idx := range [...]struct {
			b   *bbolt.Bucket
			kvs []kv
		}{{byID, newIDs}, {seen, newSeen}} {
			slices.SortFunc(idx.kvs, func(a, b kv) int { return bytes.Compare(a.k, b.k) })
			for _, e := range idx.kvs {
				if err = idx.b.Put(e.k, e.v); err != nil {
					return
				}
			}
		}
	}()
	for i := range items {
		it := &items[i]
		key := itemKey(it.ID)
		sk := seenKey(f.ID, key)
		seq := byID.Get(key)
		if seq == nil {
			seq = pending[string(key)] // listed twice in this call
		}
		if seq != nil {
			head, err := decodeItemHead(itemsB.Get(chunkKey(seq, 0)))
			if err != nil {
				return res, writes, corruptError(db.path, fmt.Errorf("item %s: %w", it.ID, err))
			}
			if head.fingerprint == plan[i].fp {
				res.Unchanged++
				continue
			}
			if dry {
				res.Updated++
				writes = true
				plan[i].write, plan[i].firstSeen = true, head.firstSeen
				continue
			}
			v, err := value(i, head.firstSeen)
			if err != nil {
				return res, writes, err
			}
			if v == nil {
				res.Unchanged++
				continue
			}
			res.Updated++
			writes = true
			if err := putItem(tx, bytes.Clone(seq), v); err != nil {
				return res, writes, err
			}
			continue
		}
		if sv := seen.Get(sk); sv != nil {
			res.Unchanged++ // pruned: never resurrect
			if len(sv) == 8 && binary.BigEndian.Uint64(sv)+uint64(seenRefresh) < nowNS {
				writes = true
				if !dry {
					if err := seen.Put(sk, u64(nowNS)); err != nil {
						return res, writes, err
					}
				}
			}
			continue
		}
		if dry {
			res.New++
			writes = true
			plan[i].write, plan[i].firstSeen = true, nowNS
			continue
		}
		v, err := value(i, nowNS)
		if err != nil {
			return res, writes, err
		}
		if v == nil {
			res.Unchanged++
			continue
		}
		res.New++
		writes = true
		n, err := itemsB.NextSequence()
		if err != nil {
			return res, writes, err
		}
		seq, fs := u64(n), u64(nowNS)
		if err := putItem(tx, seq, v); err != nil {
			return res, writes, err
		}
		newIDs = append(newIDs, kv{key, seq})
		pending[string(key)] = seq
		if err := bkt(tx, bItemsByFirst).Put(join(fs, seq), nil); err != nil {
			return res, writes, err
		}
		if err := bkt(tx, bFeedItems).Put(join(u64(f.ID), fs, seq), key); err != nil {
			return res, writes, err
		}
		newSeen = append(newSeen, kv{sk, u64(nowNS)})
	}
	return res, writes, nil
}

// kv is a key and value to put later.
type kv struct{ k, v []byte }

// encodeItem sets the stored times of it (FirstSeen firstSeen ns, LastSeen
// now; a missing or future Published becomes FirstSeen) and encodes it.
func (db *DB) encodeItem(it *tidings.Item, firstSeen uint64, now time.Time) ([]byte, error) {
	it.FirstSeen, it.LastSeen = fromNS(firstSeen), now
	if it.Published.IsZero() || it.Published.After(it.LastSeen) {
		it.Published = it.FirstSeen
	}
	v, err := db.codec.encodeItem(it)
	if err != nil {
		return nil, fmt.Errorf("item %s: %w", it.ID, err)
	}
	return v, nil
}

// putItem writes the item value v under seq (not the indexes, which
// depend only on FirstSeen and are written on insert).
func putItem(tx *bbolt.Tx, seq, v []byte) error {
	b := bkt(tx, bItems)
	if err := deleteChunks(b, seq); err != nil {
		return err
	}
	size := chunkSize(tx)
	for i := 0; len(v) > 0; i++ {
		n := min(size, len(v))
		if err := b.Put(chunkKey(seq, i), v[:n]); err != nil {
			return err
		}
		v = v[n:]
	}
	return nil
}

// chunkSize is the largest piece of an item value stored under one key:
// an eighth of a page. bbolt puts at least two values in a node and rounds
// a node up to whole pages, so compressed items of a few KB stored whole
// fill their pages to 60–80%; in small pieces, appended in key order with
// FillPercent 1, pages fill to over 90%. Measured with
// BenchmarkStorageSize: 5 KB bodies 4.4 -> 3.4 KB per item.
func chunkSize(tx *bbolt.Tx) int {
	const pageHeader, elemHeader, keyLen = 16, 16, 10
	return (tx.DB().Info().PageSize-pageHeader)/8 - elemHeader - keyLen
}

// chunkKey is the key of piece i of the item stored under seq.
func chunkKey(seq []byte, i int) []byte {
	return binary.BigEndian.AppendUint16(bytes.Clone(seq), uint16(i))
}

func deleteChunks(b *bbolt.Bucket, seq []byte) error {
	var keys [][]byte
	c := b.Cursor()
	for k, _ := c.Seek(seq); k != nil && bytes.HasPrefix(k, seq); k, _ = c.Next() {
		keys = append(keys, bytes.Clone(k))
	}
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// getItem reads the item stored under seq.
func (db *DB) getItem(tx *bbolt.Tx, seq []byte) (tidings.Item, error) {
	var v []byte
	n := 0
	c := bkt(tx, bItems).Cursor()
	for k, chunk := c.Seek(seq); k != nil && bytes.HasPrefix(k, seq); k, chunk = c.Next() {
		switch n {
		case 0:
			v = chunk // most items are one piece: no copy (decoding copies)
		case 1:
			v = append(append(make([]byte, 0, 4*len(v)), v...), chunk...) // never append to bbolt's memory
		default:
			v = append(v, chunk...)
		}
		n++
	}
	if v == nil {
		return tidings.Item{}, corruptError(db.path, fmt.Errorf("index names missing item %x", seq))
	}
	it, err := db.codec.decodeItem(v)
	if err != nil {
		return it, corruptError(db.path, fmt.Errorf("item %x: %w", seq, err))
	}
	return it, nil
}

// Item returns the item with id, or an error wrapping tidings.ErrNotFound.
func (db *DB) Item(id string) (it tidings.Item, err error) {
	err = db.view(func(tx *bbolt.Tx) error {
		seq := bkt(tx, bItemsByID).Get(itemKey(id))
		if seq == nil {
			return fmt.Errorf("item %s: %w", id, tidings.ErrNotFound)
		}
		it, err = db.getItem(tx, seq)
		return err
	})
	return it, err
}

// ItemsFirstSeen returns the items with from <= FirstSeen < to, oldest first.
func (db *DB) ItemsFirstSeen(from, to time.Time) (items []tidings.Item, err error) {
	lo, hi := u64(nsKey(from)), u64(nsKey(to))
	err = db.view(func(tx *bbolt.Tx) error {
		items = nil
		c := bkt(tx, bItemsByFirst).Cursor()
		for k, _ := c.Seek(lo); len(k) == 16 && bytes.Compare(k[:8], hi) < 0; k, _ = c.Next() {
			it, err := db.getItem(tx, k[8:])
			if err != nil {
				return err
			}
			items = append(items, it)
		}
		return nil
	})
	return items, err
}

// FeedItems returns the feed's items, newest first; limit <= 0 means all.
func (db *DB) FeedItems(feedID uint64, limit int) (items []tidings.Item, err error) {
	prefix := u64(feedID)
	err = db.view(func(tx *bbolt.Tx) error {
		items = nil
		c := bkt(tx, bFeedItems).Cursor()
		for k, _ := lastWithPrefix(c, feedID); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Prev() {
			if limit > 0 && len(items) >= limit {
				break
			}
			it, err := db.getItem(tx, k[16:24])
			if err != nil {
				return err
			}
			items = append(items, it)
		}
		return nil
	})
	return items, err
}

// lastWithPrefix positions c on the last key of feed_items starting with
// feedID (or on a key before it, which the caller's prefix test rejects).
func lastWithPrefix(c *bbolt.Cursor, feedID uint64) ([]byte, []byte) {
	if feedID == ^uint64(0) {
		return c.Last()
	}
	if k, _ := c.Seek(u64(feedID + 1)); k == nil {
		return c.Last()
	}
	return c.Prev()
}

// Prune deletes the items first seen before the cutoff, except each feed's
// newest minPerFeed items. The seen-set keeps their identities (stamped
// with the current time), so they never come back as new. It returns the
// number of items deleted.
func (db *DB) Prune(before time.Time, minPerFeed int) (int, error) {
	cut := nsKey(before)
	collect := func(tx *bbolt.Tx) [][2][]byte {
		var doomed [][2][]byte
		c := bkt(tx, bFeedItems).Cursor()
		for k, _ := c.First(); k != nil; {
			feedID := binary.BigEndian.Uint64(k)
			prefix := u64(feedID)
			n := 0
			var v []byte
			for k, v = lastWithPrefix(c, feedID); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Prev() {
				n++
				if n > minPerFeed && len(k) == 24 && binary.BigEndian.Uint64(k[8:16]) < cut {
					doomed = append(doomed, [2][]byte{bytes.Clone(k), bytes.Clone(v)})
				}
			}
			if feedID == ^uint64(0) {
				break
			}
			k, _ = c.Seek(u64(feedID + 1))
		}
		return doomed
	}
	n := 0
	if err := db.view(func(tx *bbolt.Tx) error { n = len(collect(tx)); return nil }); err != nil || n == 0 {
		return 0, err
	}
	now := nsKey(db.now())
	err := db.update(func(tx *bbolt.Tx) error {
		doomed := collect(tx)
		n = len(doomed)
		for _, kv := range doomed {
			if err := deleteItem(tx, kv[0], kv[1], now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("prune items: %w", err)
	}
	return n, nil
}

// deleteItem removes an item, given its feed_items key and value, with its
// index entries, and stamps its seen-set entry with now: PruneSeen counts
// from when it was last known.
func deleteItem(tx *bbolt.Tx, feedItemsKey, key []byte, now uint64) error {
	feedID, fs, seq := feedItemsKey[:8], feedItemsKey[8:16], feedItemsKey[16:24]
	if err := deleteChunks(bkt(tx, bItems), seq); err != nil {
		return err
	}
	if err := bkt(tx, bItemsByID).Delete(key); err != nil {
		return err
	}
	if err := bkt(tx, bItemsByFirst).Delete(join(fs, seq)); err != nil {
		return err
	}
	if err := bkt(tx, bFeedItems).Delete(feedItemsKey); err != nil {
		return err
	}
	return bkt(tx, bSeen).Put(join(feedID, key), u64(now))
}

// PruneSeen forgets seen-set entries last known before the cutoff whose
// item is no longer stored. Choose a cutoff well beyond the item retention
// (entries are renewed weekly while a feed still lists the item). It
// returns the number of entries deleted.
func (db *DB) PruneSeen(before time.Time) (int, error) {
	cut := nsKey(before)
	collect := func(tx *bbolt.Tx) [][]byte {
		var doomed [][]byte
		items := bkt(tx, bItemsByID)
		c := bkt(tx, bSeen).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if len(v) == 8 && binary.BigEndian.Uint64(v) < cut && len(k) > 8 && items.Get(k[8:]) == nil {
				doomed = append(doomed, bytes.Clone(k))
			}
		}
		return doomed
	}
	n := 0
	if err := db.view(func(tx *bbolt.Tx) error { n = len(collect(tx)); return nil }); err != nil || n == 0 {
		return 0, err
	}
	err := db.update(func(tx *bbolt.Tx) error {
		doomed := collect(tx)
		n = len(doomed)
		seen := bkt(tx, bSeen)
		for _, k := range doomed {
			if err := seen.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("prune seen-set: %w", err)
	}
	return n, nil
}
