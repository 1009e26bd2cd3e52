package httpapi

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ferrymigrate/ferry/internal/engine"
)

// metrics are the service's Prometheus metrics, on a registry of its own
// so that two servers in one test process do not share them.
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	rows     *prometheus.GaugeVec
}

func newMetrics(s *Server) *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ferry_http_requests_total", Help: "HTTP requests answered, by route and status code.",
	}, []string{"route", "code"})
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "ferry_http_request_duration_seconds", Help: "Time to answer an HTTP request, by route.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}, []string{"route"})
	m.rows = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "ferry_job_rows_per_second", Help: "Rows per second of the current phase of each job this process runs.",
	}, []string{"job", "kind"})
	jobs := prometheus.NewDesc("ferry_jobs", "Jobs recorded in the database, by kind and status.", []string{"kind", "status"}, nil)
	depth := prometheus.NewDesc("ferry_outbox_depth", "Outbox entries not yet delivered to the search index.", nil, nil)
	m.reg.MustRegister(m.requests, m.latency, m.rows, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		&dbCollector{s: s, jobs: jobs, depth: depth})
	if sm := s.cfg.SearchMetrics; sm != nil {
		sm.db = s.cfg.DB
		m.reg.MustRegister(sm)
	}
	// The rate of each running job of this process, from its progress
	// events; a finished phase's gauge is removed.
	s.cfg.Engine.Events().Observe(func(ev engine.Event) {
		labels := prometheus.Labels{"job": strconv.FormatInt(ev.Job, 10), "kind": ev.Kind}
		if ev.State != engine.PhaseRunning {
			m.rows.Delete(labels)
			return
		}
		m.rows.With(labels).Set(ev.Rate())
	})
	return m
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// instrument counts and times the requests of one route, by its pattern
// (never its path, which holds ids without bound).
func (m *metrics) instrument(route string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		m.requests.WithLabelValues(route, strconv.Itoa(sw.status)).Inc()
		m.latency.WithLabelValues(route).Observe(time.Since(start).Seconds())
	})
}

// dbCollector reads the jobs by state and the outbox's depth from the
// database at each scrape, so that every server reports the same numbers
// whichever of them runs the jobs.
type dbCollector struct {
	s           *Server
	jobs, depth *prometheus.Desc
}

func (c *dbCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.jobs; ch <- c.depth }

func (c *dbCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	db := c.s.cfg.DB
	rows, err := db.Query(ctx, `SELECT kind, status, count(*) FROM ferry_job GROUP BY kind, status`)
	if err == nil {
		for rows.Next() {
			var kind, status string
			var n float64
			if rows.Scan(&kind, &status, &n) == nil {
				ch <- prometheus.MustNewConstMetric(c.jobs, prometheus.GaugeValue, n, kind, status)
			}
		}
		rows.Close()
	}
	if n, err := engine.OutboxDepth(ctx, db); err == nil {
		ch <- prometheus.MustNewConstMetric(c.depth, prometheus.GaugeValue, float64(n))
	}
}
