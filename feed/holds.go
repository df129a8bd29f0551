package feed

import (
	"sync"
	"time"
)

// How long a site that answered 429, 503 with Retry-After or a bot
// challenge is left alone: its Retry-After, within these bounds.
const (
	holdMin = 30 * time.Minute
	holdMax = 24 * time.Hour
)

// hostHolds are the sites that asked the poller to leave them alone, across
// feeds and polls: a rate limit is mostly per site, and many feeds share one
// site. A rate limit holds the whole site, feeds and article pages; a bot
// challenge on an article page holds only the pages, since sites that wall
// off their pages often still serve their feed.
type hostHolds struct {
	mu    sync.Mutex
	hosts map[string]hold
}

type hold struct {
	until     time.Time
	pagesOnly bool
}

// until reports the end of host's hold, if it is on hold at now for a
// feed (forFeed) or for an article page.
func (h *hostHolds) until(host string, now time.Time, forFeed bool) (time.Time, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	e, ok := h.hosts[host]
	if !ok || !now.Before(e.until) || forFeed && e.pagesOnly {
		return time.Time{}, false
	}
	return e.until, true
}

// hold puts host on hold for retryAfter, within holdMin and holdMax. A hold
// never gets shorter or narrower: a longer or site-wide one replaces it.
func (h *hostHolds) hold(host string, retryAfter time.Duration, now time.Time, pagesOnly bool) {
	until := now.Add(min(max(retryAfter, holdMin), holdMax))
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.hosts == nil {
		h.hosts = map[string]hold{}
	}
	for k, e := range h.hosts {
		if !now.Before(e.until) {
			delete(h.hosts, k) // expired: the map stays as small as the hosts on hold
		}
	}
	e, ok := h.hosts[host]
	if !ok {
		h.hosts[host] = hold{until: until, pagesOnly: pagesOnly}
		return
	}
	if until.After(e.until) {
		e.until = until
	}
	e.pagesOnly = e.pagesOnly && pagesOnly
	h.hosts[host] = e
}
