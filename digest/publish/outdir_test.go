package publish

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/tidings/tidings"
)

// snapshot maps every file below dir to its mtime.
func snapshot(t *testing.T, dir string) map[string]time.Time {
	t.Helper()
	out := map[string]time.Time{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = fi.ModTime()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// age sets every file's mtime to the past, so a rewrite is visible even on
// file systems with coarse timestamps.
func age(t *testing.T, dir string) {
	past := time.Now().Add(-time.Hour).Truncate(time.Second)
	for p := range snapshot(t, dir) {
		if err := os.Chtimes(filepath.Join(dir, p), past, past); err != nil {
			t.Fatal(err)
		}
	}
}

func changed(a, b map[string]time.Time) []string {
	var out []string
	for p, t := range b {
		if at, ok := a[p]; !ok || !at.Equal(t) {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

func TestRepublishUnchanged(t *testing.T) {
	dir := t.TempDir()
	p := newPublisher(t, dir)
	in := sampleInput(3, 4)
	if _, err := p.Publish(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	age(t, dir)
	// The manifest saw the old mtimes: make it re-render and compare bytes.
	os.Remove(filepath.Join(dir, manifestName))
	before := snapshot(t, dir)
	res, err := p.Publish(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if res.Written != 0 {
		t.Errorf("written: got %d, want 0 (%+v)", res.Written, res)
	}
	after := snapshot(t, dir)
	delete(after, manifestName)
	if c := changed(before, after); len(c) != 0 {
		t.Errorf("unchanged publish touched %v", c)
	}
	// With the manifest in place, nothing is even rendered.
	res, err = p.Publish(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if res.Written != 0 || res.Removed != 0 || res.Unchanged == 0 {
		t.Errorf("second publish: %+v", res)
	}
}

func TestIncrementalTouchesOnlyChanged(t *testing.T) {
	dir := t.TempDir()
	p := newPublisher(t, dir)
	if _, err := p.Publish(context.Background(), sampleInput(5, 4)); err != nil {
		t.Fatal(err)
	}
	age(t, dir)
	// Refresh the manifest's recorded mtimes after aging.
	os.Remove(filepath.Join(dir, manifestName))
	if _, err := p.Publish(context.Background(), sampleInput(5, 4)); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, dir)
	in := sampleInput(6, 4)
	res, err := p.Publish(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	got := changed(before, snapshot(t, dir))
	want := []string{manifestName, "daily/5/index.html", "daily/6/index.html", "daily/6/index.md", "daily/6/index.txt",
		"daily/archive.html", "daily/atom.xml", "daily/feed.json", "daily/feed.xml", "daily/index.html",
		"daily/items.atom", "daily/items.json", "daily/items.xml", "index.html"}
	for _, s := range in.Editions["daily"][5].Sections {
		for _, e := range s.Entries {
			want = append(want, "items/"+e.ItemID+".html")
		}
	}
	sort.Strings(want)
	if len(got) != len(want) {
		t.Fatalf("changed files:\n got %v\nwant %v", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("changed files:\n got %v\nwant %v", got, want)
		}
	}
	if res.Written != len(want)-1 {
		t.Errorf("Written: got %d, want %d", res.Written, len(want)-1)
	}
}

func TestRemovesOnlyOwnFiles(t *testing.T) {
	dir := t.TempDir()
	p := newPublisher(t, dir)
	in := sampleInput(3, 2)
	in.Digests = append(in.Digests, DigestInfo{Name: "weekly", Title: "Weekly"})
	in.Editions["weekly"] = []tidings.Edition{sampleEdition("weekly", 1, 2, 700)}
	if _, err := p.Publish(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	mine := []string{"README.txt", "weekly/notes.txt", "daily/custom.css"}
	for _, f := range mine {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("user file"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	in2 := sampleInput(3, 2)
	in2.OPML = nil
	res, err := p.Publish(context.Background(), in2)
	if err != nil {
		t.Fatal(err)
	}
	// weekly: 1 edition (3 files) + index, archive, 6 feeds + 2 item pages; sources.opml.
	if res.Removed != 3+2+6+2+1 {
		t.Errorf("Removed: got %d, want 14", res.Removed)
	}
	for _, f := range mine {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("user file %s: %v", f, err)
		}
	}
	for _, f := range []string{"weekly/feed.xml", "weekly/1", "sources.opml", "items/" + in.Editions["weekly"][0].Sections[0].Entries[0].ItemID + ".html"} {
		if _, err := os.Stat(filepath.Join(dir, f)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s should be gone: %v", f, err)
		}
	}
}

func TestCrashLeftovers(t *testing.T) {
	dir := t.TempDir()
	p := newPublisher(t, dir)
	in := sampleInput(2, 2)
	if _, err := p.Publish(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	// A crash between a rename and the manifest: a stale temp file and a
	// manifest that no longer matches.
	tmp := filepath.Join(dir, "daily", ".tidings-tmp-123")
	if err := os.WriteFile(tmp, []byte("half"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, manifestName), []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := p.Publish(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if res.Written != 0 {
		t.Errorf("Written: got %d, want 0 (bytes were the same)", res.Written)
	}
	if _, err := os.Stat(tmp); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("temp file left: %v", err)
	}
}

func TestWriteAtomic(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "a", "b.txt")
	for _, content := range []string{"one", "two", "two"} {
		if _, err := writeIfChanged(name, []byte(content)); err != nil {
			t.Fatal(err)
		}
		got, _ := os.ReadFile(name)
		if string(got) != content {
			t.Errorf("got %q, want %q", got, content)
		}
	}
	ents, _ := os.ReadDir(filepath.Join(dir, "a"))
	if len(ents) != 1 {
		t.Errorf("directory holds %d entries, want 1 (no temp files)", len(ents))
	}
}

// TestManifestHashSkipsReadBack: when inputs change but the rendered bytes
// do not, the hash in the manifest decides, without reading the file back,
// and the file keeps its mtime.
func TestManifestHashSkipsReadBack(t *testing.T) {
	dir := t.TempDir()
	p := newPublisher(t, dir)
	in := sampleInput(2, 3)
	if _, err := p.Publish(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	feed := filepath.Join(dir, "daily", "feed.xml")
	fi, err := os.Stat(feed)
	if err != nil {
		t.Fatal(err)
	}
	// Same size, same mtime, other bytes: only a read-back could notice.
	// Trusting the record is the point (size+mtime say it is ours).
	orig, _ := os.ReadFile(feed)
	fake := bytes.Repeat([]byte("x"), len(orig))
	if err := os.WriteFile(feed, fake, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(feed, fi.ModTime(), fi.ModTime()); err != nil {
		t.Fatal(err)
	}
	// The schedule is part of the feeds' key but not of their bytes.
	in.Digests[0].Schedule = "0 8 * * *"
	res, err := p.Publish(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(feed); !bytes.Equal(got, fake) {
		t.Error("feed.xml was read back or rewritten although the manifest hash matched")
	}
	if res.Written != 0 {
		t.Errorf("nothing's bytes changed, yet %d files were written", res.Written)
	}
	// Without a manifest the bytes are compared, and the file is repaired.
	os.Remove(filepath.Join(dir, manifestName))
	if _, err := p.Publish(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(feed); !bytes.Equal(got, orig) {
		t.Error("feed.xml not repaired after the manifest was lost")
	}
}
