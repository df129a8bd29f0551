package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"sync"
	"syscall"
	"time"

	"github.com/robfig/cron/v3"
	"golang.org/x/sync/errgroup"

	"github.com/tidings/tidings/digest/mail"
	"github.com/tidings/tidings/feed"
	"github.com/tidings/tidings/internal/heapcap"
	"github.com/tidings/tidings/store"
)

// Shutdown bounds. On SIGTERM no new job starts; jobs already running
// keep their context for shutdownGrace, so a poll or an edition in flight
// finishes and is committed. Then their context is cancelled and they get
// drainTimeout to return. HTTP requests get httpTimeout, meanwhile. The
// sum stays under the systemd unit's TimeoutStopSec (30 s).
const (
	shutdownGrace = 20 * time.Second
	drainTimeout  = 5 * time.Second
	httpTimeout   = 10 * time.Second
)

func (a *app) cmdServe(ctx context.Context, args []string) error {
	fs := a.flags("serve", "[--listen ADDR]",
		"Run the daemon: poll due feeds every minute, build each digest on its\nschedule (missed slots are caught up once at start), publish, mail, and\nserve the output directory over HTTP with /healthz, /readyz and /metrics.\nSIGHUP reloads the configuration; SIGINT/SIGTERM stop cleanly.")
	listen := fs.String("listen", "", "listen `ADDR`ess, overriding server.listen (\"127.0.0.1:0\" picks a free port)")
	if err := noArgs(fs, args); err != nil {
		return err
	}
	cfg, err := a.config()
	if err != nil {
		return err
	}
	a.listen = *listen
	if *listen != "" {
		cfg.Server.Listen = *listen
	}
	return a.serve(ctx, cfg)
}

// daemon is the state serve's jobs share. The config, poller and sender
// are swapped together on reload, under mu.
type daemon struct {
	a       *app
	db      *store.DB
	log     *slog.Logger
	started time.Time
	metrics *metrics  // nil when server.metrics is off
	notify  *notifier // systemd; a no-op elsewhere
	heap    *heapcap.Cap

	// stop is done once the daemon is stopping: jobs check it before they
	// start, while the work context they run with lives on for the grace
	// period. nil means never (tests that drive jobs directly).
	stop context.Context

	// build serializes edition building and publishing: digests sharing a
	// schedule, a catch-up and the start-up publish all write the one
	// output directory, which takes one publisher at a time.
	build sync.Mutex

	mu       sync.Mutex
	cfg      *Config
	poller   *feed.Poller
	sender   *mail.Sender // nil without SMTP
	digestID map[string]cron.EntryID
	health   health
}

// health is what /readyz reports.
type health struct {
	LastPollStart time.Time
	LastPoll      time.Time
	LastPollError string
	LastEdition   time.Time
	OutboxPending int
	OutboxFailed  int
	OutboxProblem string
}

// serve is the daemon's whole lifetime (STYLE.md): the store opens first
// and closes last, after every goroutine below has returned.
func (a *app) serve(ctx context.Context, cfg *Config) error {
	db, err := a.openStore(cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	log := a.log

	// Listen before anything runs: a taken port fails the start, not a goroutine.
	ln, err := net.Listen("tcp", cfg.Server.Listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	ctl, err := listenControl(cfg)
	if err != nil {
		ln.Close()
		return err
	}

	d := &daemon{a: a, db: db, log: log, started: a.now(), digestID: map[string]cron.EntryID{}, heap: heapcap.New(cfg.Fetch.MemoryHeadroom)}
	d.notify = newNotifier(log)
	d.notify.Check = d.alive
	if cfg.Server.Metrics {
		d.metrics = newMetrics(d)
	}
	cl := cronLogger{log}
	sched := cron.New(
		cron.WithChain(cron.Recover(cl), cron.SkipIfStillRunning(cl)),
		cron.WithLogger(cl),
		cron.WithLocation(time.UTC),
	)
	// gctx is the stop signal (a failing server goroutine stops the daemon
	// too); jobs capture work, which outlives it by the grace period.
	g, gctx := errgroup.WithContext(ctx)
	d.stop = gctx
	work, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()
	if err := d.apply(work, cfg, sched); err != nil {
		ln.Close()
		ctl.Close()
		return err
	}
	pollID, _ := sched.AddFunc("@every 1m", func() { d.poll(work) })
	sched.AddFunc("@every 1m", func() { d.deliver(work) })
	retentionID, _ := sched.AddFunc("17 3 * * *", func() { d.retention(work); d.releaseMemory() })

	srv := &http.Server{Handler: d.handler(), ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	csrv := &http.Server{Handler: d.controlHandler(), ReadHeaderTimeout: 10 * time.Second}

	// SIGHUP is caught before readiness is announced: until signal.Notify
	// runs, Go's default for SIGHUP is to exit, and a reload sent right
	// after READY=1 would kill the daemon.
	hup := a.hup
	if hup == nil {
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, syscall.SIGHUP)
		defer signal.Stop(ch)
		hup = ch
	}
	g.Go(func() error { return ignoreClosed(srv.Serve(ln)) })
	g.Go(func() error { return ignoreClosed(csrv.Serve(ctl)) })
	sched.Start()
	log.Info("serving", "addr", ln.Addr().String(), "output", cfg.Publish.Dir, "digests", len(cfg.Digests), "version", versionString())
	d.notify.Ready()
	d.notify.Status("serving on " + ln.Addr().String())
	g.Go(func() error { return d.notify.RunWatchdog(gctx) })
	if a.onServing != nil {
		a.onServing(ln.Addr().String())
	}

	// Work that is due now runs through the wrapped jobs, so it never
	// overlaps a scheduled run and a panic is recovered: the first poll,
	// missed digest slots (once), an output directory an interrupted
	// publish left behind the store, retention if a day has passed.
	startup := make(chan struct{})
	g.Go(func() error {
		defer close(startup)
		sched.Entry(pollID).WrappedJob.Run()
		d.guard("catch-up", func() { d.catchUp(work) })
		d.guard("publish", func() { d.republish(work) })
		sched.Entry(retentionID).WrappedJob.Run()
		d.releaseMemory()
		return nil
	})

	g.Go(func() error {
		for {
			select {
			case <-gctx.Done():
				return nil
			case <-hup:
				d.notify.Reloading()
				d.guard("reload", func() { d.reload(work, sched) })
				d.notify.Ready()
			}
		}
	})

	grace := shutdownGrace
	if a.grace > 0 {
		grace = a.grace
	}
	g.Go(func() error {
		<-gctx.Done()
		log.Info("shutting down")
		d.notify.Stopping()
		graceUp := time.NewTimer(grace) // from the signal, not after the HTTP shutdown
		defer graceUp.Stop()
		jobs := sched.Stop() // no new runs; running ones go on with work
		sctx, cancel := context.WithTimeout(context.Background(), httpTimeout)
		defer cancel()
		err := errors.Join(srv.Shutdown(sctx), csrv.Shutdown(sctx))
		// idle waits for the running cron jobs and the start-up work, or
		// for timeout.
		idle := func(timeout <-chan time.Time) bool {
			for _, done := range []<-chan struct{}{jobs.Done(), startup} {
				select {
				case <-done:
				case <-timeout:
					return false
				}
			}
			return true
		}
		if !idle(graceUp.C) {
			log.Warn("work still running after the shutdown grace period; cancelling it", "grace", grace)
			cancelWork()
			drain := time.NewTimer(drainTimeout)
			defer drain.Stop()
			if !idle(drain.C) {
				log.Warn("jobs still running at shutdown; closing anyway", "waited", grace+drainTimeout)
			}
		}
		cancelWork()
		return err
	})
	err = g.Wait()
	_, poller, _ := d.current()
	poller.Close()
	log.Info("stopped")
	return err
}

// guard runs work that is not a cron job the way cron.Recover runs jobs: a
// panic is logged with its stack and the daemon goes on.
func (d *daemon) guard(what string, fn func()) {
	defer func() {
		if r := recover(); r != nil {
			d.log.Error("panic recovered", "in", what, "panic", r, "stack", string(debug.Stack()))
		}
	}()
	fn()
}

func ignoreClosed(err error) error {
	if errors.Is(err, http.ErrServerClosed) || errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

// apply makes cfg current: a new poller and sender, and one cron entry per
// digest (entries of the previous config are removed first).
func (d *daemon) apply(ctx context.Context, cfg *Config, sched *cron.Cron) error {
	opts := d.a.feedOptions(cfg)
	if d.stop != nil {
		opts.Stop = d.stop.Done() // stopping: finish the feeds in flight, start no more
	}
	poller, err := feed.NewPoller(d.db, opts)
	if err != nil {
		return err
	}
	sender, err := d.a.sender(cfg, d.db)
	if err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.poller != nil {
		d.poller.Close() // only drops idle connections; a running cycle finishes
	}
	for name, id := range d.digestID {
		sched.Remove(id)
		delete(d.digestID, name)
	}
	d.cfg, d.poller, d.sender = cfg, poller, sender
	d.heap.SetHeadroom(cfg.Fetch.MemoryHeadroom)
	for _, dc := range cfg.Digests {
		name := dc.Def.Name
		d.digestID[name] = sched.Schedule(dc.Cron, cron.FuncJob(func() { d.runDigest(ctx, name); d.releaseMemory() }))
	}
	return nil
}

func (d *daemon) current() (*Config, *feed.Poller, *mail.Sender) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.cfg, d.poller, d.sender
}

// alive is the watchdog's health check: the database answers and poll
// cycles complete.
func (d *daemon) alive() error {
	if _, err := d.db.GetState(stateRetention); err != nil {
		return err
	}
	d.mu.Lock()
	h := d.health
	d.mu.Unlock()
	return h.stale(d.a.now(), d.started)
}

// stale reports a wedged poller: no cycle started for pollStale (cron runs
// one a minute), or one running for longer than a cycle can reasonably take.
func (h health) stale(now, started time.Time) error {
	if now.Sub(started) < pollStale {
		return nil
	}
	if h.LastPollStart.After(h.LastPoll) {
		if now.Sub(h.LastPollStart) > 2*time.Hour {
			return fmt.Errorf("poll cycle running since %s", h.LastPollStart.Format(time.RFC3339))
		}
		return nil
	}
	if now.Sub(h.LastPollStart) > pollStale {
		return fmt.Errorf("no poll cycle since %s", h.LastPoll.Format(time.RFC3339))
	}
	return nil
}

// reload re-reads the config file. An invalid file is logged and the
// running configuration kept.
func (d *daemon) reload(ctx context.Context, sched *cron.Cron) {
	old, _, _ := d.current()
	if old.File == "" {
		d.log.Warn("reload: running on built-in defaults, nothing to reload")
		return
	}
	cfg, err := LoadConfig(old.File)
	if err != nil {
		d.log.Error("reload rejected; keeping the running configuration", "file", old.File, "error", err)
		return
	}
	if d.a.listen != "" {
		cfg.Server.Listen = d.a.listen
	}
	for _, c := range restartOnly(old, cfg) {
		d.log.Warn("reload: this change takes effect after a restart", "key", c)
	}
	n, u, r, err := syncFeeds(d.db, cfg, true)
	if err != nil {
		d.log.Error("reload: syncing feeds failed; keeping the running configuration", "error", err)
		return
	}
	if err := d.apply(ctx, cfg, sched); err != nil {
		d.log.Error("reload rejected; keeping the running configuration", "error", err)
		return
	}
	d.a.level.Set(cfg.Log.Level)
	d.log.Info("configuration reloaded", "file", cfg.File, "feeds_added", n, "feeds_updated", u, "feeds_removed", r, "digests", len(cfg.Digests))
	// A digest added with a schedule slot already past is not caught up:
	// it starts at its next slot.
}

// restartOnly lists changed keys a running daemon cannot apply.
func restartOnly(old, cfg *Config) []string {
	var keys []string
	if old.DataDir != cfg.DataDir {
		keys = append(keys, "data_dir")
	}
	if old.Server != cfg.Server {
		keys = append(keys, "server")
	}
	if old.Publish.Dir != cfg.Publish.Dir {
		keys = append(keys, "publish.dir")
	}
	if old.Log.Format != cfg.Log.Format {
		keys = append(keys, "log.format")
	}
	return keys
}

// stopped reports whether new work must not start: the daemon is stopping
// or ctx is done.
func (d *daemon) stopped(ctx context.Context) bool {
	return ctx.Err() != nil || (d.stop != nil && d.stop.Err() != nil)
}

// poll runs one poll cycle of the feeds that are due.
func (d *daemon) poll(ctx context.Context) {
	if d.stopped(ctx) {
		return
	}
	_, poller, _ := d.current()
	start := time.Now()
	d.mu.Lock()
	d.health.LastPollStart = d.a.now()
	d.mu.Unlock()
	res, err := d.pollDue(ctx, poller)
	dur := time.Since(start)
	d.mu.Lock()
	d.health.LastPoll = d.a.now()
	d.health.LastPollError = ""
	if err != nil {
		d.health.LastPollError = err.Error()
	}
	d.mu.Unlock()
	if err != nil {
		if ctx.Err() == nil {
			d.log.Error("poll cycle", "error", err, "duration", dur)
		}
		return
	}
	d.metrics.observePoll(res, dur)
	if res.Feeds == 0 {
		d.log.Debug("poll cycle", "feeds", 0)
		return
	}
	d.log.Info("poll cycle", "feeds", res.Feeds, "new", res.New, "updated", res.Updated,
		"not_modified", res.NotModified, "errors", res.Errors, "duration", dur.Round(time.Millisecond))
	d.metrics.updateFeeds(d.db)
	if res.New+res.Updated > 0 {
		d.releaseMemory()
	}
}

// releaseMemory hands back what a burst of work leaves behind: the database
// pages it mapped and the garbage the Go heap would otherwise keep until the
// next collection, which an idle daemon may not reach for hours. Both are
// cheap (a forced GC of a few MB of live heap takes about a millisecond)
// and run only after work that stored or published something; measured in
// docs/bench-ops.md.
func (d *daemon) releaseMemory() {
	d.db.ReleaseMemory()
	debug.FreeOSMemory()
}

// pollDue polls the feeds that are due, observing each fetch in the
// metrics.
func (d *daemon) pollDue(ctx context.Context, poller *feed.Poller) (feed.CycleResult, error) {
	feeds, err := d.db.DueFeeds(d.a.now())
	if err != nil {
		return feed.CycleResult{}, fmt.Errorf("due feeds: %w", err)
	}
	var progress func(feed.Progress)
	if d.metrics != nil {
		progress = d.metrics.observeFetch
	}
	defer d.heap.Ingest()()
	return poller.PollFeeds(ctx, feeds, progress)
}

// runDigest builds the edition of the latest slot of digest name that has
// not been built yet (idempotent: the store keeps one edition per slot).
func (d *daemon) runDigest(ctx context.Context, name string) {
	if d.stopped(ctx) {
		return
	}
	d.build.Lock()
	defer d.build.Unlock()
	if d.stopped(ctx) {
		return // stopped while waiting for another build
	}
	defer d.heap.Lift()()
	cfg, _, _ := d.current()
	dc, ok := cfg.Digest(name)
	if !ok {
		return // removed by a reload while queued
	}
	now := d.a.now()
	slot := prevSlot(dc.Cron, now)
	if slot.IsZero() {
		return
	}
	// Checked under d.build: a run that waited for another one finds the
	// slot done.
	if last := d.lastSlot(name); !last.IsZero() && !last.Before(slot) {
		return
	}
	start := time.Now()
	run, err := d.a.makeEdition(ctx, cfg, d.db, dc, slot, false)
	if err != nil {
		if ctx.Err() == nil {
			d.log.Error("edition", "digest", name, "slot", slot, "error", err)
		}
		return
	}
	if run.Skipped {
		d.log.Info("edition skipped", "digest", name, "slot", slot, "reason", "fewer than min_items stories",
			"items", run.Items, "min_items", dc.Def.MinItems, "duration", time.Since(start).Round(time.Millisecond))
		return
	}
	d.mu.Lock()
	d.health.LastEdition = now
	d.mu.Unlock()
	d.metrics.observeEdition(name, run)
	d.log.Info("edition", "digest", name, "number", run.Edition.Number, "slot", slot, "new", run.Created,
		"items", run.Edition.Count(), "build", run.Build.Round(time.Millisecond), "publish", run.Publish.Round(time.Millisecond),
		"mail_sent", run.Sent, "mail_errors", run.MailErrs)
}

func (d *daemon) lastSlot(name string) time.Time {
	s, err := d.db.GetState(slotState(name))
	if err != nil || s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}
	}
	return t
}

// catchUp builds, once, the latest slot of each digest that passed while
// the daemon was down. A digest never built before starts with its next
// slot instead (its first window would hold nothing yet).
func (d *daemon) catchUp(ctx context.Context) {
	cfg, _, _ := d.current()
	now := d.a.now()
	for _, dc := range cfg.Digests {
		if d.stopped(ctx) {
			return
		}
		name := dc.Def.Name
		prev := prevSlot(dc.Cron, now)
		last := d.lastSlot(name)
		if last.IsZero() {
			if !prev.IsZero() {
				if err := d.db.SetState(slotState(name), prev.UTC().Format(time.RFC3339)); err != nil {
					d.log.Error("catch-up", "digest", name, "error", err)
				}
			}
			continue
		}
		// A slot was missed when the schedule fired between the last build
		// and now (this also holds for @every schedules, which have no
		// fixed slots).
		if prev.IsZero() || dc.Cron.Next(last).After(now) {
			continue
		}
		// Only the latest missed slot is built; its window reaches back to
		// the previous edition, so the stories of the skipped slots are in it
		// (and it ends now, so it also holds what the first poll found).
		d.log.Info("catching up a missed slot", "digest", name, "slot", prev, "last_built", last)
		d.runDigest(ctx, name)
	}
}

// republish brings the output directory up to date with the store at
// start: an edition saved just before a crash or a shutdown may not have
// been published. Unchanged files are not rewritten, so this is cheap.
func (d *daemon) republish(ctx context.Context) {
	if d.stopped(ctx) {
		return
	}
	d.build.Lock()
	defer d.build.Unlock()
	defer d.heap.Lift()()
	cfg, _, _ := d.current()
	res, err := d.a.publishAll(ctx, cfg, d.db)
	if err != nil {
		if ctx.Err() == nil {
			d.log.Error("publish", "error", err)
		}
		return
	}
	if res.Written+res.Removed > 0 {
		d.log.Info("published", "written", res.Written, "unchanged", res.Unchanged, "removed", res.Removed, "duration", res.Duration.Round(time.Millisecond))
	}
}

// deliver retries due outbox entries.
func (d *daemon) deliver(ctx context.Context) {
	if d.stopped(ctx) {
		return
	}
	_, _, sender := d.current()
	if sender != nil {
		rep, err := sender.DeliverDue(ctx)
		if err != nil && ctx.Err() == nil {
			d.log.Error("outbox", "error", err)
		} else if rep.Due > 0 {
			d.log.Info("outbox", "due", rep.Due, "sent", rep.Sent, "retrying", rep.Retrying, "failed", len(rep.Failed))
		}
		d.mu.Lock()
		d.health.OutboxProblem = rep.Problem
		d.mu.Unlock()
	}
	ds, err := d.db.Deliveries()
	if err != nil {
		return
	}
	var pending, failed int
	for _, x := range ds {
		switch x.State {
		case "pending":
			pending++
		case "failed":
			failed++
		}
	}
	d.mu.Lock()
	d.health.OutboxPending, d.health.OutboxFailed = pending, failed
	d.mu.Unlock()
	d.metrics.setOutbox(pending, failed)
}

const stateRetention = "retention/last_run"

// retentionGap is less than a day so the daily run at a fixed time is
// never skipped, yet a restart shortly after a run does not prune again.
const retentionGap = 20 * time.Hour

// retention prunes old items (keeping each feed's newest) and, much later,
// their seen-set entries, and renews the shared compression dictionary. It runs daily and at start, skipping a run when
// the last one is recent (a restart must not prune again).
func (d *daemon) retention(ctx context.Context) {
	if d.stopped(ctx) {
		return
	}
	now := d.a.now()
	if s, _ := d.db.GetState(stateRetention); s != "" {
		if t, err := time.Parse(time.RFC3339, s); err == nil && now.Sub(t) < retentionGap {
			return
		}
	}
	cfg, _, _ := d.current()
	start := time.Now()
	items, err := d.db.Prune(now.Add(-cfg.Retention.MaxAge), cfg.Retention.MinPerFeed)
	if err != nil {
		d.log.Error("retention", "error", err)
		return
	}
	// Identities outlive items by far, so a pruned item never returns as new.
	seenAge := max(4*cfg.Retention.MaxAge, 365*24*time.Hour)
	seen, err := d.db.PruneSeen(now.Add(-seenAge))
	if err != nil {
		d.log.Error("retention", "error", err)
		return
	}
	// After pruning, so a replaced dictionary whose items are gone goes too.
	dict, err := d.db.MaintainDictionary(now)
	if err != nil {
		d.log.Error("retention", "error", err) // compression only: retention itself is done
	}
	if err := d.db.SetState(stateRetention, now.UTC().Format(time.RFC3339)); err != nil {
		d.log.Error("retention", "error", err)
	}
	d.log.Info("retention", "items_pruned", items, "seen_pruned", seen,
		"dictionary_created", dict.Created, "dictionaries_deleted", dict.Deleted,
		"duration", time.Since(start).Round(time.Millisecond))
}

// prevSlot is the latest time <= now the schedule fires (zero if none in
// the last 400 days). cron.Schedule only looks forward, so walk from a
// point far enough back.
func prevSlot(s cron.Schedule, now time.Time) time.Time {
	var prev time.Time
	for _, back := range []time.Duration{26 * time.Hour, 8 * 24 * time.Hour, 400 * 24 * time.Hour} {
		t := s.Next(now.Add(-back))
		for !t.IsZero() && !t.After(now) {
			prev = t
			t = s.Next(t)
		}
		if !prev.IsZero() {
			return prev
		}
	}
	return prev
}

// cronLogger sends robfig/cron's messages (including recovered panics with
// their stacks) to slog.
type cronLogger struct{ log *slog.Logger }

func (c cronLogger) Info(msg string, kv ...any) {
	c.log.Debug("cron: "+msg, kv...)
}

func (c cronLogger) Error(err error, msg string, kv ...any) {
	c.log.Error("cron: "+msg, append([]any{"error", err}, kv...)...)
}
