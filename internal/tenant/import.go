package tenant

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/ferrymigrate/ferry"
	"github.com/ferrymigrate/ferry/internal/cqlcsv"
	"github.com/ferrymigrate/ferry/internal/engine"
	"github.com/ferrymigrate/ferry/internal/store"
)

// ImportOptions configures Import.
type ImportOptions struct {
	Dir string
	// MaxRejects fails the import, before anything is applied, once more
	// rows than this are rejected. Negative means no limit.
	MaxRejects int64
	// OnReject, when set, receives every rejected row as it is read.
	OnReject func(engine.Reject)
	// DryRun reads and applies everything, reports it, and rolls it back.
	DryRun bool
}

// TableImport is what an import did to one table.
type TableImport struct {
	Table    string   `json:"table"`
	Files    int      `json:"files"`
	Rows     int64    `json:"rows"`
	Inserted int64    `json:"inserted"`
	Updated  int64    `json:"updated"`
	Same     int64    `json:"unchanged"`
	Repeated int64    `json:"repeatedKeys"`
	Missing  []string `json:"missingColumns,omitempty"`
	Extra    []string `json:"extraColumns,omitempty"`
}

// ImportResult is an import's report.
type ImportResult struct {
	JobID    int64              `json:"job"`
	Resumed  bool               `json:"resumed"`
	DryRun   bool               `json:"dryRun,omitempty"`
	Tables   []TableImport      `json:"tables"`
	Files    []engine.FileStats `json:"files"`
	Rejected int64              `json:"rejected"`
	Unknown  []string           `json:"unknownFiles,omitempty"`
	Rejects  []engine.Reject    `json:"rejects"`
}

// headers collects the header of each table's first file as its reader
// meets it; continuation files have none and read by it.
type headers struct {
	mu sync.Mutex
	by map[string]cqlcsv.HeaderReport
}

// Import reads a dataset into the tenant tables: every file streams into
// its scratch table, resumably, then one upsert per table moves the rows
// in. An import of the same export again changes nothing; rows of the
// database that the export lacks are kept.
func (s *Service) Import(ctx context.Context, opts ImportOptions) (res ImportResult, err error) {
	ds, err := FindDataset(opts.Dir)
	if err != nil {
		return res, err
	}
	if err := s.noMergeSinceImport(ctx); err != nil {
		return res, err
	}
	res.Unknown = ds.Unknown
	hs := &headers{by: map[string]cqlcsv.HeaderReport{}}
	var files []engine.File
	for _, f := range ds.Files {
		files = append(files, s.importFile(ds, f, hs))
	}
	inputs, err := engine.HashInputs(files)
	if err != nil {
		return res, err
	}
	abs, _ := filepath.Abs(opts.Dir)
	run, err := s.Engine.Start(ctx, engine.Spec{Kind: "tenant.import", Group: jobGroup, Resumable: !opts.DryRun, DryRun: opts.DryRun,
		Inputs: inputs, Args: map[string]any{"dir": abs, "maxRejects": opts.MaxRejects}})
	if err != nil {
		return res, err
	}
	res.JobID, res.Resumed, res.DryRun = run.Job.ID, run.Resumed, opts.DryRun
	var out engine.LoadOutcome
	defer func() {
		var final any = map[string]any{"files": out.Files, "rejected": out.Rejected}
		if out.Result != nil {
			final = res
		}
		if ferr := run.Finish(ctx, final, err); ferr != nil && err == nil {
			err = ferr
		}
	}()
	var scratch []string
	var analyze []string
	for _, t := range Tables() {
		scratch = append(scratch, scratchTable(t))
	}
	for _, t := range ds.Tables() {
		analyze = append(analyze, scratchTable(t), t.SQL)
	}
	l := engine.Load{Files: files, Scratch: scratch, Analyze: analyze, MaxRejects: opts.MaxRejects, OnReject: opts.OnReject, DryRun: opts.DryRun,
		Apply: func(ctx context.Context, tx *store.Tx, stats []engine.FileStats) (any, error) {
			tables, err := s.applyImport(ctx, tx, run, ds, hs)
			return ImportResult{Tables: tables}, err
		}}
	run.PlanSteps(l.Steps())
	out, err = run.Load(ctx, l)
	res.Files, res.Rejected = out.Files, out.Rejected
	if err != nil {
		return res, err
	}
	var applied ImportResult
	if err := json.Unmarshal(out.Result, &applied); err != nil {
		return res, err
	}
	res.Tables = applied.Tables
	if !opts.DryRun {
		// The planner's statistics are those of the tables before the
		// upsert (empty, on a first import) until they are taken again;
		// a plan over a million users built on them nests loops.
		var tables []string
		for _, t := range ds.Tables() {
			tables = append(tables, t.SQL)
		}
		if err := s.DB.InTx(ctx, func(tx *store.Tx) error { return tx.Analyze(ctx, tables...) }); err != nil {
			return res, err
		}
	}
	res.Rejects, err = engine.Rejects(ctx, s.DB, run.Job.ID, 100)
	return res, err
}

// importFile is the engine's view of one file of the dataset.
func (s *Service) importFile(ds *Dataset, f DatasetFile, hs *headers) engine.File {
	t := f.Table
	rel, err := filepath.Rel(ds.Dir, f.Path)
	if err != nil {
		rel = f.Path
	}
	cols := []string{"line"}
	for _, c := range t.Columns {
		cols = append(cols, c.Name)
	}
	cols = append(cols, "extra")
	role := t.Name
	if f.Part > 0 {
		role = fmt.Sprintf("%s.%d", t.Name, f.Part)
	}
	first := f.Path
	if f.Part > 0 {
		first = strings.TrimSuffix(f.Path, filepath.Ext(f.Path))
	}
	return engine.File{Role: role, Label: rel, Path: f.Path, Table: scratchTable(t), Columns: cols,
		Open: func(r io.Reader, from engine.Position, onReject func(engine.Reject)) engine.RowReader {
			opts := cqlcsv.Options{OnReject: func(rj cqlcsv.Reject) {
				onReject(engine.Reject{File: rel, Line: rj.Line, Reason: rj.Reason, Raw: string(rj.Raw)})
			}}
			if f.Part > 0 || from.Offset > 0 {
				// A continuation file, or a file resumed past its header:
				// its columns are those of the table's first file.
				h, err := readHeader(first, &t.Table)
				if err != nil {
					return &failedReader{err: err}
				}
				opts.NoHeader, opts.Columns = true, h.Columns
			}
			if from.Offset > 0 {
				if sk, ok := r.(io.Seeker); ok {
					if _, err := sk.Seek(from.Offset, io.SeekStart); err != nil {
						return &failedReader{err: err}
					}
				}
				opts.StartOffset, opts.StartLine = from.Offset, from.Line
			}
			cr := cqlcsv.NewStreamReader(r, rel, &t.Table, opts)
			return &rowReader{r: cr, file: rel, table: t, hs: hs, part: f.Part, resumed: from.Offset > 0}
		}}
}

// readHeader reads the header of a table's first file.
func readHeader(path string, t *cqlcsv.Table) (cqlcsv.HeaderReport, error) {
	f, err := os.Open(path)
	if err != nil {
		return cqlcsv.HeaderReport{}, err
	}
	defer f.Close()
	r := cqlcsv.NewStreamReader(f, filepath.Base(path), t, cqlcsv.Options{})
	r.Next()
	if err := r.Err(); err != nil {
		return cqlcsv.HeaderReport{}, err
	}
	return r.Header(), nil
}

// rowReader gives the engine a file's rows as scratch values: the line,
// every catalog column, and the extra columns as one JSON object.
type rowReader struct {
	r       *cqlcsv.Reader
	file    string
	table   *Table
	hs      *headers
	part    int
	resumed bool
	vals    []any
	noted   bool
}

func (rr *rowReader) Next() bool {
	ok := rr.r.Next()
	if !rr.noted && rr.part == 0 && !rr.resumed && rr.r.Err() == nil {
		rr.noted = true
		rr.hs.mu.Lock()
		rr.hs.by[rr.table.Name] = rr.r.Header()
		rr.hs.mu.Unlock()
	}
	if !ok {
		return false
	}
	row := rr.r.Row()
	rr.vals = append(rr.vals[:0], rr.r.Line())
	rr.vals = append(rr.vals, row...)
	rr.vals = append(rr.vals, extraJSON(rr.r.Header().Extra, rr.r.Extra()))
	return true
}

func (rr *rowReader) Values() []any { return rr.vals }
func (rr *rowReader) Err() error {
	if err := rr.r.Err(); err != nil {
		return &ferry.Error{Code: ferry.EINPUT, Message: fmt.Sprintf("%s: %v", rr.file, err), Err: err}
	}
	return nil
}
func (rr *rowReader) Position() engine.Position {
	p := rr.r.Position()
	return engine.Position{Offset: p.Offset, Line: p.Line}
}
func (rr *rowReader) Stats() engine.ReadStats {
	st := rr.r.Stats()
	return engine.ReadStats{Lines: st.Records + st.Rejected, Records: st.Records, Rejected: st.Rejected}
}

// extraJSON keeps the columns the catalog does not know as a JSON object,
// nulls left out; nil when there are none.
func extraJSON(names, vals []string) any {
	if len(names) == 0 {
		return nil
	}
	m := map[string]string{}
	for i, n := range names {
		if i < len(vals) && vals[i] != "" {
			m[n] = vals[i]
		}
	}
	if len(m) == 0 {
		return nil
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(m)
	return strings.TrimSuffix(b.String(), "\n")
}

type failedReader struct{ err error }

func (f *failedReader) Next() bool    { return false }
func (f *failedReader) Values() []any { return nil }
func (f *failedReader) Err() error {
	return &ferry.Error{Code: ferry.EINPUT, Message: f.err.Error(), Err: f.err}
}
func (f *failedReader) Position() engine.Position { return engine.Position{} }
func (f *failedReader) Stats() engine.ReadStats   { return engine.ReadStats{} }

// applyImport upserts every table's scratch rows into the table, one
// statement each: a key repeated in the export counts once (its last
// line wins), and a row that is already there as exported is left alone.
func (s *Service) applyImport(ctx context.Context, tx *store.Tx, run *engine.Run, ds *Dataset, hs *headers) ([]TableImport, error) {
	var out []TableImport
	for _, t := range ds.Tables() {
		ti := TableImport{Table: t.Name}
		for _, f := range ds.Files {
			if f.Table == t {
				ti.Files++
			}
		}
		h := hs.by[t.Name]
		ti.Missing, ti.Extra = h.Missing, h.Extra
		for _, c := range h.Missing {
			if err := run.AddFinding(ctx, tx, engine.Finding{Kind: "header_missing_column", Subject: t.Name + "." + c,
				Detail: "the export lacks this column (an older cluster?); it is imported as null"}); err != nil {
				return nil, err
			}
		}
		for _, c := range h.Extra {
			if err := run.AddFinding(ctx, tx, engine.Finding{Kind: "header_extra_column", Subject: t.Name + "." + c,
				Detail: "a column the platform's current schema lacks (dropped or custom); kept in the row's extra"}); err != nil {
				return nil, err
			}
		}
		if err := upsert(ctx, tx, run.Job.ID, t, &ti); err != nil {
			return nil, fmt.Errorf("importing %s: %w", t.Name, err)
		}
		out = append(out, ti)
	}
	return out, nil
}

func upsert(ctx context.Context, tx *store.Tx, job int64, t *Table, ti *TableImport) error {
	sx := scratchTable(t)
	keys := keyCols(t)
	var cols, set, differs []string
	for _, c := range t.Columns {
		cols = append(cols, c.Name)
	}
	cols = append(cols, "extra")
	for _, c := range cols[t.KeyLen:] {
		set = append(set, c+" = excluded."+c)
		differs = append(differs, t.SQL+"."+c+" IS DISTINCT FROM excluded."+c)
	}
	list := strings.Join(cols, ", ")
	latest := `(SELECT ` + list + ` FROM (SELECT ` + list + `, row_number() OVER (PARTITION BY ` + keys + ` ORDER BY line DESC) AS rn
		FROM ` + sx + ` WHERE job_id = ?) r WHERE rn = 1)`
	if err := tx.QueryRow(ctx, `SELECT count(*), count(*) - count(DISTINCT `+concatKey(tx.Dialect(), t)+`) FROM `+sx+` WHERE job_id = ?`, job).Scan(&ti.Rows, &ti.Repeated); err != nil {
		return err
	}
	var conds []string
	for _, c := range t.Columns[:t.KeyLen] {
		conds = append(conds, "e."+c.Name+" = l."+c.Name)
	}
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM `+latest+` l WHERE NOT EXISTS (SELECT 1 FROM `+t.SQL+` e WHERE `+strings.Join(conds, " AND ")+`)`, job).Scan(&ti.Inserted); err != nil {
		return err
	}
	q := `INSERT INTO ` + t.SQL + ` (` + list + `) SELECT ` + list + ` FROM ` + latest + ` l WHERE true
		ON CONFLICT (` + keys + `) DO UPDATE SET ` + strings.Join(set, ", ") + ` WHERE ` + strings.Join(differs, " OR ")
	if len(set) == 0 {
		q = `INSERT INTO ` + t.SQL + ` (` + list + `) SELECT ` + list + ` FROM ` + latest + ` l WHERE true ON CONFLICT (` + keys + `) DO NOTHING`
	}
	n, err := tx.Exec(ctx, q, job)
	if err != nil {
		return err
	}
	ti.Updated = n - ti.Inserted
	ti.Same = ti.Rows - ti.Repeated - n
	return nil
}

// concatKey is a row's key as one text, for counting distinct keys.
func concatKey(d store.Dialect, t *Table) string {
	var parts []string
	for _, c := range t.Columns[:t.KeyLen] {
		parts = append(parts, "coalesce("+c.Name+", '')")
	}
	return strings.Join(parts, " || '\x1f' || ")
}

// ErrMergedSinceImport: a merge changed the tenant tables after the last
// import, and importing again would overwrite its changes without a
// journal (the export is older than the merge).
var ErrMergedSinceImport = &ferry.Error{Code: ferry.ECONFLICT, Message: "a tenant merge changed the imported tables"}

// noMergeSinceImport refuses an import over the work of a merge that
// finished after the last import and was not rolled back.
func (s *Service) noMergeSinceImport(ctx context.Context) error {
	var merge, lastImport int64
	err := s.DB.QueryRow(ctx, `SELECT coalesce(max(id), 0) FROM ferry_job WHERE kind = 'tenant.import' AND status = 'succeeded' AND dry_run = ?`, false).Scan(&lastImport)
	if err != nil {
		return err
	}
	rows, err := s.DB.Query(ctx, `SELECT j.id FROM ferry_job j WHERE j.kind = 'tenant.migrate' AND j.status = 'succeeded' AND j.id > ?
		AND EXISTS (SELECT 1 FROM ferry_journal c WHERE c.job_id = j.id) ORDER BY j.id DESC`, lastImport)
	if err != nil {
		return err
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, id := range ids {
		by, err := rolledBackBy(ctx, s.DB, id)
		if err != nil {
			return err
		}
		if by == 0 {
			merge = id
			break
		}
	}
	if merge == 0 {
		return nil
	}
	return &ferry.Error{Code: ferry.ECONFLICT, Err: ErrMergedSinceImport,
		Message: fmt.Sprintf("merge job %d changed the tenant tables after the last import: importing again would overwrite its changes with no journal", merge),
		Hint:    fmt.Sprintf("write it back first (ferry tenant export %d), or roll it back, or import into a new database", merge)}
}
