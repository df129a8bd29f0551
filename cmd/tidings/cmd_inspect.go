package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/tidings/tidings"
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
	if in.Language != "" {
		fmt.Fprintf(w, "  language: %s\n", in.Language)
	}
	if in.TTL > 0 {
		fmt.Fprintf(w, "  ttl:      %s\n", in.TTL)
	}
	if in.UpdatePeriod > 0 {
		fmt.Fprintf(w, "  updates:  every %s (sy:updatePeriod)\n", in.UpdatePeriod)
	}
	if len(in.SkipHours) > 0 || len(in.SkipDays) > 0 {
		fmt.Fprintf(w, "  skip:     hours %v, days %v (UTC)\n", in.SkipHours, in.SkipDays)
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
		link := it.URL
		if link == "" {
			link = "-"
		}
		fmt.Fprintf(w, "\n%d. %s\n   url:       %s\n   identity:  %s\n", i+1, title, link, it.Identity)
		date := "-"
		if !it.Published.IsZero() {
			date = it.Published.Format(time.RFC3339)
		}
		if it.DateNote != "" {
			date += " (" + it.DateNote + ")"
		}
		fmt.Fprintf(w, "   published: %s\n", date)
		if !it.Updated.IsZero() && !it.Updated.Equal(it.Published) {
			fmt.Fprintf(w, "   updated:   %s\n", it.Updated.Format(time.RFC3339))
		}
		if it.GUID != "" && it.GUID != it.Identity {
			fmt.Fprintf(w, "   guid:      %s\n", it.GUID)
		}
		if len(it.Authors) > 0 {
			fmt.Fprintf(w, "   authors:   %s\n", strings.Join(it.Authors, ", "))
		}
		if len(it.Categories) > 0 {
			fmt.Fprintf(w, "   tags:      %s\n", strings.Join(it.Categories, ", "))
		}
		for _, e := range it.Enclosures {
			fmt.Fprintf(w, "   enclosure: %s%s\n", e.URL, enclosureNote(e))
		}
		words := strings.Fields(it.Text)
		unit := "words"
		if len(words) == 1 {
			unit = "word"
		}
		fmt.Fprintf(w, "   text:      %d %s: %s\n", len(words), unit, clip(strings.Join(words, " "), 160))
		if it.Content != "" {
			fmt.Fprintf(w, "   html:      %s\n", clip(it.Content, 160))
		}
	}
	return nil
}

// enclosureNote is " (type, size)" with what the feed gave of them.
func enclosureNote(e tidings.Enclosure) string {
	var parts []string
	if e.Type != "" {
		parts = append(parts, e.Type)
	}
	if e.Length > 0 {
		parts = append(parts, humanBytes(e.Length))
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, ", ") + ")"
}
