package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tidings/tidings/digest/publish"
	"github.com/tidings/tidings/store"
)

// handler serves the output directory plus the daemon's own endpoints.
func (d *daemon) handler() http.Handler {
	cfg, _, _ := d.current()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", d.readyz)
	if d.metrics != nil {
		mux.Handle("GET /metrics", d.metrics.handler())
	}
	mux.Handle("/", publish.NewHandler(cfg.Publish.Dir, publish.HandlerOptions{MaxAge: publish.CacheMaxAge(digestInfos(cfg))}))
	return mux
}

// pollStale is how old the last completed poll cycle may be before the
// daemon calls itself not ready (cycles run every minute).
const pollStale = 10 * time.Minute

type readiness struct {
	Ready         bool      `json:"ready"`
	Database      string    `json:"database"`
	LastPoll      time.Time `json:"last_poll"`
	LastPollError string    `json:"last_poll_error,omitempty"`
	LastEdition   time.Time `json:"last_edition"`
	OutboxPending int       `json:"outbox_pending"`
	OutboxFailed  int       `json:"outbox_failed"`
	OutboxProblem string    `json:"outbox_problem,omitempty"`
	Problems      []string  `json:"problems,omitempty"`
}

func (d *daemon) readyz(w http.ResponseWriter, r *http.Request) {
	now := d.a.now()
	d.mu.Lock()
	h := d.health
	d.mu.Unlock()
	rd := readiness{Ready: true, Database: "ok", LastPoll: h.LastPoll, LastPollError: h.LastPollError,
		LastEdition: h.LastEdition, OutboxPending: h.OutboxPending, OutboxFailed: h.OutboxFailed, OutboxProblem: h.OutboxProblem}
	if _, err := d.db.GetState(stateRetention); err != nil {
		rd.Ready, rd.Database = false, err.Error()
		rd.Problems = append(rd.Problems, "database not readable")
	}
	if err := h.stale(now, d.started); err != nil {
		rd.Ready = false
		rd.Problems = append(rd.Problems, err.Error())
	}
	if h.OutboxProblem != "" {
		rd.Problems = append(rd.Problems, "mail server: "+h.OutboxProblem)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if !rd.Ready {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(rd)
}

// The control socket lets CLI commands reach a running daemon, which holds
// the database lock: `tidings backup` streams its copy through it. It is a
// Unix socket in data_dir, readable by the daemon's user only.
func controlPath(cfg *Config) string { return filepath.Join(cfg.DataDir, "tidings.sock") }

func listenControl(cfg *Config) (net.Listener, error) {
	p := controlPath(cfg)
	// We hold the database lock, so a socket file left here belongs to a
	// daemon that died.
	os.Remove(p)
	ln, err := net.Listen("unix", p)
	if err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	if err := os.Chmod(p, 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("control socket: %w", err)
	}
	return ln, nil
}

func (d *daemon) controlHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /backup", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		if _, err := d.db.Backup(w); err != nil {
			d.log.Error("backup through control socket", "error", err)
			// The client sees a short body and discards the file.
			panic(http.ErrAbortHandler)
		}
	})
	// What read-only commands (stats, feeds list, opml export) would read
	// from the file themselves.
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, r *http.Request) {
		st, err := d.db.Stats()
		writeJSON(w, st, err)
	})
	mux.HandleFunc("GET /feeds", func(w http.ResponseWriter, r *http.Request) {
		feeds, err := d.db.Feeds()
		writeJSON(w, feeds, err)
	})
	mux.HandleFunc("GET /dry-run/{name}", d.serveDryRun)
	return mux
}

func writeJSON(w http.ResponseWriter, v any, err error) {
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

// askDaemon sends GET path to the running daemon over its control socket.
// The caller closes the body of the 200 response it returns.
func askDaemon(ctx context.Context, cfg *Config, path string) (*http.Response, error) {
	sock := controlPath(cfg)
	client := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var dl net.Dialer
			return dl.DialContext(ctx, "unix", sock)
		},
		DisableKeepAlives: true,
	}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://tidings"+path, nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		resp.Body.Close()
		return nil, fmt.Errorf("daemon answered %s: %s", resp.Status, strings.TrimSpace(string(b)))
	}
	return resp, nil
}

// readOrAsk gets what read gives from the database, asking a running
// daemon (JSON at path on its control socket) when there is one: the daemon
// holds the database's lock, so read-only commands work next to serve
// without waiting for the lock to time out.
func readOrAsk[T any](ctx context.Context, a *app, cfg *Config, path string, read func(*store.DB) (T, error)) (T, error) {
	var v T
	ask := func() error {
		resp, err := askDaemon(ctx, cfg, path)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		return json.NewDecoder(resp.Body).Decode(&v)
	}
	if daemonRunning(cfg) && ask() == nil {
		return v, nil
	}
	db, err := a.openReader(cfg)
	if errors.Is(err, store.ErrLocked) {
		if cerr := ask(); cerr != nil {
			return v, fmt.Errorf("%w (and the daemon's control socket: %v)", err, cerr)
		}
		return v, nil
	} else if err != nil {
		return v, err
	}
	defer db.Close()
	return read(db)
}

// daemonRunning reports whether a daemon's control socket answers (a socket
// file left by a killed daemon refuses connections).
func daemonRunning(cfg *Config) bool {
	c, err := net.DialTimeout("unix", controlPath(cfg), time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// backupViaDaemon asks the running daemon for a consistent copy and writes
// it to dst atomically (temp file, fsync, rename).
func backupViaDaemon(ctx context.Context, cfg *Config, dst string) (int64, error) {
	resp, err := askDaemon(ctx, cfg, "/backup")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".tidings-backup-*")
	if err != nil {
		return 0, err
	}
	defer os.Remove(tmp.Name())
	n, err := tmp.ReadFrom(resp.Body)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, err
	}
	return n, os.Rename(tmp.Name(), dst)
}
