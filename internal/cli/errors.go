package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/ferrymigrate/ferry"
	"github.com/ferrymigrate/ferry/internal/engine"
	"github.com/ferrymigrate/ferry/internal/tenant"
)

// Exit codes. Scripts depend on them; never renumber.
const (
	ExitOK          = 0
	ExitFailure     = 1  // anything not listed below
	ExitUsage       = 2  // bad flags or arguments
	ExitDatabase    = 3  // the database cannot be opened or reached
	ExitInput       = 4  // an input file is missing, unreadable or malformed
	ExitRejects     = 5  // more rows rejected than --max-rejects allows
	ExitBusy        = 6  // another ferry job holds the lock
	ExitNeedsYes    = 7  // a destructive action was not confirmed
	ExitNotFound    = 8  // the object asked for does not exist
	ExitConflict    = 9  // the data contradicts the request
	ExitRefused     = 10 // a request was validated against the data and refused
	ExitIndex       = 11 // the search index cannot be reached
	ExitInterrupted = 130
)

// UsageError is a command-line mistake. Command is the command it was
// made on, for the hint.
type UsageError struct {
	Msg     string
	Command string
}

func (e *UsageError) Error() string { return e.Msg }

// usagef is a UsageError with a formatted message.
func usagef(format string, args ...any) error { return &UsageError{Msg: fmt.Sprintf(format, args...)} }

// ErrNeedsYes is returned when a destructive action lacks confirmation.
var ErrNeedsYes = errors.New("refusing a destructive action without confirmation: pass --yes")

// The command line's own codes, beside the application's.
const (
	codeUsage   = "usage"
	codeConfirm = ferry.ECONFIRM
)

// exitCodes maps the application's error codes to exit statuses, once.
var exitCodes = map[string]int{
	codeUsage:           ExitUsage,
	ferry.EINVALID:      ExitUsage,
	ferry.EUNAVAILABLE:  ExitDatabase,
	ferry.ESCHEMABEHIND: ExitDatabase,
	ferry.EINPUT:        ExitInput,
	ferry.EREJECTS:      ExitRejects,
	ferry.EBUSY:         ExitBusy,
	ferry.ECONFIRM:      ExitNeedsYes,
	ferry.ENOTFOUND:     ExitNotFound,
	ferry.ECONFLICT:     ExitConflict,
	ferry.EVALIDATION:   ExitRefused,
	ferry.EINTERRUPTED:  ExitInterrupted,
	ferry.EINDEX:        ExitIndex,
}

// Code is err's code as --json prints it.
func Code(err error) string {
	var usage *UsageError
	switch {
	case err == nil:
		return ""
	case errors.Is(err, context.Canceled):
		return ferry.EINTERRUPTED
	case errors.As(err, &usage):
		return codeUsage
	case errors.Is(err, ErrNeedsYes):
		return codeConfirm
	}
	return ferry.ErrorCode(err)
}

// ExitCode maps an error to the process exit status.
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	if c, ok := exitCodes[Code(err)]; ok {
		return c
	}
	return ExitFailure
}

// Message renders err as one line, without its hint.
func Message(err error) string {
	if Code(err) == ferry.EINTERRUPTED {
		return "interrupted"
	}
	msg := strings.ReplaceAll(err.Error(), "\n", " ")
	var rejects *engine.TooManyRejectsError
	if errors.As(err, &rejects) {
		// The library does not know the flag; the command line does.
		msg = fmt.Sprintf("%d rows rejected, more than --max-rejects %d; nothing was applied", rejects.Rejected, rejects.Max)
	}
	return msg
}

// Hint says what to do about err: the library's own hint where it has one,
// else the command line's, which may name flags.
func Hint(err error) string {
	var refused *tenant.PlanError
	if errors.As(err, &refused) && refused.Code == ferry.ECONFLICT {
		// The library cannot name the flag; the command line can.
		return "ferry tenant plan lists them; --on-conflict skip leaves those rows where they are and moves the rest"
	}
	if h := ferry.ErrorHint(err); h != "" {
		return h
	}
	switch Code(err) {
	case ferry.EINTERRUPTED:
		return "run the same command again to resume from the last checkpoint"
	case ferry.EUNAVAILABLE:
		return "check --db or FERRY_DATABASE_URL"
	case ferry.EINDEX:
		return "check --search-url or FERRY_SEARCH_URL, and that the cluster is up; the outbox keeps every entry until it is delivered"
	case ferry.ESCHEMABEHIND:
		return "run ferry db migrate with write access to the database"
	case codeUsage, ferry.EINVALID:
		var usage *UsageError
		if errors.As(err, &usage) && usage.Command != "" {
			return "see " + usage.Command + " --help"
		}
		return "see ferry --help"
	case ferry.EREJECTS:
		return "fix the rows listed by --rejects FILE, or raise --max-rejects"
	case codeConfirm:
		return "pass --yes"
	case ferry.ENOTFOUND:
		return "ferry jobs list shows the jobs there are"
	}
	return ""
}

// Line is how an error is printed on stderr: one line, hint included.
func Line(err error) string {
	msg := Message(err)
	if h := Hint(err); h != "" {
		msg += " (" + h + ")"
	}
	return "ferry: " + msg
}

// jsonError is what --json prints on stdout for a failure.
type jsonError struct {
	Error jsonErrorBody `json:"error"`
}

type jsonErrorBody struct {
	Code     string `json:"code"`
	Message  string `json:"message"`
	Hint     string `json:"hint,omitempty"`
	ExitCode int    `json:"exitCode"`
}

func errorJSON(err error) jsonError {
	return jsonError{Error: jsonErrorBody{Code: Code(err), Message: Message(err), Hint: Hint(err), ExitCode: ExitCode(err)}}
}

// shownError is a failure whose report is already on stdout: a refused
// plan's JSON is the one object --json prints, so Main prints nothing more
// there (and, without --json, only the one line on stderr).
type shownError struct{ err error }

func (e *shownError) Error() string { return e.err.Error() }
func (e *shownError) Unwrap() error { return e.err }

// shown marks err as reported; nil stays nil.
func shown(err error) error {
	if err == nil {
		return nil
	}
	return &shownError{err: err}
}

func conflictf(format string, args ...any) error {
	return ferry.Errorf(ferry.ECONFLICT, format, args...)
}
