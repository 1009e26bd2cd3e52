package tenant

import (
	"fmt"
	"strings"
	"time"

	"github.com/ferrymigrate/ferry/internal/store"
)

// A step changes one table in one way. Its rows are those that match
// base (they point at the source and are in the request's scope) and not
// blocked (their new key or name is taken: a conflict, left where it is).
// Because a changed row no longer matches base, a step's WHERE clause is
// both its plan and its resume point: a rerun finds only what is left.
type step struct {
	phase  string // progress step it belongs to
	entity string
	table  *Table
	kind   stepKind
	base   string
	// blocked, when set, marks rows that cannot move; conflict names them.
	blocked  string
	conflict string
	// detail, for a blocked row, says who holds what it needed.
	detail string
	// set gives the new value of each column it names (an update sets
	// them in place; a rekey inserts the row with them and deletes the
	// old one); order lists them in a stable order.
	set   map[string]string
	order []string
	// merge is a membership merge: into names the table's existing row the
	// source row folds into (a WHERE over that row, keyed by the batch),
	// and set holds the merged values, reading the source row as s.
	into string
	// outbox, when set, is the outbox entity of each changed row, keyed
	// by outboxKey (in the row's new state).
	outbox, outboxKey string
	// scan marks a step whose rows no index finds (a JSON list or a value's
	// suffix): its batches read the table in key order (see batchKeys).
	scan bool
}

type stepKind int

const (
	update stepKind = iota
	rekey
	merge
)

// where is the step's rows, parenthesised: callers add conditions to it.
func (s *step) where() string {
	if s.blocked == "" {
		return "(" + s.base + ")"
	}
	return "((" + s.base + ") AND NOT (" + s.blocked + "))"
}

// assign adds col = expr to the step's changes.
func (s *step) assign(col, expr string) *step {
	if s.set == nil {
		s.set = map[string]string{}
	}
	s.set[col] = expr
	s.order = append(s.order, col)
	return s
}

// sunbirdTime formats t as Sunbird's text dates: yyyy-MM-dd HH:mm:ss:SSSZ,
// a colon before the milliseconds (Go's layouts take only . or , there).
func sunbirdTime(t time.Time) string {
	s := t.UTC().Format("2006-01-02 15:04:05.000-0700")
	return s[:19] + ":" + s[20:]
}

// cqlTime formats t as ferry stores CQL timestamps.
func cqlTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05.000-0700") }

// mergeCtx is what the steps of one request are built from.
type mergeCtx struct {
	d        store.Dialect
	req      Request
	src, tgt *org
	// srcHash and tgtHash are the orgs' hashtagids (the id when unset).
	srcHash, tgtHash string
	closure          []string // the source's child orgs
	tgtClosure       []string
	at               time.Time
}

func (m *mergeCtx) touchText() string { return lit(sunbirdTime(m.at)) }
func (m *mergeCtx) touchTS() string   { return lit(cqlTime(m.at)) }
func (m *mergeCtx) actor() string     { return lit(m.req.Actor) }

// users narrows a user-entity step to the request's users.
func (m *mergeCtx) users(col string) string {
	if len(m.req.Users) == 0 {
		return "1 = 1"
	}
	return inList(m.d, col, m.req.Users)
}

// steps lists every step of the request, in tenant-reference §4.E order.
func (m *mergeCtx) steps() []*step {
	d, S, T := m.d, lit(m.src.ID), lit(m.tgt.ID)
	sChan, tChan := lit(strings.ToLower(m.src.Channel)), lit(strings.ToLower(m.tgt.Channel))
	var out []*step
	add := func(s *step) *step {
		if m.req.has(s.entity) {
			out = append(out, s)
		}
		return s
	}
	orgs := append(append([]string{}, m.closure...), m.tgtClosure...)

	// 2. Child orgs (P1, P11).
	orgExt := `EXISTS (SELECT 1 FROM sb_org_external_identity n WHERE n.provider = ` + tChan + ` AND n.externalid = sb_org_external_identity.externalid)`
	add(&step{phase: "child orgs", entity: EntityOrg, table: tbl("org_external_identity"), kind: rekey,
		base:    `provider = ` + sChan + ` AND ` + inList(d, "orgid", orgs),
		blocked: orgExt, conflict: "ORG_EXTERNAL_ID_TAKEN",
		detail: `(SELECT 'held by ' || n.orgid FROM sb_org_external_identity n WHERE n.provider = ` + tChan + ` AND n.externalid = sb_org_external_identity.externalid)`,
	}).assign("provider", tChan)
	// A child org keeps its provider when its external id could not move.
	keepsProvider := `EXISTS (SELECT 1 FROM sb_org_external_identity x WHERE x.orgid = sb_organisation.id AND x.provider = ` + sChan + `
		AND EXISTS (SELECT 1 FROM sb_org_external_identity n WHERE n.provider = ` + tChan + ` AND n.externalid = x.externalid))`
	add(&step{phase: "child orgs", entity: EntityOrg, table: tbl("organisation"), kind: update,
		base: inList(d, "id", m.closure) + ` AND (rootorgid IS NULL OR rootorgid <> ` + T + `)`, outbox: "organisation", outboxKey: "id"}).
		assign("rootorgid", T).
		assign("channel", lit(m.tgt.Channel)).
		assign("provider", `CASE WHEN provider = `+sChan+` AND NOT `+keepsProvider+` THEN `+tChan+` ELSE provider END`).
		assign("updatedby", m.actor()).assign("updateddate", m.touchText())

	// 3. Users (P3). Encrypted columns are never touched.
	add(&step{phase: "users", entity: EntityUser, table: tbl("user"), kind: update,
		base: `rootorgid = ` + S + ` AND ` + m.users("id"), outbox: "user", outboxKey: "id"}).
		assign("rootorgid", T).assign("channel", lit(m.tgt.Channel)).
		assign("updatedby", m.actor()).assign("updateddate", m.touchText())

	// 4. Memberships (P4, P5): merged into an existing target row, else
	// moved (delete and insert: the org is part of the key). Each queues
	// its user: a user's document lists its memberships, and a member of
	// the source's root org may belong to another tenant, whose user row
	// the merge does not touch.
	uoTarget := `EXISTS (SELECT 1 FROM sb_user_organisation n WHERE n.userid = sb_user_organisation.userid AND n.organisationid = ` + T + `)`
	uoBase := `organisationid = ` + S + ` AND ` + m.users("userid")
	sRow := func(col string) string {
		return `(SELECT s.` + col + ` FROM sb_user_organisation s WHERE s.userid = sb_user_organisation.userid AND s.organisationid = ` + S + `)`
	}
	add(&step{phase: "memberships", entity: EntityUser, table: tbl("user_organisation"), kind: merge,
		base: uoBase + ` AND ` + uoTarget, conflict: "MEMBERSHIP_MERGED", outbox: "user", outboxKey: "userid",
		into: `organisationid = ` + T + ` AND ` + firstKeyIn(d, "userid", batchMark)}).
		assign("roles", listUnion(d, "roles", sRow("roles"))).
		assign("orgjoindate", `CASE WHEN orgjoindate IS NULL OR `+sRow("orgjoindate")+` < orgjoindate THEN coalesce(`+sRow("orgjoindate")+`, orgjoindate) ELSE orgjoindate END`).
		assign("associationtype", `CASE WHEN associationtype IS NULL AND `+sRow("associationtype")+` IS NULL THEN NULL ELSE coalesce(associationtype, 0) | coalesce(`+sRow("associationtype")+`, 0) END`).
		assign("isdeleted", `CASE WHEN isdeleted = `+boolLit(d, false)+` OR `+sRow("isdeleted")+` = `+boolLit(d, false)+` THEN `+boolLit(d, false)+
			` WHEN isdeleted IS NULL AND `+sRow("isdeleted")+` IS NULL THEN NULL ELSE `+boolLit(d, true)+` END`).
		assign("updatedby", m.actor()).assign("updateddate", m.touchText())
	add(&step{phase: "memberships", entity: EntityUser, table: tbl("user_organisation"), kind: rekey,
		base: uoBase + ` AND NOT ` + uoTarget, outbox: "user", outboxKey: "userid"}).
		assign("organisationid", T).assign("hashtagid", lit(m.tgtHash)).
		assign("updatedby", m.actor()).assign("updateddate", m.touchText())

	uolTarget := `(SELECT min(n.id) FROM sb_user_org n WHERE n.userid = sb_user_org.userid AND n.organisationid = ` + T + `)`
	uolBase := `organisationid = ` + S + ` AND ` + m.users("userid")
	lRow := func(col string) string {
		return `(SELECT min(s.` + col + `) FROM sb_user_org s WHERE s.userid = sb_user_org.userid AND s.organisationid = ` + S + ` AND ` + m.users("s.userid") + `)`
	}
	add(&step{phase: "memberships", entity: EntityUser, table: tbl("user_org"), kind: merge,
		base: uolBase + ` AND ` + uolTarget + ` IS NOT NULL`, conflict: "MEMBERSHIP_MERGED", outbox: "user", outboxKey: "userid",
		into: `id IN (SELECT (SELECT min(n.id) FROM sb_user_org n WHERE n.userid = o.userid AND n.organisationid = ` + T + `)
			FROM sb_user_org o WHERE o.id IN (SELECT id FROM ` + d.JSONTuples(batchMark, "id") + ` k))`}).
		assign("roles", listUnion(d, "roles", `(SELECT s.roles FROM sb_user_org s WHERE s.userid = sb_user_org.userid AND s.organisationid = `+S+` ORDER BY s.id LIMIT 1)`)).
		assign("orgjoindate", `CASE WHEN orgjoindate IS NULL OR `+lRow("orgjoindate")+` < orgjoindate THEN coalesce(`+lRow("orgjoindate")+`, orgjoindate) ELSE orgjoindate END`)
	add(&step{phase: "memberships", entity: EntityUser, table: tbl("user_org"), kind: update,
		base: uolBase + ` AND ` + uolTarget + ` IS NULL`, outbox: "user", outboxKey: "userid"}).
		assign("organisationid", T).assign("hashtagid", lit(m.tgtHash)).
		assign("updatedby", m.actor()).assign("updateddate", m.touchText())

	// 5. External identities and lookups (P6, P7).
	newIDType := `CASE WHEN idtype = ` + S + ` THEN ` + T + ` ELSE idtype END`
	extTaken := `EXISTS (SELECT 1 FROM sb_usr_external_identity n WHERE n.provider = ` + T + `
		AND n.idtype = (CASE WHEN sb_usr_external_identity.idtype = ` + S + ` THEN ` + T + ` ELSE sb_usr_external_identity.idtype END)
		AND n.externalid = sb_usr_external_identity.externalid)`
	add(&step{phase: "external ids", entity: EntityUser, table: tbl("usr_external_identity"), kind: rekey,
		base:    `provider = ` + S + ` AND ` + m.users("userid"),
		blocked: extTaken, conflict: "EXTERNAL_ID_TAKEN",
		detail: `(SELECT 'held by user ' || n.userid FROM sb_usr_external_identity n WHERE n.provider = ` + T + `
			AND n.idtype = (CASE WHEN sb_usr_external_identity.idtype = ` + S + ` THEN ` + T + ` ELSE sb_usr_external_identity.idtype END)
			AND n.externalid = sb_usr_external_identity.externalid)`}).
		assign("provider", T).assign("idtype", newIDType).
		assign("originalprovider", `CASE WHEN originalprovider = `+S+` THEN `+T+` ELSE originalprovider END`).
		assign("originalidtype", `CASE WHEN originalidtype = `+S+` THEN `+T+` ELSE originalidtype END`).
		assign("lastupdatedby", m.actor()).assign("lastupdatedon", m.touchTS())
	suffix := len(m.src.ID) + 1
	extPart := `substr(sb_user_lookup.value, 1, length(sb_user_lookup.value) - ` + fmt.Sprint(suffix) + `)`
	// A lookup stays when its new key is taken, or when its identity stays
	// (P7): the source's identity is still there and the target's exists.
	// Once the identity has moved, its lookup follows.
	lookupTaken := `(EXISTS (SELECT 1 FROM sb_user_lookup n WHERE n.type = 'externalid' AND n.value = ` + extPart + ` || '@' || ` + T + `)
		OR EXISTS (SELECT 1 FROM sb_usr_external_identity n WHERE n.provider = ` + T + ` AND n.idtype = ` + T + ` AND n.externalid = ` + extPart + `)
		AND EXISTS (SELECT 1 FROM sb_usr_external_identity o WHERE o.provider = ` + S + ` AND o.idtype = ` + S + ` AND o.externalid = ` + extPart + `))`
	add(&step{phase: "external ids", entity: EntityUser, table: tbl("user_lookup"), kind: rekey, scan: true,
		base:    `type = 'externalid' AND value LIKE ` + lit("%@"+likeEscape(m.src.ID)) + ` ESCAPE '\' AND ` + m.users("userid"),
		blocked: lookupTaken, conflict: "EXTERNAL_ID_TAKEN",
		detail: `coalesce((SELECT 'held by user ' || n.userid FROM sb_user_lookup n WHERE n.type = 'externalid' AND n.value = ` + extPart + ` || '@' || ` + T + `),
			(SELECT 'held by user ' || n.userid FROM sb_usr_external_identity n WHERE n.provider = ` + T + ` AND n.idtype = ` + T + ` AND n.externalid = ` + extPart + `))`}).
		assign("value", `substr(value, 1, length(value) - `+fmt.Sprint(suffix)+`) || '@' || `+T)

	// 6. Role scopes and consents (P8, P9).
	add(&step{phase: "roles and consents", entity: EntityUser, table: tbl("user_roles"), kind: update, scan: true,
		base: scopeHas(d, "scope", m.src.ID) + ` AND ` + m.users("userid")}).
		assign("scope", scopeReplace(d, "scope", m.src.ID, m.tgt.ID)).
		assign("updatedby", m.actor()).assign("updateddate", m.touchText())
	add(&step{phase: "roles and consents", entity: EntityUser, table: tbl("user_consent"), kind: update,
		base: `(consumer_id = ` + S + ` OR object_id = ` + S + `) AND status = 'ACTIVE' AND ` + m.users("user_id")}).
		assign("status", "'REVOKED'").assign("last_updated_on", m.touchTS())

	// 7. Course batches (P10).
	add(&step{phase: "course batches", entity: EntityContent, table: tbl("course_batch"), kind: update, scan: true,
		base: listHas(d, "createdfor", m.src.ID), outbox: "course_batch", outboxKey: "batchid"}).
		assign("createdfor", listReplace(d, "createdfor", m.src.ID, m.tgt.ID)).assign("updated_date", m.touchTS())
	add(&step{phase: "course batches", entity: EntityContent, table: tbl("sunbird.course_batch"), kind: update, scan: true,
		base: listHas(d, "createdfor", m.src.ID), outbox: "sunbird.course_batch", outboxKey: "id"}).
		assign("createdfor", listReplace(d, "createdfor", m.src.ID, m.tgt.ID)).assign("updateddate", m.touchText())

	// 8. Org-scoped records (P12).
	pageTaken := `EXISTS (SELECT 1 FROM sb_page_management n WHERE n.organisationid = ` + T + ` AND n.name = sb_page_management.name)`
	add(&step{phase: "org records", entity: EntityOrg, table: tbl("page_management"), kind: update,
		base: `organisationid = ` + S, blocked: pageTaken, conflict: "PAGE_NAME_CONFLICT",
		detail: `(SELECT 'name ' || n.name || ' taken by page ' || n.id FROM sb_page_management n WHERE n.organisationid = ` + T + ` AND n.name = sb_page_management.name)`}).
		assign("organisationid", T).assign("updatedby", m.actor()).assign("updateddate", m.touchText()).assign("updated_date", m.touchTS())
	add(&step{phase: "org records", entity: EntityOrg, table: tbl("bulk_upload_process"), kind: update,
		base: `organisationid = ` + S}).assign("organisationid", T)
	add(&step{phase: "org records", entity: EntityOrg, table: tbl("geo_location"), kind: update,
		base: `rootorgid = ` + S}).assign("rootorgid", T).assign("updatedby", m.actor()).assign("updateddate", m.touchText())
	add(&step{phase: "org records", entity: EntityOrg, table: tbl("badge_class_extension"), kind: update,
		base: `rootorgid = ` + S}).assign("rootorgid", T)
	add(&step{phase: "org records", entity: EntityOrg, table: tbl("course_management"), kind: update, scan: true,
		base: `organisationid = ` + S + ` OR ` + listHas(d, "createdfor", m.src.ID)}).
		assign("organisationid", `CASE WHEN organisationid = `+S+` THEN `+T+` ELSE organisationid END`).
		assign("organisationname", `CASE WHEN organisationid = `+S+` THEN `+lit(m.tgt.Name)+` ELSE organisationname END`).
		assign("createdfor", `CASE WHEN `+listHas(d, "createdfor", m.src.ID)+` THEN `+listReplace(d, "createdfor", m.src.ID, m.tgt.ID)+` ELSE createdfor END`).
		assign("updatedby", m.actor()).assign("updateddate", m.touchText())
	prefTaken := `EXISTS (SELECT 1 FROM sb_tenant_preference n WHERE n.orgid = ` + T + ` AND n.key = sb_tenant_preference.key)`
	add(&step{phase: "org records", entity: EntityOrg, table: tbl("tenant_preference"), kind: update,
		base: `orgid = ` + S, blocked: prefTaken, conflict: "PREFERENCE_CONFLICT",
		detail: `(SELECT 'key ' || n.key || ' taken by ' || n.id FROM sb_tenant_preference n WHERE n.orgid = ` + T + ` AND n.key = sb_tenant_preference.key)`}).
		assign("orgid", T).assign("tenantname", lit(m.tgt.Name))
	pref2Taken := `EXISTS (SELECT 1 FROM sb_tenant_preference_v2 n WHERE n.orgid = ` + T + ` AND n.key = sb_tenant_preference_v2.key)`
	add(&step{phase: "org records", entity: EntityOrg, table: tbl("tenant_preference_v2"), kind: rekey,
		base: `orgid = ` + S, blocked: pref2Taken, conflict: "PREFERENCE_CONFLICT",
		detail: `('key ' || key || ' taken')`}).
		assign("orgid", T).assign("updatedby", m.actor()).assign("updatedon", m.touchTS())

	// 9. The content channel (decision 13: from the source root id to the
	// target's), when the export has content.
	add(&step{phase: "content channel", entity: EntityContent, table: tbl("content"), kind: update,
		base: `channel = ` + S}).assign("channel", T)
	return out
}

// sourceDone is decision 15's test, over the database: nothing but the
// source row itself points at the source.
func sourceDone(S string) string {
	return `NOT EXISTS (SELECT 1 FROM sb_user WHERE rootorgid = ` + S + `)
		AND NOT EXISTS (SELECT 1 FROM sb_organisation WHERE rootorgid = ` + S + ` AND id <> ` + S + `)
		AND NOT EXISTS (SELECT 1 FROM sb_user_organisation WHERE organisationid = ` + S + `)
		AND NOT EXISTS (SELECT 1 FROM sb_user_org WHERE organisationid = ` + S + `)`
}

func boolLit(d store.Dialect, b bool) string {
	if d == store.Postgres {
		if b {
			return "true"
		}
		return "false"
	}
	if b {
		return "1"
	}
	return "0"
}

func tbl(name string) *Table {
	t := TableNamed(name)
	if t == nil {
		panic("tenant: no table " + name)
	}
	return t
}
