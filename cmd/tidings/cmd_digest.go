package main

import (
	"context"
	"errors"
	"fmt"
	netmail "net/mail"

	"github.com/tidings/tidings"
)

func (a *app) cmdDigest(ctx context.Context, args []string) error {
	fs := a.flags("digest", "NAME [--dry-run] [--force]",
		"Build an edition of digest NAME from the items first seen since its last\nedition, store it, publish the output directory and mail it.")
	dry := fs.Bool("dry-run", false, "print the would-be edition with scores and what was left out; store nothing\n(works while serve runs, through its control socket)")
	force := fs.Bool("force", false, "build even when there are fewer than min_items stories")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("digest: want exactly one digest NAME")
	}
	cfg, err := a.config()
	if err != nil {
		return err
	}
	dc, ok := cfg.Digest(pos[0])
	if !ok {
		return usagef("no digest named %q in the configuration (have: %s)", pos[0], digestNames(cfg))
	}
	if *dry {
		return a.dryRunDigest(ctx, cfg, dc, *force)
	}
	db, err := a.openStore(cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	slot := a.now().UTC()
	run, err := a.makeEdition(ctx, cfg, db, dc, slot, *force)
	if err != nil {
		return err
	}
	if run.Skipped {
		fmt.Fprintf(a.stdout, "no edition of %s: fewer than %d new stories since the last one (use --force to build it anyway)\n", dc.Def.Name, dc.Def.MinItems)
		return nil
	}
	fmt.Fprintf(a.stdout, "%s #%d: %d stories, published to %s\n", dc.Def.Name, run.Edition.Number, run.Edition.Count(), cfg.Publish.Dir)
	if run.Sent+run.MailErrs > 0 {
		fmt.Fprintf(a.stdout, "mail: %d sent, %d failed\n", run.Sent, run.MailErrs)
	}
	return nil
}

func digestNames(cfg *Config) string {
	s := ""
	for i, d := range cfg.Digests {
		if i > 0 {
			s += ", "
		}
		s += d.Def.Name
	}
	return s
}

func (a *app) cmdPublish(ctx context.Context, args []string) error {
	fs := a.flags("publish", "", "Rebuild the whole output directory (publish.dir) from the store.\nUnchanged files are not rewritten.")
	if err := noArgs(fs, args); err != nil {
		return err
	}
	cfg, db, err := a.command()
	if err != nil {
		return err
	}
	defer db.Close()
	res, err := a.publishAll(ctx, cfg, db)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "published to %s: %d written, %d unchanged, %d removed in %s\n",
		cfg.Publish.Dir, res.Written, res.Unchanged, res.Removed, res.Duration.Round(1e6))
	return nil
}

func (a *app) cmdSend(ctx context.Context, args []string) error {
	fs := a.flags("send", "NAME [--edition N] [--to ADDR]",
		"Email an edition of digest NAME (default: the latest) to its recipients,\nor only to ADDR. Deliveries go through the outbox: a failed one is retried\nby serve.")
	number := fs.Int("edition", 0, "edition `N` (default: the latest)")
	to := fs.String("to", "", "send only to this `ADDR`ess")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("send: want exactly one digest NAME")
	}
	cfg, err := a.config()
	if err != nil {
		return err
	}
	if !cfg.SMTP.Configured() {
		return errors.New("no SMTP configured: set [smtp] host (or sendmail) and from in the configuration")
	}
	var recipients []string
	if *to != "" {
		addr, err := netmail.ParseAddress(*to)
		if err != nil {
			return usagef("--to %q is not an email address", *to)
		}
		recipients = []string{addr.Address}
	} else if dc, ok := cfg.Digest(pos[0]); ok {
		recipients = dc.Recipients
	}
	if len(recipients) == 0 {
		return fmt.Errorf("digest %s has no recipients; add recipients to its [[digest]] or use --to ADDR", pos[0])
	}
	db, err := a.openDB(cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	var ed tidings.Edition
	if *number > 0 {
		ed, err = db.Edition(pos[0], *number)
	} else {
		ed, err = db.LatestEdition(pos[0])
	}
	if errors.Is(err, tidings.ErrNotFound) {
		if *number > 0 {
			return fmt.Errorf("digest %s has no edition %d", pos[0], *number)
		}
		return fmt.Errorf("digest %s has no editions yet; build one with 'tidings digest %s'", pos[0], pos[0])
	} else if err != nil {
		return err
	}
	now := a.now()
	ds := make([]tidings.Delivery, 0, len(recipients))
	for _, r := range recipients {
		ds = append(ds, tidings.Delivery{Digest: ed.Digest, Edition: ed.Number, Recipient: r,
			State: tidings.DeliveryPending, Created: now, NextAttempt: now})
	}
	if err := db.EnqueueDeliveries(ds); err != nil {
		return err
	}
	rep, err := a.deliver(ctx, cfg, db)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "%s #%d: %d sent, %d retrying, %d failed\n", ed.Digest, ed.Number, rep.Sent, rep.Retrying, len(rep.Failed))
	for _, d := range rep.Failed {
		fmt.Fprintf(a.stderr, "  %s: %s\n", d.Recipient, d.LastError)
	}
	if rep.Problem != "" {
		return fmt.Errorf("mail server: %s (serve retries the pending deliveries)", rep.Problem)
	}
	if len(rep.Failed) > 0 {
		return errors.New("some deliveries failed permanently")
	}
	return nil
}
