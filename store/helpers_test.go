package store

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/tidings/tidings"
)

var t0 = time.Date(2026, 3, 1, 7, 0, 0, 0, time.UTC)

// openTest opens a fresh database in t.TempDir() and, at cleanup, checks
// its consistency and closes it.
func openTest(t testing.TB) *DB {
	t.Helper()
	return openAt(t, filepath.Join(t.TempDir(), "data", "tidings.db"))
}

func openAt(t testing.TB, path string) *DB {
	t.Helper()
	db, err := Open(path, Options{NoSync: true, Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Check(); err != nil {
			t.Errorf("Check: %v", err)
		}
		db.Close()
	})
	return db
}

// txID is the id of the last committed write transaction: it changes iff
// something was committed.
func txID(t testing.TB, db *DB) int {
	t.Helper()
	var id int
	if err := db.bolt.View(func(tx *bbolt.Tx) error { id = tx.ID(); return nil }); err != nil {
		t.Fatal(err)
	}
	return id
}

func addFeed(t testing.TB, db *DB, url string) tidings.Feed {
	t.Helper()
	f, err := db.AddFeed(tidings.Feed{URL: url, Title: "Feed " + url})
	if err != nil {
		t.Fatalf("AddFeed(%s): %v", url, err)
	}
	return f
}

// item makes an item with the given identity and body.
func item(identity, body string) tidings.Item {
	sum := sha256.Sum256([]byte(body))
	return tidings.Item{
		Identity:    identity,
		URL:         "https://example.org/posts/" + identity,
		Title:       "Post " + identity,
		Content:     "<p>" + body + "</p>",
		Text:        body,
		ContentHash: hex.EncodeToString(sum[:]),
	}
}

func poll(t testing.TB, db *DB, f tidings.Feed, now time.Time, items ...tidings.Item) tidings.PollResult {
	t.Helper()
	f.State.LastCheck = now
	res, err := db.SavePoll(f, items, now)
	if err != nil {
		t.Fatalf("SavePoll: %v", err)
	}
	return res
}

// prose writes realistic-looking English: Zipf-distributed words from a
// common-word list and a larger generated lexicon of rarer words, in
// sentences and paragraphs, with some inline markup in the HTML form. Its
// DEFLATE ratio on plain text (about 2.7x) is close to real English prose,
// so the size measurements mean something; random bytes would not.
type prose struct {
	r      *rand.Rand
	common *rand.Zipf
	rare   *rand.Zipf
	words  []string
}

var commonWords = strings.Fields(`the of and to a in is that for it as was with be by on not he this are or his from at which
but have an they you were her she there been one all we their has would when if so no will more can out up who them some
could into other time than only its new like then also two may after first these way any most over should our about how
between where such because through each those well while many must before very through still own under back never same
another being both might here even during however without since against although data system software release version
security performance server users project team code open source network language model research memory storage support
feature change update build design problem results example company market price government report week year today public
people state city world work life number part case point group fact question right government company program information`)

func newProse(seed uint64) *prose {
	r := rand.New(rand.NewPCG(seed, 42))
	p := &prose{r: r}
	p.common = rand.NewZipf(r, 1.1, 2, uint64(len(commonWords)-1))
	syll := strings.Fields("ka ter mon ing tion al re de com pro ex in ver sta ble ment ous ly con ar ist ize ful ness ab tri ple gra phy cal lo")
	const lexicon = 6000
	p.words = make([]string, lexicon)
	for i := range p.words {
		n := 2 + r.IntN(3)
		var b strings.Builder
		for range n {
			b.WriteString(syll[r.IntN(len(syll))])
		}
		p.words[i] = b.String()
	}
	p.rare = rand.NewZipf(r, 1.05, 4, lexicon-1)
	return p
}

func (p *prose) word() string {
	if p.r.IntN(100) < 62 {
		return commonWords[p.common.Uint64()]
	}
	return p.words[p.rare.Uint64()]
}

// paragraph returns one paragraph as plain text and as HTML.
func (p *prose) paragraph() (text, html string) {
	var t, h strings.Builder
	sentences := 2 + p.r.IntN(5)
	for s := range sentences {
		if s > 0 {
			t.WriteByte(' ')
			h.WriteByte(' ')
		}
		n := 6 + p.r.IntN(20)
		for i := range n {
			w := p.word()
			if i == 0 {
				w = strings.ToUpper(w[:1]) + w[1:]
			} else {
				t.WriteByte(' ')
				h.WriteByte(' ')
			}
			switch k := p.r.IntN(60); {
			case k == 0:
				fmt.Fprintf(&h, `<a href="https://%s.example.com/%s/%d">%s</a>`, p.word(), p.word(), p.r.IntN(100000), w)
			case k == 1:
				h.WriteString("<em>" + w + "</em>")
			case k == 2:
				h.WriteString("<code>" + w + "()</code>")
				w += "()"
			default:
				h.WriteString(w)
			}
			t.WriteString(w)
			if i < n-1 && p.r.IntN(9) == 0 {
				t.WriteByte(',')
				h.WriteByte(',')
			}
		}
		t.WriteByte('.')
		h.WriteByte('.')
	}
	return t.String(), "<p>" + h.String() + "</p>"
}

// article makes an item whose HTML Content is about size bytes, with the
// plain Text of the same paragraphs and the first paragraph as Summary.
func (p *prose) article(identity string, size int) tidings.Item {
	var text, html []string
	n := 0
	for n < size || len(html) == 0 {
		if len(html) > 0 && p.r.IntN(6) == 0 {
			head := p.word() + " " + p.word() + " " + p.word()
			text = append(text, head)
			html = append(html, "<h2>"+head+"</h2>")
			n += len(head) + 9
		}
		t, h := p.paragraph()
		text = append(text, t)
		html = append(html, h)
		n += len(h) + 1
	}
	content := strings.Join(html, "\n")
	sum := sha256.Sum256([]byte(content))
	return tidings.Item{
		Identity:    "https://blog.example.com/" + identity,
		GUID:        "https://blog.example.com/" + identity,
		URL:         "https://blog.example.com/" + identity,
		Title:       strings.ToUpper(text[0][:1]) + text[0][1:min(70, len(text[0]))],
		Authors:     []string{"Jane Doe"},
		Categories:  []string{p.word(), p.word()},
		Lang:        "en",
		Published:   t0.Add(-time.Hour),
		Summary:     html[0],
		Content:     content,
		Text:        strings.Join(text, "\n\n"),
		ContentHash: hex.EncodeToString(sum[:]),
		FullText:    "extracted",
	}
}
