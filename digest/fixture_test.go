package digest

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tidings/tidings"
)

// fixture is testdata/stories.json: feeds and items of one day as several
// real feeds would carry them, each item labelled with the story it tells.
type fixture struct {
	Window struct {
		From time.Time `json:"from"`
		To   time.Time `json:"to"`
	} `json:"window"`
	Feeds []tidings.Feed `json:"feeds"`
	Items []struct {
		tidings.Item
		Story string `json:"story"`
	} `json:"items"`
}

func loadFixture(t testing.TB) fixture { return loadFixtureFile(t, "testdata/stories.json") }

// loadFixtureFile reads a fixture in the format of testdata/stories.json.
func loadFixtureFile(t testing.TB, path string) fixture {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var fx fixture
	if err := json.Unmarshal(b, &fx); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return fx
}

// input returns the fixture's window and the items with the given ids (all
// when none are given).
func (fx fixture) input(ids ...string) Input {
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	in := Input{Feeds: fx.Feeds, From: fx.Window.From, To: fx.Window.To, Slot: fx.Window.To}
	for _, it := range fx.Items {
		if len(ids) == 0 || want[it.ID] {
			in.Items = append(in.Items, it.Item)
		}
	}
	return in
}

func (fx fixture) story(id string) string {
	for _, it := range fx.Items {
		if it.ID == id {
			return it.Story
		}
	}
	return ""
}

func (fx fixture) item(t testing.TB, id string) tidings.Item {
	t.Helper()
	for _, it := range fx.Items {
		if it.ID == id {
			return it.Item
		}
	}
	t.Fatalf("no item %s in fixture", id)
	return tidings.Item{}
}

// fakeSummarizer is a cheap, deterministic stand-in for digest/summarize:
// the TL;DR is the title, and titles listed in fail make it fail.
type fakeSummarizer struct {
	fail map[string]bool

	mu    sync.Mutex
	calls []string
}

func (f *fakeSummarizer) Summarize(ctx context.Context, title, text string) (tidings.Summary, error) {
	if err := ctx.Err(); err != nil {
		return tidings.Summary{}, err
	}
	f.mu.Lock()
	f.calls = append(f.calls, title)
	f.mu.Unlock()
	if f.fail[title] {
		return tidings.Summary{}, errors.New("model overloaded")
	}
	n := strings.Count(text, " ") + 1
	return tidings.Summary{
		TLDR:           "TLDR: " + title,
		KeyPoints:      []string{"point one", "point two"},
		ReadingMinutes: n/230 + 1,
		Engine:         "fake",
	}, nil
}

func fixedNow() time.Time { return time.Date(2026, 11, 26, 7, 0, 5, 0, time.UTC) }

func mustRule(t testing.TB, spec RuleSpec) Rule {
	t.Helper()
	r, err := CompileRule(spec)
	if err != nil {
		t.Fatalf("CompileRule(%+v): %v", spec, err)
	}
	return r
}
