package tenant

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/ferrymigrate/ferry"
	"github.com/ferrymigrate/ferry/internal/cqlcsv"
	"github.com/ferrymigrate/ferry/internal/store"
)

// A rollback after a full merge restores every row of every table, all
// columns, and the source is active again.
func TestRollbackRestoresEveryRowExactly(t *testing.T) {
	engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := imported(t, db, sample)
		before := snapshot(t, db)
		res, err := s.Migrate(ctx, MigrateOptions{Request: Request{Source: idS, Target: idT, OnConflict: OnConflictSkip}, BatchRows: 2})
		if err != nil {
			t.Fatal(err)
		}
		rb, err := s.Rollback(ctx, RollbackOptions{Job: res.JobID, BatchRows: 3})
		if err != nil {
			t.Fatal(err)
		}
		wantEqual(t, "database after the rollback", snapshot(t, db), before)
		wantEqual(t, "source status", value(t, db, "organisation", "status", "id = ?", idS), int64(1))
		if rb.Outbox == 0 {
			t.Error("the rollback queued nothing for the search index")
		}
		// The source is active again, so the merge can run again.
		if _, err := s.Migrate(ctx, MigrateOptions{Request: Request{Source: idS, Target: idT, OnConflict: OnConflictSkip}}); err != nil {
			t.Fatalf("merging again after the rollback: %v", err)
		}
	})
}

// A column the merge set that someone changed since refuses the
// rollback, which then changes nothing; with force it is overwritten. A
// column the merge did not touch is not the merge's to restore: a change
// to it neither refuses the rollback nor is undone by it.
func TestRollbackRefusesRowsChangedSince(t *testing.T) {
	engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := imported(t, db, sample)
		before := snapshot(t, db)
		res, err := s.Migrate(ctx, MigrateOptions{Request: Request{Source: idS, Target: idT, OnConflict: OnConflictSkip}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(ctx, `UPDATE sb_user SET channel = 'gamma', firstname = 'Changed' WHERE id = 'u2'`); err != nil {
			t.Fatal(err)
		}
		changed := snapshot(t, db)
		rb, err := s.Rollback(ctx, RollbackOptions{Job: res.JobID})
		if ferry.ErrorCode(err) != ferry.ECONFLICT {
			t.Fatalf("rollback over a changed row: %v, want a conflict", err)
		}
		wantEqual(t, "rows changed since", rb.Changed, []Changed{{Table: "user", Key: `["u2"]`}})
		wantEqual(t, "database after the refused rollback", snapshot(t, db), changed)
		if _, err := s.Rollback(ctx, RollbackOptions{Job: res.JobID, Force: true}); err != nil {
			t.Fatal(err)
		}
		wantEqual(t, "u2's first name, which the merge never set", value(t, db, "user", "firstname", "id = 'u2'"), "Changed")
		if _, err := db.Exec(ctx, `UPDATE sb_user SET firstname = 'Bo' WHERE id = 'u2'`); err != nil {
			t.Fatal(err)
		}
		wantEqual(t, "database after the forced rollback", snapshot(t, db), before)
	})
}

// Decision 16: the write-back's files read back with ferry's reader give
// the merged rows' values, ciphertexts with their line feeds included, and
// name only the key and the changed columns of an updated row.
func TestExportReadsBackAsTheMergedRows(t *testing.T) {
	engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := imported(t, db, sample)
		res, err := s.Migrate(ctx, MigrateOptions{Request: Request{Source: idS, Target: idT, OnConflict: OnConflictSkip}})
		if err != nil {
			t.Fatal(err)
		}
		dir := filepath.Join(t.TempDir(), "writeback")
		ex, err := s.Export(ctx, res.JobID, dir)
		if err != nil {
			t.Fatal(err)
		}
		// Every changed row of the Cassandra tables is applied; content is
		// the knowledge platform's.
		for table, n := range res.Changes {
			if table == "content" {
				continue
			}
			if ex.Apply[table] < n {
				t.Errorf("apply %s: %d rows, the merge changed %d", table, ex.Apply[table], n)
			}
		}
		wantEqual(t, "skipped", ex.Skipped, map[string]int64{"content": 1})
		del, err := os.ReadFile(filepath.Join(dir, "apply", "delete.cql"))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(del), `DELETE FROM sunbird.user_organisation WHERE "userid" = 'u1' AND "organisationid" = '`+idS+`';`) &&
			!strings.Contains(string(del), `DELETE FROM sunbird.user_organisation WHERE userid = 'u1' AND organisationid = '`+idS+`';`) {
			t.Errorf("apply/delete.cql lacks the delete of u1's source membership:\n%s", del)
		}
		// Read every apply file back and compare with the database.
		files, _ := filepath.Glob(filepath.Join(dir, "apply", "*.csv"))
		sort.Strings(files)
		seenCipher := false
		for _, f := range files {
			base := strings.TrimSuffix(filepath.Base(f), ".csv")
			tb := tableOfFile(base)
			if tb == nil {
				t.Fatalf("%s: no table", f)
			}
			fh, err := os.Open(f)
			if err != nil {
				t.Fatal(err)
			}
			r := cqlcsv.NewStreamReader(fh, f, &tb.Table, cqlcsv.Options{Dialect: cqlcsv.Load, Null: cqlcsv.LoadNull,
				OnReject: func(rj cqlcsv.Reject) { t.Errorf("%s: %s", f, rj) }})
			for r.Next() {
				row := r.Row()
				key := row[:tb.KeyLen]
				where, args := keyWhere(tb, key)
				for _, col := range r.Header().Columns {
					i := tb.Col(col)
					got := value(t, db, tb.Name, col, where, args...)
					if tb.Columns[i].Type.Kind == cqlcsv.Boolean {
						got = asBool(got)
					}
					if !sameValue(got, row[i]) {
						t.Errorf("%s %v %s: file has %#v, database %#v", tb.Name, key, col, row[i], got)
					}
					if s, ok := row[i].(string); ok && strings.Contains(s, "\n") {
						seenCipher = true
					}
				}
			}
			if r.Err() != nil {
				t.Error(r.Err())
			}
			fh.Close()
		}
		if !seenCipher {
			t.Error("no value with a line feed was written back (u1's e-mail ciphertext moves with its membership rows?)")
		}
		for _, f := range []string{"apply/copy.cql", "undo/copy.cql", "undo/delete.cql", "README.md"} {
			if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
				t.Error(err)
			}
		}
	})
}

// tableOfFile finds the table an export file is for ("user_organisation",
// "sunbird_course_batch_2").
func tableOfFile(base string) *Table {
	for _, tb := range Tables() {
		name := strings.ReplaceAll(tb.Name, ".", "_")
		if base == name || strings.HasPrefix(base, name+"_") && strings.Trim(strings.TrimPrefix(base, name+"_"), "0123456789") == "" {
			return tb
		}
	}
	return nil
}

func asBool(v any) any {
	switch b := v.(type) {
	case int64:
		return b != 0
	}
	return v
}

func sameValue(a, b any) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return fmtAny(a) == fmtAny(b)
}

func fmtAny(v any) string {
	switch x := v.(type) {
	case []byte:
		return string(x)
	}
	return strings.TrimSpace(strings.ReplaceAll(sprint(v), " ", ""))
}
