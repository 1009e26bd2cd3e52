package engine_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ferrymigrate/ferry"
	"github.com/ferrymigrate/ferry/internal/engine"
	"github.com/ferrymigrate/ferry/internal/store"
)

// steppedJob is a background job kind for the tests: it claims its job,
// then checkpoints steps times, one step a tick, and counts its runs.
type steppedJob struct {
	e     *engine.Engine
	steps int
	tick  time.Duration
	runs  atomic.Int64
	// started is told each job id as its run starts.
	started chan int64
}

type stepCheckpoint struct{ Done int }

func (s *steppedJob) handler(ctx context.Context, job engine.Job) error {
	run, err := s.e.Start(ctx, engine.Spec{Kind: job.Kind, Locks: []string{"tenant:a"}, Claim: job.ID})
	if err != nil {
		return err
	}
	s.runs.Add(1)
	if s.started != nil {
		s.started <- job.ID
	}
	var cp stepCheckpoint
	err = run.LoadCheckpoint(&cp)
	for err == nil && cp.Done < s.steps {
		select {
		case <-ctx.Done():
			err = ctx.Err()
			continue
		case <-time.After(s.tick):
		}
		err = run.DB().InTx(ctx, func(tx *store.Tx) error {
			next := stepCheckpoint{Done: cp.Done + 1}
			if err := run.Checkpoint(ctx, tx, "step", next, nil); err != nil {
				return err
			}
			cp = next
			return nil
		})
	}
	return errors.Join(err, run.Finish(ctx, cp, err))
}

func waitStatus(t *testing.T, db *store.DB, id int64, want engine.Status) engine.Job {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		j, err := engine.Get(context.Background(), db, id)
		if err != nil {
			t.Fatal(err)
		}
		if j.Status == want {
			return j
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %d is %s after 10 s, want %s", id, j.Status, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Two requests for the same tenant cannot both be queued: the second is
// refused at once, naming the first.
func TestEnqueueRefusesATenantAlreadyClaimed(t *testing.T) {
	engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEngine(t, db)
		first, err := e.Enqueue(ctx, engine.Spec{Kind: "test.stepped", Locks: []string{"tenant:a", "tenant:b"}})
		if err != nil {
			t.Fatal(err)
		}
		if first.Status != engine.Queued {
			t.Fatalf("enqueued job is %s, want queued", first.Status)
		}
		_, err = newEngine(t, db).Enqueue(ctx, engine.Spec{Kind: "test.stepped", Locks: []string{"tenant:b", "tenant:c"}})
		if ferry.ErrorCode(err) != ferry.EBUSY {
			t.Fatalf("second enqueue: %v, want busy", err)
		}
		if _, err := e.Enqueue(ctx, engine.Spec{Kind: "test.stepped", Locks: []string{"tenant:c"}}); err != nil {
			t.Fatalf("a job on another tenant: %v", err)
		}
		// A cancelled job claims nothing.
		if _, err := e.Cancel(ctx, first.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := e.Enqueue(ctx, engine.Spec{Kind: "test.stepped", Locks: []string{"tenant:b"}}); err != nil {
			t.Fatalf("after the cancel: %v", err)
		}
	})
}

func TestWorkerRunsQueuedJobs(t *testing.T) {
	engines(t, func(t *testing.T, db *store.DB) {
		ctx, stop := context.WithCancel(context.Background())
		defer stop()
		e := newEngine(t, db)
		job := &steppedJob{e: e, steps: 3, tick: time.Millisecond}
		w := e.NewWorker(map[string]engine.Handler{"test.stepped": job.handler}, engine.WorkerOptions{Poll: 20 * time.Millisecond})
		done := make(chan struct{})
		go func() { w.Run(ctx); close(done) }()
		q, err := e.Enqueue(ctx, engine.Spec{Kind: "test.stepped", Locks: []string{"tenant:a"}})
		if err != nil {
			t.Fatal(err)
		}
		w.Wake()
		j := waitStatus(t, db, q.ID, engine.Succeeded)
		if string(j.Counts) != `{"Done":3}` || j.Attempts != 1 {
			t.Errorf("finished job: counts %s, attempts %d; want {\"Done\":3}, 1", j.Counts, j.Attempts)
		}
		stop()
		<-done
		if n := job.runs.Load(); n != 1 {
			t.Errorf("the job ran %d times, want 1", n)
		}
	})
}

// A cancelled queued job never runs; a running one stops at its next
// checkpoint, whose batch rolls back, and ends cancelled, never resumed.
func TestCancel(t *testing.T) {
	engines(t, func(t *testing.T, db *store.DB) {
		ctx, stop := context.WithCancel(context.Background())
		defer stop()
		e := newEngine(t, db)
		queued, err := e.Enqueue(ctx, engine.Spec{Kind: "test.stepped", Locks: []string{"tenant:z"}})
		if err != nil {
			t.Fatal(err)
		}
		if j, err := e.Cancel(ctx, queued.ID); err != nil || j.Status != engine.Cancelled {
			t.Fatalf("cancel of a queued job: %v, %v", j.Status, err)
		}
		job := &steppedJob{e: e, steps: 1000, tick: 5 * time.Millisecond, started: make(chan int64, 1)}
		w := e.NewWorker(map[string]engine.Handler{"test.stepped": job.handler}, engine.WorkerOptions{Poll: 20 * time.Millisecond})
		done := make(chan struct{})
		go func() { w.Run(ctx); close(done) }()
		running, err := e.Enqueue(ctx, engine.Spec{Kind: "test.stepped", Locks: []string{"tenant:a"}})
		if err != nil {
			t.Fatal(err)
		}
		if id := <-job.started; id != running.ID {
			t.Fatalf("the worker started job %d, want %d", id, running.ID)
		}
		if _, err := e.Cancel(ctx, running.ID); err != nil {
			t.Fatal(err)
		}
		j := waitStatus(t, db, running.ID, engine.Cancelled)
		if j.Error != engine.ErrCancelled.Message {
			t.Errorf("cancelled job's error %q, want %q", j.Error, engine.ErrCancelled.Message)
		}
		time.Sleep(100 * time.Millisecond) // a few polls: neither job may run again
		stop()
		<-done
		if n := job.runs.Load(); n != 1 {
			t.Errorf("%d runs, want 1 (the cancelled queued job must not run, the other not twice)", n)
		}
		if _, err := e.Cancel(context.Background(), running.ID); ferry.ErrorCode(err) != ferry.ECONFLICT {
			t.Errorf("cancel of a finished job: %v, want conflict", err)
		}
	})
}

// A worker that stops (the server's SIGTERM) leaves its job interrupted at
// its checkpoint, and another worker resumes it from there.
func TestWorkerResumesInterruptedJobs(t *testing.T) {
	engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e1 := newEngine(t, db)
		first := &steppedJob{e: e1, steps: 50, tick: 10 * time.Millisecond, started: make(chan int64, 1)}
		ctx1, stop1 := context.WithCancel(ctx)
		w1 := e1.NewWorker(map[string]engine.Handler{"test.stepped": first.handler}, engine.WorkerOptions{Poll: 20 * time.Millisecond})
		done1 := make(chan struct{})
		go func() { w1.Run(ctx1); close(done1) }()
		q, err := e1.Enqueue(ctx, engine.Spec{Kind: "test.stepped", Locks: []string{"tenant:a"}})
		if err != nil {
			t.Fatal(err)
		}
		<-first.started
		time.Sleep(100 * time.Millisecond)
		stop1()
		<-done1
		j := waitStatus(t, db, q.ID, engine.Interrupted)
		var cp stepCheckpoint
		if err := (&engine.Run{Job: j}).LoadCheckpoint(&cp); err != nil || cp.Done == 0 || cp.Done >= 50 {
			t.Fatalf("interrupted at %+v (%v), want part of the way", cp, err)
		}
		e2 := newEngine(t, db)
		second := &steppedJob{e: e2, steps: 50, tick: time.Millisecond}
		ctx2, stop2 := context.WithCancel(ctx)
		defer stop2()
		w2 := e2.NewWorker(map[string]engine.Handler{"test.stepped": second.handler}, engine.WorkerOptions{Poll: 20 * time.Millisecond})
		done2 := make(chan struct{})
		go func() { w2.Run(ctx2); close(done2) }()
		j = waitStatus(t, db, q.ID, engine.Succeeded)
		stop2()
		<-done2
		if j.Attempts != 2 || string(j.Counts) != `{"Done":50}` {
			t.Errorf("resumed job: attempts %d, counts %s; want 2, {\"Done\":50}", j.Attempts, j.Counts)
		}
	})
}

// Workers of several processes share the queue without running a job
// twice: every job runs exactly once.
func TestWorkersShareJobs(t *testing.T) {
	engines(t, func(t *testing.T, db *store.DB) {
		ctx, stop := context.WithCancel(context.Background())
		defer stop()
		const jobs = 8
		var ids []int64
		producer := newEngine(t, db)
		for i := range jobs {
			// Each job has its own tenant, so that all can run at once.
			j, err := producer.Enqueue(ctx, engine.Spec{Kind: "test.shared", Locks: []string{"tenant:" + string(rune('a'+i))}})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, j.ID)
		}
		var mu sync.Mutex
		ranBy := map[int64][]int{}
		var wg sync.WaitGroup
		for w := range 3 {
			e := newEngine(t, db)
			h := func(ctx context.Context, job engine.Job) error {
				run, err := e.Start(ctx, engine.Spec{Kind: job.Kind, Locks: []string{"tenant:" + string(rune('a'+int(job.ID-ids[0])))}, Claim: job.ID})
				if err != nil {
					return err
				}
				mu.Lock()
				ranBy[job.ID] = append(ranBy[job.ID], w)
				mu.Unlock()
				time.Sleep(10 * time.Millisecond)
				return run.Finish(ctx, nil, nil)
			}
			worker := e.NewWorker(map[string]engine.Handler{"test.shared": h}, engine.WorkerOptions{Concurrency: 2, Poll: 10 * time.Millisecond})
			wg.Add(1)
			go func() { defer wg.Done(); worker.Run(ctx) }()
		}
		for _, id := range ids {
			waitStatus(t, db, id, engine.Succeeded)
		}
		stop()
		wg.Wait()
		for _, id := range ids {
			if len(ranBy[id]) != 1 {
				t.Errorf("job %d ran %d times (workers %v), want once", id, len(ranBy[id]), ranBy[id])
			}
		}
	})
}
