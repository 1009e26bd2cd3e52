package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/ferrymigrate/ferry/bench/harness"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver, for counts
)

// engineRun is everything measured on one engine.
type engineRun struct {
	Engine string // "postgres" or "sqlite"
	Prefix string // of its step names: "pg" or "sqlite"
	Err    error  // the engine could not be set up; nothing else ran
	// Server describes the database: the PostgreSQL version and settings,
	// or the sqlite3 shell's version.
	Server    string
	Baselines []baseline // PostgreSQL: logged, then unlogged; SQLite: one

	Load, Transfer       harness.Result
	LoadOut, TransferOut jsonDoc
	// LoadTrace, TransferTrace: the steps' --trace-file, nil when missing.
	LoadTrace, TransferTrace *harness.Trace

	Tables    tableCounts // the output tables after the transfer
	TablesErr error
	DBMB      int64 // the ferry database's size after the transfer, -1 unknown

	Floors []floorRun // in floorVariants order; empty when not measured
}

// Baseline is the baseline the ratios divide by: the first (logged) one.
func (e *engineRun) Baseline() baseline {
	if len(e.Baselines) == 0 {
		return baseline{}
	}
	return e.Baselines[0]
}

// FerryTotal is load plus transfer, 0 unless both succeeded.
func (e *engineRun) FerryTotal() float64 {
	if !e.Load.OK() || !e.Transfer.OK() {
		return 0
	}
	return e.Load.Seconds + e.Transfer.Seconds
}

// postgres measures the baselines, ferry and the floors in a fresh
// database on the server.
func (r *run) postgres(ctx context.Context) *engineRun {
	e := &engineRun{Engine: "postgres", Prefix: "pg", DBMB: -1}
	db, err := harness.CreateScratchDB(ctx, r.cfg.PGURL, "ferry_bench")
	if err != nil {
		e.Err = err
		return e
	}
	r.db = db
	if e.Server, err = db.Settings(ctx); err != nil {
		harness.Logf("reading the server's settings: %v", err)
	}
	harness.Logf("PostgreSQL %s, database %s", e.Server, db.Name)

	for _, unlogged := range []bool{false, true} {
		e.Baselines = append(e.Baselines, r.pgBaseline(ctx, db, unlogged))
	}
	if err := r.ferrySchema(ctx, db.URL); err != nil {
		e.Err = err
		return e
	}
	r.runFerry(ctx, e, db.URL, func() { db.Checkpoint(ctx) })
	e.Tables, e.TablesErr = pgOutputCounts(ctx, db, "")
	if mb, err := db.SizeMB(ctx); err == nil {
		e.DBMB = mb
	}
	if r.cfg.Floor && e.Transfer.OK() && e.TablesErr == nil {
		e.Floors = r.pgFloors(ctx, db, e.Tables)
	}
	return e
}

// sqlite measures the baseline, ferry and the floors on fresh files.
func (r *run) sqlite(ctx context.Context) *engineRun {
	e := &engineRun{Engine: "sqlite", Prefix: "sqlite", DBMB: -1}
	if v, err := exec.CommandContext(ctx, "sqlite3", "--version").Output(); err == nil {
		if f := strings.Fields(string(v)); len(f) > 0 {
			e.Server = "sqlite3 shell " + f[0] + " for the baseline and the floors"
		}
	}
	e.Baselines = append(e.Baselines, r.sqliteBaseline(ctx))
	path := filepath.Join(r.work, "ferry.sqlite")
	removeSQLite(path)
	if err := r.ferrySchema(ctx, path); err != nil {
		e.Err = err
		return e
	}
	r.runFerry(ctx, e, path, func() {})
	e.Tables, e.TablesErr = sqliteOutputCounts(ctx, path, "")
	e.DBMB = sqliteSizeMB(path)
	if r.cfg.Floor && e.Transfer.OK() && e.TablesErr == nil {
		e.Floors = r.sqliteFloors(ctx, path, e.Tables)
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

// runFerry times load-transition-domains, then transfer (when the load
// succeeded), each after checkpoint.
func (r *run) runFerry(ctx context.Context, e *engineRun, dbURL string, checkpoint func()) {
	checkpoint()
	e.Load, e.LoadOut, e.LoadTrace = r.ferryStep(ctx, e.Prefix+"_load", dbURL,
		"registrar", "load-transition-domains", "--directory", r.data)
	if !e.Load.OK() || ctx.Err() != nil {
		return
	}
	checkpoint()
	e.Transfer, e.TransferOut, e.TransferTrace = r.ferryStep(ctx, e.Prefix+"_transfer", dbURL, "registrar", "transfer")
}

// ferryStep runs one timed ferry command with --json and --trace-file.
func (r *run) ferryStep(ctx context.Context, name, dbURL string, args ...string) (harness.Result, jsonDoc, *harness.Trace) {
	tracePath := filepath.Join(r.logs, name+".trace.json")
	_ = os.Remove(tracePath)
	full := append([]string{"--db", dbURL, "--json", "--trace-file", tracePath}, args...)
	res := r.step(ctx, harness.Step{Name: name, Path: r.ferry.Path, Args: full})
	doc, err := readJSONDoc(r.stdout(name))
	if err != nil && res.OK() {
		harness.Logf("%s: reading its --json output: %v", name, err)
	}
	var trace *harness.Trace
	if t, err := harness.ReadTrace(tracePath); err == nil {
		trace = &t
	} else if res.OK() {
		harness.Logf("%s: reading its --trace-file: %v", name, err)
	}
	return res, doc, trace
}

// jsonDoc is a command's --json output, read loosely: the report shows
// "n/a" for a field it does not find.
type jsonDoc map[string]any

func readJSONDoc(path string) (jsonDoc, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return parseJSONDoc(b)
}

func parseJSONDoc(b []byte) (jsonDoc, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var doc jsonDoc
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	return doc, nil
}

// Get is the value at a dotted path ("rows.created") as text, "n/a" when
// it is missing.
func (d jsonDoc) Get(path string) string {
	var v any = map[string]any(d)
	for _, k := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return "n/a"
		}
		if v, ok = m[k]; !ok || v == nil {
			return "n/a"
		}
	}
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		return fmt.Sprint(x)
	}
	return "n/a"
}

// outputTables are the five tables ferry writes, and last the staging rows
// marked processed.
var outputTables = []string{"transition_domain", "domain", "domain_invitation", "domain_information", "contact", "processed"}

// tableCounts holds one count per outputTables entry.
type tableCounts [6]int64

func (t tableCounts) String() string {
	parts := make([]string, len(outputTables))
	for i, name := range outputTables {
		parts[i] = fmt.Sprintf("%s=%d", name, t[i])
	}
	return strings.Join(parts, " ")
}

// outputCountsSQL counts the output tables, each name prefixed (the floor's
// bare twins have a prefix).
func outputCountsSQL(prefix string) string {
	var parts []string
	for _, t := range outputTables[:5] {
		parts = append(parts, fmt.Sprintf("(SELECT count(*) FROM %s%s)", prefix, t))
	}
	parts = append(parts, fmt.Sprintf("(SELECT count(*) FROM %stransition_domain WHERE processed)", prefix))
	return "SELECT " + strings.Join(parts, ", ")
}

func pgOutputCounts(ctx context.Context, db *harness.ScratchDB, prefix string) (tableCounts, error) {
	var t tableCounts
	v, err := db.Int64s(ctx, outputCountsSQL(prefix), len(t))
	if err != nil {
		return t, fmt.Errorf("counting the output tables: %w", err)
	}
	copy(t[:], v)
	return t, nil
}

func sqliteOutputCounts(ctx context.Context, path, prefix string) (tableCounts, error) {
	var t tableCounts
	v, err := sqliteInt64s(ctx, path, outputCountsSQL(prefix), len(t))
	if err != nil {
		return t, fmt.Errorf("counting the output tables: %w", err)
	}
	copy(t[:], v)
	return t, nil
}

// sqliteSizeMB is the database file with its WAL and shared memory.
func sqliteSizeMB(path string) int64 {
	var total int64
	found := false
	for _, suffix := range []string{"", "-wal", "-shm"} {
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

// countChecks compares the output tables with what the --json output says
// ferry wrote, on a fresh database where the two must agree. It returns
// one line per disagreement; none means the work shown was really done.
func countChecks(e *engineRun) []string {
	if e.TablesErr != nil {
		return []string{e.TablesErr.Error()}
	}
	want := []struct {
		table int
		doc   jsonDoc
		path  string
	}{
		{0, e.LoadOut, "rows.created"},
		{1, e.TransferOut, "domains.created"},
		{2, e.TransferOut, "invitations.created"},
		{3, e.TransferOut, "domainInformation.created"},
		{4, e.TransferOut, "contacts.created"},
		{5, e.TransferOut, "stagingRowsProcessed"},
	}
	var out []string
	for _, w := range want {
		got := fmt.Sprint(e.Tables[w.table])
		if v := w.doc.Get(w.path); v != got {
			table := outputTables[w.table]
			if table == "processed" {
				table = "transition_domain WHERE processed"
			}
			out = append(out, fmt.Sprintf("%s holds %s rows, --json says %s = %s", table, got, w.path, v))
		}
	}
	return out
}

var errNotRun = errors.New("not run")

// commandOutput runs an untimed helper command and returns its combined
// output.
func commandOutput(ctx context.Context, name string, args ...string) ([]byte, error) {
	return exec.CommandContext(ctx, name, args...).CombinedOutput()
}
