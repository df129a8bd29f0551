package tidings

import "time"

// Feed is one subscription: what the configuration says about it and the
// state the poller keeps for it.
type Feed struct {
	ID       uint64        `json:"id"`  // NewFeedID of the first subscribed URL; never changes
	URL      string        `json:"url"` // the URL polled now (changes after a promoted permanent redirect)
	Title    string        `json:"title,omitempty"`
	SiteURL  string        `json:"site_url,omitempty"`
	Section  string        `json:"section,omitempty"`
	Interval time.Duration `json:"interval,omitempty"`  // fixed poll interval from config; 0 = adaptive
	FullText string        `json:"full_text,omitempty"` // "" (inherit), auto, always, never
	Weight   float64       `json:"weight,omitempty"`    // ranking weight; 0 means 1
	Added    time.Time     `json:"added"`
	State    FeedState     `json:"state"`
}

// FeedState is what the poller learns and keeps between polls: validators,
// schedule and health.
type FeedState struct {
	ETag         string `json:"etag,omitempty"`
	LastModified string `json:"last_modified,omitempty"`
	BodyHash     string `json:"body_hash,omitempty"` // fingerprint of the last body received

	LastCheck    time.Time     `json:"last_check"`
	LastSuccess  time.Time     `json:"last_success"`
	NextCheck    time.Time     `json:"next_check"`
	BaseInterval time.Duration `json:"base_interval,omitempty"` // adaptive interval before hints, backoff and jitter

	ErrorCount int    `json:"error_count,omitempty"`
	LastError  string `json:"last_error,omitempty"`
	ErrorKind  string `json:"error_kind,omitempty"` // e.g. "http", "network", "parse", "blocked", "challenge", "gone"
	Disabled   bool   `json:"disabled,omitempty"`   // e.g. after 410 Gone; the reason is in LastError

	RedirectTo   string `json:"redirect_to,omitempty"`   // candidate permanent redirect target
	RedirectSeen int    `json:"redirect_seen,omitempty"` // consecutive polls that saw it

	// Hints the feed gives about its own cadence.
	TTL       time.Duration `json:"ttl,omitempty"`
	SkipHours []int         `json:"skip_hours,omitempty"`
	SkipDays  []string      `json:"skip_days,omitempty"`

	ItemsPerDay  float64 `json:"items_per_day,omitempty"` // observed publishing rate
	IdentityMode string  `json:"identity_mode,omitempty"` // "guid", "link" or "hash": how item identities are derived for this feed
}

// Healthy reports whether the last poll succeeded.
func (s FeedState) Healthy() bool { return s.ErrorCount == 0 && !s.Disabled }

// Enclosure is a media file attached to an item (podcasts, images).
type Enclosure struct {
	URL    string `json:"url"`
	Type   string `json:"type,omitempty"`
	Length int64  `json:"length,omitempty"`
}

// Item is one entry of a feed, normalized and sanitized.
type Item struct {
	ID       string `json:"id"` // ItemID(FeedID, Identity)
	FeedID   uint64 `json:"feed_id"`
	Identity string `json:"identity"` // per-feed identity: guid, link or content hash, as the feed's IdentityMode says
	GUID     string `json:"guid,omitempty"`

	URL        string      `json:"url,omitempty"` // absolute, tracking parameters removed
	Title      string      `json:"title,omitempty"`
	Authors    []string    `json:"authors,omitempty"`
	Categories []string    `json:"categories,omitempty"`
	Enclosures []Enclosure `json:"enclosures,omitempty"`
	Lang       string      `json:"lang,omitempty"`

	Published time.Time `json:"published"` // missing, unparsable or future dates become FirstSeen
	Updated   time.Time `json:"updated"`
	FirstSeen time.Time `json:"first_seen"` // set by the store on first insert, never changed
	LastSeen  time.Time `json:"last_seen"`

	Summary     string `json:"summary,omitempty"` // sanitized HTML of the feed's description
	Content     string `json:"content,omitempty"` // sanitized HTML: the best readable body (feed or extracted)
	Text        string `json:"text,omitempty"`    // plain text of Content, for summaries and search
	ContentHash string `json:"content_hash,omitempty"`

	FullText string `json:"full_text,omitempty"` // "", "extracted", "kept-feed", or "failed: <reason>"
}

// PollResult counts what one poll of a feed changed in the store.
type PollResult struct {
	New       int `json:"new"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
}

// Stats are the counts `tidings stats` prints.
type Stats struct {
	Feeds             int   `json:"feeds"`
	Items             int   `json:"items"`
	Editions          int   `json:"editions"`
	FailingFeeds      int   `json:"failing_feeds"`
	DisabledFeeds     int   `json:"disabled_feeds"`
	Seen              int   `json:"seen"`
	PendingDeliveries int   `json:"pending_deliveries"`
	FailedDeliveries  int   `json:"failed_deliveries"`
	DBBytes           int64 `json:"db_bytes"`
}
