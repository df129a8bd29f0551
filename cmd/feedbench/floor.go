package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mmcdole/gofeed"
	"go.etcd.io/bbolt"
)

// runFloor measures the least work any poller must do on this farm: the
// same concurrent (conditional) GETs with the same worker and per-host
// limits, gofeed parsing, and one bbolt transaction per feed holding one
// small record per item. No normalization, sanitizing, full text or
// compression. (bbolt is imported here, outside store/, only because the
// floor must not use the real store.)
func runFloor(ctx context.Context, c config, urls []string, ctl, dbPath string) ([]phase, error) {
	db, err := bbolt.Open(dbPath, 0o600, &bbolt.Options{Timeout: 2 * time.Second, NoSync: c.noSync})
	if err != nil {
		return nil, err
	}
	defer db.Close()
	if err := db.Update(func(tx *bbolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists([]byte("items"))
		if err == nil {
			_, err = tx.CreateBucketIfNotExists([]byte("feeds"))
		}
		return err
	}); err != nil {
		return nil, err
	}
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		MaxIdleConns: 64, MaxIdleConnsPerHost: c.perHost, IdleConnTimeout: 30 * time.Second,
	}}
	defer client.CloseIdleConnections()
	hostSem := map[string]chan struct{}{}
	for _, u := range urls {
		h := hostKey(u)
		if hostSem[h] == nil {
			hostSem[h] = make(chan struct{}, c.perHost)
		}
	}
	etags := make([]string, len(urls))
	var phases []phase
	for _, name := range []string{"cold ingest", "no-change re-poll"} {
		m := startMeter(ctl)
		var recv, newItems, errs atomic.Int64
		jobs := make(chan int)
		var wg sync.WaitGroup
		for range c.workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				parser := gofeed.NewParser()
				for i := range jobs {
					sem := hostSem[hostKey(urls[i])]
					sem <- struct{}{}
					n, items, et, err := floorOne(ctx, client, parser, db, urls[i], etags[i])
					<-sem
					if err != nil {
						errs.Add(1)
						continue
					}
					etags[i] = et // each index is owned by one worker at a time
					recv.Add(n)
					newItems.Add(int64(items))
				}
			}()
		}
	feeds:
		for i := range urls {
			select {
			case jobs <- i:
			case <-ctx.Done():
				break feeds
			}
		}
		close(jobs)
		wg.Wait()
		ph := m.end(name)
		ph.BytesRecv, ph.NewItems, ph.Errors = recv.Load(), int(newItems.Load()), int(errs.Load())
		_ = db.View(func(tx *bbolt.Tx) error {
			ph.Items = tx.Bucket([]byte("items")).Stats().KeyN
			return nil
		})
		ph.DBBytes = fileSize(dbPath)
		phases = append(phases, ph)
		if err := ctx.Err(); err != nil {
			return phases, err
		}
	}
	return phases, nil
}

func hostKey(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return u
	}
	return p.Host
}

func floorOne(ctx context.Context, client *http.Client, parser *gofeed.Parser, db *bbolt.DB, u, etag string) (int64, int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, 0, "", err
	}
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, 0, "", err
	}
	defer resp.Body.Close()
	newTag := resp.Header.Get("ETag")
	if resp.StatusCode == http.StatusNotModified {
		err := db.Batch(func(tx *bbolt.Tx) error {
			return tx.Bucket([]byte("feeds")).Put([]byte(u), []byte(etag))
		})
		return 0, 0, etag, err
	}
	if resp.StatusCode != http.StatusOK {
		return 0, 0, "", fmt.Errorf("%s: %s", u, resp.Status)
	}
	cr := &countReader{r: resp.Body}
	f, err := parser.Parse(cr)
	if err != nil {
		return cr.n, 0, "", err
	}
	err = db.Batch(func(tx *bbolt.Tx) error {
		if err := tx.Bucket([]byte("feeds")).Put([]byte(u), []byte(newTag)); err != nil {
			return err
		}
		b := tx.Bucket([]byte("items"))
		for _, it := range f.Items {
			if err := b.Put([]byte(u+"\x00"+it.GUID), []byte(it.Title)); err != nil {
				return err
			}
		}
		return nil
	})
	return cr.n, len(f.Items), newTag, err
}

type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
