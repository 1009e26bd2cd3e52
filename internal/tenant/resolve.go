package tenant

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/ferrymigrate/ferry/internal/store"
)

// Organisation status values (tenant-reference §1.2).
const (
	StatusInactive = 0
	StatusActive   = 1
)

// org is what tenant resolution needs of an organisation row.
type org struct {
	ID, RootOrgID, Channel, Name, Provider string
	IsTenant, IsRootOrg                    sql.NullBool
	Status                                 sql.NullInt64
}

// tenantFlag is decision 12's test: istenant decides, and isrootorg only
// when istenant is null.
func (o *org) tenantFlag() bool {
	if o.IsTenant.Valid {
		return o.IsTenant.Bool
	}
	return o.IsRootOrg.Valid && o.IsRootOrg.Bool
}

func (o *org) active() bool { return o.Status.Valid && o.Status.Int64 == StatusActive }

// orgGraph holds every organisation and the tenant each belongs to. A
// state's orgs number in the tens of thousands at most (schools), so the
// graph is held in memory; users, which run to millions, never are.
type orgGraph struct {
	byID map[string]*org
	// tenant maps an org id to the tenant its rootorgid chain reaches; an
	// org whose chain loops or ends at a missing org is in broken instead.
	tenant map[string]string
	broken map[string]string // org id -> why its chain reaches no tenant
}

func loadOrgs(ctx context.Context, q store.Querier) (*orgGraph, error) {
	rows, err := q.Query(ctx, `SELECT id, coalesce(rootorgid, ''), coalesce(channel, ''), coalesce(orgname, ''), coalesce(provider, ''),
		istenant, isrootorg, status FROM sb_organisation`)
	if err != nil {
		return nil, fmt.Errorf("reading organisations: %w", err)
	}
	defer rows.Close()
	g := &orgGraph{byID: map[string]*org{}, tenant: map[string]string{}, broken: map[string]string{}}
	for rows.Next() {
		o := &org{}
		if err := rows.Scan(&o.ID, &o.RootOrgID, &o.Channel, &o.Name, &o.Provider, &o.IsTenant, &o.IsRootOrg, &o.Status); err != nil {
			return nil, err
		}
		g.byID[o.ID] = o
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for id := range g.byID {
		g.resolve(id)
	}
	return g, nil
}

// resolve follows id's rootorgid chain until a tenant (decision 12).
func (g *orgGraph) resolve(id string) {
	if _, ok := g.tenant[id]; ok {
		return
	}
	if _, ok := g.broken[id]; ok {
		return
	}
	var path []string
	seen := map[string]bool{}
	cur := id
	for {
		if t, ok := g.tenant[cur]; ok {
			for _, p := range path {
				g.tenant[p] = t
			}
			return
		}
		if why, ok := g.broken[cur]; ok {
			for _, p := range path {
				g.broken[p] = why
			}
			return
		}
		o := g.byID[cur]
		var why string
		switch {
		case o == nil:
			why = fmt.Sprintf("its rootorgid chain ends at %s, which does not exist", cur)
		case o.tenantFlag():
			g.tenant[cur] = cur
			continue
		case seen[cur]:
			why = fmt.Sprintf("its rootorgid chain loops at %s", cur)
		case o.RootOrgID == "":
			why = fmt.Sprintf("%s has no rootorgid and is not a tenant", cur)
		}
		if why != "" {
			for _, p := range path {
				g.broken[p] = why
			}
			return
		}
		seen[cur] = true
		path = append(path, cur)
		cur = o.RootOrgID
	}
}

// closure is every org other than the tenant itself whose chain reaches
// tenant, sorted: the child orgs P1 moves.
func (g *orgGraph) closure(tenant string) []string {
	var out []string
	for id, t := range g.tenant {
		if t == tenant && id != tenant {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// Problem is one reason a request is refused (decision 4).
type Problem struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Validation codes; part of the contract, like error codes.
const (
	ProblemOrgNotFound    = "ORG_NOT_FOUND"
	ProblemOrgInactive    = "ORG_NOT_ACTIVE"
	ProblemNotTenant      = "NOT_A_TENANT"
	ProblemSameOrg        = "SOURCE_EQUALS_TARGET"
	ProblemUserNotInSrc   = "USER_NOT_IN_SOURCE"
	ProblemUnknownEntity  = "UNKNOWN_ENTITY"
	ProblemTenantLoop     = "TENANT_CHAIN_BROKEN"
	ProblemUnknownPolicy  = "UNKNOWN_CONFLICT_POLICY"
	ProblemMissingOrgID   = "MISSING_ORG_ID"
	ProblemNoTenantTables = "NO_TENANT_DATA"
)

// validate lists every reason req cannot run, all at once. Only the orgs
// the request involves are checked: a broken chain elsewhere is a notice.
func validate(ctx context.Context, q store.Querier, g *orgGraph, req Request) ([]Problem, error) {
	var ps []Problem
	add := func(code, format string, args ...any) {
		ps = append(ps, Problem{Code: code, Message: fmt.Sprintf(format, args...)})
	}
	for _, e := range req.Entities {
		if !slices.Contains(AllEntities, e) {
			add(ProblemUnknownEntity, "unknown entity %q: the entities are user, org and content", e)
		}
	}
	if req.OnConflict != OnConflictFail && req.OnConflict != OnConflictSkip {
		add(ProblemUnknownPolicy, "unknown conflict policy %q: it is fail or skip", req.OnConflict)
	}
	// A source that an earlier merge into the same target set INACTIVE is
	// merged again, which changes nothing: reruns are always allowed.
	merged, err := mergedBefore(ctx, q, req.Source, req.Target)
	if err != nil {
		return nil, err
	}
	if len(g.byID) == 0 {
		add(ProblemNoTenantTables, "the database holds no organisation: import the platform's export first")
	}
	for _, side := range []struct{ name, id string }{{"source", req.Source}, {"target", req.Target}} {
		if side.id == "" {
			add(ProblemMissingOrgID, "no %s root org id was given", side.name)
			continue
		}
		o := g.byID[side.id]
		if o == nil {
			add(ProblemOrgNotFound, "the %s organisation %s does not exist", side.name, side.id)
			continue
		}
		if !o.active() && !(side.name == "source" && merged[o.ID]) {
			add(ProblemOrgInactive, "the %s organisation %s is not active (status %s)", side.name, side.id, statusText(o.Status))
		}
		if !o.tenantFlag() {
			add(ProblemNotTenant, "the %s organisation %s is not a tenant (root organisation)", side.name, side.id)
			if why, ok := g.broken[side.id]; ok {
				add(ProblemTenantLoop, "the %s organisation %s belongs to no tenant: %s", side.name, side.id, why)
			}
		}
	}
	if req.Source != "" && req.Source == req.Target {
		add(ProblemSameOrg, "the source and the target are the same organisation %s", req.Source)
	}
	if len(req.Users) > 0 && req.Source != "" {
		missing, err := usersNotIn(ctx, q, req.Source, req.Users)
		if err != nil {
			return nil, err
		}
		for _, u := range missing {
			add(ProblemUserNotInSrc, "user %s does not belong to the source %s", u, req.Source)
		}
	}
	return ps, nil
}

func statusText(s sql.NullInt64) string {
	if !s.Valid {
		return "unset"
	}
	names := []string{"INACTIVE", "ACTIVE", "BLOCKED", "RETIRED"}
	if s.Int64 >= 0 && int(s.Int64) < len(names) {
		return fmt.Sprintf("%d, %s", s.Int64, names[s.Int64])
	}
	return fmt.Sprint(s.Int64)
}

// usersNotIn returns the ids of users that are not users of tenant.
func usersNotIn(ctx context.Context, q store.Querier, tenant string, users []string) ([]string, error) {
	d := q.Dialect()
	return queryStrings(ctx, q, `SELECT u.v FROM `+d.JSONTextArray("?", "v")+` u
		WHERE NOT EXISTS (SELECT 1 FROM sb_user s WHERE s.id = u.v AND s.rootorgid = ?) ORDER BY u.v`, jsonList(users), tenant)
}

// mergedBefore reports, for the source, whether a merge job of source
// into target once set it INACTIVE (its journal says so).
func mergedBefore(ctx context.Context, q store.Querier, source, target string) (map[string]bool, error) {
	out := map[string]bool{}
	if source == "" || target == "" {
		return out, nil
	}
	rows, err := q.Query(ctx, `SELECT j.args FROM ferry_job j WHERE j.kind = 'tenant.migrate' AND EXISTS (
		SELECT 1 FROM ferry_journal c WHERE c.job_id = j.id AND c.entity = 'organisation' AND c.action = 'update' AND c.entity_key LIKE ?)`,
		"%"+likeEscape(source)+"%")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var args string
		if err := rows.Scan(&args); err != nil {
			return nil, err
		}
		var r Request
		if json.Unmarshal([]byte(args), &r) == nil && r.Source == source && r.Target == target {
			out[source] = true
		}
	}
	return out, rows.Err()
}
