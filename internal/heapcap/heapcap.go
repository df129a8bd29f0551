// Package heapcap caps the Go heap while feeds are ingested.
//
// An ingest keeps little alive (the bodies and items in flight, about
// 10 MB at 16 workers) but allocates hundreds of MB a second. With the
// default GOGC=100 the heap target is twice the live heap, so every spike
// of the live heap (several large feeds at once) lets the heap grow to
// twice the spike, and those pages stay resident long after. A soft memory
// limit a fixed headroom above what the process held when the ingest
// started caps those spikes. Under the cap GOGC is raised to
// IngestGCPercent, so that while the live heap is small the collector waits
// for the cap rather than running at twice the live heap: the cap, not the
// percentage, bounds the heap, and the collections the cap adds during
// spikes are made up for. Building and publishing editions keep far more
// alive, and under such a cap they would collect continuously, so other
// heavy work lifts the cap while it runs.
//
// The runtime's memory limit is process-wide: only a main package creates
// a Cap, and one per process.
package heapcap

import (
	"math"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// DefaultHeadroom is what an ingest may use above the memory the process
// held when it started: the pipeline's live heap (about 10 MB at 16
// workers) and as much again to allocate into between collections, plus
// what the runtime keeps around the heap. 26 MiB left the shipped binary at
// 47-50 MiB peak RSS for 2,000 feeds, 22 MiB cost 10 % more CPU; measured
// in docs/bench-feed.md ("Capping the heap").
const DefaultHeadroom = 24 << 20

// IngestGCPercent is GOGC while the cap holds (unless GOGC is higher or
// off). Measured with feedbench at N=1000, five or six alternating runs
// each: 100 → 7.2 s, 200 → 6.5–6.6 s, 400 → 6.3 s; at N=2000, three
// rounds: 400 was 0.2–0.6 s faster than 200; the same peak RSS throughout.
const IngestGCPercent = 400

// Cap lowers the runtime's soft memory limit while ingests run and no
// other heavy work does. Its methods are safe for concurrent use.
type Cap struct {
	mu       sync.Mutex
	headroom int64
	base     int64 // the limit to restore: GOMEMLIMIT, or none
	gogc     int   // the GC percent to restore
	ingest   int   // ingests running
	other    int   // other heavy work running
	capped   int64 // the limit set for the current ingests; 0 when none
}

// New returns a Cap with the given headroom; headroom <= 0 turns it off
// (its methods then change nothing).
func New(headroom int64) *Cap {
	return &Cap{headroom: headroom}
}

// SetHeadroom changes the headroom from the next ingest that finds none
// running (a configuration reload).
func (c *Cap) SetHeadroom(headroom int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.headroom = headroom
}

// Ingest caps the heap until release is called. Nested and concurrent
// ingests share the cap computed when the first of them started.
func (c *Cap) Ingest() (release func()) {
	if c == nil {
		return func() {}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.headroom <= 0 && c.ingest == 0 {
		return func() {}
	}
	c.enter()
	if c.ingest == 0 {
		c.capped = min(c.base, held()+c.headroom)
	}
	c.ingest++
	c.apply()
	return c.once(func() { c.ingest-- })
}

// Lift suspends the cap until release is called, for work that keeps much
// more alive than an ingest (building and publishing an edition).
func (c *Cap) Lift() (release func()) {
	if c == nil {
		return func() {}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.enter()
	c.other++
	c.apply()
	return c.once(func() { c.other-- })
}

// enter records the limit to restore when the first holder arrives (later
// ones could read the cap itself). The caller holds c.mu.
func (c *Cap) enter() {
	if c.ingest == 0 && c.other == 0 {
		c.base = debug.SetMemoryLimit(-1) // -1 reads without changing it
		c.gogc = gcPercent()
	}
}

// apply sets the limit the holders call for. The caller holds c.mu.
func (c *Cap) apply() {
	if c.ingest > 0 && c.other == 0 {
		debug.SetMemoryLimit(c.capped)
		if c.gogc >= 0 && c.gogc < IngestGCPercent {
			debug.SetGCPercent(IngestGCPercent)
		}
	} else {
		debug.SetMemoryLimit(c.base)
		debug.SetGCPercent(c.gogc)
	}
}

// Limit reports the limit in force while ingests run: 0 when no ingest
// holds the cap.
func (c *Cap) Limit() int64 {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ingest > 0 && c.other == 0 {
		return c.capped
	}
	return 0
}

// once wraps a release so that a second call does nothing.
func (c *Cap) once(fn func()) func() {
	var done bool
	return func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		if !done {
			done = true
			fn()
			c.apply()
		}
	}
}

// gcPercent reads GOGC as the runtime has it (-1: off) without changing it.
func gcPercent() int {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 100
	}
	v := s[0].Value.Uint64()
	if v > math.MaxInt32 {
		return -1
	}
	return int(v)
}

// held estimates the memory the process needs before the ingest: the heap
// the last collection found live, plus what the runtime holds outside the
// heap (goroutine stacks, its own metadata). Garbage and pages already
// given back to the OS do not count.
func held() int64 {
	samples := []metrics.Sample{
		{Name: "/gc/heap/live:bytes"},
		{Name: "/memory/classes/total:bytes"},
		{Name: "/memory/classes/heap/released:bytes"},
		{Name: "/memory/classes/heap/free:bytes"},
		{Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/memory/classes/heap/unused:bytes"},
	}
	metrics.Read(samples)
	v := make([]int64, len(samples))
	for i, s := range samples {
		if s.Value.Kind() != metrics.KindUint64 {
			return math.MaxInt64 / 2 // unknown: no cap rather than a wrong one
		}
		v[i] = int64(min(s.Value.Uint64(), math.MaxInt64/4))
	}
	live, total, released, free, objects, unused := v[0], v[1], v[2], v[3], v[4], v[5]
	outsideHeap := max(0, total-released-free-objects-unused)
	return live + outsideHeap
}
