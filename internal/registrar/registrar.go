// Package registrar implements design note 1: loading a legacy registry's
// escrow export into the TransitionDomain staging table, transferring it to
// Domains, DomainInvitations and DomainInformation, and turning invitations
// into manager roles when a person first signs in.
//
// Every operation is a plain Go method on Service; the CLI and HTTP server
// are thin adapters. Bulk work is set-based SQL over scratch tables that the
// escrow files are streamed into, so memory stays flat as input grows.
package registrar

import (
	"context"
	"embed"
	"log/slog"
	"time"

	"github.com/ferrymigrate/ferry"
	"github.com/ferrymigrate/ferry/internal/engine"
	"github.com/ferrymigrate/ferry/internal/store"
)

//go:embed migrations
var migrationFiles embed.FS

// Migrations is the registrar's own schema: staging, domains, invitations,
// users and roles, and its scratch tables. It needs the engine's.
var Migrations = store.EmbeddedMigrations("registrar", "ferry_schema_registrar", migrationFiles, "migrations")

// Service runs registrar migrations on one engine.
type Service struct {
	Engine *engine.Engine
	DB     *store.DB
	Log    *slog.Logger
	// Debug allows personal data (e-mail addresses) in log lines.
	Debug bool
}

// New returns a Service over e, logging where e logs.
func New(e *engine.Engine) *Service {
	return &Service{Engine: e, DB: e.DB(), Log: e.Log()}
}

// jobGroup serialises registrar jobs: two loads or a load and a transfer
// running at once would each see the other's half-written state.
const jobGroup = "registrar"

// ErrInput matches every problem with the files ferry was asked to read
// (errors.Is), whichever part of ferry found it.
var ErrInput = &ferry.Error{Code: ferry.EINPUT}

// TooManyRejectsError is returned when rejected rows pass the limit.
type TooManyRejectsError = engine.TooManyRejectsError

func inputErr(format string, args ...any) error {
	return ferry.Errorf(ferry.EINPUT, format, args...)
}

// States a Domain can be in; the staging statuses use the first three.
const (
	StateReady      = "ready"
	StateOnHold     = "on hold"
	StateUnknown    = "unknown"
	StateDNSNeeded  = "dns needed"
	StateDeleted    = "deleted"
	roleManager     = "manager"
	inviteInvited   = "invited"
	inviteRetrieved = "retrieved"
	systemUsername  = "System"
)

// Counts are the row-level outcome of a step. Every input row lands in
// exactly one of Created, Updated, Skipped or Rejected, so they add up to Read.
type Counts struct {
	Read     int64 `json:"read"`
	Created  int64 `json:"created"`
	Updated  int64 `json:"updated"`
	Skipped  int64 `json:"skipped"`
	Rejected int64 `json:"rejected"`
}

// Report is what a step observed without refusing input: per kind, a count
// and the first few subjects.
type Report map[string]ReportItem

// ReportItem is one kind of finding.
type ReportItem struct {
	Count   int64            `json:"count"`
	Samples []engine.Finding `json:"samples"`
}

// reportSamples caps the examples printed per finding kind; the job record
// keeps them all.
const reportSamples = 20

func nowUTC() time.Time { return time.Now().UTC() }

// recorded runs fn as a job of its own, so commands that are not file
// loads (sign-in, the migrate wrapper) leave a durable record too.
func recorded[T any](ctx context.Context, s *Service, spec engine.Spec, fn func(run *engine.Run) (T, error)) (res T, err error) {
	run, err := s.Engine.Start(ctx, spec)
	if err != nil {
		return res, err
	}
	defer func() {
		if ferr := run.Finish(ctx, res, err); ferr != nil && err == nil {
			err = ferr
		}
	}()
	return fn(run)
}

// invalidf is an error in the options a caller gave.
func invalidf(format string, args ...any) error {
	return ferry.Errorf(ferry.EINVALID, format, args...)
}
