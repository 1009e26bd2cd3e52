package tenant

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/ferrymigrate/ferry"
	"github.com/ferrymigrate/ferry/internal/engine"
)

// Submit plans a merge and, when the plan can run, queues it as a
// background job for a worker (Handlers) and returns the job with the
// plan. It refuses as Migrate does, changing nothing: a plan that is not
// valid, or has conflicts under the fail policy, comes back as a
// PlanError; a merge touching either tenant that is queued or running
// already is EBUSY.
func (s *Service) Submit(ctx context.Context, req Request) (engine.Job, *Plan, error) {
	req = req.normalised()
	p, err := s.Plan(ctx, req)
	if err != nil {
		return engine.Job{}, p, err
	}
	if !p.Valid {
		return engine.Job{}, p, &PlanError{Plan: p, Code: ErrInvalidRequest}
	}
	if len(p.Conflicts) > 0 && req.OnConflict == OnConflictFail {
		return engine.Job{}, p, &PlanError{Plan: p, Code: ferry.ECONFLICT}
	}
	job, err := s.Engine.Enqueue(ctx, migrateSpec(req, 0))
	return job, p, err
}

// SubmitRollback queues the rollback of merge job for a worker.
func (s *Service) SubmitRollback(ctx context.Context, job int64, force bool) (engine.Job, error) {
	merge, req, err := mergeJob(ctx, s.DB, job)
	if err != nil {
		return engine.Job{}, err
	}
	if done, err := rolledBackBy(ctx, s.DB, merge.ID); err != nil || done != 0 {
		if err == nil {
			err = ferry.Errorf(ferry.ECONFLICT, "merge job %d was rolled back by job %d already", merge.ID, done)
		}
		return engine.Job{}, err
	}
	return s.Engine.Enqueue(ctx, rollbackSpec(req, merge.ID, force, 0))
}

// HandlerOptions tune the background merges and rollbacks.
type HandlerOptions struct {
	// BatchRows is the rows (journal entries) per transaction; 0 means
	// DefaultBatchRows.
	BatchRows int
	// Throttle pauses this long between a merge's batches.
	Throttle time.Duration
}

// Handlers are the tenant's background job kinds, for an engine Worker.
func (s *Service) Handlers(opts HandlerOptions) map[string]engine.Handler {
	return map[string]engine.Handler{
		"tenant.migrate": func(ctx context.Context, job engine.Job) error {
			var req Request
			if err := json.Unmarshal(job.Args, &req); err != nil {
				return fmt.Errorf("job %d: its request: %w", job.ID, err)
			}
			_, err := s.Migrate(ctx, MigrateOptions{Request: req, Claim: job.ID, BatchRows: opts.BatchRows, Throttle: opts.Throttle})
			return err
		},
		"tenant.rollback": func(ctx context.Context, job engine.Job) error {
			var args rollbackArgs
			if err := json.Unmarshal(job.Args, &args); err != nil {
				return fmt.Errorf("job %d: its arguments: %w", job.ID, err)
			}
			res, err := s.Rollback(ctx, RollbackOptions{Job: args.Job, Force: args.Force, Claim: job.ID, BatchRows: opts.BatchRows})
			if err == nil && res.Already != 0 {
				// Undone since it was queued: the queued job never started.
				err = ferry.Errorf(ferry.ECONFLICT, "merge job %d was rolled back by job %d already", args.Job, res.Already)
			}
			return err
		},
	}
}
