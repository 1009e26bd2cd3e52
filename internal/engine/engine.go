// Package engine is the machinery every ferry migration runs on: durable
// job records with resume by fingerprint, locks that hold across
// processes, checkpoints written in the caller's transaction, rejects and
// findings, the change journal, the outbox, progress events, the
// resumable chunked file loader and the ordered batch pipeline.
//
// The engine owns the ferry_* tables and knows nothing of any migration:
// a migration hands it SQL, files and functions, never the other way
// round.
package engine

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"log/slog"

	"github.com/ferrymigrate/ferry/internal/store"
)

//go:embed migrations
var migrationFiles embed.FS

// Migrations is the engine's own schema: the ferry_* tables.
var Migrations = store.EmbeddedMigrations("engine", "ferry_schema_engine", migrationFiles, "migrations")

// Engine runs jobs on one database. One process normally has one; it holds
// the process's locks until Close.
type Engine struct {
	db     *store.DB
	log    *slog.Logger
	locks  *locker
	events *Bus
}

// Option configures New.
type Option func(*Engine)

// WithLogger sets where the engine logs; by default it does not.
func WithLogger(l *slog.Logger) Option { return func(e *Engine) { e.log = l } }

// WithObserver has every progress event of every job passed to fn, on the
// goroutine that made it; fn must be quick. The command line draws bars
// from these.
func WithObserver(fn func(Event)) Option {
	return func(e *Engine) { e.events.observe(fn) }
}

// New returns an engine over db. It does not migrate the schema.
func New(db *store.DB, opts ...Option) *Engine {
	e := &Engine{db: db, log: slog.New(slog.DiscardHandler), locks: newLocker(db), events: newBus()}
	for _, o := range opts {
		o(e)
	}
	return e
}

// DB is the database the engine runs on.
func (e *Engine) DB() *store.DB { return e.db }

// Log is the engine's logger, for the migrations to log through.
func (e *Engine) Log() *slog.Logger { return e.log }

// Events is where every job's progress events are published.
func (e *Engine) Events() *Bus { return e.events }

// Close releases the engine's locks. It does not close the database.
func (e *Engine) Close() error {
	return e.locks.close()
}

// interrupted reports a failure caused by the caller cancelling as the
// cancellation itself: the driver's error for a statement cut short (a
// closed connection, say) would otherwise read like a database outage.
func interrupted(ctx context.Context, err error) error {
	if err != nil && ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
		return fmt.Errorf("%w (%v)", ctx.Err(), err)
	}
	return err
}

// AsInterruption is interrupted, for the migrations.
func AsInterruption(ctx context.Context, err error) error { return interrupted(ctx, err) }
