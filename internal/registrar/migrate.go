package registrar

import (
	"context"

	"github.com/ferrymigrate/ferry/internal/engine"
	"github.com/ferrymigrate/ferry/internal/store"
)

// MigrateResult is each step's result, then the analysis.
type MigrateResult struct {
	JobID    int64          `json:"jobId"`
	DryRun   bool           `json:"dryRun,omitempty"`
	Load     LoadResult     `json:"load"`
	Transfer TransferResult `json:"transfer"`
	Analysis Analysis       `json:"analysis"`
	// Changed is false when the run found everything already migrated (on
	// a dry run: when it would change nothing).
	Changed bool `json:"changed"`
}

// migrateBatch is the transfer's batch size inside Migrate; 0 is the
// default. It is a variable only so that tests can interrupt a migrate
// between batches of a small input.
var migrateBatch = 0

// Migrate is the reference's master migration without its prompts and
// without sending e-mail: load, transfer, analyse. It is a job holding the
// registrar's lock for the whole run, and each step is a job inside it.
// A dry run (load.DryRun) does all of it in one transaction and rolls it
// back: the transfer sees the staging rows the load would make.
func (s *Service) Migrate(ctx context.Context, load LoadOptions) (MigrateResult, error) {
	spec := engine.Spec{Kind: "registrar.migrate", Group: jobGroup, DryRun: load.DryRun,
		Args: map[string]any{"limit": load.Limit, "reset": load.Reset, "dryRun": load.DryRun}}
	return recorded(ctx, s, spec, func(run *engine.Run) (res MigrateResult, err error) {
		res.JobID, res.DryRun = run.Job.ID, load.DryRun
		files := 0
		for _, k := range ManifestKeys {
			if load.Files[k] != "" {
				files++
			}
		}
		run.PlanSteps(files + 2 + transferSteps + 1)
		analyze := func(q store.Querier) error {
			t := run.Phase("analyze", "", 0)
			var err error
			res.Analysis, err = Analyze(ctx, q)
			t.End(err)
			return err
		}
		if load.DryRun {
			tr, err := s.startTransfer(ctx, run, TransferOptions{DryRun: true})
			if err != nil {
				return res, err
			}
			defer func() {
				if ferr := tr.Finish(ctx, res.Transfer, err); ferr != nil && err == nil {
					err = ferr
				}
			}()
			res.Load, err = s.loadTransitionDomains(ctx, run, load, func(ctx context.Context, tx *store.Tx, _ *engine.Run) error {
				var err error
				if res.Transfer, err = s.transferIn(ctx, tx, tr, TransferOptions{DryRun: true, BatchSize: migrateBatch}); err != nil {
					return err
				}
				return analyze(tx)
			})
			if err != nil {
				return res, err
			}
		} else {
			if res.Load, err = s.loadTransitionDomains(ctx, run, load, nil); err != nil {
				return res, err
			}
			if res.Transfer, err = s.transfer(ctx, run, TransferOptions{BatchSize: migrateBatch}); err != nil {
				return res, err
			}
			if err := analyze(s.DB); err != nil {
				return res, err
			}
		}
		l, t := res.Load.Rows, res.Transfer
		res.Changed = l.Created+l.Updated+res.Load.Reset+t.Domains.Created+t.Domains.Updated+t.Invitations.Created+
			t.DomainInformation.Created+t.DomainInformation.Updated+t.Contacts.Created+t.Contacts.Updated > 0
		return res, nil
	})
}
