// Command registrar benchmarks ferry's registrar migration against raw bulk
// loads of the same files and against the write floor of its output, all
// measured in the same run. Run it from the repository:
//
//	go run ./bench/registrar [flags]
//
// Every flag falls back to a FERRY_BENCH_* environment variable, then to
// its default; bench/README.md describes them and every figure printed.
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
	"strings"
	"syscall"
	"time"

	"github.com/ferrymigrate/ferry/bench/harness"
)

const module = "github.com/ferrymigrate/ferry"

// config is one run's settings.
type config struct {
	Domains     int
	Seed        int64
	PGURL       string
	Engines     []string // "postgres", "sqlite", in that order
	WorkDir     string
	Keep        bool
	StepTimeout time.Duration
	Ref         string
	Bin         string
	MD          string
	Floor       bool
}

// parseConfig reads the flags; each one's default comes from its
// environment variable when that is set.
func parseConfig(args []string, env *harness.Env, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("registrar", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: go run ./bench/registrar [flags]")
		fmt.Fprintln(stderr, "Benchmarks ferry's registrar load and transfer against raw bulk loads and write floors.")
		fmt.Fprintln(stderr, "Each flag falls back to the FERRY_BENCH_* variable named in its description.")
		fs.PrintDefaults()
	}
	fs.IntVar(&c.Domains, "domains", env.Int("FERRY_BENCH_DOMAINS", 1000000), "domains to generate (FERRY_BENCH_DOMAINS)")
	fs.Int64Var(&c.Seed, "seed", env.Int64("FERRY_BENCH_SEED", 1), "generator seed (FERRY_BENCH_SEED)")
	fs.StringVar(&c.PGURL, "pg-url", env.String("FERRY_BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/test"),
		"PostgreSQL server; the run creates and drops a database ferry_bench_<random> on it (FERRY_BENCH_PG_URL)")
	engines := fs.String("engines", env.String("FERRY_BENCH_ENGINES", "postgres sqlite"),
		`engines to run: "postgres sqlite", or one of them (FERRY_BENCH_ENGINES)`)
	fs.StringVar(&c.WorkDir, "workdir", env.String("FERRY_BENCH_WORKDIR", ""),
		"scratch directory for the data, logs and SQLite files; default a new temporary one (FERRY_BENCH_WORKDIR)")
	fs.BoolVar(&c.Keep, "keep", env.Bool("FERRY_BENCH_KEEP", false), "keep the scratch directory and the database (FERRY_BENCH_KEEP)")
	c.StepTimeout = env.Duration("FERRY_BENCH_STEP_TIMEOUT", 0)
	fs.Var(harness.Seconds{D: &c.StepTimeout}, "step-timeout",
		"stop a timed step with SIGINT after this long (seconds, or a duration such as 10m), SIGKILL 30 s later; 0 = no limit (FERRY_BENCH_STEP_TIMEOUT)")
	fs.StringVar(&c.Ref, "ref", env.String("FERRY_BENCH_REF", ""),
		"build ferry from a clean export of this git ref instead of the working tree (FERRY_BENCH_REF)")
	fs.StringVar(&c.Bin, "bin", env.String("FERRY_BENCH_BIN", ""), "benchmark this ferry binary instead of building one (FERRY_BENCH_BIN)")
	fs.StringVar(&c.MD, "md", env.String("FERRY_BENCH_MD", ""), "also write the report as Markdown to this file (FERRY_BENCH_MD)")
	fs.BoolVar(&c.Floor, "floor", env.Bool("FERRY_BENCH_FLOOR", true), "measure the write floors after each transfer (FERRY_BENCH_FLOOR)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	if err := env.Err(); err != nil {
		return c, err
	}
	if c.Domains <= 0 {
		return c, errors.New("-domains must be positive")
	}
	var err error
	if c.Engines, err = parseEngines(*engines); err != nil {
		return c, err
	}
	return c, nil
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
		fmt.Fprintln(os.Stderr, "registrar benchmark:", err)
		return 2
	}
	if v, ok := os.LookupEnv("FERRY_BENCH_WATCH_SECS"); ok && v != "0" {
		harness.Logf("FERRY_BENCH_WATCH_SECS is no longer used: the per-statement times come from ferry's --trace-file")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	r, err := newRun(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "registrar benchmark:", err)
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
	data    string // the generated files, ferry's input
	clean   string // the cleaned copies the baselines read
	logs    string // each step's output, scripts and traces
	started time.Time
	machine harness.Machine
	ferry   harness.Binary

	generate harness.Result
	inputs   inputSet
	engines  []*engineRun
	steps    []harness.Result // every timed step, in order
	db       *harness.ScratchDB
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
		dir, err := os.MkdirTemp("", "ferry-bench.")
		if err != nil {
			return nil, err
		}
		r.work, r.ownWork = dir, true
	}
	r.work, _ = filepath.Abs(r.work)
	r.data = filepath.Join(r.work, "data")
	r.clean = filepath.Join(r.work, "clean")
	r.logs = filepath.Join(r.work, "logs")
	return r, os.MkdirAll(r.logs, 0o755)
}

// execute measures everything, prints the report and says whether a step
// that counts failed.
func (r *run) execute(ctx context.Context) error {
	harness.Logf("%s, N=%d, work directory %s", r.machine, r.cfg.Domains, r.work)
	var err error
	r.ferry, err = harness.Build(ctx, harness.BuildOptions{
		Root: r.root, Package: "./cmd/ferry", Ref: r.cfg.Ref, Bin: r.cfg.Bin,
		Out: filepath.Join(r.work, "ferry"), Scratch: filepath.Join(r.work, "src"),
	})
	if err != nil {
		return err
	}

	harness.Logf("generating %d domains", r.cfg.Domains)
	r.generate = r.step(ctx, harness.Step{Name: "generate", Path: r.ferry.Path,
		Args: []string{"registrar", "generate", "--domains", fmt.Sprint(r.cfg.Domains), "--seed", fmt.Sprint(r.cfg.Seed), "--out", r.data}})
	if !r.generate.OK() {
		return fmt.Errorf("generate failed: %w", r.generate.Err)
	}
	harness.Logf("%s", harness.Tail(r.stdout("generate"), 5))

	harness.Logf("writing the cleaned copy the baselines read")
	if r.inputs, err = cleanInputs(r.data, r.clean); err != nil {
		return err
	}
	for _, f := range r.inputs.Files {
		harness.Logf("  %-15s %10d lines  %2d columns  %8d dropped for the baselines", f.Table, f.Lines, f.Columns, f.Dropped())
	}
	harness.Logf("cleaned copy written in %.2f s (not part of any figure)", r.inputs.CleanSeconds)
	if r.inputs.Quoted > 0 {
		harness.Logf("warning: %d cleaned lines hold a double quote, which the sqlite3 csv import takes as quoting", r.inputs.Quoted)
	}

	for _, engine := range r.cfg.Engines {
		if ctx.Err() != nil {
			break
		}
		var e *engineRun
		if engine == "postgres" {
			e = r.postgres(ctx)
		} else {
			e = r.sqlite(ctx)
		}
		r.engines = append(r.engines, e)
	}
	_ = os.RemoveAll(r.clean)

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

// verdict fails the run, after the report, when ferry or a baseline did
// not succeed: the figures would compare nothing. A failed write floor is
// reported but does not fail the run.
func (r *run) verdict() error {
	var errs []error
	for _, e := range r.engines {
		if e.Err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", e.Engine, e.Err))
		}
		for _, b := range e.Baselines {
			if err := b.problem(); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", b.Name, err))
			}
		}
		for _, s := range []harness.Result{e.Load, e.Transfer} {
			if s.Name != "" && !s.OK() {
				errs = append(errs, fmt.Errorf("ferry step %s did not succeed: %w", s.Name, s.Err))
			}
		}
		if e.Load.OK() && !e.Transfer.Ran {
			errs = append(errs, fmt.Errorf("%s: the transfer did not run", e.Engine))
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

// cleanup drops the database and removes what the run made, unless -keep.
func (r *run) cleanup() {
	if r.db != nil && !r.cfg.Keep {
		if err := r.db.Drop(context.Background()); err != nil {
			harness.Logf("could not drop database %s: %v", r.db.Name, err)
		}
	}
	switch {
	case r.cfg.Keep:
		kept := r.work
		if r.db != nil {
			kept += " and database " + r.db.Name
		}
		harness.Logf("kept %s", kept)
	case r.ownWork:
		_ = os.RemoveAll(r.work)
	default:
		// A directory the caller named: remove only what the run made.
		for _, p := range []string{r.data, r.clean, r.logs, filepath.Join(r.work, "ferry"), filepath.Join(r.work, "src")} {
			_ = os.RemoveAll(p)
		}
		for _, pattern := range []string{"baseline.sqlite*", "ferry.sqlite*", "floor.sqlite*"} {
			matches, _ := filepath.Glob(filepath.Join(r.work, pattern))
			for _, m := range matches {
				_ = os.Remove(m)
			}
		}
	}
}
