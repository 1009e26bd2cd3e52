package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed migrations
var migrations embed.FS

// schemaTable is goose's version table, named so it cannot collide with a
// table of the system ferry migrates into.
const schemaTable = "ferry_schema_version"

// Migrate brings the schema up to date. On PostgreSQL a session advisory
// lock makes concurrent ferry processes apply each migration exactly once;
// on SQLite the database file lock does the same.
func (db *DB) Migrate(ctx context.Context) error {
	sub, err := fs.Sub(migrations, "migrations/"+db.dialect.String())
	if err != nil {
		return err
	}
	gd := goose.DialectSQLite3
	opts := []goose.ProviderOption{goose.WithTableName(schemaTable), goose.WithDisableGlobalRegistry(true)}
	if db.dialect == Postgres {
		gd = goose.DialectPostgres
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider(gd, db.sql, sub, opts...)
	if err != nil {
		return fmt.Errorf("store: migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return wrapErr(fmt.Errorf("store: applying schema migrations to %s: %w", db.display, err))
	}
	return nil
}
