package engine_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ferrymigrate/ferry"
	"github.com/ferrymigrate/ferry/internal/engine"
	"github.com/ferrymigrate/ferry/internal/store"
)

func TestLifecycle(t *testing.T) {
	engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEngine(t, db)
		spec := engine.Spec{Kind: "registrar.load", Group: "registrar", Resumable: true, Args: map[string]int{"limit": 3}}
		run := mustStart(t, e, spec)
		if run.Resumed || run.Job.Status != engine.Running || run.Job.Attempts != 1 {
			t.Fatalf("new run: %+v", run.Job)
		}
		// A second job of the same group is refused while the first lives,
		// in this process as in any other.
		if _, err := e.Start(ctx, engine.Spec{Kind: "registrar.transfer", Group: "registrar"}); !errors.Is(err, engine.ErrBusy) {
			t.Fatalf("concurrent start: got %v, want ErrBusy", err)
		}
		// Other groups are independent.
		other := mustStart(t, e, engine.Spec{Kind: "tenant.merge", Group: "tenant"})
		if err := other.Finish(ctx, nil, nil); err != nil {
			t.Fatal(err)
		}

		type cp struct{ Offset int64 }
		err := db.InTx(ctx, func(tx *store.Tx) error {
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
		again := mustStart(t, e, spec)
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
		j, err := engine.Get(ctx, db, run.Job.ID)
		if err != nil {
			t.Fatal(err)
		}
		if j.Status != engine.Succeeded || j.FinishedAt == nil || string(j.Counts) != `{"rows":9}` {
			t.Fatalf("finished job: %+v", j)
		}
		// A succeeded job is never resumed: the same spec starts afresh.
		fresh := mustStart(t, e, spec)
		if fresh.Resumed || fresh.Job.ID == run.Job.ID {
			t.Fatalf("started after success: %+v", fresh.Job)
		}
		if err := fresh.Finish(ctx, nil, errors.New("boom")); err != nil {
			t.Fatal(err)
		}
		jobs, err := engine.List(ctx, db, engine.Filter{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(jobs) != 3 || jobs[0].ID != fresh.Job.ID || jobs[0].Status != engine.Failed || jobs[0].Error != "boom" {
			t.Fatalf("list: %+v", jobs)
		}
		_, err = engine.Get(ctx, db, 9999)
		if !errors.Is(err, engine.ErrNotFound) || ferry.ErrorCode(err) != ferry.ENOTFOUND {
			t.Fatalf("Get(9999) = %v (code %s), want ErrNotFound", err, ferry.ErrorCode(err))
		}
	})
}

func TestListFilters(t *testing.T) {
	engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEngine(t, db)
		for _, k := range []string{"registrar.load-transition-domains", "registrar.transfer", "tenant.merge", "registrar.transfer"} {
			run := mustStart(t, e, engine.Spec{Kind: k})
			var err error
			if k == "tenant.merge" {
				err = errors.New("no")
			}
			if err := run.Finish(ctx, nil, err); err != nil {
				t.Fatal(err)
			}
		}
		count := func(f engine.Filter) int {
			jobs, err := engine.List(ctx, db, f)
			if err != nil {
				t.Fatal(err)
			}
			return len(jobs)
		}
		for _, tt := range []struct {
			f    engine.Filter
			want int
		}{
			{engine.Filter{}, 4},
			{engine.Filter{Kind: "registrar"}, 3},
			{engine.Filter{Kind: "registrar."}, 3},
			{engine.Filter{Kind: "registrar.transfer"}, 2},
			{engine.Filter{Kind: "registrar.trans"}, 0},
			{engine.Filter{Status: engine.Failed}, 1},
			{engine.Filter{Kind: "registrar", Status: engine.Failed}, 0},
			{engine.Filter{Limit: 2}, 2},
		} {
			if got := count(tt.f); got != tt.want {
				t.Errorf("List(%+v) = %d jobs, want %d", tt.f, got, tt.want)
			}
		}
	})
}

// A job whose process died is found dead by its owner lock, which died
// with the process, and resumed. An engine closed without finishing its
// job is such a process.
func TestDeadOwnerIsReaped(t *testing.T) {
	engines(t, func(t *testing.T, db *store.DB) {
		spec := engine.Spec{Kind: "registrar.load", Group: "registrar", Resumable: true}
		dead := engine.New(db)
		run := mustStart(t, dead, spec)
		dead.Close()
		again := mustStart(t, newEngine(t, db), spec)
		if !again.Resumed || again.Job.ID != run.Job.ID {
			t.Fatalf("dead owner's job was not resumed: %+v", again.Job)
		}
	})
}

// A container's ferry is often PID 1 in a new pid namespace: its pid is
// reused by the next ferry at once. A job must not look alive because some
// live process now has its owner's pid. (Before owner locks, every rerun
// was refused forever with "rerun after 10m0s".)
func TestDeadOwnerWithReusedPid(t *testing.T) {
	engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		spec := engine.Spec{Kind: "registrar.load", Group: "registrar", Resumable: true}
		dead := engine.New(db)
		run := mustStart(t, dead, spec)
		dead.Close()
		host, _ := os.Hostname()
		// The dead owner's pid is now this test's own, a live process.
		if _, err := db.Exec(ctx, `UPDATE ferry_job SET owner = ? WHERE id = ?`, fmt.Sprintf("%s:%d", host, os.Getpid()), run.Job.ID); err != nil {
			t.Fatal(err)
		}
		again, err := newEngine(t, db).Start(ctx, spec)
		if err != nil {
			t.Fatalf("rerun after the owner died with a reused pid: %v", err)
		}
		if !again.Resumed || again.Job.ID != run.Job.ID {
			t.Fatalf("not resumed: %+v", again.Job)
		}
	})
}

// A live owner stays alive however long it is silent: a statement may run
// for an hour, and only its process ending frees its lock.
func TestSilentLiveOwnerIsNotReaped(t *testing.T) {
	engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		spec := engine.Spec{Kind: "registrar.load", Group: "registrar", Resumable: true}
		run := mustStart(t, newEngine(t, db), spec)
		stale := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
		if _, err := db.Exec(ctx, `UPDATE ferry_job SET owner = 'elsewhere.invalid:1', heartbeat_at = ? WHERE id = ?`, stale, run.Job.ID); err != nil {
			t.Fatal(err)
		}
		_, err := newEngine(t, db).Start(ctx, spec)
		if !errors.Is(err, engine.ErrBusy) {
			t.Fatalf("second process: got %v, want ErrBusy", err)
		}
		if !strings.Contains(err.Error(), fmt.Sprintf("job %d (registrar.load)", run.Job.ID)) {
			t.Errorf("busy error %q does not name the job in the way", err)
		}
	})
}

// A job recorded by a ferry from before owner locks (no token) is still
// judged the old way: by pid on this host.
func TestLegacyOwnerByPid(t *testing.T) {
	engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Now().UTC()
		host, _ := os.Hostname()
		var id int64
		if err := db.QueryRow(ctx, `INSERT INTO ferry_job (kind, job_group, status, fingerprint, owner, started_at, heartbeat_at)
			VALUES ('registrar.load', 'registrar', 'running', 'fp', ?, ?, ?) RETURNING id`, host+":2147483646", now, now).Scan(&id); err != nil {
			t.Fatal(err)
		}
		run := mustStart(t, newEngine(t, db), engine.Spec{Kind: "registrar.transfer", Group: "registrar"})
		j, err := engine.Get(ctx, db, id)
		if err != nil {
			t.Fatal(err)
		}
		if j.Status != engine.Interrupted {
			t.Fatalf("legacy job with a dead pid: status %s, want interrupted", j.Status)
		}
		_ = run.Finish(ctx, nil, nil)
	})
}

// Two processes starting jobs of one group at the same moment: exactly one
// wins, every time. (The check used to read the job table and then insert,
// and on PostgreSQL both won in 22 of 40 trials.)
func TestBusyCheckHasNoRace(t *testing.T) {
	engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a, b := newEngine(t, db), newEngine(t, db)
		for round := range 40 {
			var wg sync.WaitGroup
			runs := make([]*engine.Run, 2)
			errs := make([]error, 2)
			for i, e := range []*engine.Engine{a, b} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					runs[i], errs[i] = e.Start(ctx, engine.Spec{Kind: "registrar.load", Group: "registrar"})
				}()
			}
			wg.Wait()
			won := 0
			for i := range runs {
				switch {
				case errs[i] == nil:
					won++
				case !errors.Is(errs[i], engine.ErrBusy):
					t.Fatalf("round %d: %v", round, errs[i])
				}
			}
			if won != 1 {
				t.Fatalf("round %d: %d of 2 concurrent starts won, want exactly 1", round, won)
			}
			for _, r := range runs {
				if r != nil {
					if err := r.Finish(ctx, nil, nil); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
	})
}

// Extra lock names (a tenant id) exclude every job that names one of them,
// whatever its group, and are taken all or none.
func TestNamedLocks(t *testing.T) {
	engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a, b := newEngine(t, db), newEngine(t, db)
		first := mustStart(t, a, engine.Spec{Kind: "tenant.merge", Locks: []string{"tenant:1", "tenant:2"}})
		_, err := b.Start(ctx, engine.Spec{Kind: "tenant.merge", Locks: []string{"tenant:3", "tenant:2"}})
		if !errors.Is(err, engine.ErrBusy) || !strings.Contains(err.Error(), `"tenant:2"`) {
			t.Fatalf("overlapping tenants: got %v, want ErrBusy naming tenant:2", err)
		}
		// The refused start took nothing: tenant 3 is free.
		third := mustStart(t, a, engine.Spec{Kind: "tenant.merge", Locks: []string{"tenant:3"}})
		if err := first.Finish(ctx, nil, nil); err != nil {
			t.Fatal(err)
		}
		if err := third.Finish(ctx, nil, nil); err != nil {
			t.Fatal(err)
		}
		// Finished jobs let go: the other process can have both now.
		mustStart(t, b, engine.Spec{Kind: "tenant.merge", Locks: []string{"tenant:3", "tenant:2"}})
	})
}

// A job inside another (a load inside a migrate) shares its parent's
// locks and step count, and is listed under it.
func TestChildJobSharesLocks(t *testing.T) {
	engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEngine(t, db)
		parent := mustStart(t, e, engine.Spec{Kind: "registrar.migrate", Group: "registrar"})
		parent.PlanSteps(3)
		child := mustStart(t, e, engine.Spec{Kind: "registrar.load", Group: "registrar", Parent: parent})
		if child.Job.ParentID == nil || *child.Job.ParentID != parent.Job.ID {
			t.Fatalf("child's parent: %v", child.Job.ParentID)
		}
		var events []engine.Event
		ch, cancel := e.Events().Subscribe(parent.Job.ID)
		child.PlanSteps(10) // the parent planned: ignored
		child.Phase("read", "bytes", 10).End(nil)
		parent.Phase("analyze", "", 0).End(nil)
		cancel()
		for ev := range ch {
			events = append(events, ev)
		}
		var got []string
		for _, ev := range events {
			if ev.State == engine.PhaseDone {
				got = append(got, fmt.Sprintf("%s %d/%d job=%v", ev.Phase, ev.Step, ev.Steps, ev.Job == child.Job.ID))
			}
		}
		want := []string{"read 1/3 job=true", "analyze 2/3 job=false"}
		if strings.Join(got, ", ") != strings.Join(want, ", ") {
			t.Errorf("steps: got %v, want %v", got, want)
		}
		if err := child.Finish(ctx, nil, nil); err != nil {
			t.Fatal(err)
		}
		// The child's end does not release the parent's lock.
		if _, err := newEngine(t, db).Start(ctx, engine.Spec{Kind: "registrar.load", Group: "registrar"}); !errors.Is(err, engine.ErrBusy) {
			t.Fatalf("after the child ended: got %v, want ErrBusy", err)
		}
		kids, err := engine.List(ctx, db, engine.Filter{Parent: parent.Job.ID})
		if err != nil || len(kids) != 1 || kids[0].ID != child.Job.ID {
			t.Fatalf("children: %v, %v", kids, err)
		}
		_ = parent.Finish(ctx, nil, nil)
	})
}

// An interrupted job whose input files changed can never be resumed; the
// next run of its kind abandons it so that nothing it left behind stays
// forever. One whose files are unchanged survives and resumes later.
func TestChangedInputsAbandonInterruptedJob(t *testing.T) {
	engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		dir := t.TempDir()
		write := func(name, text string) engine.Input {
			p := filepath.Join(dir, name)
			if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
			in, err := engine.HashFile("contacts", p)
			if err != nil {
				t.Fatal(err)
			}
			return in
		}
		e := newEngine(t, db)
		interrupt := func(in engine.Input) int64 {
			run := mustStart(t, e, engine.Spec{Kind: "load", Resumable: true, Inputs: []engine.Input{in}})
			if err := run.Finish(ctx, nil, context.Canceled); err != nil {
				t.Fatal(err)
			}
			return run.Job.ID
		}
		finish := func(in engine.Input) *engine.Run {
			run := mustStart(t, e, engine.Spec{Kind: "load", Resumable: true, Inputs: []engine.Input{in}})
			if err := run.Finish(ctx, nil, nil); err != nil {
				t.Fatal(err)
			}
			return run
		}
		kept := interrupt(write("a.txt", "one"))
		other := finish(write("b.txt", "other file"))
		if len(other.Superseded) != 0 {
			t.Fatalf("a load of other files abandoned %v", other.Superseded)
		}
		changed := interrupt(write("c.txt", "before"))
		fixed := finish(write("c.txt", "after!"))
		if fmt.Sprint(fixed.Superseded) != fmt.Sprint([]int64{changed}) {
			t.Fatalf("superseded %v, want [%d]", fixed.Superseded, changed)
		}
		for id, want := range map[int64]engine.Status{kept: engine.Interrupted, changed: engine.Abandoned} {
			j, err := engine.Get(ctx, db, id)
			if err != nil || j.Status != want {
				t.Errorf("job %d: %s, %v; want %s", id, j.Status, err, want)
			}
		}
	})
}

// On PostgreSQL a running job records, every heartbeat, that it is alive
// and how far it got, for readers in other processes; Finish stops it.
func TestHeartbeatRecordsProgress(t *testing.T) {
	defer engine.SetHeartbeatEvery(20 * time.Millisecond)()
	engines(t, func(t *testing.T, db *store.DB) {
		if db.Dialect() != store.Postgres {
			t.Skip("SQLite records progress with each checkpoint; it has no second connection to beat on")
		}
		ctx := context.Background()
		run := mustStart(t, newEngine(t, db), engine.Spec{Kind: "registrar.load"})
		tr := run.Phase("read contacts", "bytes", 100)
		tr.Update(40, 7)
		deadline := time.Now().Add(5 * time.Second)
		for {
			j, err := engine.Get(ctx, db, run.Job.ID)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(j.Progress), `"phase":"read contacts"`) && strings.Contains(string(j.Progress), `"done":40`) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no progress recorded within 5s: %s", j.Progress)
			}
			time.Sleep(10 * time.Millisecond)
		}
		if err := run.Finish(ctx, nil, nil); err != nil {
			t.Fatal(err)
		}
		last, _ := engine.Get(ctx, db, run.Job.ID)
		time.Sleep(100 * time.Millisecond)
		if again, _ := engine.Get(ctx, db, run.Job.ID); !again.HeartbeatAt.Equal(last.HeartbeatAt) {
			t.Fatalf("heartbeat after Finish: %v then %v", last.HeartbeatAt, again.HeartbeatAt)
		}
	})
}

func TestHashFileRefusesWhatIsNotAFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f.txt")
	if err := os.WriteFile(p, []byte("abc"), 0o644); err != nil {
		t.Fatal(err)
	}
	in, err := engine.HashFile("contacts", p)
	if err != nil {
		t.Fatal(err)
	}
	const want = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
	if in.SHA256 != want || in.Size != 3 {
		t.Fatalf("HashFile = %+v", in)
	}
	for name, path := range map[string]string{"missing": filepath.Join(dir, "missing"), "directory": dir, "device": os.DevNull} {
		if _, err := engine.HashFile("x", path); ferry.ErrorCode(err) != ferry.EINPUT {
			t.Errorf("%s: got %v, want an input error", name, err)
		}
	}
}
