//go:build !unix

package store

import "errors"

// FileLocks are not available without Unix record locks: jobs on SQLite
// are then kept apart within one process only, and ferry says so rather
// than pretending otherwise.
type FileLocks struct{}

// LockFile is the file that would hold a SQLite database's locks.
func LockFile(dbPath string) string { return dbPath + "-lock" }

// OpenFileLocks fails: there are no file locks here.
func OpenFileLocks(string) (*FileLocks, error) {
	return nil, errors.New("store: SQLite job locks need a Unix system; use PostgreSQL here")
}

func (*FileLocks) TryLock(int64) (bool, error)       { return false, nil }
func (*FileLocks) Unlock(int64) error                { return nil }
func (*FileLocks) HeldElsewhere(int64) (bool, error) { return false, nil }
func (*FileLocks) Close() error                      { return nil }
func (*FileLocks) tryMigrationLock() (bool, error)   { return true, nil }
func (*FileLocks) unlockMigration() error            { return nil }
