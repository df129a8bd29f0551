package summarize

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const goodContent = `{"tldr":"Acme cut costs by 40%.","key_points":["Costs fell 40%","3,000 customers"],"glossary":[{"term":"TCO","definition":"Total cost of ownership"}]}`

// reply is one scripted answer of the fake endpoint.
type reply struct {
	status     int
	content    string // message content; ignored when raw is set
	raw        string // whole body
	retryAfter string
	tokens     int
	block      bool // wait until the request is cancelled
}

// fakeLLM is an OpenAI-compatible endpoint that answers from a script (the
// last reply repeats) and records what it saw.
type fakeLLM struct {
	*httptest.Server
	mu       sync.Mutex
	script   []reply
	requests int
	bodies   []map[string]any
	auth     string
	inFlight atomic.Int32
	maxSeen  atomic.Int32
	hold     time.Duration
}

func newFakeLLM(t *testing.T, script ...reply) *fakeLLM {
	f := &fakeLLM{script: script}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeLLM) serve(w http.ResponseWriter, r *http.Request) {
	n := f.inFlight.Add(1)
	defer f.inFlight.Add(-1)
	for {
		m := f.maxSeen.Load()
		if n <= m || f.maxSeen.CompareAndSwap(m, n) {
			break
		}
	}
	if r.Method != http.MethodPost || r.URL.Path != "/v1/chat/completions" {
		http.Error(w, "wrong endpoint "+r.Method+" "+r.URL.Path, http.StatusNotFound)
		return
	}
	var body map[string]any
	b, _ := io.ReadAll(r.Body)
	json.Unmarshal(b, &body)
	f.mu.Lock()
	rep := f.script[min(f.requests, len(f.script)-1)]
	f.requests++
	f.bodies = append(f.bodies, body)
	f.auth = r.Header.Get("Authorization")
	hold := f.hold
	f.mu.Unlock()
	if rep.block {
		<-r.Context().Done()
		return
	}
	if hold > 0 {
		time.Sleep(hold) // lets concurrent requests overlap; no assertion depends on timing
	}
	if rep.retryAfter != "" {
		w.Header().Set("Retry-After", rep.retryAfter)
	}
	if rep.status != 0 && rep.status != http.StatusOK {
		http.Error(w, "scripted failure", rep.status)
		return
	}
	if rep.raw != "" {
		io.WriteString(w, rep.raw)
		return
	}
	resp := map[string]any{
		"choices": []any{map[string]any{"message": map[string]any{"role": "assistant", "content": rep.content}}},
	}
	if rep.tokens > 0 {
		resp["usage"] = map[string]any{"total_tokens": rep.tokens}
	}
	json.NewEncoder(w).Encode(resp)
}

func (f *fakeLLM) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests
}

// testLLM builds an engine against f with instant, recorded sleeps.
func testLLM(t *testing.T, f *fakeLLM, mod func(*LLMConfig)) (*LLM, *countingSummarizer, *[]time.Duration) {
	t.Helper()
	var mu sync.Mutex
	var sleeps []time.Duration
	cfg := LLMConfig{
		BaseURL: f.URL + "/v1/", Model: "test-model", APIKey: "sk-test",
		Timeout: 5 * time.Second, BackoffBase: 100 * time.Millisecond,
		Sleep: func(ctx context.Context, d time.Duration) error {
			mu.Lock()
			sleeps = append(sleeps, d)
			mu.Unlock()
			return ctx.Err()
		},
	}
	if mod != nil {
		mod(&cfg)
	}
	fb := &countingSummarizer{}
	l, err := NewLLM(cfg, fb, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return l, fb, &sleeps
}

const article = "Acme Corp cut cloud costs by 40% for 3,000 customers.\n\nThe change ships on Monday."

func TestLLM(t *testing.T) {
	for _, tc := range []struct {
		name       string
		script     []reply
		cfg        func(*LLMConfig)
		wantEngine string
		wantTLDR   string
		wantReqs   int
		wantSleeps []time.Duration // exact where the server set Retry-After
		nSleeps    int
	}{
		{name: "good JSON", script: []reply{{content: goodContent, tokens: 321}},
			wantEngine: "llm:test-model", wantTLDR: "Acme cut costs by 40%.", wantReqs: 1},
		{name: "fenced JSON", script: []reply{{content: "Here you go:\n```json\n" + goodContent + "\n```\n"}},
			wantEngine: "llm:test-model", wantTLDR: "Acme cut costs by 40%.", wantReqs: 1},
		{name: "malformed JSON falls back without retry", script: []reply{{content: `{"tldr": "unterminated`}},
			wantEngine: EngineExtractive, wantReqs: 1},
		{name: "wrong types fall back", script: []reply{{content: `{"tldr":"ok","key_points":"not a list"}`}},
			wantEngine: EngineExtractive, wantReqs: 1},
		{name: "empty tldr falls back", script: []reply{{content: `{"tldr":"  ","key_points":[]}`}},
			wantEngine: EngineExtractive, wantReqs: 1},
		{name: "not chat JSON falls back", script: []reply{{raw: "<html>proxy error</html>"}},
			wantEngine: EngineExtractive, wantReqs: 1},
		{name: "500 then success", script: []reply{{status: 500}, {content: goodContent}},
			wantEngine: "llm:test-model", wantTLDR: "Acme cut costs by 40%.", wantReqs: 2, nSleeps: 1},
		{name: "429 honours Retry-After", script: []reply{{status: 429, retryAfter: "7"}, {content: goodContent}},
			wantEngine: "llm:test-model", wantReqs: 2, wantSleeps: []time.Duration{7 * time.Second}},
		{name: "Retry-After is capped", script: []reply{{status: 429, retryAfter: "3600"}, {content: goodContent}},
			cfg:        func(c *LLMConfig) { c.MaxBackoff = 5 * time.Second },
			wantEngine: "llm:test-model", wantReqs: 2, wantSleeps: []time.Duration{5 * time.Second}},
		{name: "persistent 503 falls back after all attempts", script: []reply{{status: 503}},
			wantEngine: EngineExtractive, wantReqs: 3, nSleeps: 2},
		{name: "400 is not retried", script: []reply{{status: 400}},
			wantEngine: EngineExtractive, wantReqs: 1},
		{name: "slow server times out and falls back", script: []reply{{block: true}},
			cfg:        func(c *LLMConfig) { c.Timeout = 50 * time.Millisecond; c.MaxAttempts = 2 },
			wantEngine: EngineExtractive, wantReqs: 2, nSleeps: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeLLM(t, tc.script...)
			l, fb, sleeps := testLLM(t, f, tc.cfg)
			s, err := l.Summarize(context.Background(), "Acme", article)
			if err != nil {
				t.Fatal(err)
			}
			engine := s.Engine
			if fb.count() > 0 {
				engine = EngineExtractive // the counting fallback stands in for the extractive engine
			}
			if engine != tc.wantEngine {
				t.Errorf("got engine %q, want %q", engine, tc.wantEngine)
			}
			if tc.wantTLDR != "" && s.TLDR != tc.wantTLDR {
				t.Errorf("got TL;DR %q, want %q", s.TLDR, tc.wantTLDR)
			}
			if f.count() != tc.wantReqs {
				t.Errorf("got %d requests, want %d", f.count(), tc.wantReqs)
			}
			if tc.wantSleeps != nil {
				if fmt.Sprint(*sleeps) != fmt.Sprint(tc.wantSleeps) {
					t.Errorf("got sleeps %v, want %v", *sleeps, tc.wantSleeps)
				}
			} else if len(*sleeps) != tc.nSleeps {
				t.Errorf("got %d sleeps, want %d", len(*sleeps), tc.nSleeps)
			}
			for i, d := range *sleeps {
				if tc.wantSleeps == nil && (d <= 0 || d > 30*time.Second) {
					t.Errorf("sleep %d = %v, out of range", i, d)
				}
			}
		})
	}
}

func TestLLMRequest(t *testing.T) {
	f := newFakeLLM(t, reply{content: goodContent, tokens: 100})
	l, _, _ := testLLM(t, f, nil)
	const clutter = "Share this article\n\nBy Jane Doe · 25 November 2026\n\n"
	s, err := l.Summarize(context.Background(), "Acme", clutter+article+"\n\nSubscribe to continue reading.")
	if err != nil {
		t.Fatal(err)
	}
	if f.auth != "Bearer sk-test" {
		t.Errorf("got Authorization %q", f.auth)
	}
	body := f.bodies[0]
	if body["model"] != "test-model" {
		t.Errorf("got model %v", body["model"])
	}
	if rf, _ := body["response_format"].(map[string]any); rf["type"] != "json_object" {
		t.Errorf("got response_format %v", body["response_format"])
	}
	msgs, _ := body["messages"].([]any)
	if len(msgs) != 2 || !strings.Contains(fmt.Sprint(msgs[1]), "Acme Corp cut cloud costs") {
		t.Errorf("got messages %v", msgs)
	}
	for _, junk := range []string{"Share this article", "Jane Doe", "Subscribe"} {
		if strings.Contains(fmt.Sprint(msgs[1]), junk) {
			t.Errorf("page clutter %q sent to the model: %v", junk, msgs[1])
		}
	}
	if len(s.KeyPoints) != 2 || len(s.Glossary) != 1 || s.Glossary[0].Term != "TCO" || s.ReadingMinutes != 1 {
		t.Errorf("got %+v", s)
	}
}

func TestLLMCache(t *testing.T) {
	f := newFakeLLM(t, reply{content: goodContent})
	cache := newMemCache()
	l, err := NewLLM(LLMConfig{BaseURL: f.URL + "/v1", Model: "m"}, &countingSummarizer{}, cache, nil)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if s, err := l.Summarize(context.Background(), "Acme", article); err != nil || s.Engine != "llm:m" {
			t.Fatalf("got %+v, %v", s, err)
		}
	}
	if f.count() != 1 {
		t.Errorf("got %d requests for the same text, want 1", f.count())
	}
	l.Summarize(context.Background(), "Acme", article+" Changed.")
	if f.count() != 2 {
		t.Errorf("changed text: got %d requests, want 2", f.count())
	}
}

func TestLLMFallbackNotCached(t *testing.T) {
	f := newFakeLLM(t, reply{status: 400}, reply{content: goodContent})
	cache := newMemCache()
	l, err := NewLLM(LLMConfig{BaseURL: f.URL + "/v1", Model: "m"}, &countingSummarizer{}, cache, nil)
	if err != nil {
		t.Fatal(err)
	}
	l.Summarize(context.Background(), "Acme", article)
	if cache.len() != 0 {
		t.Error("a fallback summary was cached under the LLM's key")
	}
	if s, _ := l.Summarize(context.Background(), "Acme", article); s.Engine != "llm:m" {
		t.Errorf("second try: got engine %q, want the LLM", s.Engine)
	}
}

func TestLLMBudget(t *testing.T) {
	f := newFakeLLM(t, reply{content: goodContent, tokens: 2000})
	now := time.Date(2026, 5, 1, 23, 0, 0, 0, time.Local)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	l, fb, _ := testLLM(t, f, func(c *LLMConfig) {
		c.DailyTokens = 2200 // the first request fits; its 2000 real tokens leave too little for a second
		c.MaxTokens = 200
		c.Now = clock
	})
	ctx := context.Background()
	if s, _ := l.Summarize(ctx, "a", article); s.Engine != "llm:test-model" {
		t.Fatalf("first: got engine %q", s.Engine)
	}
	if got := l.TokensUsed(); got != 2000 {
		t.Errorf("got %d tokens used, want the reported 2000", got)
	}
	l.Summarize(ctx, "b", article) // the estimate would pass 2200: fallback, no request
	if f.count() != 1 || fb.count() != 1 {
		t.Errorf("over budget: got %d requests and %d fallbacks, want 1 and 1", f.count(), fb.count())
	}
	mu.Lock()
	now = now.Add(2 * time.Hour) // past local midnight
	mu.Unlock()
	if s, _ := l.Summarize(ctx, "c", article); s.Engine != "llm:test-model" || f.count() != 2 {
		t.Errorf("after midnight: got engine %q and %d requests, want the LLM and 2", s.Engine, f.count())
	}
}

func TestLLMBudgetEstimatesMissingUsage(t *testing.T) {
	f := newFakeLLM(t, reply{content: goodContent}) // no usage in the answer
	l, _, _ := testLLM(t, f, func(c *LLMConfig) { c.DailyTokens = 1 << 20 })
	l.Summarize(context.Background(), "a", article)
	if got := l.TokensUsed(); got <= 0 {
		t.Errorf("got %d tokens used, want an estimate above zero", got)
	}
}

func TestLLMConcurrencyLimit(t *testing.T) {
	f := newFakeLLM(t, reply{content: goodContent})
	f.hold = 20 * time.Millisecond
	l, _, _ := testLLM(t, f, func(c *LLMConfig) { c.Concurrency = 2 })
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			l.Summarize(context.Background(), fmt.Sprint("title ", i), article)
		})
	}
	wg.Wait()
	if f.count() != 8 {
		t.Errorf("got %d requests, want 8", f.count())
	}
	if m := f.maxSeen.Load(); m > 2 {
		t.Errorf("saw %d requests in flight, limit is 2", m)
	}
}

func TestLLMCancelled(t *testing.T) {
	f := newFakeLLM(t, reply{block: true})
	l, fb, _ := testLLM(t, f, nil)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for f.count() == 0 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	if _, err := l.Summarize(ctx, "a", article); !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
	if fb.count() != 0 {
		t.Error("fallback ran after cancellation")
	}
}

func TestLLMNoFallbackReturnsError(t *testing.T) {
	f := newFakeLLM(t, reply{status: 400})
	l, err := NewLLM(LLMConfig{BaseURL: f.URL + "/v1", Model: "m"}, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Summarize(context.Background(), "a", article); err == nil || !strings.Contains(err.Error(), "400") {
		t.Errorf("got %v, want the status error", err)
	}
}

func TestNewLLMValidates(t *testing.T) {
	for _, cfg := range []LLMConfig{
		{BaseURL: "", Model: "m"},
		{BaseURL: "ftp://x", Model: "m"},
		{BaseURL: "http://127.0.0.1:1/v1", Model: " "},
		{BaseURL: "http://127.0.0.1:1/v1", Model: "m", Concurrency: -1},
	} {
		if _, err := NewLLM(cfg, nil, nil, nil); err == nil {
			t.Errorf("NewLLM(%+v): got nil error", cfg)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Duration{
		"":                              0,
		"12":                            12 * time.Second,
		"soon":                          0,
		"Thu, 01 Jan 2026 00:00:30 GMT": 30 * time.Second,
		"Wed, 31 Dec 2025 00:00:00 GMT": 0,
	} {
		if got := parseRetryAfter(in, now); got != want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", in, got, want)
		}
	}
}

func FuzzParseLLMOutput(f *testing.F) {
	f.Add(goodContent)
	f.Add("```json\n" + goodContent + "\n```")
	f.Add(`{"tldr": 3}`)
	f.Add(`{"tldr":"x","glossary":[{"term":"","definition":"d"}]}`)
	f.Fuzz(func(t *testing.T, s string) {
		sum, err := parseLLMOutput(s)
		if err != nil {
			return
		}
		if strings.TrimSpace(sum.TLDR) == "" || len(sum.KeyPoints) > 15 || len(sum.Glossary) > 12 {
			t.Errorf("accepted invalid output %+v", sum)
		}
	})
}

func TestParseLLMOutput(t *testing.T) {
	long := "Acme Corp, the router maker, cut cloud costs for its 3,000 customers by 40 percent with the Widget 2.0 release on Monday, " +
		"which replaces the old pricing model that customers had criticised for years as opaque and unfair to small teams."
	for _, tc := range []struct {
		name, in string
		ok       bool
		tldr     string
	}{
		{"plain", goodContent, true, "Acme cut costs by 40%."},
		{"fence without language", "```\n" + goodContent + "\n```", true, "Acme cut costs by 40%."},
		{"text around", "Sure! " + goodContent + " Hope this helps.", true, "Acme cut costs by 40%."},
		{"long tldr trimmed", `{"tldr":"` + long + `"}`, true,
			"Acme Corp, the router maker, cut cloud costs for its 3,000 customers by 40 percent with the Widget 2.0 release on Monday."},
		{"too long", `{"tldr":"` + strings.Repeat("word ", 80) + `"}`, false, ""},
		{"no object", "I cannot help with that.", false, ""},
		{"glossary wrong type", `{"tldr":"x","glossary":{"a":"b"}}`, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := parseLLMOutput(tc.in)
			if (err == nil) != tc.ok {
				t.Fatalf("got error %v, want ok=%v", err, tc.ok)
			}
			if tc.ok && s.TLDR != tc.tldr {
				t.Errorf("got TL;DR %q, want %q", s.TLDR, tc.tldr)
			}
		})
	}
}
