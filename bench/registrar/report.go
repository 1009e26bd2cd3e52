package main

import (
	"fmt"
	"strings"

	"github.com/ferrymigrate/ferry/bench/harness"
)

// Statements under minShare of a step's statement seconds are summed into
// one line; at most topStatements are shown.
const (
	topStatements = 16
	minShare      = 0.01
)

// report is the whole run: the setting, the time and memory tables, the
// write floors, the counts, and where each ferry step spent its time.
func (r *run) report() *harness.Report {
	rep := &harness.Report{}
	rep.Heading(1, fmt.Sprintf("ferry registrar benchmark, %s, N=%d", r.started.Format("2006-01-02"), r.cfg.Domains))
	rep.Lines(r.settingLines()...)
	if len(r.inputs.Files) > 0 {
		rep.Heading(2, "Input")
		rep.Table(r.inputTable())
		rep.Paragraph(fmt.Sprintf("The baselines read cleaned copies: CRs stripped, and the %d lines whose field count differs "+
			"from their file's usual count dropped (written in %s s, not part of any figure). ferry reads the original files.",
			r.inputs.Lines-r.inputs.Kept, harness.Secs(r.inputs.CleanSeconds)))
	}
	if len(r.engines) == 0 {
		return rep
	}
	rep.Heading(2, "Time")
	rep.Table(r.timeTable())
	rep.Paragraph(
		"Wall seconds. raw: the engine's own client bulk-loading the cleaned files into bare all-text tables in one process;",
		"ferry load: load-transition-domains, ferry transfer: transfer, each a separate ferry process, with start-up, parsing,",
		"validation, rejects and every commit (the schema is created before). ferry / raw: ferry total divided by the raw load;",
		"rows/s: all data lines of the nine files per second of ferry total; dc rows/s: domain-contact lines per second.")
	rep.Heading(2, "Write floors")
	rep.Table(r.floorTable())
	rep.Paragraph(
		"ferry's output rows written back into the emptied tables on one connection in one transaction, computing nothing",
		"(bench/floor/): with the schema's foreign keys, without them (dropped and re-created, or PRAGMA foreign_key_check",
		"on SQLite), and into bare twins of the tables with no index and no key. floor / raw: against the engine's first raw",
		"load; ferry / floor: ferry total against that floor. Afterwards the tables (or twins) must hold exactly ferry's rows.")
	rep.Heading(2, "Peak memory")
	rep.Table(r.memoryTable())
	rep.Paragraph("Peak resident memory in MB of the client process (psql, sqlite3, ferry), from its rusage;",
		"the PostgreSQL server's memory is not included.")
	rep.Heading(2, "Counts")
	rep.Lines(r.countLines()...)
	for _, e := range r.engines {
		for _, step := range []struct {
			res   harness.Result
			trace *harness.Trace
		}{{e.Load, e.LoadTrace}, {e.Transfer, e.TransferTrace}} {
			if step.trace == nil {
				continue
			}
			s := step.trace.Summarize(topStatements, minShare)
			rep.Heading(2, fmt.Sprintf("Where %s spent its time", step.res.Name))
			rep.Paragraph(fmt.Sprintf("From its --trace-file: %s s wall, %d distinct statements, %.2f s in all statements "+
				"(statements on several connections overlap, so this can exceed the wall time).", harness.Secs(s.Wall), s.Statements, s.All.Seconds))
			rep.Table(s.Table())
		}
	}
	return rep
}

func (r *run) settingLines() []string {
	lines := []string{
		"date:      " + r.started.Format("2006-01-02T15:04:05Z"),
		"commit:    " + r.ferry.From,
		"machine:   " + r.machine.String(),
		fmt.Sprintf("input:     N=%d domains (seed %d), %.1f MB in %d files, %d data lines, %d domain-contact lines",
			r.cfg.Domains, r.cfg.Seed, float64(r.inputs.Bytes)/(1<<20), len(r.inputs.Files), r.inputs.Lines, r.inputs.DomainLines),
	}
	if r.generate.Ran {
		lines = append(lines, fmt.Sprintf("generate:  %s s, peak %s MB", r.generate.Cell(), r.generate.MB()))
	}
	for _, e := range r.engines {
		line := fmt.Sprintf("%-10s %s", e.Engine+":", e.Server)
		switch {
		case e.Engine == "postgres" && e.DBMB >= 0:
			line += fmt.Sprintf("; ferry database %d MB after the ferry steps", e.DBMB)
		case e.DBMB >= 0:
			line += fmt.Sprintf("; ferry database %d MB (with WAL) after the ferry steps", e.DBMB)
		}
		lines = append(lines, line)
	}
	if r.cfg.StepTimeout > 0 {
		lines = append(lines, fmt.Sprintf("timeout:   %s per step (SIGINT, then SIGKILL %s later)", r.cfg.StepTimeout, harness.DefaultGrace))
	}
	if len(r.steps) > 0 {
		var loads []string
		for _, s := range r.steps {
			loads = append(loads, fmt.Sprintf("%s=%.2f", s.Name, s.Load()))
		}
		lines = append(lines, wrap("load avg:  1-min load average of each step: ", "           ", loads, 110)...)
	}
	return lines
}

// wrap is the shared line wrapping of the report's header.
var wrap = harness.Wrap

func (r *run) inputTable() harness.Table {
	t := harness.Table{
		Header: []string{"file", "table", "lines", "columns", "dropped for the baselines"},
		Right:  []bool{false, false, true, true, true},
	}
	for _, f := range r.inputs.Files {
		t.AddRow(f.Name, f.Table, fmt.Sprint(f.Lines), fmt.Sprint(f.Columns), fmt.Sprint(f.Dropped()))
	}
	t.AddRow("all files", "", fmt.Sprint(r.inputs.Lines), "", fmt.Sprint(r.inputs.Lines-r.inputs.Kept))
	return t
}

// baselineCell is a baseline's seconds, or why it does not count.
func baselineCell(b baseline) string {
	if b.Result.Ran && !b.Result.OK() {
		return b.Result.Cell()
	}
	if b.problem() != nil {
		return "failed"
	}
	return harness.Secs(b.Result.Seconds)
}

func ratioCell(a, b float64) string {
	if a <= 0 || b <= 0 {
		return "-"
	}
	return harness.Ratio(a, b)
}

func (r *run) timeTable() harness.Table {
	t := harness.Table{
		Header: []string{"engine", "raw bulk load", "raw s", "ferry load s", "ferry transfer s", "ferry total s", "ferry / raw", "rows/s", "dc rows/s"},
		Right:  []bool{false, false, true, true, true, true, true, true, true},
	}
	for _, e := range r.engines {
		if e.Err != nil && len(e.Baselines) == 0 {
			t.AddRow(e.Engine, "not run: "+e.Err.Error())
			continue
		}
		total := e.FerryTotal()
		totalCell, rows, dcRows := "-", "-", "-"
		if total > 0 {
			totalCell = harness.Secs(total)
			rows = harness.PerSecond(r.inputs.Lines, total)
			dcRows = harness.PerSecond(r.inputs.DomainLines, total)
		} else if e.Load.Ran {
			totalCell = "failed"
		}
		for i, b := range e.Baselines {
			ratio := ratioCell(total, b.Seconds())
			if i == 0 {
				t.AddRow(e.Engine, b.Label, baselineCell(b), e.Load.Cell(), e.Transfer.Cell(), totalCell, ratio, rows, dcRows)
			} else {
				t.AddRow("", b.Label, baselineCell(b), "", "", "", ratio, "", "")
			}
		}
	}
	return t
}

func (r *run) floorTable() harness.Table {
	t := harness.Table{
		Header: []string{"engine", "write floor", "s", "floor / raw", "ferry / floor", "rows afterwards"},
		Right:  []bool{false, false, true, true, true, false},
	}
	for _, e := range r.engines {
		switch {
		case e.Err != nil:
			t.AddRow(e.Engine, "not measured: "+oneLine(e.Err.Error()))
			continue
		case !r.cfg.Floor:
			t.AddRow(e.Engine, "not measured (-floor=false)")
			continue
		case len(e.Floors) == 0 && !e.Transfer.OK():
			t.AddRow(e.Engine, "not measured: the transfer did not succeed")
			continue
		case len(e.Floors) == 0:
			why := "not measured"
			if e.TablesErr != nil {
				why += ": " + e.TablesErr.Error()
			}
			t.AddRow(e.Engine, why)
			continue
		}
		base := e.Baseline().Seconds()
		for i, f := range e.Floors {
			engine := ""
			if i == 0 {
				engine = e.Engine
			}
			switch {
			case f.OK():
				t.AddRow(engine, f.Label, harness.Secs(f.Result.Seconds), ratioCell(f.Result.Seconds, base),
					ratioCell(e.FerryTotal(), f.Result.Seconds), "as ferry wrote them")
			case f.Err == errNotRun:
				t.AddRow(engine, f.Label, "-", "-", "-", "not run: an earlier floor failed")
			default:
				cell := "failed"
				if f.Result.Ran && !f.Result.OK() {
					cell = f.Result.Cell()
				}
				t.AddRow(engine, f.Label, cell, "-", "-", "failed: "+oneLine(f.Err.Error()))
			}
		}
	}
	return t
}

func (r *run) memoryTable() harness.Table {
	t := harness.Table{
		Header: []string{"engine", "raw bulk load", "ferry load", "ferry transfer", "ferry peak"},
		Right:  []bool{false, true, true, true, true},
	}
	for _, e := range r.engines {
		var raw []string
		for _, b := range e.Baselines {
			raw = append(raw, b.Result.MB())
		}
		rawCell := strings.Join(raw, " / ")
		if rawCell == "" {
			rawCell = "-"
		}
		t.AddRow(e.Engine, rawCell, e.Load.MB(), e.Transfer.MB(), harness.MB(max(e.Load.MaxRSSKiB, e.Transfer.MaxRSSKiB)))
	}
	return t
}

func (r *run) countLines() []string {
	var lines []string
	for _, e := range r.engines {
		if e.Err != nil {
			lines = append(lines, fmt.Sprintf("%s: not run: %v", e.Engine, e.Err))
			continue
		}
		l, t := e.LoadOut, e.TransferOut
		lines = append(lines,
			fmt.Sprintf("%s load:     read %s domain-contact rows, created %s staging rows, skipped %s (duplicates %s), "+
				"rejected %s (all files: %s), agencies %s, enriched %s", e.Engine,
				l.Get("rows.read"), l.Get("rows.created"), l.Get("rows.skipped"), l.Get("duplicates"),
				l.Get("rows.rejected"), l.Get("totalRejected"), l.Get("agencies"), l.Get("enriched")),
			fmt.Sprintf("%s transfer: domains created %s (skipped %s), invitations %s, domain information %s, contacts %s, "+
				"staging rows processed %s", e.Engine,
				t.Get("domains.created"), t.Get("domains.skipped"), t.Get("invitations.created"),
				t.Get("domainInformation.created"), t.Get("contacts.created"), t.Get("stagingRowsProcessed")))
		if e.TablesErr != nil {
			lines = append(lines, fmt.Sprintf("%s tables:   %v", e.Engine, e.TablesErr))
			continue
		}
		lines = append(lines, fmt.Sprintf("%s tables:   %s", e.Engine, e.Tables))
		if bad := countChecks(e); len(bad) > 0 {
			for _, b := range bad {
				lines = append(lines, fmt.Sprintf("%s MISMATCH: %s", e.Engine, b))
			}
		} else {
			lines = append(lines, fmt.Sprintf("%s check:    the tables hold the rows --json reports", e.Engine))
		}
	}
	if len(r.engines) == 2 {
		a, b := r.engines[0], r.engines[1]
		if a.Err == nil && b.Err == nil && a.TablesErr == nil && b.TablesErr == nil {
			if a.Tables == b.Tables {
				lines = append(lines, "both engines wrote the same number of rows to every table")
			} else {
				lines = append(lines, "the engines' table counts DIFFER")
			}
		}
	}
	return lines
}

// oneLine folds a multi-line message for a table cell.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
