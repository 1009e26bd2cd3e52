package main

import (
	"fmt"
	"sort"
	"strings"

	"github.com/ferrymigrate/ferry/bench/harness"
)

// Statements under minShare of a merge's statement seconds are summed into
// one line; at most topStatements are shown.
const (
	topStatements = 16
	minShare      = 0.01
)

// The targets the report holds the figures against.
const (
	targetRatio  = 2.0 // ferry's merge within twice the bare SQL on PostgreSQL
	targetPeakMB = 200 // each ferry process's peak RSS
)

// report is the whole run: the setting, time, memory, the rows changed,
// the state check, and where each merge spent its time.
func (r *run) report() *harness.Report {
	rep := &harness.Report{}
	rep.Heading(1, fmt.Sprintf("ferry tenant merge benchmark, %s, users %s", r.started.Format("2006-01-02"), sizesText(r.cfg.Sizes)))
	rep.Lines(r.settingLines()...)
	engines := r.engineRuns()
	if len(engines) == 0 {
		return rep
	}
	rep.Heading(2, "Time")
	rep.Table(timeTable(engines))
	rep.Paragraph(
		"Wall seconds of each child process. import: ferry tenant import of the generated export into a fresh database",
		"(schema created before). ferry merge: ferry tenant migrate --on-conflict skip of the source into the target, with its",
		"journal, outbox, checkpoints and batches. bare SQL: the same end state by hand-written set-based SQL in one transaction",
		"(bench/tenant/bare-*.sql, psql -f or the sqlite3 shell) on a copy of the same imported database, taken before the merge.",
		fmt.Sprintf("ferry / bare: the merge's time over the bare SQL's; the target is %.2f or less on PostgreSQL.", targetRatio),
		"same state: every sb_* table holds the same rows after both (count and checksum without the touch columns);",
		"a ratio is only valid where it says yes.")
	rep.Heading(2, "Peak memory")
	rep.Table(memoryTable(engines))
	rep.Paragraph(fmt.Sprintf("Peak resident memory in MB of each client process (ferry, psql, sqlite3), from its rusage; "+
		"the PostgreSQL server's is not included. The target is under %d MB for every ferry process, flat as the tenant grows.", targetPeakMB))
	if lines := memoryLines(engines); len(lines) > 0 {
		rep.Lines(lines...)
	}
	rep.Heading(2, "Rows changed by the merge")
	rep.Table(changesTable(engines))
	rep.Paragraph("Per table, the rows ferry's merge changed (a re-keyed or merged row once), from its --json changes;",
		"conflicts are the rows the skip policy left where they were.")
	rep.Heading(2, "Same state")
	rep.Lines(stateLines(engines)...)
	for _, e := range engines {
		if e.MergeTrace == nil {
			continue
		}
		s := e.MergeTrace.Summarize(topStatements, minShare)
		rep.Heading(2, fmt.Sprintf("Where %s spent its time", e.Merge.Name))
		rep.Paragraph(fmt.Sprintf("From its --trace-file: %s s wall, %d distinct statements, %.2f s in all statements; "+
			"first by what they are for, then the longest statements. A query's seconds end when its first rows arrive "+
			"(on SQLite most of a scan's work comes after), and commits are not statements.", harness.Secs(s.Wall), s.Statements, s.All.Seconds))
		rep.Table(categoryTable(*e.MergeTrace))
		rep.Table(s.Table())
	}
	return rep
}

// costCategories group a merge's statements by what they are for, from
// their names (the tracer names a statement by its first words). The
// first that matches wins.
var costCategories = []struct {
	name  string
	match func(stmt string) bool
}{
	{"journal (ferry_journal)", func(s string) bool { return strings.Contains(s, "ferry_journal") }},
	{"outbox (ferry_outbox)", func(s string) bool { return strings.Contains(s, "ferry_outbox") }},
	{"job, checkpoints, progress (ferry_job)", func(s string) bool { return strings.Contains(s, "ferry_job") }},
	{"the rows' changes (UPDATE, INSERT, DELETE of sb_*)", func(s string) bool {
		return strings.HasPrefix(s, "UPDATE sb_") || strings.HasPrefix(s, "INSERT INTO sb_") || strings.HasPrefix(s, "DELETE FROM sb_")
	}},
	{"batches changed, journalled and queued in one statement (WITH ...: sb_*)", func(s string) bool {
		return strings.HasPrefix(s, "WITH ") && strings.Contains(s, ": ") && strings.Contains(s, " sb_")
	}},
	{"plan and progress counts (SELECT count(*) FROM sb_*)", func(s string) bool { return strings.HasPrefix(s, "SELECT count(*) FROM sb_") }},
	{"other reads (batch keys, conflicts, notices, orgs)", func(s string) bool { return strings.HasPrefix(s, "SELECT") }},
}

const otherCategory = "other statements"

// category is the cost category of a statement name.
func category(stmt string) string {
	for _, c := range costCategories {
		if c.match(stmt) {
			return c.name
		}
	}
	return otherCategory
}

// categoryTable sums a trace's statements by category, in the categories'
// order, with the wall time no statement accounts for.
func categoryTable(tr harness.Trace) harness.Table {
	sums := map[string]*harness.TraceStatement{}
	var all harness.TraceStatement
	for _, st := range tr.Statements {
		name := category(st.Statement)
		c := sums[name]
		if c == nil {
			c = &harness.TraceStatement{Statement: name}
			sums[name] = c
		}
		c.Calls += st.Calls
		c.Rows += st.Rows
		c.Seconds += st.Seconds
		all.Calls += st.Calls
		all.Rows += st.Rows
		all.Seconds += st.Seconds
	}
	t := harness.Table{
		Header: []string{"seconds", "share", "calls", "rows", "spent on"},
		Right:  []bool{true, true, true, true, false},
	}
	row := func(st harness.TraceStatement) {
		t.AddRow(fmt.Sprintf("%.3f", st.Seconds), harness.Percent(st.Seconds, all.Seconds), fmt.Sprint(st.Calls), fmt.Sprint(st.Rows), st.Statement)
	}
	names := make([]string, 0, len(costCategories)+1)
	for _, c := range costCategories {
		names = append(names, c.name)
	}
	for _, name := range append(names, otherCategory) {
		if c := sums[name]; c != nil {
			row(*c)
		}
	}
	all.Statement = "all statements"
	row(all)
	if rest := tr.Seconds - all.Seconds; rest > 0 {
		t.AddRow(fmt.Sprintf("%.3f", rest), "", "", "", "wall time outside the traced statements (reading query results, commits, ferry itself)")
	}
	return t
}

// engineRuns lists every engine run, size by size.
func (r *run) engineRuns() []*engineRun {
	var out []*engineRun
	for _, s := range r.sizes {
		out = append(out, s.Engines...)
	}
	return out
}

func (r *run) settingLines() []string {
	lines := []string{
		"date:      " + r.started.Format("2006-01-02T15:04:05Z"),
		"commit:    " + r.ferry.From,
		"machine:   " + r.machine.String(),
	}
	for _, s := range r.sizes {
		line := fmt.Sprintf("dataset:   %d users (seed %d, overlap %g%%)", s.Users, r.cfg.Seed, r.cfg.Overlap)
		switch {
		case s.Generate.OK():
			line += fmt.Sprintf(", %d rows, source %s, target %s; generated in %s s, peak %s MB",
				s.Dataset.TotalRows(), s.Dataset.Source, s.Dataset.Target, s.Generate.Cell(), s.Generate.MB())
		case s.Generate.Ran || s.Generate.Err != nil:
			line += ": generate " + s.Generate.Cell()
			if s.Generate.Err != nil {
				line += ": " + oneLine(s.Generate.Err.Error())
			}
		}
		lines = append(lines, line)
		for _, e := range s.Engines {
			l := fmt.Sprintf("%-10s %s", e.Engine+":", e.Server)
			if e.DBMB >= 0 {
				l += fmt.Sprintf("; %d MB after the import of %d users", e.DBMB, e.Users)
			}
			lines = append(lines, l)
		}
	}
	if r.psql != "" {
		lines = append(lines, "clients:   "+r.psql+", "+r.sqlite3)
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

// stateCell says whether the two states agree.
func stateCell(e *engineRun) string {
	switch {
	case !e.Merge.OK() || !e.Bare.OK():
		return "-"
	case e.State.Err != nil:
		return "not compared"
	case e.State.Match():
		return "yes"
	}
	return "NO"
}

// ratioCell is ferry over bare, "-" unless both succeeded; a ratio whose
// states differ is marked invalid.
func ratioCell(e *engineRun) string {
	if !e.Merge.OK() || !e.Bare.OK() || e.Bare.Seconds <= 0 {
		return "-"
	}
	cell := harness.Ratio(e.Merge.Seconds, e.Bare.Seconds)
	if !e.State.Match() {
		cell += " (invalid)"
	}
	return cell
}

func timeTable(engines []*engineRun) harness.Table {
	t := harness.Table{
		Header: []string{"users", "engine", "import s", "ferry merge s", "bare SQL s", "ferry / bare", "rows changed", "same state"},
		Right:  []bool{true, false, true, true, true, true, true, false},
	}
	for _, e := range engines {
		if e.Err != nil && !e.Merge.Ran {
			t.AddRow(fmt.Sprint(e.Users), e.Engine, e.Import.Cell(), "not run: "+oneLine(e.Err.Error()))
			continue
		}
		changed := "-"
		if e.Merge.OK() && e.MergeOutErr == nil {
			changed = fmt.Sprint(e.MergeOut.TotalChanges())
		}
		t.AddRow(fmt.Sprint(e.Users), e.Engine, e.Import.Cell(), e.Merge.Cell(), e.Bare.Cell(), ratioCell(e), changed, stateCell(e))
	}
	return t
}

func memoryTable(engines []*engineRun) harness.Table {
	t := harness.Table{
		Header: []string{"users", "engine", "ferry import", "ferry merge", "bare SQL client"},
		Right:  []bool{true, false, true, true, true},
	}
	for _, e := range engines {
		t.AddRow(fmt.Sprint(e.Users), e.Engine, e.Import.MB(), e.Merge.MB(), e.Bare.MB())
	}
	return t
}

// memoryLines compares each engine's ferry peaks across the sizes, and
// names every ferry process over the target.
func memoryLines(engines []*engineRun) []string {
	var lines []string
	for _, engine := range []string{"postgres", "sqlite"} {
		var runs []*engineRun
		for _, e := range engines {
			if e.Engine == engine {
				runs = append(runs, e)
			}
		}
		if len(runs) >= 2 {
			first, last := runs[0], runs[len(runs)-1]
			for _, p := range []struct {
				what string
				a, b harness.Result
			}{{"import", first.Import, last.Import}, {"merge", first.Merge, last.Merge}} {
				if p.a.MaxRSSKiB > 0 && p.b.MaxRSSKiB > 0 {
					lines = append(lines, fmt.Sprintf("%s %s: peak %s MB at %d users, %s MB at %d users (x%s for x%s the users)",
						engine, p.what, p.a.MB(), first.Users, p.b.MB(), last.Users,
						harness.Ratio(float64(p.b.MaxRSSKiB), float64(p.a.MaxRSSKiB)), harness.Ratio(float64(last.Users), float64(first.Users))))
				}
			}
		}
		for _, e := range runs {
			for _, st := range []harness.Result{e.Import, e.Merge} {
				if st.MaxRSSKiB > targetPeakMB*1024 {
					lines = append(lines, fmt.Sprintf("%s: peak %s MB, OVER the %d MB target", st.Name, st.MB(), targetPeakMB))
				}
			}
		}
	}
	return lines
}

func changesTable(engines []*engineRun) harness.Table {
	header := []string{"table"}
	right := []bool{false}
	tables := map[string]bool{}
	for _, e := range engines {
		header = append(header, fmt.Sprintf("%s %d", e.Engine, e.Users))
		right = append(right, true)
		for k := range e.MergeOut.Changes {
			tables[k] = true
		}
	}
	names := make([]string, 0, len(tables))
	for k := range tables {
		names = append(names, k)
	}
	sort.Strings(names)
	t := harness.Table{Header: header, Right: right}
	cells := func(label string, f func(e *engineRun) string) {
		row := []string{label}
		for _, e := range engines {
			if !e.Merge.OK() || e.MergeOutErr != nil {
				row = append(row, "-")
				continue
			}
			row = append(row, f(e))
		}
		t.AddRow(row...)
	}
	for _, name := range names {
		cells(name, func(e *engineRun) string { return fmt.Sprint(e.MergeOut.Changes[name]) })
	}
	cells("all tables", func(e *engineRun) string { return fmt.Sprint(e.MergeOut.TotalChanges()) })
	cells("conflicts", func(e *engineRun) string { return fmt.Sprint(len(e.MergeOut.Conflicts)) })
	cells("outbox entries", func(e *engineRun) string { return fmt.Sprint(e.MergeOut.Outbox) })
	cells("source deactivated", func(e *engineRun) string { return fmt.Sprint(e.MergeOut.SourceDeactivated) })
	return t
}

func stateLines(engines []*engineRun) []string {
	var lines []string
	for _, e := range engines {
		head := fmt.Sprintf("%s, %d users: ", e.Engine, e.Users)
		switch {
		case !e.Merge.OK() || !e.Bare.OK():
			lines = append(lines, head+"not compared: the merge or the bare SQL did not succeed")
		case e.State.Err != nil:
			lines = append(lines, head+"NOT COMPARED: "+oneLine(e.State.Err.Error()))
		case e.State.Match():
			var rows int64
			for _, s := range e.State.Ferry {
				rows += s.Rows
			}
			lines = append(lines, fmt.Sprintf("%sthe same state: all %d sb_* tables hold the same rows (%d in all) after both", head, len(e.State.Ferry), rows))
		default:
			lines = append(lines, head+"DIFFERENT STATES: the ratio is not valid")
			for _, d := range e.State.Diffs() {
				lines = append(lines, "  MISMATCH "+d)
			}
		}
		if e.Merge.OK() && e.MergeOutErr == nil {
			if c := e.MergeOut.ConflictCounts(); len(c) > 0 {
				lines = append(lines, "  conflicts left by the skip policy: "+strings.Join(c, ", "))
			}
		}
	}
	return lines
}

// oneLine folds a multi-line message for a table cell.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
