package storetest_test

import (
	"context"
	"os"
	"testing"

	"github.com/ferrymigrate/ferry/internal/engine"
	"github.com/ferrymigrate/ferry/internal/registrar"
	"github.com/ferrymigrate/ferry/internal/store"
	"github.com/ferrymigrate/ferry/internal/store/storetest"
)

// BenchmarkPostgres measures what a test pays for a migrated PostgreSQL
// database of its own, with the registrar's sets: a new database
// (created, migrated and dropped, as before the pool), and a pooled
// schema (lent, opened and released), after a test that wrote nothing and
// after one that wrote rows to a few tables.
func BenchmarkPostgres(b *testing.B) {
	admin := os.Getenv(storetest.EnvPostgres)
	if admin == "" {
		b.Skipf("set %s", storetest.EnvPostgres)
	}
	sets := []store.Migrations{engine.Migrations, registrar.Migrations}
	ctx := context.Background()
	b.Run("database", func(b *testing.B) {
		for b.Loop() {
			dbURL, drop, err := storetest.CreatePostgresDatabase(ctx, admin)
			if err != nil {
				b.Fatal(err)
			}
			db, err := store.Open(ctx, dbURL)
			if err != nil {
				b.Fatal(err)
			}
			if err := db.Migrate(ctx, sets...); err != nil {
				b.Fatal(err)
			}
			db.Close()
			if err := drop(); err != nil {
				b.Fatal(err)
			}
		}
	})
	lend := func(b *testing.B, write bool) {
		for b.Loop() {
			dbURL, release, err := storetest.LeasePostgres(ctx, admin, sets...)
			if err != nil {
				b.Fatal(err)
			}
			db, err := store.Open(ctx, dbURL)
			if err != nil {
				b.Fatal(err)
			}
			if write {
				for _, q := range []string{
					`INSERT INTO domain (name) VALUES ('a.gov'), ('b.gov')`,
					`INSERT INTO ferry_job (kind, status, started_at, heartbeat_at) VALUES ('registrar.load', 'succeeded', now(), now())`,
					`INSERT INTO ferry_reject (job_id, file, line, reason, raw) SELECT id, 'f.txt', 3, 'blank', 'raw' FROM ferry_job`,
				} {
					if _, err := db.Exec(ctx, q); err != nil {
						b.Fatal(err)
					}
				}
			}
			db.Close()
			if err := release(); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("schema-unused", func(b *testing.B) { lend(b, false) })
	b.Run("schema-written", func(b *testing.B) { lend(b, true) })
}
