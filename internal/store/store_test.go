package store_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferrymigrate/ferry/internal/store"
	"github.com/ferrymigrate/ferry/internal/store/storetest"
)

func TestRebind(t *testing.T) {
	tests := []struct{ in, want string }{
		{"SELECT 1", "SELECT 1"},
		{"a = ? AND b = ?", "a = $1 AND b = $2"},
		{"x = '?' AND y = ?", "x = '?' AND y = $1"},
	}
	for _, tt := range tests {
		if got := store.Postgres.Rebind(tt.in); got != tt.want {
			t.Errorf("Rebind(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got := store.SQLite.Rebind(tt.in); got != tt.in {
			t.Errorf("SQLite Rebind changed %q to %q", tt.in, got)
		}
	}
}

type sliceSource struct {
	rows [][]any
	i    int
}

func (s *sliceSource) Next() bool             { s.i++; return s.i <= len(s.rows) }
func (s *sliceSource) Values() ([]any, error) { return s.rows[s.i-1], nil }
func (s *sliceSource) Err() error             { return nil }

func TestCopyFromAndTx(t *testing.T) {
	engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		// 1234 rows crosses several SQLite batches and leaves a partial one.
		src := &sliceSource{}
		for i := range 1234 {
			src.rows = append(src.rows, []any{int64(1), int64(i + 1), fmt.Sprintf("d%d.gov", i), "C" + fmt.Sprint(i%7), "admin"})
		}
		err := db.InTx(ctx, func(tx *store.Tx) error {
			n, err := tx.CopyFrom(ctx, "copied_row", []string{"job_id", "line", "name", "code", "kind"}, src)
			if err != nil {
				return err
			}
			if n != 1234 {
				t.Errorf("copied %d rows, want 1234", n)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		var count, distinct int
		if err := db.QueryRow(ctx, "SELECT count(*), count(DISTINCT code) FROM copied_row WHERE job_id = ?", 1).Scan(&count, &distinct); err != nil {
			t.Fatal(err)
		}
		if count != 1234 || distinct != 7 {
			t.Fatalf("got %d rows / %d contacts, want 1234 / 7", count, distinct)
		}

		// A failing transaction leaves nothing behind, COPY included.
		boom := errors.New("boom")
		err = db.InTx(ctx, func(tx *store.Tx) error {
			if _, err := tx.CopyFrom(ctx, "copied_row", []string{"job_id", "line", "name", "code", "kind"}, &sliceSource{rows: [][]any{{int64(2), int64(1), "x.gov", "C", "tech"}}}); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("InTx returned %v, want boom", err)
		}
		if err := db.QueryRow(ctx, "SELECT count(*) FROM copied_row WHERE job_id = ?", 2).Scan(&count); err != nil {
			t.Fatal(err)
		}
		if count != 0 {
			t.Fatalf("rolled-back rows visible: %d", count)
		}
		// The pool stays usable after a rollback.
		if _, err := db.Exec(ctx, "DELETE FROM copied_row"); err != nil {
			t.Fatal(err)
		}
	})
}

// A statement that fails inside a transaction aborts it on PostgreSQL,
// and COMMIT then quietly rolls back. Commit must say so, or a caller that
// ignored the statement's error would believe its work was saved.
func TestCommitAfterFailedStatement(t *testing.T) {
	engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		err := db.InTx(ctx, func(tx *store.Tx) error {
			if _, err := tx.Exec(ctx, "INSERT INTO named_item (name, active, federal) VALUES ('A', true, true)"); err != nil {
				return err
			}
			_, _ = tx.Exec(ctx, "UPDATE no_such_table SET a = 1")
			return nil
		})
		var n int
		if qerr := db.QueryRow(ctx, "SELECT count(*) FROM named_item").Scan(&n); qerr != nil {
			t.Fatal(qerr)
		}
		switch db.Dialect() {
		case store.Postgres:
			if err == nil || n != 0 {
				t.Fatalf("commit of an aborted transaction: err %v, %d rows saved; want an error and 0", err, n)
			}
		case store.SQLite:
			// SQLite keeps the transaction going after a failed statement.
			if err != nil || n != 1 {
				t.Fatalf("err %v, %d rows saved; want nil and 1", err, n)
			}
		}
	})
}

// A lazily committed transaction commits its work like any other, and its
// setting ends with it: the next transaction waits for the disk again.
func TestCommitLazilyCommitsAndEndsWithTheTransaction(t *testing.T) {
	engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		err := db.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.CommitLazily(ctx); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "INSERT INTO named_item (name, active, federal) VALUES ('A', true, true)")
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		var n int
		if err := db.QueryRow(ctx, "SELECT count(*) FROM named_item").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Fatalf("%d rows after a lazy commit, want 1", n)
		}
		if db.Dialect() != store.Postgres {
			return
		}
		err = db.InTx(ctx, func(tx *store.Tx) error {
			var mode string
			if err := tx.QueryRow(ctx, "SHOW synchronous_commit").Scan(&mode); err != nil {
				return err
			}
			if mode != "on" {
				t.Errorf("synchronous_commit = %q in the next transaction, want on", mode)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// NewIDs must hand out ids that neither collide with the rows already
// there nor with the ones the table generates itself afterwards.
func TestNewIDs(t *testing.T) {
	engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		names := func(prefix string, n int) string {
			var vals []string
			for i := range n {
				vals = append(vals, fmt.Sprintf("SELECT '%s%d' AS name", prefix, i))
			}
			return strings.Join(vals, " UNION ALL ")
		}
		// Two rows the table numbers itself, three the statement numbers, then
		// one more of the table's own.
		err := db.InTx(ctx, func(tx *store.Tx) error {
			if _, err := tx.Exec(ctx, "INSERT INTO named_item (name, active, federal) SELECT name, true, true FROM ("+names("own", 2)+") x"); err != nil {
				return err
			}
			expr, err := tx.NewIDs(ctx, "named_item", "id")
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, "INSERT INTO named_item (id, name, active, federal) "+tx.Dialect().OverridingSystemValue()+
				" SELECT "+expr+", name, true, true FROM ("+names("chosen", 3)+") x"); err != nil {
				return err
			}
			_, err = tx.Exec(ctx, "INSERT INTO named_item (name, active, federal) VALUES ('after', true, true)")
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		var rows, ids int
		var minChosen, maxOwn, after int64
		if err := db.QueryRow(ctx, `SELECT count(*), count(DISTINCT id),
			(SELECT min(id) FROM named_item WHERE name LIKE 'chosen%'),
			(SELECT max(id) FROM named_item WHERE name LIKE 'own%'),
			(SELECT id FROM named_item WHERE name = 'after') FROM named_item`).Scan(&rows, &ids, &minChosen, &maxOwn, &after); err != nil {
			t.Fatal(err)
		}
		if rows != 6 || ids != 6 {
			t.Fatalf("%d rows with %d distinct ids; want 6 and 6", rows, ids)
		}
		if minChosen <= maxOwn {
			t.Errorf("chosen ids start at %d, not above the existing %d", minChosen, maxOwn)
		}
		if after <= minChosen+2 {
			t.Errorf("the table's next own id is %d, not above the chosen ones (from %d)", after, minChosen)
		}
	})
}

func TestMigrateTwice(t *testing.T) {
	engines(t, func(t *testing.T, db *store.DB) {
		if err := db.Migrate(context.Background(), testSet); err != nil {
			t.Fatalf("second migrate: %v", err)
		}
	})
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.db")
	if err := os.WriteFile(garbage, []byte("this is not a sqlite database, not at all, no header here"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, url string }{
		{"missing directory", filepath.Join(dir, "nope", "ferry.db")},
		{"not a database", garbage},
		{"unknown scheme", "mysql://x"},
		{"postgres down", "postgres://postgres@127.0.0.1:1/none?connect_timeout=2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, err := store.Open(ctx, tt.url)
			if err == nil {
				err = db.Migrate(ctx, testSet)
				db.Close()
			}
			if !errors.Is(err, store.ErrUnavailable) {
				t.Fatalf("got %v, want ErrUnavailable", err)
			}
		})
	}
}

// A list travels as one JSON argument, whatever its length, and comes
// back element for element: keys with quotes, non-ASCII and an empty
// string included.
func TestJSONListsAsTables(t *testing.T) {
	engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		d := db.Dialect()
		rows, err := db.Query(ctx, `SELECT v FROM `+d.JSONTextArray("?", "v")+` t ORDER BY v`, `["b","a\"q","सु",""]`)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			got = append(got, s)
		}
		rows.Close()
		if want := `|a"q|b|सु`; strings.Join(got, "|") != want {
			t.Errorf("JSONTextArray gave %q, want %q", strings.Join(got, "|"), want)
		}
		var n int64
		var joined string
		err = db.QueryRow(ctx, `SELECT count(*), `+d.StringAgg("k.a || '/' || k.b")+` FROM `+d.JSONTuples("?", "a", "b")+` k`,
			`[["x","1"],["y","2"]]`).Scan(&n, &joined)
		if err != nil {
			t.Fatal(err)
		}
		if n != 2 || (joined != "x/1,y/2" && joined != "y/2,x/1") {
			t.Errorf("JSONTuples gave %d rows %q, want x/1 and y/2", n, joined)
		}
	})
}

// ferry's PostgreSQL sessions run without the JIT, which cost its batch
// statements more than it saved; a URL that sets jit keeps its value.
func TestPostgresSessionsRunWithoutJIT(t *testing.T) {
	ctx := context.Background()
	dbURL := storetest.NewPostgresDatabase(t)
	sep := "?"
	if strings.Contains(dbURL, "?") {
		sep = "&"
	}
	tests := []struct{ name, url, want string }{
		{"by default", dbURL, "off"},
		{"when the URL sets it", dbURL + sep + "jit=on", "on"},
	}
	for _, tt := range tests {
		db, err := store.Open(ctx, tt.url)
		if err != nil {
			t.Fatal(err)
		}
		var jit string
		err = db.QueryRow(ctx, "SHOW jit").Scan(&jit)
		db.Close()
		if err != nil {
			t.Fatal(err)
		}
		if jit != tt.want {
			t.Errorf("%s: jit = %q, want %q", tt.name, jit, tt.want)
		}
	}
}
