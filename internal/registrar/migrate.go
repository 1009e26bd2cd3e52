package registrar

import (
	"context"

	"github.com/ferrymigrate/ferry/internal/job"
)

// MigrateResult is each step's result, then the analysis.
type MigrateResult struct {
	JobID    int64          `json:"jobId"`
	Load     LoadResult     `json:"load"`
	Transfer TransferResult `json:"transfer"`
	Analysis Analysis       `json:"analysis"`
	// Changed is false when the run found everything already migrated.
	Changed bool `json:"changed"`
}

// Migrate is the reference's master migration without its prompts and
// without sending e-mail: load, transfer, analyse. Each step is its own
// durable job; this one records which they were.
func (s *Service) Migrate(ctx context.Context, load LoadOptions) (MigrateResult, error) {
	return recorded(ctx, s, "registrar.migrate", map[string]any{"limit": load.Limit, "reset": load.Reset}, func(run *job.Run) (res MigrateResult, err error) {
		res.JobID = run.Job.ID
		if res.Load, err = s.LoadTransitionDomains(ctx, load); err != nil {
			return res, err
		}
		if res.Transfer, err = s.Transfer(ctx, TransferOptions{}); err != nil {
			return res, err
		}
		if res.Analysis, err = Analyze(ctx, s.DB); err != nil {
			return res, err
		}
		l, t := res.Load.Rows, res.Transfer
		res.Changed = l.Created+l.Updated+res.Load.Reset+t.Domains.Created+t.Domains.Updated+t.Invitations.Created+
			t.DomainInformation.Created+t.DomainInformation.Updated+t.Contacts.Created+t.Contacts.Updated > 0
		return res, nil
	})
}
