package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	smtp "github.com/emersion/go-smtp"
)

// startServe runs `tidings serve` in the background and returns its base
// URL and a stop function that cancels it and returns the exit code.
func startServe(t *testing.T, cfg string, logs io.Writer) (string, func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan string, 1)
	done := make(chan int, 1)
	go func() {
		a := &app{stdin: strings.NewReader(""), stdout: io.Discard, stderr: logs, getenv: func(string) string { return "" }, now: time.Now,
			onServing: func(s string) { addr <- s }, hup: make(chan os.Signal)}
		done <- a.main(ctx, []string{"-config", cfg, "serve", "--listen", "127.0.0.1:0"})
	}()
	select {
	case s := <-addr:
		return "http://" + s, func() int { cancel(); return <-done }
	case code := <-done:
		cancel()
		t.Fatalf("serve exited with %d", code)
	}
	return "", nil
}

func TestServeMetrics(t *testing.T) {
	srv := feedServer(t)
	cfg, _ := testConfig(t, "[server]\nmetrics = true\n[[feed]]\nurl = \""+srv.URL+"/rss.xml\"\n")
	var logs syncBuffer
	base, stop := startServe(t, cfg, &logs)
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	var body string
	// The first poll cycle runs right after start; wait for its counters.
	waitFor(t, "poll metrics", func() bool {
		resp, err := client.Get(base + "/metrics")
		if err != nil {
			return false
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		body = string(b)
		return strings.Contains(body, `tidings_items_stored_total{kind="new"} 2`)
	})
	for _, want := range []string{`tidings_feeds{state="ok"} 1`, "tidings_poll_cycle_duration_seconds_count 1", `tidings_fetches_total{outcome="ok"} 1`,
		`tidings_fetch_duration_seconds_count{outcome="ok"} 1`, "go_goroutines"} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if code := stop(); code != 0 {
		t.Errorf("exit code %d: %s", code, logs.String())
	}
}

func TestServeListenTaken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cfg, _ := testConfig(t, "[server]\nlisten = \""+ln.Addr().String()+"\"\n")
	code, _, stderr := run(t, "-config", cfg, "serve")
	if code != 1 || !strings.Contains(stderr, "listen") {
		t.Errorf("serve on a taken port: code %d, stderr %q; want 1 and a listen error", code, stderr)
	}
}

// mailSink is an in-process SMTP server that keeps what it receives.
type mailSink struct {
	mu   sync.Mutex
	msgs map[string]string // recipient -> message
}

func (s *mailSink) NewSession(*smtp.Conn) (smtp.Session, error) { return &mailSession{s: s}, nil }

type mailSession struct {
	s  *mailSink
	to []string
}

func (x *mailSession) Reset()                                    { x.to = nil }
func (x *mailSession) Logout() error                             { return nil }
func (x *mailSession) Mail(string, *smtp.MailOptions) error      { return nil }
func (x *mailSession) Rcpt(to string, _ *smtp.RcptOptions) error { x.to = append(x.to, to); return nil }
func (x *mailSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	x.s.mu.Lock()
	defer x.s.mu.Unlock()
	for _, to := range x.to {
		x.s.msgs[to] = string(b)
	}
	return nil
}

func TestDigestMailsRecipients(t *testing.T) {
	sink := &mailSink{msgs: map[string]string{}}
	ss := smtp.NewServer(sink)
	ss.Domain = "localhost"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go ss.Serve(ln)
	t.Cleanup(func() { ss.Close() })
	port := ln.Addr().(*net.TCPAddr).Port

	srv := feedServer(t)
	cfg, _ := testConfig(t, `
[[feed]]
url = "`+srv.URL+`/rss.xml"
[[digest]]
name = "daily"
title = "Mail Daily"
recipients = ["ann@example.org"]
[smtp]
host = "127.0.0.1"
port = `+itoa(port)+`
tls = "none"
from = "Tidings <tidings@example.org>"
`)
	if code, _, stderr := run(t, "-config", cfg, "fetch"); code != 0 {
		t.Fatalf("fetch: %d %s", code, stderr)
	}
	code, out, stderr := run(t, "-config", cfg, "digest", "daily")
	if code != 0 || !strings.Contains(out, "mail: 1 sent") {
		t.Fatalf("digest: code %d, out %q, stderr %q", code, out, stderr)
	}
	// send re-sends the latest edition, here to one extra address.
	code, out, stderr = run(t, "-config", cfg, "send", "daily", "--to", "bob@example.org")
	if code != 0 || !strings.Contains(out, "1 sent") {
		t.Fatalf("send: code %d, out %q, stderr %q", code, out, stderr)
	}
	sink.mu.Lock()
	defer sink.mu.Unlock()
	for _, rcpt := range []string{"ann@example.org", "bob@example.org"} {
		if msg := sink.msgs[rcpt]; !strings.Contains(msg, "Bitmap indexes explained") {
			t.Errorf("message to %s lacks the story (%d bytes)", rcpt, len(msg))
		}
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(cfg), "public", "daily", "1", "index.html")); err != nil {
		t.Errorf("edition page: %v", err)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
