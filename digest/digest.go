// Package digest builds digest editions: it selects the items first seen in
// an edition's window, applies the digest's rules, merges the same story
// carried by several feeds into one, ranks the stories with named signals,
// applies the quotas, summarizes the chosen ones and groups them in sections.
//
// It is pure: besides calling the injected Summarizer it does no I/O. The
// caller (cmd/tidings) reads the items from the store and saves the edition.
package digest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/tidings/tidings"
)

// Quiet modes: what to do when a window yields fewer than MinItems stories.
const (
	QuietSkip    = "skip"    // no edition; Build returns ErrTooFew
	QuietPublish = "publish" // a short edition marked Quiet
)

// DefaultSection names the section of stories whose feeds have none.
const DefaultSection = "General"

// DefaultWindow is the first edition's window when a definition sets none.
const DefaultWindow = 24 * time.Hour

// ErrTooFew is returned by Build when fewer than MinItems stories were found
// and the definition's Quiet mode is "skip".
var ErrTooFew = errors.New("too few stories for an edition")

// Summarizer makes the TL;DR, key points and glossary of one article.
// Both engines of digest/summarize satisfy it.
type Summarizer interface {
	Summarize(ctx context.Context, title, text string) (tidings.Summary, error)
}

// Definition is one configured digest ([[digest]] in the config).
type Definition struct {
	Name        string
	Title       string
	Description string
	Window      time.Duration // window of the first edition; later ones start where the previous ended

	MaxItems      int // 0 = no limit
	PerFeedMax    int // 0 = no limit; pinned stories are exempt
	PerSectionMax int // 0 = no limit; pinned stories are exempt
	MinItems      int // below it, Quiet decides

	Quiet    string         // QuietSkip ("" means skip) or QuietPublish
	Sections []string       // section order; sections not listed follow in order of their best story
	Rules    []Rule         // global and per-feed rules, compiled with CompileRule
	Location *time.Location // time zone of the edition's title date; nil = UTC
}

// Validate reports the first problem of a definition, in config terms.
func (d Definition) Validate() error {
	switch {
	case d.Name == "":
		return errors.New("digest needs a name")
	case d.Window < 0:
		return fmt.Errorf("digest %s: window must not be negative", d.Name)
	case d.MaxItems < 0, d.PerFeedMax < 0, d.PerSectionMax < 0, d.MinItems < 0:
		return fmt.Errorf("digest %s: max_items, per_feed_max, per_section_max and min_items must not be negative", d.Name)
	case d.MaxItems > 0 && d.MinItems > d.MaxItems:
		return fmt.Errorf("digest %s: min_items %d is more than max_items %d", d.Name, d.MinItems, d.MaxItems)
	}
	switch d.Quiet {
	case "", QuietSkip, QuietPublish:
	default:
		return fmt.Errorf("digest %s: quiet is %q, want \"skip\" or \"publish\"", d.Name, d.Quiet)
	}
	return nil
}

// Input is what the caller read from the store for one edition.
type Input struct {
	// Items first seen in [From, To); the store queries by first-seen time
	// so that backdated items are not missed. Items outside are ignored,
	// except those in Exclude: the caller should add the items of the
	// digest's recent editions (say, of the last week), so that a copy of a
	// published story first seen now (an aggregator linking to yesterday's
	// article, a late wire copy) is recognized and dropped, not published
	// again.
	Items []tidings.Item
	// Feeds gives titles, sections, weights and publishing rates.
	Feeds []tidings.Feed
	// Exclude holds the ids of items already in an edition of this digest:
	// they are never candidates, and their copies are dropped.
	Exclude map[string]bool
	// From, To is the window; Slot the schedule slot the edition is for.
	From, To, Slot time.Time
}

// Window returns the first-seen window of the edition for slot: it starts
// where the previous edition ended (prevTo; zero when there is none, then
// def.Window before slot) and ends at slot.
func Window(def Definition, prevTo, slot time.Time) (from, to time.Time) {
	to = slot
	if prevTo.IsZero() {
		w := def.Window
		if w <= 0 {
			w = DefaultWindow
		}
		return to.Add(-w), to
	}
	if prevTo.After(to) {
		return to, to // clock went backwards: an empty window, never an overlap
	}
	return prevTo, to
}

// Builder builds editions. The zero value of every field but Summarizer
// has a usable default.
type Builder struct {
	Summarizer  Summarizer
	Now         func() time.Time
	Log         *slog.Logger
	Concurrency int // summaries made at once; 0 = 4
}

// Build makes an edition of def from in. Number is left 0: the store
// assigns it. With fewer than def.MinItems stories it returns ErrTooFew
// (Quiet "skip") or an edition with Quiet set (Quiet "publish").
// A summarizer failure for one story falls back to a minimal summary and
// never fails the edition; only a cancelled ctx does.
func (b *Builder) Build(ctx context.Context, def Definition, in Input) (tidings.Edition, error) {
	if b.Summarizer == nil {
		return tidings.Edition{}, errors.New("digest builder has no summarizer")
	}
	plan, err := Explain(def, in)
	if err != nil {
		return tidings.Edition{}, err
	}
	selected := plan.Selected()
	quiet := false
	if len(selected) < def.MinItems {
		if def.Quiet != QuietPublish {
			return tidings.Edition{}, fmt.Errorf("digest %s: %w: %d of min_items %d", def.Name, ErrTooFew, len(selected), def.MinItems)
		}
		quiet = true
	}

	entries, err := b.entries(ctx, selected)
	if err != nil {
		return tidings.Edition{}, err
	}
	now := time.Now
	if b.Now != nil {
		now = b.Now
	}
	ed := tidings.Edition{
		Digest:      def.Name,
		Title:       editionTitle(def, in),
		Description: def.Description,
		Slot:        in.Slot,
		Built:       now(),
		From:        in.From,
		To:          in.To,
		Engine:      mostCommonEngine(entries),
		Quiet:       quiet,
		Sections:    group(def, selected, entries),
	}
	if quiet {
		// Publish and mail show the description in every format; without
		// this a reader cannot tell a quiet edition from a broken one.
		ed.Description = strings.TrimSpace(def.Description + " " + quietNote(len(entries)))
	}
	b.logger().Debug("edition built", "digest", def.Name, "candidates", plan.Candidates,
		"stories", len(plan.Stories), "dropped", len(plan.Dropped), "items", len(entries), "quiet", quiet)
	return ed, nil
}

func (b *Builder) logger() *slog.Logger {
	if b.Log != nil {
		return b.Log
	}
	return slog.New(slog.DiscardHandler)
}

// quietNote says why a quiet edition is short.
func quietNote(n int) string {
	switch n {
	case 0:
		return "A quiet period: no new stories since the last edition."
	case 1:
		return "A quiet period: one new story since the last edition."
	}
	return fmt.Sprintf("A quiet period: only %d new stories since the last edition.", n)
}

// editionTitle is the digest's title and the slot's date in its time zone:
// "Daily Tidings — 26 Nov 2026".
func editionTitle(def Definition, in Input) string {
	title := def.Title
	if title == "" {
		title = def.Name
	}
	when := in.Slot
	if when.IsZero() {
		when = in.To
	}
	loc := def.Location
	if loc == nil {
		loc = time.UTC
	}
	return title + " — " + when.In(loc).Format("2 Jan 2006")
}

// group puts the entries in sections: the definition's order first, then
// the other sections in the order of their best story; pinned stories lead
// their section.
func group(def Definition, stories []Story, entries []tidings.Entry) []tidings.Section {
	idx := map[string]int{}
	sections := []tidings.Section{} // never null in JSON, even for an empty quiet edition
	add := func(name string) {
		if _, ok := idx[name]; !ok {
			idx[name] = len(sections)
			sections = append(sections, tidings.Section{Name: name})
		}
	}
	used := map[string]bool{}
	for _, s := range stories {
		used[s.Section] = true
	}
	for _, name := range def.Sections {
		if used[name] {
			add(name)
		}
	}
	// stories are already ordered pins first, then by score.
	for i, s := range stories {
		add(s.Section)
		k := idx[s.Section]
		sections[k].Entries = append(sections[k].Entries, entries[i])
	}
	return sections
}

// mostCommonEngine names the engine that made most summaries (ties: the
// alphabetically first, so the result does not depend on map order).
func mostCommonEngine(entries []tidings.Entry) string {
	counts := map[string]int{}
	best, n := "", 0
	for _, e := range entries {
		if e.Engine == "" {
			continue
		}
		counts[e.Engine]++
	}
	for eng, c := range counts {
		if c > n || (c == n && eng < best) {
			best, n = eng, c
		}
	}
	return best
}
