package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/ferrymigrate/ferry/internal/store"
)

// Journal actions.
const (
	ActionInsert = "insert"
	ActionUpdate = "update"
	ActionDelete = "delete"
	// ActionMove is a row whose key changed: Key is its old key, Before
	// its whole image there, After the columns it changed, its new key's
	// among them. One entry where a delete and an insert would take two.
	ActionMove = "move"
)

// Change is one row a job changed: its before-image and after-image as
// JSON objects of the columns the change concerns ("" for none: an insert
// has no before, a delete no after). It is written in the transaction of
// the change itself, so the journal never disagrees with the data, and a
// rollback can restore each row exactly and tell whether someone changed
// it since (it no longer matches After).
type Change struct {
	ID     int64     `json:"id"`
	JobID  int64     `json:"job"`
	Entity string    `json:"entity"`
	Key    string    `json:"key"`
	Action string    `json:"action"`
	Before string    `json:"before,omitempty"`
	After  string    `json:"after,omitempty"`
	At     time.Time `json:"at"`
}

// Journal records changes in the caller's transaction.
func (r *Run) Journal(ctx context.Context, tx *store.Tx, changes ...Change) error {
	if len(changes) == 0 {
		return nil
	}
	now := time.Now().UTC()
	_, err := tx.CopyFrom(ctx, "ferry_journal", []string{"job_id", "entity", "entity_key", "action", "before", "after", "at"}, &changeSource{job: r.Job.ID, rows: changes, at: now})
	return err
}

type changeSource struct {
	job  int64
	rows []Change
	at   time.Time
	i    int
}

func (s *changeSource) Next() bool { s.i++; return s.i <= len(s.rows) }
func (s *changeSource) Values() ([]any, error) {
	c := s.rows[s.i-1]
	return []any{s.job, c.Entity, c.Key, c.Action, c.Before, c.After, s.at}, nil
}
func (s *changeSource) Err() error { return nil }

// JournalFrom records the changes a query selects, in the caller's
// transaction, before the statement that makes them runs: query yields
// five text columns, entity, key, action, before and after. It returns how
// many it recorded. The images are built by the database (Dialect's
// JSONObject), so a million changed rows never pass through ferry.
func (r *Run) JournalFrom(ctx context.Context, tx *store.Tx, query string, args ...any) (int64, error) {
	n, err := tx.Exec(ctx, `INSERT INTO ferry_journal (job_id, entity, entity_key, action, before, after, at)
		SELECT CAST(? AS bigint), j.*, `+tx.Dialect().Now()+` FROM (`+query+`) j`, append([]any{r.Job.ID}, args...)...)
	if err != nil {
		return 0, fmt.Errorf("journalling changes: %w", err)
	}
	return n, nil
}

// EachChange calls fn for a job's journal in the order it was written;
// reverse gives the order a rollback undoes it in.
func EachChange(ctx context.Context, q store.Querier, jobID int64, reverse bool, fn func(Change) error) error {
	order := "ASC"
	if reverse {
		order = "DESC"
	}
	rows, err := q.Query(ctx, `SELECT id, job_id, entity, entity_key, action, before, after, at FROM ferry_journal WHERE job_id = ? ORDER BY id `+order, jobID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var c Change
		if err := rows.Scan(&c.ID, &c.JobID, &c.Entity, &c.Key, &c.Action, &c.Before, &c.After, &c.At); err != nil {
			return err
		}
		c.At = c.At.UTC()
		if err := fn(c); err != nil {
			return err
		}
	}
	return rows.Err()
}

// CountChanges counts a job's journal entries by entity.
func CountChanges(ctx context.Context, q store.Querier, jobID int64) (map[string]int64, error) {
	rows, err := q.Query(ctx, `SELECT entity, count(*) FROM ferry_journal WHERE job_id = ? GROUP BY entity`, jobID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var e string
		var n int64
		if err := rows.Scan(&e, &n); err != nil {
			return nil, err
		}
		out[e] = n
	}
	return out, rows.Err()
}

// JournalInsert is the INSERT that journals the changes source yields,
// for a caller to put inside a statement of its own: source is a name the
// statement defines (a WITH query), with columns entity, entity_key,
// action, before and after. On PostgreSQL a data-modifying WITH can then
// change rows, journal them and queue them in one statement, over one
// snapshot, reading each row once.
func (r *Run) JournalInsert(d store.Dialect, source string) string {
	return fmt.Sprintf(`INSERT INTO ferry_journal (job_id, entity, entity_key, action, before, after, at)
		SELECT %d, entity, entity_key, action, before, after, %s FROM %s`, r.Job.ID, d.Now(), source)
}
