package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ferrymigrate/ferry/internal/store"
)

func TestStatementName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"SELECT 1", "SELECT 1"},
		{"INSERT INTO domain (name, state) SELECT 'a@b.gov'", "INSERT INTO domain"},
		{"CREATE TEMP TABLE ferry_xfer AS SELECT x", "CREATE TEMP TABLE ferry_xfer"},
		{"\n\t  UPDATE   transition_domain\n SET processed = true", "UPDATE transition_domain SET processed"},
		{"(SELECT 1)", "(SELECT 1)"},
		{"WITH o AS MATERIALIZED (SELECT id FROM sb_user WHERE x FOR UPDATE), changed AS (UPDATE sb_user SET a = 'x@y'", "WITH o AS MATERIALIZED: UPDATE sb_user"},
		{"WITH gone AS (DELETE FROM sb_user_lookup WHERE k IN ('a')), copied AS (INSERT INTO sb_user_lookup (a) SELECT", "WITH gone AS: DELETE FROM sb_user_lookup"},
		{"with n as (insert into ferry_outbox(id) select 1) select count(*) from n", "with n as: INSERT INTO ferry_outbox"},
		{"WITH RECURSIVE c (id) AS (SELECT 1) SELECT id FROM c", "WITH RECURSIVE c"},
		{"WITH x AS (SELECT 1) UPDATE", "WITH x AS"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := store.StatementName(tt.in); got != tt.want {
			t.Errorf("StatementName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

type traced struct {
	stmt   string
	rows   int64
	failed bool
}

func TestTracerSeesEveryStatement(t *testing.T) {
	engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		var got []traced
		db.SetTracer(func(stmt string, rows int64, elapsed time.Duration, err error) {
			if elapsed < 0 {
				t.Errorf("%s: negative duration %v", stmt, elapsed)
			}
			got = append(got, traced{stmt, rows, err != nil})
		})
		err := db.InTx(ctx, func(tx *store.Tx) error {
			if _, err := tx.CopyFrom(ctx, "copied_row", []string{"job_id", "line", "name", "code", "kind"},
				&sliceSource{rows: [][]any{{int64(9), int64(1), "a.gov", "C1", "admin"}, {int64(9), int64(2), "b.gov", "C2", ""}}}); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, "UPDATE copied_row SET kind = 'x' WHERE job_id = ?", 9); err != nil {
				return err
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(ctx, "UPDATE no_such_table SET a = 1"); err == nil {
			t.Error("update of a missing table succeeded")
		}
		if _, err := db.Exec(ctx, "DELETE FROM copied_row WHERE job_id = ?", 9); err != nil {
			t.Fatal(err)
		}
		db.SetTracer(nil)
		if _, err := db.Exec(ctx, "DELETE FROM copied_row"); err != nil {
			t.Fatal(err)
		}
		want := []traced{
			{"COPY copied_row", 2, false},
			{"UPDATE copied_row SET kind", 2, false},
			{"UPDATE no_such_table SET a", 0, true},
			{"DELETE FROM copied_row WHERE", 2, false},
		}
		if len(got) != len(want) {
			t.Fatalf("traced %d statements, want %d: %+v", len(got), len(want), got)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("statement %d: got %+v, want %+v", i, got[i], want[i])
			}
		}
		for _, g := range got {
			if strings.Contains(g.stmt, "a.gov") {
				t.Errorf("trace carries a value: %q", g.stmt)
			}
		}
	})
}
