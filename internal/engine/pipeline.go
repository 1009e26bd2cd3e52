package engine

import (
	"context"
	"errors"
	"sync"

	"github.com/ferrymigrate/ferry/internal/store"
)

// ErrPredecessor stops a batch whose predecessor failed: it must not commit
// past a gap, or the checkpoint would no longer describe a prefix.
var ErrPredecessor = errors.New("an earlier batch failed")

// Pipeline runs batches as an ordered pipeline. Each batch is one
// transaction in two halves. The first half may overlap with other
// batches' (it must touch only rows of its own batch); the second starts
// only once the previous batch has committed, when the batch calls the
// wait function it is given. So commits happen in batch order, each
// checkpoint describes a prefix of the work, and every result is exactly
// what running the batches one after another gives. No batch ever waits
// in the database for a later one, so the ordered commits cannot deadlock.
type Pipeline[B any] struct {
	DB *store.DB
	// Workers is how many batches may be in flight; below 2, and always on
	// SQLite, they run one after another.
	Workers int
	// Next returns the next batch, or false when there is none; it is
	// called from one goroutine, in order.
	Next func(ctx context.Context) (B, bool, error)
	// Run does one batch in tx. It calls wait before its second half; the
	// returned function, if any, runs after the commit, in batch order.
	Run func(ctx context.Context, tx *store.Tx, b B, wait func() error) (committed func(), err error)
}

// Do runs every batch and returns the first failure, in batch order.
func (p *Pipeline[B]) Do(ctx context.Context) error {
	workers := max(p.Workers, 1)
	if p.DB.Dialect() != store.Postgres {
		// SQLite has one writer and ferry gives it one connection: a second
		// batch in flight would hold it while waiting for the first.
		workers = 1
	}
	var (
		mu       sync.Mutex // guards failed, firstErr, firstNo
		failed   bool
		firstErr error
		firstNo  int
		wg       sync.WaitGroup
	)
	fail := func(no int, err error) {
		mu.Lock()
		defer mu.Unlock()
		failed = true
		if firstErr == nil || no < firstNo || errors.Is(firstErr, ErrPredecessor) && !errors.Is(err, ErrPredecessor) {
			firstErr, firstNo = err, no
		}
	}
	slots := make(chan struct{}, workers)
	prev := make(chan error, 1)
	prev <- nil
	for no := 1; ; no++ {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			fail(no, ctx.Err())
		}
		mu.Lock()
		stop := failed
		mu.Unlock()
		if stop {
			break
		}
		b, ok, err := p.Next(ctx)
		if err != nil {
			fail(no, err)
			break
		}
		if !ok {
			break
		}
		wait, mine := prev, make(chan error, 1)
		prev = mine
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := p.batch(ctx, b, wait)
			if err != nil {
				fail(no, err)
			}
			<-slots
			mine <- err
		}()
	}
	wg.Wait()
	return interrupted(ctx, firstErr)
}

// batch runs one batch in its own transaction. It commits only after its
// predecessor has, and only then runs its committed function, so whatever
// that function accumulates describes committed work only.
func (p *Pipeline[B]) batch(ctx context.Context, b B, prev <-chan error) error {
	waited := false
	wait := func() error {
		waited = true
		select {
		case err := <-prev:
			if err != nil {
				return ErrPredecessor
			}
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	var committed func()
	err := p.DB.InTx(ctx, func(tx *store.Tx) error {
		var err error
		committed, err = p.Run(ctx, tx, b, wait)
		if err == nil && !waited {
			// A batch that never reached its second half still commits
			// after its predecessor.
			err = wait()
		}
		return err
	})
	if !waited {
		// The batch failed before its second half; its successor must still
		// hear whether the chain before it holds.
		if perr := <-prev; perr != nil && err == nil {
			err = ErrPredecessor
		}
	}
	if err != nil {
		return err
	}
	if committed != nil {
		committed()
	}
	return nil
}
