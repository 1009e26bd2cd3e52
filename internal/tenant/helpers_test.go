package tenant

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/ferrymigrate/ferry/internal/engine"
	"github.com/ferrymigrate/ferry/internal/store"
	"github.com/ferrymigrate/ferry/internal/store/storetest"
)

// engines runs fn on every database, each with a fresh schema.
func engines(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	storetest.Engines(t, fn, engine.Migrations, Migrations)
}

func newService(t *testing.T, db *store.DB) *Service {
	t.Helper()
	e := engine.New(db)
	t.Cleanup(func() { e.Close() })
	return New(e)
}

// imported is a service over a database holding the sample dataset.
func imported(t *testing.T, db *store.DB, data map[string][]row) *Service {
	t.Helper()
	s := newService(t, db)
	if _, err := s.Import(context.Background(), ImportOptions{Dir: writeSample(t, data), MaxRejects: -1}); err != nil {
		t.Fatalf("import: %v", err)
	}
	return s
}

// snapshot is every row of every tenant table, as text, for comparing a
// database before and after (a rollback must restore it exactly).
func snapshot(t *testing.T, db *store.DB) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, tb := range Tables() {
		rows, err := db.Query(context.Background(), `SELECT `+image(db.Dialect(), tb, nil)+` FROM `+tb.SQL)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			out[tb.Name] = append(out[tb.Name], canonicalImage(t, s))
		}
		rows.Close()
		sort.Strings(out[tb.Name])
	}
	return out
}

func canonicalImage(t *testing.T, s string) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// value reads one column of one row.
func value(t *testing.T, db *store.DB, table, col, where string, args ...any) any {
	t.Helper()
	var v any
	if err := db.QueryRow(context.Background(), `SELECT `+col+` FROM `+tbl(table).SQL+` WHERE `+where, args...).Scan(&v); err != nil {
		t.Fatalf("%s.%s where %s: %v", table, col, where, err)
	}
	if b, ok := v.([]byte); ok {
		v = string(b)
	}
	return v
}

func count(t *testing.T, db *store.DB, table, where string, args ...any) int64 {
	t.Helper()
	var n int64
	if where == "" {
		where = "1 = 1"
	}
	if err := db.QueryRow(context.Background(), `SELECT count(*) FROM `+tbl(table).SQL+` WHERE `+where, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func codes[T any](items []T, code func(T) string) map[string]int {
	out := map[string]int{}
	for _, it := range items {
		out[code(it)]++
	}
	return out
}

func wantEqual(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got %v\nwant %v", what, got, want)
	}
}

func keysOf(m map[string]int64) string {
	var ks []string
	for k, v := range m {
		ks = append(ks, fmt.Sprintf("%s=%d", k, v))
	}
	sort.Strings(ks)
	return strings.Join(ks, " ")
}

func asPlanError(err error, pe **PlanError) bool { return errors.As(err, pe) }

func sprint(v any) string { return fmt.Sprint(v) }

// wantSnapshot compares two snapshots table by table, naming the rows
// that differ.
func wantSnapshot(t *testing.T, what string, got, want map[string][]string) {
	t.Helper()
	for _, tb := range Tables() {
		g, w := got[tb.Name], want[tb.Name]
		gs, ws := map[string]bool{}, map[string]bool{}
		for _, r := range g {
			gs[r] = true
		}
		for _, r := range w {
			ws[r] = true
		}
		for r := range gs {
			if !ws[r] {
				t.Errorf("%s: %s has a row it should not: %s", what, tb.Name, r)
			}
		}
		for r := range ws {
			if !gs[r] {
				t.Errorf("%s: %s lacks a row: %s", what, tb.Name, r)
			}
		}
	}
}
