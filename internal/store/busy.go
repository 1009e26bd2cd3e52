package store

import (
	"context"
	"errors"
	"time"
)

// SQLite has one writer at a time, across processes. ferry's jobs never
// wait for each other (the engine refuses a second job at once), but the
// short writes that work beside a running job, a sign-in above all, must
// wait for the job's current transaction to commit, however long its
// apply takes, rather than fail with "database is locked". SQLite's own
// busy timeout waits up to busyTimeoutMillis; past that, ferry tries again,
// and says so once, for as long as the caller's context allows.

// busyCode is SQLITE_BUSY; extended codes keep it in their low byte.
const busyCode = 5

func isBusy(err error) bool {
	var coded interface{ Code() int }
	return errors.As(err, &coded) && coded.Code()&0xff == busyCode
}

// SetWaitNotice has fn called, once per wait, when a write has waited for
// another process's transaction longer than SQLite's own busy timeout.
func (db *DB) SetWaitNotice(fn func()) { db.waitNotice = fn }

// retryBusy runs op until it does not fail with SQLITE_BUSY, or ctx ends.
func (db *DB) retryBusy(ctx context.Context, op func() error) error {
	err := op()
	if db.dialect != SQLite || !isBusy(err) {
		return err
	}
	if db.waitNotice != nil {
		db.waitNotice()
	}
	pause := 50 * time.Millisecond
	for isBusy(err) {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pause):
		}
		pause = min(2*pause, time.Second)
		err = op()
	}
	return err
}
