package registrar

import (
	"context"
	"sync"

	"github.com/ferrymigrate/ferry/internal/engine"
	"github.com/ferrymigrate/ferry/internal/store"
)

// DefaultTransferWorkers is how many transfer batches run at once on
// PostgreSQL. Each batch's statements run in one server process, so a
// second batch in flight puts a second core to work; two concurrent halves
// of the invitation insert took 4.5 s where one after the other took 7.3 s.
const DefaultTransferWorkers = 2

// runBatches runs the transfer's batches on the engine's ordered pipeline.
// A batch's first half (domains and invitations) touches only rows of its
// own domain range, so batches overlap there freely; the second creates
// and fills senior-official contacts, which batches share, then
// DomainInformation and the processed flags, and starts only once the
// previous batch has committed.
func (s *Service) runBatches(ctx context.Context, run *engine.Run, opts TransferOptions, batches *batcher, res *TransferResult, tracker *engine.Tracker) error {
	workers := opts.Workers
	if workers <= 0 {
		workers = DefaultTransferWorkers
	}
	if s.DB.Dialect() != store.Postgres || opts.Limit > 0 {
		// SQLite has one writer; a limit needs each batch's outcome before
		// it can size the next.
		workers = 1
	}
	var (
		mu    sync.Mutex // guards moved: the planner reads it while batches commit
		moved int64
	)
	p := engine.Pipeline[batchRange]{
		DB:      s.DB,
		Workers: workers,
		Next: func(ctx context.Context) (batchRange, bool, error) {
			mu.Lock()
			done := moved
			mu.Unlock()
			b, err := batches.next(ctx, s.DB, done)
			return b, err == nil && b.n > 0, err
		},
		Run: func(ctx context.Context, tx *store.Tx, b batchRange, wait func() error) (func(), error) {
			if err := tx.ForBulk(ctx); err != nil {
				return nil, err
			}
			var delta TransferResult
			m, err := s.transferBatch(ctx, tx, run, b, &delta, wait)
			if err != nil {
				return nil, err
			}
			if err := analyzeAfterFirst(ctx, tx, b); err != nil {
				return nil, err
			}
			// The predecessor has committed (transferBatch waited for it), so
			// res holds every earlier batch: the checkpoint describes a prefix.
			next := *res
			next.add(delta)
			if err := run.Checkpoint(ctx, tx, "transfer", transferCheckpoint{LastDomain: b.hi, Result: &next}, nil); err != nil {
				return nil, err
			}
			// Reported after the commit, so progress never counts work that
			// a rollback could still undo.
			return func() {
				res.add(delta)
				mu.Lock()
				moved += m
				done := moved
				mu.Unlock()
				tracker.Update(done, done)
			}, nil
		},
	}
	return p.Do(ctx)
}
