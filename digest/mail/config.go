// Package mail turns digest editions into email and delivers them through the
// store's durable outbox: one multipart/alternative message per recipient,
// sent over SMTP (STARTTLS, implicit TLS or plain to a local MTA) or handed to
// a local sendmail binary. A delivery is marked sent only after the server
// accepted the message (250 after DATA); temporary failures retry with
// backoff, permanent ones are recorded and reported.
package mail

import (
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"net/url"
	"strings"
	"text/template"
	"time"
)

// TLS modes of Config.TLS.
const (
	TLSStartTLS = "starttls" // plain connect, then STARTTLS (submission, port 587)
	TLSImplicit = "implicit" // TLS from the first byte (submissions, port 465)
	TLSNone     = "none"     // no TLS: only for an MTA on this machine
)

// Config says how to reach the mail server.
type Config struct {
	Host     string
	Port     int    // default: 587 for starttls, 465 for implicit, 25 for none
	TLS      string // TLSStartTLS (default), TLSImplicit or TLSNone
	Username string // empty: no AUTH
	Password string // never logged, never in an error
	From     string // "Daily Tidings <digest@example.org>" or a bare address

	// Sendmail, when set, is a local sendmail-compatible program (and
	// optional arguments) used instead of SMTP: it runs as
	// `PROGRAM [ARGS] -i -f FROM -- RCPT` with the message on stdin.
	Sendmail string

	InsecureSkipVerify bool           // accept any server certificate (self-signed home servers)
	RootCAs            *x509.CertPool // trusted roots; nil: the system's
	Timeout            time.Duration  // per connection step; default 30s
	HeloName           string         // name sent in EHLO; default: this host's name
}

// Options shape the messages and the retry policy.
type Options struct {
	// BaseURL of the published site; when set, stories link to their item
	// pages (BaseURL + "items/<id>.html") and the edition to its web page.
	BaseURL string
	// SubjectTemplate is a text/template over SubjectData.
	// Default: DefaultSubject.
	SubjectTemplate string
	// Unsubscribe is an https URL or a mailto: address for List-Unsubscribe.
	// "{recipient}" in it is replaced with the query-escaped recipient.
	Unsubscribe string
	// ListHost is the namespace of List-Id (<digest.ListHost>); default: the
	// host of BaseURL, else the domain of From.
	ListHost string
	// From is the From header. NewSender sets it from Config.From.
	From string
	// MaxHTMLBytes is the budget of the HTML part (Gmail clips at ~102 KB);
	// default 90000. Article text is inlined only while it fits.
	MaxHTMLBytes int
	// MaxBackoff caps the retry delay (default 6h); GiveUpAfter turns a
	// delivery that keeps failing temporarily into a permanent failure once
	// it is that old (default 7 days) and has been tried at least 10 times.
	MaxBackoff  time.Duration
	GiveUpAfter time.Duration

	Now func() time.Time
	Log *slog.Logger
}

// DefaultSubject is the subject template used when Options.SubjectTemplate is empty.
const DefaultSubject = `{{.Title}} — {{.Date}}: {{.Count}} {{if eq .Count 1}}story{{else}}stories{{end}}`

// SubjectData is what the subject template sees.
type SubjectData struct {
	Title  string // the edition's title
	Date   string // "26 Nov 2026", the slot's date in its own zone
	Count  int    // stories in the edition
	Digest string // digest name
	Number int    // edition number
}

const (
	defaultTimeout      = 30 * time.Second
	defaultMaxHTMLBytes = 90000
	defaultMaxBackoff   = 6 * time.Hour
	defaultGiveUpAfter  = 7 * 24 * time.Hour
	firstRetry          = time.Minute
)

// String describes the configuration without the password, so printing a
// Config by mistake cannot leak it.
func (c Config) String() string {
	if c.Sendmail != "" {
		return fmt.Sprintf("sendmail %q from %s", c.Sendmail, c.From)
	}
	pw := ""
	if c.Password != "" {
		pw = " password=[redacted]"
	}
	return fmt.Sprintf("smtp %s:%d tls=%s user=%q%s from %s", c.Host, c.Port, c.TLS, c.Username, pw, c.From)
}

// LogValue keeps the password out of structured logs too.
func (c Config) LogValue() slog.Value { return slog.StringValue(c.String()) }

// Validate reports configuration mistakes in terms of the [smtp] keys.
func (c Config) Validate() error {
	if c.From == "" {
		return errors.New("smtp.from is required")
	}
	if _, err := mail.ParseAddress(c.From); err != nil {
		return fmt.Errorf("smtp.from %q: %w", c.From, err)
	}
	if c.Sendmail != "" {
		return nil
	}
	if c.Host == "" {
		return errors.New("smtp.host is required (or set smtp.sendmail)")
	}
	switch c.TLS {
	case "", TLSStartTLS, TLSImplicit, TLSNone:
	default:
		return fmt.Errorf("smtp.tls %q: want starttls, implicit or none", c.TLS)
	}
	if c.Port < 0 || c.Port > 65535 {
		return fmt.Errorf("smtp.port %d out of range", c.Port)
	}
	if c.Username != "" && c.TLS == TLSNone && !isLoopbackHost(c.Host) {
		return fmt.Errorf("smtp.tls = \"none\" with a username would send the password in clear to %s; use starttls or implicit", c.Host)
	}
	return nil
}

// Validate reports mistakes in the message options.
func (o Options) Validate() error {
	if _, err := parseSubject(o.SubjectTemplate); err != nil {
		return err
	}
	if o.BaseURL != "" {
		u, err := url.Parse(o.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("publish.base_url %q: want an absolute http(s) URL", o.BaseURL)
		}
	}
	if o.Unsubscribe != "" {
		if _, _, err := unsubscribeURL(o.Unsubscribe, "x@example.org"); err != nil {
			return err
		}
	}
	if o.From != "" {
		if _, err := mail.ParseAddress(o.From); err != nil {
			return fmt.Errorf("from %q: %w", o.From, err)
		}
	}
	return nil
}

func parseSubject(s string) (*template.Template, error) {
	if s == "" {
		s = DefaultSubject
	}
	t, err := template.New("subject").Option("missingkey=error").Parse(s)
	if err != nil {
		return nil, fmt.Errorf("smtp.subject template: %w", err)
	}
	// Execute once against sample data so field typos fail at start-up.
	if err := t.Execute(&strings.Builder{}, SubjectData{Title: "T", Date: "1 Jan 2026", Count: 2, Digest: "d", Number: 1}); err != nil {
		return nil, fmt.Errorf("smtp.subject template: %w", err)
	}
	return t, nil
}

func (o Options) withDefaults() Options {
	if o.MaxHTMLBytes <= 0 {
		o.MaxHTMLBytes = defaultMaxHTMLBytes
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = defaultMaxBackoff
	}
	if o.GiveUpAfter <= 0 {
		o.GiveUpAfter = defaultGiveUpAfter
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return o
}

func (c Config) withDefaults() Config {
	if c.TLS == "" {
		c.TLS = TLSStartTLS
	}
	if c.Port == 0 {
		switch c.TLS {
		case TLSImplicit:
			c.Port = 465
		case TLSNone:
			c.Port = 25
		default:
			c.Port = 587
		}
	}
	if c.Timeout <= 0 {
		c.Timeout = defaultTimeout
	}
	return c
}

func isLoopbackHost(h string) bool {
	switch strings.ToLower(strings.Trim(h, "[]")) {
	case "localhost", "127.0.0.1", "::1":
		return true
	}
	return false
}

// unsubscribeURL expands the recipient placeholder and says whether the
// result supports RFC 8058 one-click (https only).
func unsubscribeURL(tmpl, recipient string) (string, bool, error) {
	s := strings.ReplaceAll(tmpl, "{recipient}", url.QueryEscape(recipient))
	u, err := url.Parse(s)
	if err != nil {
		return "", false, fmt.Errorf("smtp.unsubscribe %q: %w", tmpl, err)
	}
	switch u.Scheme {
	case "https", "http":
		if u.Host == "" {
			return "", false, fmt.Errorf("smtp.unsubscribe %q: URL without host", tmpl)
		}
		return u.String(), u.Scheme == "https", nil
	case "mailto":
		if u.Opaque == "" {
			return "", false, fmt.Errorf("smtp.unsubscribe %q: mailto without address", tmpl)
		}
		return u.String(), false, nil
	}
	return "", false, fmt.Errorf("smtp.unsubscribe %q: want an https URL or a mailto: address", tmpl)
}
