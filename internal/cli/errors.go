package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/ferrymigrate/ferry"
	"github.com/ferrymigrate/ferry/internal/engine"
)

// Exit codes. Scripts depend on them; never renumber.
const (
	ExitOK          = 0
	ExitFailure     = 1 // anything not listed below
	ExitUsage       = 2 // bad flags or arguments
	ExitDatabase    = 3 // the database cannot be opened or reached
	ExitInput       = 4 // an input file is missing, unreadable or malformed
	ExitRejects     = 5 // more rows rejected than --max-rejects allows
	ExitBusy        = 6 // another ferry job holds the lock
	ExitNeedsYes    = 7 // a destructive action was not confirmed
	ExitNotFound    = 8 // the object asked for does not exist
	ExitConflict    = 9 // the data contradicts the request
	ExitInterrupted = 130
)

// UsageError is a command-line mistake.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// ErrNeedsYes is returned when a destructive action lacks confirmation.
var ErrNeedsYes = errors.New("refusing a destructive action without confirmation: pass --yes")

// exitCodes maps the application's error codes to exit statuses, once.
var exitCodes = map[string]int{
	ferry.EINVALID:      ExitUsage,
	ferry.EUNAVAILABLE:  ExitDatabase,
	ferry.ESCHEMABEHIND: ExitDatabase,
	ferry.EINPUT:        ExitInput,
	ferry.EREJECTS:      ExitRejects,
	ferry.EBUSY:         ExitBusy,
	ferry.ECONFIRM:      ExitNeedsYes,
	ferry.ENOTFOUND:     ExitNotFound,
	ferry.ECONFLICT:     ExitConflict,
	ferry.EINTERRUPTED:  ExitInterrupted,
}

// ExitCode maps an error to the process exit status.
func ExitCode(err error) int {
	var usage *UsageError
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, context.Canceled):
		return ExitInterrupted
	case errors.As(err, &usage):
		return ExitUsage
	case errors.Is(err, ErrNeedsYes):
		return ExitNeedsYes
	}
	if c, ok := exitCodes[ferry.ErrorCode(err)]; ok {
		return c
	}
	return ExitFailure
}

// Message renders err as one line, with a hint where ferry knows one.
func Message(err error) string {
	msg := strings.ReplaceAll(err.Error(), "\n", " ")
	var rejects *engine.TooManyRejectsError
	if errors.As(err, &rejects) {
		// The library does not know the flag; the command line does.
		msg = fmt.Sprintf("%d rows rejected, more than --max-rejects %d; nothing was applied", rejects.Rejected, rejects.Max)
	}
	switch ExitCode(err) {
	case ExitInterrupted:
		return "interrupted; run the same command again to resume from the last checkpoint"
	case ExitDatabase:
		return msg + " (check --db or FERRY_DATABASE_URL)"
	case ExitUsage:
		return msg + " (see ferry --help)"
	}
	return msg
}
