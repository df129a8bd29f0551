package publish

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"
)

// HandlerOptions configures NewHandler.
type HandlerOptions struct {
	// MaxAge is the Cache-Control max-age of every response; pick it from
	// the digest cadence with CacheMaxAge (feeds change at most once per
	// edition). 0 means 5 minutes; negative means "no-cache" (always
	// revalidate).
	MaxAge time.Duration
	// ContentSecurityPolicy replaces the default policy when set.
	ContentSecurityPolicy string
	// CacheBytes bounds the memory kept for file bodies and their gzip
	// forms; 0 means 32 MiB.
	CacheBytes int64
}

// CacheMaxAge picks HandlerOptions.MaxAge from the digests' cadence: a
// quarter of the shortest TTL (the gap between two editions), between one
// minute and one hour, so a new edition reaches browsers and proxies soon
// after it is published while feed readers polling every few minutes mostly
// get cache hits. Without TTLs it is 5 minutes.
func CacheMaxAge(digests []DigestInfo) time.Duration {
	var shortest time.Duration
	for _, d := range digests {
		if d.TTL > 0 && (shortest == 0 || d.TTL < shortest) {
			shortest = d.TTL
		}
	}
	if shortest == 0 {
		return 5 * time.Minute
	}
	return min(max(shortest/4, time.Minute), time.Hour)
}

// DefaultCSP allows nothing inline and no scripts at all: the site needs
// none. Images may come from anywhere, as articles embed them.
const DefaultCSP = "default-src 'self'; img-src * data:; media-src *; script-src 'none'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"

// maxCachedFile is the largest file whose body (and gzip form) is kept in
// memory; larger ones are streamed from disk uncompressed.
const maxCachedFile = 8 << 20

var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".md":   "text/markdown; charset=utf-8",
	".txt":  "text/plain; charset=utf-8",
	".opml": "text/x-opml; charset=utf-8",
	".atom": "application/atom+xml; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".svg":  "image/svg+xml",
	".png":  "image/png",
	".jpg":  "image/jpeg",
	".jpeg": "image/jpeg",
	".gif":  "image/gif",
	".webp": "image/webp",
	".ico":  "image/x-icon",
	".xml":  "application/xml; charset=utf-8",
	".json": "application/json; charset=utf-8",
}

// contentType knows the feed files by name: feed.xml is RSS, atom.xml is
// Atom, feed.json/items.json are JSON Feeds.
func contentType(name string) string {
	switch path.Base(name) {
	case "feed.xml", "items.xml":
		return "application/rss+xml; charset=utf-8"
	case "atom.xml", "items.atom":
		return "application/atom+xml; charset=utf-8"
	case "feed.json", "items.json":
		return "application/feed+json; charset=utf-8"
	}
	if t, ok := contentTypes[strings.ToLower(path.Ext(name))]; ok {
		return t
	}
	return "application/octet-stream"
}

func compressible(ctype string) bool {
	return strings.HasPrefix(ctype, "text/") || strings.Contains(ctype, "xml") || strings.Contains(ctype, "json")
}

type fileHandler struct {
	dir  string
	opts HandlerOptions

	mu     sync.Mutex
	cache  map[string]*cachedFile
	cached int64 // bytes of bodies in cache
}

// cachedFile is what the handler knows about one file version.
type cachedFile struct {
	size   int64
	mtime  time.Time
	etag   string
	body   []byte // nil for large files
	gz     []byte // nil when not compressible or not smaller
	gzEtag string
}

// NewHandler serves the output directory dir: ETag and Last-Modified with
// 304 answers, gzip for text, the feed media types, Cache-Control from
// opts.MaxAge and security headers. Directories serve their index.html
// (never a listing), dotfiles such as the publish manifest are hidden, and
// paths cannot leave dir (os.Root, so symlinks cannot either).
func NewHandler(dir string, opts HandlerOptions) http.Handler {
	if opts.MaxAge == 0 {
		opts.MaxAge = 5 * time.Minute
	}
	if opts.ContentSecurityPolicy == "" {
		opts.ContentSecurityPolicy = DefaultCSP
	}
	if opts.CacheBytes <= 0 {
		opts.CacheBytes = 32 << 20
	}
	return &fileHandler{dir: dir, opts: opts, cache: map[string]*cachedFile{}}
}

func (h *fileHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", h.opts.ContentSecurityPolicy)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "strict-origin-when-cross-origin")
	hd.Set("X-Frame-Options", "DENY")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		hd.Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	name, ok := cleanRequestPath(r.URL.Path)
	if !ok {
		http.NotFound(w, r)
		return
	}
	root, err := os.OpenRoot(h.dir)
	if err != nil {
		http.Error(w, "output directory not available", http.StatusServiceUnavailable)
		return
	}
	defer root.Close()
	f, err := root.Open(name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		http.NotFound(w, r)
		return
	}
	if fi.IsDir() {
		// A directory without the slash: send the client to the slash
		// form (so relative links work) if it has an index.
		if ifi, err := root.Stat(path.Join(name, "index.html")); err == nil && ifi.Mode().IsRegular() {
			// Relative, so it stays right behind http.StripPrefix or a
			// reverse proxy that mounts the site below a path.
			target := path.Base(name) + "/"
			if r.URL.RawQuery != "" {
				target += "?" + r.URL.RawQuery
			}
			hd.Set("Location", target)
			w.WriteHeader(http.StatusMovedPermanently)
			return
		}
		http.NotFound(w, r)
		return
	}
	if !fi.Mode().IsRegular() {
		http.NotFound(w, r)
		return
	}
	ctype := contentType(name)
	cf, err := h.lookup(name, f, fi, compressible(ctype))
	if err != nil {
		http.Error(w, "read error", http.StatusInternalServerError)
		return
	}
	hd.Set("Content-Type", ctype)
	if h.opts.MaxAge < 0 {
		hd.Set("Cache-Control", "no-cache")
	} else {
		hd.Set("Cache-Control", "public, max-age="+strconv.FormatInt(int64(h.opts.MaxAge/time.Second), 10))
	}
	if cf.gz != nil {
		hd.Add("Vary", "Accept-Encoding")
	}
	// Ranges address the identity bytes: a resumed download must not get
	// a slice of a gzip stream it did not ask for.
	if cf.gz != nil && r.Header.Get("Range") == "" && acceptsGzip(r.Header.Get("Accept-Encoding")) {
		hd.Set("Content-Encoding", "gzip")
		hd.Set("ETag", cf.gzEtag)
		http.ServeContent(w, r, "", cf.mtime, bytes.NewReader(cf.gz))
		return
	}
	hd.Set("ETag", cf.etag)
	if cf.body != nil {
		http.ServeContent(w, r, "", cf.mtime, bytes.NewReader(cf.body))
		return
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		http.Error(w, "read error", http.StatusInternalServerError)
		return
	}
	http.ServeContent(w, r, "", cf.mtime, f)
}

// cleanRequestPath maps a URL path to a slash-separated name inside the
// directory. Any dot-segment or dotfile (.., ., .tidings-manifest.json), a
// backslash or a NUL makes it invalid; a trailing slash means index.html.
func cleanRequestPath(p string) (string, bool) {
	if !strings.HasPrefix(p, "/") || strings.ContainsAny(p, "\\\x00") {
		return "", false
	}
	segs := strings.Split(p[1:], "/")
	var out []string
	for i, s := range segs {
		if s == "" {
			if i == len(segs)-1 {
				continue
			}
			return "", false
		}
		if strings.HasPrefix(s, ".") {
			return "", false
		}
		out = append(out, s)
	}
	name := strings.Join(out, "/")
	if strings.HasSuffix(p, "/") {
		if name == "" {
			return "index.html", true
		}
		return name + "/index.html", true
	}
	if name == "" {
		return "index.html", true
	}
	return name, true
}

func acceptsGzip(ae string) bool {
	for _, part := range strings.Split(ae, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(coding), "gzip") && strings.TrimSpace(coding) != "*" {
			continue
		}
		q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
		if q == "q=0" || q == "q=0.0" || q == "q=0.00" || q == "q=0.000" {
			return false
		}
		return true
	}
	return false
}

// lookup returns the cached facts of the file version fi, computing and
// caching them when the file changed (size or mtime differ).
func (h *fileHandler) lookup(name string, f *os.File, fi fs.FileInfo, gz bool) (*cachedFile, error) {
	h.mu.Lock()
	cf, ok := h.cache[name]
	h.mu.Unlock()
	if ok && cf.size == fi.Size() && cf.mtime.Equal(fi.ModTime()) {
		return cf, nil
	}
	cf = &cachedFile{size: fi.Size(), mtime: fi.ModTime()}
	sum := sha256.New()
	if fi.Size() <= maxCachedFile {
		body, err := io.ReadAll(io.LimitReader(f, maxCachedFile+1))
		if err != nil {
			return nil, err
		}
		if int64(len(body)) != fi.Size() {
			// Changed in place while we read it (publish never does that;
			// a user might): answer 500 rather than a mix of versions.
			return nil, errors.New("file changed while reading")
		}
		cf.body = body
		sum.Write(body)
	} else if _, err := io.Copy(sum, f); err != nil {
		return nil, err
	}
	tag := hex.EncodeToString(sum.Sum(nil)[:12])
	cf.etag = `"` + tag + `"`
	if gz && cf.body != nil && len(cf.body) > 256 {
		var b bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
		zw.Write(cf.body)
		if err := zw.Close(); err != nil {
			return nil, fmt.Errorf("gzip %s: %w", name, err)
		}
		if b.Len() < len(cf.body) {
			cf.gz = b.Bytes()
			cf.gzEtag = `"` + tag + `-gz"`
		}
	}
	cost := int64(len(cf.body) + len(cf.gz))
	h.mu.Lock()
	defer h.mu.Unlock()
	if old, ok := h.cache[name]; ok {
		h.cached -= int64(len(old.body) + len(old.gz))
	}
	if h.cached+cost > h.opts.CacheBytes {
		// Simple and bounded: start over rather than track recency.
		h.cache = map[string]*cachedFile{}
		h.cached = 0
	}
	if cost <= h.opts.CacheBytes {
		h.cache[name] = cf
		h.cached += cost
	}
	return cf, nil
}
