package registrar

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/ferrymigrate/ferry/internal/job"
	"github.com/ferrymigrate/ferry/internal/store"
)

// scratchJob is the shape every file loader shares: start (or resume) a
// durable job, stream each file into its scratch table chunk by chunk, then
// apply the result to the real tables in one transaction, and clean up.
type scratchJob struct {
	kind       string
	files      Files
	args       map[string]any
	sep        rune
	limit      int64
	maxRejects int64
	onReject   func(job.Reject)
	// before runs once, in its own transaction, before any file is read
	// (the staging reset); its count is kept in the checkpoint.
	before func(ctx context.Context, tx *store.Tx) (int64, error)
	// apply builds the real rows from the scratch tables and returns the
	// step's result, which is stored with the final checkpoint.
	apply func(ctx context.Context, tx *store.Tx, run *job.Run, files []FileStats) (any, error)
}

// scratchCheckpoint is what a loader job persists after each chunk.
type scratchCheckpoint struct {
	BeforeDone bool                  `json:"beforeDone"`
	Before     int64                 `json:"before"`
	Files      map[string]*FileStats `json:"files"`
	Applied    bool                  `json:"applied"`
	Result     json.RawMessage       `json:"result,omitempty"`
}

// scratchOutcome is what runScratchJob hands back to the loader.
type scratchOutcome struct {
	run      *job.Run
	files    []FileStats
	rejected int64
	before   int64
	result   json.RawMessage // the apply's result, as stored
}

// JobSummary is what every file loader reports besides its own counts.
type JobSummary struct {
	JobID         int64        `json:"jobId"`
	Resumed       bool         `json:"resumed"`
	Files         []FileStats  `json:"files"`
	TotalRejected int64        `json:"totalRejected"`
	Report        Report       `json:"report"`
	Rejects       []job.Reject `json:"rejects"`
}

// summarise fills a loader's result: its own counts from the result the
// apply stored, then the job's identity, files, findings and first rejects.
func (s *Service) summarise(ctx context.Context, out scratchOutcome, runErr error, counts any, sum *JobSummary) error {
	if runErr == nil && out.result != nil {
		if err := json.Unmarshal(out.result, counts); err != nil {
			return err
		}
	}
	if out.run != nil {
		sum.JobID, sum.Resumed = out.run.Job.ID, out.run.Resumed
	}
	sum.Files, sum.TotalRejected = out.files, out.rejected
	if runErr != nil {
		return runErr
	}
	var err error
	if sum.Report, err = loadReport(ctx, s.DB, sum.JobID); err != nil {
		return err
	}
	sum.Rejects, err = job.Rejects(ctx, s.DB, sum.JobID, reportSamples)
	return err
}

// runScratchJob runs sj. The job record's counts are the apply's result, or
// the file statistics when the job ended before applying.
func (s *Service) runScratchJob(ctx context.Context, sj scratchJob) (out scratchOutcome, err error) {
	inputs, err := hashInputs(sj.files)
	if err != nil {
		return out, err
	}
	resumable := true
	for _, p := range sj.files {
		if p == "-" {
			resumable = false // standard input cannot be read again
		}
	}
	sj.args["sep"] = string(sepOrDefault(sj.sep))
	run, err := job.Start(ctx, s.DB, job.Spec{Kind: sj.kind, Group: jobGroup, Resumable: resumable, Inputs: inputs, Args: sj.args})
	if err != nil {
		return out, err
	}
	out.run = run
	defer func() {
		var counts any = map[string]any{"files": out.files, "rejected": out.rejected}
		if out.result != nil {
			counts = out.result
		}
		if ferr := run.Finish(ctx, counts, err); ferr != nil && err == nil {
			err = ferr
		}
	}()

	cp := scratchCheckpoint{Files: map[string]*FileStats{}}
	if err := run.LoadCheckpoint(&cp); err != nil {
		return out, err
	}
	if cp.Applied {
		// The apply committed before the process died; only cleanup was left.
		out.result, out.before = cp.Result, cp.Before
		for _, k := range ManifestKeys {
			if fs := cp.Files[k]; fs != nil {
				out.files = append(out.files, *fs)
				out.rejected += fs.Rejected
			}
		}
		return out, s.dropScratch(ctx, run.Job.ID)
	}
	if !run.Resumed {
		// Scratch rows of earlier runs that failed for good are of no use.
		if err := s.clearStaleScratch(ctx); err != nil {
			return out, err
		}
	} else if err := s.checkScratch(ctx, run, &cp); err != nil {
		return out, err
	}
	if sj.before != nil && !cp.BeforeDone {
		err := s.DB.InTx(ctx, func(tx *store.Tx) error {
			n, err := sj.before(ctx, tx)
			if err != nil {
				return err
			}
			cp.BeforeDone, cp.Before = true, n
			return run.Checkpoint(ctx, tx, "prepare", cp, nil)
		})
		if err != nil {
			return out, err
		}
	}
	out.before = cp.Before

	save := func(ctx context.Context, tx *store.Tx) error { return run.Checkpoint(ctx, tx, run.Job.Phase, cp, nil) }
	sl := &scratchLoad{svc: s, run: run, sep: sj.sep, limit: sj.limit, maxRejects: sj.maxRejects, onSave: save, rejectSink: sj.onReject}
	for _, k := range ManifestKeys {
		if p := sj.files[k]; p != "" {
			fs := cp.Files[k]
			if fs == nil {
				fs = &FileStats{Key: k, Path: p}
				cp.Files[k] = fs
			}
			sl.files = append(sl.files, fs)
		}
	}
	for _, fs := range sl.files {
		if err := run.SetPhase(ctx, "read "+describeKey(fs.Key)); err != nil {
			return out, err
		}
		err := sl.load(ctx, fs)
		out.files, out.rejected = derefFiles(sl.files), sl.totalRejected()
		if err != nil {
			if _, ok := err.(*TooManyRejectsError); ok {
				// Nothing reached the real tables; the scratch rows go too.
				if derr := s.dropScratch(ctx, run.Job.ID); derr != nil {
					return out, derr
				}
			}
			return out, err
		}
	}

	// The phase is set before the transaction, so that `ferry jobs list`
	// shows it during the minutes the set-based statements can take; the
	// job row itself is only written again just before the commit.
	if err := run.SetPhase(ctx, "apply"); err != nil {
		return out, err
	}
	tracker := s.Progress.Phase("apply", 0)
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.ForBulk(ctx); err != nil {
			return err
		}
		res, err := sj.apply(ctx, tx, run, out.files)
		if err != nil {
			return err
		}
		if out.result, err = json.Marshal(res); err != nil {
			return fmt.Errorf("encoding result: %w", err)
		}
		cp.Applied, cp.Result = true, out.result
		return run.Checkpoint(ctx, tx, "applied", cp, nil)
	})
	tracker.Done()
	if err != nil {
		return out, err
	}
	if err := run.SetPhase(ctx, "clean up"); err != nil {
		return out, err
	}
	return out, s.dropScratch(ctx, run.Job.ID)
}

// checkScratch makes sure the rows an interrupted job checkpointed are all
// still in the scratch tables before it resumes. If any are gone (someone
// emptied the tables, or restored the database from a backup taken in
// between), resuming would build the staging rows from part of the input,
// so the job starts reading its files over instead.
func (s *Service) checkScratch(ctx context.Context, run *job.Run, cp *scratchCheckpoint) error {
	for _, fs := range cp.Files {
		var n int64
		if err := s.DB.QueryRow(ctx, `SELECT count(*) FROM `+scratchTables[fs.Key].table+` WHERE job_id = ?`, run.Job.ID).Scan(&n); err != nil {
			return err
		}
		if n == fs.Records {
			continue
		}
		s.Log.Warn("the interrupted job's scratch rows are incomplete; reading its files again",
			"job", run.Job.ID, "file", describeKey(fs.Key), "checkpointed", fs.Records, "found", n)
		return s.DB.InTx(ctx, func(tx *store.Tx) error {
			if err := deleteScratch(ctx, tx, "job_id = ?", run.Job.ID); err != nil {
				return err
			}
			if err := run.ClearRejects(ctx, tx); err != nil {
				return err
			}
			cp.Files = map[string]*FileStats{}
			return run.Checkpoint(ctx, tx, "prepare", cp, nil)
		})
	}
	return nil
}
