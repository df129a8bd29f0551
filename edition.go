package tidings

import "time"

// Edition is one immutable, numbered issue of a digest. It carries copies of
// everything it shows, so publishing and mailing need nothing else.
type Edition struct {
	Digest      string    `json:"digest"`
	Number      int       `json:"number"` // 1, 2, … per digest; assigned by the store
	Title       string    `json:"title"`
	Description string    `json:"description,omitempty"`
	Slot        time.Time `json:"slot"`  // the schedule slot it was built for: building is idempotent per slot
	Built       time.Time `json:"built"` // when it was built
	From        time.Time `json:"from"`  // window of first-seen times it covers
	To          time.Time `json:"to"`
	Engine      string    `json:"engine,omitempty"` // summarizer that made most summaries
	Quiet       bool      `json:"quiet,omitempty"`  // fewer items than min_items, published as a short edition
	Sections    []Section `json:"sections"`
}

// Count is the number of entries in the edition.
func (e Edition) Count() int {
	n := 0
	for _, s := range e.Sections {
		n += len(s.Entries)
	}
	return n
}

// Section groups an edition's entries under a heading.
type Section struct {
	Name    string  `json:"name"`
	Entries []Entry `json:"entries"`
}

// Entry is one curated story in an edition.
type Entry struct {
	ItemID    string    `json:"item_id"`
	Title     string    `json:"title"`
	Kind      string    `json:"kind,omitempty"` // link kind shown as a title suffix: "GitHub Repo", "Website", "Video"…
	URL       string    `json:"url"`
	Authors   []string  `json:"authors,omitempty"`
	FeedTitle string    `json:"feed_title,omitempty"`
	Published time.Time `json:"published"`
	FirstSeen time.Time `json:"first_seen"`

	Summary
	ContentHTML string `json:"content_html,omitempty"` // readable article, sanitized; empty when extraction failed
	Text        string `json:"text,omitempty"`         // plain text, paragraphs separated by blank lines

	Sources []Source `json:"sources,omitempty"` // every feed that carried the story, best first
	Score   float64  `json:"score"`
	Why     string   `json:"why,omitempty"` // "covered by 3 feeds; rule: boost 'postgres'"
	Pinned  bool     `json:"pinned,omitempty"`
}

// Summary is what a summarizer makes of an article.
type Summary struct {
	TLDR           string   `json:"tldr"`
	KeyPoints      []string `json:"key_points,omitempty"`
	Glossary       []Term   `json:"glossary,omitempty"`
	ReadingMinutes int      `json:"reading_minutes,omitempty"`
	Engine         string   `json:"engine,omitempty"` // "extractive", "llm:<model>"
}

// Term is one glossary ("Decoder") entry.
type Term struct {
	Term       string `json:"term"`
	Definition string `json:"definition"`
}

// Source is one feed that carried a story.
type Source struct {
	Title string `json:"title"` // the feed's title
	URL   string `json:"url"`   // the story's URL in that feed
}
