// Package storetest gives tests a fresh, migrated database on every engine
// ferry supports: SQLite always, PostgreSQL when FERRY_TEST_POSTGRES_URL is
// set. On SQLite each call gets its own file; on PostgreSQL its own schema,
// lent from a pool of migrated ones (see pool.go) and emptied before the
// next test borrows it.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/ferrymigrate/ferry/internal/store"
)

// EnvPostgres names the variable holding an administrative PostgreSQL URL.
const EnvPostgres = "FERRY_TEST_POSTGRES_URL"

// Engines runs fn once per database engine as a subtest named after it,
// on a fresh database with the given migration sets applied.
func Engines(t *testing.T, fn func(t *testing.T, db *store.DB), sets ...store.Migrations) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t, sets...)) })
	t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t, sets...)) })
}

// URLs returns one fresh, empty (not migrated) database URL per engine
// (the PostgreSQL one only when configured), for tests that run the ferry
// binary, which migrates a database on first use.
func URLs(t *testing.T) map[string]string {
	t.Helper()
	urls := map[string]string{"sqlite": filepath.Join(t.TempDir(), "ferry.db")}
	if os.Getenv(EnvPostgres) != "" {
		urls["postgres"] = NewPostgresDatabase(t)
	}
	return urls
}

// SQLite opens a database in a file under t.TempDir, migrated with sets.
func SQLite(t *testing.T, sets ...store.Migrations) *store.DB {
	t.Helper()
	return open(t, filepath.Join(t.TempDir(), "ferry.db"), sets)
}

// Postgres opens a PostgreSQL schema of its own for the test, migrated
// with sets and holding no rows, or skips the test with a message saying
// how to enable it. The schema is the connections' search_path, so the
// test sees it as a database of its own (but a query of the catalog that
// does not ask for current_schema() sees the other tests' schemas too).
// The test may change it as it likes: when it ends, what the migrations
// did not make is dropped, a schema changed otherwise is built again, and
// the schema is lent to the next test of the same sets.
func Postgres(t *testing.T, sets ...store.Migrations) *store.DB {
	t.Helper()
	admin := adminURL(t)
	ctx := context.Background()
	dbURL, release, err := LeasePostgres(ctx, admin, sets...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := release(); err != nil {
			t.Error(err)
		}
	})
	db, err := store.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// adminURL is FERRY_TEST_POSTGRES_URL, or skips the test.
func adminURL(t *testing.T) string {
	t.Helper()
	admin := os.Getenv(EnvPostgres)
	if admin == "" {
		t.Skipf("PostgreSQL tests skipped: set %s (e.g. postgres://postgres@127.0.0.1:5432/test) to run them", EnvPostgres)
	}
	return admin
}

// NewPostgresDatabase creates an empty database and returns its URL; it is
// dropped, with any connections still open, when the test ends.
func NewPostgresDatabase(t *testing.T) string {
	t.Helper()
	dbURL, drop, err := CreatePostgresDatabase(context.Background(), adminURL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := drop(); err != nil {
			t.Error(err)
		}
	})
	return dbURL
}

// CreatePostgresDatabase makes an empty database named ferry_test_<random>
// on the server of admin, and returns its URL and a function that drops
// it, connections and all. It is NewPostgresDatabase for callers without
// a *testing.T.
func CreatePostgresDatabase(ctx context.Context, admin string) (dbURL string, drop func() error, err error) {
	u, err := url.Parse(admin)
	if err != nil {
		return "", nil, fmt.Errorf("parsing %s: %v", EnvPostgres, err)
	}
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return "", nil, fmt.Errorf("connecting to %s: %v", EnvPostgres, err)
	}
	defer conn.Close(ctx)
	var b [6]byte
	rand.Read(b[:])
	name := "ferry_test_" + hex.EncodeToString(b[:])
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", nil, fmt.Errorf("creating %s: %v", name, err)
	}
	drop = func() error {
		ctx := context.Background()
		c, err := pgx.Connect(ctx, admin)
		if err != nil {
			return fmt.Errorf("dropping %s: %v", name, err)
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			return fmt.Errorf("dropping %s: %v", name, err)
		}
		return nil
	}
	u.Path = "/" + name
	return u.String(), drop, nil
}

func open(t *testing.T, dbURL string, sets []store.Migrations) *store.DB {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx, sets...); err != nil {
		t.Fatal(err)
	}
	return db
}
