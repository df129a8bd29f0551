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

// hostHolds are the sites that asked the poller to leave them alone, for
// their feeds and the article pages feeds link to, across feeds and polls:
// a rate limit is mostly per site, and many feeds share one site.
type hostHolds struct {
	mu    sync.Mutex
	hosts map[string]time.Time
}

// until reports the end of host's hold, if it is on hold at now.
func (h *hostHolds) until(host string, now time.Time) (time.Time, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	t, ok := h.hosts[host]
	return t, ok && now.Before(t)
}

// hold puts host on hold for retryAfter, within holdMin and holdMax; an
// existing longer hold stays.
func (h *hostHolds) hold(host string, retryAfter time.Duration, now time.Time) {
	until := now.Add(min(max(retryAfter, holdMin), holdMax))
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.hosts == nil {
		h.hosts = map[string]time.Time{}
	}
	for k, t := range h.hosts {
		if !now.Before(t) {
			delete(h.hosts, k) // expired: the map stays as small as the hosts on hold
		}
	}
	if t, ok := h.hosts[host]; !ok || until.After(t) {
		h.hosts[host] = until
	}
}
