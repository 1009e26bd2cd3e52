//go:build unix

package store

import (
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// FileLocks are byte-range locks on one file beside a SQLite database,
// "<database>-lock": a lock's key picks the byte. The kernel releases them
// when the process ends, however it ends. On Linux they are open file
// description locks, which also exclude each other within one process; on
// other Unix systems classic POSIX locks, which are per process (callers
// keep their own books for that case). Byte 0 is the schema migrations';
// every other key maps past it.
type FileLocks struct {
	f *os.File
}

// LockFile is the file that holds a SQLite database's locks.
func LockFile(dbPath string) string { return dbPath + "-lock" }

// OpenFileLocks opens (creating) the lock file of the database at dbPath.
func OpenFileLocks(dbPath string) (*FileLocks, error) {
	if dbPath == "" {
		return nil, fmt.Errorf("store: no database file to lock beside")
	}
	p := LockFile(dbPath)
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		// A read-only file system or folder: nothing can write there either,
		// but the message should say what ferry was trying to do.
		return nil, fmt.Errorf("%w: the lock file %s: %v", ErrUnavailable, filepath.Base(p), err)
	}
	return &FileLocks{f: f}, nil
}

// offset maps a key to a byte of the lock file, past byte 0.
func offset(key int64) int64 { return 1 + int64(uint64(key)>>2) }

func (l *FileLocks) fcntl(cmd int, typ int16, start int64) (*unix.Flock_t, error) {
	lk := &unix.Flock_t{Type: typ, Whence: 0, Start: start, Len: 1}
	for {
		err := unix.FcntlFlock(l.f.Fd(), cmd, lk)
		if err != unix.EINTR {
			return lk, err
		}
	}
}

func (l *FileLocks) try(start int64) (bool, error) {
	_, err := l.fcntl(setLock, unix.F_WRLCK, start)
	switch err {
	case nil:
		return true, nil
	case unix.EAGAIN, unix.EACCES:
		return false, nil
	}
	return false, fmt.Errorf("store: locking: %w", err)
}

// TryLock takes key's lock if no one else holds it.
func (l *FileLocks) TryLock(key int64) (bool, error) { return l.try(offset(key)) }

// Unlock lets go of key's lock.
func (l *FileLocks) Unlock(key int64) error {
	_, err := l.fcntl(setLock, unix.F_UNLCK, offset(key))
	return err
}

// HeldElsewhere tells whether another process (or, on Linux, another
// FileLocks of this one) holds key's lock, without taking it.
func (l *FileLocks) HeldElsewhere(key int64) (bool, error) {
	lk, err := l.fcntl(getLock, unix.F_WRLCK, offset(key))
	if err != nil {
		return false, fmt.Errorf("store: testing a lock: %w", err)
	}
	return lk.Type != unix.F_UNLCK, nil
}

// Close releases every lock this FileLocks holds.
func (l *FileLocks) Close() error { return l.f.Close() }

// tryMigrationLock takes byte 0, the schema migrations' lock.
func (l *FileLocks) tryMigrationLock() (bool, error) { return l.try(0) }

func (l *FileLocks) unlockMigration() error {
	_, err := l.fcntl(setLock, unix.F_UNLCK, 0)
	return err
}
