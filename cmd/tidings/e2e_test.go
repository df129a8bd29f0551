package main

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tidings/tidings/store"
)

// TestEndToEnd runs the real program on loopback: feeds in, digest out,
// served over HTTP; then shuts the daemon down and checks that its
// goroutines are gone and the database is closed.
func TestEndToEnd(t *testing.T) {
	srv := feedServer(t)
	cfg, dir := testConfig(t, `
[[feed]]
url = "`+srv.URL+`/rss.xml"
section = "Systems"

[[feed]]
url = "`+srv.URL+`/atom.xml"
section = "Data"

[[digest]]
name = "daily"
title = "E2E Daily"
schedule = "0 7 * * *"
`)
	titles := []string{"Bitmap indexes explained", "A tour of the page cache", "Vector clocks in practice"}

	code, out, stderr := run(t, "-config", cfg, "fetch")
	if code != 0 || !strings.Contains(out, "3 new items") {
		t.Fatalf("fetch: code %d, out %q, stderr %q", code, out, stderr)
	}
	code, out, stderr = run(t, "-config", cfg, "digest", "daily", "--dry-run")
	if code != 0 || !strings.Contains(out, "Vector clocks in practice") {
		t.Fatalf("digest --dry-run: code %d, out %q, stderr %q", code, out, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "public", "daily")); err == nil {
		t.Errorf("--dry-run published")
	}
	code, out, stderr = run(t, "-config", cfg, "digest", "daily")
	if code != 0 || !strings.Contains(out, "daily #1: 3 stories") {
		t.Fatalf("digest: code %d, out %q, stderr %q", code, out, stderr)
	}
	code, out, stderr = run(t, "-config", cfg, "publish")
	if code != 0 || !strings.Contains(out, "published to") {
		t.Fatalf("publish: code %d, out %q, stderr %q", code, out, stderr)
	}
	code, out, _ = run(t, "-config", cfg, "stats", "--json")
	var st map[string]int
	if err := json.Unmarshal([]byte(out), &st); code != 0 || err != nil || st["items"] != 3 || st["editions"] != 1 || st["feeds"] != 2 {
		t.Errorf("stats: code %d, %v, %s", code, err, out)
	}

	// Pretend the daemon was down over yesterday's slot: it builds it once.
	db, err := store.Open(filepath.Join(dir, "data", "tidings.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	db.SetState(slotState("daily"), time.Now().Add(-72*time.Hour).UTC().Format(time.RFC3339))
	db.Close()

	before := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr := make(chan string, 1)
	hup := make(chan os.Signal, 1)
	var logs syncBuffer
	done := make(chan int, 1)
	go func() {
		a := &app{stdin: strings.NewReader(""), stdout: io.Discard, stderr: &logs, getenv: func(string) string { return "" }, now: time.Now,
			onServing: func(s string) { addr <- s }, hup: hup}
		done <- a.main(ctx, []string{"-config", cfg, "serve", "--listen", "127.0.0.1:0"})
	}()
	var base string
	select {
	case s := <-addr:
		base = "http://" + s
	case code := <-done:
		t.Fatalf("serve exited with %d: %s", code, logs.String())
	}
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := client.Get(base + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, path := range []string{"/daily/feed.xml", "/index.html", "/daily/index.html"} {
		status, body := get(path)
		if status != 200 {
			t.Errorf("GET %s: %d", path, status)
			continue
		}
		for _, title := range titles {
			if !strings.Contains(body, title) {
				t.Errorf("GET %s lacks %q", path, title)
			}
		}
	}
	_, rss := get("/daily/feed.xml")
	if err := xml.Unmarshal([]byte(rss), new(struct{ XMLName xml.Name })); err != nil {
		t.Errorf("feed.xml is not well-formed: %v", err)
	}
	if status, body := get("/healthz"); status != 200 || !strings.Contains(body, "ok") {
		t.Errorf("/healthz: %d %q", status, body)
	}
	if status, body := get("/readyz"); status != 200 || !strings.Contains(body, `"ready": true`) {
		t.Errorf("/readyz: %d %q", status, body)
	}
	if status, _ := get("/metrics"); status != 404 {
		t.Errorf("/metrics with metrics off: %d, want 404", status)
	}

	// A backup while the daemon holds the lock goes through its control socket.
	bak := filepath.Join(dir, "backup.db")
	if code, out, stderr := run(t, "-config", cfg, "backup", bak); code != 0 || !strings.Contains(out, "through the running daemon") {
		t.Errorf("backup while serving: code %d, out %q, stderr %q", code, out, stderr)
	}

	// SIGHUP: a broken file is rejected and the old config kept...
	good, _ := os.ReadFile(cfg)
	writeFile(t, cfg, string(good)+"\n[fetch2]\n")
	hup <- syscall.SIGHUP
	waitFor(t, "reload rejected", func() bool { return strings.Contains(logs.String(), "reload rejected") })
	// ...a valid one takes effect: a new digest gets its schedule.
	writeFile(t, cfg, strings.Replace(string(good), "[log]\nlevel = \"warn\"", "[log]\nlevel = \"info\"", 1)+"\n[[digest]]\nname = \"weekly\"\nschedule = \"@weekly\"\n")
	hup <- syscall.SIGHUP
	waitFor(t, "configuration reloaded", func() bool { return strings.Contains(logs.String(), "configuration reloaded") })
	if !strings.Contains(logs.String(), "digests=2") {
		t.Errorf("reload did not pick up the new digest: %s", logs.String())
	}

	cancel() // SIGTERM
	if code := <-done; code != 0 {
		t.Fatalf("serve exit code %d: %s", code, logs.String())
	}
	client.CloseIdleConnections()
	srv.CloseClientConnections()
	waitFor(t, "goroutines to end", func() bool { return runtime.NumGoroutine() <= before })
	db, err = store.Open(filepath.Join(dir, "data", "tidings.db"), store.Options{Timeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatalf("database not released after shutdown: %v", err)
	}
	// The missed slot was caught up (here: skipped, its stories were all
	// in edition 1 already), so the next start does not build it again.
	last, _ := db.GetState(slotState("daily"))
	dc, _ := mustConfig(t, cfg).Digest("daily")
	if want := prevSlot(dc.Cron, time.Now()).UTC().Format(time.RFC3339); last != want {
		t.Errorf("last slot after catch-up = %q, want %q", last, want)
	}
	db.Close()
	bdb, err := store.Open(bak, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("backup does not open: %v", err)
	}
	if err := bdb.Check(); err != nil {
		t.Errorf("backup check: %v", err)
	}
	bdb.Close()
}

func mustConfig(t *testing.T, path string) *Config {
	t.Helper()
	cfg, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// waitFor polls cond: what the daemon does happens in its own goroutines.
// The deadline only keeps a broken build from hanging the run.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			n := runtime.Stack(buf, true)
			t.Fatalf("gave up waiting for %s; goroutines:\n%s", what, buf[:n])
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestDemoOnce(t *testing.T) {
	dir := t.TempDir()
	code, out, stderr := run(t, "demo", "--once", "--dir", dir)
	if code != 0 {
		t.Fatalf("demo --once: code %d, out %q, stderr %q", code, out, stderr)
	}
	pub := filepath.Join(dir, "public")
	if !strings.Contains(out, pub) {
		t.Errorf("output does not say where the output is: %q", out)
	}
	index, err := os.ReadFile(filepath.Join(pub, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(index), "Tidings Demo Daily") {
		t.Errorf("index.html lacks the digest title")
	}
	for _, name := range []string{"feed.xml", "atom.xml", "items.xml"} {
		b, err := os.ReadFile(filepath.Join(pub, "daily", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := xml.Unmarshal(b, new(struct{ XMLName xml.Name })); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	// Nothing serves the output of --once: the text edition links the item
	// pages on disk.
	txt, err := os.ReadFile(filepath.Join(pub, "daily", "1", "index.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(txt), "127.0.0.1:8080") || !strings.Contains(string(txt), "Read here: file://"+filepath.ToSlash(pub)+"/items/") {
		t.Errorf("index.txt links a server that is not running:\n%.600s", txt)
	}
	var jf struct {
		Version string `json:"version"`
		Items   []struct {
			Title string `json:"title"`
		} `json:"items"`
	}
	b, err := os.ReadFile(filepath.Join(pub, "daily", "items.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &jf); err != nil || len(jf.Items) < 10 {
		t.Errorf("items.json: %v, %d items, want at least 10", err, len(jf.Items))
	}
	// The story carried by three feeds is one item.
	n := 0
	for _, it := range jf.Items {
		if strings.Contains(it.Title, "WAL checkpoints") || strings.Contains(it.Title, "WAL checkpoint") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("the WAL story appears %d times, want 1 (clustered)", n)
	}
}

// TestDemoServes checks that the demo serves its output at the printed URL.
func TestDemoServes(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr := make(chan string, 1)
	done := make(chan int, 1)
	go func() {
		code, _, _ := runCtx(ctx, func(a *app) { a.onServing = func(s string) { addr <- s } }, "demo", "--dir", t.TempDir())
		done <- code
	}()
	var base string
	select {
	case s := <-addr:
		base = "http://" + s
	case code := <-done:
		t.Fatalf("demo exited with %d", code)
	}
	resp, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Get(base + "/daily/feed.json")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), "Tidings Demo Daily") {
		t.Errorf("GET feed.json: %d %q", resp.StatusCode, b)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("demo exit code %d after Ctrl-C", code)
	}
}

// TestDemoRerunSameDir: a second demo in the same directory finds the same
// feeds (same port, same ids), so nothing comes back as new and no empty
// edition is published.
func TestDemoRerunSameDir(t *testing.T) {
	dir := t.TempDir()
	if code, out, stderr := run(t, "demo", "--once", "--dir", dir); code != 0 {
		t.Fatalf("first demo: code %d, out %q, stderr %q", code, out, stderr)
	}
	code, out, stderr := run(t, "demo", "--once", "--dir", dir)
	if code != 0 {
		t.Fatalf("second demo: code %d, out %q, stderr %q", code, out, stderr)
	}
	if !strings.Contains(out, "0 new items") || !strings.Contains(out, "no new stories since daily #1") {
		t.Errorf("got %q, want no new items and the first edition shown again", out)
	}
	if _, err := os.Stat(filepath.Join(dir, "public", "daily", "2")); !os.IsNotExist(err) {
		t.Errorf("got an edition 2 directory (err %v), want none", err)
	}
}
