package store_test

import (
	"embed"
	"testing"

	"github.com/ferrymigrate/ferry/internal/store"
	"github.com/ferrymigrate/ferry/internal/store/storetest"
)

//go:embed testdata/migrations
var testMigrationFiles embed.FS

// testSet is the store tests' own schema: the store knows nothing of the
// tables any migration defines.
var testSet = store.EmbeddedMigrations("storetest", "ferry_schema_storetest", testMigrationFiles, "testdata/migrations")

// engines runs fn on every engine with the test schema applied.
func engines(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	storetest.Engines(t, fn, testSet)
}
