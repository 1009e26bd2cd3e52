package registrar

import (
	"context"
	"encoding/json"
	"io"

	"github.com/ferrymigrate/ferry/internal/engine"
	"github.com/ferrymigrate/ferry/internal/store"
)

// scratchNames are every scratch table the loaders fill.
var scratchNames = []string{"load_domain_contact", "load_contact", "load_domain_status", "load_escrow_domain",
	"load_additional", "load_domain_type", "load_organization", "load_authority", "load_agency"}

// loadJob is one file load of the registrar's: which files, and what to
// build from them. The engine reads them into the scratch tables, resumably;
// apply is the registrar's own SQL.
type loadJob struct {
	kind       string
	files      Files
	args       map[string]any
	sep        rune
	limit      int64
	maxRejects int64
	onReject   func(engine.Reject)
	stdin      io.Reader
	dryRun     bool
	parent     *engine.Run
	// before runs once, before any file is read (the staging reset).
	before func(ctx context.Context, tx *store.Tx) (int64, error)
	// apply builds the real rows from the scratch tables and returns the
	// step's result.
	apply func(ctx context.Context, tx *store.Tx, run *engine.Run, files []FileStats) (any, error)
	// inspect runs inside the apply's transaction after it, before a dry
	// run rolls it back.
	inspect func(ctx context.Context, tx *store.Tx, run *engine.Run) error
	// started, if set, is told the run before anything is read.
	started func(run *engine.Run)
	// outcome, if set, sees the load's outcome before the job's record is
	// written, to copy what it needs into the result.
	outcome func(out engine.LoadOutcome)
}

// JobSummary is what every file loader reports besides its own counts.
type JobSummary struct {
	JobID         int64           `json:"jobId"`
	Resumed       bool            `json:"resumed"`
	DryRun        bool            `json:"dryRun,omitempty"`
	Files         []FileStats     `json:"files"`
	TotalRejected int64           `json:"totalRejected"`
	Report        Report          `json:"report"`
	Rejects       []engine.Reject `json:"rejects"`
}

// runLoad runs lj as a job: counts receives the apply's result, sum the
// job's identity, files, findings and first rejects. The job record's
// counts are the whole result, summary included.
func (s *Service) runLoad(ctx context.Context, lj loadJob, counts any, sum *JobSummary, result func() any) (err error) {
	files := loadFiles(lj.files, sepOrDefault(lj.sep), lj.limit)
	inputs, err := engine.HashInputs(files)
	if err != nil {
		return err
	}
	resumable := !lj.dryRun
	for _, p := range lj.files {
		if p == engine.Stdin {
			resumable = false // standard input cannot be read again
		}
	}
	lj.args["sep"] = string(sepOrDefault(lj.sep))
	if lj.dryRun {
		lj.args["dryRun"] = true
	}
	run, err := s.Engine.Start(ctx, engine.Spec{Kind: lj.kind, Group: jobGroup, Parent: lj.parent, Resumable: resumable,
		DryRun: lj.dryRun, Inputs: inputs, Args: lj.args})
	if err != nil {
		return err
	}
	sum.JobID, sum.Resumed, sum.DryRun = run.Job.ID, run.Resumed, lj.dryRun
	var out engine.LoadOutcome
	defer func() {
		var final any = map[string]any{"files": out.Files, "rejected": out.Rejected}
		if out.Result != nil {
			final = result()
		}
		if ferr := run.Finish(ctx, final, err); ferr != nil && err == nil {
			err = ferr
		}
	}()
	if lj.started != nil {
		lj.started(run)
	}
	// The staging build's second connection (facts.go) plans with the
	// committed statistics only.
	analyze := append([]string{"transition_domain"}, scratchNames...)
	l := engine.Load{Files: files, Scratch: scratchNames, Analyze: analyze, Stdin: lj.stdin, ChunkRows: chunkRows, MaxRejects: lj.maxRejects,
		OnReject: lj.onReject, Before: lj.before, DryRun: lj.dryRun,
		Apply: func(ctx context.Context, tx *store.Tx, fs []FileStats) (any, error) {
			return lj.apply(ctx, tx, run, fs)
		},
	}
	run.PlanSteps(l.Steps())
	reported := false
	var report Report
	l.Inspect = func(ctx context.Context, tx *store.Tx) error {
		if lj.inspect != nil {
			if err := lj.inspect(ctx, tx, run); err != nil {
				return err
			}
		}
		if !lj.dryRun {
			return nil
		}
		// A dry run's findings go with its transaction: report them first.
		var err error
		report, err = loadReport(ctx, tx, run.Job.ID)
		reported = err == nil
		return err
	}
	out, err = run.Load(ctx, l)
	sum.Files, sum.TotalRejected = out.Files, out.Rejected
	if sum.Files == nil {
		sum.Files = []FileStats{}
	}
	if err != nil {
		return err
	}
	if err := json.Unmarshal(out.Result, counts); err != nil {
		return err
	}
	// The apply's result carries the summary fields too; the job's own
	// identity wins.
	sum.JobID, sum.Resumed, sum.DryRun = run.Job.ID, run.Resumed, lj.dryRun
	sum.Files, sum.TotalRejected = out.Files, out.Rejected
	if !reported {
		if report, err = loadReport(ctx, s.DB, run.Job.ID); err != nil {
			return err
		}
	}
	sum.Report = report
	if lj.outcome != nil {
		lj.outcome(out)
	}
	sum.Rejects, err = engine.Rejects(ctx, s.DB, run.Job.ID, reportSamples)
	return err
}

func sepOrDefault(r rune) rune {
	if r == 0 {
		return '|'
	}
	return r
}
