package publish

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func servedSite(t *testing.T) (*httptest.Server, string) {
	t.Helper()
	dir := publishInput(t, sampleInput(2, 3))
	srv := httptest.NewServer(NewHandler(dir, HandlerOptions{MaxAge: time.Hour}))
	t.Cleanup(srv.Close)
	return srv, dir
}

func get(t *testing.T, srv *httptest.Server, method, path string, hdr map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	// Our own transport settings: no transparent gzip, no redirects.
	client := &http.Client{
		Transport:     &http.Transport{DisableCompression: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, body
}

func TestHandlerTypesAndHeaders(t *testing.T) {
	srv, _ := servedSite(t)
	cases := []struct{ path, ctype string }{
		{"/", "text/html; charset=utf-8"},
		{"/index.html", "text/html; charset=utf-8"},
		{"/daily/feed.xml", "application/rss+xml; charset=utf-8"},
		{"/daily/items.xml", "application/rss+xml; charset=utf-8"},
		{"/daily/atom.xml", "application/atom+xml; charset=utf-8"},
		{"/daily/items.atom", "application/atom+xml; charset=utf-8"},
		{"/daily/feed.json", "application/feed+json; charset=utf-8"},
		{"/daily/items.json", "application/feed+json; charset=utf-8"},
		{"/daily/1/index.md", "text/markdown; charset=utf-8"},
		{"/daily/1/index.txt", "text/plain; charset=utf-8"},
		{"/sources.opml", "text/x-opml; charset=utf-8"},
		{"/style.css", "text/css; charset=utf-8"},
		{"/daily/", "text/html; charset=utf-8"},
	}
	for _, c := range cases {
		t.Run(c.path, func(t *testing.T) {
			resp, body := get(t, srv, "GET", c.path, nil)
			if resp.StatusCode != 200 {
				t.Fatalf("status: got %d, want 200", resp.StatusCode)
			}
			if got := resp.Header.Get("Content-Type"); got != c.ctype {
				t.Errorf("Content-Type: got %q, want %q", got, c.ctype)
			}
			if len(body) == 0 {
				t.Error("empty body")
			}
			for h, want := range map[string]string{
				"X-Content-Type-Options": "nosniff",
				"Cache-Control":          "public, max-age=3600",
				"Referrer-Policy":        "strict-origin-when-cross-origin",
			} {
				if got := resp.Header.Get(h); got != want {
					t.Errorf("%s: got %q, want %q", h, got, want)
				}
			}
			csp := resp.Header.Get("Content-Security-Policy")
			if !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "img-src * data:") || strings.Contains(csp, "unsafe-inline") {
				t.Errorf("CSP: %q", csp)
			}
			if resp.Header.Get("ETag") == "" || resp.Header.Get("Last-Modified") == "" {
				t.Errorf("validators missing: ETag %q Last-Modified %q", resp.Header.Get("ETag"), resp.Header.Get("Last-Modified"))
			}
		})
	}
}

func TestHandlerConditional(t *testing.T) {
	srv, dir := servedSite(t)
	resp, _ := get(t, srv, "GET", "/daily/feed.xml", nil)
	etag, lm := resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
	cases := []struct {
		name string
		hdr  map[string]string
		want int
	}{
		{"etag", map[string]string{"If-None-Match": etag}, 304},
		{"etag-list", map[string]string{"If-None-Match": `"other", ` + etag}, 304},
		{"etag-other", map[string]string{"If-None-Match": `"other"`}, 200},
		{"if-modified-since", map[string]string{"If-Modified-Since": lm}, 304},
		{"if-modified-since-old", map[string]string{"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"}, 200},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, body := get(t, srv, "GET", "/daily/feed.xml", c.hdr)
			if resp.StatusCode != c.want {
				t.Errorf("status: got %d, want %d", resp.StatusCode, c.want)
			}
			if c.want == 304 && len(body) != 0 {
				t.Errorf("304 with a body of %d bytes", len(body))
			}
		})
	}
	// A republish with the same bytes keeps the ETag.
	if _, err := newPublisher(t, dir).Publish(context.Background(), sampleInput(2, 3)); err != nil {
		t.Fatal(err)
	}
	resp, _ = get(t, srv, "GET", "/daily/feed.xml", map[string]string{"If-None-Match": etag})
	if resp.StatusCode != 304 {
		t.Errorf("after an unchanged publish: got %d, want 304", resp.StatusCode)
	}
	// A new edition changes it.
	if _, err := newPublisher(t, dir).Publish(context.Background(), sampleInput(3, 3)); err != nil {
		t.Fatal(err)
	}
	resp, _ = get(t, srv, "GET", "/daily/feed.xml", map[string]string{"If-None-Match": etag})
	if resp.StatusCode != 200 || resp.Header.Get("ETag") == etag {
		t.Errorf("after a new edition: status %d etag %q (old %q)", resp.StatusCode, resp.Header.Get("ETag"), etag)
	}
}

func TestHandlerGzip(t *testing.T) {
	srv, dir := servedSite(t)
	plain, _ := os.ReadFile(filepath.Join(dir, "index.html"))
	resp, body := get(t, srv, "GET", "/index.html", map[string]string{"Accept-Encoding": "br, gzip;q=0.8"})
	if resp.Header.Get("Content-Encoding") != "gzip" || !strings.Contains(resp.Header.Get("Vary"), "Accept-Encoding") {
		t.Fatalf("not gzipped: %v", resp.Header)
	}
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(zr)
	if !bytes.Equal(got, plain) {
		t.Error("gunzipped body differs from the file")
	}
	gzTag := resp.Header.Get("ETag")
	resp, _ = get(t, srv, "GET", "/index.html", map[string]string{"Accept-Encoding": "gzip", "If-None-Match": gzTag})
	if resp.StatusCode != 304 {
		t.Errorf("conditional gzip GET: got %d, want 304", resp.StatusCode)
	}
	resp, body = get(t, srv, "GET", "/index.html", map[string]string{"Accept-Encoding": "gzip;q=0"})
	if resp.Header.Get("Content-Encoding") != "" || !bytes.Equal(body, plain) {
		t.Errorf("q=0 still gzipped")
	}
	if resp.Header.Get("ETag") == gzTag {
		t.Errorf("identity and gzip share the ETag %s", gzTag)
	}
	// Range addresses the identity bytes.
	resp, body = get(t, srv, "GET", "/index.html", map[string]string{"Accept-Encoding": "gzip", "Range": "bytes=0-9"})
	if resp.StatusCode != 206 || resp.Header.Get("Content-Encoding") != "" || string(body) != string(plain[:10]) {
		t.Errorf("range: status %d encoding %q body %q", resp.StatusCode, resp.Header.Get("Content-Encoding"), body)
	}
	// HEAD: headers, no body.
	resp, body = get(t, srv, "HEAD", "/index.html", map[string]string{"Accept-Encoding": "gzip"})
	if resp.StatusCode != 200 || len(body) != 0 || resp.Header.Get("Content-Encoding") != "gzip" {
		t.Errorf("HEAD: status %d, %d body bytes, encoding %q", resp.StatusCode, len(body), resp.Header.Get("Content-Encoding"))
	}
}

func TestHandlerRefusals(t *testing.T) {
	srv, dir := servedSite(t)
	outside := filepath.Join(filepath.Dir(dir), "secret.txt")
	os.WriteFile(outside, []byte("secret"), 0o644)
	os.Symlink(outside, filepath.Join(dir, "link.txt"))
	os.MkdirAll(filepath.Join(dir, "empty"), 0o755)
	cases := []struct {
		path string
		want int
	}{
		{"/../secret.txt", 404},
		{"/%2e%2e/secret.txt", 404},
		{"/daily/..%2f..%2fsecret.txt", 404},
		{"/daily/%2e%2e/%2e%2e/secret.txt", 404},
		{"/..%5csecret.txt", 404},
		{"/link.txt", 404},
		{"/" + manifestName, 404},
		{"/daily/.hidden", 404},
		{"/items/", 404},
		{"/empty/", 404},
		{"/empty", 404},
		{"/nope.html", 404},
		{"/daily", 301},
		{"/daily/1", 301},
	}
	for _, c := range cases {
		t.Run(c.path, func(t *testing.T) {
			req, _ := http.NewRequest("GET", srv.URL, nil)
			req.URL.Opaque = c.path // sent as written, not cleaned by the client
			client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != c.want {
				t.Errorf("status: got %d, want %d", resp.StatusCode, c.want)
			}
			if bytes.Contains(body, []byte("secret")) || bytes.Contains(body, []byte("<a href=")) && c.want == 404 {
				t.Errorf("leaked: %q", body)
			}
		})
	}
	resp, _ := get(t, srv, "GET", "/daily/1?x=1", nil)
	if loc := resp.Header.Get("Location"); loc != "1/?x=1" {
		t.Errorf("redirect Location: got %q, want %q", loc, "1/?x=1")
	}
	resp, _ = get(t, srv, "POST", "/index.html", nil)
	if resp.StatusCode != 405 {
		t.Errorf("POST: got %d, want 405", resp.StatusCode)
	}
}

func FuzzRequestPath(f *testing.F) {
	for _, s := range []string{"/", "/a/b", "/../x", "/.x", "/a/./b", "//a", "/a\\b", "/a/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		name, ok := cleanRequestPath(p)
		if !ok {
			return
		}
		for _, seg := range strings.Split(name, "/") {
			if seg == "" || strings.HasPrefix(seg, ".") || strings.ContainsAny(seg, "\\\x00") {
				t.Fatalf("%q -> %q", p, name)
			}
		}
	})
}

func TestCacheMaxAge(t *testing.T) {
	for _, c := range []struct {
		ttls []time.Duration
		want time.Duration
	}{
		{nil, 5 * time.Minute},
		{[]time.Duration{0}, 5 * time.Minute},
		{[]time.Duration{24 * time.Hour}, time.Hour},
		{[]time.Duration{7 * 24 * time.Hour, 2 * time.Hour}, 30 * time.Minute},
		{[]time.Duration{time.Minute}, time.Minute},
	} {
		var ds []DigestInfo
		for _, ttl := range c.ttls {
			ds = append(ds, DigestInfo{Name: "d", TTL: ttl})
		}
		if got := CacheMaxAge(ds); got != c.want {
			t.Errorf("TTLs %v: got %v, want %v", c.ttls, got, c.want)
		}
	}
}
