package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/ferrymigrate/ferry"
	"github.com/ferrymigrate/ferry/internal/store"
)

// The loader is the shape every file load shares: stream each file into
// its scratch table chunk by chunk, each chunk committed with its
// checkpoint, so an interrupted load loses at most one chunk; then apply
// the scratch rows to the real tables in one transaction, and clean up.
// Memory stays flat however large the files are: rows go from the reader
// to the database in batches, and every join happens in the database.

// Position is a resumable point in a file: Offset is the byte offset just
// after a line terminator and Line the number of that line.
type Position struct {
	Offset int64
	Line   int64
}

// ReadStats counts what a reader has examined since it started.
type ReadStats struct {
	Lines    int64
	Records  int64
	Rejected int64 // blank lines included
}

// RowReader yields a file's records as column values, in the order of its
// File's Columns.
type RowReader interface {
	Next() bool
	Values() []any
	// Err is a failure of the file as a whole (an unreadable header, an
	// I/O error); a bad row is a reject, never an error.
	Err() error
	Position() Position
	Stats() ReadStats
}

// File is one input of a load.
type File struct {
	Role  string // what the file is, as the job records it
	Label string // the same, for people ("domain contacts")
	Path  string // Stdin for standard input
	// Table is the scratch table the records go into; it has a job_id
	// column, then Columns.
	Table   string
	Columns []string
	// Open returns a reader over r, resuming at from when from is not zero,
	// that passes every rejected row to onReject. r is an *os.File for a
	// file, so Open may cut or seek it.
	Open func(r io.Reader, from Position, onReject func(Reject)) RowReader
}

// FileStats is what a load read from one file; it is the checkpoint of
// the file too.
type FileStats struct {
	Key      string `json:"key"`
	Path     string `json:"path"`
	Lines    int64  `json:"lines"`
	Records  int64  `json:"records"`
	Rejected int64  `json:"rejected"`
	Done     bool   `json:"done"`
	Offset   int64  `json:"offset"`
	Line     int64  `json:"line"`
}

// DefaultChunkRows is how many records one scratch-load transaction
// carries: large enough that committing costs nothing, small enough that an
// interruption loses little.
const DefaultChunkRows = 200_000

// Load describes a file load.
type Load struct {
	Files []File
	// Scratch lists every scratch table of the migration, for clean-up.
	Scratch []string
	// Stdin is read for the path Stdin.
	Stdin     io.Reader
	ChunkRows int // 0 = DefaultChunkRows
	// MaxRejects fails the load, before anything is applied, once more rows
	// than this are rejected. Negative means no limit; a file whose rows are
	// then (nearly) all rejected fails the load instead, as the wrong file.
	MaxRejects int64
	// OnReject, when set, receives every rejected row as it is read.
	OnReject func(Reject)
	// Before runs once before any file is read (a reset), in its own
	// transaction, or in the apply's on a dry run; its count is kept.
	Before func(ctx context.Context, tx *store.Tx) (int64, error)
	// Apply builds the real rows from the scratch tables and returns the
	// step's result, which is stored with the final checkpoint.
	Apply func(ctx context.Context, tx *store.Tx, files []FileStats) (any, error)
	// Analyze lists tables whose planner statistics are refreshed, in a
	// transaction of their own, once the files are read and before the
	// apply: statistics taken inside the apply's transaction would be
	// invisible to any other connection the apply uses until it commits.
	Analyze []string
	// DryRun rolls the apply back. Inspect, if set, runs inside the
	// apply's transaction first, to report what it did.
	DryRun  bool
	Inspect func(ctx context.Context, tx *store.Tx) error
}

// Steps is how many progress steps the load takes.
func (l Load) Steps() int { return len(l.Files) + 2 }

// LoadOutcome is what Load hands back.
type LoadOutcome struct {
	Files    []FileStats
	Rejected int64
	Before   int64
	// Result is the apply's result as stored, nil when it never ran.
	Result json.RawMessage
}

type loadCheckpoint struct {
	BeforeDone bool                  `json:"beforeDone"`
	Before     int64                 `json:"before"`
	Files      map[string]*FileStats `json:"files"`
	Applied    bool                  `json:"applied"`
	Result     json.RawMessage       `json:"result,omitempty"`
}

// TooManyRejectsError is returned when rejected rows pass the limit.
type TooManyRejectsError struct {
	Rejected, Max int64
}

func (e *TooManyRejectsError) Error() string {
	return fmt.Sprintf("%d rows rejected, more than the %d allowed; nothing was applied", e.Rejected, e.Max)
}

// Unwrap gives the error its code.
func (e *TooManyRejectsError) Unwrap() error {
	return &ferry.Error{Code: ferry.EREJECTS, Message: "too many rejected rows"}
}

// HashInputs checksums a load's files for the job's fingerprint, refusing
// anything that is not a regular file.
func HashInputs(files []File) ([]Input, error) {
	var inputs []Input
	for _, f := range files {
		if err := CheckRegular(f.Label, f.Path); err != nil {
			return nil, err
		}
		in, err := HashFile(f.Role, f.Path)
		if err != nil {
			return nil, err
		}
		inputs = append(inputs, in)
	}
	return inputs, nil
}

// Load runs l as part of r: it reads what is left to read, applies, and
// cleans up. A resumed run picks up from its checkpoint.
func (r *Run) Load(ctx context.Context, l Load) (out LoadOutcome, err error) {
	if l.ChunkRows <= 0 {
		l.ChunkRows = DefaultChunkRows
	}
	cp := loadCheckpoint{Files: map[string]*FileStats{}}
	if err := r.LoadCheckpoint(&cp); err != nil {
		return out, err
	}
	collect := func() {
		out.Files, out.Rejected = nil, 0
		for _, f := range l.Files {
			if fs := cp.Files[f.Role]; fs != nil {
				out.Files = append(out.Files, *fs)
				out.Rejected += fs.Rejected
			}
		}
	}
	if cp.Applied {
		// The apply committed before the process died; only clean-up was left.
		out.Result, out.Before = cp.Result, cp.Before
		collect()
		return out, r.cleanScratch(ctx, l.Scratch)
	}
	if !r.Resumed {
		// Scratch rows of earlier runs that failed for good are of no use.
		if err := r.clearStaleScratch(ctx, l.Scratch); err != nil {
			return out, err
		}
	} else if err := r.checkScratch(ctx, l, &cp); err != nil {
		return out, err
	}
	if l.Before != nil && !cp.BeforeDone && !l.DryRun {
		err := r.e.db.InTx(ctx, func(tx *store.Tx) error {
			n, err := l.Before(ctx, tx)
			if err != nil {
				return err
			}
			cp.BeforeDone, cp.Before = true, n
			return r.Checkpoint(ctx, tx, "prepare", cp, nil)
		})
		if err != nil {
			return out, err
		}
	}
	out.Before = cp.Before

	var files []*FileStats
	for _, f := range l.Files {
		fs := cp.Files[f.Role]
		if fs == nil {
			fs = &FileStats{Key: f.Role, Path: f.Path}
			cp.Files[f.Role] = fs
		}
		files = append(files, fs)
	}
	total := func() int64 {
		var n int64
		for _, fs := range files {
			n += fs.Rejected
		}
		return n
	}
	for i, f := range l.Files {
		if err := r.SetPhase(ctx, "read "+f.Label); err != nil {
			return out, err
		}
		err := r.loadFile(ctx, l, f, files[i], &cp, total)
		collect()
		if err == nil {
			err = looksWrong(l, f, files[i])
		}
		if err != nil {
			if ferry.ErrorCode(err) == ferry.EREJECTS || ferry.ErrorCode(err) == ferry.EINPUT {
				// Nothing reached the real tables; the scratch rows go too.
				if derr := r.cleanScratch(ctx, l.Scratch); derr != nil {
					return out, derr
				}
			}
			return out, err
		}
	}

	// The phase is set before the transaction, so that `ferry jobs list`
	// shows it during the minutes the set-based statements can take; the
	// job row itself is only written again just before the commit.
	if err := r.SetPhase(ctx, "apply"); err != nil {
		return out, err
	}
	tracker := r.Phase("apply", "", 0)
	if len(l.Analyze) > 0 {
		tracker.Detail("statistics")
		if err := r.e.db.InTx(ctx, func(tx *store.Tx) error { return tx.Analyze(ctx, l.Analyze...) }); err != nil {
			tracker.End(err)
			return out, interrupted(ctx, err)
		}
		tracker.Detail("")
	}
	var stats []FileStats
	for _, fs := range files {
		stats = append(stats, *fs)
	}
	apply := func(tx *store.Tx) error {
		if err := tx.ForBulk(ctx); err != nil {
			return err
		}
		if l.DryRun && l.Before != nil {
			n, err := l.Before(ctx, tx)
			if err != nil {
				return err
			}
			out.Before = n
		}
		res, err := l.Apply(ctx, tx, stats)
		if err != nil {
			return err
		}
		if out.Result, err = json.Marshal(res); err != nil {
			return fmt.Errorf("encoding result: %w", err)
		}
		if l.Inspect != nil {
			if err := l.Inspect(ctx, tx); err != nil {
				return err
			}
		}
		if l.DryRun {
			return nil
		}
		cp.Applied, cp.Result = true, out.Result
		return r.Checkpoint(ctx, tx, "applied", cp, nil)
	}
	if l.DryRun {
		err = r.dryRun(ctx, apply)
	} else {
		err = r.e.db.InTx(ctx, apply)
	}
	tracker.End(err)
	if err != nil {
		return out, interrupted(ctx, err)
	}
	if err := r.SetPhase(ctx, "clean up"); err != nil {
		return out, err
	}
	clean := r.Phase("clean up", "", 0)
	err = r.cleanScratch(ctx, l.Scratch)
	clean.End(err)
	return out, err
}

// dryRun runs fn in a transaction and rolls it back, whatever fn returns.
func (r *Run) dryRun(ctx context.Context, fn func(tx *store.Tx) error) error {
	tx, err := r.e.db.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	return fn(tx)
}

// DryRun runs fn in a transaction that is always rolled back: the work is
// done, its effects reported from inside, and nothing stays.
func (r *Run) DryRun(ctx context.Context, fn func(tx *store.Tx) error) error {
	return r.dryRun(ctx, fn)
}

// looksWrongShare is the share of rejected rows at which a file is taken
// for the wrong file rather than a file with bad rows: a contacts file
// given as the domain-contacts file has every row rejected.
const looksWrongShare = 0.9

func looksWrong(l Load, f File, fs *FileStats) error {
	if l.MaxRejects >= 0 || fs.Rejected == 0 {
		// An explicit limit is the operator's own judgement of how many
		// rejects are acceptable.
		return nil
	}
	seen := fs.Records + fs.Rejected
	if float64(fs.Rejected) < looksWrongShare*float64(seen) {
		return nil
	}
	return &ferry.Error{Code: ferry.EINPUT,
		Message: fmt.Sprintf("%s file %s: %d of its %d rows were rejected; it does not look like a %s file, and nothing was applied",
			f.Label, f.Path, fs.Rejected, seen, f.Label),
		Hint: "check which file was given for which input; to load it anyway, set a limit on rejected rows"}
}

// loadFile reads one file to its end, resuming from fs.
func (r *Run) loadFile(ctx context.Context, l Load, f File, fs *FileStats, cp *loadCheckpoint, totalRejected func() int64) error {
	if fs.Done {
		return nil
	}
	var in io.Reader
	var size int64
	if f.Path == Stdin {
		if fs.Offset > 0 {
			return ferry.Errorf(ferry.EINPUT, "cannot resume a load from standard input; rerun with a file")
		}
		if l.Stdin == nil {
			return ferry.Errorf(ferry.EINPUT, "%s: standard input was named but none was given", f.Label)
		}
		in = l.Stdin
	} else {
		if err := CheckRegular(f.Label, f.Path); err != nil {
			return err
		}
		file, err := os.Open(f.Path)
		if err != nil {
			return ferry.Errorf(ferry.EINPUT, "%s file %s: %v", f.Label, f.Path, unwrapPathErr(err))
		}
		defer file.Close()
		if st, err := file.Stat(); err == nil {
			size = st.Size()
		}
		in = file
	}
	var pending []Reject
	onReject := func(rj Reject) {
		pending = append(pending, rj)
		if l.OnReject != nil {
			l.OnReject(rj)
		}
	}
	rr := f.Open(in, Position{Offset: fs.Offset, Line: fs.Line}, onReject)
	startRecords, startRejected, startLines := fs.Records, fs.Rejected, fs.Lines
	tracker := r.Phase("read "+f.Label, "bytes", size)
	tracker.Update(fs.Offset, fs.Records+fs.Rejected)
	cols := append([]string{"job_id"}, f.Columns...)
	var err error
	for !fs.Done {
		err = r.e.db.InTx(ctx, func(tx *store.Tx) error {
			pending = pending[:0]
			src := &chunkSource{rr: rr, jobID: r.Job.ID, max: l.ChunkRows}
			_, err := tx.CopyFrom(ctx, f.Table, cols, src)
			// A reader failure (a header without its columns, an I/O error)
			// surfaces through CopyFrom; it is the input's fault, not the database's.
			if rerr := rr.Err(); rerr != nil {
				return ferry.Wrap(ferry.EINPUT, rerr)
			}
			if err != nil {
				return fmt.Errorf("loading %s: %w", f.Path, err)
			}
			st := rr.Stats()
			fs.Records = startRecords + st.Records
			fs.Rejected = startRejected + st.Rejected
			fs.Lines = startLines + st.Lines
			pos := rr.Position()
			fs.Offset, fs.Line = pos.Offset, pos.Line
			fs.Done = src.exhausted
			if err := r.SaveRejects(ctx, tx, pending); err != nil {
				return err
			}
			return r.Checkpoint(ctx, tx, r.Job.Phase, cp, nil)
		})
		if err != nil {
			err = interrupted(ctx, err)
			break
		}
		tracker.Update(fs.Offset, fs.Records+fs.Rejected)
		if l.MaxRejects >= 0 && totalRejected() > l.MaxRejects {
			err = &TooManyRejectsError{Rejected: totalRejected(), Max: l.MaxRejects}
			break
		}
	}
	tracker.End(err)
	return err
}

// chunkSource feeds at most max records of a reader to one CopyFrom.
type chunkSource struct {
	rr        RowReader
	jobID     int64
	max       int
	n         int
	exhausted bool
	vals      []any
}

func (c *chunkSource) Next() bool {
	if c.n >= c.max {
		return false
	}
	if !c.rr.Next() {
		c.exhausted = true
		return false
	}
	c.n++
	c.vals = append(append(c.vals[:0], c.jobID), c.rr.Values()...)
	return true
}

func (c *chunkSource) Values() ([]any, error) { return c.vals, nil }
func (c *chunkSource) Err() error             { return c.rr.Err() }

// checkScratch makes sure the rows an interrupted job checkpointed are all
// still in the scratch tables before it resumes. If any are gone (someone
// emptied the tables, or restored the database from a backup taken in
// between), resuming would build the result from part of the input, so
// the job starts reading its files over instead.
func (r *Run) checkScratch(ctx context.Context, l Load, cp *loadCheckpoint) error {
	for _, f := range l.Files {
		fs := cp.Files[f.Role]
		if fs == nil {
			continue
		}
		var n int64
		if err := r.e.db.QueryRow(ctx, `SELECT count(*) FROM `+f.Table+` WHERE job_id = ?`, r.Job.ID).Scan(&n); err != nil {
			return err
		}
		if n == fs.Records {
			continue
		}
		r.e.log.Warn("the interrupted job's scratch rows are incomplete; reading its files again",
			"job", r.Job.ID, "file", f.Label, "checkpointed", fs.Records, "found", n)
		return r.e.db.InTx(ctx, func(tx *store.Tx) error {
			if err := deleteScratch(ctx, tx, l.Scratch, "job_id = ?", r.Job.ID); err != nil {
				return err
			}
			if err := r.ClearRejects(ctx, tx); err != nil {
				return err
			}
			cp.Files = map[string]*FileStats{}
			return r.Checkpoint(ctx, tx, "prepare", cp, nil)
		})
	}
	return nil
}

// cleanScratch removes the run's scratch rows. Scratch rows outlive their
// job only while it is running or interrupted (to be resumed), so when no
// other job is in either state every row is this job's or stale, and the
// tables are emptied whole: TRUNCATE on PostgreSQL, and on SQLite a DELETE
// without WHERE, which SQLite carries out by dropping the pages instead of
// deleting row by row and index entry by index entry.
func (r *Run) cleanScratch(ctx context.Context, tables []string) error {
	return r.e.db.InTx(context.WithoutCancel(ctx), func(tx *store.Tx) error {
		var others int64
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM ferry_job WHERE id <> ? AND status IN ('running', 'interrupted')`, r.Job.ID).Scan(&others); err != nil {
			return err
		}
		switch {
		case others > 0:
			return deleteScratch(ctx, tx, tables, "job_id = ?", r.Job.ID)
		case tx.Dialect() == store.Postgres:
			_, err := tx.Exec(ctx, `TRUNCATE `+strings.Join(tables, ", "))
			return err
		default:
			return deleteScratch(ctx, tx, tables, "")
		}
	})
}

// deleteScratch deletes the scratch rows that match where, or all of them
// when where is empty.
func deleteScratch(ctx context.Context, tx *store.Tx, tables []string, where string, args ...any) error {
	for _, t := range tables {
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
func (r *Run) clearStaleScratch(ctx context.Context, tables []string) error {
	return r.e.db.InTx(ctx, func(tx *store.Tx) error {
		return deleteScratch(ctx, tx, tables, `job_id NOT IN (SELECT id FROM ferry_job WHERE status IN ('running','interrupted'))`)
	})
}
