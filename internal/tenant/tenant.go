// Package tenant implements design note 2: merging one root organisation
// (tenant) of the Sunbird learning platform into another.
//
// The platform's tables are imported from cqlsh COPY exports into sb_*
// tables of ferry's database (import.go), a request is validated and
// planned without writing (plan.go), and a merge runs the plan as a
// resumable job on the engine, step by step in the order of
// tenant-reference §4.E, each change journalled with its before-image and
// each touched user, org and batch put in the outbox (merge.go). A merge
// can be verified, rolled back from its journal, and written back as
// files cqlsh applies to the real cluster.
//
// Every step is a set-based statement whose WHERE clause is also its plan:
// the rows a step changes are exactly the rows that still point at the
// source, so a rerun or a resumed run picks up what is left, and the plan
// counts the same rows the merge writes.
package tenant

import (
	"embed"
	"log/slog"

	"github.com/ferrymigrate/ferry/internal/engine"
	"github.com/ferrymigrate/ferry/internal/store"
)

//go:embed migrations
var migrationFiles embed.FS

// Migrations is the tenant merge's schema: the platform's tables and the
// import's scratch tables. It needs the engine's.
var Migrations = store.EmbeddedMigrations("tenant", "ferry_schema_tenant", migrationFiles, "migrations")

// jobGroup serialises the tenant jobs that must not overlap with an import.
const jobGroup = "tenant"

// Service runs tenant merges on one engine.
type Service struct {
	Engine *engine.Engine
	DB     *store.DB
	Log    *slog.Logger
}

// New returns a Service over e, logging where e logs.
func New(e *engine.Engine) *Service {
	return &Service{Engine: e, DB: e.DB(), Log: e.Log()}
}
