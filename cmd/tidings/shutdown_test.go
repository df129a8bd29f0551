package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tidings/tidings/store"
)

// TestShutdownLetsInFlightPollFinish: SIGTERM during a slow poll lets the
// feed's poll complete and be committed before serve exits 0; a feed
// slower than the grace period is cut off, and serve still exits 0.
func TestShutdownLetsInFlightPollFinish(t *testing.T) {
	tests := []struct {
		name      string
		grace     time.Duration // 0: the default, shutdownGrace
		delay     time.Duration // 0: the server never answers by itself
		wantItems int
	}{
		{"slow poll finishes", 0, time.Second, 2},
		{"poll slower than the grace is cut off", 200 * time.Millisecond, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			arrived := make(chan struct{}, 1)
			hang := make(chan struct{})
			defer close(hang)
			var srv *httptest.Server
			srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				select {
				case arrived <- struct{}{}:
				default:
				}
				wait := (<-chan time.Time)(nil)
				if tt.delay > 0 {
					wait = time.After(tt.delay)
				}
				select {
				case <-wait:
				case <-hang:
					return
				case <-r.Context().Done():
					return
				}
				w.Header().Set("Content-Type", "application/rss+xml")
				fmt.Fprintf(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>Slow</title><link>%[1]s/</link><description>d</description>
<item><title>One</title><link>%[1]s/a/1</link><guid>one</guid><description>First story.</description></item>
<item><title>Two</title><link>%[1]s/a/2</link><guid>two</guid><description>Second story.</description></item>
</channel></rss>`, srv.URL)
			}))
			defer srv.Close()
			cfg, dir := testConfig(t, "[[feed]]\nurl = \""+srv.URL+"/slow.xml\"\n")

			ctx, stop := context.WithCancel(context.Background())
			defer stop()
			var logs syncBuffer
			done := make(chan int, 1)
			go func() {
				code, _, stderr := runCtx(ctx, func(a *app) {
					a.grace = tt.grace
					a.hup = make(chan os.Signal)
				}, "-config", cfg, "serve", "--listen", "127.0.0.1:0")
				logs.Write([]byte(stderr))
				done <- code
			}()
			select {
			case <-arrived:
			case code := <-done:
				t.Fatalf("serve exited with %d before polling: %s", code, logs.String())
			}
			stop() // what SIGTERM does
			if code := <-done; code != 0 {
				t.Fatalf("exit code %d, want 0: %s", code, logs.String())
			}

			db, err := store.Open(filepath.Join(dir, "data", "tidings.db"), store.Options{ReadOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			st, err := db.Stats()
			if err != nil {
				t.Fatal(err)
			}
			if st.Items != tt.wantItems {
				t.Errorf("%d items stored, want %d", st.Items, tt.wantItems)
			}
		})
	}
}
