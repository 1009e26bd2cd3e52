// Package httpapi is ferry serve: the tenant merge as the API of design
// note 2, the jobs that run behind it, and the service's health and
// metrics. It is a thin layer: every handler calls the same library
// functions as the command line, and jobs run on the engine's workers.
package httpapi

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/ferrymigrate/ferry"
	"github.com/ferrymigrate/ferry/internal/auth"
	"github.com/ferrymigrate/ferry/internal/engine"
	"github.com/ferrymigrate/ferry/internal/store"
	"github.com/ferrymigrate/ferry/internal/tenant"
)

// Config is what a server is made of.
type Config struct {
	DB     *store.DB
	Engine *engine.Engine
	Tenant *tenant.Service
	Log    *slog.Logger
	// Workers is how many background jobs this process runs at once; 0
	// means 1, and a negative number runs none (a process that only
	// answers requests, beside others that do the work).
	Workers int
	// Poll is how often the workers look for jobs; 0 means one second.
	Poll time.Duration
	// Jobs tunes the background merges and rollbacks.
	Jobs tenant.HandlerOptions
	// MaxBody caps a request body; 0 means 1 MiB.
	MaxBody int64
	// Mount adds further routes (the registrar's sign-in) to the mux; they
	// handle their own authentication.
	Mount func(mux *http.ServeMux)
	// Background are further loops the server runs until it stops (the
	// search index's sync).
	Background []func(ctx context.Context)
	// JobCacheTTL is how long an answer to GET /v1/jobs/{id} or GET
	// /v1/jobs (and its event stream) is kept in memory: how much it
	// normally lags the database, where a job another process started or
	// changed shows within it. Once half of it is gone the answer is read
	// again in the background; while that read is slow, the answer is
	// served for up to 4 ttls more, so the most it lags is 5 ttls. 0 means
	// 200 ms (1 s at most); a negative value reads the database on every
	// request. Cancel and rollback always read the database.
	JobCacheTTL time.Duration
	// TokenCacheTTL is how long a verified token is trusted without asking
	// the database again: the longest a token revoked (by ferry token
	// revoke, in another process) still works here. 0 means 5 s; a
	// negative value checks every request. An unknown or revoked token is
	// never kept, so a new token works at once.
	TokenCacheTTL time.Duration
	// SearchMetrics, when set, are the search sync's metrics (its
	// Syncer's Observer), exported at /metrics with the outbox's backlog.
	SearchMetrics *SearchMetrics
}

// Default cache lifetimes: see Config.
const (
	DefaultJobCacheTTL   = 200 * time.Millisecond
	DefaultTokenCacheTTL = 5 * time.Second
)

// jobCacheGrace is how many ttls more a job answer whose refresh is slow
// is served while the refresh is in flight: a job answer is at most
// (1+jobCacheGrace) × JobCacheTTL old, 1 s by default. A verified token
// has no grace: its ttl bounds how long a revoked token works.
const jobCacheGrace = 4

// Server is one ferry serve process.
type Server struct {
	cfg     Config
	log     *slog.Logger
	worker  *engine.Worker
	metrics *metrics
	handler http.Handler
	ready   sync.Once
	readyCh chan struct{}
	// stopping is closed when the server starts to shut down: streams end.
	stopping chan struct{}
	// touched is when this process last recorded each token's use, so
	// that a busy client does not cost a write query on every request.
	touchMu sync.Mutex
	touched map[int64]time.Time
	// tokens are the tokens verified lately, by their secret's SHA-256
	// (never the secret); jobs and lists the encoded answers of the status
	// requests, by job and by filter.
	tokens *cache[[sha256.Size]byte, auth.Token]
	jobs   *cache[int64, jobAnswer]
	lists  *cache[engine.Filter, json.RawMessage]
}

// touchDue says whether a token's use should be recorded now: at most
// once a minute per token and process (auth.Touch's own condition keeps
// several processes to about that as well).
func (s *Server) touchDue(id int64, now time.Time) bool {
	s.touchMu.Lock()
	defer s.touchMu.Unlock()
	if now.Sub(s.touched[id]) < time.Minute {
		return false
	}
	s.touched[id] = now
	return true
}

// New builds a server over cfg. It starts nothing: Serve does.
func New(cfg Config) (*Server, error) {
	if cfg.DB == nil || cfg.Engine == nil || cfg.Tenant == nil {
		return nil, errors.New("httpapi: a database, an engine and the tenant service are required")
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = 1 << 20
	}
	s := &Server{cfg: cfg, log: cfg.Log, readyCh: make(chan struct{}), stopping: make(chan struct{}), touched: map[int64]time.Time{}}
	s.tokens = newCache[[sha256.Size]byte, auth.Token](ttlOr(cfg.TokenCacheTTL, DefaultTokenCacheTTL), 1024).refreshingAhead()
	jobTTL := ttlOr(cfg.JobCacheTTL, DefaultJobCacheTTL)
	s.jobs = newCache[int64, jobAnswer](jobTTL, 4096).refreshingAhead().servingStale(jobCacheGrace * jobTTL)
	s.lists = newCache[engine.Filter, json.RawMessage](jobTTL, 256).refreshingAhead().servingStale(jobCacheGrace * jobTTL)
	if cfg.Workers >= 0 {
		s.worker = cfg.Engine.NewWorker(cfg.Tenant.Handlers(cfg.Jobs), engine.WorkerOptions{Concurrency: max(cfg.Workers, 1), Poll: cfg.Poll})
	}
	s.metrics = newMetrics(s)
	s.handler = s.routes()
	return s, nil
}

func ttlOr(ttl, def time.Duration) time.Duration {
	if ttl == 0 {
		return def
	}
	return ttl
}

// jobsChanged brings the cached job answers up to date after this process
// changed jobs (queued, cancelled, rolled back): before the change is
// answered, it reads again the jobs it names and every list kept, so that
// the client's next read shows the change, while other requests are
// answered what was kept until each new value is in, instead of all
// waiting for the database at once. A change that failed may or may not
// have been committed: then every job answer is forgotten.
func (s *Server) jobsChanged(ctx context.Context, failed error, ids ...int64) {
	if failed != nil {
		s.jobs.forget()
		s.lists.forget()
		return
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4) // a few of the pool's connections, not all
	refresh := func(fn func()) {
		sem <- struct{}{}
		wg.Go(func() { defer func() { <-sem }(); fn() })
	}
	for _, id := range ids {
		if id > 0 {
			refresh(func() { _ = s.jobs.refresh(ctx, id, s.jobLoader(id)) })
		}
	}
	for _, f := range s.lists.live() {
		refresh(func() { _ = s.lists.refresh(ctx, f, s.listLoader(f)) })
	}
	wg.Wait()
}

// Handler is the service's HTTP handler, for tests and for embedding.
func (s *Server) Handler() http.Handler { return s.handler }

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	handle := func(pattern string, h http.Handler) {
		mux.Handle(pattern, s.metrics.instrument(pattern, h))
	}
	handle("GET /healthz", http.HandlerFunc(s.healthz))
	handle("GET /readyz", http.HandlerFunc(s.readyz))
	handle("GET /metrics", s.metrics.handler())
	handle("GET /openapi.json", http.HandlerFunc(serveOpenAPI))

	handle("POST /v1/tenant/migrate", s.authorized(auth.Admin, apiMigrate, s.migrate))
	handle("GET /v1/jobs", s.authorized(auth.Viewer, apiJobList, s.listJobs))
	handle("GET /v1/jobs/{id}", s.authorized(auth.Viewer, apiJobRead, s.getJob))
	handle("GET /v1/jobs/{id}/events", s.authorized(auth.Viewer, apiJobEvents, s.jobEvents))
	handle("POST /v1/jobs/{id}/cancel", s.authorized(auth.Admin, apiJobCancel, s.cancelJob))
	handle("POST /v1/jobs/{id}/rollback", s.authorized(auth.Admin, apiJobRollback, s.rollbackJob))
	if s.cfg.Mount != nil {
		s.cfg.Mount(mux)
	}
	// Anything else is the platform's 404, in its envelope.
	mux.Handle("/", s.metrics.instrument("unmatched", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fail(w, r, api{"api.unknown", "ROUTE"}, ferry.Errorf(ferry.ENOTFOUND, "no such endpoint: %s %s", r.Method, r.URL.Path), nil)
	})))
	return withRequestID(s.recoverer(s.logged(mux)))
}

// authorized wraps h with the bearer-token check: 401 without a valid
// token, 403 when its role does not allow need.
func (s *Server) authorized(need auth.Role, a api, h func(http.ResponseWriter, *http.Request, api)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		secret, ok := bearer(r)
		if !ok {
			fail(w, r, a, auth.ErrUnauthorized, nil)
			return
		}
		tok, err := s.tokens.get(r.Context(), sha256.Sum256([]byte(secret)), func(ctx context.Context) (auth.Token, error) {
			return auth.Authenticate(ctx, s.cfg.DB, secret)
		})
		if err != nil {
			fail(w, r, a, err, nil)
			return
		}
		if !tok.Role.Allows(need) {
			fail(w, r, a, ferry.Errorf(ferry.EFORBIDDEN, "a %s token may not do this: it needs %s", tok.Role, need), nil)
			return
		}
		if now := time.Now(); s.touchDue(tok.ID, now) {
			if err := auth.Touch(r.Context(), s.cfg.DB, tok.ID, now); err != nil {
				s.log.Warn("recording a token's use failed", "token", tok.ID, "err", err)
			}
		}
		h(w, r, a)
	})
}

func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return "", false
	}
	return strings.TrimSpace(token), true
}

// recoverer turns a handler's panic into a 500 in the envelope, logged
// with its stack, instead of a dropped connection.
func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.log.Error("handler panicked", "request", requestID(r), "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				fail(w, r, api{"api.error", "SERVER"}, errors.New("panic"), nil)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// logged logs each request: method, route, status, duration, request id.
// Never the query string, the body or a header: they may hold tokens and
// e-mail addresses.
func (s *Server) logged(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		s.log.Info("request", "method", r.Method, "route", r.Pattern, "status", sw.status,
			"ms", time.Since(start).Milliseconds(), "request", requestID(r))
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// Flush lets server-sent events through the wrapper.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Serve answers on ln and runs the background workers until ctx is
// cancelled (SIGTERM), then stops accepting, lets running requests end
// (up to grace), stops the workers, whose jobs checkpoint and end
// interrupted for a worker to resume, and returns.
func (s *Server) Serve(ctx context.Context, ln net.Listener, grace time.Duration) error {
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      0, // the events stream is long-lived; handlers bound their own work
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	bg, stopBG := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	if s.worker != nil {
		wg.Add(1)
		go func() { defer wg.Done(); s.worker.Run(bg) }()
	}
	for _, loop := range s.cfg.Background {
		wg.Add(1)
		go func() { defer wg.Done(); loop(bg) }()
	}
	s.ready.Do(func() { close(s.readyCh) })
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	var serveErr error
	select {
	case serveErr = <-errc:
	case <-ctx.Done():
	}
	close(s.stopping)
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	shutErr := srv.Shutdown(sctx)
	stopBG()
	wg.Wait()
	if errors.Is(serveErr, http.ErrServerClosed) {
		serveErr = nil
	}
	return errors.Join(serveErr, shutErr)
}

// Wake has the workers look for jobs now.
func (s *Server) Wake() {
	if s.worker != nil {
		s.worker.Wake()
	}
}
