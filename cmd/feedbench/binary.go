package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/tidings/tidings/feed"
	"github.com/tidings/tidings/internal/heapcap"
)

// runBinary measures a built tidings binary instead of the packages linked
// into feedbench: `BIN fetch --all --json` on a config listing the farm's
// feeds, once cold and once as the re-poll. Its peak RSS includes the
// shipped binary's own pages and everything `tidings fetch` does besides
// polling (reading the config, checking the feed list against the
// database). The feeds are subscribed before, by `BIN stats`, as the
// in-process run adds them before it measures.
func runBinary(ctx context.Context, c config, urls []string, ctl, dir string) ([]phase, error) {
	cfgPath := filepath.Join(dir, "tidings.toml")
	var b strings.Builder
	fmt.Fprintf(&b, "data_dir = %q\n[log]\nlevel = \"warn\"\n[fetch]\nworkers = %d\nper_host = %d\nfull_text = %q\nallow_networks = [\"127.0.0.0/8\", \"::1/128\"]\n",
		filepath.Join(dir, "data"), c.workers, c.perHost, c.fullText)
	if c.headroom != heapcap.DefaultHeadroom {
		fmt.Fprintf(&b, "memory_headroom = \"%d\"\n", c.headroom)
	}
	for _, u := range urls {
		fmt.Fprintf(&b, "[[feed]]\nurl = %q\n", u)
	}
	if err := os.WriteFile(cfgPath, []byte(b.String()), 0o600); err != nil {
		return nil, err
	}
	if out, err := exec.CommandContext(ctx, c.bin, "-config", cfgPath, "stats").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("%s stats: %w: %s", c.bin, err, strings.TrimSpace(string(out)))
	}
	var phases []phase
	for _, name := range []string{"cold ingest", "no-change re-poll"} {
		ph, err := runFetch(ctx, c.bin, cfgPath, ctl)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		ph.Name = name
		ph.DBBytes = fileSize(filepath.Join(dir, "data", "tidings.db"))
		if len(phases) > 0 {
			ph.Items = phases[0].Items
		}
		phases = append(phases, ph)
	}
	return phases, nil
}

// runFetch runs one `fetch` and measures the child: wall time, CPU and
// peak RSS from its rusage, peak anonymous memory sampled from /proc.
func runFetch(ctx context.Context, bin, cfgPath, ctl string) (phase, error) {
	resetFarm(ctl)
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, "-config", cfgPath, "fetch", "--all", "--json")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return phase{}, err
	}
	status := "/proc/" + strconv.Itoa(cmd.Process.Pid) + "/status"
	done := make(chan struct{})
	anon := make(chan int64, 1)
	go func() { // owned here: stops when the child has exited
		var peak int64
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			if a := statusField(status, "RssAnon"); a > peak {
				peak = a
			}
			select {
			case <-done:
				anon <- peak
				return
			case <-t.C:
			}
		}
	}()
	err := cmd.Wait()
	wall := time.Since(start)
	close(done)
	ph := phase{Wall: wall, PeakAnon: <-anon}
	if err != nil {
		return ph, fmt.Errorf("%s fetch: %w: %s", bin, err, strings.TrimSpace(stderr.String()))
	}
	ph.CPU = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		ph.PeakRSS = ru.Maxrss << 10 // KiB on Linux
	}
	var res feed.CycleResult
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		return ph, fmt.Errorf("fetch --json output: %w", err)
	}
	ph.Items, ph.NewItems, ph.Errors, ph.BytesRecv = res.New+res.Updated, res.New, res.Errors, res.Bytes
	if s, err := farmStats(ctl); err == nil {
		ph.Requests, ph.NotModified, ph.Bodies, ph.Articles = s.Requests, s.NotModified, s.Feeds200, s.Articles
	}
	return ph, nil
}
