package httpapi

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// clock is a time a test moves by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func testCache(ttl time.Duration, max int) (*cache[string, int], *clock) {
	c := newCache[string, int](ttl, max)
	clk := &clock{t: time.Unix(1_000_000, 0)}
	c.now = clk.now
	return c, clk
}

// counter is a load that counts its calls and returns the count.
func counter() (func(context.Context) (int, error), *atomic.Int64) {
	var n atomic.Int64
	return func(context.Context) (int, error) { return int(n.Add(1)), nil }, &n
}

// A value is served for less than ttl after its query began, never longer.
func TestCacheStalenessBound(t *testing.T) {
	c, clk := testCache(200*time.Millisecond, 10)
	load, calls := counter()
	ctx := context.Background()
	if v, _ := c.get(ctx, "job", load); v != 1 {
		t.Fatalf("first get: %d, want 1", v)
	}
	clk.add(199 * time.Millisecond)
	if v, _ := c.get(ctx, "job", load); v != 1 || calls.Load() != 1 {
		t.Fatalf("within the ttl: %d after %d loads, want the cached 1", v, calls.Load())
	}
	clk.add(time.Millisecond)
	if v, _ := c.get(ctx, "job", load); v != 2 {
		t.Fatalf("at the ttl: %d, want a fresh 2", v)
	}
	if v, _ := c.get(ctx, "other", load); v != 3 {
		t.Fatalf("another key: %d, want its own load", v)
	}
}

// The age runs from when the query began, not from when it answered: a
// slow query does not stretch the bound.
func TestCacheAgeFromQueryStart(t *testing.T) {
	c, clk := testCache(200*time.Millisecond, 10)
	ctx := context.Background()
	slow := func(context.Context) (int, error) { clk.add(150 * time.Millisecond); return 1, nil }
	_, _ = c.get(ctx, "job", slow)
	clk.add(50 * time.Millisecond)
	load, calls := counter()
	_, _ = c.get(ctx, "job", load)
	if calls.Load() != 1 {
		t.Fatal("a value read 200 ms ago was served")
	}
}

// Errors (a job or token not found, a database down) are not kept.
func TestCacheKeepsNoErrors(t *testing.T) {
	c, _ := testCache(time.Minute, 10)
	var n int
	fail := func(context.Context) (int, error) { n++; return 0, errors.New("not found") }
	for range 3 {
		if _, err := c.get(context.Background(), "job", fail); err == nil {
			t.Fatal("no error")
		}
	}
	if n != 3 {
		t.Fatalf("%d loads for 3 failing gets, want 3", n)
	}
}

// Concurrent misses of one key make one query, and all get its value.
func TestCacheOneQueryForConcurrentMisses(t *testing.T) {
	c, _ := testCache(time.Minute, 10)
	release := make(chan struct{})
	var calls atomic.Int64
	load := func(context.Context) (int, error) {
		calls.Add(1)
		<-release
		return 42, nil
	}
	var wg sync.WaitGroup
	got := make([]int, 20)
	for i := range got {
		wg.Add(1)
		go func() { defer wg.Done(); got[i], _ = c.get(context.Background(), "job", load) }()
	}
	// Let every goroutine reach the cache before the query answers.
	deadline := time.Now().Add(5 * time.Second)
	for calls.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond)
	close(release)
	wg.Wait()
	if calls.Load() != 1 {
		t.Errorf("%d queries for 20 concurrent misses, want 1", calls.Load())
	}
	for i, v := range got {
		if v != 42 {
			t.Errorf("get %d: %d, want 42", i, v)
		}
	}
}

// A request that gives up waiting does not fail the shared query.
func TestCacheWaiterCancelled(t *testing.T) {
	c, _ := testCache(time.Minute, 10)
	release := make(chan struct{})
	started := make(chan struct{})
	go func() {
		_, _ = c.get(context.Background(), "job", func(ctx context.Context) (int, error) {
			close(started)
			<-release
			return 7, ctx.Err()
		})
	}()
	<-started
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.get(ctx, "job", nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("a cancelled waiter: %v, want context.Canceled", err)
	}
	close(release)
	deadline := time.Now().Add(5 * time.Second)
	for {
		v, err := c.get(context.Background(), "job", func(context.Context) (int, error) { return 0, errors.New("loaded again") })
		if err == nil && v == 7 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the shared query's value was not kept: %d %v", v, err)
		}
		time.Sleep(time.Millisecond)
	}
}

// After forget (this process changed a job) the next get reads the
// database, and a query begun before forget neither stores its value nor
// is joined by later requests.
func TestCacheForget(t *testing.T) {
	c, _ := testCache(time.Minute, 10)
	ctx := context.Background()
	_, _ = c.get(ctx, "job", func(context.Context) (int, error) { return 1, nil })
	c.forget()
	if v, _ := c.get(ctx, "job", func(context.Context) (int, error) { return 2, nil }); v != 2 {
		t.Fatalf("after forget: %d, want a fresh 2", v)
	}

	release := make(chan struct{})
	started := make(chan struct{})
	c.forget()
	done := make(chan int)
	go func() {
		v, _ := c.get(ctx, "job", func(context.Context) (int, error) { close(started); <-release; return 3, nil })
		done <- v
	}()
	<-started
	c.forget()
	if v, _ := c.get(ctx, "job", func(context.Context) (int, error) { return 4, nil }); v != 4 {
		t.Fatalf("a get after forget joined the older query: %d, want 4", v)
	}
	close(release)
	if v := <-done; v != 3 {
		t.Fatalf("the older query's own caller got %d, want 3", v)
	}
	if v, _ := c.get(ctx, "job", func(context.Context) (int, error) { return 5, nil }); v != 4 {
		t.Fatalf("after both: %d, want 4 (the older query must not overwrite it)", v)
	}
}

// The keys kept are bounded: expired ones go first, then all of them.
func TestCacheBounded(t *testing.T) {
	c, clk := testCache(time.Second, 3)
	ctx := context.Background()
	load, _ := counter()
	for _, k := range []string{"a", "b", "c"} {
		_, _ = c.get(ctx, k, load)
	}
	clk.add(2 * time.Second)
	_, _ = c.get(ctx, "d", load)
	if len(c.items) != 1 {
		t.Fatalf("%d keys after the expired ones were dropped, want 1", len(c.items))
	}
	for _, k := range []string{"e", "f", "g"} {
		_, _ = c.get(ctx, k, load)
	}
	if len(c.items) > 3 {
		t.Fatalf("%d keys, want at most 3", len(c.items))
	}
}

// A cache with no ttl reads every time.
func TestCacheOff(t *testing.T) {
	c, _ := testCache(-1, 10)
	load, calls := counter()
	for range 3 {
		_, _ = c.get(context.Background(), "job", load)
	}
	if calls.Load() != 3 {
		t.Fatalf("%d loads, want 3", calls.Load())
	}
}

// A load that panics lets its waiters go with an error, and the next
// request reads again instead of waiting for it forever.
func TestCacheLoadPanics(t *testing.T) {
	c, _ := testCache(time.Minute, 10)
	release := make(chan struct{})
	started := make(chan struct{})
	go func() {
		defer func() { _ = recover() }()
		_, _ = c.get(context.Background(), "job", func(context.Context) (int, error) {
			close(started)
			<-release
			panic("a bug")
		})
	}()
	<-started
	waited := make(chan error, 1)
	go func() {
		_, err := c.get(context.Background(), "job", func(context.Context) (int, error) { return 0, errors.New("not joined") })
		waited <- err
	}()
	time.Sleep(20 * time.Millisecond)
	close(release)
	select {
	case err := <-waited:
		if err == nil {
			t.Error("a waiter of a load that panicked got no error")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a waiter of a load that panicked is still waiting")
	}
	if v, err := c.get(context.Background(), "job", func(context.Context) (int, error) { return 9, nil }); v != 9 || err != nil {
		t.Errorf("the next get: %d %v, want a fresh 9", v, err)
	}
}

// Once a value is half its ttl old, a request is answered from memory and
// starts one refresh in the background; a key polled steadily is never
// waited for, and what it serves is still never older than the ttl.
func TestCacheRefreshesAhead(t *testing.T) {
	c, clk := testCache(200*time.Millisecond, 10)
	c.refreshingAhead()
	ctx := context.Background()
	var calls atomic.Int64
	release := make(chan struct{}, 10)
	load := func(context.Context) (int, error) {
		n := int(calls.Add(1))
		if n > 1 {
			<-release // the refreshes wait until the test lets them answer
		}
		return n, nil
	}
	if v, _ := c.get(ctx, "job", load); v != 1 {
		t.Fatalf("first get: %d", v)
	}
	clk.add(99 * time.Millisecond)
	if v, _ := c.get(ctx, "job", load); v != 1 || calls.Load() != 1 {
		t.Fatalf("before half the ttl: %d after %d loads, want the cached 1 and no refresh", v, calls.Load())
	}
	clk.add(time.Millisecond)
	for range 5 {
		// Answered at once, while one refresh waits for the database.
		if v, _ := c.get(ctx, "job", load); v != 1 {
			t.Fatalf("at half the ttl: %d, want the cached 1", v)
		}
	}
	waitFor(t, func() bool { return calls.Load() == 2 })
	release <- struct{}{}
	waitFor(t, func() bool { v, _ := c.get(ctx, "job", nil); return v == 2 })
	if calls.Load() != 2 {
		t.Errorf("%d loads, want one refresh for five requests", calls.Load())
	}
	// The refreshed value's age runs from its own query: at 300 ms it is
	// 200 ms old, and a request waits for a fresh one rather than serve it.
	clk.add(200 * time.Millisecond)
	done := make(chan int)
	go func() { v, _ := c.get(ctx, "job", load); done <- v }()
	select {
	case v := <-done:
		t.Fatalf("a value a ttl old was served: %d", v)
	case <-time.After(20 * time.Millisecond):
	}
	release <- struct{}{}
	if v := <-done; v != 3 {
		t.Errorf("after the ttl: %d, want a fresh 3", v)
	}
}

func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !ok(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
	}
}

// blocked is a load that counts its calls and, after the first, waits
// for the test to release each: a refresh the database is slow to answer.
func blocked() (func(context.Context) (int, error), *atomic.Int64, chan struct{}) {
	var n atomic.Int64
	release := make(chan struct{}, 10)
	return func(context.Context) (int, error) {
		v := int(n.Add(1))
		if v > 1 {
			<-release
		}
		return v, nil
	}, &n, release
}

// With a grace, a value whose refresh is slow is served past its ttl for
// at most the grace, while that refresh is in flight; then requests wait
// for it. A value no one refreshed is never served past its ttl.
func TestCacheServesStaleWhileRefreshing(t *testing.T) {
	const ttl, grace = 200 * time.Millisecond, 800 * time.Millisecond
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		// at is how old the value is when asked for, after a request at
		// half the ttl started its refresh (refreshed false: none did).
		at        time.Duration
		refreshed bool
		wait      bool // the request waits for the database
	}{
		{"within the ttl", 150 * time.Millisecond, true, false},
		{"just past the ttl", ttl, true, false},
		{"within the grace", ttl + grace - time.Millisecond, true, false},
		{"at the grace's end", ttl + grace, true, true},
		{"past the ttl, no refresh", ttl, false, true},
		{"within the ttl, no refresh", ttl - time.Millisecond, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, clk := testCache(ttl, 10)
			c.refreshingAhead().servingStale(grace)
			load, calls, release := blocked()
			defer close(release)
			if v, _ := c.get(ctx, "job", load); v != 1 {
				t.Fatalf("first get: %d", v)
			}
			if tc.refreshed {
				clk.add(ttl / 2)
				if v, _ := c.get(ctx, "job", load); v != 1 {
					t.Fatalf("at half the ttl: %d, want the cached 1", v)
				}
				waitFor(t, func() bool { return calls.Load() == 2 })
				clk.add(tc.at - ttl/2)
			} else {
				clk.add(tc.at)
			}
			done := make(chan int, 1)
			go func() { v, _ := c.get(ctx, "job", load); done <- v }()
			select {
			case v := <-done:
				if tc.wait {
					t.Fatalf("answered %d at once, want a wait for the database", v)
				}
				if v != 1 {
					t.Fatalf("answered %d, want the kept 1", v)
				}
			case <-time.After(50 * time.Millisecond):
				if !tc.wait {
					t.Fatal("the request waited for the database")
				}
				release <- struct{}{}
				if v := <-done; v != 2 {
					t.Fatalf("after the wait: %d, want the fresh 2", v)
				}
			}
		})
	}
}

// refresh stores a fresh value over the kept one, which others are
// served until then; an older query in flight is no longer joined and
// does not overwrite it; a failed refresh forgets, so nothing older than
// the change is served.
func TestCacheRefresh(t *testing.T) {
	ctx := context.Background()
	val := func(v int) func(context.Context) (int, error) {
		return func(context.Context) (int, error) { return v, nil }
	}
	none := func(context.Context) (int, error) { return 0, errors.New("the database was asked") }

	t.Run("replaces", func(t *testing.T) {
		c, _ := testCache(time.Hour, 10)
		_, _ = c.get(ctx, "job", val(1))
		if err := c.refresh(ctx, "job", val(2)); err != nil {
			t.Fatal(err)
		}
		if v, err := c.get(ctx, "job", none); v != 2 || err != nil {
			t.Fatalf("after refresh: %d %v, want 2 from memory", v, err)
		}
	})

	t.Run("others served meanwhile", func(t *testing.T) {
		c, _ := testCache(time.Hour, 10)
		_, _ = c.get(ctx, "job", val(1))
		release := make(chan struct{})
		started := make(chan struct{})
		done := make(chan error)
		go func() {
			done <- c.refresh(ctx, "job", func(context.Context) (int, error) { close(started); <-release; return 2, nil })
		}()
		<-started
		if v, err := c.get(ctx, "job", none); v != 1 || err != nil {
			t.Errorf("during the refresh: %d %v, want the kept 1 at once", v, err)
		}
		close(release)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if v, _ := c.get(ctx, "job", none); v != 2 {
			t.Errorf("after: %d, want 2", v)
		}
	})

	t.Run("older query", func(t *testing.T) {
		c, clk := testCache(200*time.Millisecond, 10)
		release := make(chan struct{})
		started := make(chan struct{})
		older := make(chan int)
		go func() {
			v, _ := c.get(ctx, "job", func(context.Context) (int, error) { close(started); <-release; return 1, nil })
			older <- v
		}()
		<-started
		clk.add(time.Millisecond)
		if err := c.refresh(ctx, "job", val(2)); err != nil {
			t.Fatal(err)
		}
		// Expired, the fresh value is read again, not the older query
		// joined.
		clk.add(200 * time.Millisecond)
		if v, _ := c.get(ctx, "job", val(3)); v != 3 {
			t.Errorf("past the ttl: %d, want a fresh 3 (2 was too old, 1 older still)", v)
		}
		close(release)
		if v := <-older; v != 1 {
			t.Errorf("the older query's caller: %d, want its 1", v)
		}
		if v, _ := c.get(ctx, "job", none); v != 3 {
			t.Errorf("after the older query answered: %d, want 3 (it must not overwrite)", v)
		}
	})

	t.Run("fails", func(t *testing.T) {
		c, _ := testCache(time.Hour, 10)
		_, _ = c.get(ctx, "job", val(1))
		_, _ = c.get(ctx, "other", val(1))
		if err := c.refresh(ctx, "job", none); err == nil {
			t.Fatal("no error")
		}
		for _, k := range []string{"job", "other"} {
			if v, _ := c.get(ctx, k, val(2)); v != 2 {
				t.Errorf("%s after a failed refresh: %d, want a fresh 2", k, v)
			}
		}
	})

	t.Run("off", func(t *testing.T) {
		c, _ := testCache(-1, 10)
		if err := c.refresh(ctx, "job", none); err != nil {
			t.Errorf("a cache with no ttl refreshed: %v", err)
		}
	})
}

// live names the keys a change must refresh: the values still served and
// the queries in flight, not the expired values, which it drops.
func TestCacheLive(t *testing.T) {
	ctx := context.Background()
	c, clk := testCache(200*time.Millisecond, 10)
	load, _ := counter()
	_, _ = c.get(ctx, "expired", load)
	clk.add(150 * time.Millisecond)
	_, _ = c.get(ctx, "fresh", load)
	release := make(chan struct{})
	started := make(chan struct{})
	go func() {
		_, _ = c.get(ctx, "reading", func(context.Context) (int, error) { close(started); <-release; return 1, nil })
	}()
	<-started
	defer close(release)
	clk.add(50 * time.Millisecond)
	got := c.live()
	slices.Sort(got)
	if want := []string{"fresh", "reading"}; !slices.Equal(got, want) {
		t.Errorf("live: %v, want %v", got, want)
	}
	c.mu.Lock()
	_, kept := c.items["expired"]
	c.mu.Unlock()
	if kept {
		t.Error("the expired value was kept")
	}
}
