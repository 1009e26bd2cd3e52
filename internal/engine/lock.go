package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"sort"
	"sync"

	"github.com/ferrymigrate/ferry/internal/store"
)

// Locks are named, exclusive and held by a process, never by a row: they
// vanish with the process that holds them, however it ends. On PostgreSQL
// they are session advisory locks on a connection the engine keeps for the
// purpose, so they hold across machines; on SQLite they are byte-range
// locks on a file beside the database, which the kernel releases when the
// process dies. Two ferry processes on one database therefore can never
// both hold a lock, and a job whose process died is recognised by its
// lock being free, not by a pid that a new process may have been given.
//
// Locks are tried, never waited for: a job that cannot have everything it
// needs at once is refused, so two jobs can never deadlock each other.

// lockBackend is one database's kind of lock. Keys are derived from names
// by the locker; a backend only sees 64-bit keys.
type lockBackend interface {
	// tryLock takes key if no one else holds it.
	tryLock(ctx context.Context, key int64) (bool, error)
	unlock(ctx context.Context, key int64) error
	// heldElsewhere tells whether another process (or another engine of
	// this one) holds key. It never leaves the key held.
	heldElsewhere(ctx context.Context, key int64) (bool, error)
	close() error
}

// fileLocks is the SQLite backend: the store's byte-range locks beside the
// database file.
type fileLocks struct{ *store.FileLocks }

func (f fileLocks) tryLock(_ context.Context, key int64) (bool, error) { return f.TryLock(key) }
func (f fileLocks) unlock(_ context.Context, key int64) error          { return f.Unlock(key) }
func (f fileLocks) heldElsewhere(_ context.Context, key int64) (bool, error) {
	return f.HeldElsewhere(key)
}
func (f fileLocks) close() error { return f.Close() }

// locker tracks the locks this engine holds, so that it never asks the
// backend twice for one name (advisory locks are reentrant per session,
// which would hide a second job of this process behind the first).
type locker struct {
	mu      sync.Mutex
	backend lockBackend
	open    func() (lockBackend, error)
	ns      string // namespace: the PostgreSQL schema, so that two ferry schemas in one database never share locks
	held    map[string]bool
	token   string // this engine's owner token; its lock is held from the first job on
	owning  bool
}

func newLocker(db *store.DB) *locker {
	var b [12]byte
	_, _ = rand.Read(b[:])
	l := &locker{held: map[string]bool{}, token: hex.EncodeToString(b[:])}
	l.open = func() (lockBackend, error) {
		if db.Dialect() == store.Postgres {
			return openAdvisoryLocks(db)
		}
		fl, err := store.OpenFileLocks(db.Path())
		if err != nil {
			return nil, err
		}
		return fileLocks{fl}, nil
	}
	return l
}

// key turns a lock name into the backend's key.
func (l *locker) key(name string) int64 {
	h := fnv.New64a()
	h.Write([]byte(l.ns))
	h.Write([]byte{0})
	h.Write([]byte(name))
	return int64(h.Sum64())
}

func (l *locker) ensure() error {
	if l.backend != nil {
		return nil
	}
	b, err := l.open()
	if err != nil {
		return err
	}
	if ab, ok := b.(*advisoryLocks); ok {
		l.ns = ab.schema
	}
	l.backend = b
	return nil
}

// ownerName is the lock that stands for a live engine.
func ownerName(token string) string { return "owner:" + token }

// own takes this engine's owner lock, once.
func (l *locker) own(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.owning {
		return nil
	}
	if err := l.ensure(); err != nil {
		return err
	}
	ok, err := l.backend.tryLock(ctx, l.key(ownerName(l.token)))
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("engine: owner lock %s taken by someone else", l.token)
	}
	l.owning = true
	return nil
}

// tryAll takes every name, or none: on the first one held elsewhere it
// releases what it took and returns that name.
func (l *locker) tryAll(ctx context.Context, names []string) (busy string, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.ensure(); err != nil {
		return "", err
	}
	sorted := append([]string(nil), names...)
	sort.Strings(sorted)
	var taken []string
	release := func() {
		for _, n := range taken {
			_ = l.backend.unlock(context.WithoutCancel(ctx), l.key(n))
			delete(l.held, n)
		}
	}
	for _, n := range sorted {
		if l.held[n] {
			release()
			return n, nil
		}
		ok, err := l.backend.tryLock(ctx, l.key(n))
		if err != nil {
			release()
			return "", err
		}
		if !ok {
			release()
			return n, nil
		}
		l.held[n] = true
		taken = append(taken, n)
	}
	return "", nil
}

// release lets go of names this engine holds.
func (l *locker) release(ctx context.Context, names []string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	var first error
	for _, n := range names {
		if !l.held[n] {
			continue
		}
		delete(l.held, n)
		if err := l.backend.unlock(context.WithoutCancel(ctx), l.key(n)); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// alive tells whether the engine that owns token still runs.
func (l *locker) alive(ctx context.Context, token string) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if token == l.token && l.owning {
		return true, nil
	}
	if err := l.ensure(); err != nil {
		return false, err
	}
	return l.backend.heldElsewhere(ctx, l.key(ownerName(token)))
}

func (l *locker) close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.backend == nil {
		return nil
	}
	err := l.backend.close()
	l.backend, l.held, l.owning = nil, map[string]bool{}, false
	return err
}
