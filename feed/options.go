// Package feed fetches, parses, normalizes and sanitizes RSS, Atom and JSON
// feeds, and schedules when each feed is polled next. It is the polite half
// of Tidings: conditional requests, per-host limits, backoff that never gives
// up silently, and an address guard so a hostile feed cannot make the daemon
// fetch from the private network. It is lenient where real feeds are broken
// (a lying charset, text before the XML, a bare '<', a document cut short):
// what it mends, Inspect reports.
package feed

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"time"

	"github.com/tidings/tidings"
)

// Options configure fetching and scheduling. Zero values take the defaults
// documented on each field.
type Options struct {
	Workers   int           // concurrent feed polls in a run; default 16
	PerHost   int           // concurrent requests to one host across the run; default 2
	Timeout   time.Duration // whole request including body; default 30s
	MaxBody   int64         // cap on the decompressed body; default 15 MiB
	UserAgent string        // default "Tidings/<version> (+<project URL>)"
	// AllowNetworks lists CIDRs ("192.168.1.0/24") or host names that may
	// resolve to addresses the guard refuses by default (loopback, private…).
	AllowNetworks []string
	FullText      string        // auto (default) | always | never; a feed's own FullText wins
	MinInterval   time.Duration // default 15m
	MaxInterval   time.Duration // default 24h
	MaxBackoff    time.Duration // default 24h
	Now           func() time.Time
	Log           *slog.Logger
	// Resolve replaces DNS resolution (tests map names to addresses with it);
	// nil uses the system resolver.
	Resolve func(ctx context.Context, host string) ([]netip.Addr, error)
	// Stop, when closed, starts no further feeds of a cycle, while polls
	// already under way go on under their context: a stopping daemon lets
	// in-flight work finish without beginning new work. nil never stops.
	Stop <-chan struct{}
}

// Defaults.
const (
	DefaultWorkers     = 16
	DefaultPerHost     = 2
	DefaultTimeout     = 30 * time.Second
	DefaultMaxBody     = 15 << 20
	DefaultMinInterval = 15 * time.Minute
	DefaultMaxInterval = 24 * time.Hour
	DefaultMaxBackoff  = 24 * time.Hour
	// thinWords is the word count under which auto mode fetches the article.
	thinWords = 150
	// maxArticlesPerPoll bounds the article pages fetched for one feed in
	// one poll, newest items first. A first poll of a feed that carries
	// its whole archive (thousands of thin items) would otherwise send
	// that many requests to one site.
	maxArticlesPerPoll = 30
)

// DefaultUserAgent names Tidings, its version and where to learn about it,
// so publishers can tell who polls them.
func DefaultUserAgent() string {
	return fmt.Sprintf("Tidings/%s (+%s)", tidings.Version, tidings.ProjectURL)
}

func (o Options) withDefaults() (Options, error) {
	if o.Workers <= 0 {
		o.Workers = DefaultWorkers
	}
	if o.PerHost <= 0 {
		o.PerHost = DefaultPerHost
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxBody <= 0 {
		o.MaxBody = DefaultMaxBody
	}
	if o.UserAgent == "" {
		o.UserAgent = DefaultUserAgent()
	}
	switch o.FullText {
	case "":
		o.FullText = tidings.FullTextAuto
	case tidings.FullTextAuto, tidings.FullTextAlways, tidings.FullTextNever:
	default:
		return o, fmt.Errorf("full_text %q: want auto, always or never", o.FullText)
	}
	if o.MinInterval <= 0 {
		o.MinInterval = DefaultMinInterval
	}
	if o.MaxInterval <= 0 {
		o.MaxInterval = DefaultMaxInterval
	}
	if o.MaxInterval < o.MinInterval {
		return o, fmt.Errorf("max interval %s is below min interval %s", o.MaxInterval, o.MinInterval)
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = DefaultMaxBackoff
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return o, nil
}
