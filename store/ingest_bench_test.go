//go:build unix

package store

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/tidings/tidings"
)

// BenchmarkConcurrentIngest is the store's side of a cold ingest: 16
// concurrent savers (the poller's default worker count), one SavePoll of
// 20 new items of 1–30 KB per feed, fsync on as in production. It reports
// feeds per second, CPU seconds per 1,000 items, write transactions
// (commits) per feed, database bytes per item (pages in use) and the
// peak anonymous memory of the test process (a relative figure: the
// prepared bodies count too), the growth of its resident file-backed memory (bbolt's
// memory-mapped pages, which the kernel may drop but RSS counts). Run with
//
//	go test ./store -run '^$' -bench ConcurrentIngest -benchtime 1x
func BenchmarkConcurrentIngest(b *testing.B) {
	const feeds, workers, perFeed = 400, 16, 20
	p := newProse(21)
	var pool []tidings.Item // distinct bodies, reused under new identities
	for i := range 100 {
		pool = append(pool, p.article(strconv.Itoa(i), 1000+p.r.IntN(29001)))
	}
	for range b.N {
		b.StopTimer()
		db, err := Open(filepath.Join(b.TempDir(), "tidings.db"), Options{})
		if err != nil {
			b.Fatal(err)
		}
		fs := make([]tidings.Feed, feeds)
		for i := range fs {
			fs[i] = addFeed(b, db, fmt.Sprintf("https://site%d.example.com/feed.xml", i))
		}
		tx0, rss0 := txID(b, db), procStatus("RssFile")
		cpu0 := cpuTime()
		start := time.Now()
		b.StartTimer()
		stop, peakAnon := sampleAnon()
		jobs := make(chan int)
		var wg sync.WaitGroup
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range jobs {
					items := make([]tidings.Item, perFeed)
					for j := range items {
						items[j] = pool[(i*perFeed+j)%len(pool)]
						items[j].Identity = fmt.Sprintf("%d-%d", i, j)
					}
					if _, err := db.SavePoll(fs[i], items, t0.Add(time.Duration(i)*time.Millisecond)); err != nil {
						b.Error(err)
					}
				}
			}()
		}
		for i := range feeds {
			jobs <- i
		}
		close(jobs)
		wg.Wait()
		b.StopTimer()
		wall, cpu := time.Since(start), cpuTime()-cpu0
		stop()
		b.ReportMetric(float64(*peakAnon)/(1<<20), "peak-anon-MiB")
		b.ReportMetric(float64(feeds)/wall.Seconds(), "feeds/s")
		b.ReportMetric(cpu.Seconds()/float64(feeds*perFeed)*1000, "cpu-s/1000items")
		b.ReportMetric(float64(txID(b, db)-tx0)/float64(feeds), "commits/feed")
		b.ReportMetric(float64(procStatus("RssFile")-rss0)/(1<<20), "rss-file-MiB")
		b.ReportMetric(float64(usedBytes(db))/float64(feeds*perFeed), "db-B/item")
		db.Close()
	}
}

// sampleAnon samples the process's anonymous resident memory every 5 ms
// until stop is called, keeping the peak.
func sampleAnon() (stop func(), peak *int64) {
	peak = new(int64)
	done, quit := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			*peak = max(*peak, procStatus("RssAnon"))
			select {
			case <-quit:
				return
			case <-t.C:
			}
		}
	}()
	return func() { close(quit); <-done }, peak
}

// usedBytes is the database's high-water mark minus its free pages.
func usedBytes(db *DB) int64 {
	var sz int64
	db.bolt.View(func(tx *bbolt.Tx) error {
		st := db.bolt.Stats()
		sz = tx.Size() - int64(st.FreePageN+st.PendingPageN)*int64(db.bolt.Info().PageSize)
		return nil
	})
	return sz
}

// procStatus reads a kB field of /proc/self/status, in bytes (0 if absent).
func procStatus(field string) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n << 10
		}
	}
	return 0
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
