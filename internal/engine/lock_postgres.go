package engine

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"

	"github.com/ferrymigrate/ferry/internal/store"
)

// advisoryLocks holds PostgreSQL session advisory locks on one connection
// set aside for them. The server drops them when that connection ends, so
// a process that dies, or loses its network, loses its locks.
type advisoryLocks struct {
	conn   *sql.Conn
	schema string
}

func openAdvisoryLocks(db *store.DB) (*advisoryLocks, error) {
	ctx := context.Background()
	conn, err := db.SQL().Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w: a connection for locks: %v", store.ErrUnavailable, err)
	}
	a := &advisoryLocks{conn: conn}
	if err := conn.QueryRowContext(ctx, `SELECT current_schema()`).Scan(&a.schema); err != nil {
		conn.Close()
		return nil, fmt.Errorf("%w: %v", store.ErrUnavailable, err)
	}
	return a, nil
}

func (a *advisoryLocks) tryLock(ctx context.Context, key int64) (bool, error) {
	var ok bool
	err := a.conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock($1)`, key).Scan(&ok)
	return ok, err
}

func (a *advisoryLocks) unlock(ctx context.Context, key int64) error {
	var ok bool
	return a.conn.QueryRowContext(ctx, `SELECT pg_advisory_unlock($1)`, key).Scan(&ok)
}

// heldElsewhere looks the key up in pg_locks instead of trying it, so that
// the check itself never holds the lock, even for a moment. The locker
// never asks about a key of its own session.
func (a *advisoryLocks) heldElsewhere(ctx context.Context, key int64) (bool, error) {
	// A bigint advisory key is shown split: the high 32 bits as classid,
	// the low 32 as objid, with objsubid 1.
	u := uint64(key)
	var n int
	err := a.conn.QueryRowContext(ctx, `SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'
		AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
		AND classid = $1::bigint::oid AND objid = $2::bigint::oid AND objsubid = 1 AND granted`, int64(u>>32), int64(u&0xffffffff)).Scan(&n)
	return n > 0, err
}

// close ends the session, which drops every lock it holds. Returning the
// connection to the pool would keep the session, locks and all, alive.
func (a *advisoryLocks) close() error {
	// Let go of every lock first, synchronously: the session's end reaches
	// the server a moment after the connection is dropped, and another
	// process checking in that moment would still find the locks held.
	_, _ = a.conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock_all()`)
	// Raw with ErrBadConn closes the driver connection for good.
	_ = a.conn.Raw(func(any) error { return driver.ErrBadConn })
	_ = a.conn.Close()
	return nil
}
