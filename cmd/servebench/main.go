// Command servebench measures the output server of Tidings: N concurrent
// clients on loopback make conditional GETs of a digest's feed.xml (as feed
// readers do) and full GETs of index.html (as browsers do) for a while, then
// it prints requests per second and latency percentiles.
//
//	go run ./cmd/servebench -clients 200 -duration 20s
//
// Without -dir it publishes a sample site (30 editions of 40 stories) into a
// temporary directory first.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/tidings/tidings"
	"github.com/tidings/tidings/digest/publish"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "servebench:", err)
		os.Exit(1)
	}
}

type stats struct {
	latencies []time.Duration
	status    map[int]int
	errors    int
	bytes     int64
}

func run() error {
	clients := flag.Int("clients", 200, "concurrent clients")
	duration := flag.Duration("duration", 20*time.Second, "how long to run")
	dir := flag.String("dir", "", "published output directory (default: publish a sample site)")
	digest := flag.String("digest", "daily", "digest whose feed.xml is polled")
	gzip := flag.Bool("gzip", true, "clients accept gzip")
	flag.Parse()

	if *dir == "" {
		tmp, err := os.MkdirTemp("", "servebench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		if err := publishSample(tmp); err != nil {
			return err
		}
		*dir = tmp
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: publish.NewHandler(*dir, publish.HandlerOptions{MaxAge: time.Hour}), ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	base := "http://" + ln.Addr().String()

	tr := &http.Transport{MaxIdleConns: *clients * 2, MaxIdleConnsPerHost: *clients * 2, DisableCompression: true}
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	feedURL := base + "/" + *digest + "/feed.xml"
	etag, err := firstETag(client, feedURL, *gzip)
	if err != nil {
		return err
	}

	ctx, cancel := context.WithTimeout(context.Background(), *duration)
	defer cancel()
	results := make([]stats, *clients)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range *clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st := &results[i]
			st.status = map[int]int{}
			for n := 0; ctx.Err() == nil; n++ {
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/index.html", nil)
				if n%2 == 0 {
					req, _ = http.NewRequestWithContext(ctx, http.MethodGet, feedURL, nil)
					req.Header.Set("If-None-Match", etag)
				}
				if *gzip {
					req.Header.Set("Accept-Encoding", "gzip")
				}
				t := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					if ctx.Err() == nil {
						st.errors++
					}
					continue
				}
				nb, _ := io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				st.latencies = append(st.latencies, time.Since(t))
				st.status[resp.StatusCode]++
				st.bytes += nb
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)

	var all []time.Duration
	status := map[int]int{}
	var errs int
	var bytes int64
	for _, st := range results {
		all = append(all, st.latencies...)
		for k, v := range st.status {
			status[k] += v
		}
		errs += st.errors
		bytes += st.bytes
	}
	slices.Sort(all)
	pct := func(p float64) time.Duration {
		if len(all) == 0 {
			return 0
		}
		return all[min(len(all)-1, int(float64(len(all))*p))]
	}
	fmt.Printf("clients=%d duration=%s requests=%d errors=%d\n", *clients, elapsed.Round(time.Millisecond), len(all), errs)
	fmt.Printf("req/s=%.0f p50=%s p99=%s max=%s\n", float64(len(all))/elapsed.Seconds(), pct(0.50), pct(0.99), pct(1))
	fmt.Printf("status=%v MB/s=%.1f\n", status, float64(bytes)/elapsed.Seconds()/1e6)

	sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer scancel()
	if err := srv.Shutdown(sctx); err != nil {
		return err
	}
	if err := <-done; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func firstETag(c *http.Client, u string, gzip bool) (string, error) {
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return "", err
	}
	if gzip {
		req.Header.Set("Accept-Encoding", "gzip") // the ETag names the encoding
	}
	resp, err := c.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("ETag") == "" {
		return "", fmt.Errorf("GET %s: %s, ETag %q", u, resp.Status, resp.Header.Get("ETag"))
	}
	return resp.Header.Get("ETag"), nil
}

// publishSample writes a realistic site: 30 daily editions of 40 stories.
func publishSample(dir string) error {
	t0 := time.Date(2026, 10, 1, 7, 0, 0, 0, time.UTC)
	var eds []tidings.Edition
	sections := []string{"Engineering", "AI", "DevOps", "Data"}
	for n := 1; n <= 30; n++ {
		e := tidings.Edition{Digest: "daily", Number: n, Title: fmt.Sprintf("Daily Tidings #%d", n),
			Slot: t0.AddDate(0, 0, n), Built: t0.AddDate(0, 0, n).Add(time.Minute)}
		for k := range 40 {
			i := n*100 + k
			si := k % len(sections)
			for len(e.Sections) <= si {
				e.Sections = append(e.Sections, tidings.Section{Name: sections[len(e.Sections)]})
			}
			url := fmt.Sprintf("https://blog%d.example.org/posts/%d", i%13, i)
			e.Sections[si].Entries = append(e.Sections[si].Entries, tidings.Entry{
				ItemID: tidings.ItemID(uint64(i%13+1), url), Title: fmt.Sprintf("Story %d: a database release and what it changes", i),
				URL: url, FeedTitle: fmt.Sprintf("Blog %d", i%13), Published: e.Slot.Add(-time.Duration(k) * time.Minute),
				FirstSeen: e.Slot.Add(-time.Duration(k) * time.Minute),
				Summary: tidings.Summary{TLDR: "The release cuts p99 latency by 40% with a new I/O scheduler, which matters for busy OLTP systems.",
					KeyPoints: []string{"New I/O scheduler", "40% lower p99 latency", "Backwards compatible on-disk format"},
					Glossary:  []tidings.Term{{Term: "OLTP", Definition: "online transaction processing"}}},
				ContentHTML: "<p>" + fmt.Sprint(i) + " The article text, paragraph by paragraph.</p><p>More text.</p>",
				Text:        "The article text, paragraph by paragraph.\n\nMore text.",
				Sources:     []tidings.Source{{Title: fmt.Sprintf("Blog %d", i%13), URL: url}},
			})
		}
		eds = append(eds, e)
	}
	p := &publish.Publisher{Dir: dir, BaseURL: "http://127.0.0.1/"}
	_, err := p.Publish(context.Background(), publish.Input{Title: "Tidings",
		Digests:  []publish.DigestInfo{{Name: "daily", Title: "Daily Tidings", TTL: 24 * time.Hour}},
		Editions: map[string][]tidings.Edition{"daily": eds}})
	return err
}
