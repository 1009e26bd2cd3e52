package main

// The scripts in testdata/script run the real ferry binary (this test
// binary, re-executed as "ferry" by testscript) in a fresh $WORK each:
//
//	go test ./cmd/ferry                                    SQLite only
//	FERRY_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test go test ./cmd/ferry
//	                                                       also PostgreSQL, one pooled schema per script
//	go test ./cmd/ferry -run 'TestScripts/sqlite/migrate_example$'   one script
//	go test ./cmd/ferry -run TestScripts/sqlite/orgdata -update      rewrite a script's expected files
//
// Besides testscript's own commands the scripts have exitcode, jsonvalid,
// jsonget, jsonsame and sql (see below), and the conditions [sqlite],
// [postgres] and [getgov] (the shared reference fixtures are present).

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/ferrymigrate/ferry/internal/engine"
	"github.com/ferrymigrate/ferry/internal/registrar"
	"github.com/ferrymigrate/ferry/internal/store"
	"github.com/ferrymigrate/ferry/internal/store/storetest"
	"github.com/ferrymigrate/ferry/internal/tenant"
)

var update = flag.Bool("update", false, "rewrite the expected files inside the scripts when a cmp fails")

const (
	// envGetgov points at the shared reference fixtures; by default they are
	// looked up in ../shared/fixtures/getgov next to the repository.
	envGetgov = "FERRY_TEST_GETGOV"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){"ferry": main})
}

func TestScripts(t *testing.T) {
	root := repoRoot(t)
	getgov := os.Getenv(envGetgov)
	if getgov == "" {
		getgov = filepath.Join(root, "..", "shared", "fixtures", "getgov")
	}
	if st, err := os.Stat(filepath.Join(getgov, "test_migrationFilepaths.json")); err != nil || st.IsDir() {
		t.Logf("shared fixtures not found at %s: the scripts that need them skip", getgov)
		getgov = ""
	}
	examples := filepath.Join(root, "examples", "registrar")

	engines := []string{"sqlite"}
	if os.Getenv(storetest.EnvPostgres) != "" {
		engines = append(engines, "postgres")
	} else {
		t.Logf("PostgreSQL scripts skipped: set %s (e.g. postgres://postgres@127.0.0.1:5432/test) to run them", storetest.EnvPostgres)
	}
	for _, engine := range engines {
		t.Run(engine, func(t *testing.T) {
			testscript.Run(t, testscript.Params{
				Dir:                 filepath.Join("testdata", "script"),
				RequireExplicitExec: true,
				RequireUniqueNames:  true,
				UpdateScripts:       *update,
				Setup: func(env *testscript.Env) error {
					return setup(env, engine, getgov, examples)
				},
				Condition: func(cond string) (bool, error) {
					switch cond {
					case "postgres", "sqlite":
						return cond == engine, nil
					case "getgov":
						return getgov != "", nil
					}
					return false, fmt.Errorf("unknown condition %q", cond)
				},
				Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
					"exitcode":  cmdExitcode,
					"jsonvalid": cmdJSONValid,
					"jsonget":   cmdJSONGet,
					"jsonsame":  cmdJSONSame,
					"sql":       cmdSQL,
					"searchd":   cmdSearchd,
				},
			})
		})
	}
}

// setup gives every script:
//   - $DB: sqlite or postgres;
//   - $EXAMPLES: the bundled example export, and a private copy in $WORK/example;
//   - the bundled tenant export (examples/tenant), copied to $WORK/tenant-example;
//   - $GETGOV: the shared reference fixtures ("" when absent; see [getgov]);
//   - FERRY_DATABASE_URL unset under SQLite, so ferry uses $WORK/ferry.db,
//     and under PostgreSQL a schema of its own, migrated and empty, lent
//     from storetest's pool (ferry finds nothing to migrate in it).
func setup(env *testscript.Env, engine, getgov, examples string) error {
	env.Values["searchd"] = &searchHolder{}
	env.Setenv("DB", engine)
	env.Setenv("GETGOV", getgov)
	env.Setenv("EXAMPLES", examples)
	if err := copyDir(examples, filepath.Join(env.WorkDir, "example")); err != nil {
		return err
	}
	if err := os.CopyFS(filepath.Join(env.WorkDir, "tenant-example"), os.DirFS(filepath.Join(filepath.Dir(examples), "tenant"))); err != nil {
		return err
	}
	if engine != "postgres" {
		return nil
	}
	dbURL, release, err := storetest.LeasePostgres(context.Background(), os.Getenv(storetest.EnvPostgres), migrationSets...)
	if err != nil {
		return err
	}
	env.Defer(func() {
		if err := release(); err != nil {
			env.T().Log(err)
		}
	})
	env.Setenv("FERRY_DATABASE_URL", dbURL)
	return nil
}

// migrationSets are the sets ferry applies, so that a lent schema is what
// ferry would make of a new database.
var migrationSets = []store.Migrations{engine.Migrations, registrar.Migrations, tenant.Migrations}

// cmdExitcode runs a program like exec and checks its exact exit status:
//
//	exitcode 7 ferry registrar migrate --directory example --reset
//
// Its stdout and stderr can be checked afterwards, as after exec.
func cmdExitcode(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! exitcode")
	}
	if len(args) < 2 {
		ts.Fatalf("usage: exitcode N program [args...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exitcode: bad status %q", args[0])
	}
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("exitcode: %v", err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited with status %d, want %d", args[1], got, want)
	}
}

// cmdJSONValid checks that a file (default stdout) holds exactly one JSON
// object and nothing else but white space.
func cmdJSONValid(ts *testscript.TestScript, neg bool, args []string) {
	name := "stdout"
	if len(args) > 1 {
		ts.Fatalf("usage: jsonvalid [file]")
	} else if len(args) == 1 {
		name = args[0]
	}
	err := oneJSONObject(ts.ReadFile(name))
	switch {
	case err != nil && !neg:
		ts.Fatalf("%s: %v", name, err)
	case err == nil && neg:
		ts.Fatalf("%s is one JSON object", name)
	}
}

func oneJSONObject(text string) error {
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return fmt.Errorf("not JSON: %v", err)
	}
	if _, ok := v.(map[string]any); !ok {
		return fmt.Errorf("JSON value is a %T, not an object", v)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("more than one JSON value")
	}
	return nil
}

// cmdJSONGet prints, for each dotted path (array elements by index, "#" for
// an array's length: quote it, # starts a comment), a line "path=value"
// with the value as compact JSON:
//
//	jsonget stdout load.rows.rejected 'domains.#' domains.0.name
func cmdJSONGet(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: jsonget file path...")
	}
	doc := readJSON(ts, args[0])
	for _, path := range args[1:] {
		v, err := jsonLookup(doc, path)
		ts.Check(err)
		b, err := json.Marshal(v)
		ts.Check(err)
		fmt.Fprintf(ts.Stdout(), "%s=%s\n", path, b)
	}
}

// cmdJSONSame checks that two values, each a file and a path as for
// jsonget, are equal, so that two commands' counts can be compared:
//
//	jsonsame generated.json BadRows migrated.json load.totalRejected
func cmdJSONSame(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 4 {
		ts.Fatalf("usage: jsonsame file1 path1 file2 path2")
	}
	var got [2]string
	for i := range got {
		v, err := jsonLookup(readJSON(ts, args[2*i]), args[2*i+1])
		ts.Check(err)
		b, err := json.Marshal(v)
		ts.Check(err)
		got[i] = string(b)
	}
	switch same := got[0] == got[1]; {
	case !same && !neg:
		ts.Fatalf("%s %s = %s, but %s %s = %s", args[0], args[1], got[0], args[2], args[3], got[1])
	case same && neg:
		ts.Fatalf("%s %s and %s %s are both %s", args[0], args[1], args[2], args[3], got[0])
	}
}

func readJSON(ts *testscript.TestScript, name string) any {
	dec := json.NewDecoder(strings.NewReader(ts.ReadFile(name)))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		ts.Fatalf("%s: %v", name, err)
	}
	return doc
}

func jsonLookup(doc any, path string) (any, error) {
	v := doc
	for _, key := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = x[key]; !ok {
				return nil, fmt.Errorf("%s: no key %q", path, key)
			}
		case []any:
			if key == "#" {
				v = len(x)
				continue
			}
			i, err := strconv.Atoi(key)
			if err != nil || i < 0 || i >= len(x) {
				return nil, fmt.Errorf("%s: no element %q in an array of %d", path, key, len(x))
			}
			v = x[i]
		default:
			return nil, fmt.Errorf("%s: %q is not inside an object or array", path, key)
		}
	}
	return v, nil
}

// cmdSQL runs one query against the script's database and prints each row
// as its values joined by "|" (NULL for null), for checks that no command
// shows, such as the two-letter state codes in domain_information:
//
//	sql 'SELECT name, state FROM domain ORDER BY name'
//
// The database is FERRY_DATABASE_URL, or ferry.db in the current directory.
// Keep queries portable between SQLite and PostgreSQL.
func cmdSQL(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: sql QUERY")
	}
	dbURL := ts.Getenv("FERRY_DATABASE_URL")
	switch {
	case dbURL == "":
		dbURL = ts.MkAbs("ferry.db")
	case !strings.Contains(dbURL, "://"):
		dbURL = ts.MkAbs(dbURL)
	}
	if !strings.Contains(dbURL, "://") {
		if _, err := os.Stat(dbURL); err != nil {
			ts.Fatalf("sql: no database at %s", dbURL)
		}
	}
	ctx := context.Background()
	db, err := store.Open(ctx, dbURL)
	ts.Check(err)
	defer db.Close()
	rows, err := db.Query(ctx, args[0])
	ts.Check(err)
	defer rows.Close()
	cols, err := rows.Columns()
	ts.Check(err)
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		ts.Check(rows.Scan(ptrs...))
		out := make([]string, len(vals))
		for i, v := range vals {
			out[i] = sqlText(v)
		}
		fmt.Fprintln(ts.Stdout(), strings.Join(out, "|"))
	}
	ts.Check(rows.Err())
	// An empty result still replaces the previous command's stdout.
	ts.Stdout()
}

func sqlText(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case []byte:
		return string(x)
	case time.Time:
		if x.Equal(x.Truncate(24 * time.Hour)) {
			return x.Format(time.DateOnly)
		}
		return x.UTC().Format(time.RFC3339)
	}
	return fmt.Sprint(v)
}

// repoRoot is the directory holding go.mod, found upwards from the test's
// working directory (cmd/ferry).
func repoRoot(t *testing.T) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test directory")
		}
		dir = parent
	}
}

// copyDir copies the regular files of src (not recursively) into dst.
func copyDir(src, dst string) error {
	entries, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dst, 0o777); err != nil {
		return err
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o666); err != nil {
			return err
		}
	}
	return nil
}

// TestOneJSONObject checks the helper behind the jsonvalid command.
func TestOneJSONObject(t *testing.T) {
	for text, ok := range map[string]bool{
		"{\"a\":1}\n":      true,
		" {}\n\n":          true,
		"":                 false,
		"[1,2]\n":          false,
		"{}\n{}\n":         false,
		"{\"a\":1}\nhello": false,
		"summary: 3 rows":  false,
	} {
		if err := oneJSONObject(text); (err == nil) != ok {
			t.Errorf("oneJSONObject(%q) = %v, want ok=%v", text, err, ok)
		}
	}
}
