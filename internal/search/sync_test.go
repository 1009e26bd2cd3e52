package search_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ferrymigrate/ferry/internal/engine"
	"github.com/ferrymigrate/ferry/internal/search"
	"github.com/ferrymigrate/ferry/internal/search/searchmem"
	"github.com/ferrymigrate/ferry/internal/store"
	"github.com/ferrymigrate/ferry/internal/store/storetest"
)

// things is a Source of two entities, "thing" and "part", each in its own
// index; a key in gone no longer exists, and its document is a deletion.
type things struct{ gone map[string]bool }

func (things) Entities() []string { return []string{"part", "thing"} }

func (s things) Documents(_ context.Context, _ store.Querier, entity string, keys []string) ([]search.Document, error) {
	out := make([]search.Document, len(keys))
	for i, k := range keys {
		out[i] = search.Document{Index: entity + "s", ID: k}
		if !s.gone[k] {
			out[i].Body = json.RawMessage(fmt.Sprintf(`{"id":%q,"tenant":"t1"}`, k))
		}
	}
	return out, nil
}

func (things) Indexes() []search.IndexSpec {
	return []search.IndexSpec{
		{Name: "things", Mapping: json.RawMessage(`{}`), TenantField: "tenant"},
		{Name: "parts", Mapping: json.RawMessage(`{}`), TenantField: "tenant"},
	}
}

func (s things) TenantDocuments(ctx context.Context, q store.Querier, tenant, index string, yield func(search.Document) error) error {
	return nil
}

// recorder is an Observer that keeps what it was told.
type recorder struct {
	mu          sync.Mutex
	delivered   map[string]int
	refused     []string
	unavailable int
}

func (r *recorder) Delivered(entity string, n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.delivered == nil {
		r.delivered = map[string]int{}
	}
	r.delivered[entity] += n
}

func (r *recorder) Refused(entity string, status int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.refused = append(r.refused, fmt.Sprintf("%s %d", entity, status))
}

func (r *recorder) IndexUnavailable(error) { r.mu.Lock(); r.unavailable++; r.mu.Unlock() }

// queue puts entries in the outbox as a job does, in its transaction.
func queue(t *testing.T, db *store.DB, entity string, keys ...string) {
	t.Helper()
	ctx := context.Background()
	eng := engine.New(db)
	defer eng.Close()
	run, err := eng.Start(ctx, engine.Spec{Kind: "test.change"})
	if err != nil {
		t.Fatal(err)
	}
	err = db.InTx(ctx, func(tx *store.Tx) error { return run.Outbox(ctx, tx, entity, keys...) })
	if ferr := run.Finish(ctx, nil, err); err != nil || ferr != nil {
		t.Fatal(err, ferr)
	}
}

// entry is one outbox row as the tests look at it.
type entry struct {
	key          string
	delivered    bool
	attempts     int
	lastError    string
	claimedUntil int64
}

func outbox(t *testing.T, db *store.DB) map[string]entry {
	t.Helper()
	rows, err := db.Query(context.Background(), `SELECT entity_key, delivered_at IS NOT NULL, attempts, last_error, claimed_until FROM ferry_outbox ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]entry{}
	for rows.Next() {
		var e entry
		if err := rows.Scan(&e.key, &e.delivered, &e.attempts, &e.lastError, &e.claimedUntil); err != nil {
			t.Fatal(err)
		}
		out[e.key] = e
	}
	return out
}

// backoffEnds lets every pending entry be claimed again now, as if its
// backoff had passed.
func backoffEnds(t *testing.T, db *store.DB) {
	t.Helper()
	if _, err := db.Exec(context.Background(), `UPDATE ferry_outbox SET claimed_until = 0 WHERE delivered_at IS NULL`); err != nil {
		t.Fatal(err)
	}
}

func engines(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	storetest.Engines(t, fn, engine.Migrations)
}

// Every entry is delivered once its document is in the index, an entity
// queued twice is sent once, a gone entity is deleted, and a second drain
// finds nothing to do.
func TestDrainDelivers(t *testing.T) {
	engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		idx := searchmem.New()
		idx.Put("things", "t3", `{"id":"t3"}`)
		queue(t, db, "thing", "t1", "t2", "t3")
		queue(t, db, "thing", "t1")
		queue(t, db, "part", "p1")
		obs := &recorder{}
		sy := &search.Syncer{DB: db, Index: idx, Source: things{gone: map[string]bool{"t3": true}}, Observer: obs}
		st, err := sy.Drain(ctx)
		if err != nil {
			t.Fatalf("drain: %v", err)
		}
		if st.Entries != 5 || st.Documents != 4 || st.Deleted != 1 || st.Delivered != 5 || st.Failed != 0 {
			t.Errorf("stats %+v, want 5 entries, 4 documents (1 deletion), 5 delivered", st)
		}
		if idx.Len("things") != 2 || idx.Len("parts") != 1 {
			t.Errorf("index holds %d things and %d parts, want 2 and 1", idx.Len("things"), idx.Len("parts"))
		}
		for k, e := range outbox(t, db) {
			if !e.delivered || e.attempts != 1 {
				t.Errorf("entry %s: %+v, want delivered after one attempt", k, e)
			}
		}
		if obs.delivered["thing"] != 3 || obs.delivered["part"] != 1 || len(obs.refused) != 0 || obs.unavailable != 0 {
			t.Errorf("observer: %+v", obs)
		}
		if again, err := sy.Drain(ctx); err != nil || again.Entries != 0 {
			t.Errorf("second drain: %+v %v, want nothing", again, err)
		}
	})
}

// An item the index refuses leaves its entries pending, with the reason
// and the attempt, for a backoff (a minute for a refusal, a second for a
// busy index, doubling); the others are delivered; once the index takes
// it, the next drain delivers it.
func TestDrainRetriesARefusedItemAfterABackoff(t *testing.T) {
	engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		idx := searchmem.New()
		idx.Refuse("t2", 400)
		idx.Refuse("t3", 429)
		queue(t, db, "thing", "t1", "t2", "t3")
		obs := &recorder{}
		sy := &search.Syncer{DB: db, Index: idx, Source: things{}, Observer: obs}
		start := time.Now().Truncate(time.Millisecond) // claims are kept in milliseconds
		st, err := sy.Drain(ctx)
		var partial *search.PartialError
		if !errors.As(err, &partial) || partial.Failed != 2 || partial.Delivered != 1 {
			t.Fatalf("drain: %v, want a PartialError of 2 failed, 1 delivered", err)
		}
		if len(st.Failures) != 2 || st.Failures[0].Key != "t2" || st.Failures[0].Status != 400 || st.Failures[1].Status != 429 {
			t.Errorf("failures %+v", st.Failures)
		}
		ob := outbox(t, db)
		if !ob["t1"].delivered {
			t.Error("t1, which the index took, is not delivered")
		}
		wantBackoff := map[string]time.Duration{"t2": time.Minute, "t3": time.Second}
		for k, d := range wantBackoff {
			e := ob[k]
			if e.delivered || e.attempts != 1 || e.lastError == "" {
				t.Errorf("refused %s: %+v, want pending after one attempt, with its reason", k, e)
			}
			until := time.UnixMilli(e.claimedUntil)
			if until.Before(start.Add(d)) || until.After(time.Now().Add(d)) {
				t.Errorf("refused %s waits until %s, want %s from the drain", k, until.Sub(start), d)
			}
		}
		slices.Sort(obs.refused)
		if !slices.Equal(obs.refused, []string{"thing 400", "thing 429"}) || obs.delivered["thing"] != 1 {
			t.Errorf("observer: %+v", obs)
		}
		// Within the backoff nothing is claimed.
		if st, err := sy.Drain(ctx); err != nil || st.Entries != 0 {
			t.Errorf("a drain within the backoff: %+v %v, want nothing claimed", st, err)
		}
		// Refused again: the backoff doubles.
		backoffEnds(t, db)
		start = time.Now().Truncate(time.Millisecond)
		_, _ = sy.Drain(ctx)
		if e := outbox(t, db)["t3"]; e.attempts != 2 || time.UnixMilli(e.claimedUntil).Before(start.Add(2*time.Second)) {
			t.Errorf("t3 refused twice: %+v, want 2 attempts and a 2 s backoff", e)
		}
		idx.Refuse("t2", 0)
		idx.Refuse("t3", 0)
		backoffEnds(t, db)
		if st, err := sy.Drain(ctx); err != nil || st.Delivered != 2 {
			t.Fatalf("the drain once the index takes them: %+v %v", st, err)
		}
		for k, e := range outbox(t, db) {
			if !e.delivered || e.lastError != "" {
				t.Errorf("entry %s: %+v, want delivered", k, e)
			}
		}
		if idx.Len("things") != 3 {
			t.Errorf("%d things in the index, want 3", idx.Len("things"))
		}
	})
}

// An index that cannot be reached leaves the outbox as it was: nothing is
// claimed when the index cannot even be asked for its indexes, and a bulk
// request that fails leaves its entries pending for a short backoff.
func TestDrainUnavailableIndexLeavesTheOutbox(t *testing.T) {
	engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		idx := searchmem.New()
		queue(t, db, "thing", "t1", "t2")
		obs := &recorder{}
		sy := &search.Syncer{DB: db, Index: idx, Source: things{}, Observer: obs}

		idx.SetDown(true)
		if _, err := sy.Drain(ctx); !errors.Is(err, search.ErrUnavailable) {
			t.Fatalf("drain with the index down: %v, want ErrUnavailable", err)
		}
		for k, e := range outbox(t, db) {
			if e.delivered || e.attempts != 0 || e.claimedUntil != 0 {
				t.Errorf("entry %s after a drain that could not reach the index: %+v, want untouched", k, e)
			}
		}

		idx.SetDown(false)
		idx.SetBulkDown(true)
		start := time.Now().Truncate(time.Millisecond) // claims are kept in milliseconds
		if _, err := sy.Drain(ctx); !errors.Is(err, search.ErrUnavailable) {
			t.Fatalf("drain with bulk requests failing: %v, want ErrUnavailable", err)
		}
		for k, e := range outbox(t, db) {
			until := time.UnixMilli(e.claimedUntil)
			if e.delivered || e.attempts != 1 || until.Before(start.Add(time.Second)) || until.After(time.Now().Add(time.Second)) {
				t.Errorf("entry %s after a failed bulk request: %+v, want pending for a 1 s backoff", k, e)
			}
		}
		if idx.Len("things") != 0 || obs.unavailable != 2 || len(obs.delivered) != 0 {
			t.Errorf("index %d things, observer %+v", idx.Len("things"), obs)
		}

		idx.SetBulkDown(false)
		backoffEnds(t, db)
		if st, err := sy.Drain(ctx); err != nil || st.Delivered != 2 {
			t.Fatalf("drain once the index is back: %+v %v", st, err)
		}
		if idx.Len("things") != 2 || obs.delivered["thing"] != 2 {
			t.Errorf("index %d things, observer %+v", idx.Len("things"), obs)
		}
	})
}

// Run keeps syncing until its context ends, and returns nil then, whether
// the index answers or not.
func TestRunUntilCancelled(t *testing.T) {
	engines(t, func(t *testing.T, db *store.DB) {
		idx := searchmem.New()
		queue(t, db, "part", "p1")
		sy := &search.Syncer{DB: db, Index: idx, Source: things{}}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- sy.Run(ctx, 10*time.Millisecond) }()
		deadline := time.Now().Add(10 * time.Second)
		for idx.Len("parts") == 0 && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		queue(t, db, "part", "p2")
		for idx.Len("parts") < 2 && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		idx.SetDown(true)
		time.Sleep(30 * time.Millisecond)
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
		if idx.Len("parts") != 2 {
			t.Errorf("%d parts in the index, want 2", idx.Len("parts"))
		}
	})
}
