// Package store keeps everything Tidings knows in one embedded bbolt file:
// feeds and their poll state, items with their readable bodies, the seen-set
// that stops pruned items from coming back, digest editions, the email outbox,
// the summary cache and small daemon state. It is the only package that
// imports bbolt; callers see only the root domain types, and consumers
// declare the small interfaces they need, which *DB satisfies.
//
// Each exported method does its work in one transaction. Methods that may
// have nothing to change first look in a read transaction and then skip the
// write transaction entirely (the write re-checks everything itself): on an
// SD card every commit costs page writes and an fsync even when it changes
// nothing.
//
// Item and edition values are compressed, one stream per value, with the
// item's plain Text right before its HTML Content, which repeats it
// (codec.go). They are encoded and compressed in the caller's goroutine
// before the write transaction, which then only compares and puts bytes:
// concurrent savers compress in parallel instead of queueing behind one
// compressing writer. Items are keyed by an insertion sequence, so new
// items append to the end of the file's item pages, and are split into
// pieces of an eighth of a page so those pages fill up. Values are JSON of
// the root structs (for items, all but Text and Content), so fields added
// to them persist without a migration.
package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Sentinel errors of Open, Compact and the read/write methods, for errors.Is.
var (
	// ErrLocked: another process holds the database's file lock.
	ErrLocked = errors.New("database is in use by another process")
	// ErrNewerSchema: the file was written by a newer Tidings.
	ErrNewerSchema = errors.New("database schema is newer than this tidings binary")
	// ErrCorrupt: the file is not a readable Tidings database.
	ErrCorrupt = errors.New("database is corrupt")
)

// DefaultTimeout is how long Open waits for the file lock when
// Options.Timeout is zero.
const DefaultTimeout = 2 * time.Second

// batchDelay is how long a Batch write waits for other writers to join
// its transaction (one commit, one pair of fsyncs for all of them). With
// 16 concurrent savers (BenchmarkConcurrentIngest) 10 ms gives about 5
// polls per commit; 2 ms doubled the commits, 30 ms saved a third of them
// but adds 30 ms to every poll's save. Callers that arrive while a commit
// runs join the next batch anyway. (NoFreelistSync would save a small
// write per commit but makes every Open scan all pages of the file, slow
// on an SD card; it stays off.)
const batchDelay = 10 * time.Millisecond

// Options tune Open.
type Options struct {
	// Timeout is how long to wait for the file lock (default 2s), so a CLI
	// command never hangs behind the daemon.
	Timeout time.Duration
	// ReadOnly opens with a shared lock; writes fail.
	ReadOnly bool
	// NoSync skips fsync on commit (tests, bulk imports); unsafe on power loss.
	NoSync bool
	// Now is the clock used where a method takes no time argument (pruning
	// bookkeeping). Default time.Now.
	Now func() time.Time
}

// DB is an open Tidings database. It is safe for concurrent use.
type DB struct {
	bolt    *bbolt.DB
	path    string
	pidFile string
	now     func() time.Time
	codec   *codec
	// cache is a second descriptor of the file, to advise the kernel
	// about its page cache (see trimCache); nil if read-only.
	cache  *os.File
	writes atomic.Uint64
	// dictMu serializes making and deleting shared dictionaries.
	dictMu sync.Mutex
}

// Open opens (creating if needed) the database at path, runs pending schema
// migrations and returns it. A database held by another process yields an
// error wrapping ErrLocked after opts.Timeout; an unreadable file one
// wrapping ErrCorrupt; a database from a newer Tidings one wrapping
// ErrNewerSchema.
func Open(path string, opts Options) (db *DB, err error) {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if !opts.ReadOnly {
		if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
			return nil, fmt.Errorf("create data directory: %w", err)
		}
	}
	// A damaged file can make bbolt panic, or fault on a page past the end
	// of a truncated file, while it loads the freelist during Open.
	defer func() {
		if r := recover(); r != nil {
			db, err = nil, corruptError(path, fmt.Errorf("panic: %v", r))
		}
	}()
	old := debug.SetPanicOnFault(true)
	defer debug.SetPanicOnFault(old)

	b, err := bbolt.Open(path, 0o600, &bbolt.Options{
		Timeout:  opts.Timeout,
		ReadOnly: opts.ReadOnly,
		NoSync:   opts.NoSync,
		// The hashmap freelist allocates in O(1) where the array scans;
		// it is in-memory only, the file format is the same.
		FreelistType: bbolt.FreelistMapType,
	})
	if err != nil {
		switch {
		case errors.Is(err, berrors.ErrTimeout):
			return nil, &lockedError{path: path, pid: lockHolder(path + ".pid")}
		case errors.Is(err, berrors.ErrInvalid), errors.Is(err, berrors.ErrChecksum),
			errors.Is(err, berrors.ErrVersionMismatch), errors.Is(err, berrors.ErrInvalidMapping):
			return nil, corruptError(path, err)
		}
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	b.MaxBatchDelay = batchDelay
	db = &DB{bolt: b, path: path, now: opts.Now, codec: newCodec()}
	if err := db.checkSize(); err != nil {
		b.Close()
		return nil, err
	}
	if err := db.migrate(opts.ReadOnly); err != nil {
		b.Close()
		return nil, err
	}
	if err := db.loadDicts(); err != nil {
		b.Close()
		return nil, err
	}
	if !opts.ReadOnly {
		db.cache, _ = os.Open(path) // best effort, like the pid file
		// Best effort: it only improves the "in use" message of a second process.
		db.pidFile = path + ".pid"
		if os.WriteFile(db.pidFile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o600) != nil {
			db.pidFile = ""
		}
	}
	return db, nil
}

// checkSize refuses a file shorter than its own meta page says: reading the
// missing pages through the memory map would fault.
func (db *DB) checkSize() error {
	fi, err := os.Stat(db.path)
	if err != nil {
		return fmt.Errorf("open database %s: %w", db.path, err)
	}
	tx, err := db.bolt.Begin(false)
	if err != nil {
		return corruptError(db.path, err)
	}
	size := tx.Size()
	tx.Rollback()
	if size > fi.Size() {
		return corruptError(db.path, fmt.Errorf("file is %d bytes, its header says %d: truncated", fi.Size(), size))
	}
	return nil
}

// Close closes the database; it waits for running transactions.
func (db *DB) Close() error {
	if db.pidFile != "" {
		if b, err := os.ReadFile(db.pidFile); err == nil && strings.TrimSpace(string(b)) == strconv.Itoa(os.Getpid()) {
			os.Remove(db.pidFile)
		}
	}
	if err := db.bolt.Close(); err != nil {
		return fmt.Errorf("close database %s: %w", db.path, err)
	}
	db.codec.close()
	if db.cache != nil {
		db.cache.Close()
	}
	return nil
}

// trimCacheEvery is how many item-writing polls pass between two trims.
const trimCacheEvery = 8

// trimCache drops the file's clean cached pages that no one maps, every
// trimCacheEvery item-writing polls. bbolt writes pages with pwrite and
// reads them through its mapping, and on a page fault the kernel maps up
// to 15 neighbouring pages that are in the page cache (fault-around, even
// with MADV_RANDOM): during an ingest, most freshly written pages got
// mapped and counted in the daemon's RSS. Items are written once and read
// rarely, so their pages need not stay cached; the pages bbolt does read
// stay mapped. Measured (feedbench, 1,000 feeds): peak RSS 118 -> 98 MiB,
// the same wall and CPU time. Trimming more often used to cost wall time:
// the pages bbolt reads all the time were dropped from the cache too and
// came back from the disk (every 8 polls: 19.2-20.4 s against 16.3-16.7 s
// for 2,000 feeds). ReleaseMemory now keeps them cached; every 4, 8 or 16
// polls then differ in wall time by less than this VM's noise, and every
// 8 leaves a 2,000-feed ingest 1.5-3 MiB below every 16 (docs/bench-feed.md).
func (db *DB) trimCache() {
	if db.cache != nil && db.writes.Add(1)%trimCacheEvery == 0 {
		db.ReleaseMemory()
	}
}

// ReleaseMemory gives the database's file pages back to the kernel: the
// pages mapped into this process (they stay in the page cache, so the next
// read is a cheap minor fault) and the cached pages no one maps. bbolt's
// mapping of a grown database otherwise stays resident for as long as the
// daemon runs, which is what `top` and a Pi's 512 MB see. The daemon calls
// it after a poll cycle; it is cheap and changes no data.
func (db *DB) ReleaseMemory() {
	// Cached pages first, then the mapping: dropping the cache spares
	// mapped pages, so the pages bbolt read since the last trim (its
	// branches, the leaves it appends to) stay cached and fault back in
	// cheaply; only pages written and never read leave the cache. They
	// leave at the next trim if nothing reads them by then.
	if db.cache != nil {
		dropCleanPages(db.cache)
	}
	// A read transaction holds bbolt's mmap lock, so the mapping cannot be
	// replaced while it is advised.
	_ = db.bolt.View(func(tx *bbolt.Tx) error {
		unmapPages(db.bolt.Info().Data, tx.Size())
		return nil
	})
}

// Path is the database file's path.
func (db *DB) Path() string { return db.path }

// view runs fn in a read transaction, turning bbolt panics (and memory
// faults on a damaged file) into ErrCorrupt errors.
func (db *DB) view(fn func(*bbolt.Tx) error) error {
	return db.bolt.View(db.guard(fn))
}

// update runs fn in a write transaction, like view.
func (db *DB) update(fn func(*bbolt.Tx) error) error {
	return db.bolt.Update(db.guard(fn))
}

// batch runs fn in a write transaction that bbolt may share with concurrent
// callers (one commit and fsync for several feeds). fn may run more than
// once, so it must start from scratch each time.
func (db *DB) batch(fn func(*bbolt.Tx) error) error {
	return db.bolt.Batch(db.guard(fn))
}

func (db *DB) guard(fn func(*bbolt.Tx) error) func(*bbolt.Tx) error {
	return func(tx *bbolt.Tx) (err error) {
		// Set here, not by the caller: bbolt's Batch may run fn on its own
		// timer goroutine.
		old := debug.SetPanicOnFault(true)
		defer debug.SetPanicOnFault(old)
		defer func() {
			if r := recover(); r != nil {
				err = corruptError(db.path, fmt.Errorf("panic: %v", r))
			}
		}()
		return fn(tx)
	}
}

// lockedError is returned when another process holds the file lock.
type lockedError struct {
	path string
	pid  int
}

func (e *lockedError) Error() string {
	who := "another tidings process"
	if e.pid > 0 {
		who += fmt.Sprintf(" (pid %d)", e.pid)
	}
	return fmt.Sprintf("database %s is in use by %s; stop it or use a different data_dir", e.path, who)
}

func (e *lockedError) Unwrap() error { return ErrLocked }

// lockHolder reads the pid the lock holder wrote next to the database, if
// that process still exists.
func lockHolder(pidFile string) int {
	b, err := os.ReadFile(pidFile)
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0
	}
	if p, err := os.FindProcess(pid); err != nil || p.Signal(syscall.Signal(0)) != nil {
		return 0
	}
	return pid
}

// dbError carries a user-facing message and the sentinel and cause behind it.
type dbError struct {
	msg   string
	kind  error
	cause error
}

func (e *dbError) Error() string   { return e.msg }
func (e *dbError) Unwrap() []error { return []error{e.kind, e.cause} }

func corruptError(path string, cause error) error {
	var de *dbError
	if errors.As(cause, &de) && de.kind == ErrCorrupt {
		return cause
	}
	return &dbError{
		msg: fmt.Sprintf("database %s is damaged or not a tidings database (%v); "+
			"restore a backup made with `tidings backup`, or move the file away to start empty", path, cause),
		kind:  ErrCorrupt,
		cause: cause,
	}
}
