package farm

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestFarmServesConditionally(t *testing.T) {
	f, err := Start(Config{Feeds: 4, Items: 3, MinItemBytes: 200, MaxItemBytes: 400, Hosts: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	get := func(u, etag string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		if etag != "" {
			req.Header.Set("If-None-Match", etag)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	for i, want := range []string{"<rss", "<feed"} {
		resp, body := get(f.URL(i), "")
		if resp.StatusCode != 200 || !strings.Contains(body, want) || strings.Count(body, "Item ") != 3 {
			t.Fatalf("feed %d: status %d, body %.200s", i, resp.StatusCode, body)
		}
		etag := resp.Header.Get("ETag")
		if resp, _ := get(f.URL(i), etag); resp.StatusCode != http.StatusNotModified {
			t.Errorf("feed %d: conditional GET got %d, want 304", i, resp.StatusCode)
		}
		f.Publish(i)
		if resp, _ := get(f.URL(i), etag); resp.StatusCode != 200 {
			t.Errorf("feed %d after Publish: got %d, want 200", i, resp.StatusCode)
		}
	}
	if s := f.Stats(); s.Requests != 6 || s.NotModified != 2 || s.Feeds200 != 4 {
		t.Errorf("stats: %+v", s)
	}
	if f.URL(0) == f.URL(1) || !strings.HasPrefix(f.URL(1), f.Bases()[1]) {
		t.Errorf("feeds are not spread over hosts: %v", f.URLs())
	}
}
