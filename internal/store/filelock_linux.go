package store

import "golang.org/x/sys/unix"

// Open file description locks: owned by the open file, not the process.
const (
	setLock = unix.F_OFD_SETLK
	getLock = unix.F_OFD_GETLK
)
