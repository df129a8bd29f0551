package publish

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/mmcdole/gofeed"
	"github.com/tidings/tidings"
)

var feedFiles = []string{"feed.xml", "atom.xml", "feed.json", "items.xml", "items.atom", "items.json"}

const testBase = "https://news.example.org/tidings/"

func publishInput(t testing.TB, in Input) string {
	t.Helper()
	dir := t.TempDir()
	if _, err := newPublisher(t, dir).Publish(context.Background(), in); err != nil {
		t.Fatalf("publish: %v", err)
	}
	return dir
}

// wantEntry is what a reader must see for one feed entry.
type wantEntry struct {
	ID, Title, Link string
	Date            time.Time
}

// expectedEntries derives, independently of the feed writers, the entries
// a feed file must carry.
func expectedEntries(in Input, digest, file string) []wantEntry {
	eds := in.Editions[digest]
	var out []wantEntry
	if !strings.HasPrefix(file, "items.") {
		for i := len(eds) - 1; i >= 0 && len(out) < maxEditionEntries; i-- {
			e := eds[i]
			d := e.Built
			if d.IsZero() {
				d = e.Slot
			}
			if d.IsZero() {
				d = e.To
			}
			if d.IsZero() {
				d = time.Unix(0, 0)
			}
			out = append(out, wantEntry{
				ID:    fmt.Sprintf("tag:news.example.org,%s:%s/%d", d.UTC().Format("2006-01-02"), digest, e.Number),
				Title: e.Title, Link: fmt.Sprintf("%s%s/%d/", testBase, digest, e.Number), Date: d,
			})
		}
		return out
	}
	seen := map[string]bool{}
	for i := len(eds) - 1; i >= 0; i-- {
		for _, s := range eds[i].Sections {
			for _, en := range s.Entries {
				if seen[en.ItemID] || len(out) >= maxItemEntries {
					continue
				}
				seen[en.ItemID] = true
				first := en.FirstSeen
				if first.IsZero() {
					first = eds[i].Built
				}
				if first.IsZero() {
					first = time.Unix(0, 0)
				}
				date := en.Published
				if date.IsZero() {
					date = first
				}
				out = append(out, wantEntry{
					ID:    fmt.Sprintf("tag:news.example.org,%s:items/%s", first.UTC().Format("2006-01-02"), en.ItemID),
					Title: en.Title, Link: en.URL, Date: date,
				})
			}
		}
	}
	return out
}

// TestFeedsParseBack reads every feed back with gofeed and compares the
// entries with what the input says they must be.
func TestFeedsParseBack(t *testing.T) {
	in := sampleInput(25, 5)
	dir := publishInput(t, in)
	for _, f := range feedFiles {
		t.Run(f, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, "daily", f))
			if err != nil {
				t.Fatal(err)
			}
			feed, err := gofeed.NewParser().Parse(bytes.NewReader(data))
			if err != nil {
				t.Fatalf("gofeed: %v", err)
			}
			wantTitle := "Daily Tidings"
			if strings.HasPrefix(f, "items.") {
				wantTitle += ": stories"
			}
			if feed.Title != wantTitle {
				t.Errorf("title: got %q, want %q", feed.Title, wantTitle)
			}
			if feed.Language != "en" && !strings.HasSuffix(f, ".atom") && f != "atom.xml" {
				t.Errorf("language: got %q, want en", feed.Language)
			}
			want := expectedEntries(in, "daily", f)
			if len(feed.Items) != len(want) {
				t.Fatalf("items: got %d, want %d", len(feed.Items), len(want))
			}
			for i, it := range feed.Items {
				w := want[i]
				if it.GUID != w.ID {
					t.Errorf("item %d id: got %q, want %q", i, it.GUID, w.ID)
				}
				if it.Title != w.Title {
					t.Errorf("item %d title: got %q, want %q", i, it.Title, w.Title)
				}
				if it.Link != w.Link {
					t.Errorf("item %d link: got %q, want %q", i, it.Link, w.Link)
				}
				if it.PublishedParsed == nil || !it.PublishedParsed.Equal(w.Date.Truncate(time.Second)) {
					t.Errorf("item %d published: got %v, want %v", i, it.PublishedParsed, w.Date)
				}
				if it.Content == "" {
					t.Errorf("item %d has no content", i)
				}
			}
		})
	}
}

var rfc3339RE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$`)

type rssCheck struct {
	Channel struct {
		Title       string `xml:"title"`
		Description string `xml:"description"`
		TTL         int    `xml:"ttl"`
		// <link> and <atom:link> both match "link"; the namespace tells.
		Links []struct {
			XMLName xml.Name
			Href    string `xml:"href,attr"`
			Rel     string `xml:"rel,attr"`
			Text    string `xml:",chardata"`
		} `xml:"link"`
		Items []struct {
			Title string `xml:"title"`
			Link  string `xml:"link"`
			GUID  struct {
				ID          string `xml:",chardata"`
				IsPermaLink string `xml:"isPermaLink,attr"`
			} `xml:"guid"`
			PubDate string `xml:"pubDate"`
			Content string `xml:"http://purl.org/rss/1.0/modules/content/ encoded"`
		} `xml:"item"`
	} `xml:"channel"`
}

type atomCheck struct {
	ID      string `xml:"id"`
	Title   string `xml:"title"`
	Updated string `xml:"updated"`
	Author  *struct {
		Name string `xml:"name"`
	} `xml:"author"`
	Links []struct {
		Href string `xml:"href,attr"`
		Rel  string `xml:"rel,attr"`
	} `xml:"link"`
	Entries []struct {
		ID        string `xml:"id"`
		Title     string `xml:"title"`
		Updated   string `xml:"updated"`
		Published string `xml:"published"`
		Links     []struct {
			Href string `xml:"href,attr"`
			Rel  string `xml:"rel,attr"`
		} `xml:"link"`
		Content struct {
			Type string `xml:"type,attr"`
			Body string `xml:",chardata"`
		} `xml:"content"`
	} `xml:"entry"`
}

// checkSpec checks one feed file against its specification's required
// elements and formats. It returns the number of entries.
func checkSpec(t *testing.T, name string, data []byte, hubs []string) int {
	t.Helper()
	if !utf8.Valid(data) {
		t.Fatalf("%s: not valid UTF-8", name)
	}
	self := testBase + "daily/" + filepath.Base(name)
	switch filepath.Base(name) {
	case "feed.xml", "items.xml":
		var doc rssCheck
		if err := xml.Unmarshal(data, &doc); err != nil {
			t.Fatalf("%s: not well-formed: %v", name, err)
		}
		c := doc.Channel
		rels := map[string][]string{}
		link := ""
		for _, l := range c.Links {
			if l.XMLName.Space == nsAtom {
				rels[l.Rel] = append(rels[l.Rel], l.Href)
			} else {
				link = l.Text
			}
		}
		if c.Title == "" || !absoluteURL(link) || c.Description == "" {
			t.Errorf("%s: channel lacks title/link/description: %q %q %q", name, c.Title, link, c.Description)
		}
		if c.TTL <= 0 {
			t.Errorf("%s: ttl %d", name, c.TTL)
		}
		if len(rels["self"]) != 1 || rels["self"][0] != self {
			t.Errorf("%s: atom:link self: got %v, want %s", name, rels["self"], self)
		}
		if fmt.Sprint(rels["hub"]) != fmt.Sprint(hubs) && !(len(hubs) == 0 && len(rels["hub"]) == 0) {
			t.Errorf("%s: hubs: got %v, want %v", name, rels["hub"], hubs)
		}
		for i, it := range c.Items {
			if it.Title == "" || !absoluteURL(it.Link) {
				t.Errorf("%s item %d: title %q link %q", name, i, it.Title, it.Link)
			}
			if it.GUID.ID == "" || (it.GUID.IsPermaLink != "false" && !absoluteURL(it.GUID.ID)) {
				t.Errorf("%s item %d: guid %q isPermaLink=%q", name, i, it.GUID.ID, it.GUID.IsPermaLink)
			}
			if _, err := time.Parse(time.RFC1123Z, it.PubDate); err != nil {
				t.Errorf("%s item %d: pubDate %q: %v", name, i, it.PubDate, err)
			}
			if strings.TrimSpace(it.Content) == "" {
				t.Errorf("%s item %d: empty content:encoded", name, i)
			}
		}
		return len(c.Items)
	default:
		if strings.HasSuffix(name, ".json") {
			return checkJSONSpec(t, name, data, self, hubs)
		}
		var doc atomCheck
		if err := xml.Unmarshal(data, &doc); err != nil {
			t.Fatalf("%s: not well-formed: %v", name, err)
		}
		if !strings.HasPrefix(doc.ID, "urn:uuid:") || !rfc3339RE.MatchString(doc.Updated) || doc.Title == "" {
			t.Errorf("%s: feed id %q updated %q title %q", name, doc.ID, doc.Updated, doc.Title)
		}
		if doc.Author == nil || doc.Author.Name == "" {
			t.Errorf("%s: feed has no author", name)
		}
		var gotSelf string
		var gotHubs []string
		for _, l := range doc.Links {
			if l.Href == "" {
				t.Errorf("%s: empty link href", name)
			}
			switch l.Rel {
			case "self":
				gotSelf = l.Href
			case "hub":
				gotHubs = append(gotHubs, l.Href)
			}
		}
		if gotSelf != self {
			t.Errorf("%s: self link %q, want %q", name, gotSelf, self)
		}
		if fmt.Sprint(gotHubs) != fmt.Sprint(hubs) && !(len(hubs) == 0 && len(gotHubs) == 0) {
			t.Errorf("%s: hubs: got %v, want %v", name, gotHubs, hubs)
		}
		for i, e := range doc.Entries {
			if !strings.HasPrefix(e.ID, "tag:news.example.org,") {
				t.Errorf("%s entry %d: id %q is not our tag URI", name, i, e.ID)
			}
			if !rfc3339RE.MatchString(e.Updated) || !rfc3339RE.MatchString(e.Published) {
				t.Errorf("%s entry %d: dates %q %q", name, i, e.Updated, e.Published)
			}
			alt := 0
			for _, l := range e.Links {
				if l.Rel == "alternate" && absoluteURL(l.Href) {
					alt++
				}
			}
			if alt != 1 {
				t.Errorf("%s entry %d: %d alternate links", name, i, alt)
			}
			if e.Content.Type != "html" || strings.TrimSpace(e.Content.Body) == "" {
				t.Errorf("%s entry %d: content type %q, %d bytes", name, i, e.Content.Type, len(e.Content.Body))
			}
		}
		return len(doc.Entries)
	}
}

func checkJSONSpec(t *testing.T, name string, data []byte, self string, hubs []string) int {
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if doc["version"] != "https://jsonfeed.org/version/1.1" {
		t.Errorf("%s: version %v", name, doc["version"])
	}
	if s, _ := doc["title"].(string); s == "" {
		t.Errorf("%s: no title", name)
	}
	if doc["feed_url"] != self {
		t.Errorf("%s: feed_url %v, want %s", name, doc["feed_url"], self)
	}
	var gotHubs []string
	if hs, ok := doc["hubs"].([]any); ok {
		for _, h := range hs {
			m := h.(map[string]any)
			gotHubs = append(gotHubs, m["url"].(string))
			if m["type"] == "" {
				t.Errorf("%s: hub without type", name)
			}
		}
	}
	if fmt.Sprint(gotHubs) != fmt.Sprint(hubs) && !(len(hubs) == 0 && len(gotHubs) == 0) {
		t.Errorf("%s: hubs: got %v, want %v", name, gotHubs, hubs)
	}
	items, ok := doc["items"].([]any)
	if !ok {
		t.Fatalf("%s: items key missing or not an array: %T", name, doc["items"])
	}
	for i, raw := range items {
		it := raw.(map[string]any)
		if id, _ := it["id"].(string); id == "" {
			t.Errorf("%s item %d: empty id", name, i)
		}
		ch, _ := it["content_html"].(string)
		ct, _ := it["content_text"].(string)
		if ch == "" && ct == "" {
			t.Errorf("%s item %d: no content", name, i)
		}
		if d, _ := it["date_published"].(string); !rfc3339RE.MatchString(d) {
			t.Errorf("%s item %d: date_published %q", name, i, d)
		}
		if strings.HasPrefix(filepath.Base(name), "items.") {
			ext, ok := it["_tidings"].(map[string]any)
			if !ok {
				t.Fatalf("%s item %d: no _tidings", name, i)
			}
			if s, _ := it["summary"].(string); s == "" {
				t.Errorf("%s item %d: no summary (TL;DR)", name, i)
			}
			for _, k := range []string{"key_points", "glossary", "sources"} {
				if _, ok := ext[k].([]any); !ok {
					t.Errorf("%s item %d: _tidings.%s is %T, want array", name, i, k, ext[k])
				}
			}
			if _, ok := ext["section"].(string); !ok {
				t.Errorf("%s item %d: _tidings.section missing", name, i)
			}
			if _, ok := ext["score"].(float64); !ok {
				t.Errorf("%s item %d: _tidings.score missing", name, i)
			}
			if _, ok := ext["why"].(string); !ok {
				t.Errorf("%s item %d: _tidings.why missing", name, i)
			}
			for _, g := range ext["glossary"].([]any) {
				m := g.(map[string]any)
				if _, ok := m["term"].(string); !ok {
					t.Errorf("%s item %d: glossary entry without term", name, i)
				}
				if _, ok := m["definition"].(string); !ok {
					t.Errorf("%s item %d: glossary entry without definition", name, i)
				}
			}
		}
	}
	return len(items)
}

func TestFeedsSpec(t *testing.T) {
	in := sampleInput(3, 4)
	in.Digests[0].Hubs = []string{"https://hub.example.org/", "https://pubsubhubbub.example.com/"}
	dir := publishInput(t, in)
	for _, f := range feedFiles {
		t.Run(f, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, "daily", f))
			if err != nil {
				t.Fatal(err)
			}
			n := checkSpec(t, f, data, in.Digests[0].Hubs)
			want := 3
			if strings.HasPrefix(f, "items.") {
				want = 12
			}
			if n != want {
				t.Errorf("entries: got %d, want %d", n, want)
			}
		})
	}
}

// hostileInput puts every hostile string into an edition, together with an
// empty edition and one without any dates.
func hostileInput() Input {
	in := sampleInput(1, 2)
	e := tidings.Edition{Digest: "daily", Number: 2, Title: "Hostile ]]> & 🚀 \x01", Built: t0.Add(48 * time.Hour)}
	kinds := sortedKeys(hostile)
	for i, k := range kinds {
		e.Sections = append(e.Sections, tidings.Section{Name: hostile[k], Entries: []tidings.Entry{hostileEntry(k, hostile[k], 100+i)}})
	}
	empty := tidings.Edition{Digest: "daily", Number: 3, Title: "", Built: t0.Add(72 * time.Hour)}
	undated := tidings.Edition{Digest: "daily", Number: 4, Title: "No dates", Sections: []tidings.Section{{Name: "", Entries: []tidings.Entry{func() tidings.Entry {
		en := sampleEntry(500)
		en.Published, en.FirstSeen = time.Time{}, time.Time{}
		en.URL = ""
		return en
	}()}}}}
	in.Editions["daily"] = append(in.Editions["daily"], e, empty, undated)
	in.Title = "Site <&> \x02 ]]>"
	return in
}

func sortedKeys(m map[string]string) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	for i := range ks {
		for j := i + 1; j < len(ks); j++ {
			if ks[j] < ks[i] {
				ks[i], ks[j] = ks[j], ks[i]
			}
		}
	}
	return ks
}

// TestHostileInput publishes each hostile string on its own and checks that
// every output stays valid: feeds parse (strictly and with gofeed), no
// forbidden characters reach any file, and the text survives.
func TestHostileInput(t *testing.T) {
	for _, k := range sortedKeys(hostile) {
		t.Run(k, func(t *testing.T) {
			in := sampleInput(1, 1)
			e := tidings.Edition{Digest: "daily", Number: 2, Title: hostile[k], Description: hostile[k], Built: t0.Add(48 * time.Hour),
				Sections: []tidings.Section{{Name: hostile[k], Entries: []tidings.Entry{hostileEntry(k, hostile[k], 7)}}}}
			in.Editions["daily"] = append(in.Editions["daily"], e)
			in.Digests[0].Description = hostile[k]
			checkAllOutputs(t, in)
		})
	}
	t.Run("combined-empty-undated", func(t *testing.T) {
		checkAllOutputs(t, hostileInput())
	})
	t.Run("no-editions", func(t *testing.T) {
		in := sampleInput(0, 0)
		dir := checkAllOutputs(t, in)
		data, _ := os.ReadFile(filepath.Join(dir, "daily", "feed.json"))
		if !bytes.Contains(data, []byte(`"items": []`)) {
			t.Errorf("empty JSON Feed lacks an items array:\n%s", data)
		}
	})
}

func checkAllOutputs(t *testing.T, in Input) string {
	t.Helper()
	dir := publishInput(t, in)
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if !utf8.Valid(data) {
			t.Errorf("%s: invalid UTF-8", rel)
		}
		for _, r := range string(data) {
			if !allowedRune(r) {
				t.Errorf("%s: forbidden character %U", rel, r)
				break
			}
		}
		// Markup may only reach HTML contexts escaped: plain-text fields
		// (titles in JSON, .txt, escaped .md) may show it literally.
		switch filepath.Ext(rel) {
		case ".html", ".xml", ".atom":
			if strings.Contains(string(data), "<script") {
				t.Errorf("%s: contains <script", rel)
			}
		case ".json":
			var doc struct {
				Items []struct {
					ContentHTML string `json:"content_html"`
				} `json:"items"`
			}
			if err := json.Unmarshal(data, &doc); err != nil {
				t.Errorf("%s: %v", rel, err)
			}
			for _, it := range doc.Items {
				if strings.Contains(it.ContentHTML, "<script") {
					t.Errorf("%s: content_html contains <script", rel)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range feedFiles {
		data, err := os.ReadFile(filepath.Join(dir, "daily", f))
		if err != nil {
			t.Fatal(err)
		}
		n := checkSpec(t, f, data, nil)
		feed, err := gofeed.NewParser().Parse(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: gofeed: %v", f, err)
		}
		if len(feed.Items) != n {
			t.Errorf("%s: gofeed sees %d items, spec check %d", f, len(feed.Items), n)
		}
		want := expectedEntries(in, "daily", f)
		for i, it := range feed.Items {
			if i < len(want) && it.GUID != want[i].ID {
				t.Errorf("%s item %d: id %q, want %q", f, i, it.GUID, want[i].ID)
			}
		}
	}
	return dir
}

// nodeTools returns tools/js when its node_modules are installed; it skips
// the test otherwise, except under CI, where it fails.
func nodeTools(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "tools", "js"))
	if err != nil {
		t.Fatal(err)
	}
	_, nerr := exec.LookPath("node")
	_, merr := os.Stat(filepath.Join(dir, "node_modules", "rss-parser"))
	if nerr != nil || merr != nil {
		msg := "node or tools/js/node_modules missing: run npm ci --prefix tools/js"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return dir
}

type nodeReading struct {
	File    string `json:"file"`
	Results map[string]struct {
		Error string `json:"error"`
		Title string `json:"title"`
		Items []struct {
			Title string `json:"title"`
			ID    string `json:"id"`
			Link  string `json:"link"`
		} `json:"items"`
	} `json:"results"`
}

// TestFeedsNodeParsers reads every feed with the npm parsers that real
// JavaScript clients use.
func TestFeedsNodeParsers(t *testing.T) {
	tools := nodeTools(t)
	cases := map[string]Input{"sample": sampleInput(3, 4), "hostile": hostileInput()}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			dir := publishInput(t, in)
			var files []string
			for _, f := range feedFiles {
				files = append(files, filepath.Join(dir, "daily", f))
			}
			cmd := exec.Command("node", append([]string{filepath.Join(tools, "parse-feed.mjs")}, files...)...)
			cmd.Dir = tools
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("node: %v\n%s", err, out)
			}
			sc := bufio.NewScanner(bytes.NewReader(out))
			sc.Buffer(nil, 16<<20)
			n := 0
			for sc.Scan() {
				var r nodeReading
				if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
					t.Fatal(err)
				}
				n++
				base := filepath.Base(r.File)
				want := expectedEntries(in, "daily", base)
				for parser, res := range r.Results {
					if res.Error != "" {
						t.Errorf("%s with %s: %s", base, parser, res.Error)
						continue
					}
					if !strings.HasPrefix(res.Title, "Daily Tidings") {
						t.Errorf("%s with %s: title %q", base, parser, res.Title)
					}
					if len(res.Items) != len(want) {
						t.Errorf("%s with %s: %d items, want %d", base, parser, len(res.Items), len(want))
						continue
					}
					for i, it := range res.Items {
						if it.ID != want[i].ID {
							t.Errorf("%s with %s item %d: id %q, want %q", base, parser, i, it.ID, want[i].ID)
						}
						if want[i].Link != "" && it.Link != want[i].Link {
							t.Errorf("%s with %s item %d: link %q, want %q", base, parser, i, it.Link, want[i].Link)
						}
						if strings.TrimSpace(it.Title) == "" {
							t.Errorf("%s with %s item %d: empty title", base, parser, i)
						}
					}
				}
			}
			if n != len(files) {
				t.Errorf("node read %d files, want %d", n, len(files))
			}
		})
	}
}

// TestFeedIDsStable checks that ids and bytes survive rebuilds, a later
// clock, new editions and unrelated digests.
func TestFeedIDsStable(t *testing.T) {
	in := sampleInput(3, 4)
	dir1 := publishInput(t, in)
	in2 := sampleInput(4, 4)
	dir2 := t.TempDir()
	p := newPublisher(t, dir2)
	p.Now = func() time.Time { return t0.Add(5000 * time.Hour) }
	if _, err := p.Publish(context.Background(), in2); err != nil {
		t.Fatal(err)
	}
	// An unrelated digest appears: ids of daily must not move.
	in3 := sampleInput(4, 4)
	in3.Digests = append([]DigestInfo{{Name: "weekly", Title: "Weekly"}}, in3.Digests...)
	in3.Editions["weekly"] = []tidings.Edition{sampleEdition("weekly", 1, 3, 900)}
	dir3 := publishInput(t, in3)
	for _, f := range feedFiles {
		a, _ := gofeed.NewParser().Parse(mustOpen(t, filepath.Join(dir1, "daily", f)))
		for _, d := range []string{dir2, dir3} {
			b, _ := gofeed.NewParser().Parse(mustOpen(t, filepath.Join(d, "daily", f)))
			ids := map[string]bool{}
			for _, it := range b.Items {
				ids[it.GUID] = true
			}
			for _, it := range a.Items {
				if !ids[it.GUID] {
					t.Errorf("%s: id %s vanished", f, it.GUID)
				}
			}
		}
	}
	for _, p := range []string{"daily/1/index.html", "daily/2/index.md", "items/" + pageID(in.Editions["daily"][0].Sections[0].Entries[0].ItemID) + ".html"} {
		a, _ := os.ReadFile(filepath.Join(dir1, p))
		b, _ := os.ReadFile(filepath.Join(dir2, p))
		if !bytes.Equal(a, b) {
			t.Errorf("%s changed although its edition did not", p)
		}
	}
}

func mustOpen(t *testing.T, p string) *os.File {
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// TestFeedURN checks the Atom feed id against a known RFC 9562 version 5
// UUID (the URL namespace, name "http://www.example.com/").
func TestFeedURN(t *testing.T) {
	if got, want := urnOf("http://www.example.com/"), "urn:uuid:fcde3c85-2270-590f-9e7c-ee003d65e0e2"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

// TestFeedsUnmovedByOtherDigests: reconfiguring or adding another digest
// leaves this digest's feeds alone, bytes and mtimes (so ETags) included.
func TestFeedsUnmovedByOtherDigests(t *testing.T) {
	two := func(title, desc string, ttl time.Duration, hubs []string) Input {
		in := sampleInput(3, 3)
		in.Digests = append(in.Digests, DigestInfo{Name: "weekly", Title: title, Description: desc, Schedule: "0 7 * * 1", TTL: ttl, Hubs: hubs})
		in.Editions["weekly"] = []tidings.Edition{sampleEdition("weekly", 1, 3, 3)} // shares stories with daily
		return in
	}
	dir := t.TempDir()
	p := newPublisher(t, dir)
	if _, err := p.Publish(context.Background(), two("Weekly", "Once a week.", 0, nil)); err != nil {
		t.Fatal(err)
	}
	age(t, dir)
	os.Remove(filepath.Join(dir, manifestName))
	if _, err := p.Publish(context.Background(), two("Weekly", "Once a week.", 0, nil)); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, dir)
	var want [][]byte
	for _, f := range feedFiles {
		b, _ := os.ReadFile(filepath.Join(dir, "daily", f))
		want = append(want, b)
	}
	in := two("The Weekly Roundup", "Sundays.", 7*24*time.Hour, []string{"https://hub.example.net/"})
	in.Digests = append(in.Digests, DigestInfo{Name: "monthly", Title: "Monthly"})
	in.Editions["monthly"] = []tidings.Edition{sampleEdition("monthly", 1, 2, 1)}
	if _, err := p.Publish(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	after := snapshot(t, dir)
	for i, f := range feedFiles {
		rel := "daily/" + f
		got, _ := os.ReadFile(filepath.Join(dir, "daily", f))
		if !bytes.Equal(got, want[i]) {
			t.Errorf("%s changed when other digests did", rel)
		}
		if !before[rel].Equal(after[rel]) {
			t.Errorf("%s was rewritten (mtime moved) when other digests changed", rel)
		}
	}
}
