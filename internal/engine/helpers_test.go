package engine_test

import (
	"context"
	"testing"

	"github.com/ferrymigrate/ferry/internal/engine"
	"github.com/ferrymigrate/ferry/internal/store"
	"github.com/ferrymigrate/ferry/internal/store/storetest"
)

// engines runs fn on every database engine with the engine's schema.
func engines(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	storetest.Engines(t, fn, engine.Migrations)
}

// newEngine is an engine closed when the test ends. Two engines on one
// database stand for two ferry processes: their locks exclude each other.
func newEngine(t *testing.T, db *store.DB, opts ...engine.Option) *engine.Engine {
	t.Helper()
	e := engine.New(db, opts...)
	t.Cleanup(func() { e.Close() })
	return e
}

func mustStart(t *testing.T, e *engine.Engine, spec engine.Spec) *engine.Run {
	t.Helper()
	run, err := e.Start(context.Background(), spec)
	if err != nil {
		t.Fatalf("start %s: %v", spec.Kind, err)
	}
	return run
}

func queryInt(t *testing.T, q store.Querier, query string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := q.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}
