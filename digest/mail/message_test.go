package mail_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"html"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tidings/tidings"
	tmail "github.com/tidings/tidings/digest/mail"
)

var update = flag.Bool("update", false, "rewrite golden files")

var fixedNow = time.Date(2026, 11, 26, 6, 0, 30, 0, time.UTC)

func loadEdition(t testing.TB) tidings.Edition {
	t.Helper()
	b, err := os.ReadFile("testdata/edition.json")
	if err != nil {
		t.Fatal(err)
	}
	var e tidings.Edition
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatal(err)
	}
	return e
}

// bigEdition is an edition far over the HTML budget: n stories with long
// articles, many key points and glossary terms.
func bigEdition(n int) tidings.Edition {
	e := tidings.Edition{Digest: "daily", Number: 3, Title: "Daily Tidings",
		Slot: time.Date(2026, 11, 26, 7, 0, 0, 0, time.UTC)}
	secs := []string{"AI", "Engineering", "DevOps", "Data", "Science"}
	for i, s := range secs {
		sec := tidings.Section{Name: s}
		for j := 0; j < n/len(secs); j++ {
			k := i*(n/len(secs)) + j
			var para []string
			for p := 0; p < 12; p++ {
				para = append(para, strings.Repeat(fmt.Sprintf("Sentence %d of paragraph %d in story %d explains one more detail. ", p, p, k), 6))
			}
			en := tidings.Entry{
				ItemID:    fmt.Sprintf("%020x", k+1),
				Title:     fmt.Sprintf("Story %d: a headline of typical length about %s", k, s),
				URL:       fmt.Sprintf("https://site%d.example.com/posts/%d-a-slug-of-some-length", k%7, k),
				FeedTitle: fmt.Sprintf("Feed %d", k%7),
				Text:      strings.Join(para, "\n\n"),
			}
			en.TLDR = fmt.Sprintf("Story %d says what happened, who did it and one number (%d%%) in one sentence under two hundred characters.", k, k)
			for p := 0; p < 8; p++ {
				en.KeyPoints = append(en.KeyPoints, fmt.Sprintf("Key point %d of story %d keeps facts and numbers like %d ms", p, k, p*17))
			}
			for g := 0; g < 3; g++ {
				en.Glossary = append(en.Glossary, tidings.Term{Term: fmt.Sprintf("TERM%d", g), Definition: "a plain-language definition of an acronym used in the story"})
			}
			sec.Entries = append(sec.Entries, en)
		}
		e.Sections = append(e.Sections, sec)
	}
	return e
}

func testOptions() tmail.Options {
	return tmail.Options{
		BaseURL:     "https://news.example.org/tidings/",
		Unsubscribe: "https://news.example.org/unsubscribe?u={recipient}",
		From:        "Tidings <digest@example.org>",
		Now:         func() time.Time { return fixedNow },
	}
}

// parsed is a received message taken apart the way a mail client does.
type parsed struct {
	msg       *mail.Message
	subject   string
	text, htm string
	htmWire   int // size of the html part as sent (quoted-printable)
	raw       []byte
}

func parseMessage(t testing.TB, raw []byte) parsed {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("net/mail cannot read the message: %v", err)
	}
	p := parsed{msg: m, raw: raw}
	dec := new(mime.WordDecoder)
	if p.subject, err = dec.DecodeHeader(m.Header.Get("Subject")); err != nil {
		t.Fatalf("decode subject: %v", err)
	}
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("content type %q (%v), want multipart/alternative", m.Header.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(m.Body, params["boundary"])
	var types []string
	for {
		part, err := mr.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("next part: %v", err)
		}
		ct, cp, _ := mime.ParseMediaType(part.Header.Get("Content-Type"))
		if cp["charset"] != "utf-8" {
			t.Errorf("part %s charset %q, want utf-8", ct, cp["charset"])
		}
		if cte := part.Header.Get("Content-Transfer-Encoding"); cte != "quoted-printable" {
			t.Errorf("part %s transfer encoding %q, want quoted-printable", ct, cte)
		}
		enc, err := io.ReadAll(part)
		if err != nil {
			t.Fatalf("read %s: %v", ct, err)
		}
		body, err := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(enc)))
		if err != nil {
			t.Fatalf("decode %s: %v", ct, err)
		}
		types = append(types, ct)
		switch ct {
		case "text/plain":
			p.text = strings.ReplaceAll(string(body), "\r\n", "\n")
		case "text/html":
			p.htmWire = len(enc)
			p.htm = strings.ReplaceAll(string(body), "\r\n", "\n")
		}
	}
	if !slices.Equal(types, []string{"text/plain", "text/html"}) {
		t.Fatalf("parts %v, want [text/plain text/html]", types)
	}
	return p
}

var (
	hrefRE = regexp.MustCompile(`href="([^"]*)"`)
	urlRE  = regexp.MustCompile(`https?://[^\s<>"]+`)
	h3RE   = regexp.MustCompile(`(?s)<h3[^>]*>(.*?)</h3>`)
	tagRE  = regexp.MustCompile(`<[^>]+>`)
)

func uniq(s []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

func htmlLinks(h string) []string {
	var out []string
	for _, m := range hrefRE.FindAllStringSubmatch(h, -1) {
		out = append(out, html.UnescapeString(m[1]))
	}
	return uniq(out)
}

// textLinks are the URLs of the text part that are links, not URLs quoted
// in article text (which the html part shows as text too).
func textLinks(s, htm string) []string {
	mention := map[string]bool{}
	for _, u := range urlRE.FindAllString(html.UnescapeString(tagRE.ReplaceAllString(htm, " ")), -1) {
		mention[u] = true
	}
	var out []string
	for _, u := range urlRE.FindAllString(s, -1) {
		if !mention[u] {
			out = append(out, u)
		}
	}
	return uniq(out)
}

// checkEquivalent asserts both parts show the same stories in the same
// order with the same links.
func checkEquivalent(t *testing.T, p parsed) {
	t.Helper()
	hl, tl := htmlLinks(p.htm), textLinks(p.text, p.htm)
	if !slices.Equal(hl, tl) {
		t.Errorf("links differ:\nhtml %q\ntext %q", hl, tl)
	}
	for _, l := range hl {
		if !strings.HasPrefix(l, "https://") && !strings.HasPrefix(l, "http://") {
			t.Errorf("link %q is not absolute", l)
		}
	}
	at := 0
	for _, m := range h3RE.FindAllStringSubmatch(p.htm, -1) {
		title := html.UnescapeString(tagRE.ReplaceAllString(m[1], ""))
		i := strings.Index(p.text[at:], title+"\n")
		if i < 0 {
			t.Errorf("story %q of the html part missing (or out of order) in the text part", title)
			continue
		}
		at += i + len(title)
	}
}

func TestBuildMessage(t *testing.T) {
	e := loadEdition(t)
	raw, err := tmail.BuildMessage(e, "Ålice Example <alice@example.com>", testOptions())
	if err != nil {
		t.Fatal(err)
	}
	p := parseMessage(t, raw)
	h := p.msg.Header

	if want := "Daily Tidings — 26 Nov 2026: 4 stories"; p.subject != want {
		t.Errorf("subject %q, want %q", p.subject, want)
	}
	from, err := h.AddressList("From")
	if err != nil || len(from) != 1 || from[0].Name != "Tidings" || from[0].Address != "digest@example.org" {
		t.Errorf("From %v (%v)", from, err)
	}
	to, err := h.AddressList("To")
	if err != nil || len(to) != 1 || to[0].Name != "Ålice Example" || to[0].Address != "alice@example.com" {
		t.Errorf("To %v (%v), want the one recipient with a decoded name", to, err)
	}
	if d, err := h.Date(); err != nil || !d.Equal(fixedNow) {
		t.Errorf("Date %v (%v), want %v", d, err, fixedNow)
	}
	wantID := tmail.MessageID("daily", 12, "ALICE@example.com", "example.org")
	if got := h.Get("Message-ID"); got != wantID || !strings.HasSuffix(got, "@example.org>") {
		t.Errorf("Message-ID %q, want %q", got, wantID)
	}
	for k, want := range map[string]string{
		"List-Id":               `"Daily Tidings" <daily.news.example.org>`,
		"List-Unsubscribe":      "<https://news.example.org/unsubscribe?u=alice%40example.com>",
		"List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
		"List-Archive":          "<https://news.example.org/tidings/daily/12/>",
		"Mime-Version":          "1.0",
	} {
		if got := h.Get(k); got != want {
			t.Errorf("%s %q, want %q", k, got, want)
		}
	}
	for i, line := range strings.Split(string(raw), "\r\n") {
		if len(line) > 998 {
			t.Errorf("line %d has %d characters (limit 998)", i+1, len(line))
		}
		if strings.ContainsAny(line, "\r\n") {
			t.Errorf("line %d has a bare CR or LF", i+1)
		}
	}
	for i := range raw {
		if raw[i] >= 0x80 {
			t.Fatalf("byte %d is 8-bit (%#x); the message must be 7-bit clean", i, raw[i])
		}
	}
	checkEquivalent(t, p)

	for _, want := range []string{
		`href="https://news.example.org/tidings/items/3f2a9c0b1d4e5f607182.html"`,
		`href="https://blog.example.com/postgres-19-window-sort?utm_source=feed&amp;x=1"`,
		`<meta name="color-scheme" content="light dark">`,
		`&lt;script&gt;alert(1)&lt;/script&gt;`,
		"Full article content is not available for inline reading.",
		"Zürich’s tram network",
	} {
		if !strings.Contains(p.htm, want) {
			t.Errorf("html part lacks %q", want)
		}
	}
	for _, bad := range []string{"javascript:", "not-a-hex-id", "ZgotmplZ"} {
		if strings.Contains(p.htm, bad) || strings.Contains(p.text, bad) {
			t.Errorf("message contains %q", bad)
		}
	}
	if strings.Contains(p.htm, "<script") {
		t.Error("html part contains a script element")
	}
	golden(t, "edition.txt.golden", []byte(p.text))
	golden(t, "edition.html.golden", []byte(p.htm))

	again, err := tmail.BuildMessage(e, "Ålice Example <alice@example.com>", testOptions())
	if err != nil || !bytes.Equal(raw, again) {
		t.Errorf("building twice gave different bytes (%v)", err)
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file; review and refresh with -update", name)
	}
}

func TestSubjectAndHeaders(t *testing.T) {
	e := loadEdition(t)
	cases := []struct {
		name        string
		template    string
		unsubscribe string
		wantSubject string
		wantUnsub   string
		wantPost    string
	}{
		{"custom template", "[{{.Digest}} #{{.Number}}] {{.Title}} ({{.Count}})", "", "[daily #12] Daily Tidings (4)", "", ""},
		{"newlines removed", "{{.Title}}\r\nBcc: evil@example.com", "", "Daily Tidings Bcc: evil@example.com", "", ""},
		{"mailto unsubscribe has no one-click", "", "mailto:leave@example.org?subject=unsubscribe", "Daily Tidings — 26 Nov 2026: 4 stories", "<mailto:leave@example.org?subject=unsubscribe>", ""},
		{"long non-ascii subject", strings.Repeat("Ünïcödé ", 20), "", strings.TrimSpace(strings.Repeat("Ünïcödé ", 20)), "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := testOptions()
			o.SubjectTemplate, o.Unsubscribe = c.template, c.unsubscribe
			raw, err := tmail.BuildMessage(e, "bob@example.com", o)
			if err != nil {
				t.Fatal(err)
			}
			p := parseMessage(t, raw)
			if p.subject != c.wantSubject {
				t.Errorf("subject %q, want %q", p.subject, c.wantSubject)
			}
			if got := p.msg.Header.Get("List-Unsubscribe"); got != c.wantUnsub {
				t.Errorf("List-Unsubscribe %q, want %q", got, c.wantUnsub)
			}
			if got := p.msg.Header.Get("List-Unsubscribe-Post"); got != c.wantPost {
				t.Errorf("List-Unsubscribe-Post %q, want %q", got, c.wantPost)
			}
			if p.msg.Header.Get("Bcc") != "" {
				t.Error("a Bcc header was injected")
			}
		})
	}
}

func TestOptionsValidate(t *testing.T) {
	cases := []struct {
		name string
		o    tmail.Options
		ok   bool
	}{
		{"defaults", tmail.Options{}, true},
		{"bad template", tmail.Options{SubjectTemplate: "{{.Title"}, false},
		{"unknown field", tmail.Options{SubjectTemplate: "{{.Titel}}"}, false},
		{"relative base", tmail.Options{BaseURL: "/news/"}, false},
		{"ftp unsubscribe", tmail.Options{Unsubscribe: "ftp://x.example/"}, false},
		{"bad from", tmail.Options{From: "not an address"}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := c.o.Validate(); (err == nil) != c.ok {
				t.Errorf("Validate() = %v, want ok=%v", err, c.ok)
			}
		})
	}
}

func TestNoBaseURLLinksToOriginals(t *testing.T) {
	o := testOptions()
	o.BaseURL = ""
	raw, err := tmail.BuildMessage(loadEdition(t), "bob@example.com", o)
	if err != nil {
		t.Fatal(err)
	}
	p := parseMessage(t, raw)
	checkEquivalent(t, p)
	if strings.Contains(p.htm, "/items/") {
		t.Error("links to item pages without a base URL")
	}
	if !strings.Contains(p.htm, `href="https://github.com/example/zvv-trams"`) {
		t.Error("story does not link to its original URL")
	}
	if got := p.msg.Header.Get("List-Id"); got != `"Daily Tidings" <daily.example.org>` {
		t.Errorf("List-Id %q, want the From domain as namespace", got)
	}
}

func TestHTMLBudget(t *testing.T) {
	cases := []struct {
		name     string
		stories  int
		budget   int
		inlined  string // article text inlined for "all", "some" or "none" of the stories
		complete bool   // every story is in the message
	}{
		{"small edition inlines articles", 5, 0, "all", true},
		{"80 long stories inline only what fits", 80, 0, "some", true},
		{"tiny budget leaves the tail to the web", 80, 20000, "none", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := bigEdition(c.stories)
			o := testOptions()
			o.MaxHTMLBytes = c.budget
			raw, err := tmail.BuildMessage(e, "bob@example.com", o)
			if err != nil {
				t.Fatal(err)
			}
			p := parseMessage(t, raw)
			budget := c.budget
			if budget == 0 {
				budget = 90000
			}
			if p.htmWire > budget {
				t.Errorf("html part %d bytes as sent, budget %d", p.htmWire, budget)
			}
			t.Logf("html part %d bytes as sent (%d decoded), message %d bytes", p.htmWire, len(p.htm), len(raw))
			checkEquivalent(t, p)
			n := len(h3RE.FindAllString(p.htm, -1))
			inlined := "some"
			switch strings.Count(p.htm, "Original Article") {
			case 0:
				inlined = "none"
			case n:
				inlined = "all"
			}
			if inlined != c.inlined {
				t.Errorf("article text inlined for %s of the stories, want %s", inlined, c.inlined)
			}
			if complete := n == e.Count(); complete != c.complete {
				t.Errorf("%d of %d stories shown; complete=%v, want %v", n, e.Count(), complete, c.complete)
			}
			if !c.complete && !strings.Contains(p.text, "More in this edition:") {
				t.Error("text part does not say stories were left out")
			}
		})
	}
}

func FuzzBuildMessage(f *testing.F) {
	e := loadEdition(f)
	f.Add(e.Title, e.Sections[0].Entries[1].Title, e.Sections[0].Entries[0].TLDR, "alice@example.com")
	f.Add("Tidings\r\nBcc: x@y", "=?utf-8?q?x?=", "\x00\xff", "Bob <bob@example.com>")
	f.Fuzz(func(t *testing.T, title, story, tldr, rcpt string) {
		e := loadEdition(t)
		e.Title = title
		e.Sections[0].Entries[0].Title = story
		e.Sections[0].Entries[0].TLDR = tldr
		raw, err := tmail.BuildMessage(e, rcpt, testOptions())
		if err != nil {
			return // bad recipient addresses are refused
		}
		m, err := mail.ReadMessage(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("unreadable message: %v", err)
		}
		for k := range m.Header {
			switch k {
			case "From", "To", "Subject", "Date", "Message-Id", "List-Id", "List-Unsubscribe",
				"List-Unsubscribe-Post", "List-Archive", "Auto-Submitted", "X-Auto-Response-Suppress",
				"Mime-Version", "Content-Type":
			default:
				t.Fatalf("unexpected header %q", k)
			}
		}
		if to, err := m.Header.AddressList("To"); err != nil || len(to) != 1 {
			t.Fatalf("To %v (%v), want exactly one address", to, err)
		}
	})
}
