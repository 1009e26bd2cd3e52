package storetest

// The PostgreSQL pool. Creating a database and migrating it costs more
// than most tests that use it, so tests borrow a schema instead: one of a
// pool kept in the database FERRY_TEST_POSTGRES_URL names, already
// migrated, emptied before each use, and reached through a URL whose
// search_path (and application_name) is the schema. ferry names nothing
// by schema: it resolves its tables, its sequences and current_schema()
// through the search path, so a schema is as good as a database to it.
//
// A schema is lent to one test at a time, in any process: the lender holds
// a session advisory lock named after the schema on a connection of its
// own until the test ends.
//
// A schema is only ever lent for the list of migration sets it was built
// with: the pool is keyed by the sets' names, version tables and the text
// of their PostgreSQL migrations, so a changed migration gets schemas of
// its own. Each schema's comment records what its migrations made (every
// relation, and a digest of the catalog and of the version tables), and
// whether it is clean. When a test ends, its schema is brought back to
// that record and marked clean before it is unlocked:
//
//   - connections still using it (a leaked pool, a ferry still running)
//     are terminated;
//   - relations the migrations did not make (a test's own CREATE TABLE,
//     the registrar's unlogged side tables) are dropped;
//   - if anything else differs from the record (a column, an index, a
//     version row), the schema is dropped and built again;
//   - otherwise the tables holding rows, but not the version tables, are
//     truncated, and the sequences that were used restart.
//
// Lending a clean schema is then a lock and a comment. A process that
// dies mid-test loses its locks with its sessions, leaving its schemas
// unlocked and not clean: the next process to start drops them (so that
// stale rows and tables do not linger where other tests can see them in
// the catalog), and a lender that finds one first cleans it as above.
// Schemas of other keys that nobody has borrowed for a day are dropped
// too, so that old migrations do not pile up.
//
// Measured on PostgreSQL 15 on two cores, with the engine's and the
// registrar's migrations (BenchmarkPostgres: lend, open, close, give back):
//
//	a new database, migrated and dropped (before the pool)  470-640 ms
//	a pooled schema, the test wrote nothing                    22 ms
//	a pooled schema, the test wrote rows to three tables    55-100 ms
//
// Giving a schema back by truncating only the tables that hold rows (one
// EXISTS query finds them; the truncation cascades to the tables that refer
// to them) beat truncating every table (105-175 ms when nothing was written,
// 75-95 ms after the three tables) and dropping and migrating it again
// (180-250 ms and 400-600 ms). DELETE would be faster still than TRUNCATE
// (1 ms against 30 ms for two tables and their seven dependants) but leaves
// the old rows' space and the planner's statistics behind, so a schema
// would no longer be the same as a new one.
//
// Whole runs, before the pool and with it (mean time of a PostgreSQL test
// or script, run in parallel with the rest):
//
//	go test ./internal/engine/ ./internal/registrar/ ./cmd/ferry/
//	    50-74 s before, 32-39 s with the pool; engine 0.32-0.71 s to
//	    0.24-0.28 s, registrar 1.2-2.0 s to 0.74-0.92 s, scripts
//	    2.1-2.8 s to 1.3-1.9 s
//	go test -race ./...
//	    5 m 17 s before, 2 m 48 s with the pool (empty at the start, as
//	    in CI, or not); engine 2.0 s to 0.21-0.26 s, registrar 3.2 s to
//	    0.57-0.63 s, scripts 11.6 s to 8.0 s (the race detector's cost
//	    in the ferry binary is most of that, as under SQLite)

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ferrymigrate/ferry/internal/store"
)

// poolPrefix starts the name of every pooled schema:
// ferry_pool_<key>_<random>.
const poolPrefix = "ferry_pool_"

// The pool's advisory locks use the two-integer form, whose keys never
// meet the single bigint keys of ferry's engine or of goose. The first
// integer says what the second is: a schema (hashtext of its name), or
// the one lock that lets a single process at a time build a schema.
const (
	lockSchema  = 0x66657201
	lockBuilder = 0x66657202
)

// staleAfter is how long a schema of another key may go unborrowed before
// a process drops it.
const staleAfter = 24 * time.Hour

// poolRecord is kept, as JSON, in a pooled schema's comment.
type poolRecord struct {
	Key string `json:"key"`
	// Relations are the schema's relations ("kind:name") once migrated.
	Relations []string `json:"relations"`
	// Tables are those to empty: all but the version tables.
	Tables []string `json:"tables"`
	// Keep are the sequences of the version tables, which must go on.
	Keep []string `json:"keep"`
	// Digest sums up the catalog and the version tables' rows.
	Digest string `json:"digest"`
	// Clean is set when a test gives the schema back emptied, and cleared
	// when it is lent.
	Clean bool `json:"clean"`
	// Used is when the schema was last lent.
	Used time.Time `json:"used"`
}

// LeasePostgres lends the caller a schema of the database at admin (an
// administrative postgres:// URL) migrated with sets and holding no rows,
// for its use alone until it calls release. dbURL is admin pinned to the
// schema; open it with store.Open, do not migrate it again (it would be a
// no-op, but goose's lock is one for the whole database, so concurrent
// tests would queue on it), and close it before calling release, which
// ends any session still using the schema. It is for callers without a
// *testing.T; tests call Postgres.
func LeasePostgres(ctx context.Context, admin string, sets ...store.Migrations) (dbURL string, release func() error, err error) {
	l, err := newLease(ctx, admin, sets)
	if err != nil {
		return "", nil, err
	}
	return l.url(), l.release, nil
}

func newLease(ctx context.Context, admin string, sets []store.Migrations) (*lease, error) {
	key, err := poolKey(sets)
	if err != nil {
		return nil, err
	}
	if _, err := url.Parse(admin); err != nil || !strings.Contains(admin, "://") {
		return nil, fmt.Errorf("%s must be a postgres:// URL", EnvPostgres)
	}
	conn, err := lockConn(ctx, admin)
	if err != nil {
		return nil, err
	}
	l := &lease{conn: conn, admin: admin, key: key, sets: sets}
	if err := l.acquire(ctx); err != nil {
		conn.Close(context.Background())
		return nil, err
	}
	return l, nil
}

// idle keeps the connections of released leases, by admin URL, for the
// next: a connection that has been used has its catalog caches warm.
var idle struct {
	sync.Mutex
	conns map[string][]*pgx.Conn
}

// maxIdle bounds the idle connections per admin URL.
const maxIdle = 4

// lockConn returns an idle connection to admin, or a new one.
func lockConn(ctx context.Context, admin string) (*pgx.Conn, error) {
	idle.Lock()
	if list := idle.conns[admin]; len(list) > 0 {
		c := list[len(list)-1]
		idle.conns[admin] = list[:len(list)-1]
		idle.Unlock()
		return c, nil
	}
	idle.Unlock()
	cfg, err := pgx.ParseConfig(admin)
	if err != nil {
		return nil, fmt.Errorf("parsing %s: %v", EnvPostgres, err)
	}
	cfg.RuntimeParams["application_name"] = "ferry_pool"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connecting to %s: %v", EnvPostgres, err)
	}
	return conn, nil
}

// putConn keeps conn, holding no lock, for the next lease.
func putConn(ctx context.Context, admin string, conn *pgx.Conn) {
	idle.Lock()
	defer idle.Unlock()
	if len(idle.conns[admin]) >= maxIdle || conn.IsClosed() {
		conn.Close(ctx)
		return
	}
	if idle.conns == nil {
		idle.conns = map[string][]*pgx.Conn{}
	}
	idle.conns[admin] = append(idle.conns[admin], conn)
}

type lease struct {
	conn   *pgx.Conn // holds the schema's advisory lock
	admin  string
	key    string
	sets   []store.Migrations
	schema string
	lent   time.Time

	releaseOnce sync.Once
	releaseErr  error
}

var collectOnce sync.Once

func (l *lease) acquire(ctx context.Context) error {
	collectOnce.Do(func() { l.collect(ctx) })
	var names []string
	rows, err := l.conn.Query(ctx, `SELECT nspname FROM pg_namespace WHERE starts_with(nspname, $1) ORDER BY nspname`, poolPrefix+l.key+"_")
	if err == nil {
		names, err = pgx.CollectRows(rows, pgx.RowTo[string])
	}
	if err != nil {
		return fmt.Errorf("listing pooled schemas: %v", err)
	}
	for _, name := range names {
		ok, err := l.tryLock(ctx, name)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		l.schema = name
		if err := l.terminate(ctx); err != nil {
			return err
		}
		rec, ok, err := l.readRecord(ctx)
		if err != nil {
			return err
		}
		if !ok || !rec.Clean || rec.Key != l.key {
			// Left by a process that died, or dropped since the listing.
			if rec, err = l.tidy(ctx); err != nil {
				return err
			}
		}
		return l.lend(ctx, rec)
	}
	var b [4]byte
	rand.Read(b[:])
	name := poolPrefix + l.key + "_" + hex.EncodeToString(b[:])
	if ok, err := l.tryLock(ctx, name); err != nil {
		return err
	} else if !ok {
		return fmt.Errorf("pooled schema %s: its new name is locked already", name)
	}
	l.schema = name
	rec, err := l.build(ctx)
	if err != nil {
		return err
	}
	return l.lend(ctx, rec)
}

// lend marks the schema as lent now.
func (l *lease) lend(ctx context.Context, rec poolRecord) error {
	l.lent = time.Now().UTC()
	rec.Clean, rec.Used = false, l.lent
	return l.writeRecord(ctx, rec)
}

func (l *lease) tryLock(ctx context.Context, name string) (bool, error) {
	var ok bool
	if err := l.conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1, hashtext($2))`, lockSchema, name).Scan(&ok); err != nil {
		return false, fmt.Errorf("locking pooled schema %s: %v", name, err)
	}
	return ok, nil
}

// url is the admin URL pinned to the schema. pgx sends parameters it does
// not know itself as run-time settings in every connection's startup
// message, so each connection a pool opens starts in the schema.
func (l *lease) url() string {
	u, err := url.Parse(l.admin)
	if err != nil {
		// newLease parsed it.
		panic(err)
	}
	q := u.Query()
	q.Set("search_path", l.schema)
	q.Set("application_name", l.schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// release gives the schema back, clean; calls after the first return
// what the first did.
func (l *lease) release() error {
	l.releaseOnce.Do(func() { l.releaseErr = l.giveBack() })
	return l.releaseErr
}

func (l *lease) giveBack() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	rec, err := l.tidy(ctx)
	if err == nil {
		rec.Clean, rec.Used = true, l.lent
		err = l.writeRecord(ctx, rec)
	}
	if err == nil {
		_, err = l.conn.Exec(ctx, `SELECT pg_advisory_unlock($1, hashtext($2))`, lockSchema, l.schema)
	}
	if err != nil {
		// Closing the session unlocks the schema too, not clean.
		l.conn.Close(ctx)
		return fmt.Errorf("giving back pooled schema %s: %v", l.schema, err)
	}
	putConn(ctx, l.admin, l.conn)
	return nil
}

// terminate ends every other session using the schema, waiting for each
// to exit: no lock, transaction or temporary table of a test outlives it.
func (l *lease) terminate(ctx context.Context) error {
	return terminate(ctx, l.conn, l.schema)
}

func terminate(ctx context.Context, conn *pgx.Conn, schema string) error {
	_, err := conn.Exec(ctx, `SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity
		WHERE application_name = $1 AND datname = current_database() AND pid <> pg_backend_pid()`, schema)
	if err != nil {
		return fmt.Errorf("ending sessions in pooled schema %s: %v", schema, err)
	}
	return nil
}

// tidy brings the schema back to its record, or rebuilds it, and returns
// the record.
func (l *lease) tidy(ctx context.Context) (poolRecord, error) {
	if err := l.terminate(ctx); err != nil {
		return poolRecord{}, err
	}
	rec, ok, err := l.readRecord(ctx)
	if err != nil {
		return poolRecord{}, err
	}
	if !ok || rec.Key != l.key {
		return l.build(ctx)
	}
	rels, err := l.relations(ctx)
	if err != nil {
		return poolRecord{}, err
	}
	if extra := without(rels, rec.Relations); len(extra) > 0 {
		if _, err := l.conn.Exec(ctx, dropStatements(l.schema, extra)); err != nil {
			return l.build(ctx)
		}
	}
	if digest, err := l.digest(ctx); err != nil || digest != rec.Digest {
		return l.build(ctx)
	}
	return rec, l.empty(ctx, rec)
}

// empty truncates the tables that hold rows and restarts the sequences
// that were used, in two round trips.
func (l *lease) empty(ctx context.Context, rec poolRecord) error {
	var dirty []string
	if len(rec.Tables) > 0 {
		var q strings.Builder
		for i, t := range rec.Tables {
			if i > 0 {
				q.WriteString(" UNION ALL ")
			}
			fmt.Fprintf(&q, "SELECT %s WHERE EXISTS (SELECT FROM %s)", quoteLiteral(t), pgx.Identifier{l.schema, t}.Sanitize())
		}
		rows, err := l.conn.Query(ctx, q.String())
		if err == nil {
			dirty, err = pgx.CollectRows(rows, pgx.RowTo[string])
		}
		if err != nil {
			return fmt.Errorf("emptying pooled schema %s: %v", l.schema, err)
		}
	}
	var stmts strings.Builder
	if len(dirty) > 0 {
		names := make([]string, len(dirty))
		for i, t := range dirty {
			names[i] = pgx.Identifier{l.schema, t}.Sanitize()
		}
		// CASCADE: a table that refers to a truncated one goes with it,
		// empty or not.
		fmt.Fprintf(&stmts, "TRUNCATE %s CASCADE;\n", strings.Join(names, ", "))
	}
	keep := make([]string, len(rec.Keep))
	for i, s := range rec.Keep {
		keep[i] = quoteLiteral(s)
	}
	// last_value is null for a sequence never used, or set back like this.
	fmt.Fprintf(&stmts, `SELECT setval(format('%%I.%%I', schemaname, sequencename), start_value, false) FROM pg_sequences
		WHERE schemaname = %s AND last_value IS NOT NULL AND sequencename NOT IN (%s);
`, quoteLiteral(l.schema), strings.Join(append(keep, "''"), ", "))
	if _, err := l.conn.Exec(ctx, stmts.String()); err != nil {
		return fmt.Errorf("emptying pooled schema %s: %v", l.schema, err)
	}
	return nil
}

// build drops the schema if it exists, creates and migrates it, and
// records what the migrations made.
func (l *lease) build(ctx context.Context) (poolRecord, error) {
	sch := pgx.Identifier{l.schema}.Sanitize()
	if _, err := l.conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+sch+" CASCADE; CREATE SCHEMA "+sch); err != nil {
		return poolRecord{}, fmt.Errorf("creating pooled schema %s: %v", l.schema, err)
	}
	// goose tries its database-wide lock every 5 s; builders queue here
	// instead, without the sleep.
	if _, err := l.conn.Exec(ctx, `SELECT pg_advisory_lock($1, 0)`, lockBuilder); err != nil {
		return poolRecord{}, fmt.Errorf("waiting to migrate pooled schema %s: %v", l.schema, err)
	}
	err := l.migrate(ctx)
	if _, uerr := l.conn.Exec(ctx, `SELECT pg_advisory_unlock($1, 0)`, lockBuilder); uerr != nil && err == nil {
		err = fmt.Errorf("migrating pooled schema %s: %v", l.schema, uerr)
	}
	if err != nil {
		return poolRecord{}, err
	}
	rec := poolRecord{Key: l.key}
	if rec.Relations, err = l.relations(ctx); err != nil {
		return poolRecord{}, err
	}
	versions := make([]string, len(l.sets))
	for i, m := range l.sets {
		versions[i] = m.Table
	}
	for _, r := range rec.Relations {
		kind, name, _ := strings.Cut(r, ":")
		if (kind == "r" || kind == "p") && !slices.Contains(versions, name) {
			rec.Tables = append(rec.Tables, name)
		}
	}
	rows, err := l.conn.Query(ctx, `SELECT DISTINCT s.relname FROM pg_depend d
		JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
		JOIN pg_class t ON t.oid = d.refobjid
		WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass
		AND t.relnamespace = $1::regnamespace AND t.relname = ANY($2) ORDER BY 1`, sch, versions)
	if err == nil {
		rec.Keep, err = pgx.CollectRows(rows, pgx.RowTo[string])
	}
	if err != nil {
		return poolRecord{}, fmt.Errorf("recording pooled schema %s: %v", l.schema, err)
	}
	if rec.Digest, err = l.digest(ctx); err != nil {
		return poolRecord{}, err
	}
	return rec, nil
}

func (l *lease) migrate(ctx context.Context) error {
	db, err := store.Open(ctx, l.url())
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Migrate(ctx, l.sets...); err != nil {
		return err
	}
	return db.Close()
}

// relations lists the schema's relations as "kind:name", sorted.
func (l *lease) relations(ctx context.Context) ([]string, error) {
	rows, err := l.conn.Query(ctx, `SELECT relkind::text || ':' || relname FROM pg_class
		WHERE relnamespace = $1::regnamespace ORDER BY 1`, pgx.Identifier{l.schema}.Sanitize())
	var rels []string
	if err == nil {
		rels, err = pgx.CollectRows(rows, pgx.RowTo[string])
	}
	if err != nil {
		return nil, fmt.Errorf("listing pooled schema %s: %v", l.schema, err)
	}
	return rels, nil
}

// catalogDigest sums up what a schema holds: relations, columns,
// defaults, constraints, indexes, triggers, sequences, views, functions
// and types. Names are shown qualified, so a digest belongs to one schema.
const catalogDigest = `WITH n AS (SELECT $1::regnamespace AS oid)
SELECT coalesce(string_agg(x, E'\n' ORDER BY x), '') FROM (
	SELECT concat_ws(' ', 'rel', relname, relkind::text, relpersistence::text, relrowsecurity) FROM pg_class, n WHERE relnamespace = n.oid
	UNION ALL
	SELECT concat_ws(' ', 'col', c.relname, a.attnum, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
		a.attidentity, a.attgenerated, pg_get_expr(d.adbin, d.adrelid))
	FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN n ON c.relnamespace = n.oid
	LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
	WHERE a.attnum > 0 AND NOT a.attisdropped
	UNION ALL
	SELECT concat_ws(' ', 'con', conname, conrelid::regclass, pg_get_constraintdef(k.oid)) FROM pg_constraint k, n WHERE connamespace = n.oid
	UNION ALL
	SELECT concat_ws(' ', 'idx', pg_get_indexdef(i.indexrelid)) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN n ON c.relnamespace = n.oid
	UNION ALL
	SELECT concat_ws(' ', 'trg', pg_get_triggerdef(t.oid)) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN n ON c.relnamespace = n.oid
	WHERE NOT t.tgisinternal
	UNION ALL
	SELECT concat_ws(' ', 'seq', c.relname, s.seqtypid, s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache, s.seqcycle)
	FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid JOIN n ON c.relnamespace = n.oid
	UNION ALL
	SELECT concat_ws(' ', 'view', c.relname, pg_get_viewdef(c.oid)) FROM pg_class c JOIN n ON c.relnamespace = n.oid WHERE c.relkind IN ('v', 'm')
	UNION ALL
	SELECT concat_ws(' ', 'fn', proname, pg_get_function_identity_arguments(p.oid), md5(prosrc)) FROM pg_proc p, n WHERE pronamespace = n.oid
	UNION ALL
	SELECT concat_ws(' ', 'type', typname, typtype, (SELECT string_agg(enumlabel, ',' ORDER BY enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid))
	FROM pg_type t, n WHERE typnamespace = n.oid
) f(x)`

// digest sums up the schema's catalog and the rows of its version tables.
func (l *lease) digest(ctx context.Context) (string, error) {
	var q strings.Builder
	q.WriteString("SELECT md5((" + catalogDigest + ")")
	for _, m := range l.sets {
		fmt.Fprintf(&q, " || E'\\n' || (SELECT coalesce(string_agg(version_id || ':' || is_applied, ',' ORDER BY id), '') FROM %s)",
			pgx.Identifier{l.schema, m.Table}.Sanitize())
	}
	q.WriteString(")")
	var d string
	if err := l.conn.QueryRow(ctx, q.String(), pgx.Identifier{l.schema}.Sanitize()).Scan(&d); err != nil {
		return "", fmt.Errorf("summing up pooled schema %s: %v", l.schema, err)
	}
	return d, nil
}

func (l *lease) readRecord(ctx context.Context) (poolRecord, bool, error) {
	var text *string
	err := l.conn.QueryRow(ctx, `SELECT obj_description(oid, 'pg_namespace') FROM pg_namespace WHERE nspname = $1`, l.schema).Scan(&text)
	if errors.Is(err, pgx.ErrNoRows) {
		// Dropped between listing and locking.
		return poolRecord{}, false, nil
	}
	if err != nil {
		return poolRecord{}, false, fmt.Errorf("reading pooled schema %s: %v", l.schema, err)
	}
	var rec poolRecord
	if text == nil || json.Unmarshal([]byte(*text), &rec) != nil {
		return poolRecord{}, false, nil
	}
	return rec, true, nil
}

// collect drops the pooled schemas that are neither lent nor clean (their
// test's process died), and those of other keys not lent for staleAfter,
// each under its lock so that no one is using it. It is tidying: a
// failure only leaves them for later.
func (l *lease) collect(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	type schema struct {
		name string
		text *string
	}
	rows, err := l.conn.Query(ctx, `SELECT nspname, obj_description(oid, 'pg_namespace') FROM pg_namespace WHERE starts_with(nspname, $1)`, poolPrefix)
	if err != nil {
		return
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (schema, error) {
		var s schema
		return s, r.Scan(&s.name, &s.text)
	})
	if err != nil {
		return
	}
	for _, s := range list {
		var rec poolRecord
		if s.text != nil && json.Unmarshal([]byte(*s.text), &rec) == nil && rec.Clean && (rec.Key == l.key || time.Since(rec.Used) < staleAfter) {
			continue
		}
		if ok, err := l.tryLock(ctx, s.name); err != nil || !ok {
			continue
		}
		if terminate(ctx, l.conn, s.name) == nil {
			l.conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{s.name}.Sanitize()+" CASCADE")
		}
		l.conn.Exec(ctx, `SELECT pg_advisory_unlock($1, hashtext($2))`, lockSchema, s.name)
	}
}

// poolKey names a list of migration sets by their names, version tables
// and PostgreSQL migrations, in order.
func poolKey(sets []store.Migrations) (string, error) {
	h := sha256.New()
	for _, m := range sets {
		fmt.Fprintf(h, "set %q %q\n", m.Name, m.Table)
		err := fs.WalkDir(m.FS, "postgres", func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := fs.ReadFile(m.FS, p)
			if err != nil {
				return err
			}
			fmt.Fprintf(h, "file %q %d\n", p, len(b))
			h.Write(b)
			return nil
		})
		if err != nil {
			return "", fmt.Errorf("storetest: %s migrations: %v", m.Name, err)
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:12], nil
}

// without returns the items of have not in want (both sorted).
func without(have, want []string) []string {
	var out []string
	for _, h := range have {
		if _, found := slices.BinarySearch(want, h); !found {
			out = append(out, h)
		}
	}
	return out
}

// dropStatements drops the relations ("kind:name") of schema, tables
// first; IF EXISTS because dropping one may have taken others with it.
func dropStatements(schema string, rels []string) string {
	kinds := []struct{ kind, what string }{
		{"r", "TABLE"}, {"p", "TABLE"}, {"f", "FOREIGN TABLE"}, {"m", "MATERIALIZED VIEW"}, {"v", "VIEW"},
		{"S", "SEQUENCE"}, {"i", "INDEX"}, {"I", "INDEX"}, {"c", "TYPE"},
	}
	var b strings.Builder
	for _, k := range kinds {
		for _, r := range rels {
			if kind, name, _ := strings.Cut(r, ":"); kind == k.kind {
				fmt.Fprintf(&b, "DROP %s IF EXISTS %s CASCADE;\n", k.what, pgx.Identifier{schema, name}.Sanitize())
			}
		}
	}
	// A kind not listed (a toast table cannot be here) is left for the
	// digest to catch.
	return b.String()
}

func (l *lease) writeRecord(ctx context.Context, rec poolRecord) error {
	text, err := json.Marshal(rec)
	if err == nil {
		_, err = l.conn.Exec(ctx, "COMMENT ON SCHEMA "+pgx.Identifier{l.schema}.Sanitize()+" IS "+quoteLiteral(string(text)))
	}
	if err != nil {
		return fmt.Errorf("recording pooled schema %s: %v", l.schema, err)
	}
	return nil
}

// quoteLiteral quotes s as an SQL string literal for statements sent
// without parameters.
func quoteLiteral(s string) string {
	return "E'" + strings.NewReplacer(`\`, `\\`, `'`, `''`).Replace(s) + "'"
}
