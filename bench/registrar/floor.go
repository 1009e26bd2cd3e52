package main

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/ferrymigrate/ferry/bench/floor"
	"github.com/ferrymigrate/ferry/bench/harness"
)

// The write floor: ferry's output rows (staging rows, domains, contacts,
// invitations, domain information, and the staging rows marked processed)
// written back into the same schema with nothing computed, on one
// connection. It is what any migration producing these rows there pays at
// least. The SQL is in bench/floor; write-body.sql is the timed part.

// floorVariant is one way of writing the rows back.
type floorVariant struct {
	Name  string // keys, nokeys, bare
	Label string
	// Twin: the rows go to bare twins of the tables, with no index and no
	// key, instead of the tables themselves.
	Twin bool
}

var floorVariants = []floorVariant{
	{"keys", "with the foreign keys", false},
	// The output tables' keys dropped first and re-created (validated,
	// set-based) at the end; on SQLite switched off and checked after.
	{"nokeys", "without them", false},
	{"bare", "into bare tables", true},
}

// The bare twins' prefixes (postgres-setup.sql, sqlite-setup.sql).
const (
	pgTwin     = "ferry_floor.bare_"
	sqliteTwin = "ferry_bare_"
)

// floorRun is one variant's measurement.
type floorRun struct {
	floorVariant
	Result harness.Result
	// Err: the variant failed, or left other rows than ferry had written;
	// errNotRun when an earlier variant failed.
	Err error
}

// OK reports whether the floor counts.
func (f floorRun) OK() bool { return f.Err == nil && f.Result.OK() }

var (
	insertLine = regexp.MustCompile(`(?m)^INSERT INTO ([a-z_]+)`)
	updateLine = regexp.MustCompile(`(?m)^UPDATE transition_domain\b`)
)

// bareBody redirects the body's writes to the tables' bare twins.
func bareBody(body, twin string) string {
	body = insertLine.ReplaceAllString(body, "INSERT INTO "+twin+"$1")
	return updateLine.ReplaceAllString(body, "UPDATE "+twin+"transition_domain")
}

// pgFloorScript is the timed psql script of one variant: the body in one
// transaction, for nokeys between dropping and re-creating the keys.
func pgFloorScript(body string, v floorVariant) string {
	if v.Twin {
		body = bareBody(body, pgTwin)
	}
	var b strings.Builder
	b.WriteString("\\set ON_ERROR_STOP on\nBEGIN;\n")
	if v.Name == "nokeys" {
		b.WriteString("SELECT format('ALTER TABLE %s DROP CONSTRAINT %I', tbl, conname) FROM ferry_floor.fk \\gexec\n")
	}
	b.WriteString(strings.TrimRight(body, "\n") + "\n")
	if v.Name == "nokeys" {
		b.WriteString("SELECT format('ALTER TABLE %s ADD CONSTRAINT %I %s', tbl, conname, def) FROM ferry_floor.fk \\gexec\n")
	}
	b.WriteString("COMMIT;\n")
	return b.String()
}

// sqliteFloorScript is the timed sqlite3 script of one variant, with the
// copies in the attached file floorDB. For nokeys the foreign keys are off
// and PRAGMA foreign_key_check stands in for the per-row check: any line
// it prints is a violation.
func sqliteFloorScript(body string, v floorVariant, floorDB string) string {
	if v.Twin {
		body = bareBody(body, sqliteTwin)
	}
	body = strings.ReplaceAll(body, " OVERRIDING SYSTEM VALUE", "")
	fk := "OFF"
	if v.Name == "keys" {
		fk = "ON"
	}
	var b strings.Builder
	b.WriteString(".bail on\n")
	fmt.Fprintf(&b, "ATTACH %s AS ferry_floor;\n", harness.SQLString(floorDB))
	b.WriteString(".output /dev/null\nPRAGMA journal_mode = WAL;\nPRAGMA synchronous = NORMAL;\n")
	fmt.Fprintf(&b, "PRAGMA foreign_keys = %s;\n", fk)
	b.WriteString(".output stdout\nBEGIN;\n")
	b.WriteString(strings.TrimRight(body, "\n") + "\n")
	b.WriteString("COMMIT;\n")
	if v.Name == "nokeys" {
		b.WriteString("PRAGMA foreign_key_check;\n")
	}
	return b.String()
}

// floorFiles writes the embedded floor SQL into the logs, where psql and
// sqlite3 read it, and returns its directory and the timed body.
func (r *run) floorFiles() (dir, body string, err error) {
	dir = filepath.Join(r.logs, "floor")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", err
	}
	names, err := fs.Glob(floor.Files, "*.sql")
	if err != nil {
		return "", "", err
	}
	for _, n := range names {
		b, err := floor.Files.ReadFile(n)
		if err != nil {
			return "", "", err
		}
		if err := os.WriteFile(filepath.Join(dir, n), b, 0o644); err != nil {
			return "", "", err
		}
	}
	b, err := floor.Files.ReadFile("write-body.sql")
	return dir, string(b), err
}

// floorEngine is what differs between the engines' floors.
type floorEngine struct {
	prefix   string // of the step names
	setup    func() error
	reset    func() error
	before   func() // just before a timed write
	script   func(floorVariant) string
	run      func(name, script string) harness.Step
	counts   func(twin bool) (tableCounts, error)
	check    func(name string, v floorVariant) error // after the write, before the counts
	teardown func() error
}

// measureFloors times each variant and checks that the tables (or the
// twins) then hold exactly ferry's rows. The first variant that fails ends
// the floors; the ones after it are reported as not run, and the rest of
// the report stands.
func (r *run) measureFloors(ctx context.Context, engine string, fe floorEngine, before tableCounts) []floorRun {
	harness.Logf("measuring the write floors on %s", engine)
	runs := make([]floorRun, len(floorVariants))
	for i, v := range floorVariants {
		runs[i] = floorRun{floorVariant: v, Err: errNotRun}
	}
	if err := fe.setup(); err != nil {
		runs[0].Err = fmt.Errorf("setting the copies aside failed: %w", err)
		harness.Logf("write floor on %s: %v", engine, runs[0].Err)
		return runs
	}
	for i, v := range floorVariants {
		if ctx.Err() != nil {
			return runs
		}
		name := fmt.Sprintf("%s_floor_%s", fe.prefix, v.Name)
		runs[i].Err = r.floorVariant(ctx, fe, v, name, before, &runs[i].Result)
		if runs[i].Err != nil {
			harness.Logf("write floor (%s) on %s failed: %v", v.Name, engine, runs[i].Err)
			return runs
		}
	}
	if err := fe.teardown(); err != nil {
		harness.Logf("write floor on %s: dropping the copies: %v", engine, err)
	}
	return runs
}

func (r *run) floorVariant(ctx context.Context, fe floorEngine, v floorVariant, name string, before tableCounts, res *harness.Result) error {
	// The bare twins start empty; the tables themselves are emptied first.
	if !v.Twin {
		if err := fe.reset(); err != nil {
			return fmt.Errorf("emptying the tables failed: %w", err)
		}
	}
	script := filepath.Join(r.logs, name+".sql")
	if err := os.WriteFile(script, []byte(fe.script(v)), 0o644); err != nil {
		return err
	}
	fe.before()
	*res = r.step(ctx, fe.run(name, script))
	if !res.OK() {
		if tail := harness.Tail(r.stderr(name), 3); tail != "" {
			return fmt.Errorf("%w: %s", res.Err, tail)
		}
		return res.Err
	}
	if fe.check != nil {
		if err := fe.check(name, v); err != nil {
			return err
		}
	}
	after, err := fe.counts(v.Twin)
	if err != nil {
		return err
	}
	if after != before {
		return fmt.Errorf("it left %s, ferry had written %s", after, before)
	}
	return nil
}

// psqlFile runs a psql script untimed, stopping at its first error.
func psqlFile(ctx context.Context, dbURL, path string) error {
	return runQuiet(ctx, "psql", dbURL, "-XqAt", "-v", "ON_ERROR_STOP=1", "-f", path)
}

func (r *run) pgFloors(ctx context.Context, db *harness.ScratchDB, before tableCounts) []floorRun {
	dir, body, err := r.floorFiles()
	if err != nil {
		return []floorRun{{floorVariant: floorVariants[0], Err: err}}
	}
	return r.measureFloors(ctx, "postgres", floorEngine{
		prefix: "pg",
		setup:  func() error { return psqlFile(ctx, db.URL, filepath.Join(dir, "postgres-setup.sql")) },
		reset:  func() error { return psqlFile(ctx, db.URL, filepath.Join(dir, "postgres-reset.sql")) },
		before: func() { db.Checkpoint(ctx) },
		script: func(v floorVariant) string { return pgFloorScript(body, v) },
		run: func(name, script string) harness.Step {
			return harness.Step{Name: name, Path: "psql", Args: []string{db.URL, "-XqAt", "-f", script}}
		},
		counts: func(twin bool) (tableCounts, error) {
			prefix := ""
			if twin {
				prefix = pgTwin
			}
			return pgOutputCounts(ctx, db, prefix)
		},
		teardown: func() error { return psqlFile(ctx, db.URL, filepath.Join(dir, "postgres-teardown.sql")) },
	}, before)
}

func (r *run) sqliteFloors(ctx context.Context, path string, before tableCounts) []floorRun {
	dir, body, err := r.floorFiles()
	if err != nil {
		return []floorRun{{floorVariant: floorVariants[0], Err: err}}
	}
	floorDB := filepath.Join(r.work, "floor.sqlite")
	read := func(file string) error { return runQuiet(ctx, "sqlite3", path, ".read "+filepath.Join(dir, file)) }
	return r.measureFloors(ctx, "sqlite", floorEngine{
		prefix: "sqlite",
		setup: func() error {
			removeSQLite(floorDB)
			return runQuiet(ctx, "sqlite3", path, "ATTACH "+harness.SQLString(floorDB)+" AS ferry_floor",
				".read "+filepath.Join(dir, "sqlite-setup.sql"))
		},
		reset:  func() error { return read("sqlite-reset.sql") },
		before: func() {},
		script: func(v floorVariant) string { return sqliteFloorScript(body, v, floorDB) },
		run: func(name, script string) harness.Step {
			return harness.Step{Name: name, Path: "sqlite3", Args: []string{path, ".read " + script}}
		},
		check: func(name string, v floorVariant) error {
			if out := harness.Tail(r.stdout(name), 3); out != "" {
				return fmt.Errorf("foreign_key_check found violations: %s", out)
			}
			return nil
		},
		counts: func(twin bool) (tableCounts, error) {
			prefix := ""
			if twin {
				prefix = sqliteTwin
			}
			return sqliteOutputCounts(ctx, path, prefix)
		},
		teardown: func() error {
			defer removeSQLite(floorDB)
			return read("sqlite-teardown.sql")
		},
	}, before)
}

// runQuiet runs an untimed helper command; its output is shown only when
// it fails.
func runQuiet(ctx context.Context, name string, args ...string) error {
	out, err := commandOutput(ctx, name, args...)
	if err != nil {
		return fmt.Errorf("%s: %w: %s", name, err, harness.TailLines(out, 5))
	}
	return nil
}
