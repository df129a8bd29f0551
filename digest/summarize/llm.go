package summarize

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/tidings/tidings"
)

// LLMConfig configures the LLM engine. Zero values take the defaults noted.
type LLMConfig struct {
	BaseURL       string        // e.g. "http://localhost:11434/v1"; requests go to BaseURL + "/chat/completions"
	Model         string        // required
	APIKey        string        // sent as a bearer token when set (cmd reads it from api_key_env)
	Timeout       time.Duration // per attempt; default 60s
	MaxAttempts   int           // attempts per article, retries included; default 3
	Concurrency   int           // requests in flight at once; default 2
	DailyTokens   int           // token budget per local day; 0 = unlimited
	MaxInputChars int           // article text sent at most; default 24000
	MaxTokens     int           // max_tokens of the completion; default 800
	BackoffBase   time.Duration // first retry delay before jitter; default 1s
	MaxBackoff    time.Duration // cap of a retry delay, Retry-After included; default 30s
	HTTPClient    *http.Client  // default: a client without its own timeout (attempts have one)
	Now           func() time.Time
	// Sleep waits between attempts; tests replace it. Default: a timer that
	// stops early when ctx is done.
	Sleep func(ctx context.Context, d time.Duration) error
}

// LLM summarizes with an OpenAI-compatible chat-completions endpoint and
// falls back to another engine on any failure. It is safe for concurrent
// use.
type LLM struct {
	cfg      LLMConfig
	endpoint string
	fallback Summarizer
	cache    Cache
	log      *slog.Logger
	sem      chan struct{}

	mu     sync.Mutex
	day    string // the budget's day, "2006-01-02" in Now's location
	used   int    // tokens used or reserved that day
	warned bool   // budget exhaustion logged once a day
}

// NewLLM returns the LLM engine. fallback makes the summary whenever the
// endpoint cannot (it may be nil: failures are then returned); cache may be
// nil; log may be nil.
func NewLLM(cfg LLMConfig, fallback Summarizer, cache Cache, log *slog.Logger) (*LLM, error) {
	u, err := url.Parse(strings.TrimSpace(cfg.BaseURL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("llm base_url %q: want an http(s) URL such as http://localhost:11434/v1", cfg.BaseURL)
	}
	if strings.TrimSpace(cfg.Model) == "" {
		return nil, errors.New("llm model is empty")
	}
	if cfg.Concurrency < 0 || cfg.DailyTokens < 0 || cfg.MaxAttempts < 0 {
		return nil, errors.New("llm concurrency, daily_tokens and attempts must not be negative")
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&cfg.Timeout, 60*time.Second)
	def(&cfg.BackoffBase, time.Second)
	def(&cfg.MaxBackoff, 30*time.Second)
	if cfg.MaxAttempts == 0 {
		cfg.MaxAttempts = 3
	}
	if cfg.Concurrency == 0 {
		cfg.Concurrency = 2
	}
	if cfg.MaxInputChars <= 0 {
		cfg.MaxInputChars = 24000
	}
	if cfg.MaxTokens <= 0 {
		cfg.MaxTokens = 800
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Sleep == nil {
		cfg.Sleep = sleepCtx
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &LLM{
		cfg:      cfg,
		endpoint: strings.TrimRight(u.String(), "/") + "/chat/completions",
		fallback: fallback,
		cache:    cache,
		log:      log.With("model", cfg.Model),
		sem:      make(chan struct{}, cfg.Concurrency),
	}, nil
}

// EngineID names the engine and prompt version in cache keys.
func (l *LLM) EngineID() string { return "llm:" + l.cfg.Model + "/1" }

// Engine is the value recorded in Summary.Engine.
func (l *LLM) Engine() string { return "llm:" + l.cfg.Model }

// Summarize returns the cached summary of this text, or asks the endpoint,
// or — on any failure, an exhausted budget or an empty text — the fallback.
func (l *LLM) Summarize(ctx context.Context, title, text string) (tidings.Summary, error) {
	key := CacheKey(l.EngineID(), title, text)
	if l.cache != nil {
		if s, ok, err := l.cache.CachedSummary(key); err != nil {
			l.log.Warn("summary cache read", "err", err)
		} else if ok {
			return s, nil
		}
	}
	s, err := l.ask(ctx, title, text)
	if err == nil {
		if l.cache != nil {
			if err := l.cache.PutSummary(key, s); err != nil {
				l.log.Warn("summary cache write", "err", err)
			}
		}
		return s, nil
	}
	if ctx.Err() != nil {
		return tidings.Summary{}, ctx.Err()
	}
	if l.fallback == nil {
		return tidings.Summary{}, err
	}
	if !errors.Is(err, errSkipped) {
		l.log.Warn("llm summary failed, using fallback", "title", title, "err", err)
	}
	return l.fallback.Summarize(ctx, title, text)
}

// errSkipped marks texts not sent on purpose (empty, over budget).
var errSkipped = errors.New("llm skipped")

// errBudget reports an exhausted daily token budget.
var errBudget = fmt.Errorf("%w: daily token budget exhausted", errSkipped)

func (l *LLM) ask(ctx context.Context, title, text string) (tidings.Summary, error) {
	if strings.TrimSpace(text) == "" {
		return tidings.Summary{}, fmt.Errorf("%w: empty text", errSkipped)
	}
	body, estimate := l.request(title, text)
	if !l.reserve(estimate) {
		return tidings.Summary{}, errBudget
	}
	select {
	case l.sem <- struct{}{}:
	case <-ctx.Done():
		l.settle(estimate, 0)
		return tidings.Summary{}, ctx.Err()
	}
	defer func() { <-l.sem }()

	var lastErr error
	for attempt := 0; attempt < l.cfg.MaxAttempts; attempt++ {
		if attempt > 0 {
			if err := l.cfg.Sleep(ctx, l.delay(attempt, lastErr)); err != nil {
				l.settle(estimate, 0)
				return tidings.Summary{}, err
			}
		}
		out, tokens, err := l.post(ctx, body)
		if err == nil {
			l.settle(estimate, tokensOr(tokens, estimate))
			s, err := parseLLMOutput(out)
			if err != nil {
				return tidings.Summary{}, err // the model answered: retrying costs tokens for a likely repeat
			}
			s.Engine = l.Engine()
			s.ReadingMinutes = readingMinutes(countWords(text))
			return s, nil
		}
		lastErr = err
		if ctx.Err() != nil || !retryable(err) {
			break
		}
		l.log.Debug("llm attempt failed", "attempt", attempt+1, "err", err)
	}
	l.settle(estimate, 0)
	return tidings.Summary{}, lastErr
}

func tokensOr(n, estimate int) int {
	if n > 0 {
		return n
	}
	return estimate
}

// reserve books estimate tokens of today's budget, resetting it at local
// midnight. Reserving before the request keeps concurrent requests from
// overshooting together.
func (l *LLM) reserve(estimate int) bool {
	if l.cfg.DailyTokens == 0 {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if day := l.cfg.Now().Format(time.DateOnly); day != l.day {
		l.day, l.used, l.warned = day, 0, false
	}
	if l.used+estimate > l.cfg.DailyTokens {
		if !l.warned {
			l.warned = true
			l.log.Warn("llm daily token budget exhausted, using fallback until midnight", "daily_tokens", l.cfg.DailyTokens, "used", l.used)
		}
		return false
	}
	l.used += estimate
	return true
}

// settle replaces a reservation by what the request really used.
func (l *LLM) settle(reserved, actual int) {
	if l.cfg.DailyTokens == 0 {
		return
	}
	l.mu.Lock()
	l.used += actual - reserved
	l.used = max(l.used, 0)
	l.mu.Unlock()
}

// TokensUsed reports the tokens counted against today's budget.
func (l *LLM) TokensUsed() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cfg.Now().Format(time.DateOnly) != l.day {
		return 0
	}
	return l.used
}

const systemPrompt = `You write entries for an edited tech newsletter. Reply with one JSON object and nothing else:
{"tldr": string, "key_points": [string], "glossary": [{"term": string, "definition": string}]}
- tldr: one sentence under 200 characters saying who did what and why it matters; keep the key number.
- key_points: 3 to 10 terse factual bullets in article order, keeping numbers and names; [] for short articles of one or two paragraphs.
- glossary: up to 6 jargon terms or acronyms the article uses, each with a plain-language definition; [] if none.
Use only facts stated in the article.`

type chatMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// request builds the request body and estimates its token cost (about four
// characters a token, plus the completion's maximum).
func (l *LLM) request(title, text string) ([]byte, int) {
	text = cleanArticle(text)
	if utf8.RuneCountInString(text) > l.cfg.MaxInputChars {
		text = string([]rune(text)[:l.cfg.MaxInputChars])
	}
	user := "Title: " + title + "\n\nArticle:\n" + text
	body, _ := json.Marshal(map[string]any{ // a map of strings and numbers cannot fail to marshal
		"model":           l.cfg.Model,
		"temperature":     0.2,
		"max_tokens":      l.cfg.MaxTokens,
		"response_format": map[string]string{"type": "json_object"},
		"messages":        []chatMessage{{"system", systemPrompt}, {"user", user}},
	})
	est := (utf8.RuneCountInString(systemPrompt)+utf8.RuneCountInString(user))/4 + l.cfg.MaxTokens
	return body, est
}

// httpStatusError is a non-2xx answer.
type httpStatusError struct {
	status     int
	retryAfter time.Duration
	body       string
}

func (e *httpStatusError) Error() string {
	return fmt.Sprintf("llm endpoint: status %d: %s", e.status, e.body)
}

// timeoutError is an attempt that ran out of its time.
type timeoutError struct{ after time.Duration }

func (e timeoutError) Error() string {
	return fmt.Sprintf("llm endpoint: no answer within %s", e.after)
}

func retryable(err error) bool {
	var he *httpStatusError
	if errors.As(err, &he) {
		return he.status == http.StatusTooManyRequests || he.status >= 500
	}
	var te timeoutError
	if errors.As(err, &te) {
		return true
	}
	var ne interface{ Timeout() bool }
	if errors.As(err, &ne) {
		return true
	}
	// Connection refused or reset: the server may be restarting.
	return !errors.Is(err, errBadResponse)
}

var errBadResponse = errors.New("llm endpoint: bad response")

// post sends one attempt and returns the message content and the tokens
// used.
func (l *LLM) post(ctx context.Context, body []byte) (string, int, error) {
	actx, cancel := context.WithTimeout(ctx, l.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, l.endpoint, bytes.NewReader(body))
	if err != nil {
		return "", 0, fmt.Errorf("%w: %v", errBadResponse, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if l.cfg.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+l.cfg.APIKey)
	}
	resp, err := l.cfg.HTTPClient.Do(req)
	if err != nil {
		if actx.Err() != nil && ctx.Err() == nil {
			return "", 0, timeoutError{l.cfg.Timeout}
		}
		return "", 0, fmt.Errorf("llm endpoint: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		if actx.Err() != nil && ctx.Err() == nil {
			return "", 0, timeoutError{l.cfg.Timeout}
		}
		return "", 0, fmt.Errorf("llm endpoint: read: %w", err)
	}
	if resp.StatusCode/100 != 2 {
		return "", 0, &httpStatusError{
			status:     resp.StatusCode,
			retryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), l.cfg.Now()),
			body:       clip(strings.TrimSpace(string(raw)), 200),
		}
	}
	var cr struct {
		Choices []struct {
			Message struct {
				Content string `json:"content"`
			} `json:"message"`
		} `json:"choices"`
		Usage *struct {
			TotalTokens int `json:"total_tokens"`
		} `json:"usage"`
	}
	if err := json.Unmarshal(raw, &cr); err != nil {
		return "", 0, fmt.Errorf("%w: %v", errBadResponse, err)
	}
	if len(cr.Choices) == 0 {
		return "", 0, fmt.Errorf("%w: no choices", errBadResponse)
	}
	tokens := 0
	if cr.Usage != nil {
		tokens = cr.Usage.TotalTokens
	}
	if tokens == 0 {
		tokens = (len(body) + len(cr.Choices[0].Message.Content)) / 4
	}
	return cr.Choices[0].Message.Content, tokens, nil
}

// delay is the wait before the given retry: the server's Retry-After when
// it sent one, else exponential backoff with jitter; both capped.
func (l *LLM) delay(attempt int, lastErr error) time.Duration {
	var he *httpStatusError
	if errors.As(lastErr, &he) && he.retryAfter > 0 {
		return min(he.retryAfter, l.cfg.MaxBackoff)
	}
	d := l.cfg.BackoffBase << (attempt - 1)
	if d <= 0 || d > l.cfg.MaxBackoff {
		d = l.cfg.MaxBackoff
	}
	// Equal jitter: half fixed, half random, so clients spread out.
	return d/2 + rand.N(d/2+1)
}

// parseRetryAfter reads delta-seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0)
	}
	return 0
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// parseLLMOutput reads the model's JSON (tolerating ``` fences and text
// around the object) and validates it.
func parseLLMOutput(content string) (tidings.Summary, error) {
	c := strings.TrimSpace(content)
	if i := strings.Index(c, "```"); i >= 0 {
		rest := c[i+3:]
		if nl := strings.IndexByte(rest, '\n'); nl >= 0 {
			rest = rest[nl+1:] // drop the info string ("json")
		}
		if j := strings.LastIndex(rest, "```"); j >= 0 {
			rest = rest[:j]
		}
		c = rest
	}
	i, j := strings.IndexByte(c, '{'), strings.LastIndexByte(c, '}')
	if i < 0 || j < i {
		return tidings.Summary{}, fmt.Errorf("%w: no JSON object in %q", errBadResponse, clip(content, 80))
	}
	var out struct {
		TLDR      string   `json:"tldr"`
		KeyPoints []string `json:"key_points"`
		Glossary  []struct {
			Term       string `json:"term"`
			Definition string `json:"definition"`
		} `json:"glossary"`
	}
	if err := json.Unmarshal([]byte(c[i:j+1]), &out); err != nil {
		return tidings.Summary{}, fmt.Errorf("%w: %v", errBadResponse, err)
	}
	s := tidings.Summary{TLDR: strings.TrimSpace(out.TLDR)}
	switch n := utf8.RuneCountInString(s.TLDR); {
	case n == 0:
		return s, fmt.Errorf("%w: empty tldr", errBadResponse)
	case n > 300:
		return s, fmt.Errorf("%w: tldr of %d characters", errBadResponse, n)
	case n > maxTLDR:
		if t, ok := fitSentence(s.TLDR, maxTLDR); ok {
			s.TLDR = t // models overshoot a little; trim as the extractive engine does
		}
	}
	if len(out.KeyPoints) > 15 || len(out.Glossary) > 12 {
		return s, fmt.Errorf("%w: %d key points, %d glossary terms", errBadResponse, len(out.KeyPoints), len(out.Glossary))
	}
	for _, p := range out.KeyPoints {
		p = strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(p), "-•* "))
		if p == "" {
			continue
		}
		if utf8.RuneCountInString(p) > 500 {
			return s, fmt.Errorf("%w: key point of %d characters", errBadResponse, utf8.RuneCountInString(p))
		}
		s.KeyPoints = append(s.KeyPoints, p)
	}
	for _, g := range out.Glossary {
		t, d := strings.TrimSpace(g.Term), strings.TrimSpace(g.Definition)
		if t == "" || d == "" || utf8.RuneCountInString(t) > 80 || utf8.RuneCountInString(d) > 400 {
			continue // one bad entry does not spoil the summary
		}
		s.Glossary = append(s.Glossary, tidings.Term{Term: t, Definition: d})
	}
	return s, nil
}
