package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/ferrymigrate/ferry/bench/harness"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver, for reading the orgs and the columns
)

// generated is what `ferry tenant generate --json` prints.
type generated struct {
	Source string           `json:"source"`
	Target string           `json:"target"`
	Rows   map[string]int64 `json:"rows"`
}

func parseGenerated(b []byte) (generated, error) {
	var g generated
	if err := json.Unmarshal(b, &g); err != nil {
		return g, err
	}
	if g.Source == "" || g.Target == "" {
		return g, fmt.Errorf("it names no source or no target")
	}
	return g, nil
}

// TotalRows sums the rows of every table.
func (g generated) TotalRows() int64 {
	var n int64
	for _, v := range g.Rows {
		n += v
	}
	return n
}

// mergeOutput is what `ferry tenant migrate --json` prints, the parts the
// report uses.
type mergeOutput struct {
	Changes   map[string]int64 `json:"changes"`
	Conflicts []struct {
		Code  string `json:"code"`
		Table string `json:"table"`
	} `json:"conflicts"`
	Skipped           int64   `json:"skipped"`
	SourceDeactivated bool    `json:"sourceDeactivated"`
	Outbox            int64   `json:"outbox"`
	Duration          float64 `json:"durationSeconds"`
}

func parseMergeOutput(b []byte) (mergeOutput, error) {
	var m mergeOutput
	err := json.Unmarshal(b, &m)
	return m, err
}

// TotalChanges sums the rows the merge changed.
func (m mergeOutput) TotalChanges() int64 {
	var n int64
	for _, v := range m.Changes {
		n += v
	}
	return n
}

// ConflictCounts counts the conflicts by code, as "CODE n" sorted by code.
func (m mergeOutput) ConflictCounts() []string {
	by := map[string]int{}
	for _, c := range m.Conflicts {
		by[c.Code]++
	}
	var out []string
	for code, n := range by {
		out = append(out, fmt.Sprintf("%s %d", code, n))
	}
	sort.Strings(out)
	return out
}

// engineRun is everything measured on one engine for one dataset.
type engineRun struct {
	Engine string // "postgres" or "sqlite"
	Prefix string // of its step names: "pg" or "sqlite"
	Users  int
	Err    error // the engine could not be set up, or a step between the timed ones failed
	// Server describes the database: the PostgreSQL version and settings,
	// or the file's pragmas.
	Server string
	DBMB   int64 // the database's size after the import, -1 unknown

	Import, Merge, Bare harness.Result
	MergeOut            mergeOutput
	MergeOutErr         error          // reading the merge's --json output
	MergeTrace          *harness.Trace // nil when missing
	State               stateCheck
}

func (r *run) stepName(prefix, what string, users int) string {
	return fmt.Sprintf("%s_%s_%d", prefix, what, users)
}

// postgres imports the dataset into a fresh database, copies it for the
// baseline, and times ferry's merge on the one and the bare SQL on the
// other.
func (r *run) postgres(ctx context.Context, s *sizeRun) *engineRun {
	e := &engineRun{Engine: "postgres", Prefix: "pg", Users: s.Users, DBMB: -1}
	db, err := harness.CreateScratchDB(ctx, r.cfg.PGURL, "ferry_bench")
	if err != nil {
		e.Err = err
		return e
	}
	r.dbs = append(r.dbs, db)
	defer r.dropDB(db)
	if e.Server, err = db.Settings(ctx); err != nil {
		harness.Logf("reading the server's settings: %v", err)
	}
	harness.Logf("PostgreSQL %s, database %s", e.Server, db.Name)
	if err := r.ferrySchema(ctx, db.URL); err != nil {
		e.Err = err
		return e
	}
	db.Checkpoint(ctx)
	e.Import = r.ferryStep(ctx, r.stepName(e.Prefix, "import", s.Users), "--db", db.URL, "--json", "tenant", "import", s.Data)
	if !e.Import.OK() || ctx.Err() != nil {
		return e
	}
	if mb, err := db.SizeMB(ctx); err == nil {
		e.DBMB = mb
	}
	vars, err := readBareVars(s.Dataset, func(id string) (channel, name string, err error) {
		err = db.Conn().QueryRow(ctx, orgSQL("$1"), id).Scan(&channel, &name)
		return channel, name, err
	})
	if err != nil {
		e.Err = err
		return e
	}
	harness.Logf("copying %s for the bare SQL", db.Name)
	bare, err := db.Clone(ctx, "bare")
	if err != nil {
		e.Err = err
		return e
	}
	r.dbs = append(r.dbs, bare)
	defer r.dropDB(bare)

	db.Checkpoint(ctx)
	r.merge(ctx, e, db.URL, s.Dataset)
	if ctx.Err() != nil {
		return e
	}
	script := filepath.Join(r.logs, "bare-postgres.sql")
	if err := os.WriteFile(script, []byte(barePostgres), 0o644); err != nil {
		e.Err = err
		return e
	}
	bare.Checkpoint(ctx)
	vars.stamp(time.Now())
	e.Bare = r.step(ctx, harness.Step{Name: r.stepName(e.Prefix, "bare", s.Users), Path: "psql", Args: psqlArgs(bare.URL, script, vars)})
	if e.Merge.OK() && e.Bare.OK() && ctx.Err() == nil {
		harness.Logf("comparing the states")
		e.State = pgState(ctx, db, bare)
		logState(e)
	}
	return e
}

// sqlite does the same on files: the copy is taken once ferry has exited
// and the WAL has been checkpointed into the file.
func (r *run) sqlite(ctx context.Context, s *sizeRun) *engineRun {
	e := &engineRun{Engine: "sqlite", Prefix: "sqlite", Users: s.Users, DBMB: -1}
	e.Server = "journal_mode=WAL synchronous=NORMAL, " + r.sqlite3 + " for the bare SQL"
	path := filepath.Join(r.work, fmt.Sprintf("ferry-%d.sqlite", s.Users))
	barePath := filepath.Join(r.work, fmt.Sprintf("bare-%d.sqlite", s.Users))
	removeSQLite(path)
	removeSQLite(barePath)
	if !r.cfg.Keep {
		defer removeSQLite(path)
		defer removeSQLite(barePath)
	}
	if err := r.ferrySchema(ctx, path); err != nil {
		e.Err = err
		return e
	}
	e.Import = r.ferryStep(ctx, r.stepName(e.Prefix, "import", s.Users), "--db", path, "--json", "tenant", "import", s.Data)
	if !e.Import.OK() || ctx.Err() != nil {
		return e
	}
	db, err := openSQLite(path)
	if err != nil {
		e.Err = err
		return e
	}
	vars, err := readBareVars(s.Dataset, func(id string) (channel, name string, err error) {
		err = db.QueryRowContext(ctx, orgSQL("?"), id).Scan(&channel, &name)
		return channel, name, err
	})
	var cols []tableColumns
	if err == nil {
		cols, err = sqliteColumns(ctx, db)
	}
	_ = db.Close()
	if err != nil {
		e.Err = err
		return e
	}
	harness.Logf("copying %s for the bare SQL", filepath.Base(path))
	if err := copySQLite(ctx, barePath, path); err != nil {
		e.Err = err
		return e
	}
	e.DBMB = sqliteSizeMB(path)

	r.merge(ctx, e, path, s.Dataset)
	if ctx.Err() != nil {
		return e
	}
	vars.stamp(time.Now())
	text, err := substitute(bareSQLite, vars)
	if err != nil {
		e.Err = err
		return e
	}
	script := filepath.Join(r.logs, r.stepName(e.Prefix, "bare", s.Users)+".sql")
	if err := os.WriteFile(script, []byte(text), 0o644); err != nil {
		e.Err = err
		return e
	}
	e.Bare = r.step(ctx, harness.Step{Name: r.stepName(e.Prefix, "bare", s.Users), Path: "sqlite3", Args: []string{"-bail", barePath, ".read " + script}})
	if e.Merge.OK() && e.Bare.OK() && ctx.Err() == nil {
		harness.Logf("comparing the states")
		e.State = sqliteState(ctx, cols, path, barePath, filepath.Join(r.logs, r.stepName(e.Prefix, "checksums", s.Users)+".sql"))
		logState(e)
	}
	return e
}

// ferrySchema creates ferry's schema before the timed steps, so they do
// not include it.
func (r *run) ferrySchema(ctx context.Context, dbURL string) error {
	cmd := exec.CommandContext(ctx, r.ferry.Path, "--db", dbURL, "db", "migrate")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("creating ferry's schema: %w: %s", err, harness.TailLines(out, 5))
	}
	return nil
}

// ferryStep runs one timed ferry command.
func (r *run) ferryStep(ctx context.Context, name string, args ...string) harness.Result {
	return r.step(ctx, harness.Step{Name: name, Path: r.ferry.Path, Args: args})
}

// merge times ferry's merge with its --trace-file, and reads its report.
func (r *run) merge(ctx context.Context, e *engineRun, dbURL string, g generated) {
	name := r.stepName(e.Prefix, "merge", e.Users)
	trace := filepath.Join(r.logs, name+".trace.json")
	_ = os.Remove(trace)
	e.Merge = r.ferryStep(ctx, name, "--db", dbURL, "--trace-file", trace, "tenant", "migrate",
		"--source", g.Source, "--target", g.Target, "--on-conflict", "skip", "--yes", "--json")
	if b, err := os.ReadFile(r.stdout(name)); err != nil {
		e.MergeOutErr = err
	} else if e.MergeOut, err = parseMergeOutput(b); err != nil {
		e.MergeOutErr = fmt.Errorf("reading its --json output: %w", err)
	}
	if e.MergeOutErr != nil && e.Merge.OK() {
		harness.Logf("%s: %v", name, e.MergeOutErr)
	}
	if t, err := harness.ReadTrace(trace); err == nil {
		e.MergeTrace = &t
	} else if e.Merge.OK() {
		harness.Logf("%s: reading its --trace-file: %v", name, err)
	}
	if e.Merge.OK() {
		harness.Logf("  changed %d rows, %d conflicts left by the skip policy, source deactivated: %t",
			e.MergeOut.TotalChanges(), len(e.MergeOut.Conflicts), e.MergeOut.SourceDeactivated)
	}
}

// orgSQL reads an org's channel and name, its id the parameter mark.
func orgSQL(mark string) string {
	return `SELECT coalesce(channel, ''), coalesce(orgname, '') FROM sb_organisation WHERE id = ` + mark
}

func logState(e *engineRun) {
	switch {
	case e.State.Err != nil:
		harness.Logf("%s: COULD NOT COMPARE the states: %v", e.Engine, e.State.Err)
	case e.State.Match():
		harness.Logf("  the bare SQL and ferry's merge reached the same state in all %d tables", len(e.State.Ferry))
	default:
		for _, d := range e.State.Diffs() {
			harness.Logf("%s: STATE MISMATCH: %s", e.Engine, d)
		}
	}
}

// removeSQLite removes a database file and its journal and lock files.
func removeSQLite(path string) {
	for _, suffix := range []string{"", "-wal", "-shm", "-journal", "-lock"} {
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

// copySQLite copies a database file that no process has open: the WAL is
// checkpointed into the file first (sqlite3 shell), and copied along if
// anything is left in it.
func copySQLite(ctx context.Context, dst, src string) error {
	out, err := exec.CommandContext(ctx, "sqlite3", src, "PRAGMA wal_checkpoint(TRUNCATE);").CombinedOutput()
	if err != nil {
		return fmt.Errorf("checkpointing %s: %w: %s", src, err, harness.TailLines(out, 3))
	}
	if f := strings.Split(strings.TrimSpace(string(out)), "|"); len(f) != 3 || f[0] != "0" {
		harness.Logf("warning: wal_checkpoint(TRUNCATE) of %s answered %q; the WAL is copied along", src, strings.TrimSpace(string(out)))
	}
	if err := copyFile(dst, src); err != nil {
		return err
	}
	if fi, err := os.Stat(src + "-wal"); err == nil && fi.Size() > 0 {
		harness.Logf("warning: %s-wal still holds %d bytes; copying it too", src, fi.Size())
		return copyFile(dst+"-wal", src+"-wal")
	}
	return nil
}

func copyFile(dst, src string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}

// sqliteSizeMB is the database file with its WAL.
func sqliteSizeMB(path string) int64 {
	var total int64
	found := false
	for _, suffix := range []string{"", "-wal"} {
		if fi, err := os.Stat(path + suffix); err == nil {
			total += fi.Size()
			found = true
		}
	}
	if !found {
		return -1
	}
	return total / (1 << 20)
}

// toolVersion is the first line of `tool --version`, "" when it fails.
func toolVersion(ctx context.Context, tool string) string {
	out, err := exec.CommandContext(ctx, tool, "--version").Output()
	if err != nil {
		return ""
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	if tool == "sqlite3" {
		if f := strings.Fields(line); len(f) > 0 {
			return "sqlite3 " + f[0]
		}
	}
	return line
}
