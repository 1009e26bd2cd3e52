package engine

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/ferrymigrate/ferry/internal/store"
)

// The outbox says which entities a job changed, so that a search index can
// be brought in step without ferry ever writing to it inside a
// transaction: an entry is written with the change, in the same
// transaction, and delivered afterwards, at least once. The sink reads
// the entity's current state when it delivers, so entries carry only the
// key, and two entries for one entity cost one index write.

// OutboxItem is one entity to deliver.
type OutboxItem struct {
	ID        int64      `json:"id"`
	JobID     *int64     `json:"job,omitempty"`
	Entity    string     `json:"entity"`
	Key       string     `json:"key"`
	CreatedAt time.Time  `json:"createdAt"`
	Delivered *time.Time `json:"deliveredAt,omitempty"`
	Attempts  int        `json:"attempts"`
	LastError string     `json:"lastError,omitempty"`
}

// Outbox puts entities in the outbox, in the caller's transaction.
func (r *Run) Outbox(ctx context.Context, tx *store.Tx, entity string, keys ...string) error {
	if len(keys) == 0 {
		return nil
	}
	_, err := tx.CopyFrom(ctx, "ferry_outbox", []string{"job_id", "entity", "entity_key", "created_at"}, &keySource{job: r.Job.ID, entity: entity, keys: keys, at: time.Now().UTC()})
	return err
}

type keySource struct {
	job    int64
	entity string
	keys   []string
	at     time.Time
	i      int
}

func (s *keySource) Next() bool { s.i++; return s.i <= len(s.keys) }
func (s *keySource) Values() ([]any, error) {
	return []any{s.job, s.entity, s.keys[s.i-1], s.at}, nil
}
func (s *keySource) Err() error { return nil }

// OutboxFrom puts in the outbox the entities a query selects, in the
// caller's transaction: query yields two text columns, entity and key.
func (r *Run) OutboxFrom(ctx context.Context, tx *store.Tx, query string, args ...any) (int64, error) {
	n, err := tx.Exec(ctx, `INSERT INTO ferry_outbox (job_id, entity, entity_key, created_at)
		SELECT CAST(? AS bigint), o.*, `+tx.Dialect().Now()+` FROM (`+query+`) o`, append([]any{r.Job.ID}, args...)...)
	if err != nil {
		return 0, fmt.Errorf("filling the outbox: %w", err)
	}
	return n, nil
}

// PendingOutbox returns up to limit undelivered entries, oldest first.
func PendingOutbox(ctx context.Context, q store.Querier, limit int) ([]OutboxItem, error) {
	if limit <= 0 {
		limit = 500
	}
	rows, err := q.Query(ctx, `SELECT id, job_id, entity, entity_key, created_at, delivered_at, attempts, last_error
		FROM ferry_outbox WHERE delivered_at IS NULL ORDER BY id LIMIT ?`, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []OutboxItem{}
	for rows.Next() {
		var it OutboxItem
		var job sql.NullInt64
		var delivered sql.NullTime
		if err := rows.Scan(&it.ID, &job, &it.Entity, &it.Key, &it.CreatedAt, &delivered, &it.Attempts, &it.LastError); err != nil {
			return nil, err
		}
		if job.Valid {
			it.JobID = &job.Int64
		}
		if delivered.Valid {
			t := delivered.Time.UTC()
			it.Delivered = &t
		}
		it.CreatedAt = it.CreatedAt.UTC()
		out = append(out, it)
	}
	return out, rows.Err()
}

// OutboxDepth counts undelivered entries.
func OutboxDepth(ctx context.Context, q store.Querier) (int64, error) {
	var n int64
	err := q.QueryRow(ctx, `SELECT count(*) FROM ferry_outbox WHERE delivered_at IS NULL`).Scan(&n)
	return n, err
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

// OutboxInsert is the INSERT that queues the entities source yields, with
// columns entity and entity_key, for a caller's own statement (see
// JournalInsert).
func (r *Run) OutboxInsert(d store.Dialect, source string) string {
	return fmt.Sprintf(`INSERT INTO ferry_outbox (job_id, entity, entity_key, created_at)
		SELECT %d, entity, entity_key, %s FROM %s`, r.Job.ID, d.Now(), source)
}
