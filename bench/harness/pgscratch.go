package harness

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// ScratchDB is a PostgreSQL database a benchmark creates on a server for
// one run and drops at the end, so every run starts from nothing.
type ScratchDB struct {
	Name      string // ferry_bench_<random>
	URL       string // the server URL with the database replaced
	serverURL string
	conn      *pgx.Conn
	// checkpointDenied: CHECKPOINT was refused once; it is not retried.
	checkpointDenied bool
}

// DatabaseURL is serverURL (postgres://...) naming database name instead,
// its user, host and query parameters kept.
func DatabaseURL(serverURL, name string) (string, error) {
	u, err := url.Parse(serverURL)
	if err != nil {
		return "", fmt.Errorf("the PostgreSQL URL: %w", err)
	}
	if u.Scheme != "postgres" && u.Scheme != "postgresql" {
		return "", fmt.Errorf("the PostgreSQL URL must start with postgres://, not %q", u.Scheme+":")
	}
	u.Path = "/" + name
	u.RawPath = ""
	return u.String(), nil
}

// CreateScratchDB creates a database prefix_<8 hex digits> on the server
// and connects to it. The role needs CREATEDB.
func CreateScratchDB(ctx context.Context, serverURL, prefix string) (*ScratchDB, error) {
	var rnd [4]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return nil, err
	}
	name := prefix + "_" + hex.EncodeToString(rnd[:])
	dbURL, err := DatabaseURL(serverURL, name)
	if err != nil {
		return nil, err
	}
	server, err := pgx.Connect(ctx, serverURL)
	if err != nil {
		return nil, fmt.Errorf("connecting to %s: %w", redact(serverURL), err)
	}
	defer server.Close(context.Background())
	if _, err := server.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return nil, fmt.Errorf("creating database %s: %w", name, err)
	}
	d := &ScratchDB{Name: name, URL: dbURL, serverURL: serverURL}
	if d.conn, err = pgx.Connect(ctx, dbURL); err != nil {
		_ = d.Drop(context.Background())
		return nil, fmt.Errorf("connecting to database %s: %w", name, err)
	}
	return d, nil
}

// Conn is the benchmark's own connection to the database. It stays idle
// while the measured processes run.
func (d *ScratchDB) Conn() *pgx.Conn { return d.conn }

// Exec runs SQL statements that return no rows.
func (d *ScratchDB) Exec(ctx context.Context, sql string) error {
	_, err := d.conn.Exec(ctx, sql)
	return err
}

// Int64s runs a query of one row and returns its columns, all integers.
func (d *ScratchDB) Int64s(ctx context.Context, sql string, n int) ([]int64, error) {
	vals := make([]int64, n)
	ptrs := make([]any, n)
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := d.conn.QueryRow(ctx, sql).Scan(ptrs...); err != nil {
		return nil, err
	}
	return vals, nil
}

// String runs a query of one text value.
func (d *ScratchDB) String(ctx context.Context, sql string) (string, error) {
	var s string
	err := d.conn.QueryRow(ctx, sql).Scan(&s)
	return s, err
}

// Checkpoint flushes dirty buffers so that a timed step does not pay for
// the writes of the one before. It needs superuser or pg_checkpoint; when
// refused it warns once and returns false, and the steps just run.
func (d *ScratchDB) Checkpoint(ctx context.Context) bool {
	if d.checkpointDenied {
		return false
	}
	if _, err := d.conn.Exec(ctx, "CHECKPOINT"); err != nil {
		var pe *pgconn.PgError
		if errors.As(err, &pe) && pe.Code == "42501" {
			d.checkpointDenied = true
			Logf("CHECKPOINT is not permitted for this role; steps may pay for earlier writes")
		} else {
			Logf("CHECKPOINT failed: %v", err)
		}
		return false
	}
	return true
}

// Settings describes the server: its version and the settings that most
// move the figures.
func (d *ScratchDB) Settings(ctx context.Context) (string, error) {
	return d.String(ctx, `SELECT current_setting('server_version') || ' (' ||
		string_agg(name || '=' || setting || coalesce(unit, ''), ' ' ORDER BY name) || ')'
		FROM pg_settings WHERE name IN ('shared_buffers', 'work_mem', 'maintenance_work_mem', 'temp_buffers',
		'synchronous_commit', 'fsync', 'max_wal_size', 'autovacuum')`)
}

// SizeMB is the database's size on disk.
func (d *ScratchDB) SizeMB(ctx context.Context) (int64, error) {
	v, err := d.Int64s(ctx, "SELECT pg_database_size(current_database()) / 1048576", 1)
	if err != nil {
		return 0, err
	}
	return v[0], nil
}

// Clone copies the database into a new one, named the database's name and
// "_" suffix, with CREATE DATABASE ... TEMPLATE, and connects to it. A
// template must have no other session: the benchmark's own connection is
// closed for the copy and opened again, and the copy is retried for a
// while when a session that just ended (a child process's, autovacuum) is
// still there. On PostgreSQL 15 and later it copies the files
// (STRATEGY FILE_COPY) rather than writing every page to the WAL.
func (d *ScratchDB) Clone(ctx context.Context, suffix string) (*ScratchDB, error) {
	name := d.Name + "_" + suffix
	dbURL, err := DatabaseURL(d.serverURL, name)
	if err != nil {
		return nil, err
	}
	if d.conn != nil {
		_ = d.conn.Close(ctx)
		d.conn = nil
	}
	cerr := d.createFromTemplate(ctx, name)
	// Reconnect whatever the copy did: the caller goes on using d.
	conn, err := pgx.Connect(ctx, d.URL)
	if err != nil {
		return nil, errors.Join(cerr, fmt.Errorf("connecting to database %s again: %w", d.Name, err))
	}
	d.conn = conn
	if cerr != nil {
		return nil, cerr
	}
	c := &ScratchDB{Name: name, URL: dbURL, serverURL: d.serverURL}
	if c.conn, err = pgx.Connect(ctx, dbURL); err != nil {
		_ = c.Drop(context.Background())
		return nil, fmt.Errorf("connecting to database %s: %w", name, err)
	}
	return c, nil
}

func (d *ScratchDB) createFromTemplate(ctx context.Context, name string) error {
	server, err := pgx.Connect(ctx, d.serverURL)
	if err != nil {
		return fmt.Errorf("connecting to %s: %w", redact(d.serverURL), err)
	}
	defer server.Close(context.Background())
	var version int
	if err := server.QueryRow(ctx, "SELECT current_setting('server_version_num')::int").Scan(&version); err != nil {
		return err
	}
	stmt := "CREATE DATABASE " + pgx.Identifier{name}.Sanitize() + " TEMPLATE " + pgx.Identifier{d.Name}.Sanitize()
	if version >= 150000 {
		stmt += " STRATEGY FILE_COPY"
	}
	for attempt := 1; ; attempt++ {
		_, err = server.Exec(ctx, stmt)
		var pe *pgconn.PgError
		// 55006: the template is being accessed by other users.
		if err == nil || !errors.As(err, &pe) || pe.Code != "55006" || attempt == 12 {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Second):
		}
	}
	if err != nil {
		return fmt.Errorf("copying database %s into %s: %w", d.Name, name, err)
	}
	return nil
}

// Drop closes the connection and drops the database, ending any session
// still in it.
func (d *ScratchDB) Drop(ctx context.Context) error {
	if d.conn != nil {
		_ = d.conn.Close(ctx)
		d.conn = nil
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	server, err := pgx.Connect(ctx, d.serverURL)
	if err != nil {
		return err
	}
	defer server.Close(context.Background())
	_, err = server.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{d.Name}.Sanitize()+" WITH (FORCE)")
	return err
}

// redact hides a URL's password for messages.
func redact(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "the server"
	}
	return u.Redacted()
}
