package main

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/ferrymigrate/ferry/bench/harness"
)

// baseline is one raw bulk load of the cleaned files: the database's own
// client copying them into bare all-text tables.
type baseline struct {
	Name   string // the step: pg_baseline_logged, pg_baseline_unlogged, sqlite_baseline
	Label  string // what it is, for the report
	Result harness.Result
	Rows   int64 // rows in the tables afterwards
	Want   int64 // rows in the cleaned files
	Err    error // the baseline could not be set up or checked
}

// problem says why the baseline's time does not count, nil when it does.
func (b baseline) problem() error {
	switch {
	case b.Err != nil:
		return b.Err
	case !b.Result.OK():
		return fmt.Errorf("the step failed: %w", b.Result.Err)
	case b.Rows != b.Want:
		return fmt.Errorf("it loaded %d rows, the cleaned files hold %d", b.Rows, b.Want)
	}
	return nil
}

// Seconds is the baseline's time, 0 when it does not count.
func (b baseline) Seconds() float64 {
	if b.problem() != nil {
		return 0
	}
	return b.Result.Seconds
}

// countSQL sums the rows of the nine baseline tables, each name prefixed.
func countSQL(prefix string) string {
	parts := make([]string, len(inputs))
	for i, in := range inputs {
		parts[i] = fmt.Sprintf("(SELECT count(*) FROM %s%s)", prefix, in.Table)
	}
	return "SELECT " + strings.Join(parts, " + ")
}

// pgBaseline is one psql process running \copy of the nine files, into
// ordinary (logged) tables or into unlogged ones, which is what ferry's
// scratch tables are.
func (r *run) pgBaseline(ctx context.Context, db *harness.ScratchDB, unlogged bool) baseline {
	mode := "logged"
	if unlogged {
		mode = "unlogged"
	}
	b := baseline{Name: "pg_baseline_" + mode, Label: `psql \copy, ` + mode + " tables", Want: r.inputs.Kept}
	schema := "base_" + mode
	files := r.inputs.copyFiles(r.clean, schema)
	ddl := []string{"CREATE SCHEMA " + schema + ";"}
	for _, f := range files {
		ddl = append(ddl, harness.TextTableDDL(f.Table, f.Columns, unlogged))
	}
	if err := db.Exec(ctx, strings.Join(ddl, "\n")); err != nil {
		b.Err = fmt.Errorf("creating the tables: %w", err)
		return b
	}
	script := filepath.Join(r.logs, "pg_copy_"+mode+".sql")
	if err := os.WriteFile(script, []byte(harness.PsqlCopyScript(files, sep)), 0o644); err != nil {
		b.Err = err
		return b
	}
	db.Checkpoint(ctx)
	b.Result = r.step(ctx, harness.Step{Name: b.Name, Path: "psql", Args: []string{db.URL, "-XqAt", "-f", script}})
	if b.Result.OK() {
		if n, err := db.Int64s(ctx, countSQL(schema+"."), 1); err != nil {
			b.Err = fmt.Errorf("counting the rows: %w", err)
		} else {
			b.Rows = n[0]
		}
	}
	logBaseline(b)
	if err := db.Exec(ctx, "SET client_min_messages = warning; DROP SCHEMA "+schema+" CASCADE; RESET client_min_messages"); err != nil {
		harness.Logf("dropping %s: %v", schema, err)
	}
	return b
}

// sqlitePragmas are the ones ferry's SQLite connection sets, which the
// baseline sets too.
var sqlitePragmas = []string{"journal_mode=WAL", "synchronous=NORMAL"}

// sqliteBaseline is one sqlite3 process .import-ing the nine files into
// bare tables of a fresh file.
func (r *run) sqliteBaseline(ctx context.Context) baseline {
	b := baseline{Name: "sqlite_baseline", Label: "sqlite3 .import", Want: r.inputs.Kept}
	path := filepath.Join(r.work, "baseline.sqlite")
	defer removeSQLite(path)
	files := r.inputs.copyFiles(r.clean, "")
	ddl := []string{"PRAGMA journal_mode=WAL;"}
	for _, f := range files {
		ddl = append(ddl, harness.TextTableDDL(f.Table, f.Columns, false))
	}
	if err := sqliteExec(ctx, path, strings.Join(ddl, "\n")); err != nil {
		b.Err = fmt.Errorf("creating the tables: %w", err)
		return b
	}
	script := filepath.Join(r.logs, "sqlite_import.sql")
	if err := os.WriteFile(script, []byte(harness.SqliteImportScript(sqlitePragmas, files, sep)), 0o644); err != nil {
		b.Err = err
		return b
	}
	b.Result = r.step(ctx, harness.Step{Name: b.Name, Path: "sqlite3", Args: []string{"-bail", path, ".read " + script}})
	if b.Result.OK() {
		if n, err := sqliteInt64s(ctx, path, countSQL(""), 1); err != nil {
			b.Err = fmt.Errorf("counting the rows: %w", err)
		} else {
			b.Rows = n[0]
		}
	}
	logBaseline(b)
	return b
}

func logBaseline(b baseline) {
	if err := b.problem(); err != nil {
		harness.Logf("baseline %s does not count: %v", b.Name, err)
		return
	}
	harness.Logf("  %s loaded %d rows, as many as the cleaned files hold", b.Name, b.Rows)
}

// removeSQLite removes a database file and its journal files.
func removeSQLite(path string) {
	for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
		_ = os.Remove(path + suffix)
	}
}

// openSQLite opens a database file with the pure-Go driver.
func openSQLite(path string) (*sql.DB, error) {
	db, err := sql.Open("sqlite", path)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	return db, nil
}

func sqliteExec(ctx context.Context, path, stmts string) error {
	db, err := openSQLite(path)
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.ExecContext(ctx, stmts)
	return err
}

// sqliteInt64s runs a query of one row of n integers on the file.
func sqliteInt64s(ctx context.Context, path, query string, n int) ([]int64, error) {
	db, err := openSQLite(path)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	vals := make([]int64, n)
	ptrs := make([]any, n)
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := db.QueryRowContext(ctx, query).Scan(ptrs...); err != nil {
		return nil, err
	}
	return vals, nil
}
