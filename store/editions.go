package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"go.etcd.io/bbolt"

	"github.com/tidings/tidings"
)

// digestPrefix is the key prefix of everything of one digest; the 0x00
// separator keeps "daily" from matching "daily-extra".
func digestPrefix(digest string) ([]byte, error) {
	if digest == "" || strings.IndexByte(digest, 0) >= 0 {
		return nil, fmt.Errorf("invalid digest name %q", digest)
	}
	return append([]byte(digest), 0), nil
}

// SaveEdition stores a new edition unless one for the same Digest and Slot
// exists, in which case it returns that one and false: building is
// idempotent per schedule slot. A new edition gets Number = last + 1, and in
// the same transaction one pending delivery per recipient is queued.
func (db *DB) SaveEdition(e tidings.Edition, recipients []string, now time.Time) (tidings.Edition, bool, error) {
	prefix, err := digestPrefix(e.Digest)
	if err != nil {
		return e, false, fmt.Errorf("save edition: %w", err)
	}
	slotKey := join(prefix, u64(nsKey(e.Slot)))
	existing := func(tx *bbolt.Tx) (tidings.Edition, bool, error) {
		n := bkt(tx, bEditionSlots).Get(slotKey)
		if len(n) != 4 {
			return tidings.Edition{}, false, nil
		}
		old, err := db.getEdition(tx, prefix, binary.BigEndian.Uint32(n))
		return old, err == nil, err
	}
	// nextNumber is last + 1 for the digest.
	nextNumber := func(tx *bbolt.Tx) int {
		var last uint32
		c := bkt(tx, bEditions).Cursor()
		if k, _ := c.Seek(append(bytes.Clone(prefix), 0xff, 0xff, 0xff, 0xff)); k != nil {
			k, _ = c.Prev()
			last = editionNumber(k, prefix)
		} else if k, _ = c.Last(); k != nil {
			last = editionNumber(k, prefix)
		}
		return int(last) + 1
	}
	var old tidings.Edition
	var found bool
	if err := db.view(func(tx *bbolt.Tx) (err error) {
		old, found, err = existing(tx)
		e.Number = nextNumber(tx)
		return err
	}); err != nil || found {
		return old, false, err
	}
	// Compress outside the write transaction, with the number it will most
	// likely get; re-encoded inside only if another edition came first.
	prepared := e.Number
	val, err := db.codec.encodeCompressed(&e)
	if err != nil {
		return e, false, fmt.Errorf("save edition of %s: %w", e.Digest, err)
	}
	created := false
	err = db.update(func(tx *bbolt.Tx) error {
		if old, found, err = existing(tx); err != nil || found {
			return err
		}
		eds := bkt(tx, bEditions)
		e.Number = nextNumber(tx)
		val := val
		if e.Number != prepared {
			var err error
			if val, err = db.codec.encodeCompressed(&e); err != nil {
				return err
			}
		}
		num := u32(uint32(e.Number))
		if err := eds.Put(join(prefix, num), val); err != nil {
			return err
		}
		if err := bkt(tx, bEditionSlots).Put(slotKey, num); err != nil {
			return err
		}
		items := bkt(tx, bEditionItems)
		for _, s := range e.Sections {
			for _, en := range s.Entries {
				if en.ItemID == "" {
					continue
				}
				k := join(prefix, itemKey(en.ItemID))
				if items.Get(k) == nil {
					if err := items.Put(k, num); err != nil {
						return err
					}
				}
			}
		}
		ds := make([]tidings.Delivery, 0, len(recipients))
		for _, r := range recipients {
			ds = append(ds, tidings.Delivery{Digest: e.Digest, Edition: e.Number, Recipient: r,
				State: tidings.DeliveryPending, Created: now, NextAttempt: now})
		}
		created = true
		return enqueue(tx, ds)
	})
	if err != nil {
		return e, false, fmt.Errorf("save edition of %s: %w", e.Digest, err)
	}
	if !created {
		return old, false, nil
	}
	return e, true, nil
}

// editionNumber returns the number in an editions key of the digest, or 0
// if k belongs to another digest.
func editionNumber(k, prefix []byte) uint32 {
	if len(k) != len(prefix)+4 || !bytes.HasPrefix(k, prefix) {
		return 0
	}
	return binary.BigEndian.Uint32(k[len(prefix):])
}

func (db *DB) getEdition(tx *bbolt.Tx, prefix []byte, number uint32) (tidings.Edition, error) {
	var e tidings.Edition
	v := bkt(tx, bEditions).Get(join(prefix, u32(number)))
	if v == nil {
		return e, fmt.Errorf("edition %s %d: %w", prefix[:len(prefix)-1], number, tidings.ErrNotFound)
	}
	if err := db.codec.decodeCompressed(v, &e); err != nil {
		return e, corruptError(db.path, fmt.Errorf("edition %s %d: %w", prefix[:len(prefix)-1], number, err))
	}
	return e, nil
}

// Edition returns edition number of digest, or an error wrapping
// tidings.ErrNotFound.
func (db *DB) Edition(digest string, number int) (e tidings.Edition, err error) {
	prefix, err := digestPrefix(digest)
	if err != nil {
		return e, err
	}
	if number <= 0 || uint64(number) > math.MaxUint32 {
		return e, fmt.Errorf("edition %s %d: %w", digest, number, tidings.ErrNotFound)
	}
	err = db.view(func(tx *bbolt.Tx) error {
		e, err = db.getEdition(tx, prefix, uint32(number))
		return err
	})
	return e, err
}

// LatestEdition returns the digest's newest edition, or an error wrapping
// tidings.ErrNotFound if it has none.
func (db *DB) LatestEdition(digest string) (e tidings.Edition, err error) {
	prefix, err := digestPrefix(digest)
	if err != nil {
		return e, err
	}
	err = db.view(func(tx *bbolt.Tx) error {
		c := bkt(tx, bEditions).Cursor()
		var k []byte
		if k, _ = c.Seek(append(bytes.Clone(prefix), 0xff, 0xff, 0xff, 0xff)); k != nil {
			k, _ = c.Prev()
		} else {
			k, _ = c.Last()
		}
		n := editionNumber(k, prefix)
		if n == 0 {
			return fmt.Errorf("latest edition of %s: %w", digest, tidings.ErrNotFound)
		}
		e, err = db.getEdition(tx, prefix, n)
		return err
	})
	return e, err
}

// Editions returns every edition of the digest, by ascending Number.
func (db *DB) Editions(digest string) (es []tidings.Edition, err error) {
	prefix, err := digestPrefix(digest)
	if err != nil {
		return nil, err
	}
	err = db.view(func(tx *bbolt.Tx) error {
		es = nil
		c := bkt(tx, bEditions).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			if len(k) != len(prefix)+4 {
				continue
			}
			var e tidings.Edition
			if err := db.codec.decodeCompressed(v, &e); err != nil {
				return corruptError(db.path, fmt.Errorf("edition %s: %w", k, err))
			}
			es = append(es, e)
		}
		return nil
	})
	return es, err
}

// Digests returns the names of the digests that have editions, sorted.
func (db *DB) Digests() (names []string, err error) {
	err = db.view(func(tx *bbolt.Tx) error {
		names = nil
		c := bkt(tx, bEditions).Cursor()
		for k, _ := c.First(); k != nil; {
			i := bytes.IndexByte(k, 0)
			if i <= 0 {
				return corruptError(db.path, errors.New("edition key without digest name"))
			}
			names = append(names, string(k[:i]))
			k, _ = c.Seek(append(bytes.Clone(k[:i]), 1)) // past every key of this digest
		}
		return nil
	})
	return names, err
}

// EditionItemIDs returns the ids of every item in any edition of digest,
// so a new edition can leave them out.
func (db *DB) EditionItemIDs(digest string) (ids map[string]bool, err error) {
	prefix, err := digestPrefix(digest)
	if err != nil {
		return nil, err
	}
	err = db.view(func(tx *bbolt.Tx) error {
		ids = make(map[string]bool)
		c := bkt(tx, bEditionItems).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			ids[itemIDFromKey(k[len(prefix):])] = true
		}
		return nil
	})
	return ids, err
}
