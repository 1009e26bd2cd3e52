package tenant

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ferrymigrate/ferry/internal/store"
	"github.com/ferrymigrate/ferry/internal/store/storetest"
)

// buildFerry builds the ferry binary once per test.
func buildFerry(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary and kills it")
	}
	bin := filepath.Join(t.TempDir(), "ferry")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/ferry").CombinedOutput(); err != nil {
		t.Fatalf("building ferry: %v\n%s", err, out)
	}
	return bin
}

// databases gives one fresh database URL per engine and trial.
func freshURL(t *testing.T, engine string) string {
	if engine == "postgres" {
		return storetest.NewPostgresDatabase(t)
	}
	return filepath.Join(t.TempDir(), "ferry.db")
}

func ferryRun(t *testing.T, bin, dbURL string, args ...string) *exec.Cmd {
	cmd := exec.Command(bin, append([]string{"--db", dbURL}, args...)...)
	cmd.Env = append(os.Environ(), "FERRY_LOG_FORMAT=text")
	return cmd
}

// runKilled starts the command and SIGKILLs it after a random pause
// under max, again and again, until a run ends by itself; it returns how
// many runs were killed. A run that fails otherwise fails the test.
func runKilled(t *testing.T, rng *rand.Rand, max time.Duration, mk func() *exec.Cmd) int {
	t.Helper()
	kills := 0
	for attempt := 0; ; attempt++ {
		cmd := mk()
		var out strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		pause := time.Duration(rng.Int64N(int64(max)))
		if attempt >= 8 {
			pause = time.Hour // enough kills: let it finish
		}
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("run %d failed: %v\n%s", attempt, err, out.String())
			}
			return kills
		case <-time.After(pause):
			_ = cmd.Process.Signal(syscall.SIGKILL)
			<-done
			kills++
		}
	}
}

// masked is a snapshot with the merge's own time replaced, so that two
// merges at different times compare.
func masked(t *testing.T, db *store.DB) map[string][]string {
	t.Helper()
	var at string
	// The merge that changed something: a run killed just after its job
	// finished is run again, and that second job finds nothing to do.
	if err := db.QueryRow(context.Background(), `SELECT checkpoint FROM ferry_job j WHERE kind = 'tenant.migrate' AND status = 'succeeded'
		AND EXISTS (SELECT 1 FROM ferry_journal c WHERE c.job_id = j.id) ORDER BY id DESC LIMIT 1`).Scan(&at); err != nil {
		t.Fatal(err)
	}
	var cp mergeCheckpoint
	if err := json.Unmarshal([]byte(at), &cp); err != nil {
		t.Fatal(err)
	}
	snap := snapshot(t, db)
	r := strings.NewReplacer(sunbirdTime(cp.At), "<T>", cqlTime(cp.At), "<T>")
	for k, rows := range snap {
		for i := range rows {
			rows[i] = r.Replace(rows[i])
		}
		snap[k] = rows
	}
	return snap
}

func openURL(t *testing.T, u string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// A merge killed (kill -9) at random points, then run again until it
// finishes, ends in the state of a merge that was never interrupted; a
// rollback killed half-way and run again restores the state before the
// merge exactly.
func TestKilledMergeAndRollbackResume(t *testing.T) {
	bin := buildFerry(t)
	dir := writeSample(t, sample)
	engines := []string{"sqlite"}
	if os.Getenv(storetest.EnvPostgres) != "" {
		engines = append(engines, "postgres")
	}
	merge := []string{"tenant", "migrate", "--source", idS, "--target", idT, "--on-conflict", "skip", "--yes", "--batch", "1", "--throttle", "15ms"}
	for _, engine := range engines {
		t.Run(engine, func(t *testing.T) {
			ref := freshURL(t, engine)
			for _, args := range [][]string{{"tenant", "import", dir}, merge} {
				if out, err := ferryRun(t, bin, ref, args...).CombinedOutput(); err != nil {
					t.Fatalf("%v: %v\n%s", args, err, out)
				}
			}
			want := masked(t, openURL(t, ref))
			rng := rand.New(rand.NewPCG(7, uint64(len(engine))))
			total := 0
			for trial := range 3 {
				u := freshURL(t, engine)
				if out, err := ferryRun(t, bin, u, "tenant", "import", dir).CombinedOutput(); err != nil {
					t.Fatalf("import: %v\n%s", err, out)
				}
				db := openURL(t, u)
				before := snapshot(t, db)
				total += runKilled(t, rng, 900*time.Millisecond, func() *exec.Cmd { return ferryRun(t, bin, u, merge...) })
				wantSnapshot(t, "state after a killed and resumed merge", masked(t, db), want)
				var job int64
				if err := db.QueryRow(context.Background(), `SELECT max(id) FROM ferry_job j WHERE kind = 'tenant.migrate' AND status = 'succeeded'
					AND EXISTS (SELECT 1 FROM ferry_journal c WHERE c.job_id = j.id)`).Scan(&job); err != nil {
					t.Fatal(err)
				}
				total += runKilled(t, rng, 600*time.Millisecond, func() *exec.Cmd {
					return ferryRun(t, bin, u, "tenant", "rollback", itoa64(job), "--yes", "--batch", "1")
				})
				wantSnapshot(t, "state after a killed and resumed rollback", snapshot(t, db), before)
				_ = trial
			}
			if total == 0 {
				t.Error("no run was killed: the pauses are too long for the runs")
			}
			t.Logf("%d runs killed", total)
		})
	}
}
