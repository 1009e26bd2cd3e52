// Package job records every ferry command run durably: what it read (with
// checksums), the phase it is in, its counts, its checkpoint and how it
// ended. A run that dies is found again by its fingerprint and resumed from
// its last checkpoint instead of starting over.
package job

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/ferrymigrate/ferry/internal/store"
)

// Status is where a job stands.
type Status string

const (
	Running     Status = "running"
	Succeeded   Status = "succeeded"
	Failed      Status = "failed"
	Interrupted Status = "interrupted"
)

// ErrBusy means another live ferry process holds a job of the same group.
var ErrBusy = errors.New("another ferry job is running")

// staleAfter is how long a running job on another host may stay silent
// before ferry treats its process as dead. Jobs on this host are checked by
// pid instead, so a crash there is noticed at once.
const staleAfter = 10 * time.Minute

// heartbeatEvery is how often a running job on PostgreSQL says it is alive,
// so that a single statement running for longer than staleAfter does not
// look like a dead process to ferry on another host.
var heartbeatEvery = staleAfter / 5

// Spec describes a run about to start.
type Spec struct {
	Kind string // e.g. "registrar.load-transition-domains"
	// Group serialises jobs that must not overlap, e.g. "registrar".
	Group  string
	Args   any
	Inputs []Input
	DryRun bool
	// Resumable jobs pick up an interrupted run with the same fingerprint.
	Resumable bool
}

// Job is a stored job record.
type Job struct {
	ID          int64           `json:"id"`
	Kind        string          `json:"kind"`
	Status      Status          `json:"status"`
	Phase       string          `json:"phase"`
	DryRun      bool            `json:"dryRun"`
	Fingerprint string          `json:"fingerprint"`
	Args        json.RawMessage `json:"args"`
	Inputs      []Input         `json:"inputs"`
	Counts      json.RawMessage `json:"counts"`
	Checkpoint  json.RawMessage `json:"checkpoint"`
	Error       string          `json:"error,omitempty"`
	Owner       string          `json:"owner"`
	Attempts    int             `json:"attempts"`
	StartedAt   time.Time       `json:"startedAt"`
	HeartbeatAt time.Time       `json:"heartbeatAt"`
	FinishedAt  *time.Time      `json:"finishedAt"`
}

// Run is a job this process owns.
type Run struct {
	db       *store.DB
	Job      Job
	Resumed  bool
	stopBeat func()
}

// Start records a new run, or claims an interrupted one with the same
// fingerprint when the spec is resumable.
func Start(ctx context.Context, db *store.DB, spec Spec) (*Run, error) {
	args, err := json.Marshal(spec.Args)
	if err != nil {
		return nil, err
	}
	if spec.Inputs == nil {
		spec.Inputs = []Input{}
	}
	inputs, _ := json.Marshal(spec.Inputs)
	fp := fingerprint(spec.Kind, args, spec.Inputs, spec.DryRun)
	owner := ownerID()
	now := time.Now().UTC()
	run := &Run{db: db}
	err = db.InTx(ctx, func(tx *store.Tx) error {
		if err := reapDead(ctx, tx, now); err != nil {
			return err
		}
		if spec.Group != "" {
			var id int64
			var kind string
			err := tx.QueryRow(ctx, `SELECT id, kind FROM ferry_job WHERE status = 'running' AND job_group = ? ORDER BY id LIMIT 1`,
				spec.Group).Scan(&id, &kind)
			if err == nil {
				return fmt.Errorf("%w: job %d (%s); wait for it or, if its process is gone, rerun after %s", ErrBusy, id, kind, staleAfter)
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		if spec.Resumable {
			var id int64
			err := tx.QueryRow(ctx, `SELECT id FROM ferry_job WHERE fingerprint = ? AND status = 'interrupted' ORDER BY id DESC LIMIT 1`, fp).Scan(&id)
			switch {
			case err == nil:
				if _, err := tx.Exec(ctx, `UPDATE ferry_job SET status = 'running', owner = ?, attempts = attempts + 1, heartbeat_at = ?, error = '', finished_at = NULL WHERE id = ?`, owner, now, id); err != nil {
					return err
				}
				j, err := get(ctx, tx, id)
				if err != nil {
					return err
				}
				run.Job, run.Resumed = j, true
				return nil
			case !errors.Is(err, sql.ErrNoRows):
				return err
			}
		}
		var id int64
		err := tx.QueryRow(ctx, `INSERT INTO ferry_job (kind, job_group, status, dry_run, fingerprint, args, inputs, owner, started_at, heartbeat_at)
			VALUES (?, ?, 'running', ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			spec.Kind, spec.Group, spec.DryRun, fp, string(args), string(inputs), owner, now, now).Scan(&id)
		if err != nil {
			return err
		}
		j, err := get(ctx, tx, id)
		run.Job = j
		return err
	})
	if err != nil {
		return nil, err
	}
	run.stopBeat = run.heartbeat(heartbeatEvery)
	return run, nil
}

// heartbeat refreshes heartbeat_at every interval until the returned
// function is called. It writes from its own connection, so it needs a
// database with more than one: on SQLite, which ferry gives one connection
// and which other hosts rarely share, the pid check covers liveness. The
// job's transactions only update the job row just before they commit, so
// a beat never waits behind a long statement for more than a moment.
func (r *Run) heartbeat(interval time.Duration) func() {
	if r.db.Dialect() != store.Postgres {
		return func() {}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				// A failed beat is not the job's failure: the next one, or
				// the job's own checkpoint, tries again.
				_, _ = r.db.Exec(ctx, `UPDATE ferry_job SET heartbeat_at = ? WHERE id = ? AND status = 'running'`, time.Now().UTC(), r.Job.ID)
			}
		}
	}()
	return func() { cancel(); <-done }
}

// reapDead marks running jobs whose process is gone as interrupted, so they
// can be resumed and no longer block their group.
func reapDead(ctx context.Context, tx *store.Tx, now time.Time) error {
	rows, err := tx.Query(ctx, `SELECT id, owner, heartbeat_at FROM ferry_job WHERE status = 'running'`)
	if err != nil {
		return err
	}
	var dead []int64
	for rows.Next() {
		var id int64
		var owner string
		var hb time.Time
		if err := rows.Scan(&id, &owner, &hb); err != nil {
			rows.Close()
			return err
		}
		if ownerDead(owner, hb, now) {
			dead = append(dead, id)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, id := range dead {
		if _, err := tx.Exec(ctx, `UPDATE ferry_job SET status = 'interrupted', error = 'process ended without finishing' WHERE id = ?`, id); err != nil {
			return err
		}
	}
	return nil
}

func ownerDead(owner string, heartbeat, now time.Time) bool {
	host, pidText, ok := strings.Cut(owner, ":")
	myHost, _ := os.Hostname()
	if ok && host == myHost {
		pid, err := strconv.Atoi(pidText)
		if err != nil {
			return true
		}
		if pid == os.Getpid() {
			return false
		}
		// Signal 0 checks existence without touching the process.
		err = syscall.Kill(pid, 0)
		return errors.Is(err, syscall.ESRCH)
	}
	return now.Sub(heartbeat) > staleAfter
}

func ownerID() string {
	host, _ := os.Hostname()
	return host + ":" + strconv.Itoa(os.Getpid())
}

func fingerprint(kind string, args []byte, inputs []Input, dryRun bool) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%t", kind, args, dryRun)
	for _, in := range inputs {
		fmt.Fprintf(h, "\x00%s=%s", in.Role, in.SHA256)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Checkpoint stores progress inside the caller's transaction, so the work a
// checkpoint describes and the checkpoint itself commit together.
func (r *Run) Checkpoint(ctx context.Context, tx *store.Tx, phase string, cp any, counts any) error {
	cpJSON, err := json.Marshal(cp)
	if err != nil {
		return err
	}
	countsJSON, err := json.Marshal(counts)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `UPDATE ferry_job SET phase = ?, checkpoint = ?, counts = ?, heartbeat_at = ? WHERE id = ?`,
		phase, string(cpJSON), string(countsJSON), time.Now().UTC(), r.Job.ID)
	if err == nil {
		r.Job.Phase, r.Job.Checkpoint, r.Job.Counts = phase, cpJSON, countsJSON
	}
	return err
}

// LoadCheckpoint decodes the stored checkpoint into v; an empty one leaves v alone.
func (r *Run) LoadCheckpoint(v any) error {
	if len(r.Job.Checkpoint) == 0 || string(r.Job.Checkpoint) == "{}" || string(r.Job.Checkpoint) == "null" {
		return nil
	}
	return json.Unmarshal(r.Job.Checkpoint, v)
}

// SetPhase records the phase outside any transaction.
func (r *Run) SetPhase(ctx context.Context, phase string) error {
	_, err := r.db.Exec(ctx, `UPDATE ferry_job SET phase = ?, heartbeat_at = ? WHERE id = ?`, phase, time.Now().UTC(), r.Job.ID)
	if err == nil {
		r.Job.Phase = phase
	}
	return err
}

// Finish records the outcome. A cancelled context means the operator
// stopped the run: it is marked interrupted so the next run resumes it.
func (r *Run) Finish(ctx context.Context, counts any, runErr error) error {
	if r.stopBeat != nil {
		r.stopBeat()
	}
	status, msg := Succeeded, ""
	if runErr != nil {
		status, msg = Failed, runErr.Error()
		if errors.Is(runErr, context.Canceled) || ctx.Err() != nil {
			status = Interrupted
		}
	}
	countsJSON, err := json.Marshal(counts)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	// The run's own context may be cancelled; the record must still be written.
	_, err = r.db.Exec(context.WithoutCancel(ctx), `UPDATE ferry_job SET status = ?, error = ?, counts = ?, finished_at = ?, heartbeat_at = ? WHERE id = ?`,
		string(status), msg, string(countsJSON), now, now, r.Job.ID)
	if err == nil {
		r.Job.Status, r.Job.Error, r.Job.Counts, r.Job.FinishedAt = status, msg, countsJSON, &now
	}
	return err
}

const jobColumns = `id, kind, status, phase, dry_run, fingerprint, args, inputs, counts, checkpoint, error, owner, attempts, started_at, heartbeat_at, finished_at`

func scanJob(sc interface{ Scan(...any) error }) (Job, error) {
	var j Job
	var args, inputs, counts, cp string
	var finished sql.NullTime
	err := sc.Scan(&j.ID, &j.Kind, &j.Status, &j.Phase, &j.DryRun, &j.Fingerprint, &args, &inputs, &counts, &cp,
		&j.Error, &j.Owner, &j.Attempts, &j.StartedAt, &j.HeartbeatAt, &finished)
	if err != nil {
		return j, err
	}
	j.Args, j.Counts, j.Checkpoint = json.RawMessage(args), json.RawMessage(counts), json.RawMessage(cp)
	if err := json.Unmarshal([]byte(inputs), &j.Inputs); err != nil {
		return j, fmt.Errorf("job %d: inputs: %w", j.ID, err)
	}
	if finished.Valid {
		t := finished.Time.UTC()
		j.FinishedAt = &t
	}
	j.StartedAt, j.HeartbeatAt = j.StartedAt.UTC(), j.HeartbeatAt.UTC()
	return j, nil
}

// ErrNotFound is returned by Get for an unknown id.
var ErrNotFound = errors.New("job not found")

func get(ctx context.Context, q store.Querier, id int64) (Job, error) {
	j, err := scanJob(q.QueryRow(ctx, `SELECT `+jobColumns+` FROM ferry_job WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return j, fmt.Errorf("%w: %d", ErrNotFound, id)
	}
	return j, err
}

// Get loads one job.
func Get(ctx context.Context, db *store.DB, id int64) (Job, error) { return get(ctx, db, id) }

// List returns the most recent jobs first.
func List(ctx context.Context, db *store.DB, limit int) ([]Job, error) {
	if limit <= 0 {
		limit = 50
	}
	rows, err := db.Query(ctx, `SELECT `+jobColumns+` FROM ferry_job ORDER BY id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	jobs := []Job{}
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			return nil, err
		}
		jobs = append(jobs, j)
	}
	return jobs, rows.Err()
}
