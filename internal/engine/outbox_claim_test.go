package engine_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ferrymigrate/ferry/internal/engine"
	"github.com/ferrymigrate/ferry/internal/store"
)

// queue puts n entries of entity in the outbox under one job.
func queue(t *testing.T, db *store.DB, entity string, n int) {
	t.Helper()
	ctx := context.Background()
	run := mustStart(t, newEngine(t, db), engine.Spec{Kind: "merge-" + entity})
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("%s%03d", entity, i)
	}
	if err := db.InTx(ctx, func(tx *store.Tx) error { return run.Outbox(ctx, tx, entity, keys...) }); err != nil {
		t.Fatal(err)
	}
	if err := run.Finish(ctx, nil, nil); err != nil {
		t.Fatal(err)
	}
}

func claim(t *testing.T, db *store.DB, c engine.OutboxClaim) []string {
	t.Helper()
	items, err := engine.ClaimOutbox(context.Background(), db, c)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, it := range items {
		keys = append(keys, it.Key)
	}
	return keys
}

func ids(items []engine.OutboxItem) []int64 {
	var out []int64
	for _, it := range items {
		out = append(out, it.ID)
	}
	return out
}

func TestOutboxClaimsAreDisjointAndOldestFirst(t *testing.T) {
	engines(t, func(t *testing.T, db *store.DB) {
		queue(t, db, "user", 5)
		a := claim(t, db, engine.OutboxClaim{Owner: "a", Entities: []string{"user"}, Limit: 3})
		b := claim(t, db, engine.OutboxClaim{Owner: "b", Entities: []string{"user"}, Limit: 3})
		if fmt.Sprint(a) != "[user000 user001 user002]" || fmt.Sprint(b) != "[user003 user004]" {
			t.Fatalf("a %v, b %v", a, b)
		}
		if c := claim(t, db, engine.OutboxClaim{Owner: "c", Entities: []string{"user"}}); len(c) != 0 {
			t.Fatalf("a third worker took leased entries: %v", c)
		}
		s, err := engine.OutboxSummary(context.Background(), db)
		if err != nil || s != (engine.OutboxStatus{Pending: 5, Claimed: 5}) {
			t.Fatalf("summary %+v, %v", s, err)
		}
	})
}

func TestOutboxClaimTakesOnlyTheWorkersEntities(t *testing.T) {
	engines(t, func(t *testing.T, db *store.DB) {
		queue(t, db, "user", 2)
		queue(t, db, "domain", 2)
		got := claim(t, db, engine.OutboxClaim{Owner: "a", Entities: []string{"domain"}})
		if fmt.Sprint(got) != "[domain000 domain001]" {
			t.Fatalf("got %v", got)
		}
		if got := claim(t, db, engine.OutboxClaim{Owner: "a"}); got != nil {
			t.Fatalf("no entities, yet claimed %v", got)
		}
	})
}

func TestOutboxLeaseOfADeadWorkerEnds(t *testing.T) {
	engines(t, func(t *testing.T, db *store.DB) {
		queue(t, db, "user", 2)
		if got := claim(t, db, engine.OutboxClaim{Owner: "dead", Entities: []string{"user"}, Lease: 30 * time.Millisecond}); len(got) != 2 {
			t.Fatalf("claimed %v", got)
		}
		time.Sleep(60 * time.Millisecond)
		if got := claim(t, db, engine.OutboxClaim{Owner: "b", Entities: []string{"user"}}); len(got) != 2 {
			t.Fatalf("after the lease ended, claimed %v", got)
		}
	})
}

func TestOutboxFailedEntryWaitsItsBackoff(t *testing.T) {
	engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		queue(t, db, "user", 3)
		items, err := engine.ClaimOutbox(ctx, db, engine.OutboxClaim{Owner: "a", Entities: []string{"user"}})
		if err != nil || len(items) != 3 {
			t.Fatalf("%v, %v", items, err)
		}
		if err := engine.MarkDelivered(ctx, db, items[0].ID); err != nil {
			t.Fatal(err)
		}
		if err := engine.MarkFailed(ctx, db, "mapper_parsing_exception for a@b.test", time.Hour, items[1].ID); err != nil {
			t.Fatal(err)
		}
		if err := engine.ReleaseOutbox(ctx, db, "a", items[2].ID); err != nil {
			t.Fatal(err)
		}
		// The released entry comes back at once and without an attempt;
		// the failed one waits its hour; the delivered one is gone.
		again, err := engine.ClaimOutbox(ctx, db, engine.OutboxClaim{Owner: "b", Entities: []string{"user"}})
		if err != nil || len(again) != 1 || again[0].Key != "user002" || again[0].Attempts != 0 {
			t.Fatalf("again %+v, %v", again, err)
		}
		s, _ := engine.OutboxSummary(ctx, db)
		if s != (engine.OutboxStatus{Pending: 2, Failing: 1, Claimed: 1, Delivered: 1}) {
			t.Fatalf("summary %+v", s)
		}
		pending, _ := engine.PendingOutbox(ctx, db, 10)
		if len(pending) != 2 || pending[0].Key != "user001" || pending[0].Attempts != 1 || pending[0].LastError != "mapper_parsing_exception for <e-mail>" {
			t.Fatalf("pending %+v", pending)
		}
	})
}

func TestOutboxReleaseIsTheOwnersOnly(t *testing.T) {
	engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		queue(t, db, "user", 1)
		items, _ := engine.ClaimOutbox(ctx, db, engine.OutboxClaim{Owner: "a", Entities: []string{"user"}})
		if err := engine.ReleaseOutbox(ctx, db, "b", ids(items)...); err != nil {
			t.Fatal(err)
		}
		if got := claim(t, db, engine.OutboxClaim{Owner: "b", Entities: []string{"user"}}); len(got) != 0 {
			t.Fatalf("b released a's claim and took %v", got)
		}
	})
}

// Workers racing for the outbox take every entry exactly once.
func TestOutboxConcurrentWorkersTakeEachEntryOnce(t *testing.T) {
	engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		queue(t, db, "user", 300)
		var mu sync.Mutex
		seen := map[int64]string{}
		var wg sync.WaitGroup
		errs := make(chan error, 4)
		for w := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				owner := fmt.Sprint("w", w)
				for {
					items, err := engine.ClaimOutbox(ctx, db, engine.OutboxClaim{Owner: owner, Entities: []string{"user"}, Limit: 7})
					if err != nil {
						errs <- err
						return
					}
					if len(items) == 0 {
						return
					}
					mu.Lock()
					for _, it := range items {
						if prev, ok := seen[it.ID]; ok {
							errs <- fmt.Errorf("entry %d taken by %s and %s", it.ID, prev, owner)
						}
						seen[it.ID] = owner
					}
					mu.Unlock()
					if err := engine.MarkDelivered(ctx, db, ids(items)...); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		if len(seen) != 300 {
			t.Fatalf("%d of 300 entries taken", len(seen))
		}
		if n, _ := engine.OutboxDepth(ctx, db); n != 0 {
			t.Fatalf("depth %d", n)
		}
	})
}
