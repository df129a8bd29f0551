package mail_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/mail"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tidings/tidings"
	tmail "github.com/tidings/tidings/digest/mail"
	"github.com/tidings/tidings/store"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func openStore(t *testing.T, path string) *store.DB {
	t.Helper()
	db, err := store.Open(path, store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Check(); err != nil {
			t.Errorf("store check: %v", err)
		}
		db.Close()
	})
	return db
}

var recipients = []string{"alice@example.com", "Bob Example <bob@example.net>", "carol@example.org"}

// seed records an edition with one pending delivery per recipient, the
// way the daemon does before anything is sent.
func seed(t *testing.T, db *store.DB, now time.Time, rcpts []string) tidings.Edition {
	t.Helper()
	e := loadEdition(t)
	e.Number = 0
	e, created, err := db.SaveEdition(e, rcpts, now)
	if err != nil || !created {
		t.Fatalf("save edition: created=%v err=%v", created, err)
	}
	return e
}

func smtpConfig(srv *testServer) tmail.Config {
	return tmail.Config{
		Host:     "127.0.0.1",
		Port:     srv.Port,
		TLS:      srv.mode,
		Username: srv.user,
		Password: srv.pass,
		From:     "Tidings <digest@example.org>",
		RootCAs:  srv.Pool,
		Timeout:  5 * time.Second,
		HeloName: "tidings.test",
	}
}

// logBuffer collects log lines to check they say what they should, once.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func newSender(t *testing.T, cfg tmail.Config, db tmail.Outbox, clk *clock, logs *logBuffer) *tmail.Sender {
	t.Helper()
	o := testOptions()
	o.Now = clk.Now
	if logs != nil {
		o.Log = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	s, err := tmail.NewSender(cfg, o, db)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// drain runs DeliverDue until nothing is pending, moving the clock past
// the longest backoff between runs, and returns the reports.
func drain(t *testing.T, s *tmail.Sender, db *store.DB, clk *clock, maxRuns int) []tmail.Report {
	t.Helper()
	var reps []tmail.Report
	for i := 0; i < maxRuns; i++ {
		rep, err := s.DeliverDue(context.Background())
		if err != nil {
			t.Fatalf("run %d: %v", i+1, err)
		}
		reps = append(reps, rep)
		if len(pending(t, db)) == 0 {
			return reps
		}
		clk.Add(7 * time.Hour)
	}
	t.Fatalf("still pending after %d runs: %+v", maxRuns, pending(t, db))
	return nil
}

func pending(t *testing.T, db *store.DB) []tidings.Delivery {
	t.Helper()
	all, err := db.Deliveries()
	if err != nil {
		t.Fatal(err)
	}
	var out []tidings.Delivery
	for _, d := range all {
		if d.State == tidings.DeliveryPending {
			out = append(out, d)
		}
	}
	return out
}

// checkOutcome asserts every recipient got exactly one accepted copy
// (dups allows known duplicates), or is recorded as failed if listed in
// failed, and that the outbox agrees with the server.
func checkOutcome(t *testing.T, srv *testServer, db *store.DB, rcpts []string, failed map[string]bool, dups int) {
	t.Helper()
	got := map[string][]received{}
	for _, m := range srv.messages() {
		if len(m.To) != 1 {
			t.Errorf("message to %v: want exactly one recipient per message", m.To)
		}
		for _, to := range m.To {
			got[strings.ToLower(to)] = append(got[strings.ToLower(to)], m)
		}
		if m.From != "digest@example.org" {
			t.Errorf("envelope from %q", m.From)
		}
	}
	all, err := db.Deliveries()
	if err != nil {
		t.Fatal(err)
	}
	state := map[string]tidings.Delivery{}
	for _, d := range all {
		state[strings.ToLower(d.Recipient)] = d
	}
	extra := 0
	for _, r := range rcpts {
		a, _ := mail.ParseAddress(r)
		addr := strings.ToLower(a.Address)
		d, ok := state[strings.ToLower(r)]
		if !ok {
			t.Errorf("%s: no delivery in the outbox", r)
			continue
		}
		if failed[addr] {
			if d.State != tidings.DeliveryFailed || len(got[addr]) != 0 {
				t.Errorf("%s: state %s with %d copies, want failed with none", r, d.State, len(got[addr]))
			}
			continue
		}
		if d.State != tidings.DeliverySent || d.SentAt.IsZero() {
			t.Errorf("%s: state %s (%s), want sent", r, d.State, d.LastError)
		}
		if len(got[addr]) == 0 {
			t.Errorf("%s: no copy accepted", r)
			continue
		}
		extra += len(got[addr]) - 1
		ids := map[string]bool{}
		for _, m := range got[addr] {
			p := parseMessage(t, m.Data)
			ids[p.msg.Header.Get("Message-ID")] = true
			if !strings.Contains(p.msg.Header.Get("To"), a.Address) {
				t.Errorf("%s: To header %q names someone else", r, p.msg.Header.Get("To"))
			}
		}
		if len(ids) != 1 || !ids[d.MessageID] {
			t.Errorf("%s: message ids %v, want only the recorded %q", r, ids, d.MessageID)
		}
	}
	if extra != dups {
		t.Errorf("%d duplicate copies accepted, want %d", extra, dups)
	}
}

func TestDeliverTLSModes(t *testing.T) {
	cases := []struct {
		mode  string
		mechs []string
		user  string
		want  string // mechanism the client used
	}{
		{"starttls", []string{"PLAIN", "LOGIN"}, "tidings", "PLAIN"},
		{"implicit", []string{"LOGIN"}, "tidings", "LOGIN"},
		{"none", nil, "", ""},
	}
	for _, c := range cases {
		t.Run(c.mode, func(t *testing.T) {
			srv := newTestServer(t, c.mode)
			srv.mechs, srv.user = c.mechs, c.user
			srv.start()
			clk := &clock{t: fixedNow}
			db := openStore(t, filepath.Join(t.TempDir(), "tidings.db"))
			seed(t, db, clk.Now(), recipients)
			cfg := smtpConfig(srv)
			if c.user == "" {
				cfg.Username, cfg.Password = "", ""
			}
			s := newSender(t, cfg, db, clk, nil)
			rep, err := s.DeliverDue(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if rep.Due != 3 || rep.Sent != 3 || rep.Retrying != 0 || len(rep.Failed) != 0 || rep.Problem != "" {
				t.Errorf("report %+v, want 3 due and sent", rep)
			}
			checkOutcome(t, srv, db, recipients, nil, 0)
			srv.mu.Lock()
			used := srv.authUsed
			srv.mu.Unlock()
			if c.want != "" && (len(used) == 0 || used[0] != c.want) {
				t.Errorf("auth mechanisms used %v, want %s", used, c.want)
			}
			for _, m := range srv.messages() {
				checkEquivalent(t, parseMessage(t, m.Data))
			}
			// Nothing is due any more: a second run sends nothing.
			if rep, err := s.DeliverDue(context.Background()); err != nil || rep.Due != 0 {
				t.Errorf("second run: %+v, %v", rep, err)
			}
		})
	}
}

func TestCertificateIsVerified(t *testing.T) {
	srv := startTestServer(t, "starttls")
	clk := &clock{t: fixedNow}
	db := openStore(t, filepath.Join(t.TempDir(), "tidings.db"))
	seed(t, db, clk.Now(), recipients[:1])
	cfg := smtpConfig(srv)
	cfg.RootCAs = nil // the system roots do not know the test certificate
	logs := &logBuffer{}
	s := newSender(t, cfg, db, clk, logs)
	rep, err := s.DeliverDue(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Retrying != 1 || rep.Sent != 0 || !strings.Contains(rep.Problem, "certificate") {
		t.Errorf("report %+v, want the delivery deferred over the certificate", rep)
	}
	if srv.count("mail") != 0 {
		t.Error("a message went over an unverified connection")
	}
	if strings.Contains(logs.String(), srv.pass) || strings.Contains(rep.Problem, srv.pass) {
		t.Error("the password shows up in logs or report")
	}
	// Trusting it (as smtp.insecure_skip_verify would) sends it.
	cfg.InsecureSkipVerify = true
	clk.Add(7 * time.Hour)
	drain(t, newSender(t, cfg, db, clk, nil), db, clk, 2)
	checkOutcome(t, srv, db, recipients[:1], nil, 0)
}

func TestWrongPasswordKeepsDeliveriesQueued(t *testing.T) {
	srv := startTestServer(t, "starttls")
	clk := &clock{t: fixedNow}
	db := openStore(t, filepath.Join(t.TempDir(), "tidings.db"))
	seed(t, db, clk.Now(), recipients)
	cfg := smtpConfig(srv)
	cfg.Password = "wrong-password-123"
	logs := &logBuffer{}
	s := newSender(t, cfg, db, clk, logs)
	for i := 0; i < 3; i++ {
		rep, err := s.DeliverDue(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if rep.Retrying != 3 || rep.Problem == "" {
			t.Fatalf("run %d: report %+v, want all 3 deferred with a problem", i, rep)
		}
		clk.Add(7 * time.Hour)
	}
	if n := strings.Count(logs.String(), "mail server unavailable"); n != 1 {
		t.Errorf("problem logged %d times over 3 runs, want once:\n%s", n, logs)
	}
	if strings.Contains(logs.String(), cfg.Password) {
		t.Error("the password is in the log")
	}
	if s := fmt.Sprintf("%v %+v %s", cfg, cfg, cfg); strings.Contains(s, cfg.Password) {
		t.Errorf("formatting the config shows the password: %s", s)
	}
	cfg.Password = srv.pass
	drain(t, newSender(t, cfg, db, clk, nil), db, clk, 2)
	checkOutcome(t, srv, db, recipients, nil, 0)
}

// TestFaults drives the outbox through the failures a mail server can
// produce; in every case each recipient ends with exactly one accepted copy
// or a recorded permanent failure.
func TestFaults(t *testing.T) {
	cases := []struct {
		name   string
		fault  fault
		down   int // runs with the server not yet listening
		failed map[string]bool
		dups   int
	}{
		{name: "server down at first", down: 2},
		{name: "421 on MAIL", fault: func(stage, _ string, n int) *faultAction {
			if stage == "mail" && n <= 2 {
				return &faultAction{err: smtpErr(421, "service not available, closing")}
			}
			return nil
		}},
		{name: "451 on RCPT for one recipient", fault: func(stage, rcpt string, n int) *faultAction {
			if stage == "rcpt" && rcpt == "bob@example.net" && n <= 5 {
				return &faultAction{err: smtpErr(451, "greylisted, try later")}
			}
			return nil
		}},
		{name: "451 after DATA", fault: func(stage, _ string, n int) *faultAction {
			if stage == "data" && n%2 == 1 && n < 6 {
				return &faultAction{err: smtpErr(451, "local error in processing")}
			}
			return nil
		}},
		{name: "550 unknown user", failed: map[string]bool{"carol@example.org": true}, fault: func(stage, rcpt string, n int) *faultAction {
			if stage == "rcpt" && rcpt == "carol@example.org" {
				return &faultAction{err: smtpErr(550, "no such user")}
			}
			return nil
		}},
		{name: "554 rejected content", failed: map[string]bool{"alice@example.com": true}, fault: func(stage, rcpt string, n int) *faultAction {
			if stage == "data" && rcpt == "alice@example.com" {
				return &faultAction{err: smtpErr(554, "message rejected")}
			}
			return nil
		}},
		{name: "connection cut in the middle of DATA", fault: func(stage, _ string, n int) *faultAction {
			if stage == "data" && n <= 2 {
				return &faultAction{cutAt: 4000}
			}
			return nil
		}},
		{name: "hang-up after RCPT", fault: func(stage, _ string, n int) *faultAction {
			if stage == "rcpt" && n == 2 {
				return &faultAction{hangup: true}
			}
			return nil
		}},
		// The one case exactly-once cannot cover: the server stored the
		// message but its 250 never arrived. The copy is sent again with the
		// same Message-ID (checked in checkOutcome), so clients can drop it.
		{name: "250 lost after the server stored the message", dups: 1, fault: func(stage, _ string, n int) *faultAction {
			if stage == "data" && n == 1 {
				return &faultAction{lose: true}
			}
			return nil
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := newTestServer(t, "starttls")
			srv.fault = c.fault
			clk := &clock{t: fixedNow}
			db := openStore(t, filepath.Join(t.TempDir(), "tidings.db"))
			seed(t, db, clk.Now(), recipients)
			logs := &logBuffer{}
			s := newSender(t, smtpConfig(srv), db, clk, logs)
			for i := 0; i < c.down; i++ {
				rep, err := s.DeliverDue(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				if rep.Retrying != len(recipients) || rep.Problem == "" {
					t.Errorf("server down: report %+v, want all deferred", rep)
				}
				clk.Add(7 * time.Hour)
			}
			srv.start()
			reps := drain(t, s, db, clk, 8)
			checkOutcome(t, srv, db, recipients, c.failed, c.dups)
			retried := 0
			for _, r := range reps {
				retried += r.Retrying
			}
			if wantRetry := c.failed == nil && c.down == 0; (retried > 0) != wantRetry {
				t.Errorf("%d deferrals over %d runs; want some: %v (did the fault fire?)", retried, len(reps), wantRetry)
			}
			var failed []string
			for _, r := range reps {
				for _, d := range r.Failed {
					failed = append(failed, d.Recipient)
				}
			}
			var want []string
			for _, r := range recipients {
				if a, _ := mail.ParseAddress(r); c.failed[a.Address] {
					want = append(want, r)
				}
			}
			if !slices.Equal(failed, want) {
				t.Errorf("reported failures %v, want %v", failed, want)
			}
			if n := strings.Count(logs.String(), "failed permanently"); n != len(want) {
				t.Errorf("permanent failures logged %d times, want %d", n, len(want))
			}
			if c.down > 0 && strings.Count(logs.String(), "mail server unavailable") != 1 {
				t.Errorf("an outage of %d runs should be logged once:\n%s", c.down, logs)
			}
		})
	}
}

// TestRestartResumes: the daemon recorded the edition (and its deliveries)
// and was killed before sending; a new process on the same database sends
// each message once. A second kill in the middle of a run (ctx cancelled
// after the first message) loses nothing either.
func TestRestartResumes(t *testing.T) {
	srv := startTestServer(t, "implicit")
	path := filepath.Join(t.TempDir(), "tidings.db")
	clk := &clock{t: fixedNow}
	db, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	many := []string{"a@example.com", "b@example.com", "c@example.com", "d@example.com", "e@example.com"}
	seed(t, db, clk.Now(), many)
	// "Killed" right after recording: the process ends without sending.
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db = openStore(t, path)
	ctx, cancel := context.WithCancel(context.Background())
	srv.fault = func(stage, _ string, n int) *faultAction {
		if stage == "data" && n == 2 {
			cancel() // the signal arrives while the second message is in flight
		}
		return nil
	}
	rep, err := newSender(t, smtpConfig(srv), db, clk, nil).DeliverDue(ctx)
	if err == nil {
		t.Fatalf("run cancelled mid-way returned no error (report %+v)", rep)
	}
	if left := len(pending(t, db)); left == 0 || left == len(many) {
		t.Fatalf("%d pending after the interrupted run, want some", left)
	}
	srv.fault = nil
	// A fresh Sender (the restarted daemon) picks up what is left.
	drain(t, newSender(t, smtpConfig(srv), db, clk, nil), db, clk, 3)
	// The second message may have been stored by the server before the
	// cancellation cut the connection: that is the at-least-once edge.
	msgs := srv.messages()
	checkOutcome(t, srv, db, many, nil, len(msgs)-len(many))
	if len(msgs)-len(many) > 1 {
		t.Errorf("%d duplicates, want at most the one in flight", len(msgs)-len(many))
	}
}

func TestGiveUpAfter(t *testing.T) {
	srv := startTestServer(t, "starttls")
	srv.fault = func(stage, _ string, n int) *faultAction {
		if stage == "rcpt" {
			return &faultAction{err: smtpErr(452, "mailbox full")}
		}
		return nil
	}
	clk := &clock{t: fixedNow}
	db := openStore(t, filepath.Join(t.TempDir(), "tidings.db"))
	seed(t, db, clk.Now(), recipients[:1])
	o := testOptions()
	o.Now, o.GiveUpAfter = clk.Now, 24*time.Hour
	s, err := tmail.NewSender(smtpConfig(srv), o, db)
	if err != nil {
		t.Fatal(err)
	}
	reps := drain(t, s, db, clk, 15)
	if len(reps) != 10 {
		t.Errorf("gave up after %d runs, want 10 (a day old and tried 10 times)", len(reps))
	}
	last := reps[len(reps)-1]
	if len(last.Failed) != 1 || !strings.Contains(last.Failed[0].LastError, "gave up") || !strings.Contains(last.Failed[0].LastError, "452") {
		t.Errorf("last report %+v, want a give-up naming the last error", last)
	}
	checkOutcome(t, srv, db, recipients[:1], map[string]bool{"alice@example.com": true}, 0)
}

func TestBackoffGrows(t *testing.T) {
	srv := newTestServer(t, "starttls") // never started: connection refused
	clk := &clock{t: fixedNow}
	db := openStore(t, filepath.Join(t.TempDir(), "tidings.db"))
	seed(t, db, clk.Now(), recipients[:1])
	s := newSender(t, smtpConfig(srv), db, clk, nil)
	var delays []time.Duration
	for i := 0; i < 12; i++ {
		if _, err := s.DeliverDue(context.Background()); err != nil {
			t.Fatal(err)
		}
		d := pending(t, db)[0]
		delays = append(delays, d.NextAttempt.Sub(clk.Now()))
		if d.Attempts != i+1 || d.LastError == "" {
			t.Fatalf("attempt %d recorded as %+v", i+1, d)
		}
		clk.t = d.NextAttempt
	}
	for i, d := range delays {
		full := min(time.Minute<<i, 6*time.Hour)
		if d < full/2 || d > full {
			t.Errorf("delay %d = %v, want within [%v, %v]", i+1, d, full/2, full)
		}
	}
}

func TestDeliveries(t *testing.T) {
	e := tidings.Edition{Digest: "daily", Number: 4}
	ds := tmail.Deliveries(e, []string{"a@example.com", " A@Example.com ", "", "b@example.com"}, fixedNow)
	if len(ds) != 2 || ds[0].Recipient != "a@example.com" || ds[1].Recipient != "b@example.com" {
		t.Fatalf("deliveries %+v", ds)
	}
	for _, d := range ds {
		if d.State != tidings.DeliveryPending || d.Digest != "daily" || d.Edition != 4 || !d.NextAttempt.Equal(fixedNow) {
			t.Errorf("delivery %+v", d)
		}
	}
}

// TestResend: `tidings send` re-enqueues an edition already sent; it goes
// out again to that recipient only, and a failed delivery can be retried.
func TestResend(t *testing.T) {
	srv := startTestServer(t, "starttls")
	clk := &clock{t: fixedNow}
	db := openStore(t, filepath.Join(t.TempDir(), "tidings.db"))
	e := seed(t, db, clk.Now(), recipients)
	s := newSender(t, smtpConfig(srv), db, clk, nil)
	drain(t, s, db, clk, 1)
	if err := db.EnqueueDeliveries(tmail.Deliveries(e, []string{"carol@example.org", "dave@example.com"}, clk.Now())); err != nil {
		t.Fatal(err)
	}
	rep, err := s.DeliverDue(context.Background())
	if err != nil || rep.Sent != 2 {
		t.Fatalf("resend: %+v, %v", rep, err)
	}
	per := map[string]int{}
	for _, m := range srv.messages() {
		per[m.To[0]]++
	}
	want := map[string]int{"alice@example.com": 1, "bob@example.net": 1, "carol@example.org": 2, "dave@example.com": 1}
	if fmt.Sprint(per) != fmt.Sprint(want) {
		t.Errorf("copies per recipient %v, want %v", per, want)
	}
}

func TestEditionGoneFailsDelivery(t *testing.T) {
	srv := startTestServer(t, "starttls")
	clk := &clock{t: fixedNow}
	db := openStore(t, filepath.Join(t.TempDir(), "tidings.db"))
	if err := db.EnqueueDeliveries(tmail.Deliveries(tidings.Edition{Digest: "weekly", Number: 9}, []string{"a@example.com"}, clk.Now())); err != nil {
		t.Fatal(err)
	}
	rep, err := newSender(t, smtpConfig(srv), db, clk, nil).DeliverDue(context.Background())
	if err != nil || len(rep.Failed) != 1 || !strings.Contains(rep.Failed[0].LastError, "no longer exists") {
		t.Errorf("report %+v, %v; want a failed delivery", rep, err)
	}
}

func TestConfigValidate(t *testing.T) {
	cases := []struct {
		name string
		cfg  tmail.Config
		ok   bool
	}{
		{"starttls", tmail.Config{Host: "smtp.fastmail.com", From: "a@example.org", Username: "a", Password: "p"}, true},
		{"sendmail needs no host", tmail.Config{Sendmail: "/usr/sbin/sendmail", From: "a@example.org"}, true},
		{"no from", tmail.Config{Host: "h"}, false},
		{"no host", tmail.Config{From: "a@example.org"}, false},
		{"bad tls", tmail.Config{Host: "h", From: "a@example.org", TLS: "ssl"}, false},
		{"password in clear to a remote host", tmail.Config{Host: "mail.example.org", TLS: "none", From: "a@example.org", Username: "u"}, false},
		{"plain to localhost", tmail.Config{Host: "localhost", TLS: "none", From: "a@example.org", Username: "u"}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := c.cfg.Validate(); (err == nil) != c.ok {
				t.Errorf("Validate() = %v, want ok=%v", err, c.ok)
			}
		})
	}
}

// TestTimeoutDefers: a server that accepts the connection and then says
// nothing must not block the run; the delivery is deferred.
func TestTimeoutDefers(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var conns []net.Conn
	var mu sync.Mutex
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c) // held open, never answered
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	clk := &clock{t: fixedNow}
	db := openStore(t, filepath.Join(t.TempDir(), "tidings.db"))
	seed(t, db, clk.Now(), recipients[:1])
	cfg := tmail.Config{Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port, TLS: "none",
		From: "digest@example.org", Timeout: 300 * time.Millisecond}
	rep, err := newSender(t, cfg, db, clk, nil).DeliverDue(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Retrying != 1 || !strings.Contains(rep.Problem, "timeout") {
		t.Errorf("report %+v, want the delivery deferred after a timeout", rep)
	}
}

func TestStartTLSRequired(t *testing.T) {
	srv := startTestServer(t, "none") // offers no STARTTLS
	clk := &clock{t: fixedNow}
	db := openStore(t, filepath.Join(t.TempDir(), "tidings.db"))
	seed(t, db, clk.Now(), recipients[:1])
	cfg := smtpConfig(srv)
	cfg.TLS = "starttls"
	rep, err := newSender(t, cfg, db, clk, nil).DeliverDue(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Retrying != 1 || !strings.Contains(rep.Problem, "STARTTLS") || srv.count("mail") != 0 {
		t.Errorf("report %+v, want nothing sent without the TLS that was asked for", rep)
	}
}
