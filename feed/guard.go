package feed

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// ErrBlockedAddress is returned (wrapped) when the address guard refuses to
// connect to a loopback, private or otherwise internal address.
var ErrBlockedAddress = errors.New("address not allowed")

// guard decides which resolved addresses the fetcher may connect to. It runs
// inside the dialer, on the IP actually dialled, so DNS rebinding and
// redirects to internal hosts are refused the same way as direct URLs.
type guard struct {
	nets  []netip.Prefix
	hosts map[string]bool
}

func newGuard(allow []string) (*guard, error) {
	g := &guard{hosts: map[string]bool{}}
	for _, a := range allow {
		a = strings.TrimSpace(a)
		if a == "" {
			continue
		}
		if p, err := netip.ParsePrefix(a); err == nil {
			g.nets = append(g.nets, p.Masked())
			continue
		}
		if ip, err := netip.ParseAddr(a); err == nil {
			g.nets = append(g.nets, netip.PrefixFrom(ip, ip.BitLen()))
			continue
		}
		if strings.ContainsAny(a, "/ ") {
			return nil, fmt.Errorf("allow_networks entry %q: neither a CIDR nor a host name", a)
		}
		g.hosts[strings.ToLower(strings.TrimSuffix(a, "."))] = true
	}
	return g, nil
}

// internalPrefixes are refused unless allowlisted. netip's Is* helpers cover
// loopback, RFC 1918, link-local, multicast and unspecified; the rest are
// ranges that reach the operator's own network or nowhere useful.
var internalPrefixes = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),       // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),   // CGNAT
	netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
	netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
	netip.MustParsePrefix("240.0.0.0/4"),     // reserved, broadcast
	netip.MustParsePrefix("fc00::/7"),        // unique local
	netip.MustParsePrefix("64:ff9b:1::/48"),  // local-use NAT64
	netip.MustParsePrefix("2001:db8::/32"),   // documentation
	netip.MustParsePrefix("fec0::/10"),       // deprecated site-local
	netip.MustParsePrefix("100::/64"),        // discard-only
	netip.MustParsePrefix("192.0.2.0/24"),    // documentation
	netip.MustParsePrefix("198.51.100.0/24"), // documentation
	netip.MustParsePrefix("203.0.113.0/24"),  // documentation
}

// isInternal reports whether ip is an address a feed must not make us reach.
func isInternal(ip netip.Addr) bool {
	ip = ip.Unmap()
	if v4, ok := embeddedIPv4(ip); ok {
		return isInternal(v4)
	}
	if !ip.IsValid() || ip.IsLoopback() || ip.IsPrivate() || ip.IsUnspecified() ||
		ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() || ip.IsMulticast() ||
		ip.IsInterfaceLocalMulticast() {
		return true
	}
	for _, p := range internalPrefixes {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// embeddedIPv4 returns the IPv4 address that an IPv6 address of a
// transition scheme carries and reaches: IPv4-compatible (::a.b.c.d),
// NAT64's well-known prefix (64:ff9b::/96, which a NAT64 gateway turns into
// a connection to a.b.c.d, private ones included), 6to4 (2002::/16) and
// Teredo (2001::/32, the client address inverted).
func embeddedIPv4(ip netip.Addr) (netip.Addr, bool) {
	if !ip.Is6() || ip.Is4In6() {
		return netip.Addr{}, false
	}
	b := ip.As16()
	var v4 [4]byte
	switch {
	case b == [16]byte{} || b == [16]byte{15: 1}: // :: and ::1 are themselves
		return netip.Addr{}, false
	case [12]byte(b[:12]) == [12]byte{}:
		copy(v4[:], b[12:])
	case [12]byte(b[:12]) == [12]byte{0, 0x64, 0xff, 0x9b}:
		copy(v4[:], b[12:])
	case b[0] == 0x20 && b[1] == 0x02:
		copy(v4[:], b[2:6])
	case b[0] == 0x20 && b[1] == 0x01 && b[2] == 0 && b[3] == 0:
		for i := range v4 {
			v4[i] = b[12+i] ^ 0xff
		}
	default:
		return netip.Addr{}, false
	}
	return netip.AddrFrom4(v4), true
}

// allowed reports whether a connection to ip (reached through host name
// host, "" if unknown) may be made.
func (g *guard) allowed(host string, ip netip.Addr) bool {
	ip = ip.Unmap()
	if v4, ok := embeddedIPv4(ip); ok {
		ip = v4 // judged, and allowlisted, as the IPv4 address it reaches
	}
	if !isInternal(ip) {
		return true
	}
	for _, p := range g.nets {
		if p.Contains(ip) {
			return true
		}
	}
	return host != "" && g.hosts[strings.ToLower(strings.TrimSuffix(host, "."))]
}

type hostKey struct{}

// control runs after the socket is created and before connect(2): refusing
// here means not a single packet leaves for a refused address.
func (g *guard) control(ctx context.Context) func(network, address string, c syscall.RawConn) error {
	host, _ := ctx.Value(hostKey{}).(string)
	return func(network, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return fmt.Errorf("dial %s: %w", address, ErrBlockedAddress)
		}
		if !g.allowed(host, ap.Addr()) {
			return fmt.Errorf("dial %s (%s): %w; add it to fetch.allow_networks to permit it",
				address, host, ErrBlockedAddress)
		}
		return nil
	}
}

// dialer returns a DialContext that resolves the name itself, refuses
// internal addresses before dialling and keeps the per-address Control check
// as the last line of defence.
func (g *guard) dialer(resolve func(context.Context, string) ([]netip.Addr, error), proxies map[string]bool) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		var ips []netip.Addr
		if ip, err := netip.ParseAddr(host); err == nil {
			ips = []netip.Addr{ip}
		} else if resolve != nil {
			ips, err = resolve(ctx, host)
			if err != nil {
				return nil, err
			}
		} else {
			ips, err = net.DefaultResolver.LookupNetIP(ctx, "ip", host)
			if err != nil {
				return nil, err
			}
		}
		// The operator's configured proxy is trusted even when it is local,
		// but only at its own address: Go never proxies loopback targets, so
		// a feed on another port of a loopback proxy's host is dialled
		// directly and must still meet the guard.
		gg := g
		if proxies[net.JoinHostPort(strings.ToLower(host), port)] {
			gg = &guard{nets: []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0"), netip.MustParsePrefix("::/0")}}
		}
		ctx = context.WithValue(ctx, hostKey{}, host)
		d := net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second, ControlContext: func(ctx context.Context, network, address string, c syscall.RawConn) error {
			return gg.control(ctx)(network, address, c)
		}}
		var firstErr error
		for _, ip := range ips {
			if !gg.allowed(host, ip) {
				if firstErr == nil {
					firstErr = fmt.Errorf("dial %s (%s): %w; add it to fetch.allow_networks to permit it", host, ip, ErrBlockedAddress)
				}
				continue
			}
			c, err := d.DialContext(ctx, network, net.JoinHostPort(ip.String(), port))
			if err == nil {
				return c, nil
			}
			if firstErr == nil {
				firstErr = err
			}
		}
		if firstErr == nil {
			firstErr = fmt.Errorf("dial %s: no addresses", host)
		}
		return nil, firstErr
	}
}

// proxyAddrs names the host:port of each HTTP(S) proxy in the environment.
func proxyAddrs() map[string]bool {
	m := map[string]bool{}
	// The probe host is under .invalid (reserved, RFC 2606) so that a
	// NO_PROXY listing real hosts cannot hide the proxy from the probe and
	// leave every proxied fetch refused by the guard.
	for _, probe := range []string{"http://tidings-proxy-probe.invalid/", "https://tidings-proxy-probe.invalid/"} {
		u, _ := url.Parse(probe)
		if p, err := http.ProxyFromEnvironment(&http.Request{URL: u}); err == nil && p != nil {
			m[canonicalAddr(p)] = true
		}
	}
	return m
}

// canonicalAddr is u's lower-case host and port, the port defaulted from
// the scheme the way net/http does when it dials u.
func canonicalAddr(u *url.URL) string {
	port := u.Port()
	if port == "" {
		switch u.Scheme {
		case "http":
			port = "80"
		case "https":
			port = "443"
		case "socks5", "socks5h":
			port = "1080"
		}
	}
	return net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}
