package job_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/ferrymigrate/ferry/internal/job"
	"github.com/ferrymigrate/ferry/internal/store"
	"github.com/ferrymigrate/ferry/internal/store/storetest"
)

func TestLifecycle(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		spec := job.Spec{Kind: "registrar.load", Group: "registrar", Resumable: true, Args: map[string]int{"limit": 3}}
		run, err := job.Start(ctx, db, spec)
		if err != nil {
			t.Fatal(err)
		}
		if run.Resumed || run.Job.Status != job.Running || run.Job.Attempts != 1 {
			t.Fatalf("new run: %+v", run.Job)
		}
		// A second job of the same group is refused while the first lives.
		if _, err := job.Start(ctx, db, job.Spec{Kind: "registrar.transfer", Group: "registrar"}); !errors.Is(err, job.ErrBusy) {
			t.Fatalf("concurrent start: got %v, want ErrBusy", err)
		}
		// Other groups are independent.
		other, err := job.Start(ctx, db, job.Spec{Kind: "tenant.merge", Group: "tenant"})
		if err != nil {
			t.Fatal(err)
		}
		if err := other.Finish(ctx, nil, nil); err != nil {
			t.Fatal(err)
		}

		type cp struct{ Offset int64 }
		err = db.InTx(ctx, func(tx *store.Tx) error {
			return run.Checkpoint(ctx, tx, "read", cp{Offset: 42}, map[string]int{"rows": 7})
		})
		if err != nil {
			t.Fatal(err)
		}
		// The operator interrupts: the run is marked interrupted, then the
		// same spec resumes it with its checkpoint.
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if err := run.Finish(cctx, nil, context.Canceled); err != nil {
			t.Fatal(err)
		}
		again, err := job.Start(ctx, db, spec)
		if err != nil {
			t.Fatal(err)
		}
		if !again.Resumed || again.Job.ID != run.Job.ID || again.Job.Attempts != 2 {
			t.Fatalf("resume: %+v", again.Job)
		}
		var got cp
		if err := again.LoadCheckpoint(&got); err != nil || got.Offset != 42 {
			t.Fatalf("checkpoint = %+v, %v", got, err)
		}
		if err := again.Finish(ctx, map[string]int{"rows": 9}, nil); err != nil {
			t.Fatal(err)
		}
		j, err := job.Get(ctx, db, run.Job.ID)
		if err != nil {
			t.Fatal(err)
		}
		if j.Status != job.Succeeded || j.FinishedAt == nil || string(j.Counts) != `{"rows":9}` {
			t.Fatalf("finished job: %+v", j)
		}
		// A succeeded job is never resumed: the same spec starts afresh.
		fresh, err := job.Start(ctx, db, spec)
		if err != nil {
			t.Fatal(err)
		}
		if fresh.Resumed || fresh.Job.ID == run.Job.ID {
			t.Fatalf("started after success: %+v", fresh.Job)
		}
		if err := fresh.Finish(ctx, nil, errors.New("boom")); err != nil {
			t.Fatal(err)
		}
		jobs, err := job.List(ctx, db, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(jobs) != 3 || jobs[0].ID != fresh.Job.ID || jobs[0].Status != job.Failed || jobs[0].Error != "boom" {
			t.Fatalf("list: %+v", jobs)
		}
		if _, err := job.Get(ctx, db, 9999); !errors.Is(err, job.ErrNotFound) {
			t.Fatalf("Get(9999) = %v, want ErrNotFound", err)
		}
	})
}

// A job whose process died without finishing is found dead and resumed.
func TestReapDeadOwner(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		spec := job.Spec{Kind: "registrar.load", Group: "registrar", Resumable: true}
		run, err := job.Start(ctx, db, spec)
		if err != nil {
			t.Fatal(err)
		}
		host, _ := os.Hostname()
		// Pid 0x7ffffffe is far above any pid_max, so no such process exists.
		if _, err := db.Exec(ctx, `UPDATE ferry_job SET owner = ? WHERE id = ?`, host+":2147483646", run.Job.ID); err != nil {
			t.Fatal(err)
		}
		again, err := job.Start(ctx, db, spec)
		if err != nil {
			t.Fatal(err)
		}
		if !again.Resumed || again.Job.ID != run.Job.ID {
			t.Fatalf("dead owner's job was not resumed: %+v", again.Job)
		}
	})
}

func TestHashFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f.txt")
	if err := os.WriteFile(p, []byte("abc"), 0o644); err != nil {
		t.Fatal(err)
	}
	in, err := job.HashFile("contacts", p)
	if err != nil {
		t.Fatal(err)
	}
	const want = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
	if in.SHA256 != want || in.Size != 3 {
		t.Fatalf("HashFile = %+v", in)
	}
	if _, err := job.HashFile("x", filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Fatal("missing file hashed without error")
	}
}
