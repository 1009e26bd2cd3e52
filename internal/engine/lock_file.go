//go:build unix

package engine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/ferrymigrate/ferry/internal/store"
)

// fileLocks are byte-range locks on one file beside the SQLite database,
// "<database>-lock": a lock's key picks the byte. The kernel releases them
// when the process ends, however it ends. On Linux they are open file
// description locks, which also exclude each other within one process; on
// other Unix systems classic POSIX locks, which are per process (the
// locker's own bookkeeping covers that case).
type fileLocks struct {
	f *os.File
}

// LockFile is the file that holds a SQLite database's locks.
func LockFile(dbPath string) string { return dbPath + "-lock" }

func openFileLocks(dbPath string) (*fileLocks, error) {
	if dbPath == "" {
		return nil, fmt.Errorf("engine: no database file to lock beside")
	}
	p := LockFile(dbPath)
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		// A read-only file system or folder: no job can write there either,
		// but the message should say what ferry was trying to do.
		return nil, fmt.Errorf("%w: the lock file %s: %v", store.ErrUnavailable, filepath.Base(p), err)
	}
	return &fileLocks{f: f}, nil
}

// offset maps a key to a byte of the lock file, past byte 0.
func offset(key int64) int64 { return 1 + int64(uint64(key)>>2) }

func (l *fileLocks) fcntl(cmd int, typ int16, key int64) (*unix.Flock_t, error) {
	lk := &unix.Flock_t{Type: typ, Whence: 0, Start: offset(key), Len: 1}
	for {
		err := unix.FcntlFlock(l.f.Fd(), cmd, lk)
		if err != unix.EINTR {
			return lk, err
		}
	}
}

func (l *fileLocks) tryLock(_ context.Context, key int64) (bool, error) {
	_, err := l.fcntl(setLock, unix.F_WRLCK, key)
	switch err {
	case nil:
		return true, nil
	case unix.EAGAIN, unix.EACCES:
		return false, nil
	}
	return false, fmt.Errorf("engine: locking: %w", err)
}

func (l *fileLocks) unlock(_ context.Context, key int64) error {
	_, err := l.fcntl(setLock, unix.F_UNLCK, key)
	return err
}

func (l *fileLocks) heldElsewhere(_ context.Context, key int64) (bool, error) {
	lk, err := l.fcntl(getLock, unix.F_WRLCK, key)
	if err != nil {
		return false, fmt.Errorf("engine: testing a lock: %w", err)
	}
	return lk.Type != unix.F_UNLCK, nil
}

func (l *fileLocks) close() error { return l.f.Close() }
