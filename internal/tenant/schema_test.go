package tenant

import (
	"context"
	"strings"
	"testing"

	"github.com/ferrymigrate/ferry/internal/cqlcsv"
	"github.com/ferrymigrate/ferry/internal/engine"
	"github.com/ferrymigrate/ferry/internal/store"
	"github.com/ferrymigrate/ferry/internal/store/storetest"
)

// sqlType is how the migration stores a CQL type (see its header).
func sqlType(t cqlcsv.Type) string {
	switch t.Kind {
	case cqlcsv.Int:
		return "bigint"
	case cqlcsv.Boolean:
		return "boolean"
	}
	return "text"
}

// The SQL tables are generated from the catalog once; this keeps the two
// from drifting: every table of the catalog exists, in both its forms
// (real and scratch), with exactly the catalog's columns and types, its
// primary key columns NOT NULL, and one extra column for what an export
// adds.
func TestSchemaFollowsCatalog(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		for _, tb := range Tables() {
			got := columns(t, ctx, db, tb.SQL)
			var want []string
			for i, c := range tb.Columns {
				w := c.Name + " " + sqlType(c.Type)
				if i < tb.KeyLen {
					w += " not null"
				}
				want = append(want, w)
			}
			want = append(want, "extra text")
			if strings.Join(got, ", ") != strings.Join(want, ", ") {
				t.Errorf("%s:\n got %s\nwant %s", tb.SQL, strings.Join(got, ", "), strings.Join(want, ", "))
			}
			scratch := columns(t, ctx, db, scratchTable(tb))
			for i := range want {
				want[i] = strings.TrimSuffix(want[i], " not null")
			}
			want = append([]string{"job_id bigint not null", "line bigint not null"}, want...)
			if strings.Join(scratch, ", ") != strings.Join(want, ", ") {
				t.Errorf("%s:\n got %s\nwant %s", scratchTable(tb), strings.Join(scratch, ", "), strings.Join(want, ", "))
			}
		}
	}, engine.Migrations, Migrations)
}

// columns lists a table's columns in order as "name type[ not null]".
func columns(t *testing.T, ctx context.Context, db *store.DB, table string) []string {
	t.Helper()
	q := `SELECT name, lower(type), "notnull" FROM pragma_table_info(?) ORDER BY cid`
	if db.Dialect() == store.Postgres {
		q = `SELECT column_name, data_type, is_nullable = 'NO' FROM information_schema.columns
			WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position`
	}
	rows, err := db.Query(ctx, q, table)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var name, typ string
		var notNull bool
		if err := rows.Scan(&name, &typ, &notNull); err != nil {
			t.Fatal(err)
		}
		c := name + " " + typ
		if notNull {
			c += " not null"
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Errorf("table %s does not exist", table)
	}
	return out
}
