package publish

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func newPublisher(t testing.TB, dir string) *Publisher {
	return &Publisher{Dir: dir, BaseURL: "https://news.example.org/tidings/", Now: func() time.Time { return t0.Add(1000 * time.Hour) }}
}

func TestPublishSmoke(t *testing.T) {
	dir := os.Getenv("TIDINGS_SMOKE_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	p := newPublisher(t, dir)
	res, err := p.Publish(context.Background(), sampleInput(3, 7))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", res)
	if _, err := os.Stat(filepath.Join(dir, "daily", "feed.xml")); err != nil {
		t.Fatal(err)
	}
}
