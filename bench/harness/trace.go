package harness

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
)

// Trace is what ferry's --trace-file holds: the wall time of the command
// and, per SQL statement name, how often it ran, the rows it reported and
// the seconds it took, as the store's tracer summed them.
type Trace struct {
	Seconds    float64          `json:"seconds"`
	Statements []TraceStatement `json:"statements"`
}

// TraceStatement is one statement's totals.
type TraceStatement struct {
	Statement string  `json:"statement"`
	Calls     int64   `json:"calls"`
	Rows      int64   `json:"rows"`
	Seconds   float64 `json:"seconds"`
	Failed    int64   `json:"failed"`
}

// ReadTrace reads a --trace-file.
func ReadTrace(path string) (Trace, error) {
	f, err := os.Open(path)
	if err != nil {
		return Trace{}, err
	}
	defer f.Close()
	t, err := ParseTrace(f)
	if err != nil {
		return Trace{}, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// ParseTrace decodes a --trace-file.
func ParseTrace(r io.Reader) (Trace, error) {
	var t Trace
	if err := json.NewDecoder(r).Decode(&t); err != nil {
		return Trace{}, fmt.Errorf("decoding the trace: %w", err)
	}
	return t, nil
}

// MergeTraces sums traces statement by statement, and their wall times: the
// totals of several commands, or of one trace whose names repeat.
func MergeTraces(traces ...Trace) Trace {
	var out Trace
	index := map[string]int{}
	for _, t := range traces {
		out.Seconds += t.Seconds
		for _, s := range t.Statements {
			i, ok := index[s.Statement]
			if !ok {
				i = len(out.Statements)
				index[s.Statement] = i
				out.Statements = append(out.Statements, TraceStatement{Statement: s.Statement})
			}
			o := &out.Statements[i]
			o.Calls += s.Calls
			o.Rows += s.Rows
			o.Seconds += s.Seconds
			o.Failed += s.Failed
		}
	}
	sortStatements(out.Statements)
	return out
}

// TraceSummary is a trace cut down for a report.
type TraceSummary struct {
	Wall float64 // the command's wall seconds
	// All sums every statement. Its Seconds can exceed Wall when
	// statements ran at the same time on several connections.
	All TraceStatement
	Top []TraceStatement // the longest statements, longest first
	// Rest sums the statements left out of Top; Rest.Calls is 0 when none was.
	Rest       TraceStatement
	Left       int // how many statements Rest sums
	Statements int // distinct statements in the trace
}

// Summarize keeps at most n statements, longest first, each taking at
// least minShare (0.01 = 1%) of all statements' seconds, and sums the rest.
func (t Trace) Summarize(n int, minShare float64) TraceSummary {
	merged := MergeTraces(t)
	s := TraceSummary{Wall: t.Seconds, Statements: len(merged.Statements)}
	s.All.Statement = "all statements"
	for _, st := range merged.Statements {
		s.All.Calls += st.Calls
		s.All.Rows += st.Rows
		s.All.Seconds += st.Seconds
		s.All.Failed += st.Failed
	}
	s.Rest.Statement = "other statements"
	for _, st := range merged.Statements {
		if len(s.Top) < n && st.Seconds >= minShare*s.All.Seconds {
			s.Top = append(s.Top, st)
			continue
		}
		s.Left++
		s.Rest.Calls += st.Calls
		s.Rest.Rows += st.Rows
		s.Rest.Seconds += st.Seconds
		s.Rest.Failed += st.Failed
	}
	return s
}

// sortStatements orders by seconds, longest first, then by name.
func sortStatements(st []TraceStatement) {
	sort.SliceStable(st, func(i, j int) bool {
		if st[i].Seconds != st[j].Seconds {
			return st[i].Seconds > st[j].Seconds
		}
		return st[i].Statement < st[j].Statement
	})
}

// Table shows the summary: seconds, share of all statements' seconds,
// calls, rows, failures and the statement name.
func (s TraceSummary) Table() Table {
	t := Table{
		Header: []string{"seconds", "share", "calls", "rows", "failed", "statement"},
		Right:  []bool{true, true, true, true, true, false},
	}
	row := func(st TraceStatement) {
		t.Rows = append(t.Rows, []string{
			fmt.Sprintf("%.3f", st.Seconds), Percent(st.Seconds, s.All.Seconds),
			fmt.Sprint(st.Calls), fmt.Sprint(st.Rows), fmt.Sprint(st.Failed), st.Statement,
		})
	}
	for _, st := range s.Top {
		row(st)
	}
	if s.Left > 0 {
		rest := s.Rest
		rest.Statement = fmt.Sprintf("%d other statements", s.Left)
		row(rest)
	}
	row(s.All)
	return t
}
