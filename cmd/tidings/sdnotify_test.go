package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// sdListen opens the socket systemd would listen on.
func sdListen(t *testing.T, name string) *net.UnixConn {
	t.Helper()
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		t.Fatalf("listen %s: %v", name, err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// sdRecv reads one datagram; the deadline only keeps a broken test from
// hanging forever.
func sdRecv(t *testing.T, conn *net.UnixConn) string {
	t.Helper()
	buf := make([]byte, 4096)
	conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	n, err := conn.Read(buf)
	if err != nil {
		t.Fatalf("read notification: %v", err)
	}
	return string(buf[:n])
}

func sdEnv(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestNotifierMessages(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "notify.sock")
	conn := sdListen(t, sock)
	n := notifierFromEnv(sdEnv(map[string]string{"NOTIFY_SOCKET": sock}), 42, nil)
	if !n.Enabled() {
		t.Fatal("Enabled() = false with NOTIFY_SOCKET set")
	}

	tests := []struct {
		name string
		send func()
		want string
	}{
		{"ready", n.Ready, "READY=1"},

		{"status", func() { n.Status("polling 12 feeds\nnow") }, "STATUS=polling 12 feeds now"},
		{"stopping", n.Stopping, "STOPPING=1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.send()
			if got := sdRecv(t, conn); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}

	// RELOADING=1 carries the monotonic clock (on Linux), one assignment a line.
	n.Reloading()
	got := sdRecv(t, conn)
	lines := strings.Split(got, "\n")
	if lines[0] != "RELOADING=1" {
		t.Fatalf("got %q, want RELOADING=1 first", got)
	}
	if _, ok := monotonicUsec(); ok {
		if len(lines) != 2 || !strings.HasPrefix(lines[1], "MONOTONIC_USEC=") {
			t.Fatalf("got %q, want RELOADING=1 and MONOTONIC_USEC=…", got)
		}
		usec, err := strconv.ParseInt(strings.TrimPrefix(lines[1], "MONOTONIC_USEC="), 10, 64)
		if err != nil || usec <= 0 {
			t.Errorf("MONOTONIC_USEC in %q: %v", got, err)
		}
	}
}

func TestNotifierAbstractSocket(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("abstract unix sockets are a Linux feature")
	}
	name := fmt.Sprintf("@tidings-test-%d-%d", os.Getpid(), time.Now().UnixNano())
	conn := sdListen(t, name)
	n := notifierFromEnv(sdEnv(map[string]string{"NOTIFY_SOCKET": name}), 1, nil)
	n.Ready()
	if got := sdRecv(t, conn); got != "READY=1" {
		t.Errorf("got %q, want READY=1", got)
	}
}

func TestWatchdogInterval(t *testing.T) {
	tests := []struct {
		name    string
		usec    string
		wpid    string
		want    time.Duration
		wantErr bool
	}{
		{name: "unset", want: 0},
		{name: "thirty seconds", usec: "30000000", want: 30 * time.Second},
		{name: "for this pid", usec: "1000", wpid: "42", want: time.Millisecond},
		{name: "for another pid", usec: "1000", wpid: "43", want: 0},
		{name: "zero", usec: "0", want: 0},
		{name: "negative", usec: "-5", wantErr: true},
		{name: "garbage", usec: "10s", wantErr: true},
		{name: "bad pid", usec: "1000", wpid: "x", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := watchdogInterval(tt.usec, tt.wpid, 42)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestNotifierFromEnv(t *testing.T) {
	tests := []struct {
		name         string
		env          map[string]string
		wantEnabled  bool
		wantWatchdog time.Duration
	}{
		{"no systemd", map[string]string{"WATCHDOG_USEC": "1000000"}, false, 0},
		{"path", map[string]string{"NOTIFY_SOCKET": "/run/systemd/notify"}, true, 0},
		{"abstract", map[string]string{"NOTIFY_SOCKET": "@/org/freedesktop/systemd1/notify/1"}, true, 0},
		{"vsock unsupported", map[string]string{"NOTIFY_SOCKET": "vsock:2:1234"}, false, 0},
		{"watchdog", map[string]string{"NOTIFY_SOCKET": "/run/n", "WATCHDOG_USEC": "20000000", "WATCHDOG_PID": "7"}, true, 20 * time.Second},
		{"watchdog of a parent", map[string]string{"NOTIFY_SOCKET": "/run/n", "WATCHDOG_USEC": "20000000", "WATCHDOG_PID": "6"}, true, 0},
		{"bad watchdog", map[string]string{"NOTIFY_SOCKET": "/run/n", "WATCHDOG_USEC": "soon"}, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := notifierFromEnv(sdEnv(tt.env), 7, nil)
			if got := n.Enabled(); got != tt.wantEnabled {
				t.Errorf("Enabled() = %v, want %v", got, tt.wantEnabled)
			}
			if got := n.WatchdogInterval(); got != tt.wantWatchdog {
				t.Errorf("WatchdogInterval() = %v, want %v", got, tt.wantWatchdog)
			}
		})
	}
}

func TestRunWatchdogPings(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "notify.sock")
	conn := sdListen(t, sock)
	n := notifierFromEnv(sdEnv(map[string]string{"NOTIFY_SOCKET": sock, "WATCHDOG_USEC": "2000"}), 1, nil)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.RunWatchdog(ctx) }()
	for i := 0; i < 3; i++ {
		if got := sdRecv(t, conn); got != "WATCHDOG=1" {
			t.Fatalf("ping %d: got %q, want WATCHDOG=1", i, got)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("RunWatchdog: %v", err)
	}
}

// A failing health check withholds pings: systemd then restarts the daemon.
func TestRunWatchdogWithholdsWhenUnhealthy(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "notify.sock")
	conn := sdListen(t, sock)
	var logBuf sdLogBuffer
	log := slog.New(slog.NewTextHandler(&logBuf, nil))
	n := notifierFromEnv(sdEnv(map[string]string{"NOTIFY_SOCKET": sock, "WATCHDOG_USEC": "2000"}), 1, log)

	var mu sync.Mutex
	checks := 0
	n.Check = func() error {
		mu.Lock()
		defer mu.Unlock()
		checks++
		if checks <= 3 {
			return errors.New("scheduler stuck")
		}
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.RunWatchdog(ctx) }()

	// The first ping arrives only after three failed checks.
	if got := sdRecv(t, conn); got != "WATCHDOG=1" {
		t.Fatalf("got %q, want WATCHDOG=1", got)
	}
	cancel()
	<-done
	mu.Lock()
	if checks < 4 {
		t.Errorf("checks = %d before the first ping, want >= 4", checks)
	}
	mu.Unlock()
	if !strings.Contains(logBuf.String(), "scheduler stuck") {
		t.Errorf("log does not mention the failed check: %q", logBuf.String())
	}
}

func TestNotifierNoop(t *testing.T) {
	var nilN *notifier
	nilN.Ready()
	nilN.Stopping()
	if err := nilN.RunWatchdog(context.Background()); err != nil {
		t.Errorf("nil RunWatchdog: %v", err)
	}
	var zero notifier
	zero.Ready()
	if err := zero.RunWatchdog(context.Background()); err != nil {
		t.Errorf("zero RunWatchdog: %v", err)
	}
	// Not under systemd: RunWatchdog must return at once, not block.
	n := notifierFromEnv(sdEnv(nil), 1, nil)
	if err := n.RunWatchdog(context.Background()); err != nil {
		t.Errorf("RunWatchdog: %v", err)
	}
}

// A vanished socket is logged, never fatal.
func TestNotifierSocketGone(t *testing.T) {
	var logBuf sdLogBuffer
	log := slog.New(slog.NewTextHandler(&logBuf, nil))
	sock := filepath.Join(t.TempDir(), "gone.sock")
	n := notifierFromEnv(sdEnv(map[string]string{"NOTIFY_SOCKET": sock}), 1, log)
	n.Ready()
	if !strings.Contains(logBuf.String(), "systemd notify") {
		t.Errorf("log = %q, want a warning about the notify socket", logBuf.String())
	}
}

// sdLogBuffer is a bytes.Buffer safe for a logger used from two goroutines.
type sdLogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *sdLogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *sdLogBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// The real daemon, started the way systemd starts it, tells it when it is
// ready, keeps the watchdog fed, brackets a SIGHUP reload and announces its
// shutdown.
func TestServeSpeaksSdNotify(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go tool not found")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "tidings")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cfg := filepath.Join(dir, "tidings.toml")
	conf := "data_dir = \"data\"\n[publish]\ndir = \"public\"\n[server]\nlisten = \"127.0.0.1:0\"\n"
	if err := os.WriteFile(cfg, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "notify.sock")
	conn := sdListen(t, sock)

	var logBuf sdLogBuffer
	cmd := exec.Command(bin, "-config", cfg, "serve")
	cmd.Env = append(os.Environ(), "TIDINGS_CONFIG=", "NOTIFY_SOCKET="+sock, "WATCHDOG_USEC=400000")
	cmd.Stdout, cmd.Stderr = &logBuf, &logBuf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	defer func() {
		cmd.Process.Kill()
		<-done
		if t.Failed() {
			t.Logf("serve log:\n%s", logBuf.String())
		}
	}()

	// expect reads datagrams until one starts with want; watchdog pings in
	// between are counted.
	pings := 0
	expect := func(want string) string {
		t.Helper()
		for {
			msg := sdRecv(t, conn)
			if msg == "WATCHDOG=1" {
				pings++
				if want != "WATCHDOG=1" {
					continue
				}
			}
			if strings.HasPrefix(msg, want) {
				return msg
			}
			if strings.HasPrefix(msg, "STATUS=") {
				continue
			}
			t.Fatalf("got %q while waiting for %s", msg, want)
		}
	}
	expect("READY=1")
	expect("WATCHDOG=1")
	cmd.Process.Signal(syscall.SIGHUP)
	if msg := expect("RELOADING=1"); runtime.GOOS == "linux" && !strings.Contains(msg, "MONOTONIC_USEC=") {
		t.Errorf("reload message %q lacks MONOTONIC_USEC", msg)
	}
	expect("READY=1")
	cmd.Process.Signal(syscall.SIGTERM)
	expect("STOPPING=1")
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve after SIGTERM: %v", err)
		}
		done <- nil // for the deferred cleanup
	case <-time.After(60 * time.Second):
		// Only keeps a hung shutdown from hanging the whole test run;
		// the deferred cleanup kills it.
		t.Errorf("serve did not exit within 60s of SIGTERM")
	}
	if pings == 0 {
		t.Error("no watchdog ping")
	}
}
