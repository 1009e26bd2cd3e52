//go:build unix && !linux

package store

import "golang.org/x/sys/unix"

// Classic POSIX record locks: per process, so one process never conflicts
// with itself; the locker's bookkeeping keeps its jobs apart.
const (
	setLock = unix.F_SETLK
	getLock = unix.F_GETLK
)
