package engine

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
	"sync"
	"syscall"
	"time"

	"github.com/ferrymigrate/ferry"
	"github.com/ferrymigrate/ferry/internal/store"
)

// Status is where a job stands.
type Status string

const (
	Running     Status = "running"
	Succeeded   Status = "succeeded"
	Failed      Status = "failed"
	Interrupted Status = "interrupted"
	// Abandoned is an interrupted job that a newer run of the same kind,
	// on other inputs, took the place of: it will never be resumed.
	Abandoned Status = "abandoned"
)

// ErrBusy means another job holds a lock this one needs.
var ErrBusy = &ferry.Error{Code: ferry.EBUSY, Message: "another ferry job is running"}

// ErrNotFound is returned for an unknown job id.
var ErrNotFound = &ferry.Error{Code: ferry.ENOTFOUND, Message: "job not found"}

// legacyStaleAfter is how long a job recorded by a ferry from before owner
// locks may stay silent on another host before it is taken for dead.
const legacyStaleAfter = 10 * time.Minute

// heartbeatEvery is how often a running job on PostgreSQL records that it
// is alive and how far it got, for readers in other processes.
var heartbeatEvery = 2 * time.Minute

// Spec describes a run about to start.
type Spec struct {
	Kind string // e.g. "registrar.load-transition-domains"
	// Group serialises jobs that must not overlap, e.g. "registrar".
	Group string
	// Locks are further names the job needs to itself, e.g. "tenant:42".
	Locks []string
	// Parent is the job this one runs inside; it shares the parent's locks
	// and step count.
	Parent *Run
	Args   any
	Inputs []Input
	DryRun bool
	// Resumable jobs pick up an interrupted run with the same fingerprint.
	Resumable bool
	// Claim, when set, is a queued or interrupted background job (see
	// Enqueue) that this run takes over instead of recording a new one.
	Claim int64
}

// Job is a stored job record.
type Job struct {
	ID          int64           `json:"id"`
	ParentID    *int64          `json:"parentId,omitempty"`
	Kind        string          `json:"kind"`
	Status      Status          `json:"status"`
	Phase       string          `json:"phase"`
	DryRun      bool            `json:"dryRun"`
	Fingerprint string          `json:"fingerprint"`
	Args        json.RawMessage `json:"args"`
	Inputs      []Input         `json:"inputs"`
	Counts      json.RawMessage `json:"counts"`
	Checkpoint  json.RawMessage `json:"checkpoint"`
	Progress    json.RawMessage `json:"progress"`
	Error       string          `json:"error,omitempty"`
	Owner       string          `json:"owner"`
	Attempts    int             `json:"attempts"`
	StartedAt   time.Time       `json:"startedAt"`
	HeartbeatAt time.Time       `json:"heartbeatAt"`
	FinishedAt  *time.Time      `json:"finishedAt"`
}

// Run is a job this process owns.
type Run struct {
	e          *Engine
	Job        Job
	Resumed    bool
	Superseded []int64 // interrupted jobs this run took the place of
	parent     *Run
	root       int64
	steps      *steps
	locks      []string // the names this run took, released by Finish
	stopBeat   func()

	progressMu sync.Mutex
	lastEvent  Event
	current    *Tracker // the phase running now, for Note
	finishOnce sync.Once
}

// Engine is the engine the run belongs to.
func (r *Run) Engine() *Engine { return r.e }

// DB is the run's database.
func (r *Run) DB() *store.DB { return r.e.db }

// held reports whether r or a run it is inside holds name.
func (r *Run) held(name string) bool {
	for p := r; p != nil; p = p.parent {
		for _, n := range p.locks {
			if n == name {
				return true
			}
		}
	}
	return false
}

// Start records a new run, or claims an interrupted one with the same
// fingerprint when the spec is resumable. It takes the spec's locks first,
// before writing anything, and refuses at once with ErrBusy, naming the
// job in the way, when another job holds one.
func (e *Engine) Start(ctx context.Context, spec Spec) (*Run, error) {
	args, err := json.Marshal(spec.Args)
	if err != nil {
		return nil, err
	}
	if spec.Inputs == nil {
		spec.Inputs = []Input{}
	}
	inputs, _ := json.Marshal(spec.Inputs)
	fp := fingerprint(spec.Kind, args, spec.Inputs, spec.DryRun)
	if err := e.locks.own(ctx); err != nil {
		return nil, err
	}
	run := &Run{e: e, parent: spec.Parent, steps: &steps{}}
	if spec.Parent != nil {
		run.steps, run.root = spec.Parent.steps, spec.Parent.root
	}
	var want []string
	if spec.Group != "" {
		want = append(want, "group:"+spec.Group)
	}
	want = append(want, spec.Locks...)
	var take []string
	for _, n := range want {
		if !run.held(n) {
			take = append(take, n)
		}
	}
	busy, err := e.locks.tryAll(ctx, take)
	if err != nil {
		return nil, err
	}
	if busy != "" {
		return nil, e.busyError(ctx, busy)
	}
	run.locks = take
	now := time.Now().UTC()
	var parentID any
	if spec.Parent != nil {
		parentID = spec.Parent.Job.ID
	}
	owner := ownerID()
	lockText := strings.Join(want, " ")
	err = e.db.InTx(ctx, func(tx *store.Tx) error {
		if err := e.reapDead(ctx, tx); err != nil {
			return err
		}
		if spec.Claim != 0 {
			return e.claim(ctx, tx, run, spec, owner, lockText, now)
		}
		if spec.Resumable {
			var id int64
			err := tx.QueryRow(ctx, `SELECT id FROM ferry_job WHERE fingerprint = ? AND status = 'interrupted' ORDER BY id DESC LIMIT 1`, fp).Scan(&id)
			switch {
			case err == nil:
				if _, err := tx.Exec(ctx, `UPDATE ferry_job SET status = 'running', owner = ?, owner_token = ?, locks = ?, parent_id = ?,
					attempts = attempts + 1, heartbeat_at = ?, error = '', finished_at = NULL WHERE id = ?`,
					owner, e.locks.token, lockText, parentID, now, id); err != nil {
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
		err := tx.QueryRow(ctx, `INSERT INTO ferry_job (kind, job_group, status, dry_run, fingerprint, args, inputs, owner, owner_token, locks, parent_id, started_at, heartbeat_at)
			VALUES (?, ?, 'running', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			spec.Kind, spec.Group, spec.DryRun, fp, string(args), string(inputs), owner, e.locks.token, lockText, parentID, now, now).Scan(&id)
		if err != nil {
			return err
		}
		if spec.Resumable {
			if run.Superseded, err = supersede(ctx, tx, spec, id); err != nil {
				return err
			}
		}
		j, err := get(ctx, tx, id)
		run.Job = j
		return err
	})
	if err != nil {
		_ = e.locks.release(ctx, run.locks)
		return nil, err
	}
	if run.root == 0 {
		run.root = run.Job.ID
	}
	run.stopBeat = run.heartbeat(heartbeatEvery)
	return run, nil
}

// supersede abandons the interrupted jobs of spec's kind that can never be
// resumed because their input files changed: a file is gone or has
// another size, or the new job read another content from the same path.
// Resuming needs the same content, and their scratch rows would otherwise
// stay forever. An interrupted job whose files are still there survives
// other jobs in between and resumes when it is rerun.
func supersede(ctx context.Context, tx *store.Tx, spec Spec, id int64) ([]int64, error) {
	rows, err := tx.Query(ctx, `SELECT id, inputs FROM ferry_job WHERE kind = ? AND status = 'interrupted' AND id <> ?`, spec.Kind, id)
	if err != nil {
		return nil, err
	}
	var stale []int64
	for rows.Next() {
		var old int64
		var text string
		if err := rows.Scan(&old, &text); err != nil {
			rows.Close()
			return nil, err
		}
		var inputs []Input
		if json.Unmarshal([]byte(text), &inputs) != nil || inputsChanged(inputs, spec.Inputs) {
			stale = append(stale, old)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, old := range stale {
		if _, err := tx.Exec(ctx, `UPDATE ferry_job SET status = 'abandoned', error = ? WHERE id = ?`,
			fmt.Sprintf("its input files changed; superseded by job %d", id), old); err != nil {
			return nil, err
		}
	}
	return stale, nil
}

func inputsChanged(old, now []Input) bool {
	for _, o := range old {
		if o.Path == Stdin {
			continue
		}
		st, err := os.Stat(o.Path)
		if err != nil || st.Size() != o.Size {
			return true
		}
		for _, n := range now {
			if n.Path == o.Path && n.SHA256 != o.SHA256 {
				return true
			}
		}
	}
	return false
}

// busyError names the running job that holds lock name.
func (e *Engine) busyError(ctx context.Context, name string) error {
	hint := "wait for it to finish; if its process is gone, its lock went with it and a rerun goes ahead"
	holder := fmt.Sprintf("another ferry process holds %q", name)
	rows, err := e.db.Query(ctx, `SELECT id, kind, locks FROM ferry_job WHERE status = 'running' ORDER BY id`)
	if err == nil {
		for rows.Next() {
			var id int64
			var kind, locks string
			if rows.Scan(&id, &kind, &locks) == nil && slicesContain(strings.Fields(locks), name) {
				holder = fmt.Sprintf("job %d (%s) holds %q", id, kind, name)
				break
			}
		}
		rows.Close()
	}
	return &ferry.Error{Code: ferry.EBUSY, Message: ErrBusy.Message + ": " + holder, Hint: hint, Err: ErrBusy}
}

func slicesContain(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// heartbeat records, every interval, that the run is alive and how far it
// got. It writes from its own connection, so it needs a database with more
// than one: on SQLite, which ferry gives one connection, the progress is
// recorded with each checkpoint instead. Liveness never rests on it: the
// owner lock says whether a process lives.
func (r *Run) heartbeat(interval time.Duration) func() {
	if r.e.db.Dialect() != store.Postgres {
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
				_, _ = r.e.db.Exec(ctx, `UPDATE ferry_job SET heartbeat_at = ?, progress = ? WHERE id = ? AND status = 'running'`,
					time.Now().UTC(), r.progressJSON(), r.Job.ID)
			}
		}
	}()
	return func() { cancel(); <-done }
}

func (r *Run) progressJSON() string {
	r.progressMu.Lock()
	ev := r.lastEvent
	r.progressMu.Unlock()
	if ev.Phase == "" {
		return "{}"
	}
	b, err := json.Marshal(ev)
	if err != nil {
		return "{}"
	}
	return string(b)
}

// reapDead marks running jobs whose process is gone as interrupted, so they
// can be resumed and no longer stand in anyone's way.
func (e *Engine) reapDead(ctx context.Context, tx *store.Tx) error {
	rows, err := tx.Query(ctx, `SELECT id, owner, owner_token, heartbeat_at FROM ferry_job WHERE status = 'running'`)
	if err != nil {
		return err
	}
	type running struct {
		id           int64
		owner, token string
		hb           time.Time
	}
	var all []running
	for rows.Next() {
		var r running
		if err := rows.Scan(&r.id, &r.owner, &r.token, &r.hb); err != nil {
			rows.Close()
			return err
		}
		all = append(all, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	now := time.Now().UTC()
	for _, r := range all {
		dead := false
		if r.token != "" {
			alive, err := e.locks.alive(ctx, r.token)
			if err != nil {
				return err
			}
			dead = !alive
		} else {
			dead = legacyOwnerDead(r.owner, r.hb, now)
		}
		if !dead {
			continue
		}
		if _, err := tx.Exec(ctx, `UPDATE ferry_job SET status = 'interrupted', error = 'process ended without finishing' WHERE id = ? AND status = 'running'`, r.id); err != nil {
			return err
		}
	}
	return nil
}

// legacyOwnerDead judges a job recorded before owner locks existed: by pid
// on this host, by its heartbeat elsewhere.
func legacyOwnerDead(owner string, heartbeat, now time.Time) bool {
	host, pidText, ok := strings.Cut(owner, ":")
	myHost, _ := os.Hostname()
	if ok && host == myHost {
		pid, err := strconv.Atoi(pidText)
		if err != nil || pid == os.Getpid() {
			return err != nil
		}
		// Signal 0 checks existence without touching the process.
		return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
	}
	return now.Sub(heartbeat) > legacyStaleAfter
}

// ownerID says where a job runs, for people: host and pid. Liveness uses
// the owner token instead.
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
// checkpoint describes and the checkpoint itself commit together. nil
// counts leave the stored counts as they are.
func (r *Run) Checkpoint(ctx context.Context, tx *store.Tx, phase string, cp any, counts any) error {
	cpJSON, err := json.Marshal(cp)
	if err != nil {
		return err
	}
	q := `UPDATE ferry_job SET phase = ?, checkpoint = ?, progress = ?, heartbeat_at = ? WHERE id = ?`
	args := []any{phase, string(cpJSON), r.progressJSON(), time.Now().UTC(), r.Job.ID}
	var countsJSON []byte
	if counts != nil {
		if countsJSON, err = json.Marshal(counts); err != nil {
			return err
		}
		q = `UPDATE ferry_job SET phase = ?, checkpoint = ?, progress = ?, heartbeat_at = ?, counts = ? WHERE id = ?`
		args = []any{phase, string(cpJSON), r.progressJSON(), time.Now().UTC(), string(countsJSON), r.Job.ID}
	}
	var cancel bool
	if err := tx.QueryRow(ctx, q+` RETURNING cancel_requested`, args...).Scan(&cancel); err != nil {
		return err
	}
	if cancel {
		// Someone asked for the job to stop: the batch this checkpoint
		// closes rolls back with it, and the job ends cancelled.
		return ErrCancelled
	}
	r.Job.Phase, r.Job.Checkpoint = phase, cpJSON
	if counts != nil {
		r.Job.Counts = countsJSON
	}
	return nil
}

// LoadCheckpoint decodes the stored checkpoint into v; an empty one leaves v alone.
func (r *Run) LoadCheckpoint(v any) error {
	if len(r.Job.Checkpoint) == 0 || string(r.Job.Checkpoint) == "{}" || string(r.Job.Checkpoint) == "null" {
		return nil
	}
	return json.Unmarshal(r.Job.Checkpoint, v)
}

// SetPhase records the phase outside any transaction, so that readers in
// other processes see it while the phase runs.
func (r *Run) SetPhase(ctx context.Context, phase string) error {
	_, err := r.e.db.Exec(ctx, `UPDATE ferry_job SET phase = ?, progress = ?, heartbeat_at = ? WHERE id = ?`,
		phase, r.progressJSON(), time.Now().UTC(), r.Job.ID)
	if err == nil {
		r.Job.Phase = phase
	}
	return err
}

// Finish records the outcome and releases the run's locks. A cancelled
// context means the operator stopped the run: it is marked interrupted so
// the next run resumes it. Only the first call counts.
func (r *Run) Finish(ctx context.Context, counts any, runErr error) (err error) {
	r.finishOnce.Do(func() { err = r.finish(ctx, counts, runErr) })
	return err
}

func (r *Run) finish(ctx context.Context, counts any, runErr error) error {
	if r.stopBeat != nil {
		r.stopBeat()
	}
	// The run's own context may be cancelled; the record must still be
	// written and the locks let go.
	wctx := context.WithoutCancel(ctx)
	defer func() { _ = r.e.locks.release(wctx, r.locks) }()
	status, msg := Succeeded, ""
	if runErr != nil {
		status, msg = Failed, runErr.Error()
		if errors.Is(runErr, context.Canceled) || ctx.Err() != nil {
			status = Interrupted
		}
		if errors.Is(runErr, ErrCancelled) {
			status = Cancelled
		}
	}
	countsJSON, err := json.Marshal(counts)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	_, err = r.e.db.Exec(wctx, `UPDATE ferry_job SET status = ?, error = ?, counts = ?, progress = ?, finished_at = ?, heartbeat_at = ? WHERE id = ?`,
		string(status), msg, string(countsJSON), r.progressJSON(), now, now, r.Job.ID)
	if err == nil {
		r.Job.Status, r.Job.Error, r.Job.Counts, r.Job.FinishedAt = status, msg, countsJSON, &now
	}
	return err
}

const jobColumns = `id, parent_id, kind, status, phase, dry_run, fingerprint, args, inputs, counts, checkpoint, progress, error, owner, attempts, started_at, heartbeat_at, finished_at`

func scanJob(sc interface{ Scan(...any) error }) (Job, error) {
	var j Job
	var args, inputs, counts, cp, progress string
	var parent sql.NullInt64
	var finished sql.NullTime
	err := sc.Scan(&j.ID, &parent, &j.Kind, &j.Status, &j.Phase, &j.DryRun, &j.Fingerprint, &args, &inputs, &counts, &cp, &progress,
		&j.Error, &j.Owner, &j.Attempts, &j.StartedAt, &j.HeartbeatAt, &finished)
	if err != nil {
		return j, err
	}
	j.Args, j.Counts, j.Checkpoint, j.Progress = json.RawMessage(args), json.RawMessage(counts), json.RawMessage(cp), json.RawMessage(progress)
	if err := json.Unmarshal([]byte(inputs), &j.Inputs); err != nil {
		return j, fmt.Errorf("job %d: inputs: %w", j.ID, err)
	}
	if parent.Valid {
		j.ParentID = &parent.Int64
	}
	if finished.Valid {
		t := finished.Time.UTC()
		j.FinishedAt = &t
	}
	j.StartedAt, j.HeartbeatAt = j.StartedAt.UTC(), j.HeartbeatAt.UTC()
	return j, nil
}

func get(ctx context.Context, q store.Querier, id int64) (Job, error) {
	j, err := scanJob(q.QueryRow(ctx, `SELECT `+jobColumns+` FROM ferry_job WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return j, &ferry.Error{Code: ferry.ENOTFOUND, Message: fmt.Sprintf("%s: %d", ErrNotFound.Message, id), Err: ErrNotFound}
	}
	return j, err
}

// Get loads one job.
func Get(ctx context.Context, q store.Querier, id int64) (Job, error) { return get(ctx, q, id) }

// Filter selects jobs for List. Zero fields select everything.
type Filter struct {
	// Kind matches a job's kind exactly, or every kind under it when it
	// ends in a dot ("registrar." is every registrar job) or is a bare
	// prefix without one ("registrar").
	Kind   string
	Status Status
	Parent int64
	// Limit caps the number of jobs; 0 means 50.
	Limit int
}

// List returns the most recent jobs first.
func List(ctx context.Context, q store.Querier, f Filter) ([]Job, error) {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	where, args := []string{"1 = 1"}, []any{}
	if f.Kind != "" {
		if strings.Contains(f.Kind, ".") && !strings.HasSuffix(f.Kind, ".") {
			where, args = append(where, "kind = ?"), append(args, f.Kind)
		} else {
			where, args = append(where, "kind LIKE ?"), append(args, strings.TrimSuffix(f.Kind, ".")+".%")
		}
	}
	if f.Status != "" {
		where, args = append(where, "status = ?"), append(args, string(f.Status))
	}
	if f.Parent != 0 {
		where, args = append(where, "parent_id = ?"), append(args, f.Parent)
	}
	rows, err := q.Query(ctx, `SELECT `+jobColumns+` FROM ferry_job WHERE `+strings.Join(where, " AND ")+` ORDER BY id DESC LIMIT ?`, append(args, f.Limit)...)
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
