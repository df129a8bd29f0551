package mail

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	texttemplate "text/template"
	"time"

	"github.com/tidings/tidings"
)

// builder holds what every message of a Sender shares, parsed once.
type builder struct {
	opts    Options
	from    *mail.Address
	subject *texttemplate.Template
	pages   *template.Template
}

func newBuilder(opts Options) (*builder, error) {
	opts = opts.withDefaults()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if opts.From == "" {
		return nil, errors.New("from address is required")
	}
	from, err := mail.ParseAddress(opts.From)
	if err != nil {
		return nil, fmt.Errorf("from %q: %w", opts.From, err)
	}
	subject, err := parseSubject(opts.SubjectTemplate)
	if err != nil {
		return nil, err
	}
	pages, err := parsePages()
	if err != nil {
		return nil, fmt.Errorf("parse email template: %w", err)
	}
	return &builder{opts: opts, from: from, subject: subject, pages: pages}, nil
}

// BuildMessage renders edition e as one RFC 5322 message to recipient
// (CRLF line ends, ready for SMTP DATA). opts.From is the From header.
func BuildMessage(e tidings.Edition, recipient string, opts Options) ([]byte, error) {
	b, err := newBuilder(opts)
	if err != nil {
		return nil, err
	}
	return b.build(e, recipient)
}

// MessageID is the deterministic Message-ID (with angle brackets) of edition
// number of digest sent to recipient from an address at fromDomain. Sending
// the same edition to the same person again yields the same id, so a copy
// resent after an ambiguous failure can be recognised as a duplicate.
func MessageID(digest string, number int, recipient, fromDomain string) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%d\x00%s", digest, number, strings.ToLower(strings.TrimSpace(recipient)))
	if fromDomain == "" {
		fromDomain = "tidings.invalid"
	}
	return "<" + hex.EncodeToString(h.Sum(nil)[:16]) + "." + strconv.Itoa(number) + "@" + fromDomain + ">"
}

func domainOf(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		return strings.ToLower(addr[i+1:])
	}
	return ""
}

func (b *builder) messageID(e tidings.Edition, rcpt *mail.Address) string {
	return MessageID(e.Digest, e.Number, rcpt.Address, domainOf(b.from.Address))
}

func (b *builder) build(e tidings.Edition, recipient string) ([]byte, error) {
	rcpt, err := mail.ParseAddress(recipient)
	if err != nil {
		return nil, fmt.Errorf("recipient %q: %w", recipient, err)
	}
	o := b.opts
	var unsub string
	var oneClick bool
	if o.Unsubscribe != "" {
		if unsub, oneClick, err = unsubscribeURL(o.Unsubscribe, rcpt.Address); err != nil {
			return nil, err
		}
	}

	v := newView(e, rcpt.Address, unsub, o)
	htmlPart, textPart, err := render(b.pages, v, o.MaxHTMLBytes)
	if err != nil {
		return nil, err
	}
	subject, err := b.subjectFor(e)
	if err != nil {
		return nil, err
	}

	from := *b.from
	if from.Name == "" {
		from.Name = v.Title
	}
	id := b.messageID(e, rcpt)

	var msg bytes.Buffer
	h := func(k, v string) { msg.WriteString(k + ": " + v + "\r\n") }
	h("From", from.String())
	h("To", rcpt.String())
	h("Subject", foldEncoded(mime.QEncoding.Encode("utf-8", subject)))
	h("Date", o.Now().Format(time.RFC1123Z))
	h("Message-ID", id)
	h("List-Id", listID(v.Title, e.Digest, b.listHost()))
	if unsub != "" {
		h("List-Unsubscribe", "<"+unsub+">")
		if oneClick {
			h("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
		}
	}
	if v.WebURL != "" {
		h("List-Archive", "<"+v.WebURL+">")
	}
	// Tell vacation responders not to answer a newsletter (RFC 3834).
	h("Auto-Submitted", "auto-generated")
	h("X-Auto-Response-Suppress", "All")
	h("MIME-Version", "1.0")

	mw := multipart.NewWriter(&msg)
	// A boundary derived from the Message-ID keeps the bytes reproducible;
	// quoted-printable lines can never contain it.
	if err := mw.SetBoundary("=_tidings_" + strings.Trim(id, "<>")[:32]); err != nil {
		return nil, fmt.Errorf("set boundary: %w", err)
	}
	h("Content-Type", "multipart/alternative; boundary=\""+mw.Boundary()+"\"")
	msg.WriteString("\r\n")
	for _, p := range []struct {
		ctype string
		body  []byte
	}{
		{"text/plain; charset=utf-8", textPart}, // least preferred first (RFC 2046)
		{"text/html; charset=utf-8", htmlPart},
	} {
		pw, err := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {p.ctype},
			"Content-Transfer-Encoding": {"quoted-printable"},
		})
		if err != nil {
			return nil, fmt.Errorf("mime part: %w", err)
		}
		qw := quotedprintable.NewWriter(pw)
		if _, err := qw.Write(p.body); err != nil {
			return nil, fmt.Errorf("encode part: %w", err)
		}
		if err := qw.Close(); err != nil {
			return nil, fmt.Errorf("encode part: %w", err)
		}
	}
	if err := mw.Close(); err != nil {
		return nil, fmt.Errorf("mime close: %w", err)
	}
	return msg.Bytes(), nil
}

func (b *builder) subjectFor(e tidings.Edition) (string, error) {
	title := e.Title
	if title == "" {
		title = e.Digest
	}
	var s strings.Builder
	err := b.subject.Execute(&s, SubjectData{
		Title:  title,
		Date:   editionDate(e),
		Count:  e.Count(),
		Digest: e.Digest,
		Number: e.Number,
	})
	if err != nil {
		return "", fmt.Errorf("subject template: %w", err)
	}
	// A template may produce newlines; a header must not contain any.
	return oneLine(s.String()), nil
}

// editionDate is the slot's date in the slot's own zone ("26 Nov 2026").
func editionDate(e tidings.Edition) string {
	t := e.Slot
	if t.IsZero() {
		t = e.Built
	}
	if t.IsZero() {
		return ""
	}
	return t.Format("2 Jan 2006")
}

// foldEncoded puts each RFC 2047 encoded-word on its own header line so
// long subjects stay within the 78-character recommendation.
func foldEncoded(s string) string {
	return strings.ReplaceAll(s, "?= =?", "?=\r\n =?")
}

func (b *builder) listHost() string {
	if b.opts.ListHost != "" {
		return b.opts.ListHost
	}
	if u, err := url.Parse(b.opts.BaseURL); err == nil && u.Hostname() != "" {
		return strings.ToLower(u.Hostname())
	}
	if d := domainOf(b.from.Address); d != "" {
		return d
	}
	return "tidings.invalid"
}

// listID is an RFC 2919 List-Id: a phrase and <label.namespace>, the label
// reduced to the characters a dot-atom allows.
func listID(title, digest, host string) string {
	var label strings.Builder
	for _, c := range strings.ToLower(digest) {
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '_':
			label.WriteRune(c)
		default:
			label.WriteByte('-')
		}
	}
	l := strings.Trim(label.String(), "-")
	if l == "" {
		l = "digest"
	}
	phrase := mime.QEncoding.Encode("utf-8", title)
	if phrase == title {
		phrase = strconv.Quote(title) // a phrase may hold specials; quote it
	}
	return phrase + " <" + l + "." + host + ">"
}
