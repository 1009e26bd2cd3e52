// Package store opens ferry's database (SQLite or PostgreSQL) from a URL,
// applies the embedded schema migrations, and offers the transaction and
// bulk-load helpers every migration is written against.
//
// Both databases are reached through database/sql so the migrations share one
// code path; the few places where SQL differs go through Dialect.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/ferrymigrate/ferry"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// DefaultURL is the embedded default: a SQLite file in the working directory.
const DefaultURL = "ferry.db"

// ErrUnavailable marks failures to open or reach the database, so callers can
// give them their own exit code.
var ErrUnavailable = &ferry.Error{Code: ferry.EUNAVAILABLE, Message: "database unavailable"}

// ErrNoDatabase means a command that only reads was pointed at a database
// that does not exist, which is almost always a mistyped location.
var ErrNoDatabase = &ferry.Error{Code: ferry.EUNAVAILABLE, Message: "no ferry database"}

// DB is an open ferry database.
type DB struct {
	sql      *sql.DB
	dialect  Dialect
	display  string // URL without password, safe to log
	path     string // the SQLite file; "" on PostgreSQL
	readOnly bool
	tracer   Tracer
	// waitNotice is told when a write waits for another process (busy.go).
	waitNotice func()
}

// Open connects to the database named by rawURL and checks that it answers.
// A plain path or sqlite://PATH selects SQLite; postgres:// or postgresql://
// selects PostgreSQL. A SQLite file that does not exist is created. It
// does not migrate: call Migrate.
func Open(ctx context.Context, rawURL string) (*DB, error) {
	return open(ctx, rawURL, false)
}

// OpenExisting is Open for commands that only read. It refuses a SQLite
// file that does not exist instead of creating an empty one, and opens a
// file it may not write to read-only, so that reading never needs write
// access.
func OpenExisting(ctx context.Context, rawURL string) (*DB, error) {
	return open(ctx, rawURL, true)
}

func open(ctx context.Context, rawURL string, existing bool) (*DB, error) {
	if rawURL == "" {
		rawURL = DefaultURL
	}
	var (
		db  *DB
		err error
	)
	switch {
	case strings.HasPrefix(rawURL, "postgres://"), strings.HasPrefix(rawURL, "postgresql://"):
		db, err = openPostgres(rawURL)
	case strings.Contains(rawURL, "://") && !strings.HasPrefix(rawURL, "sqlite://") && !strings.HasPrefix(rawURL, "file://"):
		return nil, fmt.Errorf("%w: unsupported database URL scheme in %q (use a file path, sqlite://PATH or postgres://...)", ErrUnavailable, redact(rawURL))
	default:
		db, err = openSQLite(rawURL, existing)
	}
	if err != nil {
		return nil, err
	}
	// Opening a connection sets the journal mode, which waits for another
	// process's write like any write does.
	if err := db.retryBusy(ctx, func() error { return db.sql.PingContext(ctx) }); err != nil {
		db.sql.Close()
		return nil, fmt.Errorf("%w: %s: %v", ErrUnavailable, db.display, err)
	}
	return db, nil
}

func openPostgres(rawURL string) (*DB, error) {
	cfg, err := pgx.ParseConfig(rawURL)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrUnavailable, redact(rawURL), err)
	}
	// ferry's statements are batches of a few thousand rows, run hundreds
	// of times: compiling each with the JIT cost more than it saved (a
	// million-user merge took 128 s with it and 103 s without, the
	// re-keys 34.5 s against 22.2 s). A URL that sets jit keeps its value.
	if _, ok := cfg.RuntimeParams["jit"]; !ok {
		cfg.RuntimeParams["jit"] = "off"
	}
	sdb := stdlib.OpenDB(*cfg)
	sdb.SetMaxOpenConns(8)
	return &DB{sql: sdb, dialect: Postgres, display: redact(rawURL)}, nil
}

func openSQLite(rawURL string, existing bool) (*DB, error) {
	path := strings.TrimPrefix(strings.TrimPrefix(rawURL, "sqlite://"), "file://")
	if path == "" {
		return nil, fmt.Errorf("%w: empty SQLite path", ErrUnavailable)
	}
	if dir := filepath.Dir(path); dir != "" {
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			return nil, fmt.Errorf("%w: %s: directory %s does not exist", ErrUnavailable, path, dir)
		}
	}
	readOnly := false
	if existing {
		st, err := os.Stat(path)
		switch {
		case errors.Is(err, os.ErrNotExist):
			return nil, &ferry.Error{Code: ferry.EUNAVAILABLE, Message: fmt.Sprintf("%s: %s does not exist", ErrNoDatabase.Message, path),
				Hint: "check the database location; only commands that write create a database", Err: ErrNoDatabase}
		case err != nil:
			return nil, fmt.Errorf("%w: %s: %v", ErrUnavailable, path, err)
		case !st.Mode().IsRegular():
			return nil, fmt.Errorf("%w: %s is not a regular file", ErrUnavailable, path)
		}
		readOnly = !writable(path)
	} else if _, err := os.Stat(path); err == nil && !writable(path) {
		return nil, &ferry.Error{Code: ferry.EUNAVAILABLE, Message: fmt.Sprintf("%s: the database is read-only to this process", path),
			Hint: "commands that only read (jobs, analyze, domains, db status) work on it; this one writes"}
	}
	// WAL lets readers (ferry jobs list) run beside a long load; the busy
	// timeout turns a concurrent writer into a wait instead of an error.
	dsn := "file:" + path + "?_pragma=busy_timeout(" + busyTimeoutMillis + ")&_pragma=journal_mode(WAL)" +
		"&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_txlock=immediate"
	if readOnly {
		// Setting the journal mode is a write; a read-only file keeps the
		// mode it has.
		dsn = "file:" + path + "?mode=ro&_pragma=busy_timeout(" + busyTimeoutMillis + ")&_pragma=foreign_keys(1)"
	}
	sdb, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrUnavailable, path, err)
	}
	// SQLite has one writer; a single connection keeps ferry from ever
	// deadlocking against itself and makes temp tables visible to every query.
	sdb.SetMaxOpenConns(1)
	return &DB{sql: sdb, dialect: SQLite, display: path, path: path, readOnly: readOnly}, nil
}

// busyTimeoutMillis is how long SQLite itself waits for another process's
// write lock before a statement fails with SQLITE_BUSY; the store then
// waits on (busy.go). Jobs never get that far: they take the engine's lock
// first and are refused at once.
const busyTimeoutMillis = "1000"

// writable tells whether this process may write to path.
func writable(path string) bool {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return false
	}
	f.Close()
	return true
}

// redact removes a password from a URL so it can appear in messages.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable database URL)"
	}
	return u.Redacted()
}

// Close releases the connection pool.
func (db *DB) Close() error { return db.sql.Close() }

// Dialect tells which database this is.
func (db *DB) Dialect() Dialect { return db.dialect }

// Path is the SQLite file, or "" on PostgreSQL.
func (db *DB) Path() string { return db.path }

// ReadOnly tells whether the database was opened for reading only.
func (db *DB) ReadOnly() bool { return db.readOnly }

// String is the database location without credentials.
func (db *DB) String() string { return db.display }

// SQL exposes the pool for code that must hand a *sql.DB to a library.
func (db *DB) SQL() *sql.DB { return db.sql }

// Exec runs a statement outside any transaction. Queries are written with ?
// placeholders and rebound for PostgreSQL.
func (db *DB) Exec(ctx context.Context, query string, args ...any) (n int64, err error) {
	defer func(start time.Time) { trace(db.tracer, query, n, start, err) }(time.Now())
	var res sql.Result
	err = db.retryBusy(ctx, func() error {
		var err error
		res, err = db.sql.ExecContext(ctx, db.dialect.Rebind(query), args...)
		return err
	})
	if err != nil {
		return 0, wrapErr(err)
	}
	n, _ = res.RowsAffected()
	return n, nil
}

// Query runs a query outside any transaction.
func (db *DB) Query(ctx context.Context, query string, args ...any) (rows *sql.Rows, err error) {
	defer func(start time.Time) { trace(db.tracer, query, -1, start, err) }(time.Now())
	rows, err = db.sql.QueryContext(ctx, db.dialect.Rebind(query), args...)
	return rows, wrapErr(err)
}

// QueryRow runs a query returning at most one row.
func (db *DB) QueryRow(ctx context.Context, query string, args ...any) *sql.Row {
	defer trace(db.tracer, query, -1, time.Now(), nil)
	return db.sql.QueryRowContext(ctx, db.dialect.Rebind(query), args...)
}

// Querier is what both DB and Tx offer, so read helpers work inside or
// outside a transaction.
type Querier interface {
	Exec(ctx context.Context, query string, args ...any) (int64, error)
	Query(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRow(ctx context.Context, query string, args ...any) *sql.Row
	Dialect() Dialect
}

// wrapErr marks connection-level failures as ErrUnavailable so the CLI can
// tell "the database is down" from "the data is wrong".
func wrapErr(err error) error {
	if err == nil {
		return nil
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return err
	}
	msg := err.Error()
	for _, s := range []string{"connection refused", "file is not a database", "unable to open database", "no such host", "SQLITE_NOTADB", "SQLITE_CANTOPEN", "bad connection"} {
		if strings.Contains(msg, s) {
			return fmt.Errorf("%w: %v", ErrUnavailable, err)
		}
	}
	return err
}
