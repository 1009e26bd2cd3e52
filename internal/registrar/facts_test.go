package registrar

import (
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
			return queryInt(t, db, `SELECT count(*) FROM pg_class WHERE relname IN ('`+sideStatus+`', '`+sideEnrich+`')`)
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
