// Command memprobe measures the resident memory of a real `tidings serve`:
// at idle and through a poll cycle of N loopback feeds, optionally under a
// GOMEMLIMIT. It is a measuring tool for docs/bench-ops.md, not part of
// Tidings.
//
//	go build -o /tmp/tidings ./cmd/tidings
//	go run ./cmd/memprobe -bin /tmp/tidings -feeds 2000
//	go run ./cmd/memprobe -bin /tmp/tidings -feeds 2000 -gomemlimit 40MiB
//
// Phases: (1) serve starts on an empty database with N feeds in its config
// and polls them all at once (every feed is due); (2) it idles; (3) it is
// restarted on the now populated database, where nothing is due: the
// steady idle of a long-running daemon; (4) the same after evicting the
// database and the binary from the page cache, as after a reboot.
// /proc/<pid>/status is sampled every few milliseconds: VmRSS (resident),
// RssAnon (heap, stacks, runtime: what GOMEMLIMIT governs, roughly),
// RssFile (the binary's pages and the pages of the memory-mapped database,
// both reclaimable page cache) and VmHWM (the kernel's own peak).
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

type options struct {
	bin        string
	feeds      int
	items      int
	gomemlimit string
	workers    int
	fullText   string
	idle       time.Duration
	dir        string
	jsonOut    bool
}

func main() {
	var o options
	flag.StringVar(&o.bin, "bin", "", "tidings `binary` to measure (required)")
	flag.IntVar(&o.feeds, "feeds", 500, "number of loopback feeds")
	flag.IntVar(&o.items, "items", 20, "items per feed")
	flag.StringVar(&o.gomemlimit, "gomemlimit", "", "GOMEMLIMIT for the daemon, e.g. 40MiB (empty: unset)")
	flag.IntVar(&o.workers, "workers", 0, "fetch.workers (0: the default)")
	flag.StringVar(&o.fullText, "full-text", "auto", "fetch.full_text: auto | always | never")
	flag.DurationVar(&o.idle, "idle", 20*time.Second, "how long to let the daemon idle before reading idle memory")
	flag.StringVar(&o.dir, "dir", "", "work directory (default: a new temporary one, removed afterwards)")
	flag.BoolVar(&o.jsonOut, "json", false, "print the result as JSON")
	flag.Parse()
	if o.bin == "" || o.feeds < 1 {
		flag.Usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := run(ctx, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "memprobe:", err)
		os.Exit(1)
	}
	if o.jsonOut {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		enc.Encode(res)
		return
	}
	res.print(os.Stdout)
}

// result is one measurement; sizes in KiB as /proc reports them.
type result struct {
	Feeds         int     `json:"feeds"`
	Items         int     `json:"items_per_feed"`
	GOMEMLIMIT    string  `json:"gomemlimit"`
	Workers       int     `json:"workers"`
	StartRSS      int64   `json:"start_rss_kib"`      // listening, before the first poll finished
	CyclePeakRSS  int64   `json:"cycle_peak_rss_kib"` // max VmRSS sampled during the cycle
	CyclePeakAnon int64   `json:"cycle_peak_anon_kib"`
	CycleHWM      int64   `json:"cycle_hwm_kib"` // VmHWM at the end of the cycle
	CycleSeconds  float64 `json:"cycle_seconds"`
	IdleRSS       int64   `json:"idle_rss_kib"` // after the cycle and -idle of quiet
	IdleAnon      int64   `json:"idle_anon_kib"`
	IdleFile      int64   `json:"idle_file_kib"`     // binary text and mmapped database pages
	IdleDB        int64   `json:"idle_db_kib"`       // of which the database mapping
	Restart       idle    `json:"restart_idle"`      // restarted, nothing due, after -idle (page cache warm)
	Cold          idle    `json:"cold_restart_idle"` // the same with database and binary evicted from the page cache
	DBBytes       int64   `json:"db_bytes"`
	UsedBytes     int64   `json:"used_bytes"` // size of a backup: the pages in use
	Requests      int64   `json:"farm_requests"`
}

func (r result) print(w io.Writer) {
	lim := r.GOMEMLIMIT
	if lim == "" {
		lim = "unset"
	}
	mib := func(kib int64) string { return fmt.Sprintf("%.1f MiB", float64(kib)/1024) }
	fmt.Fprintf(w, "feeds=%d items/feed=%d GOMEMLIMIT=%s workers=%d\n", r.Feeds, r.Items, lim, r.Workers)
	fmt.Fprintf(w, "  start (listening)         RSS %s\n", mib(r.StartRSS))
	fmt.Fprintf(w, "  poll cycle (%.1fs)        peak RSS %s, peak anon %s, VmHWM %s\n", r.CycleSeconds, mib(r.CyclePeakRSS), mib(r.CyclePeakAnon), mib(r.CycleHWM))
	fmt.Fprintf(w, "  idle after the cycle      RSS %s = anon %s + file %s (database mapping %s)\n", mib(r.IdleRSS), mib(r.IdleAnon), mib(r.IdleFile), mib(r.IdleDB))
	for _, x := range []struct {
		name string
		v    idle
	}{{"idle after a restart     ", r.Restart}, {"idle after a cold restart", r.Cold}} {
		fmt.Fprintf(w, "  %s RSS %s = anon %s + file %s (database mapping %s), VmHWM %s\n", x.name, mib(x.v.RSS), mib(x.v.Anon), mib(x.v.File), mib(x.v.DB), mib(x.v.HWM))
	}
	items := r.Feeds * r.Items
	fmt.Fprintf(w, "  database file %.1f MiB, in use %.1f MiB for %d items = %.2f MB per 1,000 items; farm answered %d requests\n",
		float64(r.DBBytes)/(1<<20), float64(r.UsedBytes)/(1<<20), items, float64(r.UsedBytes)/1e6/float64(items)*1000, r.Requests)
}

func run(ctx context.Context, o options) (result, error) {
	res := result{Feeds: o.feeds, Items: o.items, GOMEMLIMIT: o.gomemlimit, Workers: o.workers}
	dir := o.dir
	if dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return res, err
		}
	} else {
		d, err := os.MkdirTemp("", "memprobe-")
		if err != nil {
			return res, err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	f, err := startFarm(o.feeds, o.items)
	if err != nil {
		return res, err
	}
	defer f.close()
	cfg := filepath.Join(dir, "tidings.toml")
	if err := os.WriteFile(cfg, []byte(config(dir, f, o)), 0o644); err != nil {
		return res, err
	}

	// Phase 1 and 2: first start, everything due.
	d, err := startDaemon(ctx, o, cfg, filepath.Join(dir, "serve-1.log"))
	if err != nil {
		return res, err
	}
	if err := d.waitLog(ctx, "msg=serving", time.Minute); err != nil {
		d.stop()
		return res, err
	}
	res.StartRSS = d.sample().RSS
	start := time.Now()
	d.resetPeak()
	if err := d.waitLog(ctx, "msg=\"poll cycle\"", 30*time.Minute); err != nil {
		d.stop()
		return res, err
	}
	res.CycleSeconds = time.Since(start).Seconds()
	peak := d.peak()
	res.CyclePeakRSS, res.CyclePeakAnon, res.CycleHWM = peak.RSS, peak.Anon, d.sample().HWM
	sleep(ctx, o.idle)
	s := d.sample()
	res.IdleRSS, res.IdleAnon, res.IdleFile = s.RSS, s.Anon, s.File
	res.IdleDB = mappedRSS(d.cmd.Process.Pid, ".db")
	if err := d.stop(); err != nil {
		return res, fmt.Errorf("first serve: %w", err)
	}

	// Phase 3: restart on the populated database; nothing is due. The
	// database file is still in the page cache from phase 1, and pages the
	// kernel maps around each touched page (fault-around) count as resident.
	if res.Restart, err = idleRun(ctx, o, cfg, filepath.Join(dir, "serve-2.log")); err != nil {
		return res, err
	}
	// Phase 4: the same after dropping the database and the binary from the
	// page cache, as after a reboot.
	dbPath := filepath.Join(dir, "data", "tidings.db")
	if err := evict(dbPath, o.bin); err != nil {
		return res, err
	}
	if res.Cold, err = idleRun(ctx, o, cfg, filepath.Join(dir, "serve-3.log")); err != nil {
		return res, err
	}
	if st, err := os.Stat(dbPath); err == nil {
		res.DBBytes = st.Size()
	}
	// A backup copies the used pages only: the database's real size, not
	// the file's preallocated growth.
	bk := filepath.Join(dir, "backup.db")
	if out, err := exec.CommandContext(ctx, o.bin, "-config", cfg, "backup", bk).CombinedOutput(); err != nil {
		return res, fmt.Errorf("backup: %v: %s", err, out)
	}
	if st, err := os.Stat(bk); err == nil {
		res.UsedBytes = st.Size()
	}
	res.Requests = f.requests()
	return res, ctx.Err()
}

// idle is the memory of a daemon that has nothing to do.
type idle struct {
	RSS  int64 `json:"rss_kib"`
	Anon int64 `json:"anon_kib"`
	File int64 `json:"file_kib"`
	DB   int64 `json:"db_kib"`
	HWM  int64 `json:"hwm_kib"`
}

// idleRun starts serve, lets it idle and samples it.
func idleRun(ctx context.Context, o options, cfg, logPath string) (idle, error) {
	d, err := startDaemon(ctx, o, cfg, logPath)
	if err != nil {
		return idle{}, err
	}
	if err := d.waitLog(ctx, "msg=serving", time.Minute); err != nil {
		d.stop()
		return idle{}, err
	}
	sleep(ctx, o.idle)
	s := d.sample()
	v := idle{RSS: s.RSS, Anon: s.Anon, File: s.File, HWM: s.HWM, DB: mappedRSS(d.cmd.Process.Pid, ".db")}
	if err := d.stop(); err != nil {
		return v, fmt.Errorf("serve (%s): %w", logPath, err)
	}
	return v, nil
}

// evict drops files' clean pages from the page cache (only these files;
// nothing else on the machine is affected).
func evict(paths ...string) error {
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		err = unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED)
		f.Close()
		if err != nil {
			return fmt.Errorf("evict %s: %w", p, err)
		}
	}
	return nil
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

func config(dir string, f *farm, o options) string {
	var b strings.Builder
	fmt.Fprintf(&b, "data_dir = %q\n\n[log]\nlevel = \"info\"\n\n", filepath.Join(dir, "data"))
	fmt.Fprintf(&b, "[fetch]\nallow_networks = [\"127.0.0.0/8\"]\nfull_text = %q\n", o.fullText)
	if o.workers > 0 {
		fmt.Fprintf(&b, "workers = %d\n", o.workers)
	}
	// A digest far in the future: this measures polling, not building.
	b.WriteString("\n[[digest]]\nname = \"daily\"\nschedule = \"0 7 1 1 *\"\n\n")
	fmt.Fprintf(&b, "[publish]\ndir = %q\n\n[server]\nlisten = \"127.0.0.1:0\"\n\n", filepath.Join(dir, "public"))
	for i := 0; i < f.n; i++ {
		fmt.Fprintf(&b, "[[feed]]\nurl = %q\n", f.feedURL(i))
	}
	return b.String()
}

// daemon is one running `tidings serve` with its sampler.
type daemon struct {
	cmd  *exec.Cmd
	done chan error
	log  *os.File

	mu          sync.Mutex
	top         status
	stopSampler chan struct{}
	sampled     chan struct{}
}

// status is what /proc/<pid>/status says, in KiB.
type status struct{ RSS, Anon, File, HWM int64 }

func startDaemon(ctx context.Context, o options, cfg, logPath string) (*daemon, error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(o.bin, "-config", cfg, "serve")
	cmd.Env = append(os.Environ(), "TIDINGS_CONFIG=", "NOTIFY_SOCKET=", "GOMEMLIMIT="+o.gomemlimit)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, err
	}
	d := &daemon{cmd: cmd, done: make(chan error, 1), log: logf, stopSampler: make(chan struct{}), sampled: make(chan struct{})}
	go func() { d.done <- cmd.Wait() }()
	go d.sampleLoop()
	return d, nil
}

// sampleLoop keeps the highest VmRSS/RssAnon seen since the last reset.
func (d *daemon) sampleLoop() {
	defer close(d.sampled)
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-d.stopSampler:
			return
		case <-t.C:
		}
		s, err := readStatus(d.cmd.Process.Pid)
		if err != nil {
			continue
		}
		d.mu.Lock()
		d.top.RSS = max(d.top.RSS, s.RSS)
		d.top.Anon = max(d.top.Anon, s.Anon)
		d.mu.Unlock()
	}
}

func (d *daemon) resetPeak() {
	d.mu.Lock()
	d.top = status{}
	d.mu.Unlock()
}

func (d *daemon) peak() status {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.top
}

func (d *daemon) sample() status {
	s, _ := readStatus(d.cmd.Process.Pid)
	return s
}

// waitLog waits for a log line containing needle (text log format).
func (d *daemon) waitLog(ctx context.Context, needle string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		b, err := os.ReadFile(d.log.Name())
		if err != nil {
			return err
		}
		if strings.Contains(string(b), needle) {
			return nil
		}
		select {
		case err := <-d.done:
			d.done <- err
			return fmt.Errorf("serve exited (%v) before logging %s; see %s", err, needle, d.log.Name())
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	return fmt.Errorf("no %s in the log within %v; see %s", needle, limit, d.log.Name())
}

// stop sends SIGTERM, as systemd does, and waits.
func (d *daemon) stop() error {
	defer d.log.Close()
	close(d.stopSampler)
	<-d.sampled
	d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-d.done:
		return err
	case <-time.After(60 * time.Second):
		d.cmd.Process.Kill()
		<-d.done
		return errors.New("did not stop within 60s of SIGTERM")
	}
}

func readStatus(pid int) (status, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return status{}, err
	}
	defer f.Close()
	var s status
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		fields := strings.Fields(v)
		if len(fields) == 0 {
			continue
		}
		n, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			continue
		}
		switch k {
		case "VmRSS":
			s.RSS = n
		case "RssAnon":
			s.Anon = n
		case "RssFile":
			s.File = n
		case "VmHWM":
			s.HWM = n
		}
	}
	return s, sc.Err()
}

// mappedRSS sums the resident KiB of the mappings whose file name ends in
// suffix (bbolt maps its whole file; touched pages count as resident).
func mappedRSS(pid int, suffix string) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/smaps", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	var total int64
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		if !strings.HasSuffix(fields[0], ":") {
			// A mapping header: "start-end perms offset dev inode [path]".
			in = len(fields) >= 6 && strings.HasSuffix(fields[len(fields)-1], suffix)
			continue
		}
		if in && fields[0] == "Rss:" && len(fields) >= 2 {
			n, _ := strconv.ParseInt(fields[1], 10, 64)
			total += n
		}
	}
	return total
}
