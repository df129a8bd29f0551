// Package publish turns digest editions into what readers see: RSS, Atom and
// JSON feeds, a static HTML site, Markdown and plain-text editions, all
// written atomically and incrementally into an output directory, plus a
// caching HTTP handler for that directory and WebSub pings.
package publish

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/tidings/tidings"
)

// Publisher writes the output directory. The zero Now is time.Now and the
// zero Log discards.
type Publisher struct {
	Dir          string // output directory (publish.dir)
	BaseURL      string // absolute URL the directory is served at (publish.base_url)
	TemplatesDir string // optional: files here override the embedded templates and style.css
	Now          func() time.Time
	Log          *slog.Logger
}

// Input is everything one publish shows. Editions are keyed by digest name and
// may be in any order; Feeds feed the sources page; OPML is written as
// sources.opml as is.
type Input struct {
	Title    string // site title; default "Tidings"
	Lang     string // BCP 47 language of the site; default "en"
	Digests  []DigestInfo
	Editions map[string][]tidings.Edition
	Feeds    []tidings.Feed
	OPML     []byte
}

// DigestInfo describes one configured digest.
type DigestInfo struct {
	Name        string // path segment: <dir>/<name>/
	Title       string
	Description string
	Schedule    string        // cron spec, shown on the site
	TTL         time.Duration // RSS <ttl>, from the schedule's cadence; 0 = 60 minutes
	Hubs        []string      // WebSub hubs declared in the feeds
}

// Result counts what a publish did to the directory.
type Result struct {
	Written   int // files created or replaced
	Unchanged int // files left alone (same inputs or same bytes)
	Removed   int // files of earlier publishes that no longer belong
	Duration  time.Duration
}

// Feed sizes: readers only need recent entries, and the feeds are fetched
// often, so they stay small.
const (
	maxEditionEntries = 20
	maxItemEntries    = 100
)

var digestNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]*$`)

// reservedNames are top-level paths the site uses itself.
var reservedNames = map[string]bool{"items": true, "sources": true, "style": true}

// Publish renders Input into p.Dir. Files whose inputs did not change are
// neither rendered nor rewritten; files of earlier publishes that no longer
// belong are removed; nothing else in the directory is touched.
func (p *Publisher) Publish(ctx context.Context, in Input) (Result, error) {
	now := time.Now
	if p.Now != nil {
		now = p.Now
	}
	if p.Dir == "" {
		return Result{}, fmt.Errorf("publish: no output directory")
	}
	start := now()
	startWall := time.Now()
	s, err := p.newSite(in, start)
	if err != nil {
		return Result{}, err
	}
	out, err := openOutDir(p.Dir, runtime.GOMAXPROCS(0))
	if err != nil {
		return Result{}, err
	}
	jobs := s.jobs(in)
	if err := out.run(ctx, jobs); err != nil {
		return Result{}, fmt.Errorf("publish %s: %w", p.Dir, err)
	}
	removed, err := out.finish()
	if err != nil {
		return Result{}, fmt.Errorf("publish %s: %w", p.Dir, err)
	}
	res := Result{Written: int(out.written.Load()), Unchanged: int(out.same.Load()), Removed: removed, Duration: time.Since(startWall)}
	p.logger().Debug("published", "dir", p.Dir, "written", res.Written, "unchanged", res.Unchanged,
		"removed", res.Removed, "duration", res.Duration)
	return res, nil
}

func (p *Publisher) logger() *slog.Logger {
	if p.Log != nil {
		return p.Log
	}
	return slog.New(slog.DiscardHandler)
}

// digestData is one digest with its editions in ascending number order.
type digestData struct {
	Info     DigestInfo
	Editions []tidings.Edition
}

func (p *Publisher) newSite(in Input, now time.Time) (*site, error) {
	base, err := url.Parse(strings.TrimSpace(p.BaseURL))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("publish: base_url %q is not an absolute http(s) URL", p.BaseURL)
	}
	if !strings.HasSuffix(base.Path, "/") {
		base.Path += "/"
	}
	base.RawQuery, base.Fragment = "", ""
	tpl, err := loadTemplates(p.TemplatesDir)
	if err != nil {
		return nil, err
	}
	s := &site{
		base:    base.String(),
		host:    strings.ToLower(base.Hostname()),
		title:   oneLine(in.Title),
		lang:    oneLine(in.Lang),
		tpl:     tpl,
		now:     now,
		cleaned: map[string]string{},
		views:   map[string]*editionView{},
	}
	if s.title == "" {
		s.title = "Tidings"
	}
	if s.lang == "" {
		s.lang = "en"
	}
	seen := map[string]bool{}
	add := func(info DigestInfo) error {
		if !digestNameRE.MatchString(info.Name) || reservedNames[info.Name] {
			return fmt.Errorf("publish: digest name %q cannot be used as a path segment (letters, digits, - and _; not items or sources)", info.Name)
		}
		if seen[info.Name] {
			return nil
		}
		seen[info.Name] = true
		eds := slices.Clone(in.Editions[info.Name])
		slices.SortFunc(eds, func(a, b tidings.Edition) int { return a.Number - b.Number })
		if info.Title == "" && len(eds) > 0 {
			info.Title = eds[len(eds)-1].Title
		}
		if info.Title == "" {
			info.Title = info.Name
		}
		info.Title = oneLine(info.Title)
		info.Description = oneLine(info.Description)
		s.digests = append(s.digests, &digestData{Info: info, Editions: eds})
		return nil
	}
	for _, d := range in.Digests {
		if err := add(d); err != nil {
			return nil, err
		}
	}
	// Editions of digests no longer configured stay published: their
	// permalinks and feed ids must not break.
	var extra []string
	for name := range in.Editions {
		if !seen[name] && len(in.Editions[name]) > 0 {
			extra = append(extra, name)
		}
	}
	slices.Sort(extra)
	for _, name := range extra {
		if err := add(DigestInfo{Name: name}); err != nil {
			return nil, err
		}
	}
	return s, nil
}
