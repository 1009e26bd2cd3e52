package registrar

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/ferrymigrate/ferry/internal/store"
)

// The facts a PostgreSQL load builds on its side connection live in
// unlogged tables that hold personal data (senior officials' names and
// e-mails); the load that built them drops them, and a load that finds
// leftovers of an interrupted one replaces them.
func TestSideFactsDropped(t *testing.T) {
	t.Parallel()
	files := ownFiles(t)
	engines(t, func(t *testing.T, db *store.DB) {
		leftovers := func() int64 {
			if db.Dialect() != store.Postgres {
				return queryInt(t, db, `SELECT count(*) FROM sqlite_master WHERE name IN ('`+sideStatus+`', '`+sideEnrich+`')`)
			}
			return queryInt(t, db, `SELECT count(*) FROM pg_class WHERE relnamespace = current_schema()::regnamespace AND relname IN ('`+sideStatus+`', '`+sideEnrich+`')`)
		}
		if db.Dialect() == store.Postgres {
			// What an interrupted load could leave behind.
			if _, err := db.Exec(t.Context(), `CREATE UNLOGGED TABLE `+sideEnrich+` AS SELECT 'stale.gov' AS domain_name`); err != nil {
				t.Fatal(err)
			}
		}
		res := mustLoad(t, newService(t, db), loadOpts(files))
		eq(t, "enriched", res.Enriched, true)
		eq(t, "side tables left", leftovers(), int64(0))
		eq(t, "stale rows staged", queryInt(t, db, `SELECT count(*) FROM transition_domain WHERE domain_name = 'stale.gov'`), int64(0))
		eq(t, "staging rows", stagingRows(t, db), ownStaging)
		eq(t, "enrichment", stagingEnrichment(t, db), ownEnrichment)
	})
}

// The side connection plans its queries with the statistics it can see,
// which are only the committed ones. Every load after the first on a
// database used to find the previous job's statistics there (the new ones
// sat in the load's own uncommitted transaction): the planner expected a
// handful of rows, nested its loops, and the load grew quadratic (98.6 s
// at 20k domains against 1.8 s for the first load). Each load's side
// connection must see estimates of its own scratch rows.
func TestSideConnectionSeesThisLoadsStatistics(t *testing.T) {
	files := generatedFiles(t)
	engines(t, func(t *testing.T, db *store.DB) {
		if db.Dialect() != store.Postgres {
			t.Skip("only PostgreSQL builds facts on a second connection")
		}
		type estimate struct{ planned, actual float64 }
		var seen []estimate
		sideStarted = func(ctx context.Context, stx *store.Tx, jobID int64) error {
			var plan string
			if err := stx.QueryRow(ctx, `EXPLAIN (FORMAT JSON) SELECT * FROM load_domain_contact WHERE job_id = `+fmt.Sprint(jobID)).Scan(&plan); err != nil {
				return err
			}
			var parsed []struct {
				Plan struct {
					Rows float64 `json:"Plan Rows"`
				} `json:"Plan"`
			}
			if err := json.Unmarshal([]byte(plan), &parsed); err != nil {
				return err
			}
			var n float64
			if err := stx.QueryRow(ctx, `SELECT count(*) FROM load_domain_contact WHERE job_id = ?`, jobID).Scan(&n); err != nil {
				return err
			}
			seen = append(seen, estimate{parsed[0].Plan.Rows, n})
			return nil
		}
		t.Cleanup(func() { sideStarted = nil })
		s := newService(t, db)
		mustLoad(t, s, loadOpts(files))
		mustLoad(t, s, loadOpts(files)) // the documented no-op rerun
		mustLoad(t, s, loadOpts(core(files)))
		if len(seen) != 3 {
			t.Fatalf("side connection started %d times, want 3", len(seen))
		}
		for i, e := range seen {
			if e.actual == 0 || e.planned < e.actual/2 || e.planned > e.actual*2 {
				t.Errorf("load %d: the side connection expected %.0f scratch rows of %.0f", i+1, e.planned, e.actual)
			}
		}
	})
}

// A dry run leaves no side tables behind either: their drop was rolled
// back with the rest.
func TestDryRunLeavesNoSideFacts(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, db *store.DB) {
		if db.Dialect() != store.Postgres {
			t.Skip("only PostgreSQL builds facts on a second connection")
		}
		opts := loadOpts(ownFiles(t))
		opts.DryRun = true
		res := mustLoad(t, newService(t, db), opts)
		eq(t, "dry run", res.DryRun, true)
		eq(t, "staging rows", countRows(t, db, "transition_domain"), int64(0))
		eq(t, "side tables left", queryInt(t, db, `SELECT count(*) FROM pg_class WHERE relnamespace = current_schema()::regnamespace AND relname IN ('`+sideStatus+`', '`+sideEnrich+`')`), int64(0))
	})
}
