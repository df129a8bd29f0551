package digest

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/tidings/tidings"
)

// The score of a story is the sum of named signals, so every point can be
// explained (see Story.Signals and Explain):
//
//	recency          0..1   0.5^(age / half-life); age from the story's earliest
//	                        publication (first-seen when the date is missing or in
//	                        the future) to the window's end; half-life = window
//	                        length, at least 24h
//	feed_weight      w-1    the highest Feed.Weight among the feeds that carried
//	                        it (0 means 1): weight 2 adds a point, 0.5 takes half
//	coverage         log2 n n distinct feeds carried it: 2 feeds +1, 4 feeds +2
//	infrequent_feed  0..1   1/(1+r), r = the lowest publishing rate (items/day)
//	                        among its feeds: Feed.State.ItemsPerDay, or the feed's
//	                        items in the window per day when unknown. A monthly
//	                        blog gets ~1, a 50-a-day firehose ~0.02
//	thin_text        -1..0  -(1 - words/thinWords) below thinWords words
//	rule             ±Value each matching boost (+) and lower (-) rule, once
//
// Rule boosts are additive (not multipliers) so that they stay readable in
// a dry run and a "lower" can push a story below the others whatever its
// other signals. Pinned stories come first regardless of score. A stale
// story (every copy published before staleBefore) is ranked but never
// selected.
const thinWords = 80

// Signal is one named contribution to a story's score.
type Signal struct {
	Name  string  `json:"name"` // recency, feed_weight, coverage, infrequent_feed, thin_text, rule
	Value float64 `json:"value"`
	Note  string  `json:"note,omitempty"` // shown in the story's "why" when set
}

// Story is one cluster of items carrying the same story, as ranked.
type Story struct {
	ItemID    string           `json:"item_id"` // the best member, whose text the entry shows
	Title     string           `json:"title"`
	URL       string           `json:"url"`
	FeedID    uint64           `json:"feed_id"`
	FeedTitle string           `json:"feed_title"`
	Section   string           `json:"section"`
	Members   []string         `json:"members"` // item ids, best first
	Sources   []tidings.Source `json:"sources"` // one per distinct feed, best first
	Score     float64          `json:"score"`
	Signals   []Signal         `json:"signals"`
	Why       string           `json:"why"`
	Pinned    bool             `json:"pinned,omitempty"`
	Selected  bool             `json:"selected"`
	Skipped   string           `json:"skipped,omitempty"` // why a ranked story was not selected: stale, max_items, per_feed_max, per_section_max

	item  *tidings.Item
	when  time.Time // for recency and as a tie-breaker
	stale bool      // every member was published long before the window (see staleBefore)
}

// Breakdown spells out the score for a dry run:
// "3.35 = recency 0.58 + coverage 2.00 (covered by 4 feeds) + …".
func (s Story) Breakdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%.2f =", s.Score)
	for i, sig := range s.Signals {
		op := " +"
		v := sig.Value
		if v < 0 {
			op, v = " −", -v
		}
		if i == 0 && op == " +" {
			op = ""
		}
		fmt.Fprintf(&b, "%s %s %.2f", op, sig.Name, v)
		if sig.Note != "" {
			fmt.Fprintf(&b, " (%s)", sig.Note)
		}
	}
	if s.Pinned {
		b.WriteString("; pinned")
	}
	return b.String()
}

// Dropped is an item left out before ranking: by a rule, or as a copy of
// a story already in an edition.
type Dropped struct {
	ItemID string `json:"item_id"`
	Title  string `json:"title"`
	Reason string `json:"reason"`
}

// Plan is the full decision behind an edition, before summaries: what a
// dry run shows.
type Plan struct {
	Candidates int       `json:"candidates"` // items in the window not in an earlier edition
	Excluded   int       `json:"excluded"`   // items in the window already in an edition (their copies are dropped too)
	Dropped    []Dropped `json:"dropped,omitempty"`
	Stories    []Story   `json:"stories"` // every story after rules: pinned first, then by score
}

// Selected returns the stories chosen for the edition, in ranking order.
func (p Plan) Selected() []Story {
	var out []Story
	for _, s := range p.Stories {
		if s.Selected {
			out = append(out, s)
		}
	}
	return out
}

// Explain selects, clusters, ranks and applies the quotas without
// summarizing anything: Build's plan, for dry runs and tests.
func Explain(def Definition, in Input) (Plan, error) {
	if err := def.Validate(); err != nil {
		return Plan{}, err
	}
	feeds := make(map[uint64]*tidings.Feed, len(in.Feeds))
	for i := range in.Feeds {
		feeds[in.Feeds[i].ID] = &in.Feeds[i]
	}
	feedOf := func(id uint64) *tidings.Feed {
		if f, ok := feeds[id]; ok {
			return f
		}
		f := &tidings.Feed{ID: id}
		feeds[id] = f
		return f
	}

	var plan Plan
	scope := map[uint64][]bool{} // feed id -> which rules apply to it
	var items []*tidings.Item
	var verdicts []verdict
	for i := range in.Items {
		it := &in.Items[i]
		inWindow := !it.FirstSeen.Before(in.From) && it.FirstSeen.Before(in.To)
		if in.Exclude[it.ID] {
			// Already published: it still joins clustering, even from
			// before the window, so that its copies seen later (an
			// aggregator's link the day after) do not bring the story back.
			if inWindow {
				plan.Excluded++
			}
			items = append(items, it)
			verdicts = append(verdicts, verdict{published: true})
			continue
		}
		if !inWindow {
			continue
		}
		plan.Candidates++
		f := feedOf(it.FeedID)
		applies, ok := scope[f.ID]
		if !ok {
			applies = make([]bool, len(def.Rules))
			for i, r := range def.Rules {
				applies[i] = r.AppliesTo(*f)
			}
			scope[f.ID] = applies
		}
		v := judge(def.Rules, applies, it, f)
		if v.drop != "" {
			plan.Dropped = append(plan.Dropped, Dropped{ItemID: it.ID, Title: it.Title, Reason: v.drop})
			continue
		}
		items = append(items, it)
		verdicts = append(verdicts, v)
	}
	// A fixed input order makes clusters, ties and output independent of
	// the order the store returned the items in.
	order := make([]int, len(items))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return strings.Compare(items[a].ID, items[b].ID) })
	items = permute(items, order)
	verdicts = permute(verdicts, order)

	inWindow := map[uint64]int{}
	itemFeeds := make([]*tidings.Feed, len(items))
	stale := staleBefore(in)
	for i, it := range items {
		if !verdicts[i].published && !storyTime(it).Before(stale) {
			inWindow[it.FeedID]++ // a new feed's back catalogue says nothing of its rate
		}
		itemFeeds[i] = feedOf(it.FeedID)
	}
	fps := fingerprintAll(items, itemFeeds)
	uf := clusterItems(fps)
	groups := map[int][]int{}
	var roots []int
	for i := range items {
		r := uf.find(i)
		if _, ok := groups[r]; !ok {
			roots = append(roots, r)
		}
		groups[r] = append(groups[r], i)
	}

	r := ranker{def: def, in: in, feedOf: feedOf, inWindow: inWindow}
	for _, root := range roots {
		members := groups[root]
		if published := publishedMember(items, verdicts, members); published != "" {
			for _, m := range members {
				if !verdicts[m].published {
					plan.Dropped = append(plan.Dropped, Dropped{ItemID: items[m].ID, Title: items[m].Title,
						Reason: "story already in an edition (item " + published + ")"})
				}
			}
			continue
		}
		full := 0
		for _, m := range members {
			full = max(full, fps[m].size)
		}
		full = full * fullTextShare / 100
		slices.SortFunc(members, func(a, b int) int {
			return betterMember(items[a], items[b], min(fps[a].size, full), min(fps[b].size, full))
		})
		plan.Stories = append(plan.Stories, r.story(items, fps, verdicts, members))
	}
	slices.SortFunc(plan.Stories, storyOrder)
	slices.SortFunc(plan.Dropped, func(a, b Dropped) int { return strings.Compare(a.ItemID, b.ItemID) })
	applyQuotas(def, plan.Stories)
	return plan, nil
}

// fingerprintAll fingerprints the items, on all cores when there are many:
// it is most of the work of a large window (a Raspberry Pi has 4 cores).
func fingerprintAll(items []*tidings.Item, feeds []*tidings.Feed) []fingerprint {
	fps := make([]fingerprint, len(items))
	const chunk = 1000
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	for lo := 0; lo < len(items); lo += chunk {
		hi := min(lo+chunk, len(items))
		g.Go(func() error {
			for i := lo; i < hi; i++ {
				fps[i] = fingerprintOf(items[i], feeds[i], plainText(*items[i]))
			}
			return nil
		})
	}
	_ = g.Wait() // the workers return no errors
	return fps
}

// staleGrace is how long before the window's start a story may have been
// published and still count as news, at least: a feed that failed for a few
// days, or a post that went out with an earlier date, is still reported.
const staleGrace = 7 * 24 * time.Hour

// staleBefore is the publication time before which a story is stale: the
// window's start minus the window's length, or minus staleGrace if that is
// longer. The window is by first-seen time, so a newly added feed brings its
// whole back catalogue into it at once; a monthly blog's year-old posts
// would otherwise fill the edition, lifted by the infrequent-feed signal.
func staleBefore(in Input) time.Time {
	return in.From.Add(-max(in.To.Sub(in.From), staleGrace))
}

// publishedMember returns the id of a member already in an edition, or "".
func publishedMember(items []*tidings.Item, verdicts []verdict, members []int) string {
	for _, m := range members {
		if verdicts[m].published {
			return items[m].ID
		}
	}
	return ""
}

func permute[T any](s []T, order []int) []T {
	out := make([]T, len(s))
	for i, j := range order {
		out[i] = s[j]
	}
	return out
}

// fullTextShare: members whose text has at least this percentage of the
// longest member's length count as complete, and among them the earliest
// wins, so a wire story's original beats a reprint with a footer added.
const fullTextShare = 75

// betterMember orders a cluster: longest readable text first (the original
// article beats an aggregator's blurb; the caller caps the word counts so
// near-complete copies tie), then the earliest seen, then id.
func betterMember(a, b *tidings.Item, la, lb int) int {
	if la != lb {
		return lb - la
	}
	if c := a.FirstSeen.Compare(b.FirstSeen); c != 0 {
		return c
	}
	if c := a.Published.Compare(b.Published); c != 0 && !a.Published.IsZero() && !b.Published.IsZero() {
		return c
	}
	return strings.Compare(a.ID, b.ID)
}

// storyOrder: pinned first, then score, then newer, then id.
func storyOrder(a, b Story) int {
	if a.Pinned != b.Pinned {
		if a.Pinned {
			return -1
		}
		return 1
	}
	if a.Score != b.Score {
		if a.Score > b.Score {
			return -1
		}
		return 1
	}
	if c := b.when.Compare(a.when); c != 0 {
		return c
	}
	return strings.Compare(a.ItemID, b.ItemID)
}

type ranker struct {
	def      Definition
	in       Input
	feedOf   func(uint64) *tidings.Feed
	inWindow map[uint64]int
}

func (r *ranker) story(items []*tidings.Item, fps []fingerprint, verdicts []verdict, members []int) Story {
	best := items[members[0]]
	bestFeed := r.feedOf(best.FeedID)
	s := Story{
		ItemID:    best.ID,
		Title:     best.Title,
		URL:       best.URL,
		FeedID:    best.FeedID,
		FeedTitle: feedTitle(bestFeed),
		item:      best,
	}
	seenFeed := map[uint64]bool{}
	ruleSeen := map[int]bool{}
	var ruleIdx []int
	weight, rate := 0.0, math.Inf(1)
	var newest time.Time
	for _, m := range members {
		it := items[m]
		s.Members = append(s.Members, it.ID)
		v := verdicts[m]
		if v.pin {
			s.Pinned = true
		}
		if s.Section == "" && v.section != "" {
			s.Section = v.section
		}
		for _, ri := range v.rules {
			if !ruleSeen[ri] {
				ruleSeen[ri] = true
				ruleIdx = append(ruleIdx, ri)
			}
		}
		t := storyTime(it)
		if s.when.IsZero() || t.Before(s.when) {
			s.when = t
		}
		if t.After(newest) {
			newest = t
		}
		if seenFeed[it.FeedID] {
			continue
		}
		seenFeed[it.FeedID] = true
		f := r.feedOf(it.FeedID)
		s.Sources = append(s.Sources, tidings.Source{Title: feedTitle(f), URL: it.URL})
		w := f.Weight
		if w == 0 {
			w = 1
		}
		weight = max(weight, w)
		rate = min(rate, r.rate(f))
	}
	if s.Section == "" {
		for _, m := range members {
			if sec := r.feedOf(items[m].FeedID).Section; strings.TrimSpace(sec) != "" {
				s.Section = sec
				break
			}
		}
	}
	s.Section = sectionName(r.def, s.Section)
	s.stale = newest.Before(staleBefore(r.in))
	slices.Sort(ruleIdx)

	// signals
	halfLife := max(r.in.To.Sub(r.in.From), 24*time.Hour)
	age := max(r.in.To.Sub(s.when), 0)
	s.add(Signal{Name: "recency", Value: math.Pow(0.5, float64(age)/float64(halfLife))})
	if weight != 1 {
		s.add(Signal{Name: "feed_weight", Value: weight - 1, Note: "feed weight " + trimFloat(weight)})
	}
	if n := len(s.Sources); n > 1 {
		s.add(Signal{Name: "coverage", Value: math.Log2(float64(n)), Note: fmt.Sprintf("covered by %d feeds", n)})
	}
	inf := 1 / (1 + rate)
	note := ""
	if inf >= 0.5 {
		note = "infrequent feed"
	}
	s.add(Signal{Name: "infrequent_feed", Value: inf, Note: note})
	if w := fps[members[0]].words; w < thinWords {
		note := ""
		if w < thinWords/2 {
			note = "little text"
		}
		s.add(Signal{Name: "thin_text", Value: -(1 - float64(w)/thinWords), Note: note})
	}
	for _, ri := range ruleIdx {
		rule := r.def.Rules[ri]
		v := 0.0
		switch rule.Action {
		case ActionBoost:
			v = rule.Value
		case ActionLower:
			v = -rule.Value
		}
		s.add(Signal{Name: "rule", Value: v, Note: "rule: " + rule.String()})
	}
	s.Score = round3(s.Score)
	var notes []string
	for _, sig := range s.Signals {
		if sig.Note != "" {
			notes = append(notes, sig.Note)
		}
	}
	if len(notes) == 0 {
		notes = append(notes, "ranked on recency")
	}
	s.Why = strings.Join(notes, "; ")
	return s
}

func (s *Story) add(sig Signal) {
	sig.Value = round3(sig.Value)
	s.Signals = append(s.Signals, sig)
	s.Score += sig.Value
}

// rate is a feed's publishing rate in items per day: what the poller
// observed over the feed's history, else what the window shows (a single
// item in a daily window cannot tell a monthly blog from a daily one).
func (r *ranker) rate(f *tidings.Feed) float64 {
	if f.State.ItemsPerDay > 0 {
		return f.State.ItemsPerDay
	}
	days := max(r.in.To.Sub(r.in.From).Hours()/24, 1)
	return float64(r.inWindow[f.ID]) / days
}

// storyTime is when an item was published, unless the date is missing or
// later than when it was first seen (then first-seen).
func storyTime(it *tidings.Item) time.Time {
	if it.Published.IsZero() || it.Published.After(it.FirstSeen) {
		return it.FirstSeen
	}
	return it.Published
}

// sectionName maps a section to the spelling of the definition's section
// list (case-insensitively) and names the empty section.
func sectionName(def Definition, name string) string {
	name = strings.TrimSpace(name)
	if name == "" {
		return DefaultSection
	}
	for _, s := range def.Sections {
		if strings.EqualFold(s, name) {
			return s
		}
	}
	return name
}

func feedTitle(f *tidings.Feed) string {
	if f.Title != "" {
		return f.Title
	}
	if host := hostOf(f.URL); host != "" {
		return host
	}
	return f.URL
}

// applyQuotas marks the stories to publish, in ranking order: pins first
// (they count towards every quota but are limited only by MaxItems).
// Stale stories are never published.
func applyQuotas(def Definition, stories []Story) {
	perFeed := map[uint64]int{}
	perSection := map[string]int{}
	n := 0
	for i := range stories {
		s := &stories[i]
		switch {
		case s.stale:
			s.Skipped = "stale" // old news, even when pinned: a rule matches topics, not dates
		case def.MaxItems > 0 && n >= def.MaxItems:
			s.Skipped = "max_items"
		case !s.Pinned && def.PerFeedMax > 0 && perFeed[s.FeedID] >= def.PerFeedMax:
			s.Skipped = "per_feed_max"
		case !s.Pinned && def.PerSectionMax > 0 && perSection[s.Section] >= def.PerSectionMax:
			s.Skipped = "per_section_max"
		default:
			s.Selected = true
			n++
			perFeed[s.FeedID]++
			perSection[s.Section]++
		}
	}
}

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }

func trimFloat(v float64) string {
	return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.2f", v), "0"), ".")
}
