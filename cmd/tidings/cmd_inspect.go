package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/tidings/tidings/feed"
)

func (a *app) cmdInspect(ctx context.Context, args []string) error {
	fs := a.flags("inspect", "URL|FILE [--json]",
		"Fetch (or read) a feed and show what Tidings makes of it: format, identity\nmode, dates, normalized and sanitized items. Stores nothing.")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("inspect: want exactly one URL or FILE")
	}
	cfg, err := a.config()
	if err != nil {
		return err
	}
	in, err := feed.Inspect(ctx, a.feedOptions(cfg), pos[0])
	if err != nil {
		return err
	}
	if *asJSON {
		return a.printJSON(in)
	}
	w := a.stdout
	fmt.Fprintf(w, "%s\n  format:   %s\n  title:    %s\n", in.URL, in.Format, in.Title)
	if in.SiteURL != "" {
		fmt.Fprintf(w, "  site:     %s\n", in.SiteURL)
	}
	fmt.Fprintf(w, "  identity: %s\n  items:    %d\n", in.IdentityMode, len(in.Items))
	if in.TTL > 0 {
		fmt.Fprintf(w, "  ttl:      %s\n", in.TTL)
	}
	for k, v := range in.Header {
		fmt.Fprintf(w, "  %s: %s\n", k, v)
	}
	for _, warn := range in.Warnings {
		fmt.Fprintf(w, "  warning:  %s\n", warn)
	}
	for i, it := range in.Items {
		title := it.Title
		if title == "" {
			title = "(untitled)"
		}
		fmt.Fprintf(w, "\n%d. %s\n   url:       %s\n   identity:  %s\n", i+1, title, it.URL, it.Identity)
		date := "-"
		if !it.Published.IsZero() {
			date = it.Published.Format(time.RFC3339)
		}
		if it.DateNote != "" {
			date += " (" + it.DateNote + ")"
		}
		fmt.Fprintf(w, "   published: %s\n", date)
		if len(it.Authors) > 0 {
			fmt.Fprintf(w, "   authors:   %s\n", strings.Join(it.Authors, ", "))
		}
		if len(it.Categories) > 0 {
			fmt.Fprintf(w, "   tags:      %s\n", strings.Join(it.Categories, ", "))
		}
		words := strings.Fields(it.Text)
		unit := "words"
		if len(words) == 1 {
			unit = "word"
		}
		fmt.Fprintf(w, "   text:      %d %s: %s\n", len(words), unit, clip(strings.Join(words, " "), 160))
	}
	return nil
}
