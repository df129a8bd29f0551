package main

import (
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/tidings/tidings/feed"
	"github.com/tidings/tidings/store"
)

func TestPromTextExposition(t *testing.T) {
	tests := []struct {
		name  string
		setup func(r *promRegistry)
		want  string
	}{
		{
			name: "counter vec sorted by label value",
			setup: func(r *promRegistry) {
				c := newCounterVec("c_total", "Counts things.", "kind")
				r.register(c)
				c.add("b", 1)
				c.add("a", 2.5)
				c.inc("a")
				c.add("zero", 0)
				c.add("b", -3) // dropped: counters never decrease
			},
			want: `# HELP c_total Counts things.
# TYPE c_total counter
c_total{kind="a"} 3.5
c_total{kind="b"} 1
c_total{kind="zero"} 0
`,
		},
		{
			name: "gauge vec special values",
			setup: func(r *promRegistry) {
				g := newGaugeVec("g", "A gauge.", "state")
				r.register(g)
				g.set("big", 1e21)
				g.set("inf", math.Inf(1))
				g.set("nan", math.NaN())
				g.set("neg", -1)
				g.set("neginf", math.Inf(-1))
				g.set("small", 0.000125)
				g.set("reset", 7)
				g.set("reset", 0)
			},
			want: `# HELP g A gauge.
# TYPE g gauge
g{state="big"} 1e+21
g{state="inf"} +Inf
g{state="nan"} NaN
g{state="neg"} -1
g{state="neginf"} -Inf
g{state="reset"} 0
g{state="small"} 0.000125
`,
		},
		{
			name: "histogram with observations on bucket edges",
			setup: func(r *promRegistry) {
				h := newHistogram("h_seconds", "Durations.", []float64{1, 2, 4})
				r.register(h)
				for _, x := range []float64{1, 2, 3, 4, 5, 0.5} {
					h.observe(x)
				}
			},
			want: `# HELP h_seconds Durations.
# TYPE h_seconds histogram
h_seconds_bucket{le="1"} 2
h_seconds_bucket{le="2"} 3
h_seconds_bucket{le="4"} 5
h_seconds_bucket{le="+Inf"} 6
h_seconds_sum 15.5
h_seconds_count 6
`,
		},
		{
			name: "unlabelled histogram shows before any observation",
			setup: func(r *promRegistry) {
				r.register(newHistogram("idle_seconds", "Idle.", []float64{0.5, math.Inf(1)}))
			},
			want: `# HELP idle_seconds Idle.
# TYPE idle_seconds histogram
idle_seconds_bucket{le="0.5"} 0
idle_seconds_bucket{le="+Inf"} 0
idle_seconds_sum 0
idle_seconds_count 0
`,
		},
		{
			name: "labelled histogram",
			setup: func(r *promRegistry) {
				h := newHistogramVec("fetch_seconds", "Fetches.", "outcome", exponentialBuckets(0.25, 2, 2))
				r.register(h)
				h.observe("ok", 0.25)
				h.observe("error", 10)
				h.observe("ok", 0.375)
			},
			want: `# HELP fetch_seconds Fetches.
# TYPE fetch_seconds histogram
fetch_seconds_bucket{outcome="error",le="0.25"} 0
fetch_seconds_bucket{outcome="error",le="0.5"} 0
fetch_seconds_bucket{outcome="error",le="+Inf"} 1
fetch_seconds_sum{outcome="error"} 10
fetch_seconds_count{outcome="error"} 1
fetch_seconds_bucket{outcome="ok",le="0.25"} 1
fetch_seconds_bucket{outcome="ok",le="0.5"} 2
fetch_seconds_bucket{outcome="ok",le="+Inf"} 2
fetch_seconds_sum{outcome="ok"} 0.625
fetch_seconds_count{outcome="ok"} 2
`,
		},
		{
			name: "label value and help escaping",
			setup: func(r *promRegistry) {
				c := newCounterVec("esc_total", "Back\\slash, \"quote\" and\nnewline.", "digest")
				r.register(c)
				c.inc("a\"b\\c\nd")
			},
			want: `# HELP esc_total Back\\slash, "quote" and\nnewline.
# TYPE esc_total counter
esc_total{digest="a\"b\\c\nd"} 1
`,
		},
		{
			name: "families without series print nothing",
			setup: func(r *promRegistry) {
				r.register(newCounterVec("a_total", "A.", "x"), newGaugeVec("b", "B.", "y"),
					newHistogramVec("c_seconds", "C.", "z", []float64{1}))
			},
			want: "",
		},
		{
			name: "families in registration order",
			setup: func(r *promRegistry) {
				z, a := newGaugeVec("zz", "Z.", "l"), newGaugeVec("aa", "A.", "l")
				r.register(z, a)
				a.set("x", 1)
				z.set("x", 2)
			},
			want: `# HELP zz Z.
# TYPE zz gauge
zz{l="x"} 2
# HELP aa A.
# TYPE aa gauge
aa{l="x"} 1
`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newPromRegistry()
			tt.setup(r)
			if got := string(r.gather()); got != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

func TestPromExponentialBuckets(t *testing.T) {
	if got, want := exponentialBuckets(0.1, 2, 4), []float64{0.1, 0.2, 0.4, 0.8}; !slices.Equal(got, want) {
		t.Errorf("exponentialBuckets(0.1, 2, 4) = %v, want %v", got, want)
	}
	if got := exponentialBuckets(0.01, 2, 12); len(got) != 12 || got[11] != 20.48 {
		t.Errorf("exponentialBuckets(0.01, 2, 12) = %v, want 12 bounds up to 20.48", got)
	}
	for _, bad := range []struct {
		start, factor float64
		count         int
	}{{0, 2, 3}, {1, 1, 3}, {1, 2, 0}} {
		if !promPanics(func() { exponentialBuckets(bad.start, bad.factor, bad.count) }) {
			t.Errorf("exponentialBuckets%v did not panic", bad)
		}
	}
}

func TestPromInvalidDefinitionsPanic(t *testing.T) {
	for name, f := range map[string]func(){
		"metric name":      func() { newGaugeVec("1bad", "", "l") },
		"metric name dash": func() { newCounterVec("bad-name", "", "l") },
		"label colon":      func() { newGaugeVec("ok", "", "a:b") },
		"reserved label":   func() { newGaugeVec("ok", "", "__x") },
		"le label":         func() { newHistogramVec("ok", "", "le", []float64{1}) },
		"unsorted buckets": func() { newHistogram("ok", "", []float64{2, 1}) },
		"repeated bucket":  func() { newHistogram("ok", "", []float64{1, 1}) },
	} {
		if !promPanics(f) {
			t.Errorf("%s: no panic", name)
		}
	}
	if promPanics(func() { newCounterVec("ns:sub_total", "", "") }) {
		t.Error("valid colon name panicked")
	}
}

func promPanics(f func()) (panicked bool) {
	defer func() { panicked = recover() != nil }()
	f()
	return false
}

func TestPromConcurrentUpdates(t *testing.T) {
	const workers, rounds = 32, 500
	r := newPromRegistry()
	c := newCounterVec("c_total", "C.", "w")
	g := newGaugeVec("g", "G.", "w")
	h := newHistogramVec("h_seconds", "H.", "w", []float64{1, 2})
	r.register(c, g, h, runtimeCollector{})
	var wg sync.WaitGroup
	for i := range workers {
		lv := []string{"even", "odd"}[i%2]
		wg.Go(func() {
			for j := range rounds {
				c.inc(lv)
				c.add("all", 0.5)
				g.set(lv, float64(j))
				h.observe(lv, float64(j%3))
				if j%100 == 0 {
					r.gather() // scrapes race with updates
				}
			}
		})
	}
	wg.Wait()
	fams := parseProm(t, string(r.gather()))
	half := float64(workers / 2 * rounds)
	for lv, want := range map[string]float64{"even": half, "odd": half, "all": workers * rounds * 0.5} {
		if got := promValue(t, fams, "c_total", lv); got != want {
			t.Errorf("c_total{w=%q} = %v, want %v", lv, got, want)
		}
	}
	if got := promValue(t, fams, "g", "odd"); got != rounds-1 {
		t.Errorf("g{w=odd} = %v, want %v", got, rounds-1)
	}
	// Per worker, j%3 over 0..499 gives 167 zeros, 167 ones and 166 twos.
	for _, m := range fams["h_seconds"].GetMetric() {
		hist := m.GetHistogram()
		if hist.GetSampleCount() != workers/2*rounds || hist.GetSampleSum() != workers/2*(167+2*166) {
			t.Errorf("h_seconds %v: count %d, sum %v", m.GetLabel(), hist.GetSampleCount(), hist.GetSampleSum())
		}
		// The parser keeps the +Inf bucket.
		if b := hist.GetBucket(); len(b) != 3 || b[0].GetCumulativeCount() != workers/2*334 || b[1].GetCumulativeCount() != workers/2*rounds ||
			b[2].GetCumulativeCount() != workers/2*rounds {
			t.Errorf("h_seconds %v: buckets %v", m.GetLabel(), b)
		}
	}
}

// TestPromMetricsValid parses a populated *metrics with the official parser.
func TestPromMetricsValid(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), "tidings.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	m := buildMetrics()
	m.updateFeeds(db)
	m.observePoll(feed.CycleResult{Feeds: 5, New: 7, Updated: 2, NotModified: 1, Errors: 1}, 1500*time.Millisecond)
	m.observePoll(feed.CycleResult{}, time.Hour) // no feeds polled: not recorded
	m.observeFetch(feed.Progress{Kind: "ok", Duration: 50 * time.Millisecond})
	m.observeFetch(feed.Progress{Kind: "timeout", Duration: time.Minute})
	m.observeEdition("morning \"news\"\\\n", editionRun{Created: true, Build: time.Second, Publish: 10 * time.Millisecond})
	m.observeEdition("morning", editionRun{Created: false, Build: time.Second})
	m.setOutbox(3, 1)

	srv := httptest.NewServer(m.handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/plain; version=0.0.4; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	fams := parseProm(t, string(body))

	types := map[string]dto.MetricType{
		"tidings_poll_cycle_duration_seconds":    dto.MetricType_HISTOGRAM,
		"tidings_fetches_total":                  dto.MetricType_COUNTER,
		"tidings_fetch_duration_seconds":         dto.MetricType_HISTOGRAM,
		"tidings_feeds":                          dto.MetricType_GAUGE,
		"tidings_items_stored_total":             dto.MetricType_COUNTER,
		"tidings_editions_built_total":           dto.MetricType_COUNTER,
		"tidings_edition_build_duration_seconds": dto.MetricType_HISTOGRAM,
		"tidings_publish_duration_seconds":       dto.MetricType_HISTOGRAM,
		"tidings_outbox_deliveries":              dto.MetricType_GAUGE,
		"go_goroutines":                          dto.MetricType_GAUGE,
		"go_threads":                             dto.MetricType_GAUGE,
		"go_info":                                dto.MetricType_GAUGE,
		"go_memstats_heap_alloc_bytes":           dto.MetricType_GAUGE,
		"go_memstats_heap_inuse_bytes":           dto.MetricType_GAUGE,
		"go_memstats_sys_bytes":                  dto.MetricType_GAUGE,
		"go_memstats_alloc_bytes_total":          dto.MetricType_COUNTER,
	}
	if runtime.GOOS == "linux" {
		for name, typ := range map[string]dto.MetricType{
			"process_cpu_seconds_total":     dto.MetricType_COUNTER,
			"process_resident_memory_bytes": dto.MetricType_GAUGE,
			"process_virtual_memory_bytes":  dto.MetricType_GAUGE,
			"process_start_time_seconds":    dto.MetricType_GAUGE,
			"process_open_fds":              dto.MetricType_GAUGE,
			"process_max_fds":               dto.MetricType_GAUGE,
		} {
			types[name] = typ
		}
	}
	for name, typ := range types {
		f := fams[name]
		if f == nil {
			t.Errorf("family %s missing", name)
			continue
		}
		if f.GetType() != typ {
			t.Errorf("family %s has type %v, want %v", name, f.GetType(), typ)
		}
	}

	for _, c := range []struct {
		name, label string
		want        float64
	}{
		{"tidings_fetches_total", "ok", 3},
		{"tidings_fetches_total", "not_modified", 1},
		{"tidings_fetches_total", "error", 1},
		{"tidings_items_stored_total", "new", 7},
		{"tidings_items_stored_total", "updated", 2},
		{"tidings_feeds", "ok", 0},
		{"tidings_feeds", "new", 0},
		{"tidings_outbox_deliveries", "pending", 3},
		{"tidings_outbox_deliveries", "failed", 1},
		{"tidings_editions_built_total", "morning \"news\"\\\n", 1},
		{"go_info", runtime.Version(), 1},
	} {
		if got := promValue(t, fams, c.name, c.label); got != c.want {
			t.Errorf("%s{%q} = %v, want %v", c.name, c.label, got, c.want)
		}
	}
	if n := len(fams["tidings_editions_built_total"].GetMetric()); n != 1 {
		t.Errorf("%d edition series, want 1 (a rerun builds none)", n)
	}
	if g := promValue(t, fams, "go_goroutines", ""); g < 1 {
		t.Errorf("go_goroutines = %v", g)
	}
	if runtime.GOOS == "linux" {
		if rss := promValue(t, fams, "process_resident_memory_bytes", ""); rss < 1<<20 {
			t.Errorf("process_resident_memory_bytes = %v", rss)
		}
		if start := promValue(t, fams, "process_start_time_seconds", ""); math.Abs(start-float64(time.Now().Unix())) > 24*3600 {
			t.Errorf("process_start_time_seconds = %v, not near now", start)
		}
	}

	poll := fams["tidings_poll_cycle_duration_seconds"].GetMetric()[0].GetHistogram()
	if poll.GetSampleCount() != 1 || poll.GetSampleSum() != 1.5 {
		t.Errorf("poll histogram: count %d sum %v, want 1 and 1.5", poll.GetSampleCount(), poll.GetSampleSum())
	}
	if b := poll.GetBucket(); len(b) != 13 || b[0].GetUpperBound() != 0.1 || b[11].GetUpperBound() != 204.8 || !math.IsInf(b[12].GetUpperBound(), 1) ||
		b[3].GetCumulativeCount() != 0 || b[4].GetCumulativeCount() != 1 {
		t.Errorf("poll buckets %v: want 12 from 0.1 to 204.8 and +Inf, 1.5 s counted from le=1.6", b)
	}
	for _, hm := range fams["tidings_fetch_duration_seconds"].GetMetric() {
		h := hm.GetHistogram()
		if len(h.GetBucket()) != 11 || h.GetSampleCount() != 1 {
			t.Errorf("fetch histogram %v: %d buckets, count %d", hm.GetLabel(), len(h.GetBucket()), h.GetSampleCount())
		}
	}
	if n := fams["tidings_edition_build_duration_seconds"].GetMetric()[0].GetHistogram().GetSampleCount(); n != 2 {
		t.Errorf("edition build count %d, want 2", n)
	}

	// HEAD gets the headers without a body; other methods are refused.
	req, _ := http.NewRequest(http.MethodHead, srv.URL, nil)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || len(b) != 0 || resp.Header.Get("Content-Type") != promContentType {
		t.Errorf("HEAD: %d, %d body bytes, Content-Type %q", resp.StatusCode, len(b), resp.Header.Get("Content-Type"))
	}
	resp, err = http.Post(srv.URL, "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d, want 405", resp.StatusCode)
	}
}

func TestPromNilMetrics(t *testing.T) {
	var m *metrics
	m.observePoll(feed.CycleResult{Feeds: 1}, time.Second)
	m.observeFetch(feed.Progress{Kind: "ok"})
	m.updateFeeds(nil)
	m.observeEdition("d", editionRun{Created: true})
	m.setOutbox(1, 1)
}

func parseProm(t *testing.T, text string) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(text))
	if err != nil {
		t.Fatalf("parse exposition: %v\n%s", err, text)
	}
	return fams
}

// promValue returns the counter or gauge value of the series whose only
// label has value lv ("" for an unlabelled series).
func promValue(t *testing.T, fams map[string]*dto.MetricFamily, name, lv string) float64 {
	t.Helper()
	for _, m := range fams[name].GetMetric() {
		labels := m.GetLabel()
		if lv == "" && len(labels) == 0 || len(labels) == 1 && labels[0].GetValue() == lv {
			if c := m.GetCounter(); c != nil {
				return c.GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	t.Fatalf("no series %s{%q}", name, lv)
	return 0
}
