package registrar

import (
	"context"
	"strings"

	"github.com/ferrymigrate/ferry/internal/job"
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
	OnReject func(job.Reject)
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
	// Reset is the number of staging rows deleted by --reset.
	Reset    int64 `json:"reset"`
	Enriched bool  `json:"enriched"`
	Agencies int64 `json:"agencies"`
}

// LoadTransitionDomains streams the escrow files into scratch tables and
// builds the TransitionDomain staging rows from them in one transaction. A
// rerun with the same files changes nothing; an interrupted run resumes.
func (s *Service) LoadTransitionDomains(ctx context.Context, opts LoadOptions) (res LoadResult, err error) {
	if err := opts.Files.RequireCore(); err != nil {
		return res, err
	}
	sj := scratchJob{
		kind: "registrar.load-transition-domains", files: opts.Files, sep: opts.Sep, limit: opts.Limit,
		maxRejects: opts.MaxRejects, onReject: opts.OnReject,
		args: map[string]any{"limit": opts.Limit, "reset": opts.Reset, "maxRejects": opts.MaxRejects},
		apply: func(ctx context.Context, tx *store.Tx, run *job.Run, files []FileStats) (any, error) {
			var r LoadResult
			r.Files = files
			err := s.applyStaging(ctx, tx, run, opts.Files, &r)
			return r, err
		},
	}
	if opts.Reset {
		sj.before = func(ctx context.Context, tx *store.Tx) (int64, error) {
			return tx.Exec(ctx, `DELETE FROM transition_domain`)
		}
	}
	out, err := s.runScratchJob(ctx, sj)
	if err := s.summarise(ctx, out, err, &res, &res.JobSummary); err != nil {
		return res, err
	}
	res.Reset = out.before
	s.Log.Info("load finished", "job", res.JobID, "read", res.Rows.Read, "created", res.Rows.Created,
		"updated", res.Rows.Updated, "skipped", res.Rows.Skipped, "rejected", res.Rows.Rejected)
	return res, nil
}

func derefFiles(fs []*FileStats) []FileStats {
	out := make([]FileStats, len(fs))
	for i, f := range fs {
		out[i] = *f
	}
	return out
}

func sepOrDefault(r rune) rune {
	if r == 0 {
		return '|'
	}
	return r
}

func hashInputs(files Files) ([]job.Input, error) {
	var inputs []job.Input
	for _, k := range ManifestKeys {
		if p := files[k]; p != "" {
			in, err := job.HashFile(k, p)
			if err != nil {
				return nil, inputErr("%s file %s: %v", describeKey(k), p, unwrapPathErr(err))
			}
			inputs = append(inputs, in)
		}
	}
	return inputs, nil
}

var scratchNames = []string{"load_domain_contact", "load_contact", "load_domain_status", "load_escrow_domain",
	"load_additional", "load_domain_type", "load_organization", "load_authority", "load_agency"}

// dropScratch removes a job's scratch rows. Scratch rows outlive their job
// only while it is running or interrupted (to be resumed), so when no other
// job is in either state every row is this job's or stale, and the tables
// are emptied whole: TRUNCATE on PostgreSQL, and on SQLite a DELETE without
// WHERE, which SQLite carries out by dropping the pages instead of
// deleting row by row and index entry by index entry.
func (s *Service) dropScratch(ctx context.Context, jobID int64) error {
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		var others int64
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM ferry_job WHERE id <> ? AND status IN ('running', 'interrupted')`, jobID).Scan(&others); err != nil {
			return err
		}
		switch {
		case others > 0:
			return deleteScratch(ctx, tx, "job_id = ?", jobID)
		case tx.Dialect() == store.Postgres:
			_, err := tx.Exec(ctx, `TRUNCATE `+strings.Join(scratchNames, ", "))
			return err
		default:
			return deleteScratch(ctx, tx, "")
		}
	})
}

// deleteScratch deletes the scratch rows that match where, or all of them
// when where is empty.
func deleteScratch(ctx context.Context, tx *store.Tx, where string, args ...any) error {
	for _, t := range scratchNames {
		q := `DELETE FROM ` + t
		if where != "" {
			q += ` WHERE ` + where
		}
		if _, err := tx.Exec(ctx, q, args...); err != nil {
			return err
		}
	}
	return nil
}

// clearStaleScratch removes scratch rows that no resumable job owns.
func (s *Service) clearStaleScratch(ctx context.Context) error {
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		return deleteScratch(ctx, tx, `job_id NOT IN (SELECT id FROM ferry_job WHERE status IN ('running','interrupted'))`)
	})
}
