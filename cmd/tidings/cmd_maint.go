package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"text/tabwriter"

	"github.com/tidings/tidings"
	"github.com/tidings/tidings/store"
)

func (a *app) cmdStats(ctx context.Context, args []string) error {
	fs := a.flags("stats", "[--json]", "Print counts: feeds, items, editions, failing feeds, outbox, database size.\nWorks while serve runs (it then answers through its control socket).")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := noArgs(fs, args); err != nil {
		return err
	}
	cfg, err := a.config()
	if err != nil {
		return err
	}
	st, err := readOrAsk(ctx, a, cfg, "/stats", (*store.DB).Stats)
	if err != nil {
		return err
	}
	if *asJSON {
		return a.printJSON(st)
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "feeds\t%d\t(%d failing, %d disabled)\n", st.Feeds, st.FailingFeeds, st.DisabledFeeds)
	fmt.Fprintf(tw, "items\t%d\t(%d identities remembered)\n", st.Items, st.Seen)
	fmt.Fprintf(tw, "editions\t%d\n", st.Editions)
	fmt.Fprintf(tw, "outbox\t%d pending\t(%d failed)\n", st.PendingDeliveries, st.FailedDeliveries)
	fmt.Fprintf(tw, "database\t%s\t(%s)\n", humanBytes(st.DBBytes), cfg.DBPath())
	return tw.Flush()
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

func (a *app) cmdCheck(ctx context.Context, args []string) error {
	fs := a.flags("check", "", "Validate the configuration and exit: 0 when valid, 2 when not\n(every problem is listed with file, line and key).")
	if err := noArgs(fs, args); err != nil {
		return err
	}
	cfg, err := a.config()
	if err != nil {
		return err
	}
	src := cfg.File
	if src == "" {
		src = "built-in defaults"
	}
	fmt.Fprintf(a.stdout, "%s: ok (%d feeds, %d digests; data in %s, output in %s)\n",
		src, len(cfg.Feeds), len(cfg.Digests), cfg.DataDir, cfg.Publish.Dir)
	return nil
}

func (a *app) cmdBackup(ctx context.Context, args []string) error {
	fs := a.flags("backup", "FILE",
		"Write a consistent copy of the database to FILE. Safe while serve runs:\nthe copy is then made by the daemon through its control socket.")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("backup: want exactly one FILE")
	}
	cfg, err := a.config()
	if err != nil {
		return err
	}
	dst, err := filepath.Abs(pos[0])
	if err != nil {
		return err
	}
	if daemonRunning(cfg) {
		// The daemon holds the lock: ask it for the copy.
		if n, err := backupViaDaemon(ctx, cfg, dst); err == nil {
			fmt.Fprintf(a.stdout, "backed up %s to %s through the running daemon\n", humanBytes(n), dst)
			return nil
		}
	}
	db, err := store.Open(cfg.DBPath(), store.Options{Timeout: storeTimeout, ReadOnly: true})
	if errors.Is(err, store.ErrLocked) {
		n, cerr := backupViaDaemon(ctx, cfg, dst)
		if cerr != nil {
			return fmt.Errorf("%w (and the daemon's control socket: %v)", err, cerr)
		}
		fmt.Fprintf(a.stdout, "backed up %s to %s through the running daemon\n", humanBytes(n), dst)
		return nil
	} else if err != nil {
		return err
	}
	defer db.Close()
	if err := db.BackupFile(dst); err != nil {
		return err
	}
	st, err := os.Stat(dst)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "backed up %s to %s\n", humanBytes(st.Size()), dst)
	return nil
}

func (a *app) cmdCompact(ctx context.Context, args []string) error {
	fs := a.flags("compact", "", "Rewrite the database into a new file and swap it in atomically,\nreclaiming free pages. Stop serve first.")
	if err := noArgs(fs, args); err != nil {
		return err
	}
	cfg, err := a.config()
	if err != nil {
		return err
	}
	before, after, err := store.Compact(cfg.DBPath(), store.Options{Timeout: storeTimeout})
	if errors.Is(err, store.ErrLocked) {
		return fmt.Errorf("%w (compact needs the database to itself)", err)
	} else if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "compacted %s: %s -> %s\n", cfg.DBPath(), humanBytes(before), humanBytes(after))
	return nil
}

func (a *app) cmdVersion(ctx context.Context, args []string) error {
	fs := a.flags("version", "", "Print the version, the commit and the Go version it was built with.")
	if err := noArgs(fs, args); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "tidings %s (commit %s, %s, %s/%s)\n", tidings.Version, tidings.Commit, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return nil
}
