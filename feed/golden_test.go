package feed_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tidings/tidings/feed"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/golden")

var fixedNow = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

// fixtures are the real-world-shaped feeds in testdata.
func fixtures(t testing.TB) []string {
	var out []string
	for _, pat := range []string{"testdata/*.xml", "testdata/*.json"} {
		m, err := filepath.Glob(pat)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m...)
	}
	if len(out) == 0 {
		t.Fatal("no fixtures")
	}
	return out
}

func TestInspectGolden(t *testing.T) {
	for _, path := range fixtures(t) {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			in, err := feed.Inspect(context.Background(), feed.Options{Now: func() time.Time { return fixedNow }}, path)
			if err != nil {
				t.Fatalf("inspect: %v", err)
			}
			in.URL = name // the absolute path differs per checkout
			got, err := json.MarshalIndent(in, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			// Fixture paths resolve relative links to file:// URLs; keep
			// goldens independent of where the tree lives.
			abs, _ := filepath.Abs("testdata")
			got = bytes.ReplaceAll(got, []byte("file://"+filepath.ToSlash(abs)), []byte("file:///testdata"))
			got = append(got, '\n')
			golden := filepath.Join("testdata", "golden", strings.TrimSuffix(name, filepath.Ext(name))+".json")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./feed -run TestInspectGolden -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("inspect output differs from %s; got:\n%s", golden, got)
			}
		})
	}
}
