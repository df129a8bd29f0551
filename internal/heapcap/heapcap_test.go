package heapcap

import (
	"math"
	"runtime/debug"
	"sync"
	"testing"
)

// limit reads the runtime's soft memory limit.
func limit() int64 { return debug.SetMemoryLimit(-1) }

// withLimit sets the process's limit for one test and restores it after.
func withLimit(t *testing.T, l int64) {
	t.Helper()
	prev := debug.SetMemoryLimit(l)
	t.Cleanup(func() { debug.SetMemoryLimit(prev) })
}

func TestIngestCapsAndRestores(t *testing.T) {
	withLimit(t, math.MaxInt64)
	c := New(8 << 20)
	release := c.Ingest()
	got := limit()
	if got == math.MaxInt64 {
		t.Fatal("ingest did not set a limit")
	}
	// The cap is the headroom above what the process holds: more than the
	// headroom, far less than no limit.
	if got < 8<<20 || got > 8<<20+1<<30 {
		t.Errorf("limit while ingesting = %d, want headroom (8 MiB) + held memory", got)
	}
	if c.Limit() != got {
		t.Errorf("Limit() = %d, runtime has %d", c.Limit(), got)
	}
	release()
	if l := limit(); l != math.MaxInt64 {
		t.Errorf("after release: limit %d, want none", l)
	}
	release() // a second call changes nothing
	if l := limit(); l != math.MaxInt64 || c.Limit() != 0 {
		t.Errorf("after a second release: limit %d, Limit() %d", l, c.Limit())
	}
}

func TestUserLimitIsNeverRaised(t *testing.T) {
	withLimit(t, 4<<20) // a GOMEMLIMIT below any cap
	c := New(64 << 20)
	release := c.Ingest()
	if l := limit(); l != 4<<20 {
		t.Errorf("limit while ingesting = %d, want the user's 4 MiB", l)
	}
	release()
	if l := limit(); l != 4<<20 {
		t.Errorf("after: %d, want the user's limit back", l)
	}
}

func TestLiftAndNesting(t *testing.T) {
	const base = 1 << 40
	withLimit(t, base)
	c := New(8 << 20)
	var ingest1, ingest2, lift1, lift2 func()
	type step struct {
		name   string
		do     func()
		capped bool
	}
	steps := []step{
		{"first ingest", func() { ingest1 = c.Ingest() }, true},
		{"second ingest joins", func() { ingest2 = c.Ingest() }, true},
		{"a build lifts the cap", func() { lift1 = c.Lift() }, false},
		{"a second build", func() { lift2 = c.Lift() }, false},
		{"one build ends", func() { lift1() }, false},
		{"last build ends: capped again", func() { lift2() }, true},
		{"one ingest ends", func() { ingest1() }, true},
		{"last ingest ends", func() { ingest2() }, false},
	}
	var capped int64
	for _, s := range steps {
		s.do()
		l := limit()
		switch {
		case s.capped && l == base:
			t.Fatalf("%s: limit not capped", s.name)
		case s.capped && capped != 0 && l != capped:
			t.Fatalf("%s: limit %d, want the cap %d set by the first ingest", s.name, l, capped)
		case !s.capped && l != base:
			t.Fatalf("%s: limit %d, want the base %d", s.name, l, base)
		}
		if s.capped && capped == 0 {
			capped = l
		}
	}
}

func TestBuildFirstThenIngest(t *testing.T) {
	withLimit(t, math.MaxInt64)
	c := New(8 << 20)
	lift := c.Lift()
	ingest := c.Ingest()
	if l := limit(); l != math.MaxInt64 {
		t.Fatalf("ingest during a build capped the heap: %d", l)
	}
	lift()
	if l := limit(); l == math.MaxInt64 || l == 0 {
		t.Fatalf("build ended while ingesting: limit %d, want a cap", l)
	}
	ingest()
	if l := limit(); l != math.MaxInt64 {
		t.Fatalf("all done: limit %d", l)
	}
}

func TestOffAndNil(t *testing.T) {
	withLimit(t, math.MaxInt64)
	for name, c := range map[string]*Cap{"nil": nil, "zero headroom": New(0), "negative": New(-1)} {
		r1, r2 := c.Ingest(), c.Lift()
		if l := limit(); l != math.MaxInt64 {
			t.Errorf("%s: limit %d while ingesting", name, l)
		}
		r1()
		r2()
		if c.Limit() != 0 {
			t.Errorf("%s: Limit() = %d", name, c.Limit())
		}
	}
	c := New(0)
	c.SetHeadroom(8 << 20)
	release := c.Ingest()
	if limit() == math.MaxInt64 {
		t.Error("SetHeadroom did not turn the cap on")
	}
	release()
}

func TestConcurrentHolders(t *testing.T) {
	withLimit(t, math.MaxInt64)
	c := New(8 << 20)
	var wg sync.WaitGroup
	for i := range 32 {
		wg.Go(func() {
			for range 100 {
				var release func()
				if i%3 == 0 {
					release = c.Lift()
				} else {
					release = c.Ingest()
				}
				release()
			}
		})
	}
	wg.Wait()
	if l := limit(); l != math.MaxInt64 {
		t.Errorf("after all holders released: limit %d", l)
	}
}

func TestHeldIsPlausible(t *testing.T) {
	h := held()
	// A test binary holds at least a few hundred KB (stacks, runtime
	// metadata, the live heap) and nowhere near a GB.
	if h < 256<<10 || h > 1<<30 {
		t.Errorf("held() = %d", h)
	}
}

func TestGCPercentWhileCapped(t *testing.T) {
	withLimit(t, math.MaxInt64)
	prev := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(prev) })
	for _, tc := range []struct {
		name       string
		base, want int
	}{
		{"default raised", 100, IngestGCPercent},
		{"low raised", 50, IngestGCPercent},
		{"higher kept", 800, 800},
		{"off kept", -1, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			debug.SetGCPercent(tc.base)
			c := New(8 << 20)
			release := c.Ingest()
			if got := gcPercent(); got != tc.want {
				t.Errorf("GOGC while capped = %d, want %d", got, tc.want)
			}
			lift := c.Lift()
			if got := gcPercent(); got != tc.base {
				t.Errorf("GOGC while lifted = %d, want the base %d", got, tc.base)
			}
			lift()
			release()
			if got := gcPercent(); got != tc.base {
				t.Errorf("GOGC after = %d, want %d back", got, tc.base)
			}
		})
	}
}
