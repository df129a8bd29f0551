package store

import (
	"encoding/binary"
	"fmt"

	"go.etcd.io/bbolt"
)

// Buckets. Keys sort the way queries read them: big-endian integers,
// fixed-width hashes and big-endian unix nanoseconds.
const (
	bMeta         = "meta"                // "schema_version" -> uint64 BE
	bFeeds        = "feeds"               // feed id (8) -> JSON tidings.Feed
	bFeedURLs     = "feed_urls"           // url -> feed id (8)
	bFeedsDue     = "feeds_due"           // next check ns (8) + feed id (8) -> nil; enabled feeds only
	bItems        = "items"               // item seq (8, NextSequence: inserts append) + piece (2) -> piece of the item value (codec.go)
	bItemsByID    = "items_by_id"         // item key (10, see itemKey) -> item seq (8)
	bItemsByFirst = "items_by_first_seen" // first seen ns (8) + item seq (8) -> nil
	bFeedItems    = "feed_items"          // feed id (8) + first seen ns (8) + item seq (8) -> item key
	bSeen         = "seen"                // feed id (8) + item key -> last known present ns (8)
	bEditions     = "editions"            // digest + 0x00 + number (4) -> compressed JSON tidings.Edition
	bEditionSlots = "edition_slots"       // digest + 0x00 + slot ns (8) -> number (4)
	bEditionItems = "edition_items"       // digest + 0x00 + item key -> first edition number (4)
	bOutbox       = "outbox"              // digest + 0x00 + number (4) + lower-cased recipient -> JSON tidings.Delivery
	bSummaries    = "summaries"           // cache key -> JSON tidings.Summary
	bState        = "state"               // key -> value
	bDicts        = "dicts"               // dictionary id (4) -> shared compression dictionary (dict.go)
)

const keySchemaVersion = "schema_version"

// migration upgrades the schema by one version; it runs in the same write
// transaction that records the new version.
type migration func(tx *bbolt.Tx) error

// migrations is append-only: never edit or reorder an entry that shipped.
// Version N is the state after migrations()[N-1] ran.
func migrations() []migration {
	return []migration{
		// 1: the initial buckets.
		func(tx *bbolt.Tx) error {
			for _, name := range []string{bFeeds, bFeedURLs, bFeedsDue, bItems, bItemsByID, bItemsByFirst,
				bFeedItems, bSeen, bEditions, bEditionSlots, bEditionItems, bOutbox, bSummaries, bState} {
				if _, err := tx.CreateBucketIfNotExists([]byte(name)); err != nil {
					return fmt.Errorf("create bucket %s: %w", name, err)
				}
			}
			return nil
		},
		// 2: shared compression dictionaries.
		func(tx *bbolt.Tx) error {
			_, err := tx.CreateBucketIfNotExists([]byte(bDicts))
			return err
		},
	}
}

// SchemaVersion is the schema version this binary writes.
func SchemaVersion() int { return len(migrations()) }

// schemaVersion reads the stored version; 0 for a new, empty file.
func schemaVersion(tx *bbolt.Tx) (int, error) {
	meta := tx.Bucket([]byte(bMeta))
	if meta == nil {
		empty := true
		tx.ForEach(func([]byte, *bbolt.Bucket) error { empty = false; return nil })
		if !empty {
			return 0, fmt.Errorf("no %q bucket", bMeta)
		}
		return 0, nil
	}
	v := meta.Get([]byte(keySchemaVersion))
	if len(v) != 8 {
		return 0, fmt.Errorf("bad schema version record %x", v)
	}
	return int(binary.BigEndian.Uint64(v)), nil
}

// migrate brings the schema up to date, one transaction per migration, so
// a crash leaves the file at a consistent earlier version.
func (db *DB) migrate(readOnly bool) error {
	var have int
	if err := db.view(func(tx *bbolt.Tx) (err error) {
		have, err = schemaVersion(tx)
		return err
	}); err != nil {
		return corruptError(db.path, err)
	}
	migs := migrations()
	switch {
	case have > len(migs):
		return &dbError{
			msg: fmt.Sprintf("database %s has schema version %d, newer than this tidings binary knows (%d); "+
				"upgrade tidings, or restore a backup made with the older version", db.path, have, len(migs)),
			kind: ErrNewerSchema,
		}
	case have == len(migs):
		return nil
	case readOnly:
		return fmt.Errorf("database %s has schema version %d, this binary needs %d: open it once read-write to migrate", db.path, have, len(migs))
	}
	for v := have; v < len(migs); v++ {
		err := db.update(func(tx *bbolt.Tx) error {
			if err := migs[v](tx); err != nil {
				return err
			}
			meta, err := tx.CreateBucketIfNotExists([]byte(bMeta))
			if err != nil {
				return err
			}
			return meta.Put([]byte(keySchemaVersion), u64(uint64(v+1)))
		})
		if err != nil {
			return fmt.Errorf("migrate database %s to schema version %d: %w", db.path, v+1, err)
		}
	}
	return nil
}

// bkt returns a bucket the migrations created; a missing one means the
// file is damaged, and the panic is turned into ErrCorrupt by guard.
func bkt(tx *bbolt.Tx, name string) *bbolt.Bucket {
	b := tx.Bucket([]byte(name))
	if b == nil {
		panic(fmt.Sprintf("bucket %q missing", name))
	}
	if f := fillPercent(name); f > 0 {
		b.FillPercent = f
	}
	return b
}

// fillPercent packs the pages of buckets written in key order (bbolt's
// default 0.5 leaves appended pages half empty); 0 keeps the default.
// feed_items is not among them: a poll inserts each feed's items at the
// feed's place in the key space, and its pages filled to 0.9 split again
// on the next insert (measured: 53% of their bytes in use against 70%
// with the default).
func fillPercent(bucket string) float64 {
	switch bucket {
	case bItems, bItemsByFirst:
		return 1.0
	}
	return 0
}
