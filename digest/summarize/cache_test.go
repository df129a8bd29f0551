package summarize

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/tidings/tidings"
)

// memCache is the in-memory Cache the tests use (the real one is bbolt).
type memCache struct {
	mu      sync.Mutex
	m       map[string]tidings.Summary
	gets    int
	failGet bool
	failPut bool
}

func newMemCache() *memCache { return &memCache{m: map[string]tidings.Summary{}} }

func (c *memCache) CachedSummary(key string) (tidings.Summary, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gets++
	if c.failGet {
		return tidings.Summary{}, false, errors.New("disk on fire")
	}
	s, ok := c.m[key]
	return s, ok, nil
}

func (c *memCache) PutSummary(key string, s tidings.Summary) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.failPut {
		return errors.New("disk full")
	}
	c.m[key] = s
	return nil
}

func (c *memCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}

// countingSummarizer counts calls and returns a fixed summary.
type countingSummarizer struct {
	mu    sync.Mutex
	calls int
	err   error
}

func (s *countingSummarizer) Summarize(ctx context.Context, title, text string) (tidings.Summary, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if s.err != nil {
		return tidings.Summary{}, s.err
	}
	return tidings.Summary{TLDR: "Fallback for " + title + ".", Engine: EngineExtractive}, nil
}

func (s *countingSummarizer) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

func TestCacheKey(t *testing.T) {
	a := CacheKey("e", "ab", "c")
	if a == CacheKey("e", "a", "bc") || a == CacheKey("f", "ab", "c") || a != CacheKey("e", "ab", "c") {
		t.Error("cache keys must differ by engine, title and text, and be stable")
	}
	if len(a) != 64 {
		t.Errorf("got key %q, want 64 hex digits", a)
	}
}

func TestCached(t *testing.T) {
	ctx := context.Background()
	t.Run("same text is summarized once", func(t *testing.T) {
		inner, cache := &countingSummarizer{}, newMemCache()
		c := Cached(inner, cache)
		for range 3 {
			if s, err := c.Summarize(ctx, "T", "text"); err != nil || s.TLDR == "" {
				t.Fatalf("got %+v, %v", s, err)
			}
		}
		c.Summarize(ctx, "T", "other text")
		if inner.count() != 2 || cache.len() != 2 {
			t.Errorf("got %d calls and %d cached, want 2 and 2", inner.count(), cache.len())
		}
	})
	t.Run("extractive engine id in the key", func(t *testing.T) {
		cache := newMemCache()
		Cached(NewExtractive(nil), cache).Summarize(ctx, "T", "Some text to summarize here.")
		if _, ok := cache.m[CacheKey(NewExtractive(nil).EngineID(), "T", "Some text to summarize here.")]; !ok {
			t.Error("summary not cached under the engine's id")
		}
	})
	t.Run("cache failures do not fail summaries", func(t *testing.T) {
		inner, cache := &countingSummarizer{}, newMemCache()
		cache.failGet, cache.failPut = true, true
		if s, err := Cached(inner, cache).Summarize(ctx, "T", "x"); err != nil || s.TLDR == "" {
			t.Errorf("got %+v, %v", s, err)
		}
	})
	t.Run("errors are not cached", func(t *testing.T) {
		inner, cache := &countingSummarizer{err: errors.New("boom")}, newMemCache()
		if _, err := Cached(inner, cache).Summarize(ctx, "T", "x"); err == nil {
			t.Error("got nil error")
		}
		if cache.len() != 0 {
			t.Error("an error was cached")
		}
	})
}
