package tenant

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/ferrymigrate/ferry"
	"github.com/ferrymigrate/ferry/internal/store"
)

// The shared two-tenant fixture and its oracle, EXPECTED.md; it lives
// beside the repository, not in it, and the tests skip without it.
const sunbirdFixture = "../../../shared/fixtures/sunbird"

const (
	fxSRC   = "01241408242723225614"
	fxTGT   = "01246375399411712074"
	fxC1    = "0124142136918507521"
	fxC2    = "0124142152736317443"
	fxN1    = "0124638301146153987"
	fxINACT = "0123673542904299520"
	fxOTHER = "0125683555607347200"
	fxS05   = "53c40cf7-c9d9-500d-b508-c4ea222c4ae9"
	fxS08   = "fdd52e29-cf61-502e-9189-ccc495683372"
	fxT01   = "c69e0ddf-ab93-5cdf-bb9e-aa4681779574"
)

func fixtureService(t *testing.T, db *store.DB) *Service {
	t.Helper()
	if _, err := os.Stat(filepath.Join(sunbirdFixture, "EXPECTED.md")); err != nil {
		t.Skipf("shared sunbird fixture not available at %s: %v", sunbirdFixture, err)
	}
	s := newService(t, db)
	res, err := s.Import(context.Background(), ImportOptions{Dir: sunbirdFixture, MaxRejects: 0})
	if err != nil {
		t.Fatalf("importing the fixture: %v", err)
	}
	for _, ti := range res.Tables {
		if len(ti.Missing) > 0 || len(ti.Extra) > 0 {
			t.Errorf("%s: header differs: missing %v, extra %v", ti.Table, ti.Missing, ti.Extra)
		}
	}
	return s
}

// EXPECTED.md §4: the rows each table's merge writes under skip.
var fixtureChanges = map[string]int64{
	"organisation": 3, "org_external_identity": 1, "user": 12, "user_organisation": 12, "user_org": 4,
	"user_roles": 14, "user_consent": 3, "usr_external_identity": 5, "user_lookup": 3,
	"course_batch": 5, "sunbird.course_batch": 4, "course_management": 1, "page_management": 1,
	"bulk_upload_process": 2, "geo_location": 2, "badge_class_extension": 1, "tenant_preference": 1, "tenant_preference_v2": 1,
}

// EXPECTED.md §5.
var fixtureNotices = map[string]int{"DUPLICATE_EMAIL": 1, "MEMBERSHIP_MERGED": 2, "NESTED_ORG_NORMALISED": 1, "ROLE_SCOPE_WIDENED": 1,
	"CONSENT_REVOKED": 3, "CREATEDFOR_DEDUPED": 5, "LEGACY_LOGINID": 4}

var fixtureConflicts = map[string]int{"EXTERNAL_ID_TAKEN": 2, "ORG_EXTERNAL_ID_TAKEN": 1, "PAGE_NAME_CONFLICT": 1, "PREFERENCE_CONFLICT": 2}

func TestFixtureImportCounts(t *testing.T) {
	engines(t, func(t *testing.T, db *store.DB) {
		fixtureService(t, db)
		for table, want := range map[string]int64{"organisation": 7, "user": 27, "user_organisation": 34, "user_org": 8, "user_roles": 32,
			"user_consent": 6, "usr_external_identity": 9, "user_lookup": 71, "course_batch": 7, "sunbird.course_batch": 6,
			"course_management": 2, "page_management": 5, "bulk_upload_process": 3, "geo_location": 3, "badge_class_extension": 2,
			"tenant_preference": 3, "tenant_preference_v2": 3, "org_external_identity": 3} {
			if got := count(t, db, table, ""); got != want {
				t.Errorf("%s: %d rows, want %d", table, got, want)
			}
		}
	})
}

// EXPECTED.md §3: refused before any write, with the reason.
func TestFixtureValidation(t *testing.T) {
	engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := fixtureService(t, db)
		before := snapshot(t, db)
		for _, tc := range []struct {
			req  Request
			want string
		}{
			{Request{Source: fxINACT, Target: fxTGT}, ProblemOrgInactive},
			{Request{Source: fxSRC, Target: fxINACT}, ProblemOrgInactive},
			{Request{Source: fxSRC, Target: fxN1}, ProblemNotTenant},
			{Request{Source: fxC1, Target: fxTGT}, ProblemNotTenant},
			{Request{Source: fxSRC, Target: fxSRC}, ProblemSameOrg},
			{Request{Source: fxSRC, Target: fxTGT, Users: []string{fxT01}}, ProblemUserNotInSrc},
			{Request{Source: fxSRC, Target: "0000000000000000000"}, ProblemOrgNotFound},
		} {
			_, err := s.Migrate(ctx, MigrateOptions{Request: tc.req})
			p, perr := s.Plan(ctx, tc.req)
			if ferry.ErrorCode(err) != ferry.EVALIDATION || ferry.ErrorCode(perr) != ferry.EVALIDATION {
				t.Errorf("%+v: migrate %v, plan %v; want validation failures", tc.req, err, perr)
				continue
			}
			if len(p.Errors) != 1 || p.Errors[0].Code != tc.want {
				t.Errorf("%+v: reasons %v, want %s", tc.req, p.Errors, tc.want)
			}
		}
		// OTHER has istenant true and isrootorg null: a tenant.
		if p, err := s.Plan(ctx, Request{Source: fxOTHER, Target: fxTGT}); err != nil || !p.Valid {
			t.Errorf("OTHER as the source: %v", err)
		}
		wantEqual(t, "database after refused requests", snapshot(t, db), before)
	})
}

func TestFixtureMergeFollowsTheOracle(t *testing.T) {
	engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := fixtureService(t, db)
		before := snapshot(t, db)
		// The default policy: nothing changes, the conflicts are named.
		_, err := s.Migrate(ctx, MigrateOptions{Request: Request{Source: fxSRC, Target: fxTGT}})
		var pe *PlanError
		if ferry.ErrorCode(err) != ferry.ECONFLICT || !asPlanError(err, &pe) {
			t.Fatalf("default policy: %v, want a conflict refusal", err)
		}
		wantEqual(t, "conflicts named", codes(pe.Plan.Conflicts, func(c Conflict) string { return c.Code }), fixtureConflicts)
		wantEqual(t, "database after the refusal", snapshot(t, db), before)

		req := Request{Source: fxSRC, Target: fxTGT, OnConflict: OnConflictSkip}
		plan, err := s.Plan(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		res, err := s.Migrate(ctx, MigrateOptions{Request: req, BatchRows: 3})
		if err != nil {
			t.Fatal(err)
		}
		wantEqual(t, "changes", keysOf(res.Changes), keysOf(fixtureChanges))
		wantEqual(t, "plan changes", keysOf(plan.Changes), keysOf(fixtureChanges))
		wantEqual(t, "conflicts", codes(res.Conflicts, func(c Conflict) string { return c.Code }), fixtureConflicts)
		wantEqual(t, "notices", codes(res.Notices, func(n Notice) string { return n.Code }), fixtureNotices)

		// §4 row by row, where the oracle names values.
		wantEqual(t, "C2 provider", value(t, db, "organisation", "provider", "id = ?", fxC2), "pilotrajasthan")
		wantEqual(t, "C1 provider", value(t, db, "organisation", "provider", "id = ?", fxC1), "rj")
		wantEqual(t, "S05 membership", []any{
			value(t, db, "user_organisation", "roles", "userid = ? AND organisationid = ?", fxS05, fxTGT),
			value(t, db, "user_organisation", "orgjoindate", "userid = ? AND organisationid = ?", fxS05, fxTGT),
			value(t, db, "user_organisation", "associationtype", "userid = ? AND organisationid = ?", fxS05, fxTGT),
			value(t, db, "user_organisation", "position", "userid = ? AND organisationid = ?", fxS05, fxTGT),
			value(t, db, "user_organisation", "id", "userid = ? AND organisationid = ?", fxS05, fxTGT),
		}, []any{`["PUBLIC","CONTENT_REVIEWER"]`, "2018-05-19 06:01:45:000+0000", int64(6), "Reviewer", "0126400000000134623"})
		wantEqual(t, "user_org S05", value(t, db, "user_org", "orgjoindate", "id = '0124638844102082566'"), "2018-05-19 06:01:45:000+0000")
		wantEqual(t, "user_org S05 source row", count(t, db, "user_org", "id = '0124141087413207045'"), int64(0))
		// §6 invariants.
		wantEqual(t, "users of SRC", count(t, db, "user", "rootorgid = ?", fxSRC), int64(0))
		wantEqual(t, "users of TGT", count(t, db, "user", "rootorgid = ? AND channel = 'rj'", fxTGT), int64(27))
		wantEqual(t, "orgs under TGT", count(t, db, "organisation", "rootorgid = ?", fxTGT), int64(4))
		wantEqual(t, "SRC status", value(t, db, "organisation", "status", "id = ?", fxSRC), int64(0))
		wantEqual(t, "SRC channel", value(t, db, "organisation", "channel", "id = ?", fxSRC), "pilotrajasthan")
		wantEqual(t, "memberships of SRC", count(t, db, "user_organisation", "organisationid = ?", fxSRC), int64(0))
		wantEqual(t, "memberships", count(t, db, "user_organisation", ""), int64(33))
		wantEqual(t, "S05 target memberships", count(t, db, "user_organisation", "userid = ? AND organisationid = ?", fxS05, fxTGT), int64(1))
		wantEqual(t, "identities keyed by SRC", count(t, db, "usr_external_identity", "provider = ?", fxSRC), int64(1))
		wantEqual(t, "S08 identity", value(t, db, "usr_external_identity", "userid", "provider = ?", fxSRC), fxS08)
		wantEqual(t, "lookups keyed by SRC", count(t, db, "user_lookup", "value LIKE ?", "%@"+fxSRC), int64(1))
		for _, table := range []string{"course_batch", "sunbird.course_batch", "course_management"} {
			wantEqual(t, table+" createdfor with SRC", count(t, db, table, "createdfor LIKE ?", `%"`+fxSRC+`"%`), int64(0))
		}
		wantEqual(t, "row counts", map[string]int64{"organisation": count(t, db, "organisation", ""), "user_org": count(t, db, "user_org", ""),
			"user_lookup": count(t, db, "user_lookup", ""), "usr_external_identity": count(t, db, "usr_external_identity", "")},
			map[string]int64{"organisation": 7, "user_org": 7, "user_lookup": 71, "usr_external_identity": 9})

		v, err := s.Verify(ctx, fxSRC, fxTGT)
		if err != nil {
			t.Fatal(err)
		}
		if !v.OK || v.Remaining != 0 {
			t.Errorf("verify: %+v", v)
		}
		// SRC row, S08's identity and lookup, 3 consents, page …601, 2
		// preferences, 2 telemetry maps, C2's org external id.
		wantEqual(t, "kept", codes(v.Kept, func(k Kept) string { return k.Table }), map[string]int{"organisation": 1, "usr_external_identity": 1,
			"user_lookup": 1, "user_consent": 3, "page_management": 1, "tenant_preference": 1, "tenant_preference_v2": 1,
			"bulk_upload_process": 2, "org_external_identity": 1})

		// A second run changes nothing and says so.
		after := snapshot(t, db)
		again, err := s.Migrate(ctx, MigrateOptions{Request: req})
		if err != nil {
			t.Fatal(err)
		}
		wantEqual(t, "second run changes", keysOf(again.Changes), "")
		wantEqual(t, "second run conflicts", codes(again.Conflicts, func(c Conflict) string { return c.Code }), fixtureConflicts)
		if codes(again.Notices, func(n Notice) string { return n.Code })["MEMBERSHIP_MERGED"] != 0 {
			t.Error("the second run still merges memberships")
		}
		wantEqual(t, "database after the second run", snapshot(t, db), after)
	})
}
