package publish

import (
	"context"
	"os"
	"testing"
)

// Benchmarks of the targets in issue 5: a full publish of 200 editions with
// 10,000 item pages (< 10 s) and an incremental publish after one new
// edition (< 0.5 s). Run with:
//
//	go test ./digest/publish -run '^$' -bench Publish -benchtime 3x
const (
	benchEditions = 200
	benchPerEd    = 50
)

func BenchmarkPublishFull(b *testing.B) {
	in := sampleInput(benchEditions, benchPerEd)
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		dir, err := os.MkdirTemp(b.TempDir(), "full")
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		res, err := newPublisher(b, dir).Publish(context.Background(), in)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(res.Written), "files")
	}
}

func BenchmarkPublishIncremental(b *testing.B) {
	before := sampleInput(benchEditions-1, benchPerEd)
	after := sampleInput(benchEditions, benchPerEd)
	dir := b.TempDir()
	p := newPublisher(b, dir)
	if _, err := p.Publish(context.Background(), before); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		if _, err := p.Publish(context.Background(), before); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		res, err := p.Publish(context.Background(), after)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(res.Written), "written")
		b.ReportMetric(float64(res.Unchanged), "unchanged")
	}
}

// BenchmarkPublishNoop is a publish with nothing new (the daemon publishes
// after every cycle).
func BenchmarkPublishNoop(b *testing.B) {
	in := sampleInput(benchEditions, benchPerEd)
	dir := b.TempDir()
	p := newPublisher(b, dir)
	if _, err := p.Publish(context.Background(), in); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := p.Publish(context.Background(), in); err != nil {
			b.Fatal(err)
		}
	}
}
