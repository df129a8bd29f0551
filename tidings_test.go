package tidings

import (
	"regexp"
	"testing"
	"time"
)

func TestNewFeedIDStable(t *testing.T) {
	tests := []struct {
		name string
		a, b string
		same bool
	}{
		{"same url", "https://example.org/feed.xml", "https://example.org/feed.xml", true},
		{"surrounding space ignored", " https://example.org/feed.xml\n", "https://example.org/feed.xml", true},
		{"different url", "https://example.org/feed.xml", "https://example.org/atom.xml", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := NewFeedID(tt.a), NewFeedID(tt.b)
			if a == 0 || b == 0 {
				t.Fatalf("got zero id (%d, %d); zero means unassigned", a, b)
			}
			if (a == b) != tt.same {
				t.Errorf("got ids %d and %d, want same=%v", a, b, tt.same)
			}
		})
	}
}

func TestItemIDIsStableAndSafe(t *testing.T) {
	id := ItemID(42, "urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a")
	// Published page names and feed ids depend on this value never changing.
	if want := ItemID(42, "urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a"); id != want {
		t.Errorf("got %q then %q, want the same id twice", id, want)
	}
	if !regexp.MustCompile(`^[0-9a-f]{20}$`).MatchString(id) {
		t.Errorf("got %q, want 20 lower-case hex digits (a safe file name)", id)
	}
	if ItemID(43, "urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a") == id {
		t.Error("got the same id for another feed's item with the same identity")
	}
}

func TestEditionCount(t *testing.T) {
	e := Edition{Sections: []Section{{Entries: make([]Entry, 3)}, {}, {Entries: make([]Entry, 2)}}}
	if got := e.Count(); got != 5 {
		t.Errorf("got %d, want 5", got)
	}
}

func TestFeedStateHealthy(t *testing.T) {
	now := time.Now()
	tests := []struct {
		name  string
		state FeedState
		want  bool
	}{
		{"never polled", FeedState{}, true},
		{"ok", FeedState{LastSuccess: now}, true},
		{"failing", FeedState{ErrorCount: 2, LastError: "timeout"}, false},
		{"gone", FeedState{Disabled: true}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.state.Healthy(); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}
