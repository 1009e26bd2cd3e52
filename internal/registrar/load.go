package registrar

import (
	"context"
	"fmt"

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
	JobID   int64 `json:"jobId"`
	Resumed bool  `json:"resumed"`
	// Rows accounts for every row of the domain contacts file, the file that
	// drives the load: one staging row per distinct (domain, e-mail).
	Rows Counts `json:"rows"`
	// Skipped, broken down.
	Duplicates int64 `json:"duplicates"`
	Unchanged  int64 `json:"unchanged"`
	Processed  int64 `json:"alreadyProcessed"`
	// Reset is the number of staging rows deleted by --reset.
	Reset         int64        `json:"reset"`
	Enriched      bool         `json:"enriched"`
	Agencies      int64        `json:"agencies"`
	TotalRejected int64        `json:"totalRejected"`
	Files         []FileStats  `json:"files"`
	Report        Report       `json:"report"`
	Rejects       []job.Reject `json:"rejects"`
}

// loadCheckpoint is what a load job persists after each chunk.
type loadCheckpoint struct {
	ResetDone bool                  `json:"resetDone"`
	Reset     int64                 `json:"reset"`
	Files     map[string]*FileStats `json:"files"`
	Applied   bool                  `json:"applied"`
	Result    *LoadResult           `json:"result,omitempty"`
}

// LoadTransitionDomains streams the escrow files into scratch tables and
// builds the TransitionDomain staging rows from them in one transaction. A
// rerun with the same files changes nothing; an interrupted run resumes.
func (s *Service) LoadTransitionDomains(ctx context.Context, opts LoadOptions) (res LoadResult, err error) {
	if err := opts.Files.RequireCore(); err != nil {
		return res, err
	}
	inputs, err := hashInputs(opts.Files)
	if err != nil {
		return res, err
	}
	run, err := job.Start(ctx, s.DB, job.Spec{
		Kind: "registrar.load-transition-domains", Group: jobGroup, Resumable: true, Inputs: inputs,
		Args: map[string]any{"sep": string(sepOrDefault(opts.Sep)), "limit": opts.Limit, "reset": opts.Reset, "maxRejects": opts.MaxRejects},
	})
	if err != nil {
		return res, err
	}
	defer func() {
		if ferr := run.Finish(ctx, res, err); ferr != nil && err == nil {
			err = ferr
		}
	}()
	res.JobID, res.Resumed = run.Job.ID, run.Resumed

	cp := loadCheckpoint{Files: map[string]*FileStats{}}
	if err := run.LoadCheckpoint(&cp); err != nil {
		return res, err
	}
	if cp.Applied && cp.Result != nil {
		// The apply committed before the process died; only cleanup was left.
		r := *cp.Result
		r.JobID, r.Resumed = run.Job.ID, true
		return r, s.dropScratch(ctx, run.Job.ID)
	}
	if !run.Resumed {
		// Scratch rows of earlier runs that failed for good are of no use.
		if err := s.clearStaleScratch(ctx); err != nil {
			return res, err
		}
	}
	save := func(ctx context.Context, tx *store.Tx) error {
		return run.Checkpoint(ctx, tx, run.Job.Phase, cp, nil)
	}

	if opts.Reset && !cp.ResetDone {
		err := s.DB.InTx(ctx, func(tx *store.Tx) error {
			n, err := tx.Exec(ctx, `DELETE FROM transition_domain`)
			if err != nil {
				return err
			}
			cp.ResetDone, cp.Reset = true, n
			return run.Checkpoint(ctx, tx, "reset", cp, nil)
		})
		if err != nil {
			return res, err
		}
		s.Log.Info("staging table reset", "deleted", cp.Reset)
	}
	res.Reset = cp.Reset

	sl := &scratchLoad{svc: s, run: run, sep: opts.Sep, limit: opts.Limit, maxRejects: opts.MaxRejects, onSave: save, rejectSink: opts.OnReject}
	for _, k := range ManifestKeys {
		p := opts.Files[k]
		if p == "" {
			continue
		}
		fs := cp.Files[k]
		if fs == nil {
			fs = &FileStats{Key: k, Path: p}
			cp.Files[k] = fs
		}
		sl.files = append(sl.files, fs)
	}
	for _, fs := range sl.files {
		if err := run.SetPhase(ctx, "read "+describeKey(fs.Key)); err != nil {
			return res, err
		}
		if err := sl.load(ctx, fs); err != nil {
			if _, ok := err.(*TooManyRejectsError); ok {
				res.Files, res.TotalRejected = derefFiles(sl.files), sl.totalRejected()
				// Nothing reached the staging table; the scratch rows go too.
				if derr := s.dropScratch(ctx, run.Job.ID); derr != nil {
					return res, derr
				}
			}
			return res, err
		}
	}
	res.Files, res.TotalRejected = derefFiles(sl.files), sl.totalRejected()

	tracker := s.Progress.Phase("build staging rows", 0)
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := s.applyStaging(ctx, tx, run, opts.Files, &res); err != nil {
			return err
		}
		cp.Applied = true
		cp.Result = &res
		return run.Checkpoint(ctx, tx, "applied", cp, nil)
	})
	tracker.Done()
	if err != nil {
		return res, err
	}
	if res.Report, err = loadReport(ctx, s.DB, run.Job.ID); err != nil {
		return res, err
	}
	if res.Rejects, err = job.Rejects(ctx, s.DB, run.Job.ID, reportSamples); err != nil {
		return res, err
	}
	s.Log.Info("load finished", "job", run.Job.ID, "read", res.Rows.Read, "created", res.Rows.Created,
		"updated", res.Rows.Updated, "skipped", res.Rows.Skipped, "rejected", res.Rows.Rejected)
	return res, s.dropScratch(ctx, run.Job.ID)
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

func (s *Service) dropScratch(ctx context.Context, jobID int64) error {
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		for _, t := range scratchNames {
			if _, err := tx.Exec(ctx, `DELETE FROM `+t+` WHERE job_id = ?`, jobID); err != nil {
				return err
			}
		}
		return nil
	})
}

// clearStaleScratch removes scratch rows that no resumable job owns.
func (s *Service) clearStaleScratch(ctx context.Context) error {
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		for _, t := range scratchNames {
			q := fmt.Sprintf(`DELETE FROM %s WHERE job_id NOT IN (SELECT id FROM ferry_job WHERE status IN ('running','interrupted'))`, t)
			if _, err := tx.Exec(ctx, q); err != nil {
				return err
			}
		}
		return nil
	})
}
