package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// RowSource streams rows into CopyFrom. It has the shape of pgx's
// CopyFromSource so PostgreSQL can consume it directly.
type RowSource interface {
	Next() bool
	Values() ([]any, error)
	Err() error
}

// sqliteBatchRows is how many rows go into one multi-row INSERT on SQLite.
// SQLite caps bound parameters at 32766; 500 rows keeps far below that for
// any table ferry loads while amortising statement overhead.
const sqliteBatchRows = 500

// CopyFrom bulk-loads rows into table: COPY on PostgreSQL, batched prepared
// multi-row INSERTs on SQLite. It never holds more than one batch in memory.
func (tx *Tx) CopyFrom(ctx context.Context, table string, columns []string, src RowSource) (n int64, err error) {
	defer func(start time.Time) { trace(tx.tracer, "COPY "+table, n, start, err) }(time.Now())
	if tx.dialect == Postgres {
		var n int64
		err := tx.conn.Raw(func(dc any) error {
			c, ok := dc.(*stdlib.Conn)
			if !ok {
				return fmt.Errorf("store: unexpected driver connection %T", dc)
			}
			var err error
			n, err = c.Conn().CopyFrom(ctx, pgx.Identifier{table}, columns, src)
			return err
		})
		return n, wrapErr(err)
	}
	return tx.insertBatches(ctx, table, columns, src)
}

func (tx *Tx) insertBatches(ctx context.Context, table string, columns []string, src RowSource) (int64, error) {
	row := "(" + strings.TrimSuffix(strings.Repeat("?,", len(columns)), ",") + ")"
	prefix := "INSERT INTO " + table + " (" + strings.Join(columns, ",") + ") VALUES "
	full := prefix + strings.TrimSuffix(strings.Repeat(row+",", sqliteBatchRows), ",")
	stmt, err := tx.conn.PrepareContext(ctx, full)
	if err != nil {
		return 0, wrapErr(err)
	}
	defer stmt.Close()

	args := make([]any, 0, sqliteBatchRows*len(columns))
	var total int64
	flush := func(rows int) error {
		if rows == 0 {
			return nil
		}
		var err error
		if rows == sqliteBatchRows {
			_, err = stmt.ExecContext(ctx, args...)
		} else {
			q := prefix + strings.TrimSuffix(strings.Repeat(row+",", rows), ",")
			_, err = tx.conn.ExecContext(ctx, q, args...)
		}
		if err != nil {
			return wrapErr(err)
		}
		total += int64(rows)
		args = args[:0]
		return nil
	}
	rows := 0
	for src.Next() {
		vals, err := src.Values()
		if err != nil {
			return total, err
		}
		if len(vals) != len(columns) {
			return total, fmt.Errorf("store: %s: row has %d values for %d columns", table, len(vals), len(columns))
		}
		args = append(args, vals...)
		rows++
		if rows == sqliteBatchRows {
			if err := flush(rows); err != nil {
				return total, err
			}
			rows = 0
		}
	}
	if err := src.Err(); err != nil {
		return total, err
	}
	return total, flush(rows)
}
