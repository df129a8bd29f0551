package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.etcd.io/bbolt"

	"github.com/tidings/tidings"
)

// AddFeed subscribes to a new feed. A zero ID becomes tidings.NewFeedID(URL)
// and a zero Added the current time. A URL (or ID) already subscribed gives
// an error wrapping tidings.ErrExists.
func (db *DB) AddFeed(f tidings.Feed) (tidings.Feed, error) {
	if err := prepareNew(&f, db.now()); err != nil {
		return f, err
	}
	err := db.update(func(tx *bbolt.Tx) error {
		if bkt(tx, bFeedURLs).Get([]byte(f.URL)) != nil {
			return fmt.Errorf("add feed %s: %w", f.URL, tidings.ErrExists)
		}
		if bkt(tx, bFeeds).Get(u64(f.ID)) != nil {
			return fmt.Errorf("add feed %s: id %d: %w", f.URL, f.ID, tidings.ErrExists)
		}
		return putFeed(tx, &f)
	})
	return f, err
}

// AddFeeds subscribes to the feeds of fs in one transaction: a config or an
// OPML file of 2,000 feeds, added one by one, took 2,000 commits and their
// fsyncs (0.6 s on a PC, far longer on an SD card). A feed whose URL is
// already stored, or repeats an earlier one of fs, is skipped; added lists
// the feeds written, with their ids. An empty URL, or an id taken by a
// feed with another URL, fails the whole call and writes nothing.
func (db *DB) AddFeeds(fs []tidings.Feed) (added []tidings.Feed, err error) {
	now := db.now()
	prepared := make([]tidings.Feed, 0, len(fs))
	for _, f := range fs {
		if err := prepareNew(&f, now); err != nil {
			return nil, err
		}
		prepared = append(prepared, f)
	}
	err = db.update(func(tx *bbolt.Tx) error {
		added = added[:0]
		for i := range prepared {
			f := &prepared[i]
			if bkt(tx, bFeedURLs).Get([]byte(f.URL)) != nil {
				continue // stored already, or earlier in fs
			}
			if bkt(tx, bFeeds).Get(u64(f.ID)) != nil {
				return fmt.Errorf("add feed %s: id %d: %w", f.URL, f.ID, tidings.ErrExists)
			}
			if err := putFeed(tx, f); err != nil {
				return fmt.Errorf("add feed %s: %w", f.URL, err)
			}
			added = append(added, *f)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return added, nil
}

// prepareNew fills in what a new subscription needs: a trimmed URL, the id
// derived from it and the time it was added.
func prepareNew(f *tidings.Feed, now time.Time) error {
	f.URL = strings.TrimSpace(f.URL)
	if f.URL == "" {
		return errors.New("add feed: empty URL")
	}
	if f.ID == 0 {
		f.ID = tidings.NewFeedID(f.URL)
	}
	if f.Added.IsZero() {
		f.Added = now
	}
	return nil
}

// SaveFeed inserts or replaces the feed with f.ID (configuration and poll
// state), keeping the URL and due-time indexes right. Saving a feed exactly
// as stored writes nothing.
func (db *DB) SaveFeed(f tidings.Feed) error {
	if f.ID == 0 {
		return fmt.Errorf("save feed %s: zero id", f.URL)
	}
	val, err := marshal(&f)
	if err != nil {
		return fmt.Errorf("save feed %s: %w", f.URL, err)
	}
	same := false
	if err := db.view(func(tx *bbolt.Tx) error {
		same = bytes.Equal(bkt(tx, bFeeds).Get(u64(f.ID)), val)
		return nil
	}); err != nil || same {
		return err
	}
	return db.batch(func(tx *bbolt.Tx) error { return putFeed(tx, &f) })
}

// putFeed writes f and moves its index entries from the stored version.
func putFeed(tx *bbolt.Tx, f *tidings.Feed) error {
	feeds, urls, due := bkt(tx, bFeeds), bkt(tx, bFeedURLs), bkt(tx, bFeedsDue)
	id := u64(f.ID)
	if f.URL == "" {
		return fmt.Errorf("save feed %d: empty URL", f.ID)
	}
	if owner := urls.Get([]byte(f.URL)); owner != nil && !bytes.Equal(owner, id) {
		return fmt.Errorf("save feed %s: URL belongs to feed %d: %w", f.URL, binary.BigEndian.Uint64(owner), tidings.ErrExists)
	}
	if v := feeds.Get(id); v != nil {
		var old tidings.Feed
		if err := json.Unmarshal(v, &old); err != nil {
			return fmt.Errorf("feed %d: %w", f.ID, err)
		}
		if old.URL != f.URL {
			if err := urls.Delete([]byte(old.URL)); err != nil {
				return err
			}
		}
		if err := due.Delete(dueKey(&old)); err != nil {
			return err
		}
	}
	val, err := marshal(f)
	if err != nil {
		return fmt.Errorf("save feed %s: %w", f.URL, err)
	}
	if err := feeds.Put(id, val); err != nil {
		return err
	}
	if err := urls.Put([]byte(f.URL), id); err != nil {
		return err
	}
	if f.State.Disabled {
		return nil
	}
	return due.Put(dueKey(f), nil)
}

func dueKey(f *tidings.Feed) []byte {
	return join(u64(nsKey(f.State.NextCheck)), u64(f.ID))
}

func getFeed(tx *bbolt.Tx, id uint64) (tidings.Feed, error) {
	var f tidings.Feed
	v := bkt(tx, bFeeds).Get(u64(id))
	if v == nil {
		return f, fmt.Errorf("feed %d: %w", id, tidings.ErrNotFound)
	}
	if err := json.Unmarshal(v, &f); err != nil {
		return f, fmt.Errorf("feed %d: %w", id, err)
	}
	return f, nil
}

// Feed returns the feed with id, or an error wrapping tidings.ErrNotFound.
func (db *DB) Feed(id uint64) (f tidings.Feed, err error) {
	err = db.view(func(tx *bbolt.Tx) error {
		f, err = getFeed(tx, id)
		return err
	})
	return f, err
}

// FeedByURL returns the feed polled at url, or an error wrapping
// tidings.ErrNotFound.
func (db *DB) FeedByURL(url string) (f tidings.Feed, err error) {
	err = db.view(func(tx *bbolt.Tx) error {
		id := bkt(tx, bFeedURLs).Get([]byte(strings.TrimSpace(url)))
		if len(id) != 8 {
			return fmt.Errorf("feed %s: %w", url, tidings.ErrNotFound)
		}
		f, err = getFeed(tx, binary.BigEndian.Uint64(id))
		return err
	})
	return f, err
}

// Feeds returns every feed, sorted by URL.
func (db *DB) Feeds() (fs []tidings.Feed, err error) {
	err = db.view(func(tx *bbolt.Tx) error {
		fs = nil
		return bkt(tx, bFeedURLs).ForEach(func(_, id []byte) error {
			f, err := getFeed(tx, binary.BigEndian.Uint64(id))
			if err != nil {
				return err
			}
			fs = append(fs, f)
			return nil
		})
	})
	return fs, err
}

// DueFeeds returns the enabled feeds whose next check is at or before now,
// earliest first.
func (db *DB) DueFeeds(now time.Time) (fs []tidings.Feed, err error) {
	limit := nsKey(now)
	err = db.view(func(tx *bbolt.Tx) error {
		fs = nil
		c := bkt(tx, bFeedsDue).Cursor()
		for k, _ := c.First(); k != nil && len(k) == 16 && binary.BigEndian.Uint64(k) <= limit; k, _ = c.Next() {
			f, err := getFeed(tx, binary.BigEndian.Uint64(k[8:]))
			if err != nil {
				return err
			}
			fs = append(fs, f)
		}
		return nil
	})
	return fs, err
}

// NextDue returns the earliest next check of the enabled feeds, or the zero
// time if there are none. A feed never scheduled (zero NextCheck) is due
// at once: NextDue then returns the Unix epoch, a time in the past.
func (db *DB) NextDue() (t time.Time, err error) {
	err = db.view(func(tx *bbolt.Tx) error {
		k, _ := bkt(tx, bFeedsDue).Cursor().First()
		if len(k) == 16 {
			t = time.Unix(0, int64(binary.BigEndian.Uint64(k))).UTC()
		}
		return nil
	})
	return t, err
}

// RemoveFeed deletes the feed and its items. Its seen-set stays, so adding
// the feed again (it gets the same id) brings none of the old items back.
func (db *DB) RemoveFeed(id uint64) error {
	now := nsKey(db.now())
	return db.update(func(tx *bbolt.Tx) error {
		f, err := getFeed(tx, id)
		if err != nil {
			return err
		}
		if err := bkt(tx, bFeeds).Delete(u64(id)); err != nil {
			return err
		}
		if err := bkt(tx, bFeedURLs).Delete([]byte(f.URL)); err != nil {
			return err
		}
		if err := bkt(tx, bFeedsDue).Delete(dueKey(&f)); err != nil {
			return err
		}
		prefix := u64(id)
		var doomed [][2][]byte
		c := bkt(tx, bFeedItems).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			if len(k) == 24 {
				doomed = append(doomed, [2][]byte{bytes.Clone(k), bytes.Clone(v)})
			}
		}
		for _, kv := range doomed {
			if err := deleteItem(tx, kv[0], kv[1], now); err != nil {
				return err
			}
		}
		return nil
	})
}
