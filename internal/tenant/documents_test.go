package tenant

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/ferrymigrate/ferry/internal/search"
	"github.com/ferrymigrate/ferry/internal/search/searchmem"
	"github.com/ferrymigrate/ferry/internal/store"
)

func docField(t *testing.T, idx *searchmem.Index, index, id string) map[string]any {
	t.Helper()
	b, found, err := idx.Get(context.Background(), index, id)
	if err != nil || !found {
		t.Fatalf("%s/%s: found %v, %v", index, id, found, err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// The index as the platform had it before the merge, then the merge, then
// the outbox drained: the index agrees with the database for both tenants,
// and the documents carry the target in their denormalised fields.
func TestMergedTenantsDocumentsFollowTheMerge(t *testing.T) {
	engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := imported(t, db, sample)
		idx := searchmem.New()
		src := Documents{}
		for _, tenant := range []string{idS, idT} {
			if _, err := search.Reindex(ctx, db, idx, src, "", tenant, 3); err != nil {
				t.Fatalf("reindex %s before: %v", tenant, err)
			}
		}
		wantEqual(t, "u1 before", docField(t, idx, IndexUser, "u1")["rootOrgId"], idS)
		if _, err := s.Migrate(ctx, MigrateOptions{Request: Request{Source: idS, Target: idT, OnConflict: OnConflictSkip}}); err != nil {
			t.Fatal(err)
		}
		// Before the sync the index still shows the source.
		v, err := search.Verify(ctx, db, idx, src, "", idT)
		if err != nil {
			t.Fatal(err)
		}
		if v.OK || v.Indexes[IndexUser].Missing == 0 {
			t.Fatalf("verify before the sync found nothing missing: %+v", v.Indexes[IndexUser])
		}
		sy := &search.Syncer{DB: db, Index: idx, Source: src, Batch: 4}
		st, err := sy.Drain(ctx)
		if err != nil {
			t.Fatalf("drain: %v (%+v)", err, st)
		}
		if st.Failed != 0 || st.Delivered != st.Entries || st.Documents > st.Entries {
			t.Fatalf("stats %+v", st)
		}
		for _, tenant := range []string{idS, idT} {
			v, err := search.Verify(ctx, db, idx, src, "", tenant)
			if err != nil {
				t.Fatal(err)
			}
			if !v.OK {
				t.Errorf("verify %s after the sync: %+v %+v", tenant, v.Indexes, v.Differences)
			}
		}
		u1 := docField(t, idx, IndexUser, "u1")
		wantEqual(t, "u1 tenant", []any{u1["rootOrgId"], u1["rootOrgName"]}, []any{idT, "Beta State"})
		wantEqual(t, "b4 createdFor", docField(t, idx, IndexCourseBatch, "b4")["createdFor"], []any{idC1, idT})
		wantEqual(t, "C1 root", docField(t, idx, IndexOrg, idC1)["rootOrgId"], idT)
		var orgs []string
		for _, m := range docField(t, idx, IndexUser, "u2")["organisations"].([]any) {
			orgs = append(orgs, m.(map[string]any)["organisationId"].(string))
		}
		wantEqual(t, "u2 memberships", orgs, []string{idC1, idT})
		u3 := docField(t, idx, IndexUser, "u3")["organisations"].([]any)
		wantEqual(t, "u3 merged membership", []any{len(u3), u3[0].(map[string]any)["roles"]}, []any{1, []any{"PUBLIC", "CONTENT_REVIEWER", "COURSE_MENTOR"}})
		if n, _ := idx.Count(ctx, IndexUser, "rootOrgId", idS); n != 0 {
			t.Errorf("%d user documents still under the source", n)
		}
		// Nothing left to send.
		again, err := sy.Drain(ctx)
		if err != nil || again.Entries != 0 {
			t.Fatalf("second drain %+v, %v", again, err)
		}
	})
}

// A document the index refuses stays pending, with the reason, while the
// rest are delivered; once the index takes it, the next sync delivers it.
func TestRefusedDocumentStaysPendingUntilTheIndexTakesIt(t *testing.T) {
	engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := imported(t, db, sample)
		if _, err := s.Migrate(ctx, MigrateOptions{Request: Request{Source: idS, Target: idT, OnConflict: OnConflictSkip}}); err != nil {
			t.Fatal(err)
		}
		idx := searchmem.New()
		idx.Refuse("u1", 400)
		sy := &search.Syncer{DB: db, Index: idx, Source: Documents{}}
		st, err := sy.Drain(ctx)
		var partial *search.PartialError
		if !errors.As(err, &partial) || st.Failed == 0 || len(st.Failures) == 0 || st.Failures[0].Key != "u1" || st.Failures[0].Status != 400 {
			t.Fatalf("drain: %v, %+v", err, st)
		}
		pending := queryInts(t, db, `SELECT count(*) FROM ferry_outbox WHERE delivered_at IS NULL AND entity = 'user' AND entity_key = 'u1' AND last_error LIKE 'status 400:%'`)
		if pending == 0 {
			t.Fatal("u1's entry is not pending with its reason")
		}
		if n := queryInts(t, db, `SELECT count(*) FROM ferry_outbox WHERE delivered_at IS NULL AND entity_key <> 'u1'`); n != 0 {
			t.Fatalf("%d other entries undelivered", n)
		}
		// Its backoff over (set it so), the index now taking it.
		idx.Refuse("u1", 0)
		if _, err := db.Exec(ctx, `UPDATE ferry_outbox SET claimed_until = 0`); err != nil {
			t.Fatal(err)
		}
		if st, err := sy.Drain(ctx); err != nil || st.Delivered != pending {
			t.Fatalf("second drain %+v, %v", st, err)
		}
		wantEqual(t, "u1 indexed", docField(t, idx, IndexUser, "u1")["rootOrgId"], idT)
	})
}

// An index that cannot be reached loses nothing: every entry stays
// pending and the sync says the index is unavailable.
func TestUnreachableIndexLosesNoEntry(t *testing.T) {
	engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := imported(t, db, sample)
		if _, err := s.Migrate(ctx, MigrateOptions{Request: Request{Source: idS, Target: idT, OnConflict: OnConflictSkip}}); err != nil {
			t.Fatal(err)
		}
		before := queryInts(t, db, `SELECT count(*) FROM ferry_outbox WHERE delivered_at IS NULL`)
		idx := searchmem.New()
		sy := &search.Syncer{DB: db, Index: idx, Source: Documents{}}
		idx.SetBulkDown(true)
		st, err := sy.Drain(ctx)
		if !errors.Is(err, search.ErrUnavailable) || st.Delivered != 0 {
			t.Fatalf("drain with the index down: %v, %+v", err, st)
		}
		// The entries wait their backoff; a new worker, finding the index
		// down altogether, says so too.
		idx.SetDown(true)
		fresh := &search.Syncer{DB: db, Index: idx, Source: Documents{}}
		if _, err := fresh.Drain(ctx); !errors.Is(err, search.ErrUnavailable) {
			t.Fatalf("drain with the index down from the start: %v", err)
		}
		if after := queryInts(t, db, `SELECT count(*) FROM ferry_outbox WHERE delivered_at IS NULL`); after != before || before == 0 {
			t.Fatalf("pending %d before, %d after", before, after)
		}
	})
}

func queryInts(t *testing.T, db *store.DB, q string) int64 {
	t.Helper()
	var n int64
	if err := db.QueryRow(context.Background(), q).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}
