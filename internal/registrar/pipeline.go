package registrar

import (
	"context"
	"errors"
	"sync"

	"github.com/ferrymigrate/ferry/internal/job"
	"github.com/ferrymigrate/ferry/internal/store"
)

// DefaultTransferWorkers is how many transfer batches run at once on
// PostgreSQL. Each batch's statements run in one server process, so a
// second batch in flight puts a second core to work; two concurrent halves
// of the invitation insert took 4.5 s where one after the other took 7.3 s.
const DefaultTransferWorkers = 2

// errPredecessor stops a batch whose predecessor failed: it must not commit
// past a gap, or the checkpoint would no longer describe a prefix.
var errPredecessor = errors.New("an earlier batch failed")

// runBatches runs the transfer's batches as a pipeline. A batch is one
// transaction in two halves. The first (domains and invitations) touches
// only rows of the batch's own domain range, so batches overlap there
// freely. The second creates and fills senior-official contacts, which
// batches share, then DomainInformation and the processed flags; it starts
// only once the previous batch has committed. So commits happen in batch
// order, each checkpoint describes a prefix of the work, and every result
// is exactly what running the batches one after another gives. No batch
// ever waits in the database for a later one, so the ordered commits
// cannot deadlock.
func (s *Service) runBatches(ctx context.Context, run *job.Run, opts TransferOptions, batches *batcher, res *TransferResult, tracker job.Tracker) error {
	workers := opts.Workers
	if workers <= 0 {
		workers = DefaultTransferWorkers
	}
	if s.DB.Dialect() != store.Postgres || opts.Limit > 0 {
		// SQLite has one writer; --limit needs each batch's outcome before
		// it can size the next.
		workers = 1
	}
	var (
		mu       sync.Mutex // guards res, moved, failed, firstErr
		moved    int64
		failed   bool
		firstErr error
		firstNo  int
		wg       sync.WaitGroup
	)
	fail := func(no int, err error) {
		mu.Lock()
		defer mu.Unlock()
		failed = true
		if firstErr == nil || no < firstNo || errors.Is(firstErr, errPredecessor) && !errors.Is(err, errPredecessor) {
			firstErr, firstNo = err, no
		}
	}
	slots := make(chan struct{}, workers)
	prev := make(chan error, 1)
	prev <- nil
	for {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			fail(batches.no+1, ctx.Err())
		}
		mu.Lock()
		stop, done := failed, moved
		mu.Unlock()
		if stop {
			break
		}
		b, err := batches.next(ctx, s.DB, done)
		if err != nil {
			fail(batches.no+1, err)
			break
		}
		if b.n == 0 {
			break
		}
		wait, mine := prev, make(chan error, 1)
		prev = mine
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := s.pipelinedBatch(ctx, run, b, wait, res, &mu, &moved, tracker)
			if err != nil {
				fail(b.no, err)
			}
			<-slots
			mine <- err
		}()
	}
	wg.Wait()
	return firstErr
}

// pipelinedBatch runs one batch of runBatches in its own transaction. It
// commits only after its predecessor has, and only then adds its counts to
// res, so res and the checkpoint always describe committed work.
func (s *Service) pipelinedBatch(ctx context.Context, run *job.Run, b batchRange, prev <-chan error,
	res *TransferResult, mu *sync.Mutex, moved *int64, tracker job.Tracker) error {
	var delta TransferResult
	var m int64
	waited := false
	wait := func() error {
		waited = true
		select {
		case err := <-prev:
			if err != nil {
				return errPredecessor
			}
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.ForBulk(ctx); err != nil {
			return err
		}
		var err error
		if m, err = s.transferBatch(ctx, tx, run.Job.ID, b, &delta, wait); err != nil {
			return err
		}
		if err := analyzeAfterFirst(ctx, tx, b); err != nil {
			return err
		}
		mu.Lock()
		next := *res
		mu.Unlock()
		next.add(delta)
		return run.Checkpoint(ctx, tx, "transfer", transferCheckpoint{LastDomain: b.hi, Result: &next}, nil)
	})
	if !waited {
		// The batch failed before its second half; its successor must still
		// hear whether the chain before it holds.
		if perr := <-prev; perr != nil && err == nil {
			err = errPredecessor
		}
	}
	if err != nil {
		return err
	}
	// Reported after the commit, so progress never counts work that a
	// rollback could still undo.
	mu.Lock()
	res.add(delta)
	*moved += m
	done := *moved
	tracker.Update(done, done)
	mu.Unlock()
	return nil
}
