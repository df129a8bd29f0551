package main

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tidings/tidings/internal/heapcap"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestExampleConfigValidates(t *testing.T) {
	cfg, err := LoadConfig(filepath.Join("..", "..", "config.example.toml"))
	if err != nil {
		t.Fatalf("config.example.toml: %v", err)
	}
	if len(cfg.Feeds) == 0 || len(cfg.Digests) == 0 {
		t.Errorf("example has %d feeds and %d digests, want some of each", len(cfg.Feeds), len(cfg.Digests))
	}
}

func TestDefaults(t *testing.T) {
	cfg, err := LoadConfig("")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		got  any
		want any
	}{
		{"data_dir", cfg.DataDir, "data"},
		{"publish.dir", cfg.Publish.Dir, "public"},
		{"fetch.timeout", cfg.Fetch.Timeout, 30 * time.Second},
		{"fetch.max_body", cfg.Fetch.MaxBody, int64(15 << 20)},
		{"fetch.memory_headroom", cfg.Fetch.MemoryHeadroom, int64(heapcap.DefaultHeadroom)},
		{"fetch.full_text", cfg.Fetch.FullText, "auto"},
		{"server.listen", cfg.Server.Listen, "127.0.0.1:8080"},
		{"digests", len(cfg.Digests), 1},
		{"digest name", cfg.Digests[0].Def.Name, "daily"},
		{"digest schedule", cfg.Digests[0].Schedule, "0 7 * * *"},
		{"smtp configured", cfg.SMTP.Configured(), false},
		{"retention.max_age", cfg.Retention.MaxAge, 720 * time.Hour},
		{"log.format", cfg.Log.Format, "text"},
		{"publish.lang", cfg.Publish.Lang, "en"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %v, want %v", tt.name, tt.got, tt.want)
		}
	}
}

func TestConfigValues(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "tidings.toml")
	writeFile(t, path, `
data_dir = "state"
[fetch]
max_body = "10MB"
timeout = "5s"
memory_headroom = "0"
allow_networks = ["10.0.0.0/8", "nas.local", "::1"]
[[feed]]
url = "https://example.org/a.xml"
section = "Eng"
interval = "2h"
weight = 2.5
[[feed.rule]]
match = "go"
action = "boost"
value = 1
[[digest]]
name = "evening"
schedule = "30 18 * * *"
timezone = "Europe/Berlin"
recipients = ["Ann <Ann@Example.org>"]
[publish]
dir = "/srv/out"
base_url = "https://news.example.org"
`)
	cfg, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "state"); cfg.DataDir != want {
		t.Errorf("data_dir = %q, want %q (relative to the config file)", cfg.DataDir, want)
	}
	if cfg.Publish.Dir != "/srv/out" {
		t.Errorf("publish.dir = %q, want /srv/out", cfg.Publish.Dir)
	}
	if cfg.Publish.BaseURL != "https://news.example.org/" {
		t.Errorf("base_url = %q, want a trailing slash added", cfg.Publish.BaseURL)
	}
	if cfg.Fetch.MaxBody != 10e6 || cfg.Fetch.Timeout != 5*time.Second || cfg.Fetch.MemoryHeadroom != 0 {
		t.Errorf("fetch = %+v", cfg.Fetch)
	}
	f := cfg.Feeds[0]
	if f.Interval != 2*time.Hour || f.Weight != 2.5 || f.Section != "Eng" || f.ID == 0 {
		t.Errorf("feed = %+v", f)
	}
	if len(cfg.Rules) != 1 || cfg.Rules[0].FeedURL != f.URL {
		t.Errorf("rules = %+v, want one per-feed rule", cfg.Rules)
	}
	d := cfg.Digests[0]
	if d.Def.Location.String() != "Europe/Berlin" || len(d.Recipients) != 1 || d.Recipients[0] != "Ann@Example.org" {
		t.Errorf("digest = %+v", d)
	}
	// The schedule runs in the digest's time zone.
	from := time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC)
	if got, want := d.Cron.Next(from), time.Date(2026, 1, 10, 17, 30, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("next slot = %v, want %v", got, want)
	}
}

// TestBadConfigs checks that each file in testdata/config fails with the
// message stored next to it (NAME.err); -update rewrites them.
func TestBadConfigs(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "config", "*.toml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no test files: %v", err)
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".toml")
		t.Run(name, func(t *testing.T) {
			_, err := LoadConfig(file)
			if err == nil {
				t.Fatal("loaded without error")
			}
			var ce *ConfigError
			if !asConfigError(err, &ce) {
				t.Errorf("error %T is not a *ConfigError (exit code 2)", err)
			}
			got := strings.ReplaceAll(err.Error(), filepath.Join("testdata", "config")+string(filepath.Separator), "") + "\n"
			golden := strings.TrimSuffix(file, ".toml") + ".err"
			if *update {
				writeFile(t, golden, got)
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Errorf("got:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

func asConfigError(err error, target **ConfigError) bool {
	ce, ok := err.(*ConfigError)
	*target = ce
	return ok
}

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"15MiB", 15 << 20, true},
		{"10MB", 10e6, true},
		{"512 KiB", 512 << 10, true},
		{"2GiB", 2 << 30, true},
		{"1000", 1000, true},
		{"1B", 1, true},
		{"lots", 0, false},
		{"MiB", 0, false},
		{"-5MB", 0, false},
		{"0", 0, false},
		{"3TB", 0, false},
		{"99999999999999999999GB", 0, false},
	}
	for _, tt := range tests {
		got, err := parseSize(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("parseSize(%q) = %d, %v; want %d, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestScanKeyLines(t *testing.T) {
	doc := `top = 1
[fetch]
timeout = "1s"
allow_networks = [
  "a = b",
]
[[feed]]
url = "a"
[[feed]]
url = "b"
desc = """
fake = 1
"""
[[feed.rule]]
match = "x"
[[feed.rule]]
match = "y"
[summarize.llm]
model = "m"
[[digest]]
"name" = "d"
[[digest.rule]]
regex = "r"
`
	k := scanKeyLines([]byte(doc))
	tests := map[string]int{
		"top":                     1,
		"fetch.timeout":           3,
		"fetch.allow_networks":    4,
		"feed[0].url":             8,
		"feed[1].url":             10,
		"feed[1].rule[0].match":   15,
		"feed[1].rule[1]":         16,
		"feed[1].rule[1].match":   17,
		"summarize.llm.model":     19,
		"digest[0].name":          21,
		"digest[0].rule[0].regex": 23,
		"feed[1].fake":            0,
		"fetch.a":                 0,
	}
	for path, want := range tests {
		if got := k.line(path); got != want {
			t.Errorf("line(%q) = %d, want %d", path, got, want)
		}
	}
}

// FuzzParseConfig: a config file is outside input; whatever it holds,
// parsing returns a config or an error, never panics.
func FuzzParseConfig(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "config", "*.toml"))
	files = append(files, filepath.Join("..", "..", "config.example.toml"))
	for _, file := range files {
		if b, err := os.ReadFile(file); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := parseConfig("fuzz.toml", t.TempDir(), data)
		if err == nil && cfg == nil {
			t.Fatal("nil config without error")
		}
	})
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestZeroSize(t *testing.T) {
	for s, want := range map[string]bool{
		"0": true, "00": true, " 0 ": true, "0B": true, "0MiB": true, "0 MiB": true,
		"": false, "MiB": false, "10MiB": false, "01MiB": false, "0x": false, "-0": false,
	} {
		if got := zeroSize(s); got != want {
			t.Errorf("zeroSize(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestSuggestKey(t *testing.T) {
	tests := []struct {
		path []string
		want string
	}{
		{[]string{"fetch", "timout"}, "timeout"},
		{[]string{"fetch", "Workers"}, "workers"},
		{[]string{"digest", "titel"}, "title"},
		{[]string{"smtpp"}, "smtp"},
		{[]string{"fetch", "colour_scheme"}, ""},
		{[]string{"nosuch", "timeout"}, ""},
	}
	for _, tc := range tests {
		if got := suggestKey(tc.path); got != tc.want {
			t.Errorf("suggestKey(%v) = %q, want %q", tc.path, got, tc.want)
		}
	}
}
