package httpapi

import (
	"context"
	"errors"
	"sync"
	"time"
)

// cache keeps values read from the database for a short time, so that the
// status requests a client polls with (the job, the job list, the token
// that asks) are answered from memory, and a thousand of them a second
// cost a few queries instead of two thousand, which would queue for the
// pool's connections behind the merge's own.
//
// A value is served for at most ttl after the query that read it began:
// whatever was committed before that, by this process or another on the
// same database, is what the value shows, so a change shows within ttl.
// Concurrent misses of one key make one query, whose result all of them
// get; errors are never kept, so a job or token not found is looked for
// again on the next request. Once a value is refreshAfter old, the next
// request for it starts that query in the background and is answered
// from memory still, so a key polled steadily is read again before it
// expires and its requests never wait for the database (which, under a
// merge, means waiting for a connection the merge holds). A cache with a
// grace goes on serving a value past its ttl, for at most grace more,
// while the refresh it started is in flight, instead of making requests
// wait for that refresh: a value is then at most ttl+grace old, and
// normally under ttl. A key no one asks for until it has expired is read
// again, and waited for, as if it had never been kept.
//
// After a change this process made, refresh reads a key again and stores
// what it read over the older value, which is served until then; a value
// never replaces one read by a query that began later.
type cache[K comparable, V any] struct {
	ttl          time.Duration
	refreshAfter time.Duration // 0: never ahead of expiry
	grace        time.Duration // how long past ttl a value being refreshed is served
	// max bounds the keys kept (clients choose them); past it, expired
	// entries are dropped, and all of them if none is.
	max int
	now func() time.Time

	mu       sync.Mutex
	items    map[K]cached[V]
	inflight map[K]*flight[V]
	// gen counts forget calls: a query that began before one does not
	// store what it read.
	gen uint64
}

type cached[V any] struct {
	v  V
	at time.Time // when the query that read v began
}

type flight[V any] struct {
	done chan struct{}
	v    V
	err  error
	at   time.Time // when its query began
}

// loadTimeout bounds a shared query, which runs apart from the request
// that began it so that one client going away does not fail the others.
const loadTimeout = 10 * time.Second

func newCache[K comparable, V any](ttl time.Duration, max int) *cache[K, V] {
	return &cache[K, V]{ttl: ttl, max: max, now: time.Now, items: map[K]cached[V]{}, inflight: map[K]*flight[V]{}}
}

// refreshingAhead makes c refresh a value once it is half its ttl old.
func (c *cache[K, V]) refreshingAhead() *cache[K, V] {
	c.refreshAfter = c.ttl / 2
	return c
}

// servingStale makes c serve a value for up to grace past its ttl while
// its refresh is in flight; it needs refreshingAhead.
func (c *cache[K, V]) servingStale(grace time.Duration) *cache[K, V] {
	c.grace = grace
	return c
}

// get returns k's value, from memory when it was read less than ttl ago,
// or else from load. A cache with no ttl always loads.
func (c *cache[K, V]) get(ctx context.Context, k K, load func(context.Context) (V, error)) (V, error) {
	if c == nil || c.ttl <= 0 {
		return load(ctx)
	}
	c.mu.Lock()
	if e, ok := c.items[k]; ok {
		age := c.now().Sub(e.at)
		f, busy := c.inflight[k]
		// Past the ttl, only a refresh begun after e's own query makes e
		// worth serving a while longer: an older query would not replace it.
		if age < c.ttl || busy && !f.at.Before(e.at) && age < c.ttl+c.grace {
			if !busy && c.refreshAfter > 0 && age >= c.refreshAfter {
				f, gen, at := c.begin(k)
				go func() {
					// A panic here has no request to answer: the value
					// stays until it expires, and the next request's own
					// read meets the panic, which the server logs.
					defer func() { _ = recover() }()
					c.run(ctx, k, f, gen, at, load)
				}()
			}
			c.mu.Unlock()
			return e.v, nil
		}
	}
	if f, ok := c.inflight[k]; ok {
		c.mu.Unlock()
		select {
		case <-f.done:
			return f.v, f.err
		case <-ctx.Done():
			var zero V
			return zero, ctx.Err()
		}
	}
	f, gen, at := c.begin(k)
	c.mu.Unlock()
	c.run(ctx, k, f, gen, at, load)
	return f.v, f.err
}

// begin records a query of k in flight; c.mu is held.
func (c *cache[K, V]) begin(k K) (f *flight[V], gen uint64, at time.Time) {
	f = &flight[V]{done: make(chan struct{}), at: c.now()}
	c.inflight[k] = f
	return f, c.gen, f.at
}

// run makes the query of flight f and records its outcome.
func (c *cache[K, V]) run(ctx context.Context, k K, f *flight[V], gen uint64, at time.Time, load func(context.Context) (V, error)) {
	lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), loadTimeout)
	defer cancel()
	loaded := false
	defer func() {
		if !loaded {
			// load panicked (the server's recoverer answers the request):
			// the waiters get an error, and the next request tries again.
			f.err = errLoadPanicked
			c.finish(k, f, gen, at)
		}
	}()
	f.v, f.err = load(lctx)
	loaded = true
	c.finish(k, f, gen, at)
}

var errLoadPanicked = errors.New("reading the value failed")

// finish stores a flight's value, unless it failed, a forget came after
// it began or the value kept was read by a query that began later, and
// lets its waiters go.
func (c *cache[K, V]) finish(k K, f *flight[V], gen uint64, at time.Time) {
	c.mu.Lock()
	if c.inflight[k] == f {
		delete(c.inflight, k)
	}
	if e, ok := c.items[k]; f.err == nil && gen == c.gen && (!ok || !at.Before(e.at)) {
		if len(c.items) >= c.max {
			c.prune()
		}
		c.items[k] = cached[V]{v: f.v, at: at}
	}
	c.mu.Unlock()
	close(f.done)
}

// prune drops the expired entries, or every entry when none has expired.
func (c *cache[K, V]) prune() {
	now := c.now()
	for k, e := range c.items {
		if now.Sub(e.at) >= c.ttl {
			delete(c.items, k)
		}
	}
	if len(c.items) >= c.max {
		clear(c.items)
	}
}

// forget drops every value, and keeps the queries in flight from storing
// theirs or being joined: after a change this process made, its next
// reads see it.
func (c *cache[K, V]) forget() {
	if c == nil {
		return
	}
	c.mu.Lock()
	clear(c.items)
	clear(c.inflight)
	c.gen++
	c.mu.Unlock()
}

// refresh reads k again now, after a change this process made, and
// stores the value over the one kept, which other requests are served
// until then; a query of k in flight, begun before, is no longer joined
// and does not store its older value. If the read fails, nothing older
// is served any more: c forgets every value. It returns the read's error.
func (c *cache[K, V]) refresh(ctx context.Context, k K, load func(context.Context) (V, error)) error {
	if c == nil || c.ttl <= 0 {
		return nil
	}
	c.mu.Lock()
	f, gen, at := c.begin(k)
	c.mu.Unlock()
	defer func() {
		// Also when load panicked, and run's own defer set the error.
		if f.err != nil {
			c.forget()
		}
	}()
	c.run(ctx, k, f, gen, at, load)
	return f.err
}

// live are the keys whose values may still be served, or being read:
// the keys a change must refresh for the next read to show it. An expired
// value that no query is refreshing is dropped instead, so that the next
// request for it reads the database.
func (c *cache[K, V]) live() []K {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	ks := make([]K, 0, len(c.items)+len(c.inflight))
	for k, e := range c.items {
		if _, busy := c.inflight[k]; !busy && now.Sub(e.at) >= c.ttl {
			delete(c.items, k)
			continue
		}
		ks = append(ks, k)
	}
	for k := range c.inflight {
		if _, ok := c.items[k]; !ok {
			ks = append(ks, k)
		}
	}
	return ks
}
