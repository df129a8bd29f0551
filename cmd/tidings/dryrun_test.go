package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDigestDryRunStoresNothing: a dry run prints the would-be edition and
// what was left out, and leaves the database file byte for byte as it was
// (no summary cache writes, no feed sync from the config).
func TestDigestDryRunStoresNothing(t *testing.T) {
	srv := feedServer(t)
	cfg, dir := testConfig(t, "[[feed]]\nurl = \""+srv.URL+"/rss.xml\"\n[[digest]]\nname = \"daily\"\nmax_items = 1\n")
	if code, _, stderr := run(t, "-config", cfg, "fetch"); code != 0 {
		t.Fatalf("fetch: %d %s", code, stderr)
	}
	// A feed new in the config: a working command would subscribe to it.
	good, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, cfg, string(good)+"[[feed]]\nurl = \""+srv.URL+"/atom.xml\"\n")
	dbPath := filepath.Join(dir, "data", "tidings.db")
	before, err := os.ReadFile(dbPath)
	if err != nil {
		t.Fatal(err)
	}

	code, out, stderr := run(t, "-config", cfg, "digest", "daily", "--dry-run")
	if code != 0 {
		t.Fatalf("dry run: %d %s", code, stderr)
	}
	for _, want := range []string{"Left out: 1 ranked but not selected", "skipped [max_items]", " = recency "} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(out, "Bitmap indexes explained") || !strings.Contains(out, "A tour of the page cache") {
		t.Errorf("output lacks the stories:\n%s", out)
	}
	after, err := os.ReadFile(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Errorf("the dry run changed the database file")
	}
	if code, _, _ := run(t, "-config", filepath.Join(dir, "missing", "t.toml"), "digest", "daily", "--dry-run"); code != 2 {
		t.Errorf("missing config: exit code %d, want 2", code)
	}
}
