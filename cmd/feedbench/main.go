// Command feedbench measures Tidings' ingestion against a loopback farm of
// synthetic feeds: a cold ingest and a no-change re-poll, with wall time,
// CPU time, peak RSS, peak anonymous memory, requests, 304s, bytes, items
// stored and database size. -floor measures the same farm with nothing but
// concurrent GETs, gofeed parsing and one bbolt write per feed.
//
//	go run ./cmd/feedbench -n 500 -latency 20ms
//	go run ./cmd/feedbench -n 500 -latency 20ms -floor
//
// The farm runs in a child process so its memory and CPU are not counted.
package main

import (
	"bufio"
	"context"
	"encoding/json"

	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/tidings/tidings"
	"github.com/tidings/tidings/cmd/feedbench/farm"
	"github.com/tidings/tidings/feed"
	"github.com/tidings/tidings/internal/heapcap"
	"github.com/tidings/tidings/store"
)

type config struct {
	n, workers, perHost, hosts          int
	latency                             time.Duration
	floor, child, asJSON, links, unique bool
	fullText                            string
	noSync                              bool
	store                               string
	memProfile, keep                    string
	headroom                            int64
	bin                                 string
}

func main() {
	var c config
	flag.IntVar(&c.n, "n", 500, "number of synthetic feeds")
	flag.DurationVar(&c.latency, "latency", 20*time.Millisecond, "latency added to every farm request")
	flag.IntVar(&c.workers, "workers", feed.DefaultWorkers, "concurrent polls")
	flag.IntVar(&c.perHost, "per-host", feed.DefaultPerHost, "concurrent requests per host")
	flag.IntVar(&c.hosts, "hosts", 0, "farm listeners (distinct hosts); default n/20")
	flag.BoolVar(&c.floor, "floor", false, "measure the floor: GETs + gofeed + one bbolt write per feed")
	flag.StringVar(&c.fullText, "full-text", "auto", "full_text mode for the Tidings run")
	flag.BoolVar(&c.noSync, "nosync", false, "open the database without fsync")
	flag.BoolVar(&c.asJSON, "json", false, "print the report as JSON")
	flag.StringVar(&c.store, "store", "bbolt", "bbolt (the real store) or null (measure the poller alone)")
	flag.BoolVar(&c.child, "farm-child", false, "internal: serve the farm and print its base URLs")
	flag.BoolVar(&c.links, "links", false, "item paragraphs start with a link and continue in <em> (markup, as real articles have)")
	flag.BoolVar(&c.unique, "unique", false, "every item body is its own text, not a cut of the farm's shared corpus (what compression across items can gain then)")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the measured phases to this file")
	flag.StringVar(&c.memProfile, "memprofile", "", "write the cold ingest's allocations to this file, and the heap in use half way through it to FILE.mid")
	flag.Int64Var(&c.headroom, "heap-headroom", heapcap.DefaultHeadroom, "cap the heap this many bytes above what the process holds when an ingest starts, as `tidings fetch` does by default (0: Go's defaults)")
	flag.StringVar(&c.bin, "bin", "", "measure this built tidings `binary` (`BIN fetch --all --json`, the shipped program end to end) instead of the linked packages")
	flag.StringVar(&c.keep, "keep", "", "keep the database in this directory (for inspection) instead of a temporary one")
	flag.Parse()
	if c.memProfile == "" {
		// The shipped binary links no heap profiler, so the linker turns
		// sampling off there; feedbench links runtime/pprof, and the
		// profile's buckets (about 1.5 MiB here) would count against it.
		runtime.MemProfileRate = 0
	}
	if *cpuProfile != "" {
		pf, err := os.Create(*cpuProfile)
		if err == nil {
			err = pprof.StartCPUProfile(pf)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "feedbench:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	if c.child {
		err = serveFarm(ctx, c)
	} else {
		err = run(ctx, c)
	}
	if err != nil {
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, "feedbench:", err)
		os.Exit(1)
	}
}

// serveFarm runs the farm until stdin closes (the parent exits).
func serveFarm(ctx context.Context, c config) error {
	f, err := farm.Start(farm.Config{Feeds: c.n, Latency: c.latency, Hosts: c.hosts, Links: c.links, Unique: c.unique})
	if err != nil {
		return err
	}
	defer f.Close()
	if err := json.NewEncoder(os.Stdout).Encode(f.Bases()); err != nil {
		return err
	}
	done := make(chan struct{})
	go func() { // owned here; ends when the parent closes our stdin
		_, _ = io.Copy(io.Discard, os.Stdin)
		close(done)
	}()
	select {
	case <-ctx.Done():
	case <-done:
	}
	return nil
}

// phase is one measured run.
type phase struct {
	Name        string        `json:"name"`
	Wall        time.Duration `json:"wall_ns"`
	CPU         time.Duration `json:"cpu_ns"`
	PeakRSS     int64         `json:"peak_rss_bytes"`
	PeakAnon    int64         `json:"peak_anon_bytes"`
	Requests    int64         `json:"requests"`
	NotModified int64         `json:"not_modified"`
	Bodies      int64         `json:"feed_bodies"`
	Articles    int64         `json:"articles"`
	BytesRecv   int64         `json:"bytes_received"`
	Items       int           `json:"items_stored"`
	NewItems    int           `json:"new_items"`
	Errors      int           `json:"errors"`
	DBBytes     int64         `json:"db_bytes"`
	HeapCap     int64         `json:"heap_cap_bytes,omitempty"` // the soft memory limit during the phase
}

type report struct {
	Mode    string        `json:"mode"`
	Feeds   int           `json:"feeds"`
	Latency time.Duration `json:"latency_ns"`
	Workers int           `json:"workers"`
	Phases  []phase       `json:"phases"`
}

func run(ctx context.Context, c config) error {
	bases, stopFarm, err := startFarm(c)
	if err != nil {
		return err
	}
	defer stopFarm()
	urls := make([]string, c.n)
	for i := range urls {
		urls[i] = farm.FeedURL(bases, i)
	}
	dir := c.keep
	if dir == "" {
		if dir, err = os.MkdirTemp("", "feedbench-"); err != nil {
			return err
		}
		defer os.RemoveAll(dir)
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	} else if entries, err := os.ReadDir(dir); err != nil {
		return err
	} else if len(entries) > 0 {
		// A database left there would make the cold ingest a re-poll.
		return fmt.Errorf("-keep %s: want a new or empty directory", dir)
	}

	rep := report{Mode: "tidings", Feeds: c.n, Latency: c.latency, Workers: c.workers}
	switch {
	case c.floor:
		rep.Mode = "floor"
		rep.Phases, err = runFloor(ctx, c, urls, bases[0], filepath.Join(dir, "floor.db"))
	case c.bin != "":
		rep.Mode = "binary " + c.bin
		rep.Phases, err = runBinary(ctx, c, urls, bases[0], dir)
	default:
		rep.Phases, err = runTidings(ctx, c, urls, bases[0], filepath.Join(dir, "tidings.db"))
	}
	if err != nil {
		return err
	}
	return print(rep, c.asJSON)
}

func startFarm(c config) ([]string, func(), error) {
	self, err := os.Executable()
	if err != nil {
		return nil, nil, err
	}
	cmd := exec.Command(self, "-farm-child", "-n", strconv.Itoa(c.n), "-latency", c.latency.String(), "-hosts", strconv.Itoa(c.hosts),
		"-links="+strconv.FormatBool(c.links), "-unique="+strconv.FormatBool(c.unique))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, nil, err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, nil, fmt.Errorf("start farm: %w", err)
	}
	stopFn := func() {
		stdin.Close()
		_ = cmd.Wait()
	}
	var bases []string
	line, err := bufio.NewReader(stdout).ReadBytes('\n')
	if err == nil {
		err = json.Unmarshal(line, &bases)
	}
	if err != nil || len(bases) == 0 {
		stopFn()
		return nil, nil, fmt.Errorf("farm did not start: %v", err)
	}
	return bases, stopFn, nil
}

// meter measures one phase of this process.
type meter struct {
	start    time.Time
	cpu      time.Duration
	mu       sync.Mutex
	peakAnon int64
	stop     chan struct{}
	done     chan struct{}
	ctl      string
}

func startMeter(ctl string) *meter {
	// Reset the kernel's peak-RSS counter (VmHWM) for this phase.
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
	resetFarm(ctl)
	m := &meter{start: time.Now(), cpu: cpuTime(), stop: make(chan struct{}), done: make(chan struct{}), ctl: ctl}
	go func() { // owned by m; stopped and awaited in end
		defer close(m.done)
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			if a := procStatus("RssAnon"); a > 0 {
				m.mu.Lock()
				m.peakAnon = max(m.peakAnon, a)
				m.mu.Unlock()
			}
			select {
			case <-m.stop:
				return
			case <-t.C:
			}
		}
	}()
	return m
}

func (m *meter) end(name string) phase {
	p := phase{Name: name, Wall: time.Since(m.start), CPU: cpuTime() - m.cpu}
	close(m.stop)
	<-m.done
	p.PeakAnon = max(m.peakAnon, procStatus("RssAnon"))
	p.PeakRSS = procStatus("VmHWM")
	if s, err := farmStats(m.ctl); err == nil {
		p.Requests, p.NotModified, p.Bodies, p.Articles = s.Requests, s.NotModified, s.Feeds200, s.Articles
	}
	return p
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// procStatus reads a kB field of /proc/self/status, in bytes.
func procStatus(field string) int64 { return statusField("/proc/self/status", field) }

// statusField reads a kB field of a /proc/PID/status file, in bytes; 0 if
// it cannot.
func statusField(path, field string) int64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n << 10
		}
	}
	return 0
}

func resetFarm(ctl string) {
	if resp, err := http.Get(ctl + "/_reset"); err == nil {
		resp.Body.Close()
	}
}

func farmStats(ctl string) (farm.Stats, error) {
	var s farm.Stats
	resp, err := http.Get(ctl + "/_stats")
	if err != nil {
		return s, err
	}
	defer resp.Body.Close()
	return s, json.NewDecoder(resp.Body).Decode(&s)
}

func fileSize(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return st.Size()
}

func runTidings(ctx context.Context, c config, urls []string, ctl, dbPath string) ([]phase, error) {
	db, err := store.Open(dbPath, store.Options{NoSync: c.noSync})
	if err != nil {
		return nil, err
	}
	defer db.Close()
	for _, u := range urls {
		if _, err := db.AddFeed(tidings.Feed{URL: u}); err != nil {
			return nil, err
		}
	}
	var st feed.Store = db
	heap := heapcap.New(c.headroom)
	ns := &nullStore{}
	if c.store == "null" {
		st = ns
	}
	p, err := feed.NewPoller(st, feed.Options{
		Workers: c.workers, PerHost: c.perHost, FullText: c.fullText,
		AllowNetworks: []string{"127.0.0.0/8", "::1/128"},
		Log:           slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})),
	})
	if err != nil {
		return nil, err
	}
	defer p.Close()
	var phases []phase
	stored := 0
	for _, name := range []string{"cold ingest", "no-change re-poll"} {
		feeds, err := db.Feeds()
		if c.store == "null" && len(phases) == 1 {
			break // nothing was stored to re-poll from
		}
		if err != nil {
			return nil, err
		}
		var progress func(feed.Progress)
		if c.memProfile != "" && len(phases) == 0 {
			// The heap in use half way through, when the pipeline is full.
			progress = func(pr feed.Progress) {
				if pr.Done == pr.Total/2 {
					if pf, err := os.Create(c.memProfile + ".mid"); err == nil {
						_ = pprof.Lookup("heap").WriteTo(pf, 0)
						pf.Close()
					}
				}
			}
		}
		m := startMeter(ctl)
		release := heap.Ingest()
		capped := heap.Limit()
		res, err := p.PollFeeds(ctx, feeds, progress)
		release()
		ph := m.end(name)
		ph.HeapCap = capped
		if err != nil {
			return nil, err
		}
		if c.memProfile != "" && len(phases) == 0 {
			if pf, err := os.Create(c.memProfile); err == nil {
				_ = pprof.Lookup("allocs").WriteTo(pf, 0)
				pf.Close()
			}
		}
		// Items stored are counted from the poll results: db.Stats() would
		// read every page of the file into this process between phases and
		// inflate the next phase's RSS (clear_refs resets the peak to the
		// current RSS, mapped file pages included).
		stored += res.New
		ph.BytesRecv, ph.NewItems, ph.Errors, ph.Items, ph.DBBytes = res.Bytes, res.New, res.Errors, stored, fileSize(dbPath)
		phases = append(phases, ph)
	}
	if c.store != "null" {
		st, err := db.Stats()
		if err != nil {
			return nil, err
		}
		if st.Items != stored {
			return phases, fmt.Errorf("store holds %d items, polls reported %d new", st.Items, stored)
		}
	}
	return phases, nil
}

func print(r report, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	fmt.Printf("feedbench %s: %d feeds, latency %s, %d workers\n", r.Mode, r.Feeds, r.Latency, r.Workers)
	fmt.Printf("%-18s %9s %9s %9s %9s %8s %6s %7s %10s %8s %6s %9s\n", "phase", "wall", "cpu", "peakRSS", "peakAnon", "requests", "304s", "bodies", "recv", "items", "errors", "db")
	for _, p := range r.Phases {
		fmt.Printf("%-18s %9s %9s %9s %9s %8d %6d %7d %10s %8d %6d %9s\n", p.Name,
			p.Wall.Round(time.Millisecond), p.CPU.Round(time.Millisecond), mib(p.PeakRSS), mib(p.PeakAnon),
			p.Requests, p.NotModified, p.Bodies, mib(p.BytesRecv), p.Items, p.Errors, mib(p.DBBytes))
	}
	if len(r.Phases) > 0 && r.Phases[0].Items > 0 {
		fmt.Printf("db bytes per stored item: %d\n", r.Phases[0].DBBytes/int64(r.Phases[0].Items))
	}
	if len(r.Phases) > 0 && r.Phases[0].HeapCap > 0 {
		fmt.Printf("heap capped during the cold ingest at %s (-heap-headroom 0: Go's defaults)\n", mib(r.Phases[0].HeapCap))
	}
	return nil
}

func mib(n int64) string { return fmt.Sprintf("%.1fMiB", float64(n)/(1<<20)) }
