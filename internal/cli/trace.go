package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"sync"
	"time"
)

// statementTotals sums the store's statement timings by statement name,
// for --trace-file. The benchmark reads the file to show where each step
// spends its time, without parsing logs. Names never carry values, so the
// file holds no personal data.
type statementTotals struct {
	mu    sync.Mutex
	start time.Time
	by    map[string]*StatementTotal
}

// StatementTotal is one line of a --trace-file.
type StatementTotal struct {
	Statement string  `json:"statement"`
	Calls     int64   `json:"calls"`
	Rows      int64   `json:"rows"`
	Seconds   float64 `json:"seconds"`
	Failed    int64   `json:"failed"`
}

// TraceFile is what --trace-file holds.
type TraceFile struct {
	// Seconds is the wall time from opening the database to closing it.
	Seconds    float64          `json:"seconds"`
	Statements []StatementTotal `json:"statements"`
}

func newStatementTotals() *statementTotals {
	return &statementTotals{start: time.Now(), by: map[string]*StatementTotal{}}
}

func (s *statementTotals) add(stmt string, rows int64, elapsed time.Duration, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.by[stmt]
	if t == nil {
		t = &StatementTotal{Statement: stmt}
		s.by[stmt] = t
	}
	t.Calls++
	if rows > 0 {
		t.Rows += rows
	}
	t.Seconds += elapsed.Seconds()
	if err != nil {
		t.Failed++
	}
}

// write stores the totals, the slowest statement first.
func (s *statementTotals) write(path string) error {
	s.mu.Lock()
	out := TraceFile{Seconds: time.Since(s.start).Seconds(), Statements: make([]StatementTotal, 0, len(s.by))}
	for _, t := range s.by {
		out.Statements = append(out.Statements, *t)
	}
	s.mu.Unlock()
	sort.Slice(out.Statements, func(i, j int) bool {
		a, b := out.Statements[i], out.Statements[j]
		if a.Seconds != b.Seconds {
			return a.Seconds > b.Seconds
		}
		return a.Statement < b.Statement
	})
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("writing the trace file: %w", err)
	}
	return nil
}
