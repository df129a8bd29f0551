package feed

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tidings/tidings"
)

// Inspection is what Tidings makes of a feed, without storing anything.
type Inspection struct {
	URL          string            `json:"url"`
	Format       string            `json:"format"`
	Title        string            `json:"title,omitempty"`
	SiteURL      string            `json:"site_url,omitempty"`
	Language     string            `json:"language,omitempty"`
	TTL          time.Duration     `json:"ttl,omitempty"`
	UpdatePeriod time.Duration     `json:"update_period,omitempty"`
	SkipHours    []int             `json:"skip_hours,omitempty"`
	SkipDays     []string          `json:"skip_days,omitempty"`
	IdentityMode string            `json:"identity_mode"`
	Status       int               `json:"status,omitempty"`
	Header       map[string]string `json:"header,omitempty"` // validators and caching headers
	Warnings     []string          `json:"warnings,omitempty"`
	Items        []InspectedItem   `json:"items"`
}

// InspectedItem is one normalized, sanitized item.
type InspectedItem struct {
	Identity   string              `json:"identity"`
	GUID       string              `json:"guid,omitempty"`
	Title      string              `json:"title,omitempty"`
	URL        string              `json:"url,omitempty"`
	Published  time.Time           `json:"published"`
	Updated    time.Time           `json:"updated"`
	DateNote   string              `json:"date_note,omitempty"` // set when the first-seen time will stand in
	Authors    []string            `json:"authors,omitempty"`
	Categories []string            `json:"categories,omitempty"`
	Enclosures []tidings.Enclosure `json:"enclosures,omitempty"`
	Summary    string              `json:"summary,omitempty"`
	Content    string              `json:"content,omitempty"`
	Text       string              `json:"text,omitempty"`
}

// Inspect fetches (through the same guarded client) or reads a feed and
// shows how Tidings normalizes it. Full text is not fetched.
func Inspect(ctx context.Context, opts Options, urlOrFile string) (Inspection, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return Inspection{}, err
	}
	now := o.Now()
	in := Inspection{URL: urlOrFile}
	var body []byte
	ct := ""
	page := urlOrFile
	if looksLikeURL(urlOrFile) {
		f, err := newFetcher(o)
		if err != nil {
			return in, err
		}
		defer f.close()
		resp, err := f.get(ctx, urlOrFile, acceptFeed, conditional{})
		if resp != nil {
			in.Status = resp.Status
			in.Header = pickHeaders(resp)
		}
		if err != nil {
			return in, err
		}
		body, ct, page = resp.Body, resp.Header.Get("Content-Type"), resp.URL
	} else {
		if body, err = readFeedFile(urlOrFile, o.MaxBody); err != nil {
			return in, fmt.Errorf("inspect: %w", err)
		}
		abs, _ := filepath.Abs(urlOrFile)
		page = (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String()
	}
	pf, err := parseFeed(body, ct)
	if errors.Is(err, errNotFeed) {
		err = withFeedHint(err, body, page)
	}
	if err != nil {
		return in, fmt.Errorf("inspect %s: %w", urlOrFile, err)
	}
	nr := normalize(pf, tidings.NewFeedID(urlOrFile), "", page, now)
	in.Format, in.Title, in.SiteURL, in.Language = pf.Format, plainText(pf.Title), nr.siteURL, pf.Lang
	in.TTL, in.UpdatePeriod, in.SkipHours, in.SkipDays = pf.TTL, pf.UpdatePeriod, pf.SkipHours, pf.SkipDays
	in.IdentityMode = nr.mode
	in.Warnings = append(pf.Warnings, nr.warnings...)
	san := newSanitizer()
	in.Items = []InspectedItem{}
	for _, n := range nr.items {
		it := n.item
		c := san.clean(n.content, n.base)
		ii := InspectedItem{Identity: it.Identity, GUID: it.GUID, Title: it.Title, URL: it.URL,
			Published: it.Published, Updated: it.Updated, Authors: it.Authors, Categories: it.Categories,
			Enclosures: it.Enclosures, Content: c.HTML, Text: c.Text}
		if n.summary != "" {
			ii.Summary = san.clean(n.summary, n.base).HTML
		}
		if ii.Published.IsZero() {
			ii.DateNote = "no usable date: the first-seen time will be used"
		}
		in.Items = append(in.Items, ii)
	}
	return in, nil
}

func pickHeaders(r *response) map[string]string {
	m := map[string]string{}
	for _, k := range []string{"Content-Type", "ETag", "Last-Modified", "Cache-Control", "Expires", "Retry-After"} {
		if v := r.Header.Get(k); v != "" {
			m[strings.ToLower(k)] = v
		}
	}
	return m
}

// readFeedFile reads a feed saved to disk under the same size cap as a
// fetched one, unpacking a .gz file.
func readFeedFile(path string, maxBody int64) ([]byte, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	b, err := io.ReadAll(io.LimitReader(fh, maxBody+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > maxBody {
		return nil, fmt.Errorf("%s is larger than the %d byte limit (fetch.max_body)", path, maxBody)
	}
	if isGzip(b) {
		var out bytes.Buffer
		if err := gunzipInto(&out, b, maxBody); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		b = out.Bytes()
	}
	return b, nil
}
