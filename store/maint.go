package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"go.etcd.io/bbolt"

	"github.com/tidings/tidings"
)

// Stats counts feeds, items, editions, the seen-set and the outbox. Item,
// edition and seen counts come from bucket page headers, not from reading
// the values.
func (db *DB) Stats() (st tidings.Stats, err error) {
	err = db.view(func(tx *bbolt.Tx) error {
		st = tidings.Stats{
			Items:    bkt(tx, bItemsByID).Stats().KeyN,
			Editions: bkt(tx, bEditions).Stats().KeyN,
			Seen:     bkt(tx, bSeen).Stats().KeyN,
			DBBytes:  tx.Size(),
		}
		if err := bkt(tx, bFeeds).ForEach(func(k, v []byte) error {
			var f tidings.Feed
			if err := json.Unmarshal(v, &f); err != nil {
				return corruptError(db.path, fmt.Errorf("feed %x: %w", k, err))
			}
			st.Feeds++
			if f.State.Disabled {
				st.DisabledFeeds++
			}
			if f.State.ErrorCount > 0 || f.State.Disabled {
				st.FailingFeeds++
			}
			return nil
		}); err != nil {
			return err
		}
		return bkt(tx, bOutbox).ForEach(func(k, v []byte) error {
			var d tidings.Delivery
			if err := json.Unmarshal(v, &d); err != nil {
				return corruptError(db.path, fmt.Errorf("delivery %q: %w", k, err))
			}
			switch d.State {
			case tidings.DeliveryPending:
				st.PendingDeliveries++
			case tidings.DeliveryFailed:
				st.FailedDeliveries++
			}
			return nil
		})
	})
	if fi, serr := os.Stat(db.path); serr == nil {
		st.DBBytes = fi.Size() // what the user sees on disk, preallocation included
	}
	return st, err
}

// Check verifies the database's page structure (bbolt's tx.Check) and
// returns every problem found, joined, wrapped in ErrCorrupt.
func (db *DB) Check() error {
	var errs []error
	if err := db.view(func(tx *bbolt.Tx) error {
		for err := range tx.Check() {
			errs = append(errs, err)
		}
		return nil
	}); err != nil {
		return err
	}
	if len(errs) == 0 {
		return nil
	}
	return corruptError(db.path, errors.Join(errs...))
}

// Backup writes a consistent copy of the database to w from a read
// transaction, so the daemon may keep writing meanwhile.
func (db *DB) Backup(w io.Writer) (n int64, err error) {
	err = db.view(func(tx *bbolt.Tx) error {
		n, err = tx.WriteTo(w)
		return err
	})
	if err != nil {
		return n, fmt.Errorf("backup %s: %w", db.path, err)
	}
	return n, nil
}

// BackupFile writes a consistent copy of the database to path, atomically:
// a temporary file in the same directory, fsynced, then renamed.
func (db *DB) BackupFile(path string) error {
	if abs, err := filepath.Abs(path); err == nil {
		if self, err := filepath.Abs(db.path); err == nil && abs == self {
			return fmt.Errorf("backup to %s: that is the database itself", path)
		}
	}
	return writeAtomic(path, 0o600, func(f *os.File) error {
		_, err := db.Backup(f)
		return err
	})
}

// writeAtomic creates path through a synced temporary file and a rename, so
// a crash leaves the old file or the complete new one.
func writeAtomic(path string, mode os.FileMode, write func(*os.File) error) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err = write(tmp); err != nil {
		return err
	}
	if err = tmp.Chmod(mode); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	syncDir(dir)
	return nil
}

// syncDir makes a rename durable; best effort, as not every file system
// supports it.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// Compact rewrites the database at path into a fresh file, dropping free
// pages, and swaps it in atomically. The database must not be in use (an
// error wrapping ErrLocked if it is). It returns the file sizes before and
// after.
func Compact(path string, opts Options) (before, after int64, err error) {
	opts.ReadOnly = false
	src, err := Open(path, opts)
	if err != nil {
		return 0, 0, err
	}
	defer func() {
		if cerr := src.Close(); err == nil {
			err = cerr
		}
	}()
	fi, err := os.Stat(path)
	if err != nil {
		return 0, 0, fmt.Errorf("compact %s: %w", path, err)
	}
	before = fi.Size()
	tmpPath := path + ".compact.tmp"
	os.Remove(tmpPath) // left by an interrupted compaction
	dst, err := bbolt.Open(tmpPath, fi.Mode().Perm(), &bbolt.Options{NoSync: true, Timeout: opts.Timeout})
	if err != nil {
		return before, 0, fmt.Errorf("compact %s: %w", path, err)
	}
	err = src.guard(func(*bbolt.Tx) error {
		// Commit every 64 MiB so a large database needs little memory.
		return bbolt.Compact(dst, src.bolt, 64<<20)
	})(nil)
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = syncFile(tmpPath)
	}
	if err != nil {
		os.Remove(tmpPath)
		return before, 0, fmt.Errorf("compact %s: %w", path, err)
	}
	if fi, err := os.Stat(tmpPath); err == nil {
		after = fi.Size()
	}
	if err := os.Rename(tmpPath, path); err != nil {
		os.Remove(tmpPath)
		return before, 0, fmt.Errorf("compact %s: %w", path, err)
	}
	syncDir(filepath.Dir(path))
	return before, after, nil
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
