package publish

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/errgroup"
)

// manifestName is the dotfile in the output directory that lists every file
// Tidings wrote there. Only files in it are ever removed, so a user's own
// files in the directory are safe; the handler never serves dotfiles.
const manifestName = ".tidings-manifest.json"

const manifestVersion = 1

// manifest records, per output path, the key of the inputs it was rendered
// from and what the file looked like after writing. A file whose key and
// size/mtime still match is skipped without rendering: editions are
// immutable, so an incremental publish renders only what a new edition
// changes.
type manifest struct {
	Version int                      `json:"version"`
	Files   map[string]manifestEntry `json:"files"`
}

type manifestEntry struct {
	Key   string `json:"key"`
	Size  int64  `json:"size"`
	MTime int64  `json:"mtime"`          // unix nanoseconds
	Hash  string `json:"hash,omitempty"` // of the bytes: a re-render that yields them needs no read-back
}

// job is one output file: its slash-separated path below the output
// directory, the key of its inputs and how to render it.
type job struct {
	path   string
	key    string
	render func() ([]byte, error)
}

// outDir writes jobs into a directory atomically and incrementally.
type outDir struct {
	dir      string
	workers  int
	old      manifest
	mu       sync.Mutex
	next     map[string]manifestEntry
	written  atomic.Int64
	same     atomic.Int64
	syncDirs map[string]bool
	pending  []rename // written temp files, renamed by commit
	made     sync.Map // directories created in this publish
	tmpTag   string   // random part of this publish's temporary names
	tmpSeq   atomic.Int64
	oldRaw   []byte // the manifest as read, to skip rewriting it unchanged
}

// tempPrefix starts every temporary file name; leftovers of a crash are
// recognised by it and removed.
const tempPrefix = ".tidings-tmp-"

// fileStamp is what the manifest records of a written file.
type fileStamp struct {
	size  int64
	mtime int64 // unix nanoseconds
}

type rename struct{ tmp, final string }

func openOutDir(dir string, workers int) (*outDir, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create output directory: %w", err)
	}
	var tag [6]byte
	if _, err := rand.Read(tag[:]); err != nil {
		return nil, err
	}
	o := &outDir{dir: dir, workers: max(workers, 1), next: map[string]manifestEntry{}, syncDirs: map[string]bool{},
		tmpTag: hex.EncodeToString(tag[:])}
	b, err := os.ReadFile(filepath.Join(dir, manifestName))
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("read manifest: %w", err)
	default:
		// A damaged or foreign manifest only costs a full re-render; it is
		// not worth failing the publish for.
		if json.Unmarshal(b, &o.old) != nil || o.old.Version != manifestVersion {
			o.old = manifest{}
		} else {
			o.oldRaw = b
		}
	}
	if o.old.Files == nil {
		o.old.Files = map[string]manifestEntry{}
	}
	return o, nil
}

// run writes every job; jobs whose key and file are unchanged are skipped.
func (o *outDir) run(ctx context.Context, jobs []job) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(o.workers)
	seen := make(map[string]bool, len(jobs))
	for _, j := range jobs {
		if seen[j.path] {
			return fmt.Errorf("publish: two outputs for %s", j.path)
		}
		seen[j.path] = true
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error { return o.do(j) })
	}
	if err := g.Wait(); err != nil {
		o.abort()
		return err
	}
	if err := ctx.Err(); err != nil {
		o.abort()
		return err
	}
	return o.commit()
}

func (o *outDir) do(j job) error {
	full := filepath.Join(o.dir, filepath.FromSlash(j.path))
	old, known := o.old.Files[j.path]
	// One stat tells whether the file is still the one the manifest
	// describes; then nothing below needs to read it back.
	cur, statErr := os.Lstat(full)
	intact := statErr == nil && known && cur.Mode().IsRegular() && cur.Size() == old.Size && cur.ModTime().UnixNano() == old.MTime
	if intact && old.Key == j.key {
		o.record(j.path, old)
		o.same.Add(1)
		return nil
	}
	data, err := j.render()
	if err != nil {
		return fmt.Errorf("render %s: %w", j.path, err)
	}
	sum := hashOf(data)
	switch {
	case intact && old.Hash == sum:
		// New inputs, same bytes (e.g. a template change that does not
		// show on this page): keep the file, its mtime and its ETag.
		o.record(j.path, manifestEntry{Key: j.key, Size: old.Size, MTime: old.MTime, Hash: sum})
		o.same.Add(1)
		return nil
	case statErr == nil && cur.Mode().IsRegular() && cur.Size() == int64(len(data)) && (!intact || old.Hash == ""):
		// No usable record (manifest lost or from an older version): only
		// a file of the same size can hold the same bytes.
		if b, err := os.ReadFile(full); err == nil && bytes.Equal(b, data) {
			o.record(j.path, manifestEntry{Key: j.key, Size: cur.Size(), MTime: cur.ModTime().UnixNano(), Hash: sum})
			o.same.Add(1)
			return nil
		}
	}
	// Only a temporary file now; commit makes all of them durable with one
	// file-system sync and then renames them into place.
	if err := o.mkdirs(filepath.Dir(full)); err != nil {
		return err
	}
	tmp, st, err := o.createTemp(filepath.Dir(full), data)
	if err != nil {
		return fmt.Errorf("write %s: %w", j.path, err)
	}
	// rename keeps size and mtime, so the manifest can record them now.
	o.record(j.path, manifestEntry{Key: j.key, Size: st.size, MTime: st.mtime, Hash: sum})
	o.written.Add(1)
	o.mu.Lock()
	o.pending = append(o.pending, rename{tmp, full})
	o.syncDirs[filepath.Dir(full)] = true
	o.mu.Unlock()
	return nil
}

// mkdirs creates dir once per publish; thousands of files share a few
// directories, and MkdirAll would stat each time.
func (o *outDir) mkdirs(dir string) error {
	if _, ok := o.made.Load(dir); ok {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	o.made.Store(dir, true)
	return nil
}

// createTemp writes data to a new temporary file in dir (same directory as
// the target, so the rename is atomic). Names come from a per-publish
// random prefix and a counter; O_EXCL guards against any collision.
func (o *outDir) createTemp(dir string, data []byte) (string, fileStamp, error) {
	for range 100 {
		name := filepath.Join(dir, fmt.Sprintf("%s%s-%d", tempPrefix, o.tmpTag, o.tmpSeq.Add(1)))
		st, err := createFile(name, data)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return name, st, err
	}
	return "", fileStamp{}, fmt.Errorf("create temporary file in %s: too many collisions", dir)
}

// commit makes the pending temporary files durable and renames them over
// their targets: every file is then either its old or its new version, never
// a torn one, even after a crash. The renames touch different files, so the
// workers share them.
func (o *outDir) commit() error {
	if len(o.pending) == 0 {
		return nil
	}
	if err := syncFiles(o.dir, o.pending); err != nil {
		o.abort()
		return err
	}
	var next atomic.Int64
	var g errgroup.Group
	for range min(o.workers, len(o.pending)) {
		g.Go(func() error {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(o.pending) {
					return nil
				}
				if err := renameFile(o.pending[i].tmp, o.pending[i].final); err != nil {
					next.Store(int64(len(o.pending))) // stop the others
					return err
				}
			}
		})
	}
	if err := g.Wait(); err != nil {
		// Temp files already renamed are gone; removing the rest is harmless.
		o.abort()
		return err
	}
	o.pending = nil
	return nil
}

// abort removes temporary files that will not be committed.
func (o *outDir) abort() {
	for _, r := range o.pending {
		os.Remove(r.tmp)
	}
	o.pending = nil
}

func (o *outDir) record(p string, e manifestEntry) {
	o.mu.Lock()
	o.next[p] = e
	o.mu.Unlock()
}

// finish removes files that an earlier publish wrote and this one did not,
// makes the renames durable and saves the new manifest last: a crash before
// that leaves the old manifest, whose keys then no longer match, so the next
// publish re-renders and compares bytes.
func (o *outDir) finish() (removed int, err error) {
	var gone []string
	for p := range o.old.Files {
		if _, ok := o.next[p]; !ok {
			gone = append(gone, p)
		}
	}
	// Deepest first, so emptied directories can go too.
	sort.Slice(gone, func(i, k int) bool { return gone[i] > gone[k] })
	for _, p := range gone {
		full := filepath.Join(o.dir, filepath.FromSlash(p))
		switch err := os.Remove(full); {
		case err == nil:
			removed++
			o.syncDirs[filepath.Dir(full)] = true
		case errors.Is(err, fs.ErrNotExist):
		default:
			return removed, fmt.Errorf("remove %s: %w", p, err)
		}
		for d := path.Dir(p); d != "." && d != "/"; d = path.Dir(d) {
			// Fails (as it should) while the directory holds anything,
			// including files that are not ours.
			if os.Remove(filepath.Join(o.dir, filepath.FromSlash(d))) != nil {
				break
			}
		}
	}
	dirs := map[string]bool{}
	for p := range o.next {
		dirs[path.Dir(p)] = true
	}
	for d := range dirs {
		cleanTemps(filepath.Join(o.dir, filepath.FromSlash(d)))
	}
	dirList := make([]string, 0, len(o.syncDirs))
	for d := range o.syncDirs {
		dirList = append(dirList, d)
	}
	if err := syncDirs(o.dir, dirList); err != nil {
		return removed, err
	}
	b, err := json.Marshal(manifest{Version: manifestVersion, Files: o.next})
	if err != nil {
		return removed, err
	}
	if bytes.Equal(b, o.oldRaw) {
		return removed, nil
	}
	if err := writeAtomic(filepath.Join(o.dir, manifestName), b); err != nil {
		return removed, err
	}
	return removed, syncDir(o.dir)
}

// writeIfChanged writes data to name atomically unless the file already holds
// exactly these bytes (then its mtime, and so its ETag, stays).
func writeIfChanged(name string, data []byte) (bool, error) {
	if old, err := os.ReadFile(name); err == nil && bytes.Equal(old, data) {
		return false, nil
	}
	return true, writeAtomic(name, data)
}

// writeAtomic writes a temporary file in the target's directory, syncs it and
// renames it over the target, so readers and crashes see the old or the new
// file, never a torn one.
func writeAtomic(name string, data []byte) error {
	tmp, err := writeTemp(name, data)
	if err != nil {
		return err
	}
	if err := syncFiles(filepath.Dir(name), []rename{{tmp, name}}); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, name); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// writeTemp writes data to a new temporary file beside name (same
// directory, so the rename is atomic) and returns its path.
func writeTemp(name string, data []byte) (string, error) {
	dir := filepath.Dir(name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	var tag [8]byte
	for range 100 {
		if _, err := rand.Read(tag[:]); err != nil {
			return "", err
		}
		tmp := filepath.Join(dir, tempPrefix+hex.EncodeToString(tag[:]))
		_, err := createFile(tmp, data)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("write %s: %w", name, err)
		}
		return tmp, nil
	}
	return "", fmt.Errorf("write %s: no free temporary name", name)
}

// syncEach fsyncs every temporary file: the portable way.
func syncEach(files []rename) error {
	for _, r := range files {
		f, err := os.OpenFile(r.tmp, os.O_RDWR, 0)
		if err != nil {
			return err
		}
		err = f.Sync()
		f.Close()
		if err != nil {
			return fmt.Errorf("sync %s: %w", r.final, err)
		}
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	defer d.Close()
	// Some file systems cannot sync directories; the rename is done anyway.
	_ = d.Sync()
	return nil
}

// keyOf hashes the parts that determine an output file's bytes.
func keyOf(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// hashOf fingerprints a file's bytes for the manifest.
func hashOf(data []byte) string {
	h := sha256.Sum256(data)
	return hex.EncodeToString(h[:16])
}

// cleanTemps removes temporary files a crash may have left in dir.
func cleanTemps(dir string) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), tempPrefix) {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}
