package feed

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tidings/tidings"
)

// Store is the part of the store the poller needs; *store.DB satisfies it.
type Store interface {
	SaveFeed(f tidings.Feed) error
	// SavePollNotify stores a poll's feed state and items, calling encoded
	// (if not nil) once it no longer needs the CPU, before it waits for
	// the write.
	SavePollNotify(f tidings.Feed, items []tidings.Item, now time.Time, encoded func()) (tidings.PollResult, error)
	DueFeeds(now time.Time) ([]tidings.Feed, error)
	KnownIdentities(feedID uint64, identities []string) (map[string]bool, error)
	// FeedItems returns the feed's newest stored items, at most limit.
	FeedItems(feedID uint64, limit int) ([]tidings.Item, error)
	// RememberIdentities adds identities to the feed's seen-set without
	// items, so a poll that lists them stores nothing for them.
	RememberIdentities(feedID uint64, identities []string, now time.Time) error
}

// Poller polls feeds and records what it finds. It is safe for concurrent
// use; the host limit applies across all concurrent runs.
type Poller struct {
	// cpu bounds the CPU-heavy steps (parse, sanitize, the store's
	// encoding) to the number of cores: with every worker parsing at once,
	// goroutines reading bodies wait for a core and hold their host slot
	// far longer, and every half-parsed document costs memory.
	cpu chan struct{}
	// bodies bounds the feed bodies read and not yet parsed: when parsing
	// is the bottleneck, the workers that wait for a core wait before
	// reading, not with a body each in memory.
	bodies chan struct{}
	st     Store
	opts   Options
	f      *fetcher
	san    *sanitizer
	sched  scheduler
	holds  *articleHolds
}

// Progress is reported after each feed of a run. Done, New and Errors
// are running totals; FeedURL, Err, Kind and Duration describe the feed
// just polled.
type Progress struct {
	Done    int    `json:"done"`
	Total   int    `json:"total"`
	New     int    `json:"new"`
	Errors  int    `json:"errors"`
	FeedURL string `json:"feed_url"`
	Err     string `json:"error,omitempty"`
	// Kind is the feed's outcome: "ok", "not_modified", or the error
	// kind (KindNetwork, KindHTTP, …; "interrupted" when the run was
	// cancelled, "store" when saving failed).
	Kind string `json:"kind"`
	// Duration is the time to fetch, parse and store the feed.
	Duration time.Duration `json:"duration"`
}

// Outcomes reported in Progress.Kind besides the error kinds.
const (
	outcomeOK          = "ok"
	outcomeNotModified = "not_modified"
	outcomeInterrupted = "interrupted"
	outcomeStore       = "store"
)

// CycleResult sums up one run.
type CycleResult struct {
	Feeds       int           `json:"feeds"`
	New         int           `json:"new"`
	Updated     int           `json:"updated"`
	NotModified int           `json:"not_modified"`
	Errors      int           `json:"errors"`
	Bytes       int64         `json:"bytes"`
	Duration    time.Duration `json:"duration"`
}

const acceptFeed = "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, application/xml;q=0.8, text/xml;q=0.8, */*;q=0.1"

// NewPoller checks opts and builds a Poller.
func NewPoller(st Store, opts Options) (*Poller, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	f, err := newFetcher(o)
	if err != nil {
		return nil, err
	}
	return &Poller{st: st, opts: o, f: f, san: newSanitizer(), sched: newScheduler(o), holds: &articleHolds{},
		cpu: make(chan struct{}, runtime.GOMAXPROCS(0)), bodies: make(chan struct{}, runtime.GOMAXPROCS(0)+2)}, nil
}

// heldSlot is a caller's hold on one slot of a semaphore channel.
type heldSlot struct {
	ch   chan struct{}
	held bool
}

// take waits for a slot unless one is held already.
func (s *heldSlot) take(ctx context.Context) error {
	if s.held {
		return nil
	}
	select {
	case s.ch <- struct{}{}:
		s.held = true
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// takeWithin is take that gives up after d, holding no slot then.
func (s *heldSlot) takeWithin(ctx context.Context, d time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	if err := s.take(ctx); err != nil && context.Cause(ctx) != context.DeadlineExceeded {
		return err
	}
	return nil
}

// release gives the slot back if one is held.
func (s *heldSlot) release() {
	if s.held {
		s.held = false
		<-s.ch
	}
}

// Close releases idle connections.
func (p *Poller) Close() error {
	p.f.close()
	return nil
}

// PollDue polls every enabled feed whose next check has come, earliest
// first.
func (p *Poller) PollDue(ctx context.Context) (CycleResult, error) {
	feeds, err := p.st.DueFeeds(p.opts.Now())
	if err != nil {
		return CycleResult{}, fmt.Errorf("due feeds: %w", err)
	}
	return p.PollFeeds(ctx, feeds, nil)
}

// outcome of one feed's poll.
type outcome struct {
	res         tidings.PollResult
	notModified bool
	err         error
	kind        string // error kind, when err is set ("" is outcomeStore)
	bytes       int64
}

// kindOf is o's Progress.Kind.
func (o outcome) kindOf() string {
	switch {
	case o.err == nil && o.notModified:
		return outcomeNotModified
	case o.err == nil:
		return outcomeOK
	case o.kind != "":
		return o.kind
	}
	return outcomeStore
}

// PollFeeds polls feeds (which it only reads), earliest NextCheck first, with the
// worker pool and the per-host limit. A failing feed is recorded in its
// state, not returned; the error is only for the run itself (context
// cancelled). progress (may be nil) is called after each feed, from the
// workers but never concurrently.
func (p *Poller) PollFeeds(ctx context.Context, feeds []tidings.Feed, progress func(Progress)) (CycleResult, error) {
	start := time.Now()
	q := newQueue(feeds, p.f.hosts, p.opts.Stop)

	var (
		mu  sync.Mutex
		res = CycleResult{}
		pr  = Progress{Total: len(feeds)}
		wg  sync.WaitGroup
	)
	workers := min(p.opts.Workers, max(len(feeds), 1))
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				f, ok := q.next(ctx)
				if !ok {
					return
				}
				t0 := time.Now()
				o := p.pollOne(ctx, f)
				took := time.Since(t0)
				mu.Lock()
				res.Feeds++
				res.New += o.res.New
				res.Updated += o.res.Updated
				res.Bytes += o.bytes
				if o.notModified {
					res.NotModified++
				}
				pr.Done++
				pr.New += o.res.New
				pr.FeedURL, pr.Err, pr.Kind, pr.Duration = f.URL, "", o.kindOf(), took
				if o.err != nil {
					res.Errors++
					pr.Errors++
					pr.Err = o.err.Error()
				}
				if progress != nil {
					progress(pr)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	p.f.dropBufs()
	res.Duration = time.Since(start)
	if err := ctx.Err(); err != nil {
		return res, fmt.Errorf("poll interrupted after %d of %d feeds: %w", res.Feeds, len(feeds), err)
	}
	return res, nil
}

// queue hands out feeds in due order, skipping hosts that are at their
// limit so one slow host never idles the whole pool.
//
// The queue keeps indexes into the caller's slice, which it only reads:
// copies of every Feed (twice: sorted, then by host) were a tenth of the
// live heap of a 2,000-feed cycle.
type queue struct {
	mu     sync.Mutex
	stop   <-chan struct{} // closed: hand out no more feeds
	hosts  *hostLimiter
	feeds  []tidings.Feed
	byHost map[string][]int // indexes into feeds, each in due order
	left   int
}

func newQueue(feeds []tidings.Feed, h *hostLimiter, stop <-chan struct{}) *queue {
	order := make([]int, len(feeds))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return feeds[a].State.NextCheck.Compare(feeds[b].State.NextCheck) })
	q := &queue{hosts: h, feeds: feeds, byHost: map[string][]int{}, left: len(feeds), stop: stop}
	for _, i := range order {
		host := hostOf(feeds[i].URL)
		q.byHost[host] = append(q.byHost[host], i)
	}
	return q
}

// next returns the most overdue feed whose host has a free slot, with that
// slot already taken for the caller; the poll releases it once the feed's
// own request is done.
func (q *queue) next(ctx context.Context) (tidings.Feed, bool) {
	for {
		wake := q.hosts.changed()
		q.mu.Lock()
		if q.left == 0 || ctx.Err() != nil || q.stopped() {
			q.mu.Unlock()
			return tidings.Feed{}, false
		}
		best := ""
		var bestDue time.Time
		for host, fs := range q.byHost {
			due := q.feeds[fs[0]].State.NextCheck
			if best == "" || due.Before(bestDue) || (due.Equal(bestDue) && host < best) {
				if !q.hosts.full(host) {
					best, bestDue = host, due
				}
			}
		}
		if best != "" && q.hosts.tryAcquire(best) {
			fs := q.byHost[best]
			f := q.feeds[fs[0]]
			if len(fs) == 1 {
				delete(q.byHost, best)
			} else {
				q.byHost[best] = fs[1:]
			}
			q.left--
			q.mu.Unlock()
			return f, true
		}
		q.mu.Unlock()
		select {
		case <-wake:
		case <-q.stop:
			return tidings.Feed{}, false
		case <-ctx.Done():
			return tidings.Feed{}, false
		}
	}
}

func (q *queue) stopped() bool {
	select {
	case <-q.stop:
		return true
	default:
		return false
	}
}

// pollOne fetches, parses and stores one feed. The caller holds the host
// slot of f.URL; it is released as soon as the feed request is done.
func (p *Poller) pollOne(ctx context.Context, f tidings.Feed) outcome {
	host := hostOf(f.URL)
	released := false
	release := func() {
		if !released {
			released = true
			p.f.hosts.release(host)
		}
	}
	defer release()
	// A body slot is taken before the body is read and held until it is
	// parsed: a worker waiting for a core then holds an unread response,
	// not a body. One CPU slot covers parsing, normalizing, sanitizing and
	// the store's encoding (released while full text waits on the network,
	// and by the store before its write wait): a parsed feed goes on to be
	// compressed instead of queueing for the store's encoders with all its
	// items in memory while other workers parse more.
	body, cpu := heldSlot{ch: p.bodies}, heldSlot{ch: p.cpu}
	defer body.release()
	defer cpu.release()

	now := p.opts.Now()
	prev := f.State
	t0 := time.Now()
	resp, err := p.f.get(ctx, f.URL, acceptFeed, conditional{ETag: f.State.ETag, LastModified: f.State.LastModified, BodyHash: f.State.BodyHash,
		// The request's timeout runs during this wait, so it is bounded: on
		// a machine slow enough to keep every slot busy for a third of the
		// timeout, the body is read without a slot rather than a healthy
		// server being reported as timing out.
		beforeBody: func() error { return body.takeWithin(ctx, p.opts.Timeout/3) }})
	release()
	p.opts.Log.Debug("fetched", "feed_url", f.URL, "fetch_ms", time.Since(t0).Milliseconds())
	if ctx.Err() != nil {
		return outcome{err: ctx.Err(), kind: outcomeInterrupted} // not the feed's fault
	}
	f.State.LastCheck = now
	var o outcome
	if resp != nil {
		o.bytes = resp.Bytes
		if err == nil {
			p.trackRedirect(&f, resp)
		}
	}
	if err != nil {
		return p.failed(f, prev, err, o, now)
	}
	h := hints{cache: cacheHint(resp.Header, now), ttl: f.State.TTL}
	keepValidators := !expiresNow(resp.Header)
	if resp.NotModified {
		body.release() // the body hash matched
		if keepValidators {
			if lm := resp.Header.Get("Last-Modified"); lm != "" {
				f.State.LastModified = lm
			}
			if et := resp.Header.Get("ETag"); et != "" {
				f.State.ETag = et
			}
		}
		p.succeeded(&f, prev, now)
		p.sched.quiet(&f.State)
		f.State.NextCheck = p.sched.next(f, h, now)
		o.notModified = true
		if err := p.st.SaveFeed(f); err != nil {
			o.err = fmt.Errorf("save feed %s: %w", f.URL, err)
		}
		return o
	}

	if err := cpu.take(ctx); err != nil {
		return outcome{err: err, kind: outcomeInterrupted}
	}
	pf, err := func() (pf *parsedFeed, err error) {
		defer recoverAs(&err, "parse")
		return parseFeed(resp.Body, resp.Header.Get("Content-Type"))
	}()
	if err != nil && looksLikeChallenge(resp.Body) {
		p.f.release(resp)
		return p.failed(f, prev, &fetchError{Kind: KindChallenge, Status: resp.Status,
			Err: fmt.Errorf("fetch %s: got a bot-protection challenge page instead of the feed; the site blocks automated readers", f.URL)}, o, now)
	}
	if errors.Is(err, errNotFeed) {
		err = withFeedHint(err, resp.Body, resp.URL)
	}
	bodyHash := resp.BodyHash
	p.f.release(resp) // parsed values are copies; the buffer is reused
	body.release()
	if err != nil {
		return p.failed(f, prev, &fetchError{Kind: KindParse, Err: fmt.Errorf("parse %s: %w", f.URL, err)}, o, now)
	}
	items, nr, err := func() (items []tidings.Item, nr normalizeResult, err error) {
		defer recoverAs(&err, "normalize")
		return p.build(ctx, f, pf, resp.URL, now)
	}()
	if ctx.Err() != nil {
		return outcome{err: ctx.Err(), kind: outcomeInterrupted}
	}
	if err != nil {
		return p.failed(f, prev, &fetchError{Kind: KindParse, Err: fmt.Errorf("%s: %w", f.URL, err)}, o, now)
	}
	if keepValidators {
		f.State.ETag = resp.Header.Get("ETag")
		f.State.LastModified = resp.Header.Get("Last-Modified")
	} else {
		f.State.ETag, f.State.LastModified = "", ""
	}
	f.State.BodyHash = bodyHash
	f.State.TTL, f.State.SkipHours, f.State.SkipDays = pf.TTL, pf.SkipHours, pf.SkipDays
	f.State.IdentityMode = nr.mode
	if f.Title == "" {
		f.Title = clipTitle(plainText(pf.Title))
	}
	if nr.siteURL != "" {
		f.SiteURL = nr.siteURL
	}
	if nr.mode != prev.IdentityMode && prev.IdentityMode != "" {
		p.opts.Log.Warn("feed identities degraded", "feed_url", f.URL, "identity_mode", nr.mode, "reason", strings.Join(nr.warnings, "; "))
	}
	dates := make([]time.Time, 0, len(nr.items))
	for _, n := range nr.items {
		dates = append(dates, n.item.Published)
	}
	p.sched.adaptBase(&f.State, dates, now)
	p.succeeded(&f, prev, now)
	h.ttl, h.period = pf.TTL, pf.UpdatePeriod
	f.State.NextCheck = p.sched.next(f, h, now)
	r, err := p.st.SavePollNotify(f, items, now, cpu.release)
	if err != nil {
		o.err = fmt.Errorf("save poll of %s: %w", f.URL, err)
		return o
	}
	o.res = r
	return o
}

// build turns a parsed document into store-ready items: identities, known
// check, full text for new thin items, sanitizing last.
// The caller holds a CPU slot; it is held again when build returns.
func (p *Poller) build(ctx context.Context, f tidings.Feed, pf *parsedFeed, pageURL string, now time.Time) ([]tidings.Item, normalizeResult, error) {
	nr := normalize(pf, f.ID, f.State.IdentityMode, pageURL, now)
	known := p.known(f.ID, nr)
	if nr.mode == IdentityGUID {
		if byLink, ok := p.relinkUnstable(f, pf, pageURL, now, nr, known); ok {
			nr, known = byLink, p.known(f.ID, byLink)
		}
	}
	mode := f.FullText
	if mode == "" {
		mode = p.opts.FullText
	}
	// Newest first, so the article budget goes to the items a digest
	// will show; an unknown date counts as new (it becomes first-seen).
	order := make([]int, len(nr.items))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		pa, pb := nr.items[a].item.Published, nr.items[b].item.Published
		if pa.IsZero() != pb.IsZero() {
			if pa.IsZero() {
				return -1
			}
			return 1
		}
		return pb.Compare(pa)
	})
	items := make([]tidings.Item, len(nr.items))
	articles := &articleBudget{left: maxArticlesPerPoll, holds: p.holds, now: now}
	for _, i := range order {
		n := nr.items[i]
		it, err := p.finish(ctx, n, mode, !known[n.item.Identity], articles)
		if err != nil {
			return nil, nr, err
		}
		items[i] = it
	}
	return items, nr, nil
}

// known reports which of the document's identities the feed's seen-set
// holds. Without the seen-set nothing counts as new: full text is
// skipped, and the poll goes on.
func (p *Poller) known(feedID uint64, nr normalizeResult) map[string]bool {
	ids := make([]string, len(nr.items))
	for i, n := range nr.items {
		ids[i] = n.item.Identity
	}
	known, err := p.st.KnownIdentities(feedID, ids)
	if err != nil {
		known = make(map[string]bool, len(ids))
		for _, id := range ids {
			known[id] = true
		}
	}
	return known
}

// relinkUnstable detects a feed that gives the items it already listed
// new GUIDs (a generator that makes them per request, or a site that moved
// to another scheme): most of the document's items have unknown GUIDs,
// and most of those have the link of an item already stored. The feed is
// then identified by link, and the link identities of the items it holds
// are remembered, so they do not come back as new under them. A feed
// whose links repeat stays as it is (normalize would not take links).
func (p *Poller) relinkUnstable(f tidings.Feed, pf *parsedFeed, pageURL string, now time.Time, nr normalizeResult, known map[string]bool) (normalizeResult, bool) {
	const minItems = 4 // fewer say too little
	if len(nr.items) < minItems {
		return nr, false
	}
	unknown := 0
	for _, n := range nr.items {
		if !known[n.item.Identity] {
			unknown++
		}
	}
	if unknown*4 < len(nr.items)*3 {
		return nr, false
	}
	// The newest stored items are where relisted ones are; a busy feed
	// whose every poll is new items must not decode its whole history.
	stored, err := p.st.FeedItems(f.ID, min(4*len(nr.items), 1000))
	if err != nil || len(stored) == 0 {
		return nr, false
	}
	links := make(map[string]bool, len(stored))
	for _, it := range stored {
		if it.URL != "" {
			links[it.URL] = true
		}
	}
	relisted := 0
	for _, n := range nr.items {
		if !known[n.item.Identity] && links[n.item.URL] {
			relisted++
		}
	}
	if relisted*4 < unknown*3 {
		return nr, false
	}
	byLink := normalize(pf, f.ID, IdentityLink, pageURL, now)
	if byLink.mode != IdentityLink {
		return nr, false
	}
	var remember []string
	for _, n := range byLink.items {
		if links[n.item.URL] {
			remember = append(remember, n.item.Identity)
		}
	}
	if p.st.RememberIdentities(f.ID, remember, now) != nil {
		return nr, false // the next poll tries again
	}
	byLink.warnings = append(byLink.warnings, fmt.Sprintf("GUIDs unstable: %d of %d items came back with new GUIDs; identifying items by link", relisted, len(nr.items)))
	return byLink, true
}

// finish runs full text (new items only, within the budget) and
// sanitizing for one item. A zero Published (missing, unparsable or
// future date) is left for the store, which replaces it with the item's
// first-seen time.
func (p *Poller) finish(ctx context.Context, n normalized, mode string, isNew bool, articles *articleBudget) (tidings.Item, error) {
	it := n.item
	content := p.san.clean(n.content, n.base)
	if isNew && wantFullText(mode, content.Words, it.URL) {
		var err error
		if content, it.FullText, err = p.fullText(ctx, it.URL, n.base, content, articles); err != nil {
			return it, err
		}
	}
	if n.image != "" && !containsEnclosure(it.Enclosures, n.image) && len(it.Enclosures) == 0 {
		it.Enclosures = append(it.Enclosures, tidings.Enclosure{URL: n.image, Type: "image"})
	}
	it.Content, it.Text = content.HTML, content.Text
	if n.summary != "" {
		it.Summary = p.san.clean(n.summary, n.base).HTML
	}
	it.ID = tidings.ItemID(it.FeedID, it.Identity)
	return it, nil
}

// trackRedirect counts consecutive polls that saw the same permanent
// redirect and promotes it to the feed's URL on the third. The target was
// just reached through the guarded dialer, so it passes the guard.
func (p *Poller) trackRedirect(f *tidings.Feed, resp *response) {
	if resp.Permanent == "" || resp.Permanent == f.URL {
		f.State.RedirectTo, f.State.RedirectSeen = "", 0
		return
	}
	if f.State.RedirectTo == resp.Permanent {
		f.State.RedirectSeen++
	} else {
		f.State.RedirectTo, f.State.RedirectSeen = resp.Permanent, 1
	}
	if f.State.RedirectSeen >= 3 {
		p.opts.Log.Info("feed moved permanently", "feed_url", f.URL, "new_url", f.State.RedirectTo)
		f.URL = f.State.RedirectTo
		f.State.RedirectTo, f.State.RedirectSeen = "", 0
	}
}

func (p *Poller) succeeded(f *tidings.Feed, prev tidings.FeedState, now time.Time) {
	if prev.ErrorCount > 0 || prev.Disabled {
		p.opts.Log.Info("feed recovered", "feed_url", f.URL, "after_errors", prev.ErrorCount)
	}
	f.State.LastSuccess = now
	f.State.ErrorCount, f.State.LastError, f.State.ErrorKind, f.State.Disabled = 0, "", "", false
}

// failed records an error as the feed's health and schedules the retry.
func (p *Poller) failed(f tidings.Feed, prev tidings.FeedState, err error, o outcome, now time.Time) outcome {
	kind, retry := KindNetwork, time.Duration(0)
	var fe *fetchError
	if errors.As(err, &fe) {
		kind, retry = fe.Kind, fe.RetryAfter
	}
	f.State.ErrorCount++
	f.State.LastError = err.Error()
	f.State.ErrorKind = kind
	if kind == KindGone {
		f.State.Disabled = true
	}
	f.State.NextCheck = p.sched.backoff(f.State.ErrorCount, retry, now)
	// Warn on a change of health, not on every failing poll.
	if prev.ErrorCount == 0 || prev.ErrorKind != kind {
		p.opts.Log.Warn("feed failing", "feed_url", f.URL, "error_kind", kind, "err", err, "next_check", f.State.NextCheck)
	} else {
		p.opts.Log.Debug("feed still failing", "feed_url", f.URL, "error_kind", kind, "errors", f.State.ErrorCount)
	}
	o.err, o.kind = err, kind
	if serr := p.st.SaveFeed(f); serr != nil {
		o.err = fmt.Errorf("save feed %s: %w (after: %w)", f.URL, serr, err)
	}
	return o
}

func (p *Poller) releaseCPU() { <-p.cpu }

// recoverAs turns a panic in code that digests outside input (gofeed,
// readability, the sanitizer) into an error, so one hostile feed cannot
// take the daemon down.
func recoverAs(err *error, what string) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("%s: internal error: %v", what, r)
	}
}
