package cli

import (
	"context"
	"embed"
	"io/fs"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/ferrymigrate/ferry/internal/store"
	"github.com/ferrymigrate/ferry/internal/store/storetest"
)

// Each table is written twice, once per dialect. The two must describe
// the same table: same columns, same nullability, the same kind of value.
func TestSchemaSameOnBothEngines(t *testing.T) {
	if os.Getenv(storetest.EnvPostgres) == "" {
		t.Skipf("needs PostgreSQL: set %s", storetest.EnvPostgres)
	}
	lite := describe(t, storetest.SQLite(t, migrationSets...))
	pg := describe(t, storetest.Postgres(t, migrationSets...))
	for table, cols := range lite {
		if pg[table] == "" {
			t.Errorf("table %s exists on SQLite only", table)
			continue
		}
		if cols != pg[table] {
			t.Errorf("table %s differs:\n  sqlite   %s\n  postgres %s", table, cols, pg[table])
		}
	}
	for table := range pg {
		if lite[table] == "" {
			t.Errorf("table %s exists on PostgreSQL only", table)
		}
	}
	if len(lite) < 20 {
		t.Fatalf("only %d tables described; the test proves nothing", len(lite))
	}
}

// kind maps a declared type to the kind of value it holds. SQLite keeps
// dates as ISO text, so a PostgreSQL date is text's kind here.
func kind(declared string) string {
	d := strings.ToLower(declared)
	switch {
	case strings.Contains(d, "int"):
		return "int"
	case strings.Contains(d, "bool"):
		return "bool"
	case strings.HasPrefix(d, "timestamp"):
		return "time"
	case d == "bytea" || d == "blob":
		return "bytes"
	case d == "text" || d == "date" || strings.HasPrefix(d, "varchar") || strings.HasPrefix(d, "character"):
		return "text"
	}
	return "?" + d
}

// describe gives every table one line: its columns, sorted, as name:kind,
// with ! for NOT NULL. goose's version tables are the same on both by
// construction and are left out.
func describe(t *testing.T, db *store.DB) map[string]string {
	t.Helper()
	ctx := context.Background()
	q := `SELECT m.name, p.name, p.type, p."notnull" OR p.pk FROM sqlite_master m JOIN pragma_table_info(m.name) p
		WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'`
	if db.Dialect() == store.Postgres {
		q = `SELECT table_name, column_name, CASE WHEN data_type = 'character varying' THEN 'varchar' ELSE data_type END, is_nullable = 'NO'
			FROM information_schema.columns WHERE table_schema = current_schema()`
	}
	rows, err := db.Query(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols := map[string][]string{}
	for rows.Next() {
		var table, col, typ string
		var notNull bool
		if err := rows.Scan(&table, &col, &typ, &notNull); err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(table, "ferry_schema_") {
			continue
		}
		c := col + ":" + kind(typ)
		if notNull {
			c += "!"
		}
		cols[table] = append(cols[table], c)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for table, cs := range cols {
		sort.Strings(cs)
		out[table] = strings.Join(cs, " ")
	}
	return out
}

//go:embed testdata/legacy
var legacyFiles embed.FS

// A database made before each owner kept its own schema versions (one
// ferry_schema_version table for all) is adopted as it is: its rows stay,
// and it ends on the same schema as a new one.
func TestLegacyDatabaseIsAdopted(t *testing.T) {
	sub, err := fs.Sub(legacyFiles, "testdata/legacy")
	if err != nil {
		t.Fatal(err)
	}
	legacy := store.Migrations{Name: "legacy", Table: "ferry_schema_version", FS: sub}
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := db.Exec(ctx, `INSERT INTO domain (name, state) VALUES ('kept.gov', 'ready')`); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(ctx, `INSERT INTO ferry_job (kind, status, started_at, heartbeat_at) VALUES ('registrar.load', 'succeeded', ?, ?)`,
			"2026-01-02 03:04:05", "2026-01-02 03:04:05"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(ctx, `INSERT INTO ferry_reject (job_id, file, line, reason, raw) VALUES (1, 'f.txt', 3, 'blank line', 'raw text')`); err != nil {
			t.Fatal(err)
		}
		if err := db.Migrate(ctx, migrationSets...); err != nil {
			t.Fatalf("adopting a legacy database: %v", err)
		}
		var name string
		if err := db.QueryRow(ctx, `SELECT name FROM domain`).Scan(&name); err != nil || name != "kept.gov" {
			t.Fatalf("domain after adoption: %q, %v", name, err)
		}
		var raw []byte
		if err := db.QueryRow(ctx, `SELECT raw FROM ferry_reject`).Scan(&raw); err != nil || string(raw) != "raw text" {
			t.Fatalf("reject after adoption: %q, %v", raw, err)
		}
		if ok, err := db.TableExists(ctx, "ferry_schema_version"); err != nil || ok {
			t.Fatalf("the legacy version table is still there (%v, %v)", ok, err)
		}
		st, err := db.MigrationStatus(ctx, migrationSets...)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range st {
			if s.Pending != 0 || s.Version != s.Latest {
				t.Errorf("%s: at %d of %d, %d pending", s.Name, s.Version, s.Latest, s.Pending)
			}
		}
		if os.Getenv(storetest.EnvPostgres) == "" || db.Dialect() != store.Postgres {
			return
		}
		fresh := describe(t, storetest.Postgres(t, migrationSets...))
		adopted := describe(t, db)
		for table, cols := range fresh {
			if adopted[table] != cols {
				t.Errorf("adopted %s: %s\nfresh: %s", table, adopted[table], cols)
			}
		}
	}, legacy)

}
