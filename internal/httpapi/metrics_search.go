package httpapi

import (
	"context"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ferrymigrate/ferry/internal/engine"
	"github.com/ferrymigrate/ferry/internal/search"
	"github.com/ferrymigrate/ferry/internal/store"
)

// SearchMetrics are the search index sync's metrics: it is the Syncer's
// Observer (search.Syncer.Observer), and a server given it in
// Config.SearchMetrics exports it at /metrics, with the outbox's backlog
// by entity read from the database at each scrape.
type SearchMetrics struct {
	// DeliveredDocuments counts documents the index took, by entity.
	DeliveredDocuments *prometheus.CounterVec
	// ItemFailures counts documents the index refused, by entity and
	// item status.
	ItemFailures *prometheus.CounterVec
	// Unavailable counts the times the index could not be reached.
	Unavailable prometheus.Counter

	entities []string
	pending  *prometheus.Desc
	lag      *prometheus.Desc
	db       store.Querier // the server's, set when it registers the metrics
}

var _ search.Observer = (*SearchMetrics)(nil)

// NewSearchMetrics makes the metrics of a sync of entities (the Source's
// Entities), which are reported even while none of theirs waits.
func NewSearchMetrics(entities []string) *SearchMetrics {
	return &SearchMetrics{
		entities: entities,
		DeliveredDocuments: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ferry_search_documents_delivered_total", Help: "Documents the search index took (their outbox entries are marked delivered), by entity.",
		}, []string{"entity"}),
		ItemFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ferry_search_item_failures_total", Help: "Documents the search index refused in a bulk request, by entity and item status; they are retried after a backoff.",
		}, []string{"entity", "status"}),
		Unavailable: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ferry_search_unavailable_total", Help: "Times the search index could not be reached or failed a bulk request as a whole; the batch stays pending and is retried after a backoff.",
		}),
		pending: prometheus.NewDesc("ferry_search_outbox_pending", "Outbox entries not yet delivered to the search index, by entity.", []string{"entity"}, nil),
		lag: prometheus.NewDesc("ferry_search_outbox_oldest_pending_seconds",
			"Age of the oldest outbox entry not yet delivered, by entity: how far the search index lags the database (0 when none waits).", []string{"entity"}, nil),
	}
}

// Delivered implements search.Observer.
func (m *SearchMetrics) Delivered(entity string, documents int) {
	m.DeliveredDocuments.WithLabelValues(entity).Add(float64(documents))
}

// Refused implements search.Observer.
func (m *SearchMetrics) Refused(entity string, status int) {
	m.ItemFailures.WithLabelValues(entity, strconv.Itoa(status)).Inc()
}

// IndexUnavailable implements search.Observer.
func (m *SearchMetrics) IndexUnavailable(error) { m.Unavailable.Inc() }

// Describe implements prometheus.Collector.
func (m *SearchMetrics) Describe(ch chan<- *prometheus.Desc) {
	m.DeliveredDocuments.Describe(ch)
	m.ItemFailures.Describe(ch)
	m.Unavailable.Describe(ch)
	ch <- m.pending
	ch <- m.lag
}

// Collect implements prometheus.Collector.
func (m *SearchMetrics) Collect(ch chan<- prometheus.Metric) {
	m.DeliveredDocuments.Collect(ch)
	m.ItemFailures.Collect(ch)
	m.Unavailable.Collect(ch)
	if m.db == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	backlog, err := engine.OutboxBacklogs(ctx, m.db)
	if err != nil {
		return
	}
	now := time.Now()
	seen := map[string]bool{}
	for _, b := range backlog {
		seen[b.Entity] = true
		ch <- prometheus.MustNewConstMetric(m.pending, prometheus.GaugeValue, float64(b.Pending), b.Entity)
		ch <- prometheus.MustNewConstMetric(m.lag, prometheus.GaugeValue, max(now.Sub(b.Oldest).Seconds(), 0), b.Entity)
	}
	for _, e := range m.entities {
		if !seen[e] {
			ch <- prometheus.MustNewConstMetric(m.pending, prometheus.GaugeValue, 0, e)
			ch <- prometheus.MustNewConstMetric(m.lag, prometheus.GaugeValue, 0, e)
		}
	}
}
