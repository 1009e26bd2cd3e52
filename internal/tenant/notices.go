package tenant

import (
	"context"
	"fmt"

	"github.com/ferrymigrate/ferry/internal/store"
)

// noticeLimit caps the notices of one code a report lists one by one; the
// rest are counted in a last notice. A million moved users with a legacy
// login id are one fact, not a million lines.
const noticeLimit = 1000

// Informational codes (EXPECTED.md §5); they never block a merge.
const (
	NoticeDuplicateEmail   = "DUPLICATE_EMAIL"
	NoticeMembershipMerged = "MEMBERSHIP_MERGED"
	NoticeNestedOrg        = "NESTED_ORG_NORMALISED"
	NoticeScopeWidened     = "ROLE_SCOPE_WIDENED"
	NoticeConsentRevoked   = "CONSENT_REVOKED"
	NoticeCreatedForDedup  = "CREATEDFOR_DEDUPED"
	NoticeLegacyLoginID    = "LEGACY_LOGINID"
)

// notices adds the informational findings of m's steps to p, before any
// of them runs: afterwards the facts they describe are gone.
func notices(ctx context.Context, q store.Querier, m *mergeCtx, p *Plan) error {
	d, S, T := m.d, lit(m.src.ID), lit(m.tgt.ID)
	type query struct {
		code, sql string
	}
	var qs []query
	for _, st := range m.steps() {
		switch {
		case st.kind == merge && st.table.Name == "user_organisation":
			qs = append(qs, query{NoticeMembershipMerged, `SELECT userid, 'user_organisation ' || (SELECT coalesce(n.id, '') FROM sb_user_organisation n
				WHERE n.userid = sb_user_organisation.userid AND n.organisationid = ` + T + `) FROM sb_user_organisation WHERE ` + st.where() + ` ORDER BY userid`})
		case st.kind == merge && st.table.Name == "user_org":
			qs = append(qs, query{NoticeMembershipMerged, `SELECT userid, 'user_org ' || (SELECT min(n.id) FROM sb_user_org n
				WHERE n.userid = sb_user_org.userid AND n.organisationid = ` + T + `) FROM sb_user_org WHERE ` + st.where() + ` ORDER BY userid, id`})
		case st.table.Name == "organisation" && st.entity == EntityOrg:
			qs = append(qs, query{NoticeNestedOrg, `SELECT id, 'rootorgid ' || rootorgid || ' -> ' || ` + T + ` FROM sb_organisation
				WHERE ` + st.where() + ` AND rootorgid <> ` + S + ` ORDER BY id`})
		case st.table.Name == "user":
			qs = append(qs, query{NoticeLegacyLoginID, `SELECT id, 'the encrypted loginid embeds the old channel and cannot be rewritten without the key'
				FROM sb_user WHERE ` + st.where() + ` AND loginid IS NOT NULL ORDER BY id`})
			// An account-merge candidate: the same e-mail ciphertext in a
			// moving user and a user of the target. The moving users are a
			// derived table, where the step's clause can name its columns
			// bare: read as "sb_user.id IN (SELECT id FROM sb_user WHERE
			// ...)", the query read the user table three times and hashed
			// the source's ids (2.3 s at a million users, against 1.2 s).
			qs = append(qs, query{NoticeDuplicateEmail, `SELECT s.id, 'same e-mail ciphertext as user ' || t.id ||
				coalesce('; the lookup owner is ' || (SELECT l.userid FROM sb_user_lookup l WHERE l.type = 'email' AND l.value = s.email), '')
				FROM (SELECT id, email FROM sb_user WHERE ` + st.where() + ` AND email IS NOT NULL) s
				JOIN sb_user t ON t.email = s.email AND t.rootorgid = ` + T + ` AND t.id <> s.id ORDER BY s.id, t.id`})
		case st.table.Name == "user_roles":
			qs = append(qs, query{NoticeScopeWidened, `SELECT userid, role || ' is now scoped to ' || ` + T + `
				FROM sb_user_roles WHERE ` + st.where() + ` AND role LIKE '%ADMIN%' ORDER BY userid, role`})
		case st.table.Name == "user_consent":
			qs = append(qs, query{NoticeConsentRevoked, `SELECT user_id, 'consent ' || consumer_id || '/' || object_id || ' revoked'
				FROM sb_user_consent WHERE ` + st.where() + ` ORDER BY user_id, consumer_id, object_id`})
		case st.table.Name == "course_batch" || st.table.Name == "sunbird.course_batch" || st.table.Name == "course_management":
			key := "id"
			if st.table.Name == "course_batch" {
				key = "batchid"
			}
			qs = append(qs, query{NoticeCreatedForDedup, `SELECT ` + key + `, '` + st.table.Name + `: createdfor loses repeated entries'
				FROM ` + st.table.SQL + ` WHERE ` + st.where() + ` AND createdfor IS NOT NULL AND ` + listDuplicates(d, "createdfor", m.src.ID, m.tgt.ID) + ` ORDER BY ` + key})
		}
	}
	for _, x := range qs {
		if err := collect(ctx, q, x.code, x.sql, p); err != nil {
			return fmt.Errorf("%s: %w", x.code, err)
		}
	}
	return nil
}

func collect(ctx context.Context, q store.Querier, code, query string, p *Plan) error {
	rows, err := q.Query(ctx, query)
	if err != nil {
		return err
	}
	defer rows.Close()
	var n int64
	for rows.Next() {
		n++
		if n > noticeLimit {
			continue
		}
		var nt Notice
		if err := rows.Scan(&nt.Subject, &nt.Detail); err != nil {
			return err
		}
		nt.Code = code
		p.Notices = append(p.Notices, nt)
	}
	if n > noticeLimit {
		p.Notices = append(p.Notices, Notice{Code: code, Subject: "more", Detail: fmt.Sprintf("%d more not listed", n-noticeLimit)})
	}
	return rows.Err()
}
