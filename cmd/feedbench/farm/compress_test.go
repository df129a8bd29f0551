package farm

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/zstd"
)

// BenchmarkBodyCompression measures how small the farm's item bodies get
// with each general-purpose coder at hand, one item at a time as the store
// compresses them: the floor under the database's bytes per item.
//
//	go test ./cmd/feedbench/farm -run '^$' -bench BodyCompression
func BenchmarkBodyCompression(b *testing.B) {
	f := &Farm{cfg: Config{MinItemBytes: 1024, MaxItemBytes: 30720, Seed: 1}}
	f.corpus = makeCorpus(1, 2*f.cfg.MaxItemBytes+4096)
	var items [][]byte
	raw := 0
	for i := range 400 {
		h := []byte(f.itemHTML(i, i%20))
		items = append(items, h)
		raw += len(h)
	}
	type coder struct {
		name string
		fn   func([]byte) int
	}
	var coders []coder
	for _, level := range []int{1, 4, 5, 9} {
		var buf bytes.Buffer
		w, err := flate.NewWriter(&buf, level)
		if err != nil {
			b.Fatal(err)
		}
		coders = append(coders, coder{fmt.Sprintf("deflate-%d", level), func(p []byte) int {
			buf.Reset()
			w.Reset(&buf)
			_, _ = w.Write(p)
			_ = w.Close()
			return buf.Len()
		}})
	}
	for _, level := range []zstd.EncoderLevel{zstd.SpeedFastest, zstd.SpeedDefault, zstd.SpeedBetterCompression, zstd.SpeedBestCompression} {
		enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(level), zstd.WithEncoderConcurrency(1), zstd.WithWindowSize(256<<10))
		if err != nil {
			b.Fatal(err)
		}
		var out []byte
		coders = append(coders, coder{"zstd-" + level.String(), func(p []byte) int {
			out = enc.EncodeAll(p, out[:0])
			return len(out)
		}})
	}
	for _, c := range coders {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(raw))
			n := 0
			for b.Loop() {
				n = 0
				for _, it := range items {
					n += c.fn(it)
				}
			}
			b.ReportMetric(float64(raw)/float64(len(items)), "raw-B/item")
			b.ReportMetric(float64(n)/float64(len(items)), "B/item")
		})
	}
}
