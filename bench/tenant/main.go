// Command tenant benchmarks ferry's tenant merge against the same merge as
// bare hand-written SQL, on copies of the same imported database, and
// checks that the two reach the same state. Run it from the repository:
//
//	go run ./bench/tenant [flags]
//
// Every flag falls back to a FERRY_BENCH_* environment variable, then to
// its default; bench/tenant/README.md describes them and every figure
// printed.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/ferrymigrate/ferry/bench/harness"
)

const module = "github.com/ferrymigrate/ferry"

// config is one run's settings.
type config struct {
	Sizes       []int // users per dataset, smallest first
	Seed        int64
	Overlap     float64
	PGURL       string
	Engines     []string // "postgres", "sqlite", in that order
	WorkDir     string
	Keep        bool
	StepTimeout time.Duration
	Ref         string
	Bin         string
	MD          string
}

// parseConfig reads the flags; each one's default comes from its
// environment variable when that is set.
func parseConfig(args []string, env *harness.Env, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("tenant", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: go run ./bench/tenant [flags]")
		fmt.Fprintln(stderr, "Benchmarks ferry's tenant merge against the same merge as bare SQL, and checks both reach the same state.")
		fmt.Fprintln(stderr, "Each flag falls back to the FERRY_BENCH_* variable named in its description.")
		fs.PrintDefaults()
	}
	users := fs.Int("users", env.Int("FERRY_BENCH_USERS", 1000000), "users to generate, split 40/60 between the source and the target (FERRY_BENCH_USERS)")
	sizes := fs.String("sizes", env.String("FERRY_BENCH_SIZES", ""),
		`several numbers of users, e.g. "100000,1000000", run one after the other, smallest first; overrides -users (FERRY_BENCH_SIZES)`)
	fs.Int64Var(&c.Seed, "seed", env.Int64("FERRY_BENCH_SEED", 1), "generator seed (FERRY_BENCH_SEED)")
	overlap := fs.String("overlap", env.String("FERRY_BENCH_OVERLAP", "2"),
		"percentage of source users who also have an account in the target: the conflicts the skip policy leaves (FERRY_BENCH_OVERLAP)")
	fs.StringVar(&c.PGURL, "pg-url", env.String("FERRY_BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/test"),
		"PostgreSQL server; the run creates and drops databases ferry_bench_<random> and ferry_bench_<random>_bare on it (FERRY_BENCH_PG_URL)")
	engines := fs.String("engines", env.String("FERRY_BENCH_ENGINES", "postgres sqlite"),
		`engines to run: "postgres sqlite", or one of them (FERRY_BENCH_ENGINES)`)
	fs.StringVar(&c.WorkDir, "workdir", env.String("FERRY_BENCH_WORKDIR", ""),
		"scratch directory for the data, logs and SQLite files; default a new temporary one (FERRY_BENCH_WORKDIR)")
	fs.BoolVar(&c.Keep, "keep", env.Bool("FERRY_BENCH_KEEP", false), "keep the scratch directory and the databases (FERRY_BENCH_KEEP)")
	c.StepTimeout = env.Duration("FERRY_BENCH_STEP_TIMEOUT", 0)
	fs.Var(harness.Seconds{D: &c.StepTimeout}, "step-timeout",
		"stop a timed step with SIGINT after this long (seconds, or a duration such as 10m), SIGKILL 30 s later; 0 = no limit (FERRY_BENCH_STEP_TIMEOUT)")
	fs.StringVar(&c.Ref, "ref", env.String("FERRY_BENCH_REF", ""),
		"build ferry from a clean export of this git ref instead of the working tree (FERRY_BENCH_REF)")
	fs.StringVar(&c.Bin, "bin", env.String("FERRY_BENCH_BIN", ""), "benchmark this ferry binary instead of building one (FERRY_BENCH_BIN)")
	fs.StringVar(&c.MD, "md", env.String("FERRY_BENCH_MD", ""), "also write the report as Markdown to this file (FERRY_BENCH_MD)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	if err := env.Err(); err != nil {
		return c, err
	}
	var err error
	if strings.TrimSpace(*sizes) != "" {
		if c.Sizes, err = parseSizes(*sizes); err != nil {
			return c, err
		}
	} else {
		if *users < 2 {
			return c, errors.New("-users must be 2 or more (one user per tenant at least)")
		}
		c.Sizes = []int{*users}
	}
	if c.Overlap, err = strconv.ParseFloat(strings.TrimSpace(*overlap), 64); err != nil || c.Overlap < 0 || c.Overlap > 100 {
		return c, fmt.Errorf("-overlap is a percentage from 0 to 100, not %q", *overlap)
	}
	if c.Engines, err = parseEngines(*engines); err != nil {
		return c, err
	}
	return c, nil
}

var splitList = harness.SplitList

// parseSizes reads numbers of users separated by commas or spaces, and
// returns them smallest first, without repeats.
func parseSizes(s string) ([]int, error) {
	var out []int
	for _, f := range splitList(s) {
		n, err := strconv.Atoi(strings.ReplaceAll(f, "_", ""))
		if err != nil || n < 2 {
			return nil, fmt.Errorf("-sizes: %q is not a number of users of 2 or more", f)
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		return nil, errors.New("-sizes names no size")
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// parseEngines is the shared reading of -engines.
var parseEngines = harness.ParseEngines

func main() {
	os.Exit(mainErr())
}

func mainErr() int {
	cfg, err := parseConfig(os.Args[1:], &harness.Env{}, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "tenant benchmark:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	r, err := newRun(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "tenant benchmark:", err)
		return 1
	}
	code := 0
	if err := r.execute(ctx); err != nil {
		harness.Logf("error: %v", err)
		code = 1
	}
	r.cleanup()
	if ctx.Err() != nil {
		return 130
	}
	return code
}

// run is one benchmark run: where it works and what it measured.
type run struct {
	cfg     config
	root    string // the repository, "" when not found (a given binary needs none)
	work    string
	ownWork bool
	logs    string // each step's output, scripts and traces
	started time.Time
	machine harness.Machine
	ferry   harness.Binary
	psql    string // psql --version, for the report
	sqlite3 string // sqlite3 --version

	sizes []*sizeRun
	steps []harness.Result // every timed step, in order
	// dbs are the PostgreSQL databases still to drop.
	dbs []*harness.ScratchDB
}

// sizeRun is one dataset and what each engine measured on it.
type sizeRun struct {
	Users    int
	Data     string // the generated export
	Generate harness.Result
	Dataset  generated
	Engines  []*engineRun
}

func newRun(cfg config) (*run, error) {
	r := &run{cfg: cfg, started: time.Now().UTC(), machine: harness.ThisMachine()}
	if wd, err := os.Getwd(); err == nil {
		r.root, _ = harness.RepoRoot(wd, module)
	}
	if r.root == "" && cfg.Bin == "" {
		return nil, fmt.Errorf("run this from the ferry repository (no go.mod of %s above here), or give -bin", module)
	}
	if cfg.WorkDir != "" {
		if err := os.MkdirAll(cfg.WorkDir, 0o755); err != nil {
			return nil, err
		}
		r.work = cfg.WorkDir
	} else {
		dir, err := os.MkdirTemp("", "ferry-bench-tenant.")
		if err != nil {
			return nil, err
		}
		r.work, r.ownWork = dir, true
	}
	r.work, _ = filepath.Abs(r.work)
	r.logs = filepath.Join(r.work, "logs")
	return r, os.MkdirAll(r.logs, 0o755)
}

// execute measures every size on every engine, prints the report and
// says whether a step that counts failed or the states disagreed.
func (r *run) execute(ctx context.Context) error {
	harness.Logf("%s, users %s, work directory %s", r.machine, sizesText(r.cfg.Sizes), r.work)
	r.psql = toolVersion(ctx, "psql")
	r.sqlite3 = toolVersion(ctx, "sqlite3")
	var err error
	r.ferry, err = harness.Build(ctx, harness.BuildOptions{
		Root: r.root, Package: "./cmd/ferry", Ref: r.cfg.Ref, Bin: r.cfg.Bin,
		Out: filepath.Join(r.work, "ferry"), Scratch: filepath.Join(r.work, "src"),
	})
	if err != nil {
		return err
	}
	for _, n := range r.cfg.Sizes {
		if ctx.Err() != nil {
			break
		}
		s := r.measureSize(ctx, n)
		r.sizes = append(r.sizes, s)
	}

	rep := r.report()
	fmt.Println()
	if err := rep.WriteText(os.Stdout); err != nil {
		return err
	}
	if r.cfg.MD != "" {
		if err := writeMarkdown(r.cfg.MD, rep); err != nil {
			return err
		}
		harness.Logf("wrote %s", r.cfg.MD)
	}
	return r.verdict()
}

// measureSize generates one dataset and measures each engine on it.
func (r *run) measureSize(ctx context.Context, users int) *sizeRun {
	s := &sizeRun{Users: users, Data: filepath.Join(r.work, fmt.Sprintf("data-%d", users))}
	_ = os.RemoveAll(s.Data)
	harness.Logf("generating %d users (seed %d, overlap %g%%)", users, r.cfg.Seed, r.cfg.Overlap)
	name := fmt.Sprintf("generate_%d", users)
	s.Generate = r.step(ctx, harness.Step{Name: name, Path: r.ferry.Path,
		Args: []string{"tenant", "generate", "--users", fmt.Sprint(users), "--seed", fmt.Sprint(r.cfg.Seed),
			"--overlap", strconv.FormatFloat(r.cfg.Overlap, 'f', -1, 64), "--out", s.Data, "--json"}})
	if !s.Generate.OK() {
		return s
	}
	b, err := os.ReadFile(r.stdout(name))
	if err == nil {
		s.Dataset, err = parseGenerated(b)
	}
	if err != nil {
		s.Generate.Err = fmt.Errorf("reading the generator's --json output: %w", err)
		return s
	}
	harness.Logf("dataset: source %s, target %s, %d rows", s.Dataset.Source, s.Dataset.Target, s.Dataset.TotalRows())
	for _, engine := range r.cfg.Engines {
		if ctx.Err() != nil {
			break
		}
		var e *engineRun
		if engine == "postgres" {
			e = r.postgres(ctx, s)
		} else {
			e = r.sqlite(ctx, s)
		}
		s.Engines = append(s.Engines, e)
	}
	if !r.cfg.Keep {
		_ = os.RemoveAll(s.Data)
	}
	return s
}

func writeMarkdown(path string, rep *harness.Report) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	err = rep.WriteMarkdown(f, 2)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// verdict fails the run, after the report, when a step that counts did
// not succeed or the bare SQL and ferry's merge did not reach the same
// state: the ratio would compare different work.
func (r *run) verdict() error {
	var errs []error
	for _, s := range r.sizes {
		if !s.Generate.OK() {
			errs = append(errs, fmt.Errorf("generating %d users did not succeed: %w", s.Users, s.Generate.Err))
			continue
		}
		for _, e := range s.Engines {
			if e.Err != nil {
				errs = append(errs, fmt.Errorf("%s, %d users: %w", e.Engine, s.Users, e.Err))
			}
			for _, st := range []harness.Result{e.Import, e.Merge, e.Bare} {
				if st.Ran && !st.OK() {
					errs = append(errs, fmt.Errorf("step %s did not succeed: %w", st.Name, st.Err))
				}
			}
			if e.Err == nil && e.Bare.OK() && e.Merge.OK() && !e.State.Match() {
				errs = append(errs, fmt.Errorf("%s, %d users: the bare SQL and ferry's merge reached different states", e.Engine, s.Users))
			}
		}
	}
	return errors.Join(errs...)
}

func (r *run) stdout(name string) string { return filepath.Join(r.logs, name+".out") }
func (r *run) stderr(name string) string { return filepath.Join(r.logs, name+".err") }

// step times one child process, its output in the logs directory, under
// the step timeout.
func (r *run) step(ctx context.Context, s harness.Step) harness.Result {
	if s.Stdout == "" {
		s.Stdout = r.stdout(s.Name)
	}
	if s.Stderr == "" {
		s.Stderr = r.stderr(s.Name)
	}
	s.Timeout = r.cfg.StepTimeout
	res := harness.Run(ctx, s)
	harness.Logf("%s", res.Summary())
	if !res.OK() {
		if tail := harness.Tail(s.Stderr, 20); tail != "" {
			harness.Logf("last lines of %s:\n%s", s.Stderr, tail)
		}
	}
	r.steps = append(r.steps, res)
	return res
}

// dropDB drops a database unless -keep, and forgets it.
func (r *run) dropDB(db *harness.ScratchDB) {
	if db == nil || r.cfg.Keep {
		return
	}
	if err := db.Drop(context.Background()); err != nil {
		harness.Logf("could not drop database %s: %v", db.Name, err)
	}
	r.dbs = slices.DeleteFunc(r.dbs, func(d *harness.ScratchDB) bool { return d == db })
}

// cleanup drops the databases and removes what the run made, unless -keep.
func (r *run) cleanup() {
	for _, db := range slices.Clone(r.dbs) {
		r.dropDB(db)
	}
	switch {
	case r.cfg.Keep:
		kept := r.work
		for _, db := range r.dbs {
			kept += ", database " + db.Name
		}
		harness.Logf("kept %s", kept)
	case r.ownWork:
		_ = os.RemoveAll(r.work)
	default:
		// A directory the caller named: remove only what the run made.
		for _, p := range []string{r.logs, filepath.Join(r.work, "ferry"), filepath.Join(r.work, "src")} {
			_ = os.RemoveAll(p)
		}
		for _, pattern := range []string{"data-*", "ferry-*.sqlite*", "bare-*.sqlite*"} {
			matches, _ := filepath.Glob(filepath.Join(r.work, pattern))
			for _, m := range matches {
				_ = os.RemoveAll(m)
			}
		}
	}
}

func sizesText(sizes []int) string {
	parts := make([]string, len(sizes))
	for i, n := range sizes {
		parts[i] = fmt.Sprint(n)
	}
	return strings.Join(parts, ", ")
}
