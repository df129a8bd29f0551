package main

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/tidings/tidings/feed"
	"github.com/tidings/tidings/store"
)

// metrics are the daemon's Prometheus metrics, in a registry of its own (no
// global default registry). A nil *metrics is valid and records nothing, so
// callers need no checks when server.metrics is off.
type metrics struct {
	reg           *prometheus.Registry
	pollDuration  prometheus.Histogram
	fetches       *prometheus.CounterVec
	fetchDuration *prometheus.HistogramVec
	feeds         *prometheus.GaugeVec
	itemsStored   *prometheus.CounterVec
	editions      *prometheus.CounterVec
	buildDuration prometheus.Histogram
	publishDur    prometheus.Histogram
	outbox        *prometheus.GaugeVec
}

func newMetrics(d *daemon) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		pollDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "tidings_poll_cycle_duration_seconds", Help: "Duration of poll cycles that polled at least one feed.",
			Buckets: prometheus.ExponentialBuckets(0.1, 2, 12),
		}),
		fetches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tidings_fetches_total", Help: "Feed fetches by outcome (ok, not_modified, error).",
		}, []string{"outcome"}),
		fetchDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "tidings_fetch_duration_seconds", Help: "Time to fetch, parse and store one feed, by outcome (ok, not_modified, or the error kind: network, timeout, http, …).",
			Buckets: prometheus.ExponentialBuckets(0.05, 2, 10),
		}, []string{"outcome"}),
		feeds: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "tidings_feeds", Help: "Subscribed feeds by health state (ok, failing, disabled, new).",
		}, []string{"state"}),
		itemsStored: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tidings_items_stored_total", Help: "Items written to the store, new or updated.",
		}, []string{"kind"}),
		editions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tidings_editions_built_total", Help: "Digest editions built.",
		}, []string{"digest"}),
		buildDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "tidings_edition_build_duration_seconds", Help: "Time to select, rank and summarize an edition.",
			Buckets: prometheus.ExponentialBuckets(0.05, 2, 12),
		}),
		publishDur: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "tidings_publish_duration_seconds", Help: "Time to publish the output directory.",
			Buckets: prometheus.ExponentialBuckets(0.01, 2, 12),
		}),
		outbox: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "tidings_outbox_deliveries", Help: "Email deliveries in the outbox by state (pending, failed).",
		}, []string{"state"}),
	}
	m.reg.MustRegister(m.pollDuration, m.fetches, m.fetchDuration, m.feeds, m.itemsStored, m.editions, m.buildDuration, m.publishDur, m.outbox,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.updateFeeds(d.db)
	return m
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

func (m *metrics) observePoll(res feed.CycleResult, dur time.Duration) {
	if m == nil || res.Feeds == 0 {
		return
	}
	m.pollDuration.Observe(dur.Seconds())
	m.fetches.WithLabelValues("ok").Add(float64(res.Feeds - res.Errors - res.NotModified))
	m.fetches.WithLabelValues("not_modified").Add(float64(res.NotModified))
	m.fetches.WithLabelValues("error").Add(float64(res.Errors))
	m.itemsStored.WithLabelValues("new").Add(float64(res.New))
	m.itemsStored.WithLabelValues("updated").Add(float64(res.Updated))
}

// observeFetch records one feed's poll (a feed.Poller progress callback;
// the poller never calls it concurrently).
func (m *metrics) observeFetch(p feed.Progress) {
	if m == nil {
		return
	}
	m.fetchDuration.WithLabelValues(p.Kind).Observe(p.Duration.Seconds())
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
		m.feeds.WithLabelValues(state).Set(float64(n))
	}
}

func (m *metrics) observeEdition(name string, run editionRun) {
	if m == nil {
		return
	}
	if run.Created {
		m.editions.WithLabelValues(name).Inc()
	}
	m.buildDuration.Observe(run.Build.Seconds())
	m.publishDur.Observe(run.Publish.Seconds())
}

func (m *metrics) setOutbox(pending, failed int) {
	if m == nil {
		return
	}
	m.outbox.WithLabelValues("pending").Set(float64(pending))
	m.outbox.WithLabelValues("failed").Set(float64(failed))
}
