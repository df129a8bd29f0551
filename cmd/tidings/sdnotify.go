package main

// systemd readiness and watchdog, without a dependency: the protocol is one
// datagram of "KEY=VALUE" lines to the unix socket named by $NOTIFY_SOCKET.
//
// Use from serve:
//
//	n := newNotifier(log)           // a no-op when not started by systemd
//	...open the store, listen...
//	n.Ready()                       // READY=1 once the daemon serves
//	g.Go(func() error { return n.RunWatchdog(ctx) }) // WATCHDOG=1 every WatchdogSec/2
//	n.Reloading() ... n.Ready()     // around a SIGHUP reload
//	n.Stopping()                    // STOPPING=1 when shutdown begins
//
// Set n.Check before RunWatchdog to stop pinging while the daemon is wedged,
// so systemd restarts it.

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
)

// notifier sends sd_notify messages. The zero value and a nil *notifier are
// valid no-ops, so callers never need to ask whether systemd is present.
type notifier struct {
	socket   string        // $NOTIFY_SOCKET; "" = not under systemd
	watchdog time.Duration // $WATCHDOG_USEC; 0 = no watchdog for this process
	log      *slog.Logger

	// Check, when set, is asked before every watchdog ping; an error skips
	// the ping (and is logged), so a stuck daemon is restarted by systemd.
	Check func() error
}

// newNotifier reads $NOTIFY_SOCKET, $WATCHDOG_USEC and $WATCHDOG_PID.
func newNotifier(log *slog.Logger) *notifier {
	return notifierFromEnv(os.Getenv, os.Getpid(), log)
}

func notifierFromEnv(getenv func(string) string, pid int, log *slog.Logger) *notifier {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	n := &notifier{log: log}
	sock := getenv("NOTIFY_SOCKET")
	switch {
	case sock == "":
		return n
	case strings.HasPrefix(sock, "/"), strings.HasPrefix(sock, "@"):
		// Go maps a leading '@' to the abstract namespace by itself.
		n.socket = sock
	default:
		// e.g. "vsock:…" (systemd ≥ 254): not worth supporting for a daemon
		// that runs on the host.
		log.Warn("unsupported NOTIFY_SOCKET, systemd notifications disabled", "notify_socket", sock)
		return n
	}
	d, err := watchdogInterval(getenv("WATCHDOG_USEC"), getenv("WATCHDOG_PID"), pid)
	if err != nil {
		log.Warn("watchdog disabled", "err", err)
	}
	n.watchdog = d
	return n
}

// watchdogInterval parses WATCHDOG_USEC; WATCHDOG_PID, when set, must name
// this process (the variables may be inherited by a child that is not the
// supervised one).
func watchdogInterval(usec, wpid string, pid int) (time.Duration, error) {
	if usec == "" {
		return 0, nil
	}
	if wpid != "" {
		p, err := strconv.Atoi(wpid)
		if err != nil {
			return 0, fmt.Errorf("parse WATCHDOG_PID %q: %w", wpid, err)
		}
		if p != pid {
			return 0, nil
		}
	}
	u, err := strconv.ParseUint(usec, 10, 63)
	if err != nil {
		return 0, fmt.Errorf("parse WATCHDOG_USEC %q: %w", usec, err)
	}
	if u == 0 {
		return 0, nil
	}
	return time.Duration(u) * time.Microsecond, nil
}

// Enabled reports whether systemd listens for notifications.
func (n *notifier) Enabled() bool { return n != nil && n.socket != "" }

// WatchdogInterval is the timeout systemd enforces (WatchdogSec); 0 when off.
func (n *notifier) WatchdogInterval() time.Duration {
	if !n.Enabled() {
		return 0
	}
	return n.watchdog
}

// Ready tells systemd the daemon is up (Type=notify waits for this).
func (n *notifier) Ready() { n.send("READY=1") }

// Reloading tells systemd a configuration reload began; call Ready when done.
// systemd ≥ 253 ignores (or fails) a reload message without the monotonic
// timestamp.
func (n *notifier) Reloading() {
	msg := "RELOADING=1"
	if usec, ok := monotonicUsec(); ok {
		msg += "\nMONOTONIC_USEC=" + strconv.FormatInt(usec, 10)
	}
	n.send(msg)
}

// Stopping tells systemd a clean shutdown began.
func (n *notifier) Stopping() { n.send("STOPPING=1") }

// Status sets the one-line status `systemctl status` shows.
func (n *notifier) Status(s string) {
	// A newline would start a new assignment.
	n.send("STATUS=" + strings.ReplaceAll(s, "\n", " "))
}

// RunWatchdog pings systemd at half the watchdog timeout until ctx ends. It
// returns nil at once when there is no watchdog, so it fits an errgroup.
func (n *notifier) RunWatchdog(ctx context.Context) error {
	d := n.WatchdogInterval()
	if d <= 0 {
		return nil
	}
	n.log.Debug("systemd watchdog on", "timeout", d)
	t := time.NewTicker(d / 2)
	defer t.Stop()
	for {
		n.ping()
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

func (n *notifier) ping() {
	if n.Check != nil {
		if err := n.Check(); err != nil {
			n.log.Warn("watchdog ping withheld: daemon unhealthy", "err", err)
			return
		}
	}
	n.send("WATCHDOG=1")
}

// send writes one datagram. Failures are logged, not returned: systemd being
// gone must never stop the daemon.
func (n *notifier) send(msg string) {
	if !n.Enabled() {
		return
	}
	if err := n.write(msg); err != nil {
		n.log.Warn("systemd notify", "msg", msg, "err", err)
	}
}

func (n *notifier) write(msg string) error {
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: n.socket, Net: "unixgram"})
	if err != nil {
		return fmt.Errorf("dial %s: %w", n.socket, err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte(msg)); err != nil {
		return fmt.Errorf("write %s: %w", n.socket, err)
	}
	return nil
}
