package job

import (
	"context"

	"github.com/ferrymigrate/ferry/internal/store"
)

// Reject is an input row a job refused.
type Reject struct {
	File   string `json:"file"`
	Line   int64  `json:"line"`
	Reason string `json:"reason"`
	Raw    string `json:"-"`
}

// Finding is something a job reports without refusing input.
type Finding struct {
	Kind    string `json:"kind"`
	Subject string `json:"subject"`
	Detail  string `json:"detail,omitempty"`
}

type rejectSource struct {
	jobID int64
	rows  []Reject
	i     int
}

func (s *rejectSource) Next() bool { s.i++; return s.i <= len(s.rows) }
func (s *rejectSource) Values() ([]any, error) {
	r := s.rows[s.i-1]
	return []any{s.jobID, r.File, r.Line, r.Reason, r.Raw}, nil
}
func (s *rejectSource) Err() error { return nil }

// SaveRejects stores rejected rows in the caller's transaction.
func (r *Run) SaveRejects(ctx context.Context, tx *store.Tx, rejects []Reject) error {
	if len(rejects) == 0 {
		return nil
	}
	_, err := tx.CopyFrom(ctx, "ferry_reject", []string{"job_id", "file", "line", "reason", "raw"}, &rejectSource{jobID: r.Job.ID, rows: rejects})
	return err
}

// ClearRejects forgets the rejects saved so far, for a job that starts
// reading its input over.
func (r *Run) ClearRejects(ctx context.Context, tx *store.Tx) error {
	_, err := tx.Exec(ctx, `DELETE FROM ferry_reject WHERE job_id = ?`, r.Job.ID)
	return err
}

// Rejects returns a job's rejected rows in file and line order.
func Rejects(ctx context.Context, q store.Querier, jobID int64, limit int) ([]Reject, error) {
	rows, err := q.Query(ctx, `SELECT file, line, reason, raw FROM ferry_reject WHERE job_id = ? ORDER BY file, line LIMIT ?`, jobID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Reject{}
	for rows.Next() {
		var r Reject
		if err := rows.Scan(&r.File, &r.Line, &r.Reason, &r.Raw); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// FindingCounts counts a job's findings by kind.
func FindingCounts(ctx context.Context, q store.Querier, jobID int64) (map[string]int64, error) {
	rows, err := q.Query(ctx, `SELECT kind, count(*) FROM ferry_finding WHERE job_id = ? GROUP BY kind`, jobID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var k string
		var n int64
		if err := rows.Scan(&k, &n); err != nil {
			return nil, err
		}
		out[k] = n
	}
	return out, rows.Err()
}

// Findings returns up to limit findings of one kind.
func Findings(ctx context.Context, q store.Querier, jobID int64, kind string, limit int) ([]Finding, error) {
	rows, err := q.Query(ctx, `SELECT kind, subject, detail FROM ferry_finding WHERE job_id = ? AND kind = ? ORDER BY subject, detail LIMIT ?`, jobID, kind, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Finding{}
	for rows.Next() {
		var f Finding
		if err := rows.Scan(&f.Kind, &f.Subject, &f.Detail); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}
