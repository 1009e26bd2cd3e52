package search

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/ferrymigrate/ferry/internal/engine"
	"github.com/ferrymigrate/ferry/internal/store"
)

// Syncer drains the outbox into an index.
type Syncer struct {
	DB     *store.DB
	Index  Index
	Source Source
	// Prefix goes before every index name, so that several deployments
	// (or tests) can share a cluster.
	Prefix string
	// Batch is the most outbox entries one bulk request carries (default
	// 500; the platform's own sync sends 100 to 1,000 per block).
	Batch int
	// Lease is how long a claim lasts before another worker may take the
	// entries (default 2 minutes: well over a bulk request's retries).
	Lease time.Duration
	// Owner names this worker in its claims (default: random).
	Owner string
	Log   *slog.Logger
	// Observer, when set, is told of deliveries, refusals and an index
	// that cannot be reached, for metrics.
	Observer Observer

	once  sync.Once
	mu    sync.Mutex
	ready bool
}

// SyncStats sums up a sync.
type SyncStats struct {
	Batches   int64         `json:"batches"`
	Entries   int64         `json:"entries"`   // outbox entries taken
	Documents int64         `json:"documents"` // documents sent (an entity queued twice is sent once)
	Deleted   int64         `json:"deleted"`   // of them, deletions
	Delivered int64         `json:"delivered"` // entries marked delivered
	Failed    int64         `json:"failed"`    // entries left pending after a failure
	Failures  []ItemFailure `json:"failures"`  // the first failures, for the report
	Duration  time.Duration `json:"-"`
	Seconds   float64       `json:"seconds"`
}

// ItemFailure is one document the index refused.
type ItemFailure struct {
	Entity string `json:"entity"`
	Key    string `json:"key"`
	Status int    `json:"status"`
	Error  string `json:"error"`
}

const maxReportedFailures = 20

func (s *Syncer) defaults() {
	s.once.Do(func() {
		if s.Batch <= 0 {
			s.Batch = 500
		}
		if s.Lease <= 0 {
			s.Lease = 2 * time.Minute
		}
		if s.Owner == "" {
			b := make([]byte, 6)
			_, _ = rand.Read(b)
			s.Owner = "sync-" + hex.EncodeToString(b)
		}
		if s.Log == nil {
			s.Log = slog.New(slog.DiscardHandler)
		}
	})
}

// ensureIndexes creates the source's indexes once per Syncer.
func (s *Syncer) ensureIndexes(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ready {
		return nil
	}
	for _, ix := range s.Source.Indexes() {
		if err := s.Index.EnsureIndex(ctx, s.Prefix+ix.Name, ix.Mapping); err != nil {
			return fmt.Errorf("creating index %s: %w", s.Prefix+ix.Name, err)
		}
	}
	s.ready = true
	return nil
}

// Drain syncs until no entry can be claimed: every pending entry was
// delivered, or failed and waits its backoff, or is another worker's.
// Failed items do not stop it; the stats count them, and the error says
// so when any is left.
func (s *Syncer) Drain(ctx context.Context) (SyncStats, error) {
	s.defaults()
	start := time.Now()
	var st SyncStats
	for {
		n, err := s.once1(ctx, &st)
		if err != nil {
			st.Duration = time.Since(start)
			st.Seconds = st.Duration.Seconds()
			return st, err
		}
		if n == 0 {
			break
		}
	}
	st.Duration = time.Since(start)
	st.Seconds = st.Duration.Seconds()
	if st.Failed > 0 {
		return st, &PartialError{Failed: st.Failed, Delivered: st.Delivered}
	}
	return st, nil
}

// Run syncs until ctx ends, waking every poll interval when the outbox is
// empty, and backing off while the index cannot be reached. It returns
// nil when ctx ends.
func (s *Syncer) Run(ctx context.Context, poll time.Duration) error {
	s.defaults()
	if poll <= 0 {
		poll = time.Second
	}
	wait := poll
	for {
		var st SyncStats
		n, err := s.once1(ctx, &st)
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			s.Log.Warn("search sync", "err", engine.Redact(err.Error()), "retry_in", wait.String())
			wait = min(wait*2, time.Minute)
		case n > 0:
			s.Log.Info("search sync", "entries", st.Entries, "delivered", st.Delivered, "failed", st.Failed)
			wait = poll
			continue // more may be waiting
		default:
			wait = poll
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
	}
}

// PartialError says a sync left entries pending because the index
// refused their documents.
type PartialError struct {
	Failed, Delivered int64
}

func (e *PartialError) Error() string {
	return fmt.Sprintf("the index refused %d outbox entries (%d delivered); they stay pending and are retried after a backoff", e.Failed, e.Delivered)
}

// once1 claims one batch, sends it and records the outcome. It returns the
// number of entries claimed.
func (s *Syncer) once1(ctx context.Context, st *SyncStats) (int, error) {
	if err := s.ensureIndexes(ctx); err != nil {
		if errors.Is(err, ErrUnavailable) {
			s.observer().IndexUnavailable(err)
		}
		return 0, err
	}
	items, err := engine.ClaimOutbox(ctx, s.DB, engine.OutboxClaim{Owner: s.Owner, Entities: s.Source.Entities(), Limit: s.Batch, Lease: s.Lease})
	if err != nil {
		return 0, fmt.Errorf("claiming outbox entries: %w", err)
	}
	if len(items) == 0 {
		return 0, nil
	}
	st.Batches++
	st.Entries += int64(len(items))
	all := make([]int64, len(items))
	for i, it := range items {
		all[i] = it.ID
	}
	// One document per entity, however many entries name it.
	type target struct{ entity, key string }
	entries := map[target][]engine.OutboxItem{}
	byEntity := map[string][]string{}
	var order []string
	for _, it := range items {
		k := target{it.Entity, it.Key}
		if _, seen := entries[k]; !seen {
			if _, ok := byEntity[it.Entity]; !ok {
				order = append(order, it.Entity)
			}
			byEntity[it.Entity] = append(byEntity[it.Entity], it.Key)
		}
		entries[k] = append(entries[k], it)
	}
	var docs []Document
	var owners []target
	for _, entity := range order {
		keys := byEntity[entity]
		d, err := s.Source.Documents(ctx, s.DB, entity, keys)
		if err == nil && len(d) != len(keys) {
			err = fmt.Errorf("%d documents for %d %s keys", len(d), len(keys), entity)
		}
		if err != nil {
			_ = engine.ReleaseOutbox(context.WithoutCancel(ctx), s.DB, s.Owner, all...)
			return 0, fmt.Errorf("building %s documents: %w", entity, err)
		}
		for i := range d {
			d[i].Index = s.Prefix + d[i].Index
			owners = append(owners, target{entity, keys[i]})
		}
		docs = append(docs, d...)
	}
	results, err := s.Index.Bulk(ctx, docs)
	if err == nil && len(results) != len(docs) {
		err = fmt.Errorf("the index answered %d items for %d documents", len(results), len(docs))
	}
	// Outcomes are recorded even when ctx ended meanwhile: an entry the
	// index took must not be sent again needlessly, nor one it refused be
	// left leased.
	bg := context.WithoutCancel(ctx)
	if err != nil {
		// The request as a whole failed after the backend's retries:
		// every entry waits a short backoff.
		if ctx.Err() != nil {
			_ = engine.ReleaseOutbox(bg, s.DB, s.Owner, all...)
			return 0, ctx.Err()
		}
		s.observer().IndexUnavailable(err)
		if ferr := engine.MarkFailed(bg, s.DB, err.Error(), retryAfter(items[0].Attempts, true), all...); ferr != nil {
			return 0, errors.Join(err, ferr)
		}
		st.Failed += int64(len(all))
		return 0, err
	}
	st.Documents += int64(len(docs))
	var delivered []int64
	failed := map[string][]int64{} // by reason and backoff
	backoff := map[string]time.Duration{}
	// What the observer is told once the outcomes are recorded.
	deliveredDocs := map[string]int{}
	var refused []ItemFailure
	for i, r := range results {
		es := entries[owners[i]]
		if docs[i].Deleted() {
			st.Deleted++
		}
		if r.OK(docs[i].Deleted()) {
			for _, it := range es {
				delivered = append(delivered, it.ID)
			}
			deliveredDocs[owners[i].entity]++
			continue
		}
		refused = append(refused, ItemFailure{Entity: owners[i].entity, Status: r.Status})
		reason := fmt.Sprintf("status %d: %s", r.Status, r.Error)
		backoff[reason] = retryAfter(es[0].Attempts, r.Retryable())
		for _, it := range es {
			failed[reason] = append(failed[reason], it.ID)
		}
		st.Failed += int64(len(es))
		if len(st.Failures) < maxReportedFailures {
			st.Failures = append(st.Failures, ItemFailure{Entity: owners[i].entity, Key: owners[i].key, Status: r.Status, Error: engine.Redact(r.Error)})
		}
	}
	err = s.DB.InTx(bg, func(tx *store.Tx) error {
		if err := engine.MarkDelivered(bg, tx, delivered...); err != nil {
			return err
		}
		for reason, ids := range failed {
			if err := engine.MarkFailed(bg, tx, reason, backoff[reason], ids...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("recording deliveries: %w", err)
	}
	st.Delivered += int64(len(delivered))
	obs := s.observer()
	for _, entity := range order {
		if n := deliveredDocs[entity]; n > 0 {
			obs.Delivered(entity, n)
		}
	}
	for _, f := range refused {
		obs.Refused(f.Entity, f.Status)
	}
	if len(failed) > 0 {
		s.Log.Warn("search items refused", "count", len(results)-len(delivered), "first", firstReason(failed))
	}
	return len(items), nil
}

// retryAfter is the backoff of an entry that failed for the attempts+1-th
// time: doubling from a second for what may pass (a busy or unreachable
// index), from a minute for what the index refused outright (a mapping
// conflict needs someone to act), capped at an hour.
func retryAfter(attempts int, transient bool) time.Duration {
	base := time.Minute
	if transient {
		base = time.Second
	}
	d := base << min(attempts, 12)
	return min(d, time.Hour)
}

func firstReason(m map[string][]int64) string {
	if len(m) == 0 {
		return ""
	}
	return engine.Redact(slices.Min(slices.Collect(maps.Keys(m))))
}
