package feed

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/tidings/tidings"
)

// defaultBase is the interval of a feed whose publishing rate is unknown.
const defaultBase = time.Hour

// hints are what a response and a document said about polling cadence.
type hints struct {
	ttl, period, cache, retryAfter time.Duration
}

// scheduler computes next-check times. jitter returns a value in [0, n).
type scheduler struct {
	opts   Options
	jitter func(n int64) int64
}

func newScheduler(opts Options) scheduler {
	return scheduler{opts: opts, jitter: func(n int64) int64 {
		if n <= 0 {
			return 0
		}
		return rand.Int64N(n)
	}}
}

// adaptBase updates the feed's observed publishing rate from item dates and
// returns the base interval: about two polls per new item, within bounds.
func (s scheduler) adaptBase(st *tidings.FeedState, dates []time.Time, now time.Time) {
	var ds []time.Time
	for _, d := range dates {
		if !d.IsZero() && !d.After(now) {
			ds = append(ds, d)
		}
	}
	if len(ds) >= 2 {
		slices.SortFunc(ds, func(a, b time.Time) int { return b.Compare(a) })
		if len(ds) > 20 {
			ds = ds[:20]
		}
		// Span until now, so a feed that stopped publishing looks dormant.
		span := now.Sub(ds[len(ds)-1]).Hours() / 24
		if span < 1.0/24 {
			span = 1.0 / 24
		}
		rate := float64(len(ds)) / span
		if st.ItemsPerDay > 0 {
			rate = 0.5*st.ItemsPerDay + 0.5*rate
		}
		st.ItemsPerDay = math.Round(rate*100) / 100
	}
	base := defaultBase
	if st.ItemsPerDay > 0 {
		base = time.Duration(float64(24*time.Hour) / (2 * st.ItemsPerDay))
	}
	st.BaseInterval = clampDur(base, s.opts.MinInterval, s.opts.MaxInterval)
}

// quiet records a poll that found nothing new: the observed rate decays,
// so a feed that stopped publishing drifts toward the max interval even
// though its server only ever answers 304.
func (s scheduler) quiet(st *tidings.FeedState) {
	if st.ItemsPerDay > 0 {
		st.ItemsPerDay = math.Round(st.ItemsPerDay*0.9*100) / 100
		s.adaptBase(st, nil, time.Time{})
	}
}

// next returns the next check after a successful (or not-modified) poll.
func (s scheduler) next(f tidings.Feed, h hints, now time.Time) time.Time {
	var d time.Duration
	if f.Interval > 0 {
		// The operator's interval wins over the adaptive base and the
		// feed's hints; only an explicit Retry-After pushes it out.
		d = max(f.Interval, s.capRetryAfter(h.retryAfter))
	} else {
		base := f.State.BaseInterval
		if base <= 0 {
			base = defaultBase
		}
		d = max(base, h.ttl, h.period, h.cache, h.retryAfter)
		d = clampDur(d, s.opts.MinInterval, s.opts.MaxInterval)
	}
	d += time.Duration(s.jitter(int64(d / 4)))
	return skip(now.Add(d), f.State.SkipHours, f.State.SkipDays)
}

// backoff returns the next check after the n-th consecutive error: the
// minimum interval doubled per error, jittered, capped, never abandoned.
func (s scheduler) backoff(n int, retryAfter time.Duration, now time.Time) time.Time {
	d := s.opts.MinInterval
	for i := 1; i < n && d < s.opts.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, s.opts.MaxBackoff)
	// Jitter spreads retries of feeds that failed together (same host).
	d = d - d/4 + time.Duration(s.jitter(int64(d/4)))
	if retryAfter > d {
		d = s.capRetryAfter(retryAfter)
	}
	return now.Add(d)
}

// capRetryAfter bounds how long a server may ask to be left alone (a
// Retry-After date in the year 9999 would otherwise retire the feed):
// the longer of a week and the configured maximum backoff.
func (s scheduler) capRetryAfter(d time.Duration) time.Duration {
	return min(d, max(s.opts.MaxBackoff, 7*24*time.Hour))
}

func clampDur(d, lo, hi time.Duration) time.Duration {
	return min(max(d, lo), hi)
}

// skip moves t forward out of the feed's skipHours/skipDays (both in UTC,
// as RSS defines them). If everything is skipped, t is kept.
func skip(t time.Time, hours []int, days []string) time.Time {
	if len(hours) == 0 && len(days) == 0 {
		return t
	}
	u := t.UTC()
	for i := 0; i < 24*8; i++ {
		if !slices.Contains(hours, u.Hour()) && !dayIn(days, u.Weekday()) {
			if i == 0 {
				return t
			}
			return u
		}
		u = u.Truncate(time.Hour).Add(time.Hour)
	}
	return t
}

func dayIn(days []string, wd time.Weekday) bool {
	for _, d := range days {
		if strings.EqualFold(strings.TrimSpace(d), wd.String()) {
			return true
		}
	}
	return false
}
