package publish

import (
	"bytes"
	"context"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tidings/tidings"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from %s (run go test -update and review the diff)\n got:\n%s", name, path, got)
	}
}

// goldenEdition is small but has every part: kinds, deep dive, decoder,
// article text, the fallback, several sources and hostile text.
func goldenEdition() tidings.Edition {
	e := sampleEdition("daily", 7, 4, 0)
	e.Description = "Four stories & one *odd* one."
	h := hostileEntry("mixed", "R&D ]]> 🚀 مرحبا <b>x</b> # not a heading\x01", 42)
	h.Sources = append(h.Sources, tidings.Source{Title: "Second (feed)", URL: "https://other.example.net/a b"})
	e.Sections[0].Entries = append(e.Sections[0].Entries, h)
	return e
}

func TestGoldenText(t *testing.T) {
	for _, c := range []struct {
		name string
		f    func(w io.Writer, e tidings.Edition, o TextOptions) error
		opts TextOptions
	}{
		{"edition.txt", RenderText, TextOptions{BaseURL: testBase}},
		{"edition-scores.txt", RenderText, TextOptions{Scores: true}},
		{"edition.md", RenderMarkdown, TextOptions{BaseURL: testBase}},
		{"edition-scores.md", RenderMarkdown, TextOptions{Scores: true}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := c.f(&b, goldenEdition(), c.opts); err != nil {
				t.Fatal(err)
			}
			golden(t, c.name, b.Bytes())
		})
	}
}

func TestGoldenFeeds(t *testing.T) {
	in := sampleInput(0, 0)
	in.Editions["daily"] = []tidings.Edition{sampleEdition("daily", 6, 2, 100), goldenEdition()}
	in.Digests[0].Hubs = []string{"https://hub.example.org/"}
	dir := publishInput(t, in)
	for _, f := range feedFiles {
		t.Run(f, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join(dir, "daily", f))
			if err != nil {
				t.Fatal(err)
			}
			// The generator names the build; keep goldens independent of it.
			b = bytes.ReplaceAll(b, []byte("Tidings "+tidings.Version), []byte("Tidings VERSION"))
			golden(t, "feed-"+strings.ReplaceAll(f, ".", "-"), b)
		})
	}
}

// TestTextAnatomy checks the parts digest-format.md asks for, independent of
// the goldens.
func TestTextAnatomy(t *testing.T) {
	e := goldenEdition()
	var b bytes.Buffer
	if err := RenderText(&b, e, TextOptions{Scores: true}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"Story 0: Postgres 18 ships asynchronous I/O (GitHub Repo)\n", "\nSummary\nDeep Dive\n- Async I/O uses io_uring on Linux\n",
		"Decoder\n- io_uring: Linux interface for asynchronous system calls\n", "Original Article\nParagraph one of story 0.\n\nDetails\n",
		"Original Article\n" + fallbackText + "\n", "Score: 0.50 (covered by 1 feed; fresh)"} {
		if !strings.Contains(out, want) {
			t.Errorf("text lacks %q", want)
		}
	}
	// Item boundaries: every title starts after a blank line.
	for _, s := range e.Sections {
		for _, en := range s.Entries {
			if !strings.Contains(out, "\n\n"+entryTitle(cleanEntry(en))+"\n") {
				t.Errorf("title %q not on its own line after a blank line", en.Title)
			}
		}
	}
	var m bytes.Buffer
	if err := RenderMarkdown(&m, e, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(m.String(), "\n# not a heading") || strings.Contains(m.String(), "<b>") {
		t.Errorf("markdown lets feed text become markup:\n%s", m.String())
	}
	_ = time.Second
	_ = context.Background
}
