package main

import (
	"net/http"
	"time"

	"github.com/tidings/tidings/feed"
	"github.com/tidings/tidings/store"
)

// metrics are the daemon's Prometheus metrics, in a registry of its own. A
// nil *metrics is valid and records nothing, so callers need no checks when
// server.metrics is off.
type metrics struct {
	reg           *promRegistry
	pollDuration  *histogram
	fetches       *counterVec
	fetchDuration *histogramVec
	feeds         *gaugeVec
	itemsStored   *counterVec
	editions      *counterVec
	buildDuration *histogram
	publishDur    *histogram
	outbox        *gaugeVec
}

func newMetrics(d *daemon) *metrics {
	m := buildMetrics()
	m.updateFeeds(d.db)
	return m
}

// buildMetrics registers the metrics without reading the store (tests use
// it directly).
func buildMetrics() *metrics {
	m := &metrics{
		reg: newPromRegistry(),
		pollDuration: newHistogram("tidings_poll_cycle_duration_seconds", "Duration of poll cycles that polled at least one feed.",
			exponentialBuckets(0.1, 2, 12)),
		fetches: newCounterVec("tidings_fetches_total", "Feed fetches by outcome (ok, not_modified, error).", "outcome"),
		fetchDuration: newHistogramVec("tidings_fetch_duration_seconds",
			"Time to fetch, parse and store one feed, by outcome (ok, not_modified, or the error kind: network, timeout, http, …).",
			"outcome", exponentialBuckets(0.05, 2, 10)),
		feeds:       newGaugeVec("tidings_feeds", "Subscribed feeds by health state (ok, failing, disabled, new).", "state"),
		itemsStored: newCounterVec("tidings_items_stored_total", "Items written to the store, new or updated.", "kind"),
		editions:    newCounterVec("tidings_editions_built_total", "Digest editions built.", "digest"),
		buildDuration: newHistogram("tidings_edition_build_duration_seconds", "Time to select, rank and summarize an edition.",
			exponentialBuckets(0.05, 2, 12)),
		publishDur: newHistogram("tidings_publish_duration_seconds", "Time to publish the output directory.",
			exponentialBuckets(0.01, 2, 12)),
		outbox: newGaugeVec("tidings_outbox_deliveries", "Email deliveries in the outbox by state (pending, failed).", "state"),
	}
	m.reg.register(m.pollDuration, m.fetches, m.fetchDuration, m.feeds, m.itemsStored, m.editions, m.buildDuration, m.publishDur, m.outbox,
		runtimeCollector{})
	return m
}

func (m *metrics) handler() http.Handler { return m.reg }

func (m *metrics) observePoll(res feed.CycleResult, dur time.Duration) {
	if m == nil || res.Feeds == 0 {
		return
	}
	m.pollDuration.observe(dur.Seconds())
	m.fetches.add("ok", float64(res.Feeds-res.Errors-res.NotModified))
	m.fetches.add("not_modified", float64(res.NotModified))
	m.fetches.add("error", float64(res.Errors))
	m.itemsStored.add("new", float64(res.New))
	m.itemsStored.add("updated", float64(res.Updated))
}

// observeFetch records one feed's poll (a feed.Poller progress callback;
// the poller never calls it concurrently).
func (m *metrics) observeFetch(p feed.Progress) {
	if m == nil {
		return
	}
	m.fetchDuration.observe(p.Kind, p.Duration.Seconds())
}

func (m *metrics) updateFeeds(db *store.DB) {
	if m == nil {
		return
	}
	feeds, err := db.Feeds()
	if err != nil {
		return
	}
	counts := map[string]int{"ok": 0, "failing": 0, "disabled": 0, "new": 0}
	for _, f := range feeds {
		counts[healthOf(f)]++
	}
	for state, n := range counts {
		m.feeds.set(state, float64(n))
	}
}

func (m *metrics) observeEdition(name string, run editionRun) {
	if m == nil {
		return
	}
	if run.Created {
		m.editions.inc(name)
	}
	m.buildDuration.observe(run.Build.Seconds())
	m.publishDur.observe(run.Publish.Seconds())
}

func (m *metrics) setOutbox(pending, failed int) {
	if m == nil {
		return
	}
	m.outbox.set("pending", float64(pending))
	m.outbox.set("failed", float64(failed))
}
