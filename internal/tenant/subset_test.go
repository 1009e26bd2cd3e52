package tenant

import (
	"context"
	"testing"

	"github.com/ferrymigrate/ferry/internal/store"
)

// Decision 2 and 3: an entity subset moves only what its entities hold,
// a user subset only those users' rows; in both the source keeps what is
// left and stays ACTIVE (decision 15), and the plan's counts are the
// merge's.
func TestSubsetsMoveOnlyWhatTheyName(t *testing.T) {
	for _, tc := range []struct {
		name    string
		req     Request
		changes map[string]int64
		usersS  int64 // users left in the source
	}{
		{"org only", Request{Source: idS, Target: idT, Entities: []string{EntityOrg}, OnConflict: OnConflictSkip},
			map[string]int64{"organisation": 2, "org_external_identity": 1, "course_management": 1, "page_management": 1, "bulk_upload_process": 1,
				"geo_location": 1, "badge_class_extension": 1, "tenant_preference": 1, "tenant_preference_v2": 1}, 6},
		{"content only", Request{Source: idS, Target: idT, Entities: []string{EntityContent}},
			map[string]int64{"course_batch": 4, "sunbird.course_batch": 2, "content": 1}, 6},
		{"two users", Request{Source: idS, Target: idT, Entities: []string{EntityUser}, Users: []string{"u1", "u3"}},
			map[string]int64{"user": 2, "user_organisation": 2, "user_org": 2, "usr_external_identity": 1, "user_lookup": 1, "user_roles": 4, "user_consent": 1}, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			engines(t, func(t *testing.T, db *store.DB) {
				ctx := context.Background()
				s := imported(t, db, sample)
				p, err := s.Plan(ctx, tc.req)
				if err != nil {
					t.Fatal(err)
				}
				res, err := s.Migrate(ctx, MigrateOptions{Request: tc.req, BatchRows: 2})
				if err != nil {
					t.Fatal(err)
				}
				wantEqual(t, "plan", keysOf(p.Changes), keysOf(tc.changes))
				wantEqual(t, "merge", keysOf(res.Changes), keysOf(tc.changes))
				wantEqual(t, "users left in the source", count(t, db, "user", "rootorgid = ?", idS), tc.usersS)
				wantEqual(t, "source status", value(t, db, "organisation", "status", "id = ?", idS), int64(1))
				if res.SourceDeactivated {
					t.Error("a partial merge set the source INACTIVE")
				}
			})
		})
	}
}
