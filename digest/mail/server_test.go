package mail_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log"
	"math/big"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// testCert is a self-signed certificate for 127.0.0.1 and its pool.
func testCert(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "tidings test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:              []string{"localhost"},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

// received is one message the test server accepted (answered 250 to DATA).
type received struct {
	From string
	To   []string
	Data []byte
}

// fault decides, per SMTP step, how the server misbehaves. stage is
// "mail", "rcpt" or "data"; n counts that stage's calls from 1. A nil
// result lets the step succeed.
type fault func(stage, rcpt string, n int) *faultAction

type faultAction struct {
	err    error // an SMTP reply such as 451 or 550
	cutAt  int   // data: close the connection after reading this many bytes
	lose   bool  // data: store the message, then close before the 250
	hangup bool  // any stage: close the connection without a reply
}

func smtpErr(code int, msg string) error {
	return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{code / 100, 0, 0}, Message: msg}
}

// testServer is a real SMTP server (emersion/go-smtp) on 127.0.0.1.
type testServer struct {
	t        *testing.T
	mode     string // "starttls", "implicit", "none"
	user     string
	pass     string
	mechs    []string
	cert     tls.Certificate
	Pool     *x509.CertPool
	Port     int
	srv      *smtp.Server
	ln       net.Listener
	fault    fault
	mu       sync.Mutex
	accepted []received
	counts   map[string]int
	authUsed []string
}

// newTestServer reserves a port; start() begins serving on it, so tests
// can begin with the server down.
func newTestServer(t *testing.T, mode string) *testServer {
	t.Helper()
	cert, pool := testCert(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return &testServer{t: t, mode: mode, cert: cert, Pool: pool, Port: port,
		user: "tidings", pass: "s3cret-pa55", mechs: []string{sasl.Plain, sasl.Login},
		counts: map[string]int{}}
}

func startTestServer(t *testing.T, mode string) *testServer {
	s := newTestServer(t, mode)
	s.start()
	return s
}

func (s *testServer) start() {
	s.t.Helper()
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &testSession{s: s, conn: c}, nil
	}))
	srv.Domain = "localhost"
	srv.ErrorLog = log.New(io.Discard, "", 0)
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	srv.AllowInsecureAuth = s.mode == "none"
	tlsConf := &tls.Config{Certificates: []tls.Certificate{s.cert}}
	ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(s.Port))
	if err != nil {
		s.t.Fatal(err)
	}
	switch s.mode {
	case "starttls":
		srv.TLSConfig = tlsConf
	case "implicit":
		ln = tls.NewListener(ln, tlsConf)
	}
	s.srv, s.ln = srv, ln
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	s.t.Cleanup(func() {
		srv.Close()
		ln.Close()
		<-done
	})
}

// stop closes the listener itself too: smtp.Server.Close only closes the
// listeners Serve has registered, and on a busy machine Serve may not have
// started yet; it would then accept forever.
func (s *testServer) stop() {
	s.srv.Close()
	s.ln.Close()
}

func (s *testServer) messages() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.accepted...)
}

func (s *testServer) count(stage string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[stage]
}

// step counts a stage and asks the fault function what to do.
func (s *testServer) step(stage, rcpt string) *faultAction {
	s.mu.Lock()
	s.counts[stage]++
	n := s.counts[stage]
	f := s.fault
	s.mu.Unlock()
	if f == nil {
		return nil
	}
	return f(stage, rcpt, n)
}

type testSession struct {
	s      *testServer
	conn   *smtp.Conn
	authed bool
	from   string
	to     []string
}

func (ss *testSession) AuthMechanisms() []string { return ss.s.mechs }

func (ss *testSession) Auth(mech string) (sasl.Server, error) {
	check := func(user, pass string) error {
		if user != ss.s.user || pass != ss.s.pass {
			return smtp.ErrAuthFailed
		}
		ss.authed = true
		ss.s.mu.Lock()
		ss.s.authUsed = append(ss.s.authUsed, mech)
		ss.s.mu.Unlock()
		return nil
	}
	switch mech {
	case sasl.Plain:
		return sasl.NewPlainServer(func(identity, user, pass string) error {
			if identity != "" && identity != user {
				return errors.New("identity mismatch")
			}
			return check(user, pass)
		}), nil
	case sasl.Login:
		return &loginServer{check: check}, nil
	}
	return nil, smtp.ErrAuthUnknownMechanism
}

// loginServer is the server side of AUTH LOGIN (go-sasl ships only the client).
type loginServer struct {
	check    func(user, pass string) error
	step     int
	username string
}

func (l *loginServer) Next(resp []byte) ([]byte, bool, error) {
	switch l.step {
	case 0:
		l.step++
		if resp != nil { // initial response carries the username
			l.username = string(resp)
			l.step++
			return []byte("Password:"), false, nil
		}
		return []byte("Username:"), false, nil
	case 1:
		l.step++
		l.username = string(resp)
		return []byte("Password:"), false, nil
	default:
		return nil, true, l.check(l.username, string(resp))
	}
}

func (ss *testSession) act(a *faultAction) error {
	if a == nil {
		return nil
	}
	if a.hangup {
		ss.conn.Conn().Close()
		return errors.New("hung up")
	}
	return a.err
}

func (ss *testSession) Mail(from string, _ *smtp.MailOptions) error {
	if ss.s.user != "" && ss.s.mechs != nil && !ss.authed {
		return smtp.ErrAuthRequired
	}
	if err := ss.act(ss.s.step("mail", "")); err != nil {
		return err
	}
	ss.from = from
	return nil
}

func (ss *testSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if err := ss.act(ss.s.step("rcpt", to)); err != nil {
		return err
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *testSession) Data(r io.Reader) error {
	a := ss.s.step("data", strings.Join(ss.to, ","))
	if a != nil && a.cutAt > 0 {
		_, _ = io.CopyN(io.Discard, r, int64(a.cutAt))
		ss.conn.Conn().Close()
		return errors.New("cut")
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if a != nil && a.err != nil {
		return a.err
	}
	ss.s.mu.Lock()
	ss.s.accepted = append(ss.s.accepted, received{From: ss.from, To: append([]string(nil), ss.to...), Data: b})
	ss.s.mu.Unlock()
	if a != nil && a.lose {
		ss.conn.Conn().Close() // stored, but the client never hears 250
		return errors.New("lost")
	}
	return nil
}

func (ss *testSession) Reset() { ss.from, ss.to = "", nil }

func (ss *testSession) Logout() error { return nil }
