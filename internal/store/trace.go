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
// "CREATE TEMP TABLE ferry_xfer") without printing values. A statement
// that starts with a WITH is named by its first change as well ("WITH o
// AS MATERIALIZED: UPDATE sb_user"): the tenant merge runs each batch of
// every step as one such statement, and a trace that lumped all tables
// into one line could not say which step took the time.
func StatementName(q string) string {
	words := strings.Fields(q)
	if len(words) > 0 && strings.EqualFold(words[0], "WITH") {
		if change := firstChange(words); change != "" {
			return leading(words) + ": " + change
		}
	}
	return leading(words)
}

// firstChange is "UPDATE t", "DELETE FROM t" or "INSERT INTO t" for the
// first change among words, or "".
func firstChange(words []string) string {
	for i, w := range words {
		w = strings.ToUpper(strings.TrimLeft(w, "("))
		switch {
		case w == "UPDATE" && i+1 < len(words):
			table, _, _ := strings.Cut(words[i+1], "(")
			return "UPDATE " + table
		case (w == "DELETE" || w == "INSERT") && i+2 < len(words):
			table, _, _ := strings.Cut(words[i+2], "(")
			return w + " " + strings.ToUpper(words[i+1]) + " " + table
		}
	}
	return ""
}

// leading is the first four words, stopping before a column list.
func leading(words []string) string {
	for i, w := range words {
		if i == 4 || (i > 0 && strings.HasPrefix(w, "(")) {
			words = words[:i]
			break
		}
	}
	return strings.Join(words, " ")
}
