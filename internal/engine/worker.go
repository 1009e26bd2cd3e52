package engine

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/ferrymigrate/ferry"
	"github.com/ferrymigrate/ferry/internal/store"
)

// Handler runs one background job of a kind. It must start its run with
// Spec.Claim set to job.ID, so that the job record it reports through is
// the queued one, and return when ctx is cancelled (its run then ends
// interrupted, and a worker resumes it later).
type Handler func(ctx context.Context, job Job) error

// WorkerOptions configures a Worker.
type WorkerOptions struct {
	// Concurrency is how many jobs the worker runs at once; 0 means 1.
	Concurrency int
	// Poll is how often it looks for jobs; 0 means one second.
	Poll time.Duration
}

// Worker runs background jobs: queued ones, and interrupted ones whose
// process is gone, oldest first. Any number of workers, in any number of
// processes on one database, share the jobs: a job's locks and the claim
// of its row (Start with Spec.Claim) let exactly one of them run it, and
// one whose tenant is busy is tried again later.
type Worker struct {
	e        *Engine
	handlers map[string]Handler
	opts     WorkerOptions
	wake     chan struct{}

	mu      sync.Mutex
	running map[int64]bool
	wg      sync.WaitGroup
}

// NewWorker returns a worker for the job kinds handlers names.
func (e *Engine) NewWorker(handlers map[string]Handler, opts WorkerOptions) *Worker {
	if opts.Concurrency <= 0 {
		opts.Concurrency = 1
	}
	if opts.Poll <= 0 {
		opts.Poll = time.Second
	}
	return &Worker{e: e, handlers: handlers, opts: opts, wake: make(chan struct{}, 1), running: map[int64]bool{}}
}

// Wake makes the worker look for jobs now, e.g. after Enqueue.
func (w *Worker) Wake() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Running is how many jobs the worker runs now.
func (w *Worker) Running() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.running)
}

// Run looks for jobs until ctx is cancelled, then waits for the jobs it
// started: their contexts are cancelled with it, so each stops at its
// next batch with its checkpoint written, interrupted, for a worker to
// resume.
func (w *Worker) Run(ctx context.Context) {
	defer w.wg.Wait()
	t := time.NewTicker(w.opts.Poll)
	defer t.Stop()
	for {
		if err := w.poll(ctx); err != nil && ctx.Err() == nil {
			w.e.log.Warn("looking for background jobs failed; trying again", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-w.wake:
		}
	}
}

// poll starts the jobs waiting for a worker, as many as there is room for.
func (w *Worker) poll(ctx context.Context) error {
	if err := w.e.db.InTx(ctx, func(tx *store.Tx) error { return w.e.reapDead(ctx, tx) }); err != nil {
		return err
	}
	rows, err := w.e.db.Query(ctx, `SELECT `+jobColumns+` FROM ferry_job
		WHERE background AND status IN ('queued', 'interrupted') AND NOT cancel_requested ORDER BY id LIMIT 50`)
	if err != nil {
		return err
	}
	var jobs []Job
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			rows.Close()
			return err
		}
		jobs = append(jobs, j)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, j := range jobs {
		h := w.handlers[j.Kind]
		if h == nil || !w.reserve(j.ID) {
			continue
		}
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			defer w.release(j.ID)
			w.runJob(ctx, h, j)
		}()
	}
	return nil
}

// reserve takes a slot for job id, unless the worker runs it already or
// has no room.
func (w *Worker) reserve(id int64) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.running[id] || len(w.running) >= w.opts.Concurrency {
		return false
	}
	w.running[id] = true
	return true
}

func (w *Worker) release(id int64) {
	w.mu.Lock()
	delete(w.running, id)
	w.mu.Unlock()
	w.Wake()
}

// runJob runs one job through its handler. A job another worker claimed,
// or whose locks are held, is left for later; a handler that fails before
// its run started leaves the job failed with the reason, so that a job
// that can never start does not wait for ever.
func (w *Worker) runJob(ctx context.Context, h Handler, j Job) {
	err := h(ctx, j)
	if ctx.Err() != nil || errors.Is(err, ErrClaimed) || ferry.ErrorCode(err) == ferry.EBUSY {
		return
	}
	if err == nil {
		// A handler that returns without having started the job's run is
		// a bug; without this the job would be run again every poll.
		err = errors.New("the job's handler returned without running it")
	}
	wctx := context.WithoutCancel(ctx)
	now := time.Now().UTC()
	_, uerr := w.e.db.Exec(wctx, `UPDATE ferry_job SET status = 'failed', error = ?, finished_at = ? WHERE id = ? AND status IN ('queued', 'interrupted')`,
		Redact(err.Error()), now, j.ID)
	if uerr != nil {
		w.e.log.Warn("recording a background job's failure failed", "job", j.ID, "err", uerr)
	}
}
