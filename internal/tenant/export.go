package tenant

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/ferrymigrate/ferry"
	"github.com/ferrymigrate/ferry/internal/cqlcsv"
	"github.com/ferrymigrate/ferry/internal/engine"
)

// ExportResult says what Export wrote.
type ExportResult struct {
	Job int64  `json:"job"`
	Dir string `json:"dir"`
	// Apply and Undo count, per table, the rows their files change.
	Apply map[string]int64 `json:"apply"`
	Undo  map[string]int64 `json:"undo"`
	Files []string         `json:"files"`
	// Skipped lists tables that are not in the platform's Cassandra
	// (content lives in the knowledge platform) with their row counts.
	Skipped map[string]int64 `json:"skipped,omitempty"`
}

// change is one row's change as the write-back needs it.
type change struct {
	t             *Table
	action        string
	before, after []any // full rows, nil when there is none
}

// Export writes the write-back of a finished merge (decision 16): the
// files that apply exactly its changes to the platform's Cassandra and
// the files that undo them, after sunbird-export-format §2.5. Each side
// is a delete.cql of every old key, run first, and COPY FROM files with
// only the key and the changed columns of each row (a re-keyed row
// whole), named by a copy.cql. Ciphertexts go back byte for byte.
func (s *Service) Export(ctx context.Context, jobID int64, dir string) (ExportResult, error) {
	res := ExportResult{Job: jobID, Dir: dir, Apply: map[string]int64{}, Undo: map[string]int64{}, Skipped: map[string]int64{}}
	job, err := engine.Get(ctx, s.DB, jobID)
	if err != nil {
		return res, err
	}
	if job.Kind != "tenant.migrate" && job.Kind != "tenant.rollback" {
		return res, ferry.Errorf(ferry.EINVALID, "job %d is a %s job: only tenant merges and rollbacks have a write-back", jobID, job.Kind)
	}
	if job.Status != engine.Succeeded {
		return res, ferry.Errorf(ferry.ECONFLICT, "job %d has not finished (%s): export it once it has succeeded", jobID, job.Status)
	}
	if err := emptyDir(dir); err != nil {
		return res, err
	}
	var changes []change
	err = engine.EachChange(ctx, s.DB, jobID, false, func(c engine.Change) error {
		t := TableNamed(c.Entity)
		if t == nil {
			return fmt.Errorf("journal entry %d names an unknown table %q", c.ID, c.Entity)
		}
		if c.Action == engine.ActionMove {
			// A move is written back as what cqlsh can do: a delete of the
			// old key and an insert of the whole row at the new one.
			old, err := rowOf(t, c.Before)
			if err != nil {
				return err
			}
			moved, err := overlay(t, c.Before, c.After)
			if err != nil {
				return err
			}
			changes = append(changes, change{t: t, action: engine.ActionDelete, before: old},
				change{t: t, action: engine.ActionInsert, after: moved})
			return nil
		}
		ch := change{t: t, action: c.Action}
		var err error
		if c.Before != "" {
			if ch.before, err = rowOf(t, c.Before); err != nil {
				return err
			}
		}
		if c.After != "" {
			if c.Action == engine.ActionUpdate && c.Before != "" {
				// An update's images hold its columns only; the key is in both.
				ch.after, err = overlay(t, c.Before, c.After)
			} else {
				ch.after, err = rowOf(t, c.After)
			}
			if err != nil {
				return err
			}
		}
		changes = append(changes, ch)
		return nil
	})
	if err != nil {
		return res, err
	}
	var undo []change
	for i := len(changes) - 1; i >= 0; i-- {
		c := changes[i]
		u := change{t: c.t, before: c.after, after: c.before}
		switch c.action {
		case engine.ActionInsert:
			u.action = engine.ActionDelete
		case engine.ActionDelete:
			u.action = engine.ActionInsert
		default:
			u.action = engine.ActionUpdate
		}
		undo = append(undo, u)
	}
	for _, side := range []struct {
		name    string
		changes []change
		counts  map[string]int64
	}{{"apply", changes, res.Apply}, {"undo", undo, res.Undo}} {
		files, err := writeSide(filepath.Join(dir, side.name), side.changes, side.counts, res.Skipped)
		if err != nil {
			return res, err
		}
		for _, f := range files {
			rel, _ := filepath.Rel(dir, f)
			res.Files = append(res.Files, rel)
		}
	}
	for k := range res.Skipped {
		res.Skipped[k] /= 2 // counted once per side
	}
	if err := writeExportReadme(dir, res, job); err != nil {
		return res, err
	}
	res.Files = append(res.Files, "README.md")
	return res, nil
}

// rowOf turns a journal image into a table row in the reader's
// representation.
func rowOf(t *Table, img string) ([]any, error) {
	_, vals, err := imageValues(t, img)
	if err != nil {
		return nil, err
	}
	return vals[:len(t.Columns)], nil
}

// writeSide writes one side's delete.cql and COPY files.
func writeSide(dir string, changes []change, counts, skipped map[string]int64) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var deletes []string
	type group struct {
		t    *Table
		cols []string
		rows [][]any
	}
	groups := map[string]*group{}
	var order []string
	for _, c := range changes {
		if c.t.Keyspace == "" {
			skipped[c.t.Name]++
			continue
		}
		counts[c.t.Name]++
		var row []any
		var cols []string
		switch c.action {
		case engine.ActionDelete:
			st, err := cqlcsv.DeleteStatement(&c.t.Table, c.before)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", c.t.Name, err)
			}
			deletes = append(deletes, st)
			continue
		case engine.ActionInsert:
			row, cols = c.after, nonNullColumns(c.t, c.after)
		default:
			row, cols = c.after, changedColumns(c.t, c.before, c.after)
			if len(cols) == c.t.KeyLen {
				continue // nothing but the key: no change to write
			}
		}
		key := c.t.Name + "\x00" + strings.Join(cols, ",")
		g := groups[key]
		if g == nil {
			g = &group{t: c.t, cols: cols}
			groups[key] = g
			order = append(order, key)
		}
		g.rows = append(g.rows, row)
	}
	var files []string
	if len(deletes) > 0 {
		p := filepath.Join(dir, "delete.cql")
		if err := writeLines(p, append([]string{"-- Run first: cqlsh -f delete.cql (deletes every old key of a re-keyed or merged row)."}, deletes...)); err != nil {
			return nil, err
		}
		files = append(files, p)
	}
	var copies []string
	names := map[string]int{}
	for _, key := range order {
		g := groups[key]
		base := strings.ReplaceAll(g.t.Name, ".", "_")
		names[base]++
		if n := names[base]; n > 1 {
			base = fmt.Sprintf("%s_%d", base, n)
		}
		lw, err := cqlcsv.CreateLoad(filepath.Join(dir, base+".csv"), &g.t.Table, g.cols, cqlcsv.LoadOptions{MaxLines: cqlcsv.SafeChunkLines})
		if err != nil {
			return nil, err
		}
		for _, r := range g.rows {
			if err := lw.Write(r); err != nil {
				lw.Close()
				return nil, fmt.Errorf("%s: %w", g.t.Name, err)
			}
		}
		if err := lw.Close(); err != nil {
			return nil, err
		}
		files = append(files, lw.Files()...)
		for _, st := range lw.Statements() {
			copies = append(copies, relativeCopy(st, dir))
		}
	}
	if len(copies) > 0 {
		p := filepath.Join(dir, "copy.cql")
		if err := writeLines(p, append([]string{"-- Run after delete.cql, from this folder: cqlsh -f copy.cql"}, copies...)); err != nil {
			return nil, err
		}
		files = append(files, p)
	}
	sort.Strings(files)
	return files, nil
}

// relativeCopy makes a COPY statement name its file relative to dir, so
// the folder can be copied to the machine that runs cqlsh.
func relativeCopy(st, dir string) string {
	return strings.ReplaceAll(st, dir+string(filepath.Separator), "")
}

func nonNullColumns(t *Table, row []any) []string {
	var cols []string
	for i, c := range t.Columns {
		if i < t.KeyLen || row[i] != nil {
			cols = append(cols, c.Name)
		}
	}
	return cols
}

// changedColumns is the key and every column whose value differs.
func changedColumns(t *Table, before, after []any) []string {
	var cols []string
	for i, c := range t.Columns {
		if i < t.KeyLen || fmt.Sprint(before[i]) != fmt.Sprint(after[i]) || (before[i] == nil) != (after[i] == nil) {
			cols = append(cols, c.Name)
		}
	}
	return cols
}

func writeLines(path string, lines []string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	for _, l := range lines {
		w.WriteString(l)
		w.WriteString("\n")
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// emptyDir makes sure dir is new or empty: a write-back never mixes with
// older files.
func emptyDir(dir string) error {
	entries, err := os.ReadDir(dir)
	switch {
	case os.IsNotExist(err):
		return os.MkdirAll(dir, 0o755)
	case err != nil:
		return ferry.Errorf(ferry.EINPUT, "%s: %v", dir, unwrapPathError(err))
	case len(entries) > 0:
		return ferry.Errorf(ferry.EINPUT, "%s is not empty: a write-back goes into a new folder", dir)
	}
	return nil
}

func writeExportReadme(dir string, res ExportResult, job engine.Job) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# Write-back of ferry job %d (%s)\n\n", res.Job, job.Kind)
	b.WriteString(`These files apply the job's changes to the platform's Cassandra (apply/) and
undo them (undo/). Each folder holds:

- delete.cql: a DELETE of every old key of a row the job re-keyed or merged
  away. COPY FROM cannot delete, so run it first.
- copy.cql and the .csv files: COPY FROM statements with an explicit column
  list, the key and only the columns the job changed (a re-keyed row whole),
  so that no other column is touched. NULL is written <NULL>; text is
  written as it is, line feeds inside quotes included, so ciphertexts arrive
  byte for byte. No file has more than 4,999 lines, so that cqlsh's
  5,000-line chunks never cut a record.

To apply, with the platform's services stopped or the tenants frozen:

    cd apply
    cqlsh HOST -f delete.cql
    cqlsh HOST -f copy.cql

To undo, the same in undo/. COPY FROM is not atomic: it keeps going after
failed rows and writes them to import_<keyspace>_<table>.err; check that
no such file appeared, and rerun the same script (every statement can be
run again) if one did.

Rows per table:

| table | apply | undo |
|---|--:|--:|
`)
	var tables []string
	for k := range res.Apply {
		tables = append(tables, k)
	}
	sort.Strings(tables)
	for _, t := range tables {
		fmt.Fprintf(&b, "| %s | %d | %d |\n", t, res.Apply[t], res.Undo[t])
	}
	if len(res.Skipped) > 0 {
		b.WriteString("\nNot written (not in these keyspaces):\n\n")
		for t, n := range res.Skipped {
			fmt.Fprintf(&b, "- %s: %d rows; content lives in the knowledge platform, whose own tools change its channel\n", t, n)
		}
	}
	return os.WriteFile(filepath.Join(dir, "README.md"), []byte(b.String()), 0o644)
}
