package registrar

import (
	"context"
	"io"

	"github.com/ferrymigrate/ferry/internal/engine"
	"github.com/ferrymigrate/ferry/internal/store"
)

// LoadOptions configures LoadTransitionDomains.
type LoadOptions struct {
	Files Files
	Sep   rune
	// Limit stops reading the domain contacts file after this many rows; 0 reads all.
	Limit int64
	// Reset deletes every staging row first. The caller confirms it.
	Reset bool
	// MaxRejects fails the load, before anything is applied, once more rows
	// than this are rejected. Negative means no limit.
	MaxRejects int64
	// OnReject, when set, receives every rejected row as it is read.
	OnReject func(engine.Reject)
	// Stdin is read for a file named "-".
	Stdin io.Reader
	// DryRun does everything, reports it, and rolls the staging rows back.
	DryRun bool
}

// LoadResult is the outcome of LoadTransitionDomains.
type LoadResult struct {
	JobSummary
	// Rows accounts for every row of the domain contacts file, the file that
	// drives the load: one staging row per distinct (domain, e-mail).
	Rows Counts `json:"rows"`
	// Skipped, broken down.
	Duplicates int64 `json:"duplicates"`
	Unchanged  int64 `json:"unchanged"`
	Processed  int64 `json:"alreadyProcessed"`
	// Reset is the number of staging rows deleted by a reset.
	Reset    int64 `json:"reset"`
	Enriched bool  `json:"enriched"`
	Agencies int64 `json:"agencies"`
}

// LoadTransitionDomains streams the escrow files into scratch tables and
// builds the TransitionDomain staging rows from them in one transaction. A
// rerun with the same files changes nothing; an interrupted run resumes.
func (s *Service) LoadTransitionDomains(ctx context.Context, opts LoadOptions) (res LoadResult, err error) {
	return s.loadTransitionDomains(ctx, nil, opts, nil)
}

// loadTransitionDomains is the load, as a job of its own or inside parent;
// inspect runs in the load's transaction, before a dry run rolls it back.
func (s *Service) loadTransitionDomains(ctx context.Context, parent *engine.Run, opts LoadOptions,
	inspect func(ctx context.Context, tx *store.Tx, run *engine.Run) error) (res LoadResult, err error) {
	if err := opts.Files.RequireCore(); err != nil {
		return res, err
	}
	if err := validLimits(opts.Limit, opts.MaxRejects); err != nil {
		return res, err
	}
	lj := loadJob{
		kind: "registrar.load-transition-domains", files: opts.Files, sep: opts.Sep, limit: opts.Limit,
		maxRejects: opts.MaxRejects, onReject: opts.OnReject, stdin: opts.Stdin, dryRun: opts.DryRun, parent: parent,
		inspect: inspect,
		args:    map[string]any{"limit": opts.Limit, "reset": opts.Reset, "maxRejects": opts.MaxRejects},
		apply: func(ctx context.Context, tx *store.Tx, run *engine.Run, files []FileStats) (any, error) {
			var r LoadResult
			r.Files = files
			err := s.applyStaging(ctx, tx, run, opts.Files, &r)
			return r, err
		},
		outcome: func(out engine.LoadOutcome) { res.Reset = out.Before },
	}
	if opts.Reset {
		lj.before = func(ctx context.Context, tx *store.Tx) (int64, error) {
			return tx.Exec(ctx, `DELETE FROM transition_domain`)
		}
	}
	err = s.runLoad(ctx, lj, &res, &res.JobSummary, func() any { return &res })
	if opts.DryRun && s.DB.Dialect() == store.Postgres {
		// The side connection committed its tables; the dry run's rollback
		// took back the statement that dropped them.
		if derr := s.DB.InTx(context.WithoutCancel(ctx), func(tx *store.Tx) error { return dropTemps(ctx, tx, sideStatus, sideEnrich) }); err == nil {
			err = derr
		}
	}
	if err != nil {
		return res, err
	}
	s.Log.Info("load finished", "job", res.JobID, "read", res.Rows.Read, "created", res.Rows.Created,
		"updated", res.Rows.Updated, "skipped", res.Rows.Skipped, "rejected", res.Rows.Rejected)
	return res, nil
}

// validLimits refuses limits that cannot mean anything.
func validLimits(limit, maxRejects int64) error {
	if limit < 0 {
		return invalidf("the row limit must be 0 (no limit) or more, not %d", limit)
	}
	if maxRejects < -1 {
		return invalidf("the rejected-row limit must be -1 (no limit) or more, not %d", maxRejects)
	}
	return nil
}
