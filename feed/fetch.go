package feed

import (
	"bufio"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/cespare/xxhash/v2"
)

// Error kinds recorded in FeedState.ErrorKind.
const (
	KindNetwork   = "network"
	KindTimeout   = "timeout"
	KindHTTP      = "http"
	KindBlocked   = "blocked"
	KindChallenge = "challenge"
	KindGone      = "gone"
	KindLimited   = "rate_limited"
	KindTooLarge  = "too_large"
	KindRedirect  = "redirect"
	KindParse     = "parse"
)

// fetchError is a failed fetch, classified so the scheduler and the user
// can tell a dead server from a bot wall.
type fetchError struct {
	Kind       string
	Status     int
	RetryAfter time.Duration
	Err        error
}

func (e *fetchError) Error() string { return e.Err.Error() }
func (e *fetchError) Unwrap() error { return e.Err }

// response is a completed fetch.
type response struct {
	Status      int
	Header      http.Header
	Body        []byte
	URL         string // final URL after redirects
	Permanent   string // where an unbroken chain of 301/308 led, "" if none
	NotModified bool
	Bytes       int64  // bytes received on the wire (compressed)
	BodyHash    string // hashBody of Body, when a body was read
	buf         *bytes.Buffer
}

// maxPreGrow is the largest announced Content-Length a body buffer is grown
// to before the body arrives; beyond it the buffer grows as bytes come.
const maxPreGrow = 2 << 20

// getBuf takes a body buffer from the free list, or makes one.
func (f *fetcher) getBuf() *bytes.Buffer {
	select {
	case b := <-f.bufs:
		b.Reset()
		return b
	default:
		return new(bytes.Buffer)
	}
}

// putBuf returns a body buffer for reuse; huge ones are left to the GC so
// one big feed does not pin its size forever. A free list, not a
// sync.Pool: a busy poll cycle runs a GC every few feeds, and each GC
// empties a Pool, so its bodies were read into fresh, regrown buffers
// (a tenth of all allocation).
func (f *fetcher) putBuf(b *bytes.Buffer) {
	if b == nil || b.Cap() > 4<<20 {
		return
	}
	select {
	case f.bufs <- b:
	default:
	}
}

// dropBufs empties the free list, so an idle daemon holds no bodies.
func (f *fetcher) dropBufs() {
	for {
		select {
		case <-f.bufs:
		default:
			return
		}
	}
}

// release hands the body buffer back; r.Body must not be used after.
func (f *fetcher) release(r *response) {
	if r != nil && r.buf != nil {
		f.putBuf(r.buf)
		r.buf, r.Body = nil, nil
	}
}

// maxHeaderBytes bounds a response's header block; real ones, cookies
// and security policies included, stay far below it.
const maxHeaderBytes = 256 << 10

// fetcher is the HTTP side: one client, one guard, one host limiter shared
// by every request of a Poller.
type fetcher struct {
	opts   Options
	client *http.Client
	guard  *guard
	hosts  *hostLimiter
	bufs   chan *bytes.Buffer // free body buffers, at most one per worker
	// proxies holds the host:port of the environment's proxies, which the
	// dialer trusts even on internal addresses.
	proxies map[string]bool
}

type redirectKey struct{}

type redirectInfo struct {
	permanent string
	broken    bool
}

func newFetcher(opts Options) (*fetcher, error) {
	g, err := newGuard(opts.AllowNetworks)
	if err != nil {
		return nil, err
	}
	proxies := proxyAddrs()
	tr := &http.Transport{
		Proxy: http.ProxyFromEnvironment,
		// The proxy's logs should name Tidings for HTTPS too, as they do
		// for the proxied plain-HTTP requests.
		ProxyConnectHeader: http.Header{"User-Agent": {opts.UserAgent}},
		// net/http reports a refused CONNECT as the bare status text
		// ("Forbidden"), which reads as if the feed's site refused us.
		OnProxyConnectResponse: func(_ context.Context, proxy *url.URL, req *http.Request, resp *http.Response) error {
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("proxy %s refused CONNECT to %s: %s", proxy.Host, req.Host, resp.Status)
			}
			return nil
		},
		DialContext:           g.dialer(opts.Resolve, proxies),
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: opts.Timeout,
		ExpectContinueTimeout: time.Second,
		// net/http's default is 10 MB a response: 16 workers on a Pi
		// could be held at 160 MB by servers that send endless headers.
		MaxResponseHeaderBytes: maxHeaderBytes,
		// Decompression is done here so the body cap applies to the
		// decompressed stream (a gzip bomb stops at the cap).
		DisableCompression:  true,
		MaxIdleConns:        64,
		MaxIdleConnsPerHost: opts.PerHost,
		IdleConnTimeout:     30 * time.Second,
		ForceAttemptHTTP2:   true,
		TLSClientConfig:     &tls.Config{MinVersion: tls.VersionTLS12},
	}
	fe := &fetcher{opts: opts, guard: g, hosts: newHostLimiter(opts.PerHost), proxies: proxies}
	fe.bufs = make(chan *bytes.Buffer, max(opts.Workers, 1))
	fe.client = &http.Client{
		Transport: tr,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 10 {
				return &fetchError{Kind: KindRedirect, Err: fmt.Errorf("stopped after 10 redirects")}
			}
			// Back to a URL already visited is a loop, unless the
			// redirect set a cookie: then the revisit differs (see
			// newFetchJar), and the 10-hop cap still ends a cookie loop.
			for _, v := range via {
				if v.URL.String() == req.URL.String() && len(req.Response.Cookies()) == 0 {
					return &fetchError{Kind: KindRedirect, Err: fmt.Errorf("redirect loop through %s", req.URL)}
				}
			}
			if err := fe.checkProxied(req); err != nil {
				return err
			}
			if ri, ok := req.Context().Value(redirectKey{}).(*redirectInfo); ok && !ri.broken {
				switch req.Response.StatusCode {
				case http.StatusMovedPermanently, http.StatusPermanentRedirect:
					ri.permanent = req.URL.String()
				default:
					ri.broken = true
				}
			}
			return nil
		},
	}
	return fe, nil
}

func (f *fetcher) close() { f.client.CloseIdleConnections() }

// checkProxied applies the address guard to the target of a request that
// goes through an HTTP(S) proxy: the dialer then only sees the proxy, so
// the target's name is resolved here and refused the same way. A direct
// request to the proxy's own address is checked too, since the dialer
// would let it through on the proxy's trust.
func (f *fetcher) checkProxied(req *http.Request) error {
	p, err := http.ProxyFromEnvironment(req)
	if err != nil {
		return nil // the transport reports the bad proxy setting itself
	}
	if p == nil && !f.proxies[canonicalAddr(req.URL)] {
		return nil // direct: the dialer guards it
	}
	host := req.URL.Hostname()
	var ips []netip.Addr
	if ip, err := netip.ParseAddr(host); err == nil {
		ips = []netip.Addr{ip}
	} else if f.opts.Resolve != nil {
		ips, err = f.opts.Resolve(req.Context(), host)
		if err != nil {
			return err
		}
	} else if ips, err = net.DefaultResolver.LookupNetIP(req.Context(), "ip", host); err != nil {
		return err
	}
	for _, ip := range ips {
		if !f.guard.allowed(host, ip) {
			return fmt.Errorf("%s (%s): %w; add it to fetch.allow_networks to permit it", host, ip, ErrBlockedAddress)
		}
	}
	return nil
}

// newFetchJar is an empty cookie jar. Without a public suffix list the
// jar refuses domain cookies for a bare suffix only by its own rules,
// which is enough for cookies that live for one redirect chain.
func newFetchJar() http.CookieJar {
	jar, _ := cookiejar.New(nil) // never fails without options
	return jar
}

// conditional carries the validators of the last successful fetch.
type conditional struct {
	ETag, LastModified, BodyHash string
	// beforeBody, if set, runs when a 200's body is about to be read (not
	// for 304s or a repeated ETag); an error abandons the response.
	beforeBody func() error
}

// get fetches u. accept lists the media types wanted; cond (may be zero)
// makes it conditional. The caller holds the host slot when it matters.
func (f *fetcher) get(ctx context.Context, u, accept string, cond conditional) (*response, error) {
	ctx, cancel := context.WithTimeout(ctx, f.opts.Timeout)
	defer cancel()
	ri := &redirectInfo{}
	ctx = context.WithValue(ctx, redirectKey{}, ri)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, &fetchError{Kind: KindHTTP, Err: fmt.Errorf("fetch %s: %w", u, err)}
	}
	if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
		return nil, &fetchError{Kind: KindHTTP, Err: fmt.Errorf("fetch %s: unsupported scheme %q", u, req.URL.Scheme)}
	}
	req.Header.Set("User-Agent", f.opts.UserAgent)
	req.Header.Set("Accept", accept)
	req.Header.Set("Accept-Encoding", "gzip, deflate")
	if cond.ETag != "" {
		req.Header.Set("If-None-Match", cond.ETag)
	}
	if cond.LastModified != "" {
		req.Header.Set("If-Modified-Since", cond.LastModified)
	}
	if err := f.checkProxied(req); err != nil {
		return nil, classifyNetErr(u, err)
	}
	// A jar for this fetch alone: some sites answer a first visit with a
	// redirect that sets a cookie and points back, and loop without it.
	// Nothing is kept between fetches, so no site can track the reader.
	client := *f.client
	client.Jar = newFetchJar()
	resp, err := client.Do(req)
	if err != nil {
		return nil, classifyNetErr(u, err)
	}
	defer resp.Body.Close()
	r := &response{Status: resp.StatusCode, Header: resp.Header, URL: resp.Request.URL.String()}
	if ri.permanent != "" {
		r.Permanent = ri.permanent
	}
	if resp.StatusCode == http.StatusNotModified {
		if cond.ETag == "" && cond.LastModified == "" {
			// Taken as "unchanged", it would keep a new feed empty for
			// good while its health said all is well.
			return r, &fetchError{Kind: KindHTTP, Err: fmt.Errorf("fetch %s: the server answered 304 Not Modified to a request that was not conditional", u)}
		}
		r.NotModified = true
		return r, nil
	}
	if resp.StatusCode != http.StatusOK {
		// Read a little of an error page: enough to recognise a bot challenge.
		r.Body, _ = io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		return r, statusError(u, r, f.opts.Now())
	}
	if resp.ContentLength > f.opts.MaxBody {
		return r, &fetchError{Kind: KindTooLarge, Err: fmt.Errorf("fetch %s: body of %d bytes exceeds the %d byte limit", u, resp.ContentLength, f.opts.MaxBody)}
	}
	// A 200 that repeats the stored ETag is unchanged: skip the body.
	if et := resp.Header.Get("ETag"); et != "" && et == cond.ETag && !expiresNow(resp.Header) {
		r.NotModified = true
		return r, nil
	}
	cr := &countingReader{r: io.LimitReader(resp.Body, f.opts.MaxBody+1)}
	var body io.Reader = cr
	switch strings.ToLower(strings.TrimSpace(resp.Header.Get("Content-Encoding"))) {
	case "", "identity":
	case "gzip", "x-gzip":
		// Some servers (or proxies that unpacked the body) label a plain
		// document gzip; browsers refuse it, but the document is fine.
		br := bufio.NewReaderSize(cr, 16)
		if magic, _ := br.Peek(2); len(magic) == 2 && (magic[0] != 0x1f || magic[1] != 0x8b) && plainStart(magic[0]) {
			body = br
			break
		}
		zr, err := gzip.NewReader(br)
		if err != nil {
			return r, &fetchError{Kind: KindNetwork, Err: fmt.Errorf("fetch %s: gzip: %w", u, err)}
		}
		defer zr.Close()
		body = zr
	case "deflate":
		zr, err := newDeflateReader(cr)
		if err != nil {
			return r, &fetchError{Kind: KindNetwork, Err: fmt.Errorf("fetch %s: deflate: %w", u, err)}
		}
		defer zr.Close()
		body = zr
	default:
		return r, &fetchError{Kind: KindHTTP, Err: fmt.Errorf("fetch %s: unsupported content encoding %q", u, resp.Header.Get("Content-Encoding"))}
	}
	if cond.beforeBody != nil {
		if err := cond.beforeBody(); err != nil {
			return r, classifyNetErr(u, err)
		}
	}
	buf := f.getBuf()
	if resp.ContentLength > 0 && resp.ContentLength <= min(f.opts.MaxBody, maxPreGrow) && body == io.Reader(cr) {
		// ReadFrom wants MinRead bytes free before it sees EOF: without
		// them a body of exactly the announced length is copied into a
		// buffer twice its size, and the free list keeps that. Larger
		// announcements are not trusted up front: a server could claim
		// 15 MiB and send nothing, holding the memory until the timeout.
		buf.Grow(int(resp.ContentLength) + bytes.MinRead)
	}
	n, err := buf.ReadFrom(io.LimitReader(body, f.opts.MaxBody+1))
	r.Bytes = cr.n
	if n > f.opts.MaxBody || err != nil {
		f.putBuf(buf)
		if err == nil {
			return r, &fetchError{Kind: KindTooLarge, Err: fmt.Errorf("fetch %s: body exceeds the %d byte limit", u, f.opts.MaxBody)}
		}
		return r, classifyNetErr(u, err)
	}
	if isGzip(buf.Bytes()) {
		// A .xml.gz file served as is, or a body gzipped twice (a
		// compressing proxy in front of a server that already did).
		if buf, err = f.gunzip(buf); err != nil {
			return r, classifyNetErr(u, err)
		}
	}
	r.Body, r.buf = buf.Bytes(), buf
	r.BodyHash = hashBody(r.Body)
	if r.BodyHash == cond.BodyHash {
		r.NotModified = true
	}
	return r, nil
}

// newDeflateReader decodes HTTP's "deflate", which RFC 9110 defines as a
// zlib stream but which many servers send as raw DEFLATE. A zlib header
// is two bytes whose value is a multiple of 31, method 8, no preset
// dictionary; raw DEFLATE rarely starts that way, and then the zlib
// checksum fails loudly rather than yielding garbage.
func newDeflateReader(r io.Reader) (io.ReadCloser, error) {
	br := bufio.NewReaderSize(r, 16)
	if h, err := br.Peek(2); err == nil && h[0]&0x0f == 8 && h[0]>>4 <= 7 && h[1]&0x20 == 0 && (uint(h[0])<<8|uint(h[1]))%31 == 0 {
		return zlib.NewReader(br)
	}
	return flate.NewReader(br), nil
}

// isGzip reports a body that starts with the gzip magic and method.
func isGzip(b []byte) bool { return len(b) >= 3 && b[0] == 0x1f && b[1] == 0x8b && b[2] == 8 }

// gunzip decodes one gzip layer of buf into a new pooled buffer, under the
// same body cap, and returns buf to the pool.
func (f *fetcher) gunzip(buf *bytes.Buffer) (*bytes.Buffer, error) {
	defer f.putBuf(buf)
	out := f.getBuf()
	if err := gunzipInto(out, buf.Bytes(), f.opts.MaxBody); err != nil {
		f.putBuf(out)
		return nil, err
	}
	return out, nil
}

// gunzipInto decodes the gzip stream src into dst, at most limit bytes.
// plainStart reports a first byte that begins a feed or page as text: a
// tag, a JSON object, whitespace or a UTF-8 byte order mark.
func plainStart(b byte) bool {
	switch b {
	case '<', '{', ' ', '\t', '\r', '\n', 0xef:
		return true
	}
	return false
}

func gunzipInto(dst *bytes.Buffer, src []byte, limit int64) error {
	zr, err := gzip.NewReader(bytes.NewReader(src))
	if err != nil {
		return fmt.Errorf("gzip: %w", err)
	}
	n, err := dst.ReadFrom(io.LimitReader(zr, limit+1))
	if err == nil && n > limit {
		err = &fetchError{Kind: KindTooLarge, Err: fmt.Errorf("body exceeds the %d byte limit", limit)}
	}
	if err != nil {
		return fmt.Errorf("gzip: %w", err)
	}
	return nil
}

// hashBody fingerprints a body for "the same body as last time". It need
// not resist forgery (a server can always repeat its own feed) but runs on
// every body: xxhash is a tenth of sha256's cost here and far less on a
// Pi without SHA instructions. A fingerprint of another kind (an older
// sha256) never matches, which costs one parse.
func hashBody(b []byte) string {
	return "xxh64:" + strconv.FormatUint(xxhash.Sum64(b), 16)
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// expiresNow reports a response that asks not to be cached at all; its
// validators are not worth keeping.
func expiresNow(h http.Header) bool {
	e := strings.TrimSpace(h.Get("Expires"))
	return e == "0" || e == "-1"
}

func classifyNetErr(u string, err error) error {
	var fe *fetchError
	if errors.As(err, &fe) {
		return &fetchError{Kind: fe.Kind, Err: fmt.Errorf("fetch %s: %w", u, fe.Err)}
	}
	kind := KindNetwork
	var ne net.Error
	switch {
	case errors.Is(err, ErrBlockedAddress):
		kind = KindBlocked
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		kind = KindTimeout
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // the URL is added below, once
	}
	return &fetchError{Kind: kind, Err: fmt.Errorf("fetch %s: %w", u, err)}
}

// statusError classifies a non-200, non-304 response.
func statusError(u string, r *response, now time.Time) error {
	fe := &fetchError{Kind: KindHTTP, Status: r.Status}
	switch {
	case isChallenge(r):
		fe.Kind = KindChallenge
		fe.Err = fmt.Errorf("fetch %s: HTTP %d: bot-protection challenge page; the site blocks automated readers (ask the publisher to allow feed readers)", u, r.Status)
	case r.Status == http.StatusGone:
		fe.Kind = KindGone
		fe.Err = fmt.Errorf("fetch %s: HTTP 410 Gone: the publisher removed this feed; polling stopped (remove it or subscribe to its new address)", u)
	case r.Status == http.StatusTooManyRequests || r.Status == http.StatusServiceUnavailable:
		fe.Kind = KindLimited
		fe.Err = fmt.Errorf("fetch %s: HTTP %d %s", u, r.Status, http.StatusText(r.Status))
	default:
		fe.Err = fmt.Errorf("fetch %s: HTTP %d %s", u, r.Status, http.StatusText(r.Status))
	}
	if r.Status == http.StatusTooManyRequests || r.Status == http.StatusServiceUnavailable || fe.Kind == KindChallenge {
		fe.RetryAfter = parseRetryAfter(r.Header.Get("Retry-After"), now)
	}
	return fe
}

// isChallenge recognises bot-protection walls (Cloudflare, DDoS-Guard,
// Sucuri, generic captchas) so they are reported as such, not as bad XML.
func isChallenge(r *response) bool {
	if r.Header.Get("cf-mitigated") != "" {
		return true
	}
	if r.Status != http.StatusForbidden && r.Status != http.StatusServiceUnavailable && r.Status != http.StatusTooManyRequests {
		return false
	}
	return looksLikeChallenge(r.Body)
}

// looksLikeChallenge finds the markers of the common challenge pages.
func looksLikeChallenge(body []byte) bool {
	b := strings.ToLower(string(head(body, 64<<10)))
	for _, marker := range []string{
		"challenge-platform", "cf-browser-verification", "cf_chl_", "just a moment...",
		"attention required! | cloudflare", "ddos-guard", "sucuri website firewall",
		"g-recaptcha", "h-captcha", "captcha-delivery", "checking your browser",
	} {
		if strings.Contains(b, marker) {
			return true
		}
	}
	return false
}

// parseRetryAfter accepts delay-seconds or an HTTP date; 0 if absent or bad.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil {
		if n < 0 {
			return 0
		}
		return durationOf(n, time.Second)
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

// durationOf is n units, saturating instead of wrapping around: a server
// that says max-age=99999999999999 means "a very long time", which the
// scheduler then clamps, not some arbitrary value.
func durationOf(n int, unit time.Duration) time.Duration {
	if n > int(math.MaxInt64/unit) {
		return math.MaxInt64
	}
	return time.Duration(n) * unit
}

// cacheHint is how long the server says its response stays fresh
// (Cache-Control max-age, else Expires); 0 if it does not say.
func cacheHint(h http.Header, now time.Time) time.Duration {
	for _, part := range strings.Split(h.Get("Cache-Control"), ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if ok && strings.EqualFold(k, "max-age") {
			if n, err := strconv.Atoi(strings.Trim(v, `"`)); err == nil && n > 0 {
				return durationOf(n, time.Second)
			}
		}
	}
	if e := h.Get("Expires"); e != "" {
		if t, err := http.ParseTime(e); err == nil && t.After(now) {
			return t.Sub(now)
		}
	}
	return 0
}

// hostLimiter caps concurrent requests per host across a whole run.
type hostLimiter struct {
	limit int
	ch    chan struct{} // mutex
	busy  map[string]int
	wake  chan struct{} // closed and replaced on every release
}

func newHostLimiter(limit int) *hostLimiter {
	h := &hostLimiter{limit: limit, ch: make(chan struct{}, 1), busy: map[string]int{}, wake: make(chan struct{})}
	return h
}

func (h *hostLimiter) lock()   { h.ch <- struct{}{} }
func (h *hostLimiter) unlock() { <-h.ch }

// tryAcquire takes a slot for host if one is free.
func (h *hostLimiter) tryAcquire(host string) bool {
	h.lock()
	defer h.unlock()
	if h.busy[host] >= h.limit {
		return false
	}
	h.busy[host]++
	return true
}

// full reports whether host has no free slot.
func (h *hostLimiter) full(host string) bool {
	h.lock()
	defer h.unlock()
	return h.busy[host] >= h.limit
}

// acquire waits for a slot for host.
func (h *hostLimiter) acquire(ctx context.Context, host string) error {
	for {
		h.lock()
		if h.busy[host] < h.limit {
			h.busy[host]++
			h.unlock()
			return nil
		}
		wake := h.wake
		h.unlock()
		select {
		case <-wake:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (h *hostLimiter) release(host string) {
	h.lock()
	if h.busy[host]--; h.busy[host] <= 0 {
		delete(h.busy, host)
	}
	close(h.wake)
	h.wake = make(chan struct{})
	h.unlock()
}

// changed returns a channel closed at the next release.
func (h *hostLimiter) changed() <-chan struct{} {
	h.lock()
	defer h.unlock()
	return h.wake
}

func hostOf(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return u
	}
	return strings.ToLower(p.Host)
}
