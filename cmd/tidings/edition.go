package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/tidings/tidings"
	"github.com/tidings/tidings/digest"
	"github.com/tidings/tidings/digest/mail"
	"github.com/tidings/tidings/digest/publish"
	"github.com/tidings/tidings/store"
)

// editionRun is the outcome of building one digest slot.
type editionRun struct {
	Edition  tidings.Edition
	Created  bool // false: the slot had an edition already (idempotent rerun)
	Skipped  bool // too few stories and quiet = "skip"
	Items    int  // items first seen in the window (logged for a skipped slot)
	Build    time.Duration
	Publish  time.Duration
	Sent     int
	MailErrs int
}

// slotState is where the daemon notes the last slot it built per digest.
func slotState(name string) string { return "digest/" + name + "/last_slot" }

// makeEdition builds the edition of digest dc for slot, saves it (a second
// call for the same slot returns the stored one) together with its pending
// deliveries, publishes the output and delivers mail if SMTP is configured.
// force turns a too-small edition into a quiet one instead of skipping it.
func (a *app) makeEdition(ctx context.Context, cfg *Config, db *store.DB, dc DigestConfig, slot time.Time, force bool) (editionRun, error) {
	var run editionRun
	def := definition(cfg, dc)
	if force {
		def.Quiet = digest.QuietPublish
	}
	start := time.Now()
	// The window ends now, not at the slot: a late run (a caught-up slot)
	// then includes what was fetched since.
	in, err := buildInput(db, def, slot, a.now())
	if err != nil {
		return run, fmt.Errorf("digest %s: %w", def.Name, err)
	}
	sum, err := a.summarizer(cfg, db)
	if err != nil {
		return run, err
	}
	b := &digest.Builder{Summarizer: sum, Now: a.now, Log: a.log}
	ed, err := b.Build(ctx, def, in)
	if errors.Is(err, digest.ErrTooFew) {
		run.Skipped, run.Items = true, len(in.Items)
		// The slot is done: the next edition starts where this window began,
		// so the stories found so far are not lost.
		return run, db.SetState(slotState(def.Name), slot.UTC().Format(time.RFC3339))
	} else if err != nil {
		return run, err
	}
	run.Build = time.Since(start)
	ed, run.Created, err = db.SaveEdition(ed, dc.Recipients, a.now())
	if err != nil {
		return run, fmt.Errorf("save edition of %s: %w", def.Name, err)
	}
	run.Edition = ed
	if err := db.SetState(slotState(def.Name), slot.UTC().Format(time.RFC3339)); err != nil {
		return run, err
	}
	start = time.Now()
	if _, err := a.publishAll(ctx, cfg, db); err != nil {
		return run, fmt.Errorf("publish: %w", err)
	}
	run.Publish = time.Since(start)
	if run.Created && len(cfg.Publish.WebSubHubs) > 0 {
		if err := a.pingHubs(ctx, cfg, def.Name); err != nil {
			// Readers still get the edition at their next poll.
			a.log.Warn("websub ping", "digest", def.Name, "error", err)
		}
	}
	if len(dc.Recipients) > 0 && cfg.SMTP.Configured() {
		rep, err := a.deliver(ctx, cfg, db)
		if err != nil {
			return run, err
		}
		run.Sent, run.MailErrs = rep.Sent, len(rep.Failed)+rep.Retrying
	}
	return run, nil
}

// deliver sends every due delivery of the outbox (one-shot commands; the
// daemon keeps one Sender).
func (a *app) deliver(ctx context.Context, cfg *Config, db *store.DB) (mail.Report, error) {
	s, err := a.sender(cfg, db)
	if err != nil || s == nil {
		return mail.Report{}, err
	}
	rep, err := s.DeliverDue(ctx)
	if err != nil {
		return rep, fmt.Errorf("mail: %w", err)
	}
	return rep, nil
}

// pingHubs tells the WebSub hubs that the digest's feeds changed.
func (a *app) pingHubs(ctx context.Context, cfg *Config, name string) error {
	var topics []string
	for _, f := range []string{"feed.xml", "atom.xml", "feed.json", "items.xml", "items.atom", "items.json"} {
		topics = append(topics, cfg.Publish.BaseURL+name+"/"+f)
	}
	client := &http.Client{Timeout: cfg.Fetch.Timeout}
	defer client.CloseIdleConnections()
	return publish.PingHubs(ctx, client, cfg.Publish.WebSubHubs, topics)
}
