package storetest

import (
	"context"
	"embed"
	"errors"
	"io/fs"
	"net/url"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ferrymigrate/ferry/internal/store"
)

//go:embed testdata/pool
var poolFiles embed.FS

// poolSet is the pool tests' schema under a name of the test's own, so
// that each test has a pool to itself and knows what it will be lent.
func poolSet(t *testing.T) store.Migrations {
	sub, err := fs.Sub(poolFiles, "testdata/pool")
	if err != nil {
		t.Fatal(err)
	}
	return store.Migrations{Name: "pooltest " + t.Name(), Table: "ferry_schema_pooltest", FS: sub}
}

// lend borrows a schema for sets and opens it; the schema is released,
// after the database is closed, when the test ends unless the test
// releases it first. It returns the schema's name.
func lend(t *testing.T, sets ...store.Migrations) (*store.DB, string, func()) {
	t.Helper()
	ctx := context.Background()
	dbURL, release, err := LeasePostgres(ctx, adminURL(t), sets...)
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(ctx, dbURL)
	if err != nil {
		release()
		t.Fatal(err)
	}
	var once sync.Once
	done := func() {
		once.Do(func() {
			db.Close()
			if err := release(); err != nil {
				t.Error(err)
			}
		})
	}
	t.Cleanup(done)
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	return db, u.Query().Get("search_path"), done
}

func exec(t *testing.T, db *store.DB, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		if _, err := db.Exec(context.Background(), s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

func count(t *testing.T, db *store.DB, query string) int64 {
	t.Helper()
	var n int64
	if err := db.QueryRow(context.Background(), query).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// Every connection of the pool starts in the lent schema, so unqualified
// names, current_schema() and pg_get_serial_sequence all resolve there.
func TestPoolPinsEveryConnection(t *testing.T) {
	db, schema, _ := lend(t, poolSet(t))
	if !strings.HasPrefix(schema, poolPrefix) {
		t.Fatalf("lent %q, not a pooled schema", schema)
	}
	ctx := context.Background()
	// Hold all 8 of the pool's connections, so each is a new one.
	conns := make([]interface{ Close() error }, 0, 8)
	for i := range 8 {
		c, err := db.SQL().Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		var cur, seq string
		if err := c.QueryRowContext(ctx, `SELECT current_schema(), pg_get_serial_sequence('item', 'id')`).Scan(&cur, &seq); err != nil {
			t.Fatal(err)
		}
		if cur != schema || seq != schema+".item_id_seq" {
			t.Errorf("connection %d: current_schema %q, item's sequence %q; want schema %q", i, cur, seq, schema)
		}
	}
	for _, c := range conns {
		c.Close()
	}
	exec(t, db, `CREATE TEMP TABLE t (n int)`, `CREATE UNLOGGED TABLE side AS SELECT 1 AS n`)
	if n := count(t, db, `SELECT count(*) FROM pg_tables WHERE tablename = 'side' AND schemaname = '`+schema+`'`); n != 1 {
		t.Errorf("an unqualified CREATE TABLE did not land in the lent schema")
	}
}

// A schema comes back empty: rows gone, sequences restarted, and what a
// test made itself (a table, an index) dropped; the version table keeps
// its rows.
func TestPoolReuseIsFresh(t *testing.T) {
	set := poolSet(t)
	db, first, release := lend(t, set)
	versions := count(t, db, `SELECT count(*) FROM ferry_schema_pooltest`)
	exec(t, db,
		`INSERT INTO item (name) VALUES ('a'), ('b'), ('c')`,
		`INSERT INTO item_tag VALUES (1, 'x')`,
		`SELECT nextval('ticket')`,
		`CREATE TABLE pipe (no integer NOT NULL)`,
		`CREATE INDEX item_name_lower ON item (lower(name))`,
		`CREATE SEQUENCE mine`,
		`CREATE VIEW item_names AS SELECT name FROM item`,
	)
	// A sequence used by a row that was rolled back must restart too.
	if err := db.InTx(context.Background(), func(tx *store.Tx) error {
		if _, err := tx.Exec(context.Background(), `INSERT INTO scratch VALUES (1)`); err != nil {
			return err
		}
		_, err := tx.Exec(context.Background(), `INSERT INTO item (name) VALUES ('rolled back')`)
		if err != nil {
			return err
		}
		return errRollback
	}); !errors.Is(err, errRollback) {
		t.Fatal(err)
	}
	release()

	db, again, _ := lend(t, set)
	if again != first {
		t.Fatalf("lent %s, then %s: the pool did not reuse its free schema", first, again)
	}
	for table, want := range map[string]int64{"item": 0, "item_tag": 0, "scratch": 0, "ferry_schema_pooltest": versions} {
		if n := count(t, db, `SELECT count(*) FROM `+table); n != want {
			t.Errorf("%s holds %d rows, want %d", table, n, want)
		}
	}
	if n := count(t, db, `SELECT count(*) FROM pg_class WHERE relnamespace = current_schema()::regnamespace
		AND relname IN ('pipe', 'item_name_lower', 'mine', 'item_names')`); n != 0 {
		t.Errorf("%d of the test's own relations are still there", n)
	}
	var id int64
	if err := db.QueryRow(context.Background(), `INSERT INTO item (name) VALUES ('a') RETURNING id`).Scan(&id); err != nil || id != 1 {
		t.Errorf("first id after reuse %d (%v), want 1", id, err)
	}
	if n := count(t, db, `SELECT nextval('ticket')`); n != 1 {
		t.Errorf("ticket restarted at %d, want 1", n)
	}
	// The version table's own sequence goes on: a later migration's row
	// must not take an id in use.
	if n := count(t, db, `SELECT nextval(pg_get_serial_sequence('ferry_schema_pooltest', 'id'))`); n <= versions {
		t.Errorf("the version table's sequence restarted (next id %d, %d rows)", n, versions)
	}
}

var errRollback = errors.New("rollback")

// A schema whose migrated structure a test changed is built again, under
// the same name, before it is lent.
func TestPoolRebuildsAChangedSchema(t *testing.T) {
	for name, change := range map[string]string{
		"column":  `ALTER TABLE item ADD COLUMN extra text`,
		"default": `ALTER TABLE item_tag ALTER COLUMN tag SET DEFAULT 'x'`,
		"dropped": `DROP TABLE scratch`,
		"version": `DELETE FROM ferry_schema_pooltest WHERE version_id > 0`,
		"type":    `CREATE TYPE mood AS ENUM ('ok')`,
	} {
		t.Run(name, func(t *testing.T) {
			set := poolSet(t)
			db, first, release := lend(t, set)
			exec(t, db, change)
			release()
			db, again, _ := lend(t, set)
			if again != first {
				t.Fatalf("lent %s, then %s", first, again)
			}
			if n := count(t, db, `SELECT count(*) FROM information_schema.columns WHERE table_schema = current_schema()
				AND (column_name = 'extra' OR column_default IS NOT NULL AND table_name = 'item_tag')`); n != 0 {
				t.Errorf("the change survived")
			}
			if n := count(t, db, `SELECT count(*) FROM pg_type WHERE typname = 'mood'`); n != 0 {
				t.Errorf("the type survived")
			}
			count(t, db, `SELECT count(*) FROM scratch`)
			if n := count(t, db, `SELECT count(*) FROM ferry_schema_pooltest WHERE version_id = 1`); n != 1 {
				t.Errorf("the schema is not migrated")
			}
		})
	}
}

// Leases at the same time get different schemas.
func TestPoolLendsEachSchemaOnce(t *testing.T) {
	admin := adminURL(t)
	set := poolSet(t)
	const n = 6
	var (
		mu   sync.Mutex
		seen = map[string]bool{}
		wg   sync.WaitGroup
	)
	for range n {
		wg.Go(func() {
			ctx := context.Background()
			dbURL, release, err := LeasePostgres(ctx, admin, set)
			if err != nil {
				t.Error(err)
				return
			}
			u, _ := url.Parse(dbURL)
			mu.Lock()
			seen[u.Query().Get("search_path")] = true
			mu.Unlock()
			// Hold it until all have theirs.
			time.Sleep(300 * time.Millisecond)
			if err := release(); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if len(seen) != n {
		t.Errorf("%d leases at once got %d schemas", n, len(seen))
	}
}

// A schema left by a process that died mid-test, rows, connections and
// all, is lent again: its sessions are ended and it is emptied.
func TestPoolReusesAnAbandonedSchema(t *testing.T) {
	set := poolSet(t)
	ctx := context.Background()
	l, err := newLease(ctx, adminURL(t), []store.Migrations{set})
	if err != nil {
		t.Fatal(err)
	}
	stray, err := store.Open(ctx, l.url())
	if err != nil {
		t.Fatal(err)
	}
	defer stray.Close()
	exec(t, stray, `INSERT INTO item (name) VALUES ('left')`, `CREATE TABLE pipe (n int)`)
	conn, err := stray.SQL().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `BEGIN; LOCK TABLE item`); err != nil {
		t.Fatal(err)
	}
	// The process dies: its lock goes with its session.
	pid := l.conn.PgConn().PID()
	l.conn.Close(ctx)
	waitGone(t, pid)

	db, again, _ := lend(t, set)
	if n := count(t, db, `SELECT count(*) FROM item`); n != 0 {
		t.Errorf("item holds %d rows", n)
	}
	if _, err := conn.ExecContext(ctx, `SELECT 1`); err == nil {
		t.Errorf("the abandoned session still runs")
	}
	// Another test process starting meanwhile may have dropped it instead.
	if again != l.schema && schemaExists(t, l.schema) {
		t.Errorf("abandoned %s, lent %s, and %[1]s is still there", l.schema, again)
	}
}

// A process starting drops the schemas that are neither lent nor clean,
// and clean ones of other keys not lent for a day.
func TestPoolCollects(t *testing.T) {
	ctx := context.Background()
	admin := adminURL(t)
	// Each is held until all four are made, so that they are four.
	var held []*lease
	defer func() {
		for _, l := range held {
			l.conn.Close(ctx)
		}
	}()
	abandon := func(set store.Migrations, used time.Time, clean bool) string {
		l, err := newLease(ctx, admin, []store.Migrations{set})
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, l)
		rec, ok, err := l.readRecord(ctx)
		if err != nil || !ok {
			t.Fatalf("record: %v, %v", ok, err)
		}
		rec.Used, rec.Clean = used, clean
		if err := l.writeRecord(ctx, rec); err != nil {
			t.Fatal(err)
		}
		return l.schema
	}
	mine := poolSet(t)
	other := mine
	other.Name += " other"
	dirty := abandon(mine, time.Now(), false)
	kept := abandon(mine, time.Now().Add(-2*staleAfter), true)
	stale := abandon(other, time.Now().Add(-2*staleAfter), true)
	fresh := abandon(other, time.Now(), true)
	for _, l := range held {
		if _, err := l.conn.Exec(ctx, `SELECT pg_advisory_unlock($1, hashtext($2))`, lockSchema, l.schema); err != nil {
			t.Fatal(err)
		}
	}
	key, err := poolKey([]store.Migrations{mine})
	if err != nil {
		t.Fatal(err)
	}
	conn, err := lockConn(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	(&lease{conn: conn, admin: admin, key: key}).collect(ctx)
	for name, want := range map[string]bool{dirty: false, kept: true, stale: false, fresh: true} {
		if got := schemaExists(t, name); got != want {
			t.Errorf("%s exists: %v, want %v", name, got, want)
		}
	}
}

func schemaExists(t *testing.T, name string) bool {
	t.Helper()
	ctx := context.Background()
	c, err := pgx.Connect(ctx, adminURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	var n int
	if err := c.QueryRow(ctx, `SELECT count(*) FROM pg_namespace WHERE nspname = $1`, name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n > 0
}

// waitGone waits until the backend pid has exited.
func waitGone(t *testing.T, pid uint32) {
	t.Helper()
	ctx := context.Background()
	c, err := pgx.Connect(ctx, adminURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	for range 100 {
		var n int
		if err := c.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE pid = $1`, pid).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("backend %d did not exit", pid)
}

func TestPoolKey(t *testing.T) {
	files := func(sql string) fs.FS {
		return fstest.MapFS{"postgres/00001_a.sql": {Data: []byte(sql)}}
	}
	a := store.Migrations{Name: "a", Table: "ta", FS: files("CREATE TABLE a (n int);")}
	b := store.Migrations{Name: "b", Table: "tb", FS: files("CREATE TABLE b (n int);")}
	a2 := a
	a2.FS = files("CREATE TABLE a (n bigint);")
	key := func(sets ...store.Migrations) string {
		k, err := poolKey(sets)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	want := key(a, b)
	if again := key(a, b); again != want {
		t.Error("the same sets got different keys")
	}
	for name, other := range map[string]string{"order": key(b, a), "subset": key(a), "content": key(a2, b), "none": key()} {
		if other == want {
			t.Errorf("%s: two lists of sets share a key", name)
		}
	}
}
