package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"

	"github.com/ferrymigrate/ferry/bench/harness"
)

// The bare SQL's time stands against ferry's only if both reach the same
// state. After both ran, every tenant table (sb_*) is summed up on each
// database: its row count and a checksum of its rows without the touch
// columns (the merge's time and actor, which differ by construction). The
// checksum hashes each row, sorts the hashes and hashes them in that order,
// so it depends on the rows and not on the order they are stored in.

// touchColumns are left out of the checksums.
var touchColumns = map[string]bool{
	"updatedby": true, "updateddate": true, "updated_date": true, "lastupdatedby": true,
	"lastupdatedon": true, "updatedon": true, "last_updated_on": true,
}

// tableColumns is one tenant table and the columns its checksum covers.
type tableColumns struct {
	Table   string
	Columns []string
}

// tableSum is one table's row count and checksum on one database.
type tableSum struct {
	Table string
	Rows  int64
	Hash  string
}

// stateCheck is the comparison of the two databases after the merges.
type stateCheck struct {
	Ferry, Bare []tableSum
	Err         error // the sums could not be taken
}

// Diffs lists the tables whose count or checksum differ.
func (s stateCheck) Diffs() []string { return compareSums(s.Ferry, s.Bare) }

// Match reports whether the sums were taken and agree.
func (s stateCheck) Match() bool {
	return s.Err == nil && len(s.Ferry) > 0 && len(s.Diffs()) == 0
}

// groupColumns turns (table, column) rows, in column order, into each
// table's checksum columns, touch columns left out.
func groupColumns(rows [][2]string) []tableColumns {
	var out []tableColumns
	for _, r := range rows {
		if len(out) == 0 || out[len(out)-1].Table != r[0] {
			out = append(out, tableColumns{Table: r[0]})
		}
		if !touchColumns[r[1]] {
			out[len(out)-1].Columns = append(out[len(out)-1].Columns, r[1])
		}
	}
	return out
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func quotedList(cols []string) string {
	q := make([]string, len(cols))
	for i, c := range cols {
		q[i] = quoteIdent(c)
	}
	return strings.Join(q, ", ")
}

// pgChecksumSQL sums one table on PostgreSQL: the count, and the md5 of
// the sorted md5s of its rows' text.
func pgChecksumSQL(t tableColumns) string {
	row := "''"
	if len(t.Columns) > 0 {
		row = "CAST(ROW(" + quotedList(t.Columns) + ") AS text)"
	}
	return "SELECT count(*), coalesce(md5(string_agg(h, '' ORDER BY h)), '') FROM (SELECT md5(" + row + ") AS h FROM " +
		quoteIdent(t.Table) + ") s"
}

// sqliteChecksumScript sums every table with the sqlite3 shell: the count,
// and sha3_query of the sorted sha3s of the rows as JSON arrays (which keep
// NULL, numbers and text apart). Each line it prints is table|count|hash.
func sqliteChecksumScript(tables []tableColumns) string {
	var b strings.Builder
	b.WriteString(".bail on\n.mode list\n.separator |\n.headers off\n")
	for _, t := range tables {
		row := "''"
		if len(t.Columns) > 0 {
			row = "json_array(" + quotedList(t.Columns) + ")"
		}
		inner := "SELECT sha3(" + row + ") AS h FROM " + quoteIdent(t.Table) + " ORDER BY h"
		fmt.Fprintf(&b, "SELECT %s, (SELECT count(*) FROM %s), lower(hex(sha3_query(%s)));\n",
			harness.SQLString(t.Table), quoteIdent(t.Table), harness.SQLString(inner))
	}
	return b.String()
}

// parseSums reads table|count|hash lines.
func parseSums(out []byte) ([]tableSum, error) {
	var sums []tableSum
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		f := strings.Split(line, "|")
		if len(f) != 3 {
			return nil, fmt.Errorf("unexpected checksum line %q", line)
		}
		n, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("unexpected checksum line %q", line)
		}
		sums = append(sums, tableSum{Table: f[0], Rows: n, Hash: f[2]})
	}
	return sums, sc.Err()
}

// compareSums lists, table by table, where the two sides differ: a table
// only one side has, another row count, another checksum.
func compareSums(ferry, bare []tableSum) []string {
	b := map[string]tableSum{}
	for _, s := range bare {
		b[s.Table] = s
	}
	seen := map[string]bool{}
	var out []string
	for _, f := range ferry {
		seen[f.Table] = true
		o, ok := b[f.Table]
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("%s: summed after ferry's merge only", f.Table))
		case f.Rows != o.Rows:
			out = append(out, fmt.Sprintf("%s: %d rows after ferry's merge, %d after the bare SQL", f.Table, f.Rows, o.Rows))
		case f.Hash != o.Hash:
			out = append(out, fmt.Sprintf("%s: %d rows on both, but their contents differ (checksum %s vs %s)", f.Table, f.Rows, short(f.Hash), short(o.Hash)))
		}
	}
	for _, s := range bare {
		if !seen[s.Table] {
			out = append(out, fmt.Sprintf("%s: summed after the bare SQL only", s.Table))
		}
	}
	return out
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

// The platform's tables, without sb_merge_plan: ferry's record of each
// merge's plan, which the bare SQL has no reason to write.
const (
	pgColumnsSQL = `SELECT table_name::text, column_name::text FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name LIKE 'sb\_%' AND table_name <> 'sb_merge_plan' ORDER BY table_name, ordinal_position`
	sqliteColumnsSQL = `SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p
		WHERE m.type = 'table' AND m.name LIKE 'sb\_%' ESCAPE '\' AND m.name <> 'sb_merge_plan' ORDER BY m.name, p.cid`
)

// pgState sums the tenant tables of both databases.
func pgState(ctx context.Context, ferryDB, bareDB *harness.ScratchDB) stateCheck {
	var rows [][2]string
	res, err := ferryDB.Conn().Query(ctx, pgColumnsSQL)
	if err != nil {
		return stateCheck{Err: fmt.Errorf("listing the tenant tables: %w", err)}
	}
	for res.Next() {
		var r [2]string
		if err := res.Scan(&r[0], &r[1]); err != nil {
			res.Close()
			return stateCheck{Err: err}
		}
		rows = append(rows, r)
	}
	res.Close()
	if err := res.Err(); err != nil {
		return stateCheck{Err: err}
	}
	tables := groupColumns(rows)
	if len(tables) == 0 {
		return stateCheck{Err: errors.New("found no tenant table (sb_*)")}
	}
	// The two databases are summed at the same time, one connection each.
	var s stateCheck
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i, side := range []struct {
		db   *harness.ScratchDB
		sums *[]tableSum
	}{{ferryDB, &s.Ferry}, {bareDB, &s.Bare}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, t := range tables {
				sum := tableSum{Table: t.Table}
				if err := side.db.Conn().QueryRow(ctx, pgChecksumSQL(t)).Scan(&sum.Rows, &sum.Hash); err != nil {
					errs[i] = fmt.Errorf("summing %s on %s: %w", t.Table, side.db.Name, err)
					return
				}
				*side.sums = append(*side.sums, sum)
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return stateCheck{Err: err}
	}
	return s
}

// sqliteColumns lists the tenant tables and their checksum columns.
func sqliteColumns(ctx context.Context, db *sql.DB) ([]tableColumns, error) {
	res, err := db.QueryContext(ctx, sqliteColumnsSQL)
	if err != nil {
		return nil, fmt.Errorf("listing the tenant tables: %w", err)
	}
	defer res.Close()
	var rows [][2]string
	for res.Next() {
		var r [2]string
		if err := res.Scan(&r[0], &r[1]); err != nil {
			return nil, err
		}
		rows = append(rows, r)
	}
	if err := res.Err(); err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, errors.New("found no tenant table (sb_*)")
	}
	return groupColumns(rows), nil
}

// sqliteState sums the tenant tables of both files with the sqlite3 shell
// (its sha3 functions), the script written to scriptPath.
func sqliteState(ctx context.Context, tables []tableColumns, ferryPath, barePath, scriptPath string) stateCheck {
	if err := os.WriteFile(scriptPath, []byte(sqliteChecksumScript(tables)), 0o644); err != nil {
		return stateCheck{Err: err}
	}
	var s stateCheck
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i, side := range []struct {
		path string
		sums *[]tableSum
	}{{ferryPath, &s.Ferry}, {barePath, &s.Bare}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.CommandContext(ctx, "sqlite3", side.path, ".read "+scriptPath)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				errs[i] = fmt.Errorf("summing %s: %w: %s", side.path, err, harness.TailLines(stderr.Bytes(), 3))
				return
			}
			if *side.sums, err = parseSums(out); err != nil {
				errs[i] = fmt.Errorf("summing %s: %w", side.path, err)
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return stateCheck{Err: err}
	}
	return s
}
