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
// entries, by entity name, in one query.
func OutboxBacklogs(ctx context.Context, q store.Querier) ([]OutboxBacklog, error) {
	// The oldest entry is the one with the smallest id, joined back for its
	// time: an aggregate of a time column loses its type on SQLite, the
	// column itself keeps it.
	rows, err := q.Query(ctx, `SELECT b.entity, b.pending, o.created_at
		FROM (SELECT entity, count(*) AS pending, min(id) AS first FROM ferry_outbox WHERE delivered_at IS NULL GROUP BY entity) b
		JOIN ferry_outbox o ON o.id = b.first ORDER BY b.entity`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []OutboxBacklog
	for rows.Next() {
		var b OutboxBacklog
		if err := rows.Scan(&b.Entity, &b.Pending, &b.Oldest); err != nil {
			return nil, err
		}
		b.Oldest = b.Oldest.UTC()
		out = append(out, b)
	}
	return out, rows.Err()
}
