package store

import (
	"strings"
	"time"
)

// Tracer is told how long each statement took. The CLI logs it under
// --debug, which is how an operator (or the benchmark) sees where a long
// migration spends its time. It receives the statement's name, never its
// arguments, so a trace carries no personal data.
type Tracer func(stmt string, rows int64, elapsed time.Duration, err error)

// SetTracer installs t for every statement run through db and the
// transactions it opens from now on; nil turns tracing off.
func (db *DB) SetTracer(t Tracer) { db.tracer = t }

// trace reports one statement to t, if there is one.
func trace(t Tracer, query string, rows int64, start time.Time, err error) {
	if t != nil {
		t(StatementName(query), rows, time.Since(start), err)
	}
}

// StatementName is the first four words of a statement, stopping before a
// column list: enough to tell statements apart ("INSERT INTO domain",
// "CREATE TEMP TABLE ferry_xfer") without printing values.
func StatementName(q string) string {
	words := strings.Fields(q)
	for i, w := range words {
		if i == 4 || (i > 0 && strings.HasPrefix(w, "(")) {
			words = words[:i]
			break
		}
	}
	return strings.Join(words, " ")
}
