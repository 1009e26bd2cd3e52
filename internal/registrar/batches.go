package registrar

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/ferrymigrate/ferry/internal/store"
)

// batchRange is one transfer batch: the n unprocessed domains named after
// lo up to and including hi. Every scan of the staging table in a batch is
// bounded by this range, so each batch is an index range scan, never a
// pass over the whole table.
type batchRange struct {
	no     int
	lo, hi string
	n      int64
}

// batcher yields the transfer's batches. When every domain goes, all of
// them are cut up front in one pass over the staging table's index, which
// also counts the domains for the progress bar. Under --limit each batch is
// found only when the previous one is done, since skipped domains do not
// use up the limit and so the next batch's size depends on the last one.
type batcher struct {
	limit int64
	size  int64
	after string
	no    int
	plan  []batchRange // nil under --limit
	total int64        // domains to transfer, for progress
}

func newBatcher(ctx context.Context, db *store.DB, opts TransferOptions, after string) (b *batcher, err error) {
	err = db.InTx(ctx, func(tx *store.Tx) error {
		b, err = newBatcherIn(ctx, tx, opts, after)
		return err
	})
	return b, err
}

// newBatcherIn plans the batches in tx, for a transfer that runs in one
// transaction (a dry run).
func newBatcherIn(ctx context.Context, tx *store.Tx, opts TransferOptions, after string) (*batcher, error) {
	b := &batcher{limit: opts.Limit, size: int64(opts.BatchSize), after: after}
	if b.limit > 0 {
		if err := tx.QueryRow(ctx, `SELECT count(DISTINCT domain_name) FROM transition_domain WHERE NOT processed AND domain_name > ?`, after).Scan(&b.total); err != nil {
			return nil, err
		}
		b.total = min(b.total, b.limit)
		return b, nil
	}
	if err := tx.ForBulk(ctx); err != nil {
		return nil, err
	}
	var err error
	if b.plan, err = planBatches(ctx, tx, after, b.size); err != nil {
		return nil, err
	}
	for _, r := range b.plan {
		b.total += r.n
	}
	return b, nil
}

// next returns the next batch, or one with n == 0 when there is none;
// done is how many domains the batches so far moved.
func (b *batcher) next(ctx context.Context, q store.Querier, done int64) (batchRange, error) {
	if b.limit == 0 {
		if b.no >= len(b.plan) {
			return batchRange{}, nil
		}
		b.no++
		return b.plan[b.no-1], nil
	}
	size := min(b.size, b.limit-done)
	if size <= 0 {
		return batchRange{}, nil
	}
	r := batchRange{no: b.no + 1, lo: b.after}
	var last sql.NullString
	if err := q.QueryRow(ctx, `SELECT count(*), max(domain_name) FROM (SELECT DISTINCT domain_name FROM transition_domain
		WHERE NOT processed AND domain_name > ? ORDER BY domain_name LIMIT ?) b`, b.after, size).Scan(&r.n, &last); err != nil {
		return r, fmt.Errorf("selecting batch: %w", err)
	}
	if r.n > 0 {
		r.hi, b.after, b.no = last.String, last.String, r.no
	}
	return r, nil
}

// planBatches cuts the unprocessed domains after after into batches of
// size domains: every size-th name closes a batch, and the last name the
// final one.
func planBatches(ctx context.Context, q store.Querier, after string, size int64) ([]batchRange, error) {
	rows, err := q.Query(ctx, `SELECT domain_name, rn FROM (
		SELECT domain_name, row_number() OVER (ORDER BY domain_name) AS rn, count(*) OVER () AS total
		FROM (SELECT DISTINCT domain_name FROM transition_domain WHERE NOT processed AND domain_name > ?) d) x
		WHERE rn % ? = 0 OR rn = total ORDER BY rn`, after, size)
	if err != nil {
		return nil, fmt.Errorf("planning batches: %w", err)
	}
	defer rows.Close()
	plan := []batchRange{}
	lo, prev := after, int64(0)
	for rows.Next() {
		var name string
		var rn int64
		if err := rows.Scan(&name, &rn); err != nil {
			return nil, err
		}
		plan = append(plan, batchRange{no: len(plan) + 1, lo: lo, hi: name, n: rn - prev})
		lo, prev = name, rn
	}
	return plan, rows.Err()
}
