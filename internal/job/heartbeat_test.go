package job_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ferrymigrate/ferry/internal/job"
	"github.com/ferrymigrate/ferry/internal/store"
	"github.com/ferrymigrate/ferry/internal/store/storetest"
)

// A job owned by a process on another host is judged by its heartbeat. A
// live run keeps beating, so another ferry keeps waiting for it instead of
// taking it for dead in the middle of a long statement.
func TestHeartbeatKeepsRemoteJobAlive(t *testing.T) {
	defer job.SetHeartbeatEvery(20 * time.Millisecond)()
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		spec := job.Spec{Kind: "registrar.load", Group: "registrar"}
		run, err := job.Start(ctx, db, spec)
		if err != nil {
			t.Fatal(err)
		}
		// Pretend the run belongs to another host and fell silent long ago.
		stale := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
		if _, err := db.Exec(ctx, `UPDATE ferry_job SET owner = 'elsewhere.invalid:1', heartbeat_at = ? WHERE id = ?`, stale, run.Job.ID); err != nil {
			t.Fatal(err)
		}
		beat := func() time.Time {
			j, err := job.Get(ctx, db, run.Job.ID)
			if err != nil {
				t.Fatal(err)
			}
			return j.HeartbeatAt
		}
		if db.Dialect() != store.Postgres {
			// SQLite has one connection and no heartbeat; liveness there is
			// the pid check, so a stale remote owner is reaped.
			time.Sleep(100 * time.Millisecond)
			if got := beat(); !got.Equal(stale) {
				t.Fatalf("heartbeat moved on SQLite: %v", got)
			}
			if _, err := job.Start(ctx, db, spec); err != nil {
				t.Fatalf("stale remote job was not reaped: %v", err)
			}
			return
		}
		deadline := time.Now().Add(5 * time.Second)
		for beat().Equal(stale) {
			if time.Now().After(deadline) {
				t.Fatal("no heartbeat within 5s")
			}
			time.Sleep(10 * time.Millisecond)
		}
		if _, err := job.Start(ctx, db, spec); !errors.Is(err, job.ErrBusy) {
			t.Fatalf("beating remote job: got %v, want ErrBusy", err)
		}
		// Finish stops the beat: the finished job's heartbeat stays put.
		if err := run.Finish(ctx, nil, nil); err != nil {
			t.Fatal(err)
		}
		last := beat()
		time.Sleep(100 * time.Millisecond)
		if got := beat(); !got.Equal(last) {
			t.Fatalf("heartbeat after Finish: %v then %v", last, got)
		}
	})
}
