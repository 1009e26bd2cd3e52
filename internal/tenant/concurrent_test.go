package tenant

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ferrymigrate/ferry/internal/store"
)

// A page range's batch changes the rows it read by their tuple ids,
// without locking them first. A row another transaction changes between
// the batch's snapshot and its change must be neither lost (left in the
// source) nor journalled with an image it no longer had (which a rollback
// would restore over the other transaction's change): the batch does it
// again, locked by key, as it is now.
func TestRangeBatchRedoesARowChangedUnderIt(t *testing.T) {
	dir, gen := generated(t, GenerateOptions{Users: 300, Overlap: 5, Seed: 11})
	// Each case: the row the other writer changes (the last of the source's
	// that the merge changes), its change, and what the merge must leave.
	cases := []struct {
		name, table, pick, change, waits string
		check, rolledBack                func(t *testing.T, db *store.DB, req Request, key string, before string)
	}{{
		name: "an update", table: "user", waits: "FROM sb_user WHERE",
		pick:   `SELECT id FROM sb_user WHERE rootorgid = ? ORDER BY id DESC LIMIT 1`,
		change: `UPDATE sb_user SET updatedby = 'platform', firstname = 'changed meanwhile' WHERE id = ?`,
		check: func(t *testing.T, db *store.DB, req Request, key, before string) {
			wantEqual(t, "the user's tenant", value(t, db, "user", "rootorgid", "id = ?", key), req.Target)
			wantEqual(t, "the other writer's change", value(t, db, "user", "firstname", "id = ?", key), "changed meanwhile")
			wantEqual(t, "users left in the source", count(t, db, "user", "rootorgid = ?", req.Source), int64(0))
			if !strings.Contains(canonicalImage(t, before), `"updatedby":"platform"`) {
				t.Errorf("the before image is not the row the merge changed: %s", before)
			}
		},
		rolledBack: func(t *testing.T, db *store.DB, req Request, key, _ string) {
			wantEqual(t, "the user's tenant", value(t, db, "user", "rootorgid", "id = ?", key), req.Source)
			wantEqual(t, "the other writer's updatedby", value(t, db, "user", "updatedby", "id = ?", key), "platform")
		},
	}, {
		name: "a row that left the source", table: "user", waits: "FROM sb_user WHERE",
		pick:   `SELECT id FROM sb_user WHERE rootorgid = ? ORDER BY id DESC LIMIT 1`,
		change: `UPDATE sb_user SET rootorgid = 'another tenant' WHERE id = ?`,
		check: func(t *testing.T, db *store.DB, req Request, key, before string) {
			wantEqual(t, "the user's tenant", value(t, db, "user", "rootorgid", "id = ?", key), "another tenant")
			wantEqual(t, "the user's journal entry", before, "")
		},
		rolledBack: func(t *testing.T, db *store.DB, req Request, key, _ string) {
			wantEqual(t, "the user's tenant", value(t, db, "user", "rootorgid", "id = ?", key), "another tenant")
		},
	}, {
		name: "a re-key", table: "user_lookup", waits: "FROM sb_user_lookup",
		pick: `SELECT value FROM sb_user_lookup l WHERE type = 'externalid' AND value LIKE '%@' || ?
			AND NOT EXISTS (SELECT 1 FROM sb_user_lookup n WHERE n.type = 'externalid'
				AND n.value = substr(l.value, 1, length(l.value) - length(?) - 1) || '@' || ?)
			AND NOT EXISTS (SELECT 1 FROM sb_usr_external_identity n WHERE n.provider = ? AND n.idtype = ?
				AND n.externalid = substr(l.value, 1, length(l.value) - length(?) - 1))
			ORDER BY value DESC LIMIT 1`,
		change: `UPDATE sb_user_lookup SET userid = 'changed meanwhile' WHERE type = 'externalid' AND value = ?`,
		check: func(t *testing.T, db *store.DB, req Request, key, before string) {
			moved := strings.TrimSuffix(key, req.Source) + req.Target
			wantEqual(t, "the moved lookup's user", value(t, db, "user_lookup", "userid", "type = 'externalid' AND value = ?", moved), "changed meanwhile")
			wantEqual(t, "the lookup left behind", count(t, db, "user_lookup", "type = 'externalid' AND value = ?", key), int64(0))
			if !strings.Contains(canonicalImage(t, before), `"userid":"changed meanwhile"`) {
				t.Errorf("the before image is not the row the merge moved: %s", before)
			}
		},
		rolledBack: func(t *testing.T, db *store.DB, req Request, key, _ string) {
			wantEqual(t, "the lookup's user", value(t, db, "user_lookup", "userid", "type = 'externalid' AND value = ?", key), "changed meanwhile")
			wantEqual(t, "the moved copy", count(t, db, "user_lookup", "type = 'externalid' AND value = ?", strings.TrimSuffix(key, req.Source)+req.Target), int64(0))
		},
	}}
	engines(t, func(t *testing.T, db *store.DB) {
		if db.Dialect() != store.Postgres {
			t.Skip("page ranges are read on PostgreSQL only")
		}
		s, _, req := importedGenerated(t, db, dir, gen)
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				ctx := context.Background()
				var key string
				args := []any{req.Source}
				if c.table == "user_lookup" {
					args = []any{req.Source, req.Source, req.Target, req.Target, req.Target, req.Source}
				}
				if err := db.QueryRow(ctx, c.pick, args...).Scan(&key); err != nil {
					t.Fatal(err)
				}

				// Another writer changes the row and holds its lock until
				// the merge waits for it, then commits.
				locked, release, written := make(chan struct{}), make(chan struct{}), make(chan error, 1)
				go func() {
					written <- db.InTx(ctx, func(tx *store.Tx) error {
						if _, err := tx.Exec(ctx, c.change, key); err != nil {
							return err
						}
						close(locked)
						<-release
						return nil
					})
				}()
				<-locked
				merged := make(chan error, 1)
				var res MigrateResult
				go func() {
					var err error
					res, err = s.Migrate(ctx, MigrateOptions{Request: req, BatchRows: 40, scanAll: true})
					merged <- err
				}()
				waitForLockWait(t, db, c.waits)
				close(release)
				if err := <-written; err != nil {
					t.Fatalf("the other writer: %v", err)
				}
				if err := <-merged; err != nil {
					t.Fatalf("merge: %v", err)
				}
				jkey := `["` + key + `"]`
				if c.table == "user_lookup" {
					jkey = `["externalid","` + key + `"]`
				}
				var before string
				if err := db.QueryRow(ctx, `SELECT coalesce(max(before), '') FROM ferry_journal WHERE job_id = ? AND entity = ? AND CAST(entity_key AS jsonb) = CAST(? AS jsonb)`,
					res.JobID, c.table, jkey).Scan(&before); err != nil {
					t.Fatalf("the row's journal entry: %v", err)
				}
				c.check(t, db, req, key, before)

				// The rollback puts back what the merge changed, which was
				// the other writer's row: its change stays.
				if _, err := s.Rollback(ctx, RollbackOptions{Job: res.JobID}); err != nil {
					t.Fatalf("rollback: %v", err)
				}
				c.rolledBack(t, db, req, key, before)
			})
		}
	})
}

// waitForLockWait waits until a statement of the merge (a WITH statement
// whose text holds what, within the first kilobyte the server keeps of it)
// waits for a row lock on db's server.
func waitForLockWait(t *testing.T, db *store.DB, what string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		var n int64
		if err := db.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity
			WHERE pid <> pg_backend_pid() AND wait_event_type = 'Lock' AND query LIKE 'WITH %' AND strpos(query, ?) > 0`, what).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	rows, err := db.Query(context.Background(), `SELECT coalesce(wait_event_type, ''), left(query, 60) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND state = 'active'`)
	if err == nil {
		for rows.Next() {
			var w, q string
			if rows.Scan(&w, &q) == nil {
				t.Logf("active: %s %q", w, q)
			}
		}
		rows.Close()
	}
	t.Fatalf("no statement changing %q waited for the other writer's lock within 30 s", what)
}

// A merge whose batches read page ranges, interrupted after any batch, is
// resumed to the state, the counts and the rollback of one that ran
// through: the resumed step reads its pages again from the first, where
// the rows it already changed no longer match it. (The kill -9 test runs
// the binary on the sample, whose steps are too small for page ranges.)
func TestInterruptedPageRangeMergeResumes(t *testing.T) {
	dir, gen := generated(t, GenerateOptions{Users: 300, Overlap: 5, Seed: 5})
	engines(t, func(t *testing.T, db *store.DB) {
		if db.Dialect() != store.Postgres {
			t.Skip("page ranges are read on PostgreSQL only")
		}
		ctx := context.Background()
		s, before, req := importedGenerated(t, db, dir, gen)
		at := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
		batches := 0
		ref, err := s.Migrate(ctx, MigrateOptions{Request: req, BatchRows: 40, scanAll: true, at: at, afterBatch: func() { batches++ }})
		if err != nil {
			t.Fatal(err)
		}
		want, wantQueued := snapshot(t, db), queuedBy(t, db, ref.JobID)
		if _, err := s.Rollback(ctx, RollbackOptions{Job: ref.JobID}); err != nil {
			t.Fatal(err)
		}
		if batches < 20 {
			t.Fatalf("the merge ran %d batches: too few to interrupt at different steps", batches)
		}
		for _, after := range []int{1, batches / 3, batches / 2, batches - 2} {
			ictx, cancel := context.WithCancel(ctx)
			n := 0
			_, err := s.Migrate(ictx, MigrateOptions{Request: req, BatchRows: 40, scanAll: true, at: at, afterBatch: func() {
				if n++; n == after {
					cancel()
				}
			}})
			cancel()
			if err == nil {
				t.Fatalf("interrupted after batch %d: the merge finished", after)
			}
			res, err := s.Migrate(ctx, MigrateOptions{Request: req, BatchRows: 40, scanAll: true})
			if err != nil {
				t.Fatalf("resuming after batch %d: %v", after, err)
			}
			if !res.Resumed {
				t.Fatalf("after batch %d: the merge started again instead of resuming", after)
			}
			wantSnapshot(t, fmt.Sprintf("resumed after batch %d", after), snapshot(t, db), want)
			wantEqual(t, fmt.Sprintf("changes resumed after batch %d", after), res.Changes, ref.Changes)
			wantSnapshot(t, fmt.Sprintf("queued, resumed after batch %d", after), queuedBy(t, db, res.JobID), wantQueued)
			if _, err := s.Rollback(ctx, RollbackOptions{Job: res.JobID}); err != nil {
				t.Fatal(err)
			}
			wantSnapshot(t, fmt.Sprintf("rolled back, resumed after batch %d", after), snapshot(t, db), before)
		}
	})
}
