package engine

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"strings"
	"time"

	"github.com/ferrymigrate/ferry"
	"github.com/ferrymigrate/ferry/internal/store"
)

// Statuses of background jobs.
const (
	// Queued is a background job no worker has started yet.
	Queued Status = "queued"
	// Cancelled is a background job stopped at someone's request; a worker
	// never resumes it. What it changed stays, journalled, until rolled
	// back.
	Cancelled Status = "cancelled"
)

// ErrClaimed means a queued job was taken by another worker, or cancelled,
// before this one could start it.
var ErrClaimed = &ferry.Error{Code: ferry.EBUSY, Message: "the job was started by another worker, or cancelled"}

// ErrCancelled ends a job whose cancellation was asked for: its run stops
// at its next checkpoint, whose batch rolls back.
var ErrCancelled = &ferry.Error{Code: ferry.EINTERRUPTED, Message: "cancelled on request"}

// Enqueue records a job for a worker to run in the background and returns
// it, queued. It refuses with ErrBusy, naming the job in the way, when a
// queued, running or resumable background job already claims one of the
// spec's locks: the request is answered now rather than failing later.
// The check and the insert are one transaction, serialised across
// processes, so two requests for the same tenant cannot both be queued.
func (e *Engine) Enqueue(ctx context.Context, spec Spec) (Job, error) {
	args, err := json.Marshal(spec.Args)
	if err != nil {
		return Job{}, err
	}
	if spec.Inputs == nil {
		spec.Inputs = []Input{}
	}
	inputs, _ := json.Marshal(spec.Inputs)
	fp := fingerprint(spec.Kind, args, spec.Inputs, spec.DryRun)
	want := specLocks(spec)
	if err := e.locks.own(ctx); err != nil {
		return Job{}, err
	}
	var job Job
	err = e.db.InTx(ctx, func(tx *store.Tx) error {
		if tx.Dialect() == store.Postgres {
			// SQLite's write transactions are serial already.
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(?)`, queueLockKey(e.locks.ns)); err != nil {
				return err
			}
		}
		if err := e.reapDead(ctx, tx); err != nil {
			return err
		}
		if err := claimsNone(ctx, tx, want); err != nil {
			return err
		}
		now := time.Now().UTC()
		var id int64
		if err := tx.QueryRow(ctx, `INSERT INTO ferry_job (kind, job_group, status, dry_run, fingerprint, args, inputs, locks, background, started_at, heartbeat_at)
			VALUES (?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			spec.Kind, spec.Group, spec.DryRun, fp, string(args), string(inputs), strings.Join(want, " "), true, now, now).Scan(&id); err != nil {
			return err
		}
		job, err = get(ctx, tx, id)
		return err
	})
	return job, err
}

// queueLockKey is the transaction lock that serialises Enqueue within one
// ferry schema.
func queueLockKey(ns string) int64 {
	h := fnv.New64a()
	h.Write([]byte(ns + "\x00ferry.enqueue"))
	return int64(h.Sum64())
}

// specLocks are the lock names a spec asks for.
func specLocks(spec Spec) []string {
	var want []string
	if spec.Group != "" {
		want = append(want, "group:"+spec.Group)
	}
	return append(want, spec.Locks...)
}

// claimsNone refuses when a job that is running, queued, or interrupted in
// the background (a worker will resume it) names one of want.
func claimsNone(ctx context.Context, tx *store.Tx, want []string) error {
	if len(want) == 0 {
		return nil
	}
	rows, err := tx.Query(ctx, `SELECT id, kind, status, locks FROM ferry_job
		WHERE status IN ('running', 'queued') OR (background AND status = 'interrupted') ORDER BY id`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var kind, status, locks string
		if err := rows.Scan(&id, &kind, &status, &locks); err != nil {
			return err
		}
		for _, name := range strings.Fields(locks) {
			if slicesContain(want, name) {
				return &ferry.Error{Code: ferry.EBUSY, Err: ErrBusy,
					Message: fmt.Sprintf("%s: job %d (%s, %s) holds %q", ErrBusy.Message, id, kind, status, name),
					Hint:    "wait for it to finish, or cancel it"}
			}
		}
	}
	return rows.Err()
}

// claim makes the queued or interrupted job spec.Claim this run's, in
// Start's transaction, once Start holds the job's locks.
func (e *Engine) claim(ctx context.Context, tx *store.Tx, run *Run, spec Spec, owner, lockText string, now time.Time) error {
	var status Status
	var cancel bool
	err := tx.QueryRow(ctx, `SELECT status, cancel_requested FROM ferry_job WHERE id = ?`, spec.Claim).Scan(&status, &cancel)
	if errors.Is(err, sql.ErrNoRows) {
		return &ferry.Error{Code: ferry.ENOTFOUND, Message: fmt.Sprintf("%s: %d", ErrNotFound.Message, spec.Claim), Err: ErrNotFound}
	}
	if err != nil {
		return err
	}
	if cancel || (status != Queued && status != Interrupted) {
		return ErrClaimed
	}
	n, err := tx.Exec(ctx, `UPDATE ferry_job SET status = 'running', owner = ?, owner_token = ?, locks = ?,
		attempts = attempts + CASE WHEN status = 'queued' THEN 0 ELSE 1 END,
		started_at = CASE WHEN status = 'queued' THEN ? ELSE started_at END,
		heartbeat_at = ?, error = '', finished_at = NULL
		WHERE id = ? AND status IN ('queued', 'interrupted') AND NOT cancel_requested`,
		owner, e.locks.token, lockText, now, now, spec.Claim)
	if err != nil {
		return err
	}
	if n == 0 {
		return ErrClaimed
	}
	j, err := get(ctx, tx, spec.Claim)
	if err != nil {
		return err
	}
	run.Job, run.Resumed = j, status == Interrupted
	return nil
}

// Cancel asks for a job to stop. A queued or interrupted background job is
// cancelled at once; a running one is stopped by the worker that runs it,
// at its next batch, and then marked cancelled. It returns the job as it
// stands. A finished job cannot be cancelled.
func (e *Engine) Cancel(ctx context.Context, id int64) (Job, error) {
	var job Job
	err := e.db.InTx(ctx, func(tx *store.Tx) error {
		j, err := get(ctx, tx, id)
		if err != nil {
			return err
		}
		switch j.Status {
		case Queued, Interrupted:
			now := time.Now().UTC()
			if _, err := tx.Exec(ctx, `UPDATE ferry_job SET status = 'cancelled', cancel_requested = ?, error = 'cancelled on request', finished_at = ? WHERE id = ?`,
				true, now, id); err != nil {
				return err
			}
		case Running:
			if _, err := tx.Exec(ctx, `UPDATE ferry_job SET cancel_requested = ? WHERE id = ?`, true, id); err != nil {
				return err
			}
		default:
			return &ferry.Error{Code: ferry.ECONFLICT, Message: fmt.Sprintf("job %d has already ended (%s)", id, j.Status)}
		}
		job, err = get(ctx, tx, id)
		return err
	})
	return job, err
}

// CancelRequested says whether someone asked for job id to stop.
func CancelRequested(ctx context.Context, q store.Querier, id int64) (bool, error) {
	var c bool
	err := q.QueryRow(ctx, `SELECT cancel_requested FROM ferry_job WHERE id = ?`, id).Scan(&c)
	return c, err
}
