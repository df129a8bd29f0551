package publish

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tidings/tidings"
)

// site is the state of one publish run.
type site struct {
	base    string // absolute, ends in "/"
	host    string
	title   string
	lang    string
	tpl     *templateSet
	now     time.Time
	digests []*digestData

	mu      sync.Mutex
	cleaned map[string]string       // raw article HTML -> cleanHTML result
	views   map[string]*editionView // digest/number -> view; views are read-only once built
}

// Views handed to templates. Text fields are cleaned; article HTML goes
// through cleanHTML only.

type entryView struct {
	tidings.Entry
	PageID  string // file name stem of items/<PageID>.html
	Host    string // host of the original URL, for link text
	Section string
}

type sectionView struct {
	Name    string
	ID      string
	Entries []entryView
}

type editionView struct {
	E        tidings.Edition
	Digest   DigestInfo
	Sections []sectionView
	Path     string // "<digest>/<n>/"
	Date     time.Time
}

type link struct {
	Title   string
	Href    string
	Type    string
	Current bool
}

// page is what layout.html renders.
type page struct {
	Lang        string
	SiteTitle   string
	Title       string
	Description string
	Root        string // relative prefix to the site root: "", "../", "../../"
	Canonical   string
	OGType      string
	Alternates  []link
	Nav         []link
	Generator   string

	Home    []homeDigest
	Edition *editionView
	Prev    *link
	Next    *link
	Latest  bool
	Archive []archiveRow
	Digest  DigestInfo
	Feeds   []link
	Item    *itemView
	Sources []sourceRow
	Failing int
	HasOPML bool
	Feed    bool // rendering a feed entry's content, not a page
}

type homeDigest struct {
	Info     DigestInfo
	Latest   *editionView
	Feeds    []link
	Editions int
}

type archiveRow struct {
	Number int
	Title  string
	Date   time.Time
	Count  int
	Href   string
}

type itemView struct {
	entryView
	AlsoCovered []tidings.Source // the other feeds that carried the story
	Edition     link
	Content     string // cleaned article HTML; "" = not available
	Date        time.Time
	Paragraphs  []string
}

type sourceRow struct {
	Title, URL, SiteURL, Section, Status, LastError string
	OK                                              bool
	LastSuccess, NextCheck                          time.Time
}

// pageID is the item's file name: its ItemID when that is a safe name (it
// always is for store items), else a hash of it.
func pageID(itemID string) string {
	if safeID(itemID) {
		return itemID
	}
	return keyOf("item", itemID)[:20]
}

// safeID: 1 to 64 of [A-Za-z0-9_-]. A loop, not a regexp: the bounded
// repeat would compile to some 60 KB, kept for the life of the process.
func safeID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

// alsoCoveredBy lists the feeds that carried the story besides the one it is
// shown from. Entry.Sources names every feed, the entry's own first.
func alsoCoveredBy(e tidings.Entry) []tidings.Source {
	var others []tidings.Source
	for i, s := range e.Sources {
		if i == 0 && s.Title == e.FeedTitle && (s.URL == e.URL || s.URL == "") {
			continue
		}
		others = append(others, s)
	}
	return others
}

func hostOf(u string) string {
	p, err := url.Parse(u)
	if err != nil || p.Host == "" {
		return ""
	}
	return strings.TrimPrefix(strings.ToLower(p.Hostname()), "www.")
}

// cleanEntry returns a copy of e with every text field cleaned, so templates,
// feeds and text renderings all see the same safe strings.
func cleanEntry(e tidings.Entry) tidings.Entry {
	e.Title = oneLine(e.Title)
	if e.Title == "" {
		e.Title = "Untitled"
	}
	e.Kind = oneLine(e.Kind)
	e.URL = oneLine(e.URL)
	e.FeedTitle = oneLine(e.FeedTitle)
	e.Authors = cleanList(e.Authors)
	e.TLDR = oneLine(e.TLDR)
	e.KeyPoints = cleanList(e.KeyPoints)
	terms := make([]tidings.Term, 0, len(e.Glossary))
	for _, t := range e.Glossary {
		t.Term, t.Definition = oneLine(t.Term), oneLine(t.Definition)
		if t.Term != "" {
			terms = append(terms, t)
		}
	}
	e.Glossary = terms
	srcs := make([]tidings.Source, 0, len(e.Sources))
	for _, s := range e.Sources {
		s.Title, s.URL = oneLine(s.Title), oneLine(s.URL)
		if s.Title == "" {
			s.Title = hostOf(s.URL)
		}
		if s.Title != "" || s.URL != "" {
			srcs = append(srcs, s)
		}
	}
	e.Sources = srcs
	e.Why = oneLine(e.Why)
	e.Text = cleanText(e.Text)
	return e
}

func cleanList(in []string) []string {
	out := make([]string, 0, len(in))
	for _, s := range in {
		if s = oneLine(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// editionView returns the cleaned view of an edition, built once per run:
// every item page of an edition needs it.
func (s *site) editionView(d *digestData, e tidings.Edition) *editionView {
	key := d.Info.Name + "/" + strconv.Itoa(e.Number)
	s.mu.Lock()
	v, ok := s.views[key]
	s.mu.Unlock()
	if ok {
		return v
	}
	v = s.buildEditionView(d, e)
	s.mu.Lock()
	s.views[key] = v
	s.mu.Unlock()
	return v
}

func (s *site) buildEditionView(d *digestData, e tidings.Edition) *editionView {
	v := &editionView{E: e, Digest: d.Info, Path: fmt.Sprintf("%s/%d/", d.Info.Name, e.Number), Date: editionTime(e)}
	v.E.Title = oneLine(e.Title)
	if v.E.Title == "" {
		v.E.Title = fmt.Sprintf("%s #%d", d.Info.Title, e.Number)
	}
	v.E.Description = oneLine(e.Description)
	for i, sec := range e.Sections {
		sv := sectionView{Name: oneLine(sec.Name), ID: "s" + strconv.Itoa(i+1)}
		if sv.Name == "" {
			sv.Name = "Stories"
		}
		for _, en := range sec.Entries {
			ce := cleanEntry(en)
			sv.Entries = append(sv.Entries, entryView{Entry: ce, PageID: pageID(en.ItemID), Host: hostOf(ce.URL), Section: sv.Name})
		}
		v.Sections = append(v.Sections, sv)
	}
	return v
}

// editionTime is the edition's date; it must never depend on the clock, or
// the feeds would change on every publish.
func editionTime(e tidings.Edition) time.Time {
	for _, t := range []time.Time{e.Built, e.Slot, e.To} {
		if !t.IsZero() {
			return t.UTC()
		}
	}
	return time.Unix(0, 0).UTC()
}

// editionKey identifies an edition's content cheaply: editions are
// immutable once stored, so number and build time pin them down.
func editionKey(e tidings.Edition) string {
	return fmt.Sprintf("%s|%d|%d|%d|%d|%s", e.Digest, e.Number, e.Built.UnixNano(), e.Slot.UnixNano(), e.Count(), e.Title)
}

func (s *site) article(raw string) string {
	if strings.TrimSpace(raw) == "" {
		return ""
	}
	s.mu.Lock()
	c, ok := s.cleaned[raw]
	s.mu.Unlock()
	if ok {
		return c
	}
	c = cleanHTML(raw, 3)
	s.mu.Lock()
	s.cleaned[raw] = c
	s.mu.Unlock()
	return c
}

func (s *site) render(name string, p *page) ([]byte, error) {
	p.Lang, p.SiteTitle = s.lang, s.title
	p.Generator = "Tidings " + tidings.Version
	for _, d := range s.digests {
		p.Nav = append(p.Nav, link{Title: d.Info.Title, Href: d.Info.Name + "/index.html", Current: p.Digest.Name == d.Info.Name && p.Item == nil})
	}
	p.Nav = append(p.Nav, link{Title: "Sources", Href: "sources.html", Current: p.Sources != nil || p.HasOPML})
	var b bytes.Buffer
	if err := s.tpl.pages[name].ExecuteTemplate(&b, "layout", p); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func (s *site) feedLinks(d DigestInfo, root string) []link {
	n := d.Name + "/"
	return []link{
		{Title: d.Title + " (RSS)", Href: root + n + "feed.xml", Type: "application/rss+xml"},
		{Title: d.Title + " (Atom)", Href: root + n + "atom.xml", Type: "application/atom+xml"},
		{Title: d.Title + " (JSON Feed)", Href: root + n + "feed.json", Type: "application/feed+json"},
		{Title: d.Title + ", story by story (RSS)", Href: root + n + "items.xml", Type: "application/rss+xml"},
		{Title: d.Title + ", story by story (Atom)", Href: root + n + "items.atom", Type: "application/atom+xml"},
		{Title: d.Title + ", story by story (JSON Feed)", Href: root + n + "items.json", Type: "application/feed+json"},
	}
}

func (s *site) allAlternates() []link {
	var out []link
	for _, d := range s.digests {
		out = append(out, s.feedLinks(d.Info, s.base)[:3]...)
	}
	return out
}

// jobs lists every output file of the site with the key of its inputs.
func (s *site) jobs(in Input) []job {
	fp := s.tpl.fp + "|" + s.base + "|" + s.title + "|" + s.lang
	var navKey strings.Builder
	for _, d := range s.digests {
		fmt.Fprintf(&navKey, "%s|%s|", d.Info.Name, d.Info.Title)
	}
	site := fp + "|" + navKey.String()
	var jobs []job
	add := func(path string, key string, r func() ([]byte, error)) {
		jobs = append(jobs, job{path: path, key: keyOf(path, site, key), render: r})
	}

	add("style.css", "", func() ([]byte, error) { return s.tpl.css, nil })

	var homeKey strings.Builder
	for _, d := range s.digests {
		fmt.Fprintf(&homeKey, "%s|%s|%d|", d.Info.Description, d.Info.Schedule, len(d.Editions))
		if n := len(d.Editions); n > 0 {
			homeKey.WriteString(editionKey(d.Editions[n-1]))
		}
	}
	add("index.html", homeKey.String(), s.renderHome)

	// Item pages: one per item, from its latest appearance.
	type itemRef struct {
		d *digestData
		e tidings.Edition
	}
	items := map[string]itemRef{}
	var itemOrder []string
	for _, d := range s.digests {
		for _, e := range d.Editions {
			for _, sec := range e.Sections {
				for _, en := range sec.Entries {
					id := pageID(en.ItemID)
					if _, ok := items[id]; !ok {
						itemOrder = append(itemOrder, id)
					}
					items[id] = itemRef{d, e}
				}
			}
		}
	}
	for _, id := range itemOrder {
		ref := items[id]
		add("items/"+id+".html", editionKey(ref.e), func() ([]byte, error) { return s.renderItem(ref.d, ref.e, id) })
	}

	for _, d := range s.digests {
		d := d
		n := len(d.Editions)
		infoKey := fmt.Sprintf("%q", d.Info)
		for i, e := range d.Editions {
			var prev, next string
			if i > 0 {
				prev = editionKey(d.Editions[i-1])
			}
			if i+1 < n {
				next = editionKey(d.Editions[i+1])
			}
			key := infoKey + editionKey(e) + "|" + prev + "|" + next
			dir := fmt.Sprintf("%s/%d/", d.Info.Name, e.Number)
			add(dir+"index.html", key, func() ([]byte, error) { return s.renderEdition(d, i, false) })
			add(dir+"index.md", editionKey(e), func() ([]byte, error) { return renderBytes(RenderMarkdown, e, s.base) })
			add(dir+"index.txt", editionKey(e), func() ([]byte, error) { return renderBytes(RenderText, e, s.base) })
		}
		var all strings.Builder
		for _, e := range d.Editions {
			all.WriteString(editionKey(e))
			all.WriteByte('|')
		}
		var latest string
		if n > 0 {
			latest = editionKey(d.Editions[n-1])
			if n > 1 {
				latest += "|" + editionKey(d.Editions[n-2])
			}
		}
		add(d.Info.Name+"/index.html", infoKey+latest, func() ([]byte, error) { return s.renderEdition(d, n-1, true) })
		add(d.Info.Name+"/archive.html", infoKey+all.String(), func() ([]byte, error) { return s.renderArchive(d) })

		recent := d.Editions[max(0, n-maxEditionEntries):]
		var rkey strings.Builder
		rkey.WriteString(infoKey)
		for _, e := range recent {
			rkey.WriteString(editionKey(e))
		}
		// Item feeds read the newest editions until they have enough items.
		itemEds := 0
		count := 0
		for i := n - 1; i >= 0 && count < maxItemEntries; i-- {
			count += d.Editions[i].Count()
			itemEds++
		}
		var ikey strings.Builder
		ikey.WriteString(infoKey)
		for _, e := range d.Editions[n-itemEds:] {
			ikey.WriteString(editionKey(e))
		}
		for _, f := range []struct {
			name  string
			items bool
			r     func(*digestData) ([]byte, error)
		}{
			{"feed.xml", false, s.editionsRSS},
			{"atom.xml", false, s.editionsAtom},
			{"feed.json", false, s.editionsJSON},
			{"items.xml", true, s.itemsRSS},
			{"items.atom", true, s.itemsAtom},
			{"items.json", true, s.itemsJSON},
		} {
			key := rkey.String()
			if f.items {
				key = ikey.String()
			}
			r := f.r
			add(d.Info.Name+"/"+f.name, key, func() ([]byte, error) { return r(d) })
		}
	}

	fb, _ := json.Marshal(in.Feeds)
	add("sources.html", string(fb)+strconv.FormatBool(len(in.OPML) > 0), func() ([]byte, error) { return s.renderSources(in.Feeds, len(in.OPML) > 0) })
	if len(in.OPML) > 0 {
		opml := in.OPML
		add("sources.opml", keyOf(string(opml)), func() ([]byte, error) { return opml, nil })
	}
	return jobs
}

func renderBytes(f func(w io.Writer, e tidings.Edition, o TextOptions) error, e tidings.Edition, base string) ([]byte, error) {
	var b bytes.Buffer
	err := f(&b, e, TextOptions{BaseURL: base})
	return b.Bytes(), err
}

func (s *site) renderHome() ([]byte, error) {
	p := &page{Title: s.title, Root: "", Canonical: s.base, OGType: "website", Alternates: s.allAlternates()}
	p.Description = "The latest editions of " + s.title + "."
	for _, d := range s.digests {
		hd := homeDigest{Info: d.Info, Feeds: s.feedLinks(d.Info, "")[:3], Editions: len(d.Editions)}
		if n := len(d.Editions); n > 0 {
			hd.Latest = s.editionView(d, d.Editions[n-1])
		}
		p.Home = append(p.Home, hd)
	}
	return s.render("home.html", p)
}

// renderEdition renders edition i of d; latest renders it as the digest's
// front page (<digest>/index.html), whose canonical URL is the permalink.
func (s *site) renderEdition(d *digestData, i int, latest bool) ([]byte, error) {
	p := &page{Digest: d.Info, Latest: latest, OGType: "article", Feeds: s.feedLinks(d.Info, "")}
	if latest {
		p.Root = "../"
	} else {
		p.Root = "../../"
	}
	p.Alternates = s.feedLinks(d.Info, s.base)
	for k := range p.Feeds {
		p.Feeds[k].Href = p.Root + p.Feeds[k].Href
	}
	if i < 0 {
		p.Title = d.Info.Title
		p.Description = d.Info.Description
		p.Canonical = s.base + d.Info.Name + "/"
		p.OGType = "website"
		return s.render("edition.html", p)
	}
	v := s.editionView(d, d.Editions[i])
	p.Edition = v
	p.Title = v.E.Title
	p.Description = v.E.Description
	if p.Description == "" {
		p.Description = fmt.Sprintf("%s: %d stories, %s.", d.Info.Title, v.E.Count(), v.Date.Format("2 January 2006"))
	}
	p.Canonical = s.base + v.Path
	if i > 0 {
		e := d.Editions[i-1]
		p.Prev = &link{Title: fmt.Sprintf("Edition %d", e.Number), Href: fmt.Sprintf("%s%s/%d/index.html", p.Root, d.Info.Name, e.Number)}
	}
	if i+1 < len(d.Editions) {
		e := d.Editions[i+1]
		p.Next = &link{Title: fmt.Sprintf("Edition %d", e.Number), Href: fmt.Sprintf("%s%s/%d/index.html", p.Root, d.Info.Name, e.Number)}
	}
	return s.render("edition.html", p)
}

func (s *site) renderArchive(d *digestData) ([]byte, error) {
	p := &page{Digest: d.Info, Root: "../", OGType: "website", Title: d.Info.Title + ": all editions",
		Canonical: s.base + d.Info.Name + "/archive.html", Alternates: s.feedLinks(d.Info, s.base)}
	p.Description = "Every edition of " + d.Info.Title + "."
	p.Feeds = s.feedLinks(d.Info, "../")
	for i := len(d.Editions) - 1; i >= 0; i-- {
		e := d.Editions[i]
		t := oneLine(e.Title)
		if t == "" {
			t = fmt.Sprintf("%s #%d", d.Info.Title, e.Number)
		}
		p.Archive = append(p.Archive, archiveRow{Number: e.Number, Title: t, Date: editionTime(e), Count: e.Count(),
			Href: fmt.Sprintf("%d/index.html", e.Number)})
	}
	return s.render("archive.html", p)
}

func (s *site) renderItem(d *digestData, e tidings.Edition, id string) ([]byte, error) {
	v := s.editionView(d, e)
	var it *itemView
	for _, sec := range v.Sections {
		for _, en := range sec.Entries {
			if en.PageID == id {
				it = &itemView{entryView: en, AlsoCovered: alsoCoveredBy(en.Entry)}
			}
		}
	}
	if it == nil {
		return nil, fmt.Errorf("item %s not in edition %d", id, e.Number)
	}
	// Not through the per-run cache: that is for the few feed items, and
	// caching thousands of articles would cost a Pi its memory.
	it.Content = cleanHTML(it.ContentHTML, 3)
	if it.Content == "" {
		it.Paragraphs = paragraphs(it.Text)
	}
	it.Date = entryTime(it.Entry, e)
	it.Edition = link{Title: v.E.Title, Href: "../" + v.Path + "index.html"}
	p := &page{Root: "../", OGType: "article", Title: it.Title, Description: it.TLDR, Item: it,
		Canonical: s.base + "items/" + id + ".html", Alternates: s.feedLinks(d.Info, s.base)[3:4], Digest: d.Info}
	return s.render("item.html", p)
}

func (s *site) renderSources(feeds []tidings.Feed, hasOPML bool) ([]byte, error) {
	p := &page{Root: "", OGType: "website", Title: "Sources", Canonical: s.base + "sources.html",
		Alternates: s.allAlternates(), HasOPML: hasOPML, Sources: []sourceRow{}}
	p.Description = fmt.Sprintf("The %d feeds %s reads and how they are doing.", len(feeds), s.title)
	for _, f := range feeds {
		r := sourceRow{Title: oneLine(f.Title), URL: oneLine(f.URL), SiteURL: oneLine(f.SiteURL), Section: oneLine(f.Section),
			LastSuccess: f.State.LastSuccess, NextCheck: f.State.NextCheck, OK: f.State.Healthy()}
		if r.Title == "" {
			r.Title = hostOf(r.URL)
		}
		switch {
		case f.State.Disabled:
			r.Status = "disabled"
		case f.State.ErrorCount > 0:
			r.Status = fmt.Sprintf("failing (%d errors in a row)", f.State.ErrorCount)
		case f.State.LastCheck.IsZero():
			r.Status = "not checked yet"
		default:
			r.Status = "ok"
		}
		if !r.OK {
			r.LastError = oneLine(f.State.LastError)
			p.Failing++
		}
		p.Sources = append(p.Sources, r)
	}
	return s.render("sources.html", p)
}

func entryTime(en tidings.Entry, e tidings.Edition) time.Time {
	for _, t := range []time.Time{en.Published, en.FirstSeen} {
		if !t.IsZero() {
			return t.UTC()
		}
	}
	return editionTime(e)
}

// paragraphs splits plain text at blank lines.
func paragraphs(text string) []string {
	var out []string
	for _, p := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n\n") {
		if p = strings.Join(strings.Fields(p), " "); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// editionFragment renders an edition's body with absolute links, as the
// content of an edition's feed entry.
func (s *site) editionFragment(v *editionView) (string, error) {
	var b bytes.Buffer
	err := s.tpl.pages["edition.html"].ExecuteTemplate(&b, "edition-body", map[string]any{"Root": s.base, "Edition": v, "Feed": true})
	return b.String(), err
}
