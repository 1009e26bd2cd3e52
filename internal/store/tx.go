package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/stdlib"
)

// Tx is a transaction pinned to one connection. It is opened with an explicit
// BEGIN on a *sql.Conn rather than with sql.Tx so that the PostgreSQL COPY
// fast path, which needs the raw pgx connection, can run inside it.
type Tx struct {
	conn    *sql.Conn
	dialect Dialect
	tracer  Tracer
	done    bool
}

// InTx runs fn in a transaction and commits it if fn returns nil. Any error,
// panic or cancelled context rolls it back, so a half-applied step is never
// visible.
func (db *DB) InTx(ctx context.Context, fn func(tx *Tx) error) (err error) {
	tx, err := db.Begin(ctx)
	if err != nil {
		return err
	}
	defer func() {
		if p := recover(); p != nil {
			tx.Rollback()
			panic(p)
		}
		if err != nil {
			tx.Rollback()
		}
	}()
	if err = fn(tx); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// Begin starts a transaction. Prefer InTx; Begin is for callers that must
// decide after the work whether to commit (dry runs roll back).
func (db *DB) Begin(ctx context.Context) (*Tx, error) {
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrUnavailable, db.display, err)
	}
	begin := "BEGIN"
	if db.dialect == SQLite {
		// Take the write lock up front: a deferred transaction that later
		// tries to write can fail with SQLITE_BUSY instead of waiting.
		begin = "BEGIN IMMEDIATE"
	}
	if err := db.retryBusy(ctx, func() error { _, err := conn.ExecContext(ctx, begin); return err }); err != nil {
		conn.Close()
		return nil, wrapErr(err)
	}
	return &Tx{conn: conn, dialect: db.dialect, tracer: db.tracer}, nil
}

// CommitLazily lets the transaction's commit return before its changes
// reach the disk. It is for work that is atomic with its own checkpoint,
// such as one batch of a resumable job: a crash of the database server
// can lose only the last such commits, whole, and the job redoes them from
// the checkpoint before them. The next ordinary commit on the server makes
// every earlier one durable, so a job whose last commit is ordinary ends
// durable. On PostgreSQL it is synchronous_commit = off for this
// transaction; SQLite, in WAL mode with synchronous=NORMAL, already
// commits so.
func (tx *Tx) CommitLazily(ctx context.Context) error {
	if tx.dialect != Postgres {
		return nil
	}
	_, err := tx.Exec(ctx, "SET LOCAL synchronous_commit = off")
	return err
}

// Commit makes the transaction's work durable.
func (tx *Tx) Commit(ctx context.Context) error {
	if tx.done {
		return errors.New("store: transaction already finished")
	}
	if tx.aborted() {
		tx.Rollback()
		return errors.New("store: transaction aborted by an earlier failed statement; nothing was committed")
	}
	tx.done = true
	_, err := tx.conn.ExecContext(ctx, "COMMIT")
	if err != nil {
		tx.discard()
		return wrapErr(err)
	}
	return tx.conn.Close()
}

// aborted reports whether PostgreSQL has refused the rest of the
// transaction after a failed statement; its COMMIT would roll back
// without an error.
func (tx *Tx) aborted() bool {
	if tx.dialect != Postgres {
		return false
	}
	failed := false
	_ = tx.conn.Raw(func(dc any) error {
		if c, ok := dc.(*stdlib.Conn); ok {
			failed = c.Conn().PgConn().TxStatus() == 'E'
		}
		return nil
	})
	return failed
}

// Rollback abandons the transaction. It is safe to call after Commit.
func (tx *Tx) Rollback() error {
	if tx.done {
		return nil
	}
	tx.done = true
	// The caller's context may be the reason we are rolling back; the
	// rollback itself must still reach the server.
	_, err := tx.conn.ExecContext(context.Background(), "ROLLBACK")
	if err != nil {
		tx.discard()
		return err
	}
	return tx.conn.Close()
}

// discard drops a connection whose transaction state is unknown so the pool
// never hands it out again.
func (tx *Tx) discard() {
	_ = tx.conn.Raw(func(any) error { return driver.ErrBadConn })
	tx.conn.Close()
}

// Analyze refreshes the planner's statistics for tables just bulk-loaded.
// PostgreSQL's autovacuum runs too late for a statement issued seconds
// after a COPY, and without statistics it plans million-row joins as if
// the tables were empty. SQLite plans from its indexes, so it is skipped.
func (tx *Tx) Analyze(ctx context.Context, tables ...string) error {
	if tx.dialect != Postgres || len(tables) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, "ANALYZE "+strings.Join(tables, ", "))
	return err
}

// BulkWorkMem is the sort and hash memory ferry asks PostgreSQL for in its
// set-based transactions. With the server default (4MB) the aggregations
// over millions of staging rows spill to disk several times over; the
// memory is the server's, for this transaction only, not ferry's own.
const BulkWorkMem = "256MB"

// ForBulk prepares the transaction for set-based work over millions of rows.
func (tx *Tx) ForBulk(ctx context.Context) error {
	if tx.dialect != Postgres {
		return nil
	}
	_, err := tx.Exec(ctx, "SET LOCAL work_mem = '"+BulkWorkMem+"'")
	return err
}

// NewIDs returns an expression that gives every row it is evaluated for a
// fresh value of table's generated key column, so a statement can choose
// the ids of rows it is about to insert (and insert them with
// Dialect.OverridingSystemValue) instead of reading them back after the
// insert. On PostgreSQL that is the column's own sequence, safe beside
// other writers; the sequence's name is looked up here, once, because the
// lookup costs more than the nextval itself. On SQLite, where the
// transaction holds the only write lock, the ids follow the table's
// current maximum; rows the expression is evaluated for but that are never
// inserted only leave gaps.
func (tx *Tx) NewIDs(ctx context.Context, table, column string) (string, error) {
	if tx.dialect != Postgres {
		return `((SELECT COALESCE(max(` + column + `), 0) FROM ` + table + `) + row_number() OVER ())`, nil
	}
	var seq sql.NullString
	if err := tx.QueryRow(ctx, `SELECT pg_get_serial_sequence(?, ?)`, table, column).Scan(&seq); err != nil {
		return "", err
	}
	if !seq.Valid {
		return "", fmt.Errorf("%s.%s has no sequence", table, column)
	}
	return `nextval('` + strings.ReplaceAll(seq.String, `'`, `''`) + `')`, nil
}

// Dialect tells which database the transaction runs on.
func (tx *Tx) Dialect() Dialect { return tx.dialect }

// Exec runs a statement and returns the number of rows it affected.
func (tx *Tx) Exec(ctx context.Context, query string, args ...any) (n int64, err error) {
	defer func(start time.Time) { trace(tx.tracer, query, n, start, err) }(time.Now())
	res, err := tx.conn.ExecContext(ctx, tx.dialect.Rebind(query), args...)
	if err != nil {
		return 0, wrapErr(err)
	}
	n, _ = res.RowsAffected()
	return n, nil
}

// Query runs a query inside the transaction.
func (tx *Tx) Query(ctx context.Context, query string, args ...any) (rows *sql.Rows, err error) {
	defer func(start time.Time) { trace(tx.tracer, query, -1, start, err) }(time.Now())
	rows, err = tx.conn.QueryContext(ctx, tx.dialect.Rebind(query), args...)
	return rows, wrapErr(err)
}

// QueryRow runs a query returning at most one row.
func (tx *Tx) QueryRow(ctx context.Context, query string, args ...any) *sql.Row {
	defer trace(tx.tracer, query, -1, time.Now(), nil)
	return tx.conn.QueryRowContext(ctx, tx.dialect.Rebind(query), args...)
}
