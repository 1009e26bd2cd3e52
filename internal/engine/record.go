package engine

import (
	"context"
	"fmt"

	"github.com/ferrymigrate/ferry/internal/store"
)

// Reject is an input row a job refused.
type Reject struct {
	File   string `json:"file"`
	Line   int64  `json:"line"`
	Reason string `json:"reason"`
	// Raw is the line as read, byte for byte; it may be invalid UTF-8. It
	// is personal data and appears only in reports the operator asks for.
	Raw string `json:"-"`
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
	return []any{s.jobID, r.File, r.Line, Redact(r.Reason), []byte(r.Raw)}, nil
}
func (s *rejectSource) Err() error { return nil }

// SaveRejects stores rejected rows in the caller's transaction, their
// reasons redacted and their raw lines kept as bytes.
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

// Page selects part of a long list; a zero Limit means all of it.
type Page struct {
	Offset, Limit int64
}

func (p Page) sql() (string, []any) {
	if p.Limit <= 0 && p.Offset <= 0 {
		return "", nil
	}
	limit := p.Limit
	if limit <= 0 {
		limit = -1 // SQLite's "no limit"; PostgreSQL takes LIMIT ALL
	}
	return ` LIMIT ? OFFSET ?`, []any{limit, p.Offset}
}

func pageClause(d store.Dialect, p Page) (string, []any) {
	q, args := p.sql()
	if q != "" && d == store.Postgres && p.Limit <= 0 {
		return ` OFFSET ?`, []any{p.Offset}
	}
	return q, args
}

// EachReject calls fn for a job's rejected rows in file and line order,
// streaming, so that a report of millions of rows never sits in memory.
func EachReject(ctx context.Context, q store.Querier, jobID int64, p Page, fn func(Reject) error) error {
	page, args := pageClause(q.Dialect(), p)
	rows, err := q.Query(ctx, `SELECT file, line, reason, raw FROM ferry_reject WHERE job_id = ? ORDER BY file, line`+page, append([]any{jobID}, args...)...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var r Reject
		var raw []byte
		if err := rows.Scan(&r.File, &r.Line, &r.Reason, &raw); err != nil {
			return err
		}
		r.Raw = string(raw)
		if err := fn(r); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Rejects returns up to limit of a job's rejected rows in file and line order.
func Rejects(ctx context.Context, q store.Querier, jobID int64, limit int) ([]Reject, error) {
	out := []Reject{}
	err := EachReject(ctx, q, jobID, Page{Limit: int64(limit)}, func(r Reject) error {
		out = append(out, r)
		return nil
	})
	return out, err
}

// CountRejects counts a job's rejected rows.
func CountRejects(ctx context.Context, q store.Querier, jobID int64) (int64, error) {
	var n int64
	err := q.QueryRow(ctx, `SELECT count(*) FROM ferry_reject WHERE job_id = ?`, jobID).Scan(&n)
	return n, err
}

// AddFindings records the findings a query selects, in the caller's
// transaction: query yields three text columns, kind, subject and detail,
// and args are its placeholders' values. It returns how many it recorded.
// The rows it recorded are then redacted, so that personal data in the
// wrong column never reaches the report.
func (r *Run) AddFindings(ctx context.Context, tx *store.Tx, query string, args ...any) (int64, error) {
	var before int64
	if err := tx.QueryRow(ctx, `SELECT COALESCE(max(id), 0) FROM ferry_finding`).Scan(&before); err != nil {
		return 0, err
	}
	n, err := tx.Exec(ctx, `INSERT INTO ferry_finding (job_id, kind, subject, detail) SELECT CAST(? AS bigint), f.* FROM (`+query+`) f`,
		append([]any{r.Job.ID}, args...)...)
	if err != nil {
		return 0, fmt.Errorf("recording findings: %w", err)
	}
	if n > 0 {
		if err := r.redactFindings(ctx, tx, before); err != nil {
			return n, err
		}
	}
	return n, nil
}

// AddFinding records one finding.
func (r *Run) AddFinding(ctx context.Context, tx *store.Tx, f Finding) error {
	_, err := tx.Exec(ctx, `INSERT INTO ferry_finding (job_id, kind, subject, detail) VALUES (?, ?, ?, ?)`,
		r.Job.ID, f.Kind, Redact(f.Subject), Redact(f.Detail))
	return err
}

// redactFindings rewrites the job's findings recorded after id after that
// may hold an e-mail or a phone number. Only the rows that the database's
// own cheap test picks out (an @, or seven digits) are read back, and only
// those Redact changes are written again: in real exports that is none or
// a handful. (Rewriting every suspect row, and reading all of the job's
// findings after each statement, once took 99 s of a million-domain load.)
func (r *Run) redactFindings(ctx context.Context, tx *store.Tx, after int64) error {
	d := tx.Dialect()
	suspect := `subject LIKE '%@%' OR detail LIKE '%@%' OR ` + sevenDigits(d, "subject") + ` OR ` + sevenDigits(d, "detail")
	rows, err := tx.Query(ctx, `SELECT id, subject, detail FROM ferry_finding WHERE id > ? AND job_id = ? AND (`+suspect+`)`, after, r.Job.ID)
	if err != nil {
		return err
	}
	type change struct {
		id              int64
		subject, detail string
	}
	var changed []change
	for rows.Next() {
		var c change
		var subject, detail string
		if err := rows.Scan(&c.id, &subject, &detail); err != nil {
			rows.Close()
			return err
		}
		c.subject, c.detail = Redact(subject), Redact(detail)
		if c.subject != subject || c.detail != detail {
			changed = append(changed, c)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, c := range changed {
		if _, err := tx.Exec(ctx, `UPDATE ferry_finding SET subject = ?, detail = ? WHERE id = ?`, c.subject, c.detail, c.id); err != nil {
			return err
		}
	}
	return nil
}

func sevenDigits(d store.Dialect, col string) string {
	if d == store.Postgres {
		return col + ` ~ '([0-9][^0-9]{0,3}){6}[0-9]'`
	}
	return col + ` GLOB '*[0-9]*[0-9]*[0-9]*[0-9]*[0-9]*[0-9]*[0-9]*'`
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

// EachFinding calls fn for a job's findings, of one kind or of all ("")
// kinds, ordered by kind, subject and detail.
func EachFinding(ctx context.Context, q store.Querier, jobID int64, kind string, p Page, fn func(Finding) error) error {
	where, args := `job_id = ?`, []any{jobID}
	if kind != "" {
		where, args = where+` AND kind = ?`, append(args, kind)
	}
	page, pargs := pageClause(q.Dialect(), p)
	rows, err := q.Query(ctx, `SELECT kind, subject, detail FROM ferry_finding WHERE `+where+` ORDER BY kind, subject, detail, id`+page, append(args, pargs...)...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var f Finding
		if err := rows.Scan(&f.Kind, &f.Subject, &f.Detail); err != nil {
			return err
		}
		if err := fn(f); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Findings returns up to limit findings of one kind.
func Findings(ctx context.Context, q store.Querier, jobID int64, kind string, limit int) ([]Finding, error) {
	out := []Finding{}
	err := EachFinding(ctx, q, jobID, kind, Page{Limit: int64(limit)}, func(f Finding) error {
		out = append(out, f)
		return nil
	})
	return out, err
}
