package tenant

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/ferrymigrate/ferry/internal/search"
	"github.com/ferrymigrate/ferry/internal/store"
)

// The search documents of tenant-reference §2.6: the user, organisation
// and course-batch documents carry the tenant in denormalised fields
// (rootOrgId, rootOrgName, channel, organisations[], createdFor), so a
// merge must rebuild them. Documents hold the fields that name a tenant
// or an org and what identifies the row, not a person's contact details:
// ciphertexts have no use in a term query and need not be copied into one
// more system.

// Index names, as the platform's mapping files name them.
const (
	IndexUser         = "user"
	IndexOrg          = "org"
	IndexCourseBatch  = "course-batch"
	IndexLegacyBatch  = "legacy-course-batch"
	documentPage      = 1000
	outboxUser        = "user"
	outboxOrg         = "organisation"
	outboxCourseBatch = "course_batch"
	outboxLegacyBatch = "sunbird.course_batch"
)

// Documents is the tenant migration's search.Source.
type Documents struct{}

var _ search.Source = Documents{}

// keyword mappings: every field ferry filters or sorts on is a keyword,
// matched exactly, as the platform's own mappings do for ids.
func mapping(fields map[string]string) json.RawMessage {
	props := map[string]any{}
	for f, typ := range fields {
		props[f] = map[string]string{"type": typ}
	}
	b, _ := json.Marshal(map[string]any{"mappings": map[string]any{"dynamic": true, "properties": props}})
	return b
}

// Entities are the outbox entities the merge queues.
func (Documents) Entities() []string {
	return []string{outboxUser, outboxOrg, outboxCourseBatch, outboxLegacyBatch}
}

// Indexes are the indexes of the documents, with their mappings and the
// field that names a document's tenant.
func (Documents) Indexes() []search.IndexSpec {
	return []search.IndexSpec{
		{Name: IndexUser, TenantField: "rootOrgId", Mapping: mapping(map[string]string{
			"id": "keyword", "userId": "keyword", "rootOrgId": "keyword", "channel": "keyword", "locationIds": "keyword",
			"status": "integer", "isDeleted": "boolean"})},
		{Name: IndexOrg, TenantField: "rootOrgId", Mapping: mapping(map[string]string{
			"id": "keyword", "rootOrgId": "keyword", "channel": "keyword", "slug": "keyword", "hashTagId": "keyword",
			"status": "integer", "isRootOrg": "boolean", "isTenant": "boolean"})},
		{Name: IndexCourseBatch, TenantField: "createdFor", Mapping: mapping(map[string]string{
			"id": "keyword", "batchId": "keyword", "courseId": "keyword", "createdFor": "keyword", "status": "integer"})},
		{Name: IndexLegacyBatch, TenantField: "createdFor", Mapping: mapping(map[string]string{
			"id": "keyword", "courseId": "keyword", "createdFor": "keyword", "status": "integer"})},
	}
}

// Documents builds the current document of each key.
func (Documents) Documents(ctx context.Context, q store.Querier, entity string, keys []string) ([]search.Document, error) {
	switch entity {
	case outboxUser:
		return userDocuments(ctx, q, keys)
	case outboxOrg:
		return orgDocuments(ctx, q, keys)
	case outboxCourseBatch:
		return batchDocuments(ctx, q, keys, `SELECT batchid, courseid, name, createdfor, status FROM sb_course_batch WHERE batchid IN `, IndexCourseBatch)
	case outboxLegacyBatch:
		return batchDocuments(ctx, q, keys, `SELECT id, courseid, name, createdfor, status FROM sb_legacy_course_batch WHERE id IN `, IndexLegacyBatch)
	}
	return nil, fmt.Errorf("no documents for outbox entity %q", entity)
}

// TenantDocuments yields the tenant's documents of one index in id order.
func (s Documents) TenantDocuments(ctx context.Context, q store.Querier, tenant, index string, yield func(search.Document) error) error {
	var query, entity string
	args := []any{tenant}
	switch index {
	case IndexUser:
		query, entity = `SELECT id FROM sb_user WHERE rootorgid = ?`, outboxUser
	case IndexOrg:
		query, entity = `SELECT id FROM sb_organisation WHERE rootorgid = ?`, outboxOrg
	case IndexCourseBatch:
		query, entity, args = `SELECT batchid FROM sb_course_batch WHERE `+listHas(q.Dialect(), "createdfor", tenant), outboxCourseBatch, nil
	case IndexLegacyBatch:
		query, entity, args = `SELECT id FROM sb_legacy_course_batch WHERE `+listHas(q.Dialect(), "createdfor", tenant), outboxLegacyBatch, nil
	default:
		return fmt.Errorf("no index %q", index)
	}
	ids, err := queryStrings(ctx, q, query, args...)
	if err != nil {
		return err
	}
	// Byte order, as a keyword sort has it: the databases' collations
	// differ from it and from each other. A tenant's ids fit in memory
	// (16 MB for 400,000 users); its documents are built a page at a time.
	sort.Strings(ids)
	ids = dedupe(ids)
	for len(ids) > 0 {
		n := min(documentPage, len(ids))
		docs, err := s.Documents(ctx, q, entity, ids[:n])
		if err != nil {
			return err
		}
		for _, d := range docs {
			if d.Deleted() {
				continue // gone between the two queries
			}
			if err := yield(d); err != nil {
				return err
			}
		}
		ids = ids[n:]
	}
	return nil
}

func dedupe(sorted []string) []string {
	out := sorted[:0]
	for i, s := range sorted {
		if i == 0 || s != sorted[i-1] {
			out = append(out, s)
		}
	}
	return out
}

// queryStrings is the one text column a query returns, row by row.
func queryStrings(ctx context.Context, q store.Querier, query string, args ...any) ([]string, error) {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// keysIn is "(the keys)" as one bound JSON list.
func keysIn(d store.Dialect) string {
	return `(SELECT v FROM ` + d.JSONTextArray("?", "v") + ` l)`
}

// list decodes a JSON list of strings as ferry stores a CQL list; a null
// or empty one is an empty list, as the index shows it.
func list(s sql.NullString) []string {
	out := []string{}
	if s.Valid && s.String != "" {
		_ = json.Unmarshal([]byte(s.String), &out)
	}
	if out == nil {
		out = []string{}
	}
	return out
}

func ptrString(s sql.NullString) *string {
	if !s.Valid {
		return nil
	}
	return &s.String
}

func ptrInt(n sql.NullInt64) *int64 {
	if !n.Valid {
		return nil
	}
	return &n.Int64
}

func ptrBool(b sql.NullBool) *bool {
	if !b.Valid {
		return nil
	}
	return &b.Bool
}

// assemble returns one document per key: the built one, or a deletion.
func assemble(index string, keys []string, built map[string]any) ([]search.Document, error) {
	out := make([]search.Document, len(keys))
	for i, k := range keys {
		out[i] = search.Document{Index: index, ID: k}
		if v, ok := built[k]; ok {
			b, err := json.Marshal(v)
			if err != nil {
				return nil, err
			}
			out[i].Body = b
		}
	}
	return out, nil
}

type userMembership struct {
	OrganisationID string   `json:"organisationId"`
	HashTagID      *string  `json:"hashTagId"`
	OrgName        *string  `json:"orgName"`
	Roles          []string `json:"roles"`
	IsDeleted      *bool    `json:"isDeleted"`
}

type userDocument struct {
	ID            string           `json:"id"`
	UserID        *string          `json:"userId"`
	RootOrgID     *string          `json:"rootOrgId"`
	RootOrgName   *string          `json:"rootOrgName"`
	Channel       *string          `json:"channel"`
	Status        *int64           `json:"status"`
	IsDeleted     *bool            `json:"isDeleted"`
	LocationIDs   []string         `json:"locationIds"`
	Organisations []userMembership `json:"organisations"`
}

func userDocuments(ctx context.Context, q store.Querier, keys []string) ([]search.Document, error) {
	arg := jsonList(keys)
	in := keysIn(q.Dialect())
	rows, err := q.Query(ctx, `SELECT u.id, u.userid, u.rootorgid, r.orgname, u.channel, u.status, u.isdeleted, u.locationids
		FROM sb_user u LEFT JOIN sb_organisation r ON r.id = u.rootorgid WHERE u.id IN `+in, arg)
	if err != nil {
		return nil, err
	}
	docs := map[string]*userDocument{}
	for rows.Next() {
		var d userDocument
		var userID, root, rootName, channel, locs sql.NullString
		var status sql.NullInt64
		var deleted sql.NullBool
		if err := rows.Scan(&d.ID, &userID, &root, &rootName, &channel, &status, &deleted, &locs); err != nil {
			rows.Close()
			return nil, err
		}
		d.UserID, d.RootOrgID, d.RootOrgName, d.Channel = ptrString(userID), ptrString(root), ptrString(rootName), ptrString(channel)
		d.Status, d.IsDeleted, d.LocationIDs = ptrInt(status), ptrBool(deleted), list(locs)
		d.Organisations = []userMembership{}
		docs[d.ID] = &d
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = q.Query(ctx, `SELECT m.userid, m.organisationid, m.hashtagid, o.orgname, m.roles, m.isdeleted
		FROM sb_user_organisation m LEFT JOIN sb_organisation o ON o.id = m.organisationid WHERE m.userid IN `+in, arg)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var user string
		var m userMembership
		var hash, name, roles sql.NullString
		var deleted sql.NullBool
		if err := rows.Scan(&user, &m.OrganisationID, &hash, &name, &roles, &deleted); err != nil {
			return nil, err
		}
		m.HashTagID, m.OrgName, m.Roles, m.IsDeleted = ptrString(hash), ptrString(name), list(roles), ptrBool(deleted)
		if d := docs[user]; d != nil {
			d.Organisations = append(d.Organisations, m)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	built := map[string]any{}
	for id, d := range docs {
		// The databases return memberships in no set order.
		sort.Slice(d.Organisations, func(i, j int) bool { return d.Organisations[i].OrganisationID < d.Organisations[j].OrganisationID })
		built[id] = d
	}
	return assemble(IndexUser, keys, built)
}

type orgDocument struct {
	ID        string  `json:"id"`
	OrgName   *string `json:"orgName"`
	RootOrgID *string `json:"rootOrgId"`
	Channel   *string `json:"channel"`
	Slug      *string `json:"slug"`
	HashTagID *string `json:"hashTagId"`
	IsRootOrg *bool   `json:"isRootOrg"`
	IsTenant  *bool   `json:"isTenant"`
	Status    *int64  `json:"status"`
}

func orgDocuments(ctx context.Context, q store.Querier, keys []string) ([]search.Document, error) {
	rows, err := q.Query(ctx, `SELECT id, orgname, rootorgid, channel, slug, hashtagid, isrootorg, istenant, status
		FROM sb_organisation WHERE id IN `+keysIn(q.Dialect()), jsonList(keys))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	built := map[string]any{}
	for rows.Next() {
		var d orgDocument
		var name, root, channel, slug, hash sql.NullString
		var isRoot, isTenant sql.NullBool
		var status sql.NullInt64
		if err := rows.Scan(&d.ID, &name, &root, &channel, &slug, &hash, &isRoot, &isTenant, &status); err != nil {
			return nil, err
		}
		d.OrgName, d.RootOrgID, d.Channel, d.Slug, d.HashTagID = ptrString(name), ptrString(root), ptrString(channel), ptrString(slug), ptrString(hash)
		d.IsRootOrg, d.IsTenant, d.Status = ptrBool(isRoot), ptrBool(isTenant), ptrInt(status)
		built[d.ID] = d
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return assemble(IndexOrg, keys, built)
}

type batchDocument struct {
	ID         string   `json:"id"`
	BatchID    string   `json:"batchId"`
	CourseID   *string  `json:"courseId"`
	Name       *string  `json:"name"`
	CreatedFor []string `json:"createdFor"`
	Status     *int64   `json:"status"`
}

// batchDocuments builds course-batch documents; a batch of the current
// table is keyed by its batchid (the platform's document id), one of the
// legacy table by its id.
func batchDocuments(ctx context.Context, q store.Querier, keys []string, query, index string) ([]search.Document, error) {
	rows, err := q.Query(ctx, query+keysIn(q.Dialect()), jsonList(keys))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	built := map[string]any{}
	for rows.Next() {
		var d batchDocument
		var course, name, createdFor sql.NullString
		var status sql.NullInt64
		if err := rows.Scan(&d.ID, &course, &name, &createdFor, &status); err != nil {
			return nil, err
		}
		d.BatchID, d.CourseID, d.Name, d.CreatedFor, d.Status = d.ID, ptrString(course), ptrString(name), list(createdFor), ptrInt(status)
		built[d.ID] = d
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return assemble(index, keys, built)
}
