package feed_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tidings/tidings/feed"
)

// The proxy tests re-execute the test binary: http.ProxyFromEnvironment
// reads the environment once per process, so each case needs a fresh
// process started with its own HTTP_PROXY / HTTPS_PROXY / NO_PROXY. The
// parent owns the loopback servers and checks what they saw; the child is
// the daemon under test and checks what it stored.
const (
	proxyChildEnv  = "TIDINGS_PROXY_CHILD"  // names the case the child runs
	proxyTargetEnv = "TIDINGS_PROXY_TARGET" // the feed URL the child polls
)

// proxyResolve stands in for DNS, so no name lookup leaves the machine.
// Every name maps to loopback or to a private address the guard refuses:
// even a bug that bypassed the proxy could make the child dial nothing but
// loopback. feeds.example.test plays a public site; the child allow-lists
// it by name, which passes the guard as a public address would.
func proxyResolve(_ context.Context, host string) ([]netip.Addr, error) {
	switch host {
	case "feeds.example.test", "local.example.test":
		return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
	case "intranet.example.test":
		return []netip.Addr{netip.MustParseAddr("10.1.2.3")}, nil
	case "mixed.example.test":
		return []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("10.1.2.3")}, nil
	}
	return nil, &netErr{host}
}

// proxied is one request as the forward proxy received it.
type proxied struct {
	method      string
	target      string // the request-target on the wire: absolute URL, or host:port for CONNECT
	userAgent   string
	ifNoneMatch string
}

// forwardProxy is a loopback stand-in for the operator's HTTP proxy. It
// answers absolute-form GETs itself and refuses CONNECT, and never forwards
// anything, so no test traffic can leave loopback.
type forwardProxy struct {
	srv  *httptest.Server
	mu   sync.Mutex
	seen []proxied
}

func newForwardProxy(t *testing.T) *forwardProxy {
	t.Helper()
	p := &forwardProxy{}
	p.srv = httptest.NewServer(p)
	t.Cleanup(p.srv.Close)
	return p
}

func (p *forwardProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	p.seen = append(p.seen, proxied{r.Method, r.RequestURI, r.UserAgent(), r.Header.Get("If-None-Match")})
	p.mu.Unlock()
	switch {
	case r.Method == http.MethodConnect:
		http.Error(w, "CONNECT denied by proxy policy", http.StatusForbidden)
	case !r.URL.IsAbs():
		// Origin-form: someone talked to the proxy as if it were the site.
		http.Error(w, "not a proxy request", http.StatusBadRequest)
	case r.URL.Path == "/feed.xml":
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", `"v1"`)
		base := "http://" + r.URL.Host
		fmt.Fprint(w, strings.ReplaceAll(rssDoc(rssItem("a", "A", "x"), rssItem("b", "B", "y")), "{base}", base))
	case r.URL.Path == "/hop":
		http.Redirect(w, r, "http://intranet.example.test/feed.xml", http.StatusFound)
	default:
		http.NotFound(w, r)
	}
}

func (p *forwardProxy) requests() []proxied {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.seen)
}

// pollWant is what the child expects of one poll.
type pollWant struct {
	new, notModified int
	kind             string // ErrorKind, "" for success
	errHas           string // substring of LastError
}

func TestProxyFromEnvironment(t *testing.T) {
	ua := feed.DefaultUserAgent()
	get := func(target, inm string) proxied { return proxied{http.MethodGet, target, ua, inm} }
	feedOK := []pollWant{{new: 2}}
	blocked := []pollWant{{kind: feed.KindBlocked, errHas: "allow_networks"}}
	// In env and target, {proxy} is the proxy's host:port, {direct} the
	// direct server's host:port and {port} the direct server's port.
	tests := []struct {
		name   string
		env    []string
		target string
		allow  []string // AllowNetworks beyond feeds.example.test
		polls  []pollWant
		// What the servers saw, checked by the parent.
		wantProxy  []proxied
		wantDirect int
	}{
		{
			// The proxy is on 127.0.0.1, which no AllowNetworks entry
			// covers: the operator's own proxy is trusted anyway.
			name:   "http proxy carries plain http, conditionally",
			env:    []string{"HTTP_PROXY=http://{proxy}"},
			target: "http://feeds.example.test/feed.xml",
			polls:  []pollWant{{new: 2}, {notModified: 1}},
			wantProxy: []proxied{
				get("http://feeds.example.test/feed.xml", ""),
				get("http://feeds.example.test/feed.xml", `"v1"`),
			},
		},
		{
			name:      "lower-case http_proxy",
			env:       []string{"http_proxy=http://{proxy}"},
			target:    "http://feeds.example.test/feed.xml",
			polls:     feedOK,
			wantProxy: []proxied{get("http://feeds.example.test/feed.xml", "")},
		},
		{
			name:      "proxy still trusted when NO_PROXY names other hosts",
			env:       []string{"HTTP_PROXY=http://{proxy}", "NO_PROXY=example.com,.example.org"},
			target:    "http://feeds.example.test/feed.xml",
			polls:     feedOK,
			wantProxy: []proxied{get("http://feeds.example.test/feed.xml", "")},
		},
		{
			name:   "private target refused before the proxy hears of it",
			env:    []string{"HTTP_PROXY=http://{proxy}"},
			target: "http://intranet.example.test/feed.xml",
			polls:  blocked,
		},
		{
			name:   "private address literal refused before the proxy",
			env:    []string{"HTTP_PROXY=http://{proxy}"},
			target: "http://10.1.2.3/feed.xml",
			polls:  blocked,
		},
		{
			name:   "one refused address among allowed ones is refused",
			env:    []string{"HTTP_PROXY=http://{proxy}"},
			target: "http://mixed.example.test/feed.xml",
			allow:  []string{"127.0.0.0/8"},
			polls:  blocked,
		},
		{
			name:      "redirect to a private target refused before the proxy",
			env:       []string{"HTTP_PROXY=http://{proxy}"},
			target:    "http://feeds.example.test/hop",
			polls:     blocked,
			wantProxy: []proxied{get("http://feeds.example.test/hop", "")},
		},
		{
			name:      "allow-listed internal target goes through the proxy",
			env:       []string{"HTTP_PROXY=http://{proxy}"},
			target:    "http://local.example.test/feed.xml",
			allow:     []string{"127.0.0.0/8"},
			polls:     feedOK,
			wantProxy: []proxied{get("http://local.example.test/feed.xml", "")},
		},
		{
			name:       "NO_PROXY target goes direct",
			env:        []string{"HTTP_PROXY=http://{proxy}", "NO_PROXY=localhost,local.example.test"},
			target:     "http://local.example.test:{port}/feed.xml",
			allow:      []string{"127.0.0.1/32"},
			polls:      feedOK,
			wantDirect: 1,
		},
		{
			name:       "HTTPS_PROXY leaves plain http direct",
			env:        []string{"HTTPS_PROXY=http://{proxy}"},
			target:     "http://local.example.test:{port}/feed.xml",
			allow:      []string{"127.0.0.1/32"},
			polls:      feedOK,
			wantDirect: 1,
		},
		{
			// Go never proxies loopback targets, so this is a direct dial
			// to the proxy's host: trusting the proxy must not open it.
			name:   "trust in the proxy does not cover its host's other ports",
			env:    []string{"HTTP_PROXY=http://{proxy}"},
			target: "http://{direct}/feed.xml",
			polls:  blocked,
		},
		{
			name:   "trust in the proxy does not let a feed talk to it directly",
			env:    []string{"HTTP_PROXY=http://{proxy}"},
			target: "http://{proxy}/feed.xml",
			polls:  blocked,
		},
		{
			name:      "https through HTTPS_PROXY uses CONNECT",
			env:       []string{"HTTPS_PROXY=http://{proxy}"},
			target:    "https://feeds.example.test/feed.xml",
			polls:     []pollWant{{kind: feed.KindNetwork, errHas: "refused CONNECT to feeds.example.test:443: 403 Forbidden"}},
			wantProxy: []proxied{{http.MethodConnect, "feeds.example.test:443", ua, ""}},
		},
		{
			name:   "https to a private target refused before CONNECT",
			env:    []string{"HTTPS_PROXY=http://{proxy}"},
			target: "https://intranet.example.test/feed.xml",
			polls:  blocked,
		},
	}

	if name := os.Getenv(proxyChildEnv); name != "" {
		for _, tc := range tests {
			if tc.name == name {
				runProxyChild(t, os.Getenv(proxyTargetEnv), tc.allow, tc.polls)
				return
			}
		}
		t.Fatalf("no proxy case named %q", name)
	}

	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			px := newForwardProxy(t)
			direct := newFarm(t, map[string][]reply{"/feed.xml": {{body: rssDoc(rssItem("a", "A", "x"), rssItem("b", "B", "y"))}}})
			dhost := strings.TrimPrefix(direct.srv.URL, "http://")
			_, dport, _ := net.SplitHostPort(dhost)
			expand := strings.NewReplacer("{proxy}", strings.TrimPrefix(px.srv.URL, "http://"), "{direct}", dhost, "{port}", dport).Replace

			env := []string{proxyChildEnv + "=" + tc.name, proxyTargetEnv + "=" + expand(tc.target)}
			for _, kv := range tc.env {
				env = append(env, expand(kv))
			}
			out, err := runChild(t, env)
			if err != nil {
				t.Errorf("child: %v", err)
			}
			if got := px.requests(); !slices.Equal(got, tc.wantProxy) {
				t.Errorf("proxy saw %+v, want %+v", got, tc.wantProxy)
			}
			if got := direct.hitCount("/feed.xml"); got != tc.wantDirect {
				t.Errorf("direct server got %d requests, want %d", got, tc.wantDirect)
			}
			if t.Failed() {
				t.Logf("child output:\n%s", out)
			}
		})
	}
}

// runChild re-executes this test binary as the child with env added to a
// copy of ours from which every proxy variable has been removed.
func runChild(t *testing.T, env []string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestProxyFromEnvironment$", "-test.v", "-test.count=1")
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch strings.ToUpper(k) {
		case "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "REQUEST_METHOD", proxyChildEnv, proxyTargetEnv:
			// REQUEST_METHOD makes Go ignore HTTP_PROXY (CGI safety).
			continue
		}
		cmd.Env = append(cmd.Env, kv)
	}
	cmd.Env = append(cmd.Env, env...)
	return cmd.CombinedOutput()
}

// runProxyChild is the child's side: poll target and check each poll.
func runProxyChild(t *testing.T, target string, allow []string, polls []pollWant) {
	e := newEnv(t, feed.Options{
		AllowNetworks: append([]string{"feeds.example.test"}, allow...),
		Resolve:       proxyResolve,
		Timeout:       5 * time.Second,
	})
	f := e.add(t, target)
	for i, w := range polls {
		res, got := e.poll(t, f.ID)
		if got.State.ErrorKind != w.kind || !strings.Contains(got.State.LastError, w.errHas) {
			t.Errorf("poll %d: error kind %q (%s), want %q containing %q", i+1, got.State.ErrorKind, got.State.LastError, w.kind, w.errHas)
		}
		if res.New != w.new || res.NotModified != w.notModified {
			t.Errorf("poll %d: new=%d not_modified=%d, want %d and %d", i+1, res.New, res.NotModified, w.new, w.notModified)
		}
		e.clock.Add(time.Hour)
	}
	if want := polls[len(polls)-1]; want.kind == "" {
		items, err := e.db.FeedItems(f.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(items) != 2 {
			t.Errorf("stored %d items, want 2", len(items))
		}
	}
}
