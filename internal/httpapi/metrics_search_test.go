package httpapi_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/ferrymigrate/ferry/internal/auth"
	"github.com/ferrymigrate/ferry/internal/httpapi"
	"github.com/ferrymigrate/ferry/internal/search"
	"github.com/ferrymigrate/ferry/internal/search/searchmem"
	"github.com/ferrymigrate/ferry/internal/store"
	"github.com/ferrymigrate/ferry/internal/tenant"
)

// The search sync's metrics move with what it does: documents delivered
// and refused by entity, an index that cannot be reached, and the
// outbox's backlog, which a server given them exports at /metrics.
func TestSearchMetrics(t *testing.T) {
	engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		importExample(t, db)
		src := tenant.Documents{}
		sm := httpapi.NewSearchMetrics(src.Entities())
		s := startServer(t, db, httpapi.Config{Workers: -1, SearchMetrics: sm})
		scrape := func() string {
			t.Helper()
			resp, err := http.Get(s.url + "/metrics")
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			raw, _ := io.ReadAll(resp.Body)
			return string(raw)
		}
		// A merge queues its changes in the outbox.
		admin := token(t, db, auth.Admin)
		srv := startServer(t, db, httpapi.Config{})
		a := accepted(t, srv.call("POST", "/v1/tenant/migrate", admin, map[string]any{"sourceRootOrgId": source, "targetRootOrgId": target, "onConflict": "skip"}))
		srv.waitJob(admin, a.Job, "succeeded")
		out := scrape()
		for _, want := range []string{`ferry_search_outbox_pending{entity="user"}`, `ferry_search_outbox_oldest_pending_seconds{entity="user"}`, `ferry_search_outbox_pending{entity="course_batch"}`} {
			if !strings.Contains(out, want) {
				t.Errorf("/metrics lacks %s", want)
			}
		}
		if n := sample(out, `ferry_search_outbox_pending{entity="user"}`); n <= 0 {
			t.Errorf("%v user entries waiting after a merge", n)
		}
		if age := sample(out, `ferry_search_outbox_oldest_pending_seconds{entity="user"}`); age <= 0 || age > 60 {
			t.Errorf("the oldest user entry waits for %v s, want the time since the merge", age)
		}

		idx := searchmem.New()
		sy := &search.Syncer{DB: db, Index: idx, Source: src, Observer: sm}
		idx.SetBulkDown(true)
		if _, err := sy.Drain(ctx); err == nil {
			t.Fatal("a drain with the index down succeeded")
		}
		if n := testutil.ToFloat64(sm.Unavailable); n != 1 {
			t.Errorf("unavailable: %v, want 1", n)
		}
		if testutil.CollectAndCount(sm.DeliveredDocuments) != 0 {
			t.Error("documents counted as delivered while the index was down")
		}

		idx.SetBulkDown(false)
		idx.Refuse("u1", 400)
		if _, err := db.Exec(ctx, `UPDATE ferry_outbox SET claimed_until = 0`); err != nil {
			t.Fatal(err)
		}
		st, _ := sy.Drain(ctx)
		if st.Delivered == 0 {
			t.Fatalf("nothing delivered: %+v", st)
		}
		if n := testutil.ToFloat64(sm.ItemFailures.WithLabelValues("user", "400")); n != 1 {
			t.Errorf("user items refused with 400: %v, want 1", n)
		}
		var delivered float64
		for _, e := range src.Entities() {
			delivered += testutil.ToFloat64(sm.DeliveredDocuments.WithLabelValues(e))
		}
		if int64(delivered) != st.Documents-1 {
			t.Errorf("documents delivered: %v, want %d (all but the refused one)", delivered, st.Documents-1)
		}
		out = scrape()
		// Only u1's entries wait; the other entities report an empty backlog.
		u1 := queryInt(t, db, `SELECT count(*) FROM ferry_outbox WHERE delivered_at IS NULL AND entity = 'user' AND entity_key = 'u1'`)
		if pending := queryInt(t, db, `SELECT count(*) FROM ferry_outbox WHERE delivered_at IS NULL`); u1 == 0 || pending != u1 {
			t.Fatalf("%d entries pending, %d of them u1's; want only u1's", pending, u1)
		}
		for series, want := range map[string]float64{
			`ferry_search_outbox_pending{entity="user"}`:                        float64(u1),
			`ferry_search_outbox_pending{entity="organisation"}`:                0,
			`ferry_search_outbox_oldest_pending_seconds{entity="organisation"}`: 0,
			`ferry_search_item_failures_total{entity="user",status="400"}`:      1,
			`ferry_search_unavailable_total`:                                    1,
			`ferry_search_documents_delivered_total{entity="user"}`:             testutil.ToFloat64(sm.DeliveredDocuments.WithLabelValues("user")),
		} {
			if got := sample(out, series); got != want {
				t.Errorf("/metrics: %s %v, want %v", series, got, want)
			}
		}
	})
}

func queryInt(t *testing.T, db *store.DB, q string) int64 {
	t.Helper()
	var n int64
	if err := db.QueryRow(context.Background(), q).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// sample is the value of one series in a scrape, or -1.
func sample(scrape, series string) float64 {
	for _, line := range strings.Split(scrape, "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			var f float64
			if _, err := fmt.Sscan(v, &f); err == nil {
				return f
			}
		}
	}
	return -1
}
