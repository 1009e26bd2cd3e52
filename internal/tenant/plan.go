package tenant

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/ferrymigrate/ferry"
	"github.com/ferrymigrate/ferry/internal/store"
)

// Plan is what a request would do, computed without writing anything.
// Its Changes are what a merge of the same request writes: both count
// the rows each step's WHERE clause selects.
type Plan struct {
	Request     Request          `json:"request"`
	Valid       bool             `json:"valid"`
	Errors      []Problem        `json:"errors"`
	Changes     map[string]int64 `json:"changes"`
	Conflicts   []Conflict       `json:"conflicts"`
	Notices     []Notice         `json:"notices"`
	NotMigrated []NotMigrated    `json:"notMigrated"`
	// Skipped is how many rows the conflicts leave where they are.
	Skipped int64 `json:"skipped"`
	// SourceDeactivated says whether the merge ends by setting the source
	// INACTIVE (decision 15: only when nothing of it is left).
	SourceDeactivated bool `json:"sourceDeactivated"`
	// Totals are the target's rows before the merge and the rows it moves
	// to it, per table, for verification afterwards.
	Totals map[string]TotalBefore `json:"totals,omitempty"`
	// stepRows counts the rows of each step, in step order: the merge's
	// checkpoint keeps them to choose how each step finds its batches.
	stepRows []int64
}

// TotalBefore is a count of the target's rows before a merge, and how many
// the merge adds to it.
type TotalBefore struct {
	Target int64 `json:"target"`
	Moving int64 `json:"moving"`
}

// Conflict is a row that cannot move because its new key or name is
// taken (decision 14).
type Conflict struct {
	Code   string `json:"code"`
	Table  string `json:"table"`
	Key    string `json:"key"`
	Detail string `json:"detail"`
}

// Notice is an informational finding that never blocks a merge.
type Notice struct {
	Code    string `json:"code"`
	Subject string `json:"subject"`
	Detail  string `json:"detail"`
}

// NotMigrated is something a merge leaves alone on purpose, and why.
type NotMigrated struct {
	What   string `json:"what"`
	Reason string `json:"reason"`
}

// ErrInvalidRequest is the code of a plan that is not valid: every reason
// is in the plan, which the error carries.
const ErrInvalidRequest = ferry.EVALIDATION

// PlanError is returned with a plan that is not valid, or a merge refused
// for its conflicts.
type PlanError struct {
	Plan *Plan
	Code string
}

func (e *PlanError) Error() string {
	if e.Code == ferry.ECONFLICT {
		return fmt.Sprintf("the merge has %d conflict(s) and the conflict policy is fail: nothing was changed", len(e.Plan.Conflicts))
	}
	msg := "the request is not valid"
	for i, p := range e.Plan.Errors {
		if i == 0 {
			msg += ": "
		} else {
			msg += "; "
		}
		msg += p.Message
	}
	return msg
}

// Unwrap gives the error its code for the CLI and HTTP mappings.
func (e *PlanError) Unwrap() error {
	hint := "nothing was changed"
	if e.Code == ferry.ECONFLICT {
		hint = "resolve the conflicts, or pass the skip conflict policy to leave those rows where they are"
	}
	return &ferry.Error{Code: e.Code, Hint: hint}
}

// Plan validates req and computes what a merge of it would change. It
// writes nothing. A request that is not valid gives a plan with Valid
// false and its reasons, and a *PlanError.
func (s *Service) Plan(ctx context.Context, req Request) (*Plan, error) {
	var p *Plan
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		var err error
		m, p0, err := s.prepare(ctx, tx, req, time.Now())
		p = p0
		if err != nil || m == nil {
			return err
		}
		return computePlan(ctx, tx, m, p)
	})
	if err != nil {
		return p, err
	}
	if !p.Valid {
		return p, &PlanError{Plan: p, Code: ErrInvalidRequest}
	}
	return p, nil
}

// prepare validates req and builds its steps' context; an invalid request
// gives a nil context and a plan holding the reasons.
func (s *Service) prepare(ctx context.Context, q store.Querier, req Request, at time.Time) (*mergeCtx, *Plan, error) {
	req = req.normalised()
	p := &Plan{Request: req, Errors: []Problem{}, Changes: map[string]int64{}, Conflicts: []Conflict{}, Notices: []Notice{}, NotMigrated: notMigrated()}
	g, err := loadOrgs(ctx, q)
	if err != nil {
		return nil, p, err
	}
	p.Errors, err = validate(ctx, q, g, req)
	if err != nil {
		return nil, p, err
	}
	if p.Errors == nil {
		p.Errors = []Problem{} // "errors": [] in the contract's JSON, never null
	}
	for _, id := range brokenOrgs(g) {
		p.Notices = append(p.Notices, Notice{Code: "ORG_CHAIN_BROKEN", Subject: id, Detail: g.broken[id]})
	}
	if len(p.Errors) > 0 {
		return nil, p, nil
	}
	p.Valid = true
	m := &mergeCtx{d: q.Dialect(), req: req, src: g.byID[req.Source], tgt: g.byID[req.Target], at: at.UTC().Truncate(time.Millisecond)}
	m.closure, m.tgtClosure = g.closure(req.Source), g.closure(req.Target)
	m.srcHash, m.tgtHash = hashtag(ctx, q, m.src), hashtag(ctx, q, m.tgt)
	return m, p, nil
}

func brokenOrgs(g *orgGraph) []string {
	var ids []string
	for id := range g.broken {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// hashtag is an org's hashtagid, its id when unset.
func hashtag(ctx context.Context, q store.Querier, o *org) string {
	var h string
	if err := q.QueryRow(ctx, `SELECT coalesce(hashtagid, id) FROM sb_organisation WHERE id = ?`, o.ID).Scan(&h); err != nil || h == "" {
		return o.ID
	}
	return h
}

func notMigrated() []NotMigrated {
	return []NotMigrated{
		{What: "telemetry", Reason: "out of scope (decision 10): telemetry keeps pointing at the old values, as the design note assumes"},
		{What: "bulk_upload_process.telemetrycontext", Reason: "telemetry context maps are historical telemetry and are not edited"},
		{What: "encrypted columns (email, phone, username, loginid, ...)", Reason: "ciphertexts cannot be rewritten without the platform's key; they move unchanged"},
		{What: "user_consent keys", Reason: "a consent was given to the source: it is revoked, never re-keyed (P9)"},
	}
}

// computePlan fills p with the counts, conflicts and notices of m's steps.
func computePlan(ctx context.Context, q store.Querier, m *mergeCtx, p *Plan) error {
	p.Totals = map[string]TotalBefore{}
	for _, what := range []string{"user", "user_organisation", "organisation"} {
		n, err := countTotal(ctx, q, what, m.tgt.ID)
		if err != nil {
			return err
		}
		p.Totals[what] = TotalBefore{Target: n}
	}
	for _, st := range m.steps() {
		var cs []Conflict
		if st.blocked != "" {
			var err error
			if cs, err = conflicts(ctx, q, st); err != nil {
				return err
			}
			p.Conflicts = append(p.Conflicts, cs...)
			p.Skipped += int64(len(cs))
		}
		// The rows that change are those of the step's base less its
		// conflicts (blocked is never NULL: it is made of EXISTS tests).
		// Counting base is a scan; counting "base and not blocked" tested
		// every row's conflict a second time (for a million users' lookups,
		// three index probes a row: 2.4 s, against 0.8 s for base alone).
		var n int64
		if err := q.QueryRow(ctx, `SELECT count(*) FROM `+st.table.SQL+` WHERE (`+st.base+`)`).Scan(&n); err != nil {
			return fmt.Errorf("planning %s: %w", st.table.Name, err)
		}
		n -= int64(len(cs))
		p.Changes[st.table.Name] += n
		p.stepRows = append(p.stepRows, n)
		// A merged membership adds no row to the target; a moved one does.
		if tb, ok := p.Totals[st.table.Name]; ok && (st.kind != merge) {
			tb.Moving += n
			p.Totals[st.table.Name] = tb
		}
	}
	if err := notices(ctx, q, m, p); err != nil {
		return err
	}
	done, err := wouldFinish(ctx, q, m)
	if err != nil {
		return err
	}
	if done {
		p.SourceDeactivated = true
		p.Changes["organisation"]++
	}
	for k, v := range p.Changes {
		if v == 0 {
			delete(p.Changes, k)
		}
	}
	return nil
}

// conflicts lists the rows of st that are blocked.
func conflicts(ctx context.Context, q store.Querier, st *step) ([]Conflict, error) {
	rows, err := q.Query(ctx, `SELECT `+keyJSON(q.Dialect(), st.table, nil)+`, coalesce(`+st.detail+`, '') FROM `+st.table.SQL+
		` WHERE (`+st.base+`) AND (`+st.blocked+`) ORDER BY `+keyCols(st.table))
	if err != nil {
		return nil, fmt.Errorf("finding conflicts in %s: %w", st.table.Name, err)
	}
	defer rows.Close()
	var out []Conflict
	for rows.Next() {
		c := Conflict{Code: st.conflict, Table: st.table.Name}
		if err := rows.Scan(&c.Key, &c.Detail); err != nil {
			return nil, err
		}
		c.Key = compactKey(c.Key)
		out = append(out, c)
	}
	return out, rows.Err()
}

// wouldFinish predicts decision 15 for m: after its steps, does nothing
// but the source row point at the source? Users, child orgs and
// memberships never conflict, so whatever is in scope moves.
func wouldFinish(ctx context.Context, q store.Querier, m *mergeCtx) (bool, error) {
	S := lit(m.src.ID)
	var checks []string
	if !m.req.has(EntityUser) || len(m.req.Users) > 0 {
		users := "1 = 1"
		if m.req.has(EntityUser) {
			users = "NOT " + inList(m.d, "id", m.req.Users)
		}
		checks = append(checks, `SELECT 1 FROM sb_user WHERE rootorgid = `+S+` AND `+users)
		uusers := "1 = 1"
		if m.req.has(EntityUser) {
			uusers = "NOT " + inList(m.d, "userid", m.req.Users)
		}
		checks = append(checks, `SELECT 1 FROM sb_user_organisation WHERE organisationid = `+S+` AND `+uusers,
			`SELECT 1 FROM sb_user_org WHERE organisationid = `+S+` AND `+uusers)
	}
	if !m.req.has(EntityOrg) && len(m.closure) > 0 {
		return false, nil
	}
	for _, c := range checks {
		var one int
		err := q.QueryRow(ctx, c+` LIMIT 1`).Scan(&one)
		if err == nil {
			return false, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return false, err
		}
	}
	var st int64
	if err := q.QueryRow(ctx, `SELECT coalesce(status, -1) FROM sb_organisation WHERE id = ?`, m.src.ID).Scan(&st); err != nil {
		return false, err
	}
	return st != StatusInactive, nil
}
