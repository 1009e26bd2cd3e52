// Package ferry holds what every part of ferry shares: the application
// error, with a code that the command line maps to an exit status and the
// HTTP service to a response status, each in one place.
package ferry

import (
	"context"
	"errors"
	"fmt"
)

// Error codes. They are part of ferry's contract: scripts read them from
// --json output and HTTP clients from response bodies. Never rename one.
const (
	EINTERNAL     = "internal"           // a bug, or a failure ferry cannot classify
	EINVALID      = "invalid"            // a request or option that cannot be right
	EUNAVAILABLE  = "unavailable"        // the database cannot be opened or reached
	EINPUT        = "input"              // an input file is missing, unreadable or wrong as a whole
	EREJECTS      = "too_many_rejects"   // more rows rejected than allowed
	EBUSY         = "busy"               // another job holds what this one needs
	ECONFIRM      = "needs_confirmation" // a destructive action was not confirmed
	ENOTFOUND     = "not_found"          // the object asked for does not exist
	ECONFLICT     = "conflict"           // the data contradicts the request
	EINTERRUPTED  = "interrupted"        // stopped by the operator; a rerun resumes
	ESCHEMABEHIND = "schema_behind"      // the database's schema is older than this ferry
	EVALIDATION   = "validation_failed"  // a request was checked against the data and refused, with every reason
	EUNAUTHORIZED = "unauthorized"       // no valid credentials (an API token, a sign-in)
	EFORBIDDEN    = "forbidden"          // valid credentials that do not allow this
	EINDEX        = "index_unavailable"  // the search index cannot be reached
)

// Error is ferry's application error. Message is for people and never
// names a command-line flag: the library does not know how it was called.
// Hint says what to do about it, where ferry knows.
type Error struct {
	Code    string
	Message string
	Hint    string
	// Err is the cause, if any, kept for errors.Is and errors.As.
	Err error
}

// Error is the message, which says all there is to say; the cause is kept
// for errors.Is and errors.As (Errorf's message already holds its text).
func (e *Error) Error() string {
	if e.Message == "" && e.Err != nil {
		return e.Err.Error()
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Is makes an Error with a code and nothing else a sentinel for the code:
// errors.Is(err, &Error{Code: EINPUT}) holds for every input error.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Message == "" && t.Err == nil && t.Hint == "" && t.Code != "" && ErrorCode(e) == t.Code
}

// Errorf returns an Error with a formatted message. A %w verb wraps its
// argument as the cause as well.
func Errorf(code, format string, args ...any) *Error {
	err := fmt.Errorf(format, args...)
	return &Error{Code: code, Message: err.Error(), Err: errors.Unwrap(err)}
}

// Wrap gives err a code, keeping its message; a nil err stays nil.
func Wrap(code string, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Code: code, Err: err}
}

// WithHint returns err with a hint attached, unless it already has one.
func WithHint(err error, hint string) error {
	if err == nil || ErrorHint(err) != "" {
		return err
	}
	return &Error{Code: ErrorCode(err), Hint: hint, Err: err}
}

// ErrorCode is the code of the outermost Error in err's chain. A cancelled
// context is an interruption wherever it appears; anything else without a
// code is internal.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	if errors.Is(err, context.Canceled) {
		return EINTERRUPTED
	}
	var e *Error
	for cur := err; errors.As(cur, &e); cur = e.Err {
		if e.Code != "" {
			return e.Code
		}
		if e.Err == nil {
			break
		}
	}
	return EINTERNAL
}

// ErrorHint is the first hint in err's chain, or "".
func ErrorHint(err error) string {
	var e *Error
	for cur := err; errors.As(cur, &e); cur = e.Err {
		if e.Hint != "" {
			return e.Hint
		}
		if e.Err == nil {
			break
		}
	}
	return ""
}
