//go:build !unix

package engine

import (
	"context"
	"errors"
)

// Without Unix record locks, jobs on SQLite are kept apart within one
// process only; ferry says so rather than pretending otherwise.
type fileLocks struct{}

// LockFile is the file that would hold a SQLite database's locks.
func LockFile(dbPath string) string { return dbPath + "-lock" }

func openFileLocks(string) (*fileLocks, error) {
	return nil, errors.New("engine: SQLite job locks need a Unix system; use PostgreSQL here")
}

func (fileLocks) tryLock(context.Context, int64) (bool, error)       { return false, nil }
func (fileLocks) unlock(context.Context, int64) error                { return nil }
func (fileLocks) heldElsewhere(context.Context, int64) (bool, error) { return false, nil }
func (fileLocks) close() error                                       { return nil }
