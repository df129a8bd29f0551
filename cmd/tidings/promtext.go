package main

// A minimal Prometheus text exposition (format 0.0.4): counter and gauge
// vectors with one label, and fixed-bucket histograms. It replaces
// client_golang, whose dependencies cost megabytes of binary and resident
// memory on a Raspberry Pi for the dozen series Tidings exports.

import (
	"fmt"
	"math"
	"net/http"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"sync"
)

const promContentType = "text/plain; version=0.0.4; charset=utf-8"

// promCollector appends one or more complete metric families to b at
// scrape time.
type promCollector interface {
	collect(b []byte) []byte
}

// promRegistry serves its collectors in registration order.
type promRegistry struct {
	mu         sync.Mutex // guards collectors
	collectors []promCollector
}

func newPromRegistry() *promRegistry { return &promRegistry{} }

func (r *promRegistry) register(cs ...promCollector) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.collectors = append(r.collectors, cs...)
}

// gather returns the whole exposition.
func (r *promRegistry) gather() []byte {
	r.mu.Lock()
	cs := slices.Clone(r.collectors)
	r.mu.Unlock()
	var b []byte
	for _, c := range cs {
		b = c.collect(b)
	}
	return b
}

func (r *promRegistry) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	b := r.gather()
	w.Header().Set("Content-Type", promContentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	if req.Method == http.MethodHead {
		return
	}
	w.Write(b)
}

// valueVec is the series store shared by counter and gauge vectors.
type valueVec struct {
	name, help, typ, label string

	mu   sync.Mutex // guards vals
	vals map[string]float64
}

func newValueVec(name, help, typ, label string) valueVec {
	mustValidName(name, label)
	return valueVec{name: name, help: help, typ: typ, label: label, vals: map[string]float64{}}
}

// collect prints nothing for a vector without series, as client_golang did.
func (v *valueVec) collect(b []byte) []byte {
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.vals) == 0 {
		return b
	}
	b = appendHeader(b, v.name, v.help, v.typ)
	for _, lv := range sortedKeys(v.vals) {
		b = appendSample(b, v.name, "", v.label, lv, "", "")
		b = appendFloat(b, v.vals[lv])
		b = append(b, '\n')
	}
	return b
}

// counterVec is a monotonic counter per label value.
type counterVec struct{ valueVec }

func newCounterVec(name, help, label string) *counterVec {
	return &counterVec{newValueVec(name, help, "counter", label)}
}

// add creates the series even for a zero delta, so it shows up at 0.
// Negative and NaN deltas are dropped: a counter must never go down, and
// a metrics bug should not crash the daemon.
func (c *counterVec) add(lv string, delta float64) {
	if !(delta >= 0) {
		delta = 0
	}
	c.mu.Lock()
	c.vals[lv] += delta
	c.mu.Unlock()
}

func (c *counterVec) inc(lv string) { c.add(lv, 1) }

// gaugeVec is a settable value per label value.
type gaugeVec struct{ valueVec }

func newGaugeVec(name, help, label string) *gaugeVec {
	return &gaugeVec{newValueVec(name, help, "gauge", label)}
}

func (g *gaugeVec) set(lv string, x float64) {
	g.mu.Lock()
	g.vals[lv] = x
	g.mu.Unlock()
}

// histogramVec counts observations in fixed buckets per label value; an
// empty label name makes it unlabelled (see histogram).
type histogramVec struct {
	name, help, label string
	bounds            []float64 // upper bounds, strictly increasing, without +Inf
	les               []string  // bounds formatted for le="…", then "+Inf"

	mu     sync.Mutex // guards series
	series map[string]*histSeries
}

type histSeries struct {
	counts []uint64 // per bucket, not cumulative; the last is the +Inf overflow
	count  uint64
	sum    float64
}

func newHistogramVec(name, help, label string, bounds []float64) *histogramVec {
	mustValidName(name, label)
	if label == "le" {
		panic("promtext: histogram label le is reserved")
	}
	if n := len(bounds); n > 0 && math.IsInf(bounds[n-1], +1) {
		bounds = bounds[:n-1] // +Inf is always implied
	}
	les := make([]string, 0, len(bounds)+1)
	for i, ub := range bounds {
		if math.IsNaN(ub) || i > 0 && ub <= bounds[i-1] {
			panic(fmt.Sprintf("promtext: %s: buckets must increase strictly", name))
		}
		les = append(les, string(appendFloat(nil, ub)))
	}
	les = append(les, "+Inf")
	return &histogramVec{name: name, help: help, label: label, bounds: slices.Clone(bounds), les: les,
		series: map[string]*histSeries{}}
}

func (h *histogramVec) observe(lv string, x float64) {
	// The first bound ≥ x is the bucket (le is inclusive); NaN lands in +Inf.
	i := sort.SearchFloat64s(h.bounds, x)
	h.mu.Lock()
	defer h.mu.Unlock()
	s := h.seriesLocked(lv)
	s.counts[i]++
	s.count++
	s.sum += x
}

func (h *histogramVec) seriesLocked(lv string) *histSeries {
	s := h.series[lv]
	if s == nil {
		s = &histSeries{counts: make([]uint64, len(h.les))}
		h.series[lv] = s
	}
	return s
}

func (h *histogramVec) collect(b []byte) []byte {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.series) == 0 {
		return b
	}
	b = appendHeader(b, h.name, h.help, "histogram")
	for _, lv := range sortedKeys(h.series) {
		s := h.series[lv]
		var cum uint64
		for i, le := range h.les {
			cum += s.counts[i]
			b = appendSample(b, h.name, "_bucket", h.label, lv, "le", le)
			b = strconv.AppendUint(b, cum, 10)
			b = append(b, '\n')
		}
		b = appendSample(b, h.name, "_sum", h.label, lv, "", "")
		b = appendFloat(b, s.sum)
		b = append(b, '\n')
		b = appendSample(b, h.name, "_count", h.label, lv, "", "")
		b = strconv.AppendUint(b, s.count, 10)
		b = append(b, '\n')
	}
	return b
}

// histogram is an unlabelled histogram; its one series exists from the
// start, so it is exposed with zero counts before the first observation.
type histogram struct{ vec *histogramVec }

func newHistogram(name, help string, bounds []float64) *histogram {
	h := &histogram{newHistogramVec(name, help, "", bounds)}
	h.vec.seriesLocked("") // not yet shared: no lock needed
	return h
}

func (h *histogram) observe(x float64)       { h.vec.observe("", x) }
func (h *histogram) collect(b []byte) []byte { return h.vec.collect(b) }

// runtimeCollector exposes, under client_golang's names, the Go runtime
// and process metrics that common dashboards expect, read at scrape time.
type runtimeCollector struct{}

func (runtimeCollector) collect(b []byte) []byte {
	// ReadMemStats stops the world briefly; fine once per scrape.
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	threads, _ := runtime.ThreadCreateProfile(nil)

	b = appendSingle(b, "go_goroutines", "Number of goroutines that currently exist.", "gauge", float64(runtime.NumGoroutine()))
	b = appendSingle(b, "go_threads", "Number of OS threads created.", "gauge", float64(threads))
	b = appendHeader(b, "go_info", "Information about the Go environment.", "gauge")
	b = appendSample(b, "go_info", "", "version", runtime.Version(), "", "")
	b = append(b, "1\n"...)
	for _, m := range []struct {
		name, help, typ string
		v               uint64
	}{
		{"go_memstats_alloc_bytes", "Bytes of allocated heap objects.", "gauge", ms.Alloc},
		{"go_memstats_alloc_bytes_total", "Cumulative bytes allocated for heap objects.", "counter", ms.TotalAlloc},
		{"go_memstats_heap_alloc_bytes", "Bytes of allocated heap objects (same as go_memstats_alloc_bytes).", "gauge", ms.HeapAlloc},
		{"go_memstats_heap_inuse_bytes", "Bytes in in-use heap spans.", "gauge", ms.HeapInuse},
		{"go_memstats_heap_idle_bytes", "Bytes in idle heap spans.", "gauge", ms.HeapIdle},
		{"go_memstats_heap_released_bytes", "Bytes of heap memory returned to the OS.", "gauge", ms.HeapReleased},
		{"go_memstats_heap_sys_bytes", "Bytes of heap memory obtained from the OS.", "gauge", ms.HeapSys},
		{"go_memstats_heap_objects", "Number of allocated heap objects.", "gauge", ms.HeapObjects},
		{"go_memstats_mallocs_total", "Cumulative count of heap objects allocated.", "counter", ms.Mallocs},
		{"go_memstats_frees_total", "Cumulative count of heap objects freed.", "counter", ms.Frees},
		{"go_memstats_stack_inuse_bytes", "Bytes in stack spans.", "gauge", ms.StackInuse},
		{"go_memstats_next_gc_bytes", "Heap size target of the next garbage collection.", "gauge", ms.NextGC},
		{"go_memstats_sys_bytes", "Total bytes of memory obtained from the OS.", "gauge", ms.Sys},
	} {
		b = appendSingle(b, m.name, m.help, m.typ, float64(m.v))
	}
	b = appendSingle(b, "go_memstats_last_gc_time_seconds", "Time of the last garbage collection in seconds since the Unix epoch.", "gauge",
		float64(ms.LastGC)/1e9)
	b = appendSingle(b, "go_sched_gomaxprocs_threads", "The current GOMAXPROCS setting.", "gauge", float64(runtime.GOMAXPROCS(0)))
	return appendProcessMetrics(b)
}

// exponentialBuckets returns count bounds starting at start, each factor
// times the previous, like client_golang's ExponentialBuckets.
func exponentialBuckets(start, factor float64, count int) []float64 {
	if count < 1 || start <= 0 || factor <= 1 {
		panic("promtext: exponentialBuckets needs count ≥ 1, start > 0, factor > 1")
	}
	b := make([]float64, count)
	for i := range b {
		b[i] = start
		start *= factor
	}
	return b
}

// appendHeader appends the HELP and TYPE lines of a family.
func appendHeader(b []byte, name, help, typ string) []byte {
	b = append(b, "# HELP "...)
	b = append(b, name...)
	b = append(b, ' ')
	b = appendEscaped(b, help, false)
	b = append(b, "\n# TYPE "...)
	b = append(b, name...)
	b = append(b, ' ')
	b = append(b, typ...)
	return append(b, '\n')
}

// appendSample appends a sample's name, up to two labels (skipped when the
// label name is empty) and the separating space; the caller appends the value.
func appendSample(b []byte, name, suffix, l1, v1, l2, v2 string) []byte {
	b = append(b, name...)
	b = append(b, suffix...)
	if l1 != "" || l2 != "" {
		b = append(b, '{')
		sep := false
		for _, l := range [2][2]string{{l1, v1}, {l2, v2}} {
			if l[0] == "" {
				continue
			}
			if sep {
				b = append(b, ',')
			}
			sep = true
			b = append(b, l[0]...)
			b = append(b, `="`...)
			b = appendEscaped(b, l[1], true)
			b = append(b, '"')
		}
		b = append(b, '}')
	}
	return append(b, ' ')
}

// appendEscaped escapes backslash and newline, and the double quote too in
// label values, as the text format requires.
func appendEscaped(b []byte, s string, quote bool) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\':
			b = append(b, `\\`...)
		case c == '\n':
			b = append(b, `\n`...)
		case c == '"' && quote:
			b = append(b, `\"`...)
		default:
			b = append(b, c)
		}
	}
	return b
}

// appendFloat formats a sample value the way Prometheus parses it back.
func appendFloat(b []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(b, "NaN"...)
	case math.IsInf(f, +1):
		return append(b, "+Inf"...)
	case math.IsInf(f, -1):
		return append(b, "-Inf"...)
	}
	return strconv.AppendFloat(b, f, 'g', -1, 64)
}

// appendSingle appends a whole single-sample family without labels.
func appendSingle(b []byte, name, help, typ string, v float64) []byte {
	b = appendHeader(b, name, help, typ)
	b = appendSample(b, name, "", "", "", "", "")
	b = appendFloat(b, v)
	return append(b, '\n')
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// mustValidName panics on a metric or label name the text format cannot
// carry: such a typo would otherwise break every scrape.
func mustValidName(name, label string) {
	if !validPromName(name, true) {
		panic(fmt.Sprintf("promtext: invalid metric name %q", name))
	}
	if label != "" && (!validPromName(label, false) || len(label) >= 2 && label[:2] == "__") {
		panic(fmt.Sprintf("promtext: %s: invalid label name %q", name, label))
	}
}

// validPromName matches [a-zA-Z_:][a-zA-Z0-9_:]* for metric names and the
// same without colons for label names.
func validPromName(s string, colon bool) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := c == '_' || c == ':' && colon || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' && i > 0
		if !ok {
			return false
		}
	}
	return true
}
