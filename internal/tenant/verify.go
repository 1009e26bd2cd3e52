package tenant

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/ferrymigrate/ferry"
	"github.com/ferrymigrate/ferry/internal/store"
)

// VerifyResult is what is left of the source after a merge (decision 15).
type VerifyResult struct {
	OK bool `json:"ok"`
	// Remaining counts the references to the source that are not kept on
	// purpose: each is a defect, and 0 after a complete merge.
	Remaining int64            `json:"remaining"`
	ByTable   map[string]int64 `json:"byTable"`
	Kept      []Kept           `json:"kept"`
	// SourceStatus is the source org's status now.
	SourceStatus string `json:"sourceStatus"`
	// Totals compares the target's rows now with its rows before the last
	// merge of the pair plus what that merge moved, where it is known.
	Totals []Total   `json:"totals"`
	Issues []Problem `json:"issues"`
}

// Kept is a reference to the source that stays on purpose, and why.
type Kept struct {
	Table  string `json:"table"`
	Key    string `json:"key"`
	Reason string `json:"reason"`
}

// Total is one of the target's totals against what was expected.
type Total struct {
	What     string `json:"what"`
	Expected int64  `json:"expected"`
	Actual   int64  `json:"actual"`
}

// reference is one way a table can point at the source: the rows that do,
// and among them those kept on purpose (kept, a condition over the row,
// with why).
type reference struct {
	table     *Table
	where     string
	kept, why string
}

// Verify counts every reference to source left in every table, and lists
// those kept on purpose: the source row itself, revoked consents,
// telemetry maps and the rows a skip left with their conflict.
func (s *Service) Verify(ctx context.Context, source, target string) (*VerifyResult, error) {
	g, err := loadOrgs(ctx, s.DB)
	if err != nil {
		return nil, err
	}
	src, tgt := g.byID[source], g.byID[target]
	if src == nil || tgt == nil {
		missing := source
		if src != nil {
			missing = target
		}
		return nil, ferry.Errorf(ferry.ENOTFOUND, "organisation %s does not exist", missing)
	}
	d := s.DB.Dialect()
	m := &mergeCtx{d: d, req: Request{Source: source, Target: target}.normalised(), src: src, tgt: tgt,
		closure: g.closure(source), tgtClosure: g.closure(target)}
	blocked := map[string]string{}
	for _, st := range m.steps() {
		if st.blocked != "" {
			blocked[st.table.Name] = "(" + st.blocked + ")"
		}
	}
	orBlocked := func(table, reason string) (string, string) {
		if b, ok := blocked[table]; ok {
			return b, reason
		}
		return "1 = 0", ""
	}
	S, sChan := lit(source), lit(strings.ToLower(src.Channel))
	var refs []reference
	add := func(table, where, kept, why string) {
		refs = append(refs, reference{table: tbl(table), where: where, kept: kept, why: why})
	}
	add("organisation", `id = `+S, `1 = 1`, "the source organisation itself keeps its id, channel and slug (P2)")
	add("organisation", `rootorgid = `+S+` AND id <> `+S+` OR `+inList(d, "id", m.closure), `1 = 0`, "")
	k, why := orBlocked("org_external_identity", "left by the skip policy: ORG_EXTERNAL_ID_TAKEN")
	add("org_external_identity", `provider = `+sChan+` AND orgid <> `+S, k, why)
	add("org_external_identity", `orgid = `+S, `1 = 1`, "the source organisation's own external id")
	add("user", `rootorgid = `+S, `1 = 0`, "")
	k, why = orBlocked("usr_external_identity", "left by the skip policy: EXTERNAL_ID_TAKEN")
	add("usr_external_identity", `provider = `+S+` OR originalprovider = `+S, k, why)
	k, why = orBlocked("user_lookup", "left by the skip policy: EXTERNAL_ID_TAKEN")
	add("user_lookup", `type = 'externalid' AND value LIKE `+lit("%@"+likeEscape(source))+` ESCAPE '\'`, k, why)
	add("user_organisation", `organisationid = `+S, `1 = 0`, "")
	add("user_org", `organisationid = `+S, `1 = 0`, "")
	add("user_roles", scopeHas(d, "scope", source), `1 = 0`, "")
	add("user_consent", `consumer_id = `+S+` OR object_id = `+S, `status <> 'ACTIVE'`, "a consent given to the source is revoked, not re-keyed (P9)")
	add("course_batch", listHas(d, "createdfor", source), `1 = 0`, "")
	add("sunbird.course_batch", listHas(d, "createdfor", source), `1 = 0`, "")
	add("course_management", `organisationid = `+S+` OR `+listHas(d, "createdfor", source), `1 = 0`, "")
	k, why = orBlocked("page_management", "left by the skip policy: PAGE_NAME_CONFLICT")
	add("page_management", `organisationid = `+S, k, why)
	add("bulk_upload_process", `organisationid = `+S, `1 = 0`, "")
	add("bulk_upload_process", `telemetrycontext LIKE `+lit("%"+likeEscape(source)+"%")+` ESCAPE '\'`, `1 = 1`, "telemetry context maps are not edited (decision 10)")
	add("geo_location", `rootorgid = `+S, `1 = 0`, "")
	add("badge_class_extension", `rootorgid = `+S, `1 = 0`, "")
	k, why = orBlocked("tenant_preference", "left by the skip policy: PREFERENCE_CONFLICT")
	add("tenant_preference", `orgid = `+S, k, why)
	k, why = orBlocked("tenant_preference_v2", "left by the skip policy: PREFERENCE_CONFLICT")
	add("tenant_preference_v2", `orgid = `+S, k, why)
	add("content", `channel = `+S, `1 = 0`, "")

	res := &VerifyResult{ByTable: map[string]int64{}, Kept: []Kept{}, Totals: []Total{}, Issues: []Problem{}}
	for _, r := range refs {
		var defects int64
		if err := s.DB.QueryRow(ctx, `SELECT count(*) FROM `+r.table.SQL+` WHERE (`+r.where+`) AND NOT (`+r.kept+`)`).Scan(&defects); err != nil {
			return nil, fmt.Errorf("verifying %s: %w", r.table.Name, err)
		}
		if defects > 0 {
			res.ByTable[r.table.Name] += defects
			res.Remaining += defects
		}
		if r.why == "" {
			continue
		}
		rows, err := s.DB.Query(ctx, `SELECT `+keyJSON(d, r.table, nil)+` FROM `+r.table.SQL+` WHERE (`+r.where+`) AND (`+r.kept+`) ORDER BY `+keyCols(r.table))
		if err != nil {
			return nil, fmt.Errorf("verifying %s: %w", r.table.Name, err)
		}
		for rows.Next() {
			var key string
			if err := rows.Scan(&key); err != nil {
				rows.Close()
				return nil, err
			}
			res.Kept = append(res.Kept, Kept{Table: r.table.Name, Key: compactKey(key), Reason: r.why})
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	res.SourceStatus = statusText(src.Status)
	if !src.Status.Valid || src.Status.Int64 != StatusInactive {
		res.Issues = append(res.Issues, Problem{Code: "SOURCE_STILL_ACTIVE", Message: fmt.Sprintf("the source %s is not INACTIVE (status %s)", source, res.SourceStatus)})
	}
	if err := s.checkTotals(ctx, s.DB, source, target, res); err != nil {
		return nil, err
	}
	sort.SliceStable(res.Kept, func(i, j int) bool { return res.Kept[i].Table < res.Kept[j].Table })
	res.OK = res.Remaining == 0 && len(res.Issues) == 0
	return res, nil
}

// checkTotals compares the target's users, memberships and child orgs
// with what the last finished merge of the pair planned: the target's
// count before it plus the rows it moved.
func (s *Service) checkTotals(ctx context.Context, q store.Querier, source, target string, res *VerifyResult) error {
	cp, ok, err := lastMerge(ctx, q, source, target)
	if err != nil || !ok || cp.Plan == nil || cp.Plan.Totals == nil {
		return err
	}
	for _, what := range []string{"user", "user_organisation", "organisation"} {
		before, ok := cp.Plan.Totals[what]
		if !ok {
			continue
		}
		now, err := countTotal(ctx, q, what, target)
		if err != nil {
			return err
		}
		want := before.Target + before.Moving
		res.Totals = append(res.Totals, Total{What: what, Expected: want, Actual: now})
		if now != want {
			res.Issues = append(res.Issues, Problem{Code: "TARGET_TOTAL_MISMATCH",
				Message: fmt.Sprintf("the target has %d %s rows, expected %d (%d before the merge and %d moved)", now, what, want, before.Target, before.Moving)})
		}
	}
	return nil
}

// countTotal counts the target's rows of one kind.
func countTotal(ctx context.Context, q store.Querier, what, target string) (int64, error) {
	where := map[string]string{
		"user":              `SELECT count(*) FROM sb_user WHERE rootorgid = ?`,
		"user_organisation": `SELECT count(*) FROM sb_user_organisation WHERE organisationid = ?`,
		"organisation":      `SELECT count(*) FROM sb_organisation WHERE rootorgid = ?`,
	}[what]
	var n int64
	err := q.QueryRow(ctx, where, target).Scan(&n)
	return n, err
}

// lastMerge finds the checkpoint of the last finished merge of source
// into target.
func lastMerge(ctx context.Context, q store.Querier, source, target string) (mergeCheckpoint, bool, error) {
	var cp mergeCheckpoint
	rows, err := q.Query(ctx, `SELECT id, args, checkpoint FROM ferry_job WHERE kind = 'tenant.migrate' AND status = 'succeeded' ORDER BY id DESC`)
	if err != nil {
		return cp, false, err
	}
	defer rows.Close()
	var id int64
	found := false
	for rows.Next() {
		var args, c string
		if err := rows.Scan(&id, &args, &c); err != nil {
			return cp, false, err
		}
		var r Request
		if json.Unmarshal([]byte(args), &r) != nil || r.Source != source || r.Target != target {
			continue
		}
		if err := json.Unmarshal([]byte(c), &cp); err != nil {
			return cp, false, err
		}
		found = true
		break
	}
	rows.Close()
	if err := rows.Err(); err != nil || !found {
		return cp, false, err
	}
	p, _, err := loadPlan(ctx, q, id)
	if err != nil {
		return cp, false, err
	}
	cp.Plan = p
	return cp, true, nil
}
