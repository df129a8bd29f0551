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

// TestLinksMarkup: with Links every paragraph opens with a relative link
// and continues in <em>; without, paragraphs are plain text. The words are
// the same either way.
func TestLinksMarkup(t *testing.T) {
	body := func(links bool) string {
		f := &Farm{cfg: Config{MinItemBytes: 1024, MaxItemBytes: 4096, Seed: 1, Links: links}}
		f.corpus = makeCorpus(1, 2*f.cfg.MaxItemBytes+4096)
		return f.itemHTML(3, 4)
	}
	plain, marked := body(false), body(true)
	if strings.Contains(plain, "<a ") || strings.Contains(plain, "<em>") {
		t.Errorf("plain body has markup: %.80q", plain)
	}
	paras := strings.Count(marked, "<p>")
	if strings.Count(marked, `<a href="/ref/3/4">`) != paras || strings.Count(marked, "<em>") != paras {
		t.Errorf("%d paragraphs, want a link and <em> in each: %.120q", paras, marked)
	}
	strip := strings.NewReplacer(`<a href="/ref/3/4">`, "", "</a>", "", "<em>", "", "</em>", "")
	if strip.Replace(marked) != plain {
		t.Error("markup changed the words")
	}
}
