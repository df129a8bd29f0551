package summarize

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/tidings/tidings"
)

// Cache stores summaries by content hash; *store.DB implements it.
type Cache interface {
	CachedSummary(key string) (tidings.Summary, bool, error)
	PutSummary(key string, s tidings.Summary) error
}

// CacheKey is the content hash a summary is cached under: sha256 of the
// engine id, the title and the text.
func CacheKey(engineID, title, text string) string {
	h := sha256.New()
	for _, part := range []string{engineID, title, text} {
		fmt.Fprintf(h, "%d:", len(part)) // length-prefixed: no ambiguity between parts
		h.Write([]byte(part))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// identified is implemented by engines whose output depends on more than
// the input (model, glossary, method version).
type identified interface{ EngineID() string }

// CachedSummarizer wraps a Summarizer with a cache.
type CachedSummarizer struct {
	inner Summarizer
	cache Cache
	id    string
}

// Cached returns inner behind cache: a text it has summarized before is
// answered from the cache. The key includes inner's EngineID when it has
// one. Cache errors do not fail a summary: a failed read summarizes, a
// failed write still returns the result.
func Cached(inner Summarizer, cache Cache) *CachedSummarizer {
	id := fmt.Sprintf("%T", inner)
	if e, ok := inner.(identified); ok {
		id = e.EngineID()
	}
	return &CachedSummarizer{inner: inner, cache: cache, id: id}
}

// EngineID is the wrapped engine's id.
func (c *CachedSummarizer) EngineID() string { return c.id }

// Summarize answers from the cache or asks the wrapped engine and stores
// what it returns.
func (c *CachedSummarizer) Summarize(ctx context.Context, title, text string) (tidings.Summary, error) {
	key := CacheKey(c.id, title, text)
	if s, ok, err := c.cache.CachedSummary(key); err == nil && ok {
		return s, nil
	}
	s, err := c.inner.Summarize(ctx, title, text)
	if err != nil {
		return s, err
	}
	_ = c.cache.PutSummary(key, s) // best effort: the summary is still good
	return s, nil
}
