package tenant

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ferrymigrate/ferry"
	"github.com/ferrymigrate/ferry/internal/store"
)

// fullChanges is what merging S into T with the skip policy writes, per
// table, worked out by hand from the sample (a re-keyed or merged row
// counts once; organisation includes the source set INACTIVE).
var fullChanges = map[string]int64{
	"organisation": 3, "org_external_identity": 1, "user": 6, "user_organisation": 6, "user_org": 2,
	"usr_external_identity": 2, "user_lookup": 1, "user_roles": 5, "user_consent": 1,
	"course_batch": 4, "sunbird.course_batch": 2, "course_management": 1, "page_management": 1,
	"bulk_upload_process": 1, "geo_location": 1, "badge_class_extension": 1, "tenant_preference": 1,
	"tenant_preference_v2": 1, "content": 1,
}

var fullConflicts = map[string]int{"ORG_EXTERNAL_ID_TAKEN": 1, "EXTERNAL_ID_TAKEN": 2, "PAGE_NAME_CONFLICT": 1, "PREFERENCE_CONFLICT": 2}

var fullNotices = map[string]int{"NESTED_ORG_NORMALISED": 1, "MEMBERSHIP_MERGED": 2, "LEGACY_LOGINID": 1, "DUPLICATE_EMAIL": 1,
	"ROLE_SCOPE_WIDENED": 1, "CONSENT_REVOKED": 1, "CREATEDFOR_DEDUPED": 3}

func TestPlanCountsWhatTheMergeWrites(t *testing.T) {
	engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := imported(t, db, sample)
		before := snapshot(t, db)
		p, err := s.Plan(ctx, Request{Source: idS, Target: idT, OnConflict: OnConflictSkip})
		if err != nil {
			t.Fatal(err)
		}
		wantEqual(t, "plan changes", keysOf(p.Changes), keysOf(fullChanges))
		wantEqual(t, "plan conflicts", codes(p.Conflicts, func(c Conflict) string { return c.Code }), fullConflicts)
		wantEqual(t, "plan notices", codes(p.Notices, func(n Notice) string { return n.Code }), fullNotices)
		if !p.SourceDeactivated || p.Skipped != 6 {
			t.Errorf("plan: source deactivated %v, skipped %d; want true, 6", p.SourceDeactivated, p.Skipped)
		}
		wantEqual(t, "database after plan", snapshot(t, db), before)

		res, err := s.Migrate(ctx, MigrateOptions{Request: Request{Source: idS, Target: idT, OnConflict: OnConflictSkip}, BatchRows: 2})
		if err != nil {
			t.Fatal(err)
		}
		wantEqual(t, "merge changes", keysOf(res.Changes), keysOf(fullChanges))
		wantEqual(t, "merge conflicts", res.Conflicts, p.Conflicts)
		if !res.SourceDeactivated {
			t.Error("the source was not set INACTIVE")
		}
	})
}

// The default policy refuses a merge with conflicts and changes nothing.
func TestConflictsUnderFailChangeNothing(t *testing.T) {
	engines(t, func(t *testing.T, db *store.DB) {
		s := imported(t, db, sample)
		before := snapshot(t, db)
		res, err := s.Migrate(context.Background(), MigrateOptions{Request: Request{Source: idS, Target: idT}})
		var pe *PlanError
		if !errors.As(err, &pe) || ferry.ErrorCode(err) != ferry.ECONFLICT {
			t.Fatalf("err = %v, want a conflict PlanError", err)
		}
		if len(res.Conflicts) != 6 {
			t.Errorf("%d conflicts reported, want 6", len(res.Conflicts))
		}
		wantEqual(t, "database after a refused merge", snapshot(t, db), before)
	})
}

// P1-P12 on the sample: the rows the hand-worked result names.
func TestMergeFollowsThePolicies(t *testing.T) {
	engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := imported(t, db, sample)
		if _, err := s.Migrate(ctx, MigrateOptions{Request: Request{Source: idS, Target: idT, OnConflict: OnConflictSkip, Actor: "admin-1"}}); err != nil {
			t.Fatal(err)
		}
		// P1, P11: both children re-pointed; C2 keeps its provider, its
		// external id being taken under beta.
		wantEqual(t, "C1", []any{value(t, db, "organisation", "rootorgid", "id = ?", idC1), value(t, db, "organisation", "channel", "id = ?", idC1), value(t, db, "organisation", "provider", "id = ?", idC1)}, []any{idT, "beta", "beta"})
		wantEqual(t, "C2", []any{value(t, db, "organisation", "rootorgid", "id = ?", idC2), value(t, db, "organisation", "provider", "id = ?", idC2)}, []any{idT, "alpha"})
		wantEqual(t, "org external ids under beta", count(t, db, "org_external_identity", "provider = 'beta'"), int64(2))
		// P2: the source keeps its channel and slug, and is INACTIVE.
		wantEqual(t, "source", []any{value(t, db, "organisation", "status", "id = ?", idS), value(t, db, "organisation", "slug", "id = ?", idS)}, []any{int64(0), "alpha"})
		// P3: every source user, the deleted one too; ciphertexts unchanged.
		wantEqual(t, "users left in S", count(t, db, "user", "rootorgid = ?", idS), int64(0))
		wantEqual(t, "u1 e-mail", value(t, db, "user", "email", "id = 'u1'"), mailU1)
		wantEqual(t, "u6 touched by", value(t, db, "user", "updatedby", "id = 'u6'"), "admin-1")
		// P4: u3's membership merged into the target's row m5.
		wantEqual(t, "memberships", count(t, db, "user_organisation", ""), int64(9))
		wantEqual(t, "m5", []any{value(t, db, "user_organisation", "roles", "id = 'm5'"), value(t, db, "user_organisation", "orgjoindate", "id = 'm5'"),
			value(t, db, "user_organisation", "associationtype", "id = 'm5'"), value(t, db, "user_organisation", "position", "id = 'm5'")},
			[]any{`["PUBLIC","CONTENT_REVIEWER","COURSE_MENTOR"]`, "2018-05-19 06:01:45:000+0000", int64(6), "Reviewer"})
		wantEqual(t, "m8 keeps isdeleted", value(t, db, "user_organisation", "organisationid", "id = 'm8'"), idT)
		wantEqual(t, "child membership", value(t, db, "user_organisation", "organisationid", "id = 'm3'"), idC1)
		// P5: legacy user_org merged, lo2 deleted.
		wantEqual(t, "user_org rows", count(t, db, "user_org", ""), int64(3))
		wantEqual(t, "lo3 join date", value(t, db, "user_org", "orgjoindate", "id = 'lo3'"), "2018-05-19 06:01:45:000+0000")
		// P6, P7: re-keyed except the taken emp-9.
		wantEqual(t, "identities under S", count(t, db, "usr_external_identity", "provider = ?", idS), int64(1))
		wantEqual(t, "declared-email ciphertext", value(t, db, "usr_external_identity", "externalid", "provider = ? AND idtype = 'declared-email'", idT), "abc\ndef==")
		wantEqual(t, "lookup re-keyed", value(t, db, "user_lookup", "userid", "value = ?", "ext-1@"+idT), "u1")
		// P8: scopes rewritten, duplicates dropped, first kept.
		wantEqual(t, "u3 PUBLIC", value(t, db, "user_roles", "scope", "userid = 'u3' AND role = 'PUBLIC'"), `[{"organisationId":"`+idT+`"}]`)
		wantEqual(t, "u3 mentor", value(t, db, "user_roles", "scope", "userid = 'u3' AND role = 'COURSE_MENTOR'"), `[{"organisationId":"`+idC1+`"},{"organisationId":"`+idT+`"}]`)
		// P9: revoked, not re-keyed.
		wantEqual(t, "consent", value(t, db, "user_consent", "status", "user_id = 'u3' AND consumer_id = ?", idS), "REVOKED")
		// P10: every occurrence replaced, repeats dropped.
		for b, want := range map[string]string{"b1": `["` + idT + `"]`, "b2": `["` + idT + `"]`, "b3": `["` + idT + `"]`, "b4": `["` + idC1 + `","` + idT + `"]`, "b6": `["` + idO + `"]`} {
			wantEqual(t, "createdfor "+b, value(t, db, "course_batch", "createdfor", "batchid = ?", b), want)
		}
		wantEqual(t, "legacy l2", value(t, db, "sunbird.course_batch", "createdfor", "id = 'l2'"), `["`+idT+`"]`)
		// P12: moved unless the name or key is taken.
		wantEqual(t, "pages", []any{value(t, db, "page_management", "organisationid", "id = 'p1'"), value(t, db, "page_management", "organisationid", "id = 'p2'")}, []any{idS, idT})
		wantEqual(t, "cm1", []any{value(t, db, "course_management", "organisationid", "id = 'cm1'"), value(t, db, "course_management", "organisationname", "id = 'cm1'")}, []any{idT, "Beta State"})
		wantEqual(t, "tp1 tenant name", value(t, db, "tenant_preference", "tenantname", "id = 'tp1'"), "Beta State")
		wantEqual(t, "v2 banner keeps createdby", value(t, db, "tenant_preference_v2", "createdby", "orgid = ? AND key = 'banner'", idT), "u1")
		wantEqual(t, "telemetry map kept", value(t, db, "bulk_upload_process", "telemetrycontext", "id = 'bu1'"), `{"channel":"`+idS+`","pdata":"x"}`)
		wantEqual(t, "content channel", value(t, db, "content", "channel", "id = 'do_x'"), idT)

		v, err := s.Verify(ctx, idS, idT)
		if err != nil {
			t.Fatal(err)
		}
		if !v.OK || v.Remaining != 0 {
			t.Errorf("verify: ok %v, remaining %d %v, issues %v", v.OK, v.Remaining, v.ByTable, v.Issues)
		}
		wantEqual(t, "kept", len(v.Kept), 10)
	})
}

// A second run changes nothing and reports the same conflicts; the
// memberships it merged are gone.
func TestSecondMergeChangesNothing(t *testing.T) {
	engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := imported(t, db, sample)
		req := Request{Source: idS, Target: idT, OnConflict: OnConflictSkip}
		first, err := s.Migrate(ctx, MigrateOptions{Request: req})
		if err != nil {
			t.Fatal(err)
		}
		after := snapshot(t, db)
		second, err := s.Migrate(ctx, MigrateOptions{Request: req})
		if err != nil {
			t.Fatal(err)
		}
		wantEqual(t, "second changes", keysOf(second.Changes), "")
		wantEqual(t, "second conflicts", second.Conflicts, first.Conflicts)
		if codes(second.Notices, func(n Notice) string { return n.Code })["MEMBERSHIP_MERGED"] != 0 {
			t.Error("the second run reports MEMBERSHIP_MERGED")
		}
		wantEqual(t, "database after the second run", snapshot(t, db), after)
	})
}

// Decision 4 and EXPECTED §3: every reason at once, nothing changed.
func TestValidationListsEveryReason(t *testing.T) {
	engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := imported(t, db, sample)
		for _, tc := range []struct {
			name string
			req  Request
			want []string
		}{
			{"inactive source", Request{Source: idI, Target: idT}, []string{ProblemOrgInactive}},
			{"inactive target", Request{Source: idS, Target: idI}, []string{ProblemOrgInactive}},
			{"non-root target", Request{Source: idS, Target: idN}, []string{ProblemNotTenant}},
			{"child source", Request{Source: idC1, Target: idT}, []string{ProblemNotTenant}},
			{"same", Request{Source: idS, Target: idS}, []string{ProblemSameOrg}},
			{"user of the target", Request{Source: idS, Target: idT, Users: []string{"t1"}}, []string{ProblemUserNotInSrc}},
			{"missing target", Request{Source: idS, Target: "0000"}, []string{ProblemOrgNotFound}},
			{"unknown entity", Request{Source: idS, Target: idT, Entities: []string{"user", "badges"}}, []string{ProblemUnknownEntity}},
			{"all at once", Request{Source: idC1, Target: idC1, Entities: []string{"x"}, OnConflict: "merge"},
				[]string{ProblemUnknownEntity, ProblemUnknownPolicy, ProblemNotTenant, ProblemNotTenant, ProblemSameOrg}},
		} {
			p, err := s.Plan(ctx, tc.req)
			if ferry.ErrorCode(err) != ferry.EVALIDATION || p == nil || p.Valid {
				t.Errorf("%s: err %v, want a validation failure", tc.name, err)
				continue
			}
			var got []string
			for _, e := range p.Errors {
				got = append(got, e.Code)
			}
			wantEqual(t, tc.name, got, tc.want)
		}
		// A tenant whose isrootorg is null but istenant true is valid.
		if _, err := s.Plan(ctx, Request{Source: idO, Target: idT, OnConflict: OnConflictSkip}); err != nil {
			t.Errorf("OTHER as a source: %v", err)
		}
	})
}

// Whether a step reads its table in key order is decided by its own row
// count; a checkpoint from before steps were counted falls back to its
// table's.
func TestScanDecidedPerStep(t *testing.T) {
	memberships := &step{table: tbl("user_organisation")}
	plan := &Plan{Changes: map[string]int64{"user_organisation": 41678}}
	tests := []struct {
		name string
		cp   mergeCheckpoint
		i    int
		want int64
	}{
		{"the step's own count", mergeCheckpoint{Plan: plan, StepRows: []int64{3, 40000, 1678}}, 2, 1678},
		{"an older checkpoint: the table's count", mergeCheckpoint{Plan: plan}, 2, 41678},
		{"no plan", mergeCheckpoint{}, 0, 0},
	}
	for _, tt := range tests {
		if got := tt.cp.stepRows(tt.i, memberships); got != tt.want {
			t.Errorf("%s: %d rows, want %d", tt.name, got, tt.want)
		}
	}
}

// The steps of a large tenant read their tables by ranges of pages (on
// PostgreSQL, by the rows' physical place) instead of finding the rows by
// their keys: that path ends in the same rows, journal and outbox as the
// other, on a dataset large enough to span many pages and batches.
func TestPageRangesReachTheSameState(t *testing.T) {
	dir, gen := generated(t, GenerateOptions{Users: 600, Overlap: 5, Seed: 7})
	engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, before, req := importedGenerated(t, db, dir, gen)
		at := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
		var states, journals, outboxes []map[string][]string
		var reports []MigrateResult
		for _, scan := range []bool{false, true} {
			res, err := s.Migrate(ctx, MigrateOptions{Request: req, BatchRows: 50, scanAll: scan, at: at})
			if err != nil {
				t.Fatalf("merge (page ranges %v): %v", scan, err)
			}
			states = append(states, snapshot(t, db))
			journals = append(journals, journalOf(t, db, res.JobID))
			outboxes = append(outboxes, queuedBy(t, db, res.JobID))
			if _, err := s.Rollback(ctx, RollbackOptions{Job: res.JobID}); err != nil {
				t.Fatalf("rollback (page ranges %v): %v", scan, err)
			}
			wantSnapshot(t, "after the rollback", snapshot(t, db), before)
			res.JobID, res.Duration = 0, 0
			reports = append(reports, res)
		}
		if reports[0].Changes["user"] < 200 {
			t.Fatalf("the merge changed %d users: the dataset is too small to span pages", reports[0].Changes["user"])
		}
		wantSnapshot(t, "merged by page ranges", states[1], states[0])
		wantSnapshot(t, "journal by page ranges", journals[1], journals[0])
		wantSnapshot(t, "outbox by page ranges", outboxes[1], outboxes[0])
		wantEqual(t, "report by page ranges", reports[1], reports[0])
	})
}

// journalOf is a job's journal, entry by entry, images canonical, by table.
func journalOf(t *testing.T, db *store.DB, job int64) map[string][]string {
	t.Helper()
	return rowsOf(t, db, `SELECT entity, entity_key || ' ' || action, before, after FROM ferry_journal WHERE job_id = ?`, job)
}

// queuedBy is what a job queued for the search index, by entity.
func queuedBy(t *testing.T, db *store.DB, job int64) map[string][]string {
	t.Helper()
	return rowsOf(t, db, `SELECT entity, entity_key, '', '' FROM ferry_outbox WHERE job_id = ?`, job)
}

// rowsOf groups a query's rows by their first column, sorted; the third
// and fourth columns are row images, compared in canonical form.
func rowsOf(t *testing.T, db *store.DB, q string, args ...any) map[string][]string {
	t.Helper()
	rows, err := db.Query(context.Background(), q, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var group, what, before, after string
		if err := rows.Scan(&group, &what, &before, &after); err != nil {
			t.Fatal(err)
		}
		for _, img := range []*string{&before, &after} {
			if *img != "" {
				*img = canonicalImage(t, *img)
			}
		}
		out[group] = append(out[group], what+" "+before+" "+after)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for _, v := range out {
		sort.Strings(v)
	}
	return out
}

// The child orgs a merge found are stored once beside its plan, not in the
// checkpoint every batch rewrites; an interrupted merge resumes with them,
// and so does one whose checkpoint, written by an earlier version, still
// carries them.
func TestResumedMergeKeepsItsChildOrgs(t *testing.T) {
	dir, gen := generated(t, GenerateOptions{Users: 300, Overlap: 5, Seed: 3})
	engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, before, req := importedGenerated(t, db, dir, gen)
		at := time.Date(2026, 12, 3, 11, 0, 0, 0, time.UTC)
		ref, err := s.Migrate(ctx, MigrateOptions{Request: req, BatchRows: 40, at: at})
		if err != nil {
			t.Fatal(err)
		}
		want := snapshot(t, db)
		if ref.Changes["organisation"] < 3 {
			t.Fatalf("the merge moved %d orgs: the dataset has too few child orgs", ref.Changes["organisation"])
		}
		if _, err := s.Rollback(ctx, RollbackOptions{Job: ref.JobID}); err != nil {
			t.Fatal(err)
		}
		wantSnapshot(t, "after the rollback", snapshot(t, db), before)

		for _, old := range []bool{false, true} {
			// Interrupted after its first batch: the checkpoint has the
			// plan and one batch.
			ictx, cancel := context.WithCancel(ctx)
			_, err := s.Migrate(ictx, MigrateOptions{Request: req, BatchRows: 40, at: at, afterBatch: cancel})
			cancel()
			if err == nil {
				t.Fatal("the interrupted merge finished")
			}
			job := jobOfKind(t, db, "tenant.migrate")
			var cpText, closures string
			if err := db.QueryRow(ctx, `SELECT checkpoint, closures FROM ferry_job j JOIN sb_merge_plan p ON p.job_id = j.id WHERE j.id = ?`, job).Scan(&cpText, &closures); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(cpText, `"closure"`) {
				t.Errorf("the checkpoint carries the child orgs: %.200s", cpText)
			}
			if old {
				// As an earlier version wrote it: the child orgs in the
				// checkpoint, none beside the plan.
				var cp map[string]any
				var c mergeClosures
				if err := json.Unmarshal([]byte(cpText), &cp); err != nil {
					t.Fatal(err)
				}
				if err := json.Unmarshal([]byte(closures), &c); err != nil {
					t.Fatal(err)
				}
				cp["closure"], cp["targetClosure"] = c.Source, c.Target
				if _, err := db.Exec(ctx, `UPDATE ferry_job SET checkpoint = ? WHERE id = ?`, string(mustJSON(cp)), job); err != nil {
					t.Fatal(err)
				}
				if _, err := db.Exec(ctx, `UPDATE sb_merge_plan SET closures = '' WHERE job_id = ?`, job); err != nil {
					t.Fatal(err)
				}
			}
			res, err := s.Migrate(ctx, MigrateOptions{Request: req, BatchRows: 40})
			if err != nil {
				t.Fatalf("resuming (old checkpoint %v): %v", old, err)
			}
			if !res.Resumed {
				t.Fatalf("old checkpoint %v: the merge started again instead of resuming", old)
			}
			wantSnapshot(t, fmt.Sprintf("resumed merge (old checkpoint %v)", old), snapshot(t, db), want)
			wantEqual(t, "changes of the resumed merge", res.Changes, ref.Changes)
			if _, err := s.Rollback(ctx, RollbackOptions{Job: res.JobID}); err != nil {
				t.Fatal(err)
			}
			wantSnapshot(t, "after the rollback", snapshot(t, db), before)
		}
	})
}

// jobOfKind is the id of the newest job of a kind.
func jobOfKind(t *testing.T, db *store.DB, kind string) int64 {
	t.Helper()
	var id int64
	if err := db.QueryRow(context.Background(), `SELECT max(id) FROM ferry_job WHERE kind = ?`, kind).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// importedGenerated is a service over a database holding a generated
// dataset, the state before any merge, and the request merging its
// tenants under the skip policy.
func importedGenerated(t *testing.T, db *store.DB, dir string, gen GenerateResult) (*Service, map[string][]string, Request) {
	t.Helper()
	s := newService(t, db)
	if _, err := s.Import(context.Background(), ImportOptions{Dir: dir, MaxRejects: -1}); err != nil {
		t.Fatal(err)
	}
	return s, snapshot(t, db), Request{Source: gen.Source, Target: gen.Target, OnConflict: OnConflictSkip}
}
