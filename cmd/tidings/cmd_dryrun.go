package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/tidings/tidings"
	"github.com/tidings/tidings/digest"
	"github.com/tidings/tidings/digest/publish"
	"github.com/tidings/tidings/digest/summarize"
	"github.com/tidings/tidings/store"
)

// A dry run (`digest NAME --dry-run`) shows the would-be edition and what
// was left out, and stores nothing: the database is opened read-only (no
// feed sync, no summary cache writes), or, while serve holds the database,
// the daemon builds it through its control socket.

// readOnlyCache answers from the summary cache but never writes to it.
type readOnlyCache struct{ summarize.Cache }

func (readOnlyCache) PutSummary(string, tidings.Summary) error { return nil }

// maxLeftOut bounds each list of left-out stories a dry run prints.
const maxLeftOut = 30

func (a *app) dryRunDigest(ctx context.Context, cfg *Config, dc DigestConfig, force bool) error {
	if daemonRunning(cfg) {
		if err := a.dryRunViaDaemon(ctx, cfg, dc.Def.Name, force); err == nil {
			return nil
		}
	}
	db, err := store.Open(cfg.DBPath(), store.Options{Timeout: storeTimeout, ReadOnly: true, Now: a.now})
	switch {
	case errors.Is(err, store.ErrLocked):
		if cerr := a.dryRunViaDaemon(ctx, cfg, dc.Def.Name, force); cerr != nil {
			return fmt.Errorf("%w (and the daemon's control socket: %v)", err, cerr)
		}
		return nil
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("no database at %s yet: run 'tidings fetch' first", cfg.DBPath())
	case err != nil:
		return err
	}
	defer db.Close()
	return a.dryRun(ctx, a.stdout, cfg, db, dc, force)
}

func (a *app) dryRunViaDaemon(ctx context.Context, cfg *Config, name string, force bool) error {
	q := url.Values{"force": {fmt.Sprint(force)}}
	resp, err := askDaemon(ctx, cfg, "/dry-run/"+url.PathEscape(name)+"?"+q.Encode())
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, err = io.Copy(a.stdout, resp.Body)
	return err
}

// dryRun writes the would-be edition of dc with scores, then what was left
// out and why.
func (a *app) dryRun(ctx context.Context, w io.Writer, cfg *Config, db *store.DB, dc DigestConfig, force bool) error {
	def := definition(cfg, dc)
	if force {
		def.Quiet = digest.QuietPublish
	}
	slot := a.now().UTC()
	in, err := buildInput(db, def, slot, slot)
	if err != nil {
		return err
	}
	sum, err := a.summarizer(cfg, readOnlyCache{db})
	if err != nil {
		return err
	}
	ed, err := (&digest.Builder{Summarizer: sum, Now: a.now, Log: a.log}).Build(ctx, def, in)
	if errors.Is(err, digest.ErrTooFew) {
		fmt.Fprintf(w, "no edition: %v (use --force to build it anyway)\n", err)
	} else if err != nil {
		return err
	} else if err := publish.RenderText(w, ed, publish.TextOptions{Scores: true}); err != nil {
		return err
	}
	plan, err := digest.Explain(def, in)
	if err != nil {
		return err
	}
	writeLeftOut(w, plan)
	return nil
}

// writeLeftOut lists, one line each, the stories ranked but not selected
// (with their score breakdown) and the items dropped before ranking.
func writeLeftOut(w io.Writer, plan digest.Plan) {
	var skipped []digest.Story
	for _, s := range plan.Stories {
		if !s.Selected {
			skipped = append(skipped, s)
		}
	}
	fmt.Fprintf(w, "\nLeft out: %d ranked but not selected, %d dropped (%d candidates, %d already published)\n",
		len(skipped), len(plan.Dropped), plan.Candidates, plan.Excluded)
	for i, s := range skipped {
		if i == maxLeftOut {
			fmt.Fprintf(w, "  … and %d more\n", len(skipped)-i)
			break
		}
		reason := s.Skipped
		if reason == "" {
			reason = "not selected"
		}
		fmt.Fprintf(w, "  skipped [%s] %s (%s): %s\n", reason, oneLine(s.Title), s.FeedTitle, s.Breakdown())
	}
	for i, d := range plan.Dropped {
		if i == maxLeftOut {
			fmt.Fprintf(w, "  … and %d more\n", len(plan.Dropped)-i)
			break
		}
		fmt.Fprintf(w, "  dropped [%s] %s\n", d.Reason, oneLine(d.Title))
	}
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// serveDryRun is the control socket's dry run: the daemon holds the
// database, so it builds the would-be edition for a CLI next to it.
func (d *daemon) serveDryRun(w http.ResponseWriter, r *http.Request) {
	cfg, _, _ := d.current()
	dc, ok := cfg.Digest(r.PathValue("name"))
	if !ok {
		http.Error(w, fmt.Sprintf("the running daemon has no digest named %q (reload it after changing the configuration)", r.PathValue("name")), http.StatusNotFound)
		return
	}
	var buf strings.Builder
	if err := d.a.dryRun(r.Context(), &buf, cfg, d.db, dc, r.FormValue("force") == "true"); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	io.WriteString(w, buf.String())
}
