package store

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/tidings/tidings"
)

// BenchmarkSavePoll measures one poll of a feed with 20 items, all new, the
// common worst case of the ingest path, with fsync as in production.
func BenchmarkSavePoll(b *testing.B) {
	for _, tc := range []struct {
		name   string
		size   int
		new    bool
		noSync bool
	}{{"new-4KB", 4000, true, false}, {"unchanged-4KB", 4000, false, false}, {"new-4KB-nosync", 4000, true, true}} {
		b.Run(tc.name, func(b *testing.B) {
			db, err := Open(filepath.Join(b.TempDir(), "tidings.db"), Options{NoSync: tc.noSync})
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			f := addFeed(b, db, "https://example.org/feed.xml")
			p := newProse(1)
			pre := make([]tidings.Item, 20)
			for i := range pre {
				pre[i] = p.article(strconv.Itoa(i), tc.size)
			}
			if !tc.new {
				poll(b, db, f, t0, pre...)
			}
			b.ResetTimer()
			for n := range b.N {
				items := pre
				if tc.new {
					b.StopTimer()
					items = make([]tidings.Item, 20)
					for i := range items {
						items[i] = pre[i]
						items[i].Identity = fmt.Sprintf("%d-%d", n, i)
					}
					b.StartTimer()
				}
				poll(b, db, f, t0.Add(time.Duration(n)*time.Second), items...)
			}
			b.ReportMetric(float64(b.N*20)/b.Elapsed().Seconds(), "items/s")
		})
	}
}

// BenchmarkSavePollLarge stores one poll of a feed carrying its whole
// archive, all items new: the cost per item must not grow with the poll.
//
//	go test ./store -run '^$' -bench SavePollLarge -benchtime 1x
func BenchmarkSavePollLarge(b *testing.B) {
	for _, n := range []int{1000, 10000, 40000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			p := newProse(1)
			items := make([]tidings.Item, n)
			for i := range items {
				items[i] = p.article(strconv.Itoa(i), 100) // short: the index work shows
			}
			for range b.N {
				b.StopTimer()
				db, err := Open(filepath.Join(b.TempDir(), "tidings.db"), Options{NoSync: true})
				if err != nil {
					b.Fatal(err)
				}
				f := addFeed(b, db, "https://example.org/archive.xml")
				b.StartTimer()
				poll(b, db, f, t0, items...)
				b.StopTimer()
				db.Close()
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*n), "µs/item")
		})
	}
}

// BenchmarkStorageSize reports what stored items cost on disk, for bodies
// of several sizes and a uniform 1–30 KB mix: bytes of database per item
// (used pages / items, after 2,000 items), the growth per 1,000 items (the
// second thousand), and the average compressed item value. Run with
//
//	go test ./store -run '^$' -bench StorageSize -benchtime 1x
func BenchmarkStorageSize(b *testing.B) {
	for _, tc := range []struct {
		name     string
		min, max int
	}{{"1KB", 1000, 1000}, {"5KB", 5000, 5000}, {"10KB", 10000, 10000}, {"30KB", 30000, 30000}, {"mix-1-30KB", 1000, 30000}} {
		b.Run(tc.name, func(b *testing.B) {
			for range b.N {
				m := measureStorage(b, tc.min, tc.max, 2000)
				b.ReportMetric(m.bytesPerItem, "db-B/item")
				b.ReportMetric(m.growthPer1000/1e6, "MB/1000items")
				b.ReportMetric(m.valueBytes, "value-B/item")
				b.ReportMetric(m.rawBytes, "raw-B/item")
				b.ReportMetric(m.fileBytes/1e6, "file-MB")
			}
		})
	}
}

type storageMeasure struct {
	bytesPerItem, growthPer1000, valueBytes, rawBytes, fileBytes float64
}

// measureStorage polls n items (20 per poll, across 50 feeds) with HTML
// bodies of min..max bytes, uniformly distributed.
func measureStorage(tb testing.TB, minSize, maxSize, n int) storageMeasure {
	path := filepath.Join(tb.TempDir(), "tidings.db")
	db, err := Open(path, Options{NoSync: true})
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	p := newProse(uint64(minSize*31 + maxSize))
	var feeds []tidings.Feed
	for i := range 50 {
		feeds = append(feeds, addFeed(tb, db, fmt.Sprintf("https://site%d.example.com/feed.xml", i)))
	}
	used := func() int64 {
		var sz int64
		db.bolt.View(func(tx *bbolt.Tx) error {
			// High-water mark minus free pages: what the data occupies.
			sz = tx.Size() - int64(db.bolt.Stats().FreePageN+db.bolt.Stats().PendingPageN)*int64(db.bolt.Info().PageSize)
			return nil
		})
		return sz
	}
	var raw, half int64
	for i := 0; i < n; i += 20 {
		if i == n/2 {
			half = used()
		}
		items := make([]tidings.Item, 20)
		for j := range items {
			size := minSize
			if maxSize > minSize {
				size += p.r.IntN(maxSize - minSize + 1)
			}
			items[j] = p.article(strconv.Itoa(i+j), size)
			raw += int64(len(items[j].Content) + len(items[j].Text) + len(items[j].Summary))
		}
		f := feeds[(i/20)%len(feeds)]
		poll(tb, db, f, t0.Add(time.Duration(i)*time.Second), items...)
	}
	var values int64
	db.bolt.View(func(tx *bbolt.Tx) error {
		return tx.Bucket([]byte(bItems)).ForEach(func(_, v []byte) error { values += int64(len(v)); return nil })
	})
	total := used()
	fi, _ := os.Stat(path)
	return storageMeasure{
		bytesPerItem:  float64(total) / float64(n),
		growthPer1000: float64(total-half) / float64(n-n/2) * 1000,
		valueBytes:    float64(values) / float64(n),
		rawBytes:      float64(raw) / float64(n),
		fileBytes:     float64(fi.Size()),
	}
}
