package store

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// Migrations is one owner's versioned schema: the engine's ferry_* tables,
// or one migration's own tables. Each set keeps its versions in a table of
// its own, so sets evolve independently and a database holds any
// combination of them.
type Migrations struct {
	// Name identifies the set in status output ("engine", "registrar").
	Name string
	// Table is the goose version table, named so that it cannot collide
	// with a table of the system ferry migrates into.
	Table string
	// FS holds a folder per dialect, "sqlite" and "postgres", each with
	// goose SQL files.
	FS fs.FS
}

// EmbeddedMigrations makes a set from a folder of fsys (usually an
// embed.FS) holding the dialect folders. The folder is the program's own,
// so a mistake in its name is a bug, and it panics.
func EmbeddedMigrations(name, table string, fsys fs.FS, dir string) Migrations {
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		panic(fmt.Sprintf("store: %s migrations: %v", name, err))
	}
	return Migrations{Name: name, Table: table, FS: sub}
}

// MigrationState is where one migration of a set stands in a database.
type MigrationState struct {
	Version   int64      `json:"version"`
	File      string     `json:"file"`
	Applied   bool       `json:"applied"`
	AppliedAt *time.Time `json:"appliedAt,omitempty"`
}

// SetStatus is a set's version in a database and what is still pending.
type SetStatus struct {
	Name string `json:"name"`
	// Version is the newest applied migration, 0 for none.
	Version int64 `json:"version"`
	// Latest is the newest migration this build of ferry knows.
	Latest     int64            `json:"latest"`
	Pending    int              `json:"pending"`
	Migrations []MigrationState `json:"migrations"`
}

func (db *DB) provider(m Migrations) (*goose.Provider, error) {
	sub, err := fs.Sub(m.FS, db.dialect.String())
	if err != nil {
		return nil, err
	}
	gd := goose.DialectSQLite3
	opts := []goose.ProviderOption{goose.WithTableName(m.Table), goose.WithDisableGlobalRegistry(true)}
	if db.dialect == Postgres {
		gd = goose.DialectPostgres
		// goose's lock is one advisory lock for the whole database; keyed by
		// the schema, ferry schemas side by side in one database (as the
		// tests' are) migrate without waiting for each other.
		var schema string
		if err := db.QueryRow(context.Background(), `SELECT current_schema()`).Scan(&schema); err != nil {
			return nil, wrapErr(err)
		}
		h := fnv.New64a()
		h.Write([]byte("ferry-migrate\x00" + schema))
		locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(int64(h.Sum64())))
		if err != nil {
			return nil, err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider(gd, db.sql, sub, opts...)
	if err != nil {
		return nil, fmt.Errorf("store: %s migrations: %w", m.Name, err)
	}
	return p, nil
}

// Migrate brings every set's schema up to date, in the order given (the
// engine's first: the others may refer to its tables). On PostgreSQL a
// session advisory lock makes concurrent ferry processes apply each
// migration exactly once; on SQLite the database file lock does the same.
func (db *DB) Migrate(ctx context.Context, sets ...Migrations) error {
	unlock, err := db.lockForMigration(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	for _, m := range sets {
		p, err := db.provider(m)
		if err != nil {
			return err
		}
		if _, err := p.Up(ctx); err != nil {
			return wrapErr(fmt.Errorf("store: applying the %s schema migrations to %s: %w", m.Name, db.display, err))
		}
	}
	return nil
}

// lockForMigration keeps two processes from migrating one SQLite file at
// once: goose has no lock for SQLite, and two first runs started together
// on a new file both created the tables, one failing halfway ("partial
// migration error"). The lock is byte 0 of the lock file beside the
// database; the second process waits for the first, then finds nothing to
// do. PostgreSQL has goose's own session lock.
func (db *DB) lockForMigration(ctx context.Context) (unlock func(), err error) {
	if db.dialect != SQLite || db.path == "" {
		return func() {}, nil
	}
	l, err := OpenFileLocks(db.path)
	if err != nil {
		return nil, err
	}
	pause := 10 * time.Millisecond
	for {
		ok, err := l.tryMigrationLock()
		if err != nil {
			l.Close()
			return nil, err
		}
		if ok {
			return func() { _ = l.unlockMigration(); l.Close() }, nil
		}
		select {
		case <-ctx.Done():
			l.Close()
			return nil, ctx.Err()
		case <-time.After(pause):
		}
		pause = min(2*pause, 200*time.Millisecond)
	}
}

// MigrationStatus reports each set's applied and pending migrations
// without changing anything: a set whose version table does not exist yet
// is reported as wholly pending rather than given an empty table.
func (db *DB) MigrationStatus(ctx context.Context, sets ...Migrations) ([]SetStatus, error) {
	out := make([]SetStatus, 0, len(sets))
	for _, m := range sets {
		p, err := db.provider(m)
		if err != nil {
			return nil, err
		}
		st := SetStatus{Name: m.Name, Migrations: []MigrationState{}}
		exists, err := db.TableExists(ctx, m.Table)
		if err != nil {
			return nil, err
		}
		if exists {
			list, err := p.Status(ctx)
			if err != nil {
				return nil, wrapErr(fmt.Errorf("store: %s migration status: %w", m.Name, err))
			}
			for _, s := range list {
				ms := MigrationState{Version: s.Source.Version, File: baseName(s.Source.Path), Applied: s.State == goose.StateApplied}
				if ms.Applied {
					at := s.AppliedAt.UTC()
					ms.AppliedAt = &at
				}
				st.Migrations = append(st.Migrations, ms)
			}
		} else {
			for _, src := range p.ListSources() {
				st.Migrations = append(st.Migrations, MigrationState{Version: src.Version, File: baseName(src.Path)})
			}
		}
		for _, ms := range st.Migrations {
			st.Latest = max(st.Latest, ms.Version)
			if ms.Applied {
				st.Version = max(st.Version, ms.Version)
			} else {
				st.Pending++
			}
		}
		out = append(out, st)
	}
	return out, nil
}

// ErrSchemaBehind means the database's schema is older than this ferry.
var ErrSchemaBehind = errors.New("the database schema is older than this ferry")

// CheckCurrent fails with ErrSchemaBehind when any set has a pending
// migration, for commands that must not write (and so cannot migrate).
func (db *DB) CheckCurrent(ctx context.Context, sets ...Migrations) error {
	st, err := db.MigrationStatus(ctx, sets...)
	if err != nil {
		return err
	}
	for _, s := range st {
		if s.Pending > 0 {
			return fmt.Errorf("%w: the %s schema is at version %d, this ferry needs %d", ErrSchemaBehind, s.Name, s.Version, s.Latest)
		}
	}
	return nil
}

// TableExists tells whether a table of that name is visible: in the
// schema search path on PostgreSQL, in the main database on SQLite.
func (db *DB) TableExists(ctx context.Context, name string) (bool, error) {
	q := `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?`
	if db.dialect == Postgres {
		q = `SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = current_schema() AND tablename = ?`
	}
	var n int
	if err := db.QueryRow(ctx, q, name).Scan(&n); err != nil {
		return false, wrapErr(err)
	}
	return n > 0, nil
}

func baseName(p string) string {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '/' {
			return p[i+1:]
		}
	}
	return p
}
