package cli

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ferrymigrate/ferry/internal/engine"
	"github.com/ferrymigrate/ferry/internal/store"
	"github.com/ferrymigrate/ferry/internal/store/storetest"
)

// run runs ferry in-process as a script would, off a terminal.
func run(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	env := Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }}
	err := Run(context.Background(), env, args)
	if err != nil {
		fmt.Fprintln(&errb, "ferry: "+Message(err))
	}
	return out.String(), errb.String(), ExitCode(err)
}

var example = filepath.Join("..", "..", "examples", "registrar")

// holdJob starts a registrar job the way another ferry process would, and
// holds SQLite's write lock too, as that job does for the minutes its
// apply can take. release lets both go.
func holdJob(t *testing.T, dbURL string) (jobID int64, release func()) {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	e := engine.New(db)
	runj, err := e.Start(ctx, engine.Spec{Kind: "registrar.load-transition-domains", Group: "registrar"})
	if err != nil {
		t.Fatal(err)
	}
	var tx *store.Tx
	if db.Dialect() == store.SQLite {
		if tx, err = db.Begin(ctx); err != nil {
			t.Fatal(err)
		}
	}
	done := false
	release = func() {
		if done {
			return
		}
		done = true
		if tx != nil {
			tx.Rollback()
		}
		runj.Finish(ctx, nil, nil)
		e.Close()
		db.Close()
	}
	t.Cleanup(release)
	return runj.Job.ID, release
}

// A second migration while one runs gets exit 6 at once, naming the job in
// the way. (On SQLite the loser used to get SQLITE_BUSY, exit 3 and "check
// --db", or a partial migration error, in 5 of 10 trials on a new file.)
func TestContentionIsBusyNamingTheJob(t *testing.T) {
	for engineName, dbURL := range storetest.URLs(t) {
		t.Run(engineName, func(t *testing.T) {
			if _, stderr, code := run(t, "--db", dbURL, "db", "migrate"); code != 0 {
				t.Fatalf("creating the database: %d %s", code, stderr)
			}
			id, _ := holdJob(t, dbURL)
			start := time.Now()
			stdout, stderr, code := run(t, "--db", dbURL, "registrar", "migrate", "--directory", example, "--yes")
			if code != ExitBusy {
				t.Fatalf("second migrate: exit %d, want %d; stderr %q", code, ExitBusy, stderr)
			}
			if want := fmt.Sprintf("job %d (registrar.load-transition-domains)", id); !strings.Contains(stderr, want) {
				t.Errorf("stderr %q does not name %q", stderr, want)
			}
			if stdout != "" {
				t.Errorf("stdout %q", stdout)
			}
			if waited := time.Since(start); waited > 5*time.Second {
				t.Errorf("the refusal took %v; it should not wait for the other job", waited)
			}
		})
	}
}

// A sign-in beside a running job waits for the job's transaction and then
// succeeds, however long that transaction lasts. (On SQLite it used to
// fail with "database is locked" after 10 s.)
func TestSignInWaitsForRunningJob(t *testing.T) {
	dbURL := storetest.URLs(t)["sqlite"]
	if _, stderr, code := run(t, "--db", dbURL, "registrar", "migrate", "--directory", example, "--yes"); code != 0 {
		t.Fatalf("migrate: %d %s", code, stderr)
	}
	_, release := holdJob(t, dbURL)
	held := 2500 * time.Millisecond // past SQLite's own busy timeout
	go func() {
		time.Sleep(held)
		release()
	}()
	start := time.Now()
	stdout, stderr, code := run(t, "--db", dbURL, "registrar", "login", "--subject", "s-1", "--email", "priya.vantongeren@example.test")
	if code != 0 {
		t.Fatalf("sign-in beside a running job: exit %d: %s", code, stderr)
	}
	if time.Since(start) < held/2 {
		t.Errorf("the sign-in did not wait for the job's transaction (%v)", time.Since(start))
	}
	if !strings.Contains(stdout, "invitations retrieved") {
		t.Errorf("stdout %q", stdout)
	}
}

// The database is closed on every path, failures included: a failed
// command leaves no connection behind. (It used to be closed only when the
// command succeeded.)
func TestDatabaseClosedOnFailure(t *testing.T) {
	dbURL, ok := storetest.URLs(t)["postgres"]
	if !ok {
		t.Skipf("needs PostgreSQL: set %s", storetest.EnvPostgres)
	}
	if _, stderr, code := run(t, "--db", dbURL, "db", "migrate"); code != 0 {
		t.Fatalf("db migrate: %s", stderr)
	}
	for _, argv := range [][]string{
		{"jobs", "show", "999"},
		{"registrar", "migrate", "--directory", "no-such-directory"},
		{"registrar", "load-transition-domains", example + "/escrow_contacts.daily.dotgov.GOV.txt", example + "/escrow_contacts.daily.dotgov.GOV.txt", example + "/escrow_domain_statuses.daily.dotgov.GOV.txt"},
	} {
		if _, _, code := run(t, append([]string{"--db", dbURL}, argv...)...); code == 0 {
			t.Fatalf("%v succeeded; the test needs a failure", argv)
		}
		db, err := store.Open(context.Background(), dbURL)
		if err != nil {
			t.Fatal(err)
		}
		var others int
		err = db.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`).Scan(&others)
		db.Close()
		if err != nil {
			t.Fatal(err)
		}
		if others != 0 {
			t.Errorf("after %v failed, %d connections to the database are still open", argv, others)
		}
	}
}

// Processes started together on a new SQLite file all migrate it, one after
// the other, instead of one failing halfway ("partial migration error").
func TestConcurrentFirstRunsOnANewFile(t *testing.T) {
	for round := range 5 {
		path := filepath.Join(t.TempDir(), fmt.Sprintf("new%d.db", round))
		errs := make(chan error, 4)
		for range 4 {
			go func() {
				db, err := store.Open(context.Background(), path)
				if err == nil {
					err = db.Migrate(context.Background(), migrationSets...)
					db.Close()
				}
				errs <- err
			}()
		}
		for range 4 {
			if err := <-errs; err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
		}
	}
}
