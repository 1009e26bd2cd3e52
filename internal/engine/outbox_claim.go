package engine

import (
	"context"
	"errors"
	"sort"
	"time"

	"github.com/ferrymigrate/ferry/internal/store"
)

// An outbox entry is claimed before it is delivered, for a lease: workers
// in several processes take disjoint entries, and a worker that dies
// leaves its entries to be taken again when the lease ends. Delivery is at
// least once: an entry is marked delivered only after the sink took it,
// so a crash between the two sends it again, which an index write
// tolerates (the document is rebuilt from the database each time).

// OutboxClaim says which entries a worker takes.
type OutboxClaim struct {
	// Owner names the worker; its claims are recorded under it.
	Owner string
	// Entities limits the claim to the entities the worker can deliver;
	// an entry of another entity waits for a worker that can.
	Entities []string
	// Limit is the most entries taken at once (default 500).
	Limit int
	// Lease is how long the entries stay the worker's (default 1 minute).
	Lease time.Duration
}

// ClaimOutbox takes up to c.Limit pending entries whose lease has ended,
// oldest first, and leases them to c.Owner. On PostgreSQL the entries
// other workers are claiming at that moment are skipped (SKIP LOCKED), so
// concurrent workers neither wait for each other nor take one entry twice.
func ClaimOutbox(ctx context.Context, db *store.DB, c OutboxClaim) ([]OutboxItem, error) {
	if c.Owner == "" {
		return nil, errors.New("an outbox claim needs an owner")
	}
	if len(c.Entities) == 0 {
		return nil, nil
	}
	if c.Limit <= 0 {
		c.Limit = 500
	}
	if c.Lease <= 0 {
		c.Lease = time.Minute
	}
	now := time.Now()
	args := []any{c.Owner, now.Add(c.Lease).UnixMilli(), now.UnixMilli()}
	for _, e := range c.Entities {
		args = append(args, e)
	}
	args = append(args, c.Limit)
	lock := ""
	if db.Dialect() == store.Postgres {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	var out []OutboxItem
	err := db.InTx(ctx, func(tx *store.Tx) error {
		rows, err := tx.Query(ctx, `UPDATE ferry_outbox SET claimed_by = ?, claimed_until = ?
			WHERE id IN (SELECT id FROM ferry_outbox WHERE delivered_at IS NULL AND claimed_until < ?
				AND entity IN (`+placeholders(len(c.Entities))+`) ORDER BY id LIMIT ?`+lock+`)
			RETURNING id, job_id, entity, entity_key, created_at, attempts, last_error`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		out = out[:0]
		for rows.Next() {
			var it OutboxItem
			var job *int64
			if err := rows.Scan(&it.ID, &job, &it.Entity, &it.Key, &it.CreatedAt, &it.Attempts, &it.LastError); err != nil {
				return err
			}
			it.JobID = job
			it.CreatedAt = it.CreatedAt.UTC()
			out = append(out, it)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	// RETURNING follows no order.
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// MarkDelivered records that entries reached the sink, and ends their
// claims.
func MarkDelivered(ctx context.Context, q store.Querier, ids ...int64) error {
	return eachChunk(ids, func(ids []int64) error {
		args := []any{time.Now().UTC()}
		for _, id := range ids {
			args = append(args, id)
		}
		_, err := q.Exec(ctx, `UPDATE ferry_outbox SET delivered_at = ?, attempts = attempts + 1, last_error = '', claimed_by = '', claimed_until = 0
			WHERE id IN (`+placeholders(len(ids))+`)`, args...)
		return err
	})
}

// MarkFailed records a failed delivery of entries: they stay pending, with
// the reason (redacted), and no worker tries them again before retryIn has
// passed.
func MarkFailed(ctx context.Context, q store.Querier, reason string, retryIn time.Duration, ids ...int64) error {
	return eachChunk(ids, func(ids []int64) error {
		args := []any{Redact(reason), time.Now().Add(retryIn).UnixMilli()}
		for _, id := range ids {
			args = append(args, id)
		}
		_, err := q.Exec(ctx, `UPDATE ferry_outbox SET attempts = attempts + 1, last_error = ?, claimed_by = '', claimed_until = ?
			WHERE id IN (`+placeholders(len(ids))+`)`, args...)
		return err
	})
}

// ReleaseOutbox gives back entries a worker claimed and did not try (it is
// stopping, or the sink could not be reached at all), so that any worker
// may take them at once. An attempt is not counted.
func ReleaseOutbox(ctx context.Context, q store.Querier, owner string, ids ...int64) error {
	return eachChunk(ids, func(ids []int64) error {
		args := []any{owner}
		for _, id := range ids {
			args = append(args, id)
		}
		_, err := q.Exec(ctx, `UPDATE ferry_outbox SET claimed_by = '', claimed_until = 0
			WHERE claimed_by = ? AND delivered_at IS NULL AND id IN (`+placeholders(len(ids))+`)`, args...)
		return err
	})
}

// OutboxStatus sums up the outbox.
type OutboxStatus struct {
	Pending   int64 `json:"pending"`   // not delivered yet
	Failing   int64 `json:"failing"`   // pending, with at least one failed attempt
	Claimed   int64 `json:"claimed"`   // pending, leased to a worker now
	Delivered int64 `json:"delivered"` // delivered
}

// OutboxSummary counts the outbox's entries by state.
func OutboxSummary(ctx context.Context, q store.Querier) (OutboxStatus, error) {
	var s OutboxStatus
	err := q.QueryRow(ctx, `SELECT
			coalesce(sum(CASE WHEN delivered_at IS NULL THEN 1 ELSE 0 END), 0),
			coalesce(sum(CASE WHEN delivered_at IS NULL AND attempts > 0 THEN 1 ELSE 0 END), 0),
			coalesce(sum(CASE WHEN delivered_at IS NULL AND claimed_by <> '' AND claimed_until >= ? THEN 1 ELSE 0 END), 0),
			coalesce(sum(CASE WHEN delivered_at IS NOT NULL THEN 1 ELSE 0 END), 0)
		FROM ferry_outbox`, time.Now().UnixMilli()).Scan(&s.Pending, &s.Failing, &s.Claimed, &s.Delivered)
	return s, err
}

// eachChunk calls fn on ids in slices small enough for any database's
// limit on a statement's parameters (SQLite's is 32,766).
func eachChunk(ids []int64, fn func([]int64) error) error {
	const chunk = 1000
	for len(ids) > 0 {
		n := min(chunk, len(ids))
		if err := fn(ids[:n]); err != nil {
			return err
		}
		ids = ids[n:]
	}
	return nil
}
