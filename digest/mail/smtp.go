package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/wneessen/go-mail/smtp"
)

// sendError classifies a failed attempt. Permanent means the server refused
// this message or recipient with a 5xx reply to MAIL, RCPT or DATA: sending
// it again would fail again. Everything else (4xx, network errors, timeouts,
// a cut connection, TLS or login trouble) keeps the delivery pending.
// Conn marks problems of the connection rather than of one message; they
// apply to every delivery of the run and are logged once.
type sendError struct {
	Permanent bool
	Conn      bool
	Stage     string // "connect", "mail", "rcpt", "data", "sendmail"…
	Err       error
}

func (e *sendError) Error() string { return e.Stage + ": " + e.Err.Error() }
func (e *sendError) Unwrap() error { return e.Err }

// classify turns an SMTP reply into a sendError for stage.
func classify(stage string, err error) *sendError {
	var se *sendError
	if errors.As(err, &se) {
		return se
	}
	out := &sendError{Stage: stage, Err: err}
	var te *textproto.Error
	if errors.As(err, &te) && te.Code >= 500 && te.Code < 600 {
		out.Permanent = stage == "mail" || stage == "rcpt" || stage == "data"
	}
	out.Conn = !out.Permanent && stage != "rcpt" && stage != "data"
	if te != nil && te.Code == 421 {
		out.Conn = true // the server is closing the connection
	}
	return out
}

// transport sends one message at a time; implementations keep whatever
// connection state they need between messages of one run.
type transport interface {
	send(ctx context.Context, from, to string, msg []byte) error
	close()
}

// smtpTransport keeps one SMTP session open for a run of deliveries.
type smtpTransport struct {
	cfg    Config
	client *smtp.Client
	conn   net.Conn
	stop   func() bool // detaches the ctx watcher of the current connection
}

func (t *smtpTransport) connect(ctx context.Context) error {
	cfg := t.cfg
	addr := net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port))
	d := net.Dialer{Timeout: cfg.Timeout}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return &sendError{Conn: true, Stage: "connect", Err: err}
	}
	tlsConf := &tls.Config{
		ServerName:         cfg.Host,
		RootCAs:            cfg.RootCAs,
		InsecureSkipVerify: cfg.InsecureSkipVerify, //nolint:gosec // opt-in for self-signed home servers
		MinVersion:         tls.VersionTLS12,
	}
	if cfg.TLS == TLSImplicit {
		tc := tls.Client(conn, tlsConf)
		_ = tc.SetDeadline(time.Now().Add(cfg.Timeout))
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return &sendError{Conn: true, Stage: "tls", Err: err}
		}
		conn = tc
	}
	// Closing the connection is the only way to interrupt a blocked read.
	t.stop = context.AfterFunc(ctx, func() { conn.Close() })
	_ = conn.SetDeadline(time.Now().Add(cfg.Timeout))
	c, err := smtp.NewClient(conn, cfg.Host)
	if err != nil {
		t.stop()
		conn.Close()
		return classify("greeting", err)
	}
	t.client, t.conn = c, conn
	if err := c.Hello(heloName(cfg)); err != nil {
		t.close()
		return classify("ehlo", err)
	}
	if cfg.TLS == TLSStartTLS {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			t.close()
			return &sendError{Conn: true, Stage: "starttls", Err: fmt.Errorf("%s does not offer STARTTLS; set smtp.tls = \"implicit\" (port 465) or \"none\" for a local MTA", addr)}
		}
		if err := c.StartTLS(tlsConf); err != nil {
			t.close()
			return classify("starttls", err)
		}
	}
	if cfg.Username != "" {
		if err := c.Auth(t.auth()); err != nil {
			t.close()
			// Never wrap anything that could echo the credentials.
			return classify("auth", fmt.Errorf("login as %s: %w", cfg.Username, redact(err, cfg.Password)))
		}
	}
	return nil
}

// auth prefers PLAIN and falls back to LOGIN when only that is offered.
// Both refuse to send credentials without TLS unless the host is local.
func (t *smtpTransport) auth() smtp.Auth {
	cfg := t.cfg
	_, mechs := t.client.Extension("AUTH")
	fields := strings.Fields(strings.ToUpper(mechs))
	has := func(m string) bool {
		for _, f := range fields {
			if f == m {
				return true
			}
		}
		return false
	}
	if !has("PLAIN") && has("LOGIN") {
		return smtp.LoginAuth(cfg.Username, cfg.Password, cfg.Host, false)
	}
	return smtp.PlainAuth("", cfg.Username, cfg.Password, cfg.Host, false)
}

func (t *smtpTransport) send(ctx context.Context, from, to string, msg []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if t.client == nil {
		if err := t.connect(ctx); err != nil {
			return err
		}
	}
	c := t.client
	step := func() { _ = t.conn.SetDeadline(time.Now().Add(t.cfg.Timeout)) }
	fail := func(stage string, err error) error {
		se := classify(stage, err)
		if ctx.Err() != nil {
			se.Err = fmt.Errorf("%w (%v)", ctx.Err(), se.Err)
		}
		// After a refused MAIL/RCPT the session is still usable; reset it
		// for the next message. Anything else: start over with a new one.
		step()
		if se.Conn || stage == "data" || c.Reset() != nil {
			t.close()
		}
		return se
	}
	step()
	if err := c.Mail(from); err != nil {
		return fail("mail", err)
	}
	step()
	if err := c.Rcpt(to); err != nil {
		return fail("rcpt", err)
	}
	step()
	w, err := c.Data()
	if err != nil {
		return fail("data", err)
	}
	if _, err := w.Write(msg); err != nil {
		_ = w.Close()
		return fail("data", err)
	}
	// Close sends the final dot and waits for the reply: nil here is the
	// server's 250, the moment the message becomes its responsibility.
	if err := w.Close(); err != nil {
		return fail("data", err)
	}
	return nil
}

func (t *smtpTransport) close() {
	if t.client == nil {
		return
	}
	if t.stop != nil {
		t.stop()
	}
	_ = t.conn.SetDeadline(time.Now().Add(2 * time.Second))
	_ = t.client.Quit()
	_ = t.client.Close()
	t.client, t.conn = nil, nil
}

func heloName(cfg Config) string {
	if cfg.HeloName != "" {
		return cfg.HeloName
	}
	if h, err := os.Hostname(); err == nil && h != "" && !strings.ContainsAny(h, " \r\n") {
		return h
	}
	return "localhost"
}

// redact removes the password from an error text, in case a server or
// library echoed it.
func redact(err error, password string) error {
	if password == "" || !strings.Contains(err.Error(), password) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), password, "[redacted]"))
}
