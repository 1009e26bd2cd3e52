package engine

import (
	"context"
	"time"

	"github.com/ferrymigrate/ferry/internal/store"
)

// OutboxBacklog is what waits in the outbox for one entity: how many
// entries are not delivered yet, and since when the oldest has waited,
// which is how far the search index lags the database for it.
type OutboxBacklog struct {
	Entity  string    `json:"entity"`
	Pending int64     `json:"pending"`
	Oldest  time.Time `json:"oldest"`
}

// OutboxBacklogs returns the backlog of every entity with undelivered
// entries, by entity name.
func OutboxBacklogs(ctx context.Context, q store.Querier) ([]OutboxBacklog, error) {
	// The oldest entry is the one with the smallest id, read apart: an
	// aggregate of a time column loses its type on SQLite.
	rows, err := q.Query(ctx, `SELECT entity, count(*), min(id) FROM ferry_outbox WHERE delivered_at IS NULL GROUP BY entity ORDER BY entity`)
	if err != nil {
		return nil, err
	}
	var out []OutboxBacklog
	var first []int64
	for rows.Next() {
		var b OutboxBacklog
		var id int64
		if err := rows.Scan(&b.Entity, &b.Pending, &id); err != nil {
			rows.Close()
			return nil, err
		}
		out, first = append(out, b), append(first, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i, id := range first {
		if err := q.QueryRow(ctx, `SELECT created_at FROM ferry_outbox WHERE id = ?`, id).Scan(&out[i].Oldest); err != nil {
			return nil, err
		}
		out[i].Oldest = out[i].Oldest.UTC()
	}
	return out, nil
}
