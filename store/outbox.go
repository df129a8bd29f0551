package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"go.etcd.io/bbolt"

	"github.com/tidings/tidings"
)

// deliveryKey: digest, 0x00, edition number (4), lower-cased recipient.
func deliveryKey(d *tidings.Delivery) ([]byte, error) {
	prefix, err := digestPrefix(d.Digest)
	if err != nil {
		return nil, err
	}
	if d.Edition <= 0 || strings.TrimSpace(d.Recipient) == "" {
		return nil, fmt.Errorf("delivery of %s %d to %q: incomplete", d.Digest, d.Edition, d.Recipient)
	}
	return join(prefix, u32(uint32(d.Edition)), []byte(strings.ToLower(strings.TrimSpace(d.Recipient)))), nil
}

// EnqueueDeliveries inserts the deliveries, or resets existing ones (same
// digest, edition and recipient) to pending with the given fields.
func (db *DB) EnqueueDeliveries(ds []tidings.Delivery) error {
	if len(ds) == 0 {
		return nil
	}
	if err := db.update(func(tx *bbolt.Tx) error { return enqueue(tx, ds) }); err != nil {
		return fmt.Errorf("enqueue deliveries: %w", err)
	}
	return nil
}

func enqueue(tx *bbolt.Tx, ds []tidings.Delivery) error {
	out := bkt(tx, bOutbox)
	for _, d := range ds {
		k, err := deliveryKey(&d)
		if err != nil {
			return err
		}
		d.State = tidings.DeliveryPending
		if old := out.Get(k); old != nil && d.Created.IsZero() {
			var o tidings.Delivery
			if json.Unmarshal(old, &o) == nil {
				d.Created = o.Created
			}
		}
		v, err := marshal(&d)
		if err != nil {
			return err
		}
		if err := out.Put(k, v); err != nil {
			return err
		}
	}
	return nil
}

func (db *DB) deliveries(keep func(*tidings.Delivery) bool) (ds []tidings.Delivery, err error) {
	err = db.view(func(tx *bbolt.Tx) error {
		ds = nil
		return bkt(tx, bOutbox).ForEach(func(k, v []byte) error {
			var d tidings.Delivery
			if err := json.Unmarshal(v, &d); err != nil {
				return corruptError(db.path, fmt.Errorf("delivery %q: %w", k, err))
			}
			if keep(&d) {
				ds = append(ds, d)
			}
			return nil
		})
	})
	return ds, err
}

// DueDeliveries returns the pending deliveries whose NextAttempt is at or
// before now, oldest attempt first.
func (db *DB) DueDeliveries(now time.Time) ([]tidings.Delivery, error) {
	ds, err := db.deliveries(func(d *tidings.Delivery) bool {
		return d.State == tidings.DeliveryPending && !d.NextAttempt.After(now)
	})
	sort.SliceStable(ds, func(i, j int) bool { return ds[i].NextAttempt.Before(ds[j].NextAttempt) })
	return ds, err
}

// Deliveries returns the whole outbox (pending, sent and failed), by
// digest, edition and recipient.
func (db *DB) Deliveries() ([]tidings.Delivery, error) {
	return db.deliveries(func(*tidings.Delivery) bool { return true })
}

// UpdateDelivery replaces a queued delivery (matched by digest, edition and
// recipient), or returns an error wrapping tidings.ErrNotFound.
func (db *DB) UpdateDelivery(d tidings.Delivery) error {
	k, err := deliveryKey(&d)
	if err != nil {
		return err
	}
	v, err := marshal(&d)
	if err != nil {
		return err
	}
	same := false
	if err := db.view(func(tx *bbolt.Tx) error {
		old := bkt(tx, bOutbox).Get(k)
		if old == nil {
			return fmt.Errorf("delivery of %s %d to %s: %w", d.Digest, d.Edition, d.Recipient, tidings.ErrNotFound)
		}
		same = bytes.Equal(old, v)
		return nil
	}); err != nil || same {
		return err
	}
	return db.update(func(tx *bbolt.Tx) error { return bkt(tx, bOutbox).Put(k, v) })
}

// CachedSummary returns the cached summary under key (a content hash).
func (db *DB) CachedSummary(key string) (s tidings.Summary, ok bool, err error) {
	err = db.view(func(tx *bbolt.Tx) error {
		v := bkt(tx, bSummaries).Get([]byte(key))
		if v == nil {
			return nil
		}
		if err := json.Unmarshal(v, &s); err != nil {
			return corruptError(db.path, fmt.Errorf("summary %q: %w", key, err))
		}
		ok = true
		return nil
	})
	return s, ok, err
}

// PutSummary caches a summary under key; an identical entry is not
// rewritten.
func (db *DB) PutSummary(key string, s tidings.Summary) error {
	if key == "" {
		return fmt.Errorf("put summary: empty key")
	}
	v, err := marshal(&s)
	if err != nil {
		return err
	}
	return db.putIfChanged(bSummaries, []byte(key), v)
}

// GetState returns the value of a small state key, "" if absent.
func (db *DB) GetState(key string) (val string, err error) {
	err = db.view(func(tx *bbolt.Tx) error {
		val = string(bkt(tx, bState).Get([]byte(key)))
		return nil
	})
	return val, err
}

// SetState sets a small state key; "" deletes it. Setting the current
// value writes nothing.
func (db *DB) SetState(key, value string) error {
	if key == "" {
		return fmt.Errorf("set state: empty key")
	}
	if value == "" {
		present := false
		if err := db.view(func(tx *bbolt.Tx) error {
			present = bkt(tx, bState).Get([]byte(key)) != nil
			return nil
		}); err != nil || !present {
			return err
		}
		return db.update(func(tx *bbolt.Tx) error { return bkt(tx, bState).Delete([]byte(key)) })
	}
	return db.putIfChanged(bState, []byte(key), []byte(value))
}

// putIfChanged skips the write transaction when the value is already there.
func (db *DB) putIfChanged(bucket string, k, v []byte) error {
	same := false
	if err := db.view(func(tx *bbolt.Tx) error {
		old := bkt(tx, bucket).Get(k)
		same = old != nil && bytes.Equal(old, v)
		return nil
	}); err != nil || same {
		return err
	}
	return db.update(func(tx *bbolt.Tx) error { return bkt(tx, bucket).Put(k, v) })
}
