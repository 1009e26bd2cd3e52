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
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/ferrymigrate/ferry/internal/job"
	"github.com/ferrymigrate/ferry/internal/store"
)

// Service runs registrar migrations against one database.
type Service struct {
	DB       *store.DB
	Log      *slog.Logger
	Progress job.Progress
	// Debug allows personal data (e-mail addresses) in log lines.
	Debug bool
	// Stdin is read for the file name "-".
	Stdin io.Reader
}

// New returns a Service with quiet defaults.
func New(db *store.DB) *Service {
	return &Service{DB: db, Log: slog.New(slog.DiscardHandler), Progress: job.Nop, Stdin: os.Stdin}
}

// jobGroup serialises registrar jobs: two loads or a load and a transfer
// running at once would each see the other's half-written state.
const jobGroup = "registrar"

// ErrInput marks a problem with the files ferry was asked to read.
var ErrInput = errors.New("input error")

// TooManyRejectsError is returned when rejected rows pass --max-rejects.
type TooManyRejectsError struct {
	Rejected, Max int64
}

func (e *TooManyRejectsError) Error() string {
	return fmt.Sprintf("%d rows rejected, more than --max-rejects %d; nothing was applied", e.Rejected, e.Max)
}

func inputErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInput, fmt.Sprintf(format, args...))
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
	Count   int64         `json:"count"`
	Samples []job.Finding `json:"samples"`
}

// reportSamples caps the examples printed per finding kind; the job record
// keeps them all.
const reportSamples = 20

func nowUTC() time.Time { return time.Now().UTC() }

// recorded runs fn as a job of its own, so commands that are not file
// loads (sign-in, analysis, the migrate wrapper) leave a durable record too.
// The group is empty: such jobs never block the loads they may wrap.
func recorded[T any](ctx context.Context, s *Service, kind string, args any, fn func(run *job.Run) (T, error)) (res T, err error) {
	run, err := job.Start(ctx, s.DB, job.Spec{Kind: kind, Args: args})
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
