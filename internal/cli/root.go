// Package cli is ferry's command line: flag parsing, configuration from the
// environment, output formatting and exit codes over the library packages.
// It holds no migration logic: every command calls the same library
// functions the HTTP service will.
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/ferrymigrate/ferry"
	"github.com/ferrymigrate/ferry/internal/auth"
	"github.com/ferrymigrate/ferry/internal/engine"
	"github.com/ferrymigrate/ferry/internal/registrar"
	"github.com/ferrymigrate/ferry/internal/store"
	"github.com/ferrymigrate/ferry/internal/tenant"
)

// Env holds the process's outside world, so tests can run commands in-process.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	// Terminal reports whether stdin/stderr are interactive.
	Terminal bool
}

// DefaultEnv is the real process environment.
func DefaultEnv() Env {
	return Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv,
		Terminal: term.IsTerminal(int(os.Stderr.Fd())) && term.IsTerminal(int(os.Stdin.Fd()))}
}

// app is the state shared by all commands of one invocation.
type app struct {
	env       Env
	dbURL     string
	json      bool
	debug     bool
	logFormat string
	log       *slog.Logger
	db        *store.DB
	eng       *engine.Engine
	progress  *progress // nil off a terminal, and under --json
	started   time.Time
	// traceFile, when set, receives the statement totals at close.
	traceFile string
	totals    *statementTotals
}

// NewRoot builds the command tree.
func NewRoot(env Env) *cobra.Command {
	root, _ := newRoot(env)
	return root
}

func newRoot(env Env) (*cobra.Command, *app) {
	a := &app{env: env, started: time.Now()}
	root := &cobra.Command{
		Use:   "ferry",
		Short: "ferry carries data from one system into another, safely and fast",
		Long: `ferry carries data from one system into another, safely and fast: every run
is recorded, every rerun is safe, an interrupted run resumes from its
checkpoint, and bad input is reported row by row.`,
		Example: `  ferry registrar migrate --directory examples/registrar --yes
  ferry --db postgres://ferry@db.example/ferry jobs list --kind registrar
  ferry --json jobs show 12`,
		Version:           version(),
		SilenceUsage:      true,
		SilenceErrors:     true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error { return a.setup(cmd) },
	}
	root.SetVersionTemplate("{{.Version}}\n")
	root.SetIn(env.Stdin)
	root.SetOut(env.Stdout)
	root.SetErr(env.Stderr)
	root.SuggestionsMinimumDistance = 2
	root.SetFlagErrorFunc(flagError)
	pf := root.PersistentFlags()
	pf.StringVar(&a.dbURL, "db", store.DefaultURL, "database: a SQLite file path, sqlite://PATH or postgres://...")
	pf.BoolVar(&a.json, "json", false, "print the result, or the error, as one JSON object on stdout")
	pf.BoolVar(&a.debug, "debug", false, "verbose logs, which may include personal data such as e-mail addresses")
	pf.StringVar(&a.logFormat, "log-format", "text", "log lines as text or json, on stderr")
	pf.StringVar(&a.traceFile, "trace-file", "", "write the time of every SQL statement, summed by statement, as JSON to this file at the end")
	root.AddCommand(a.examplesCmd(), a.registrarCmd(), a.tenantCmd(), a.jobsCmd(), a.serveCmd(), a.searchCmd(), a.tokenCmd(), a.dbCmd(), a.versionCmd())
	finishTree(root)
	return root, a
}

// setup applies the environment and builds the logger, before any command runs.
func (a *app) setup(cmd *cobra.Command) error {
	if err := applyEnv(cmd, a.env.Getenv); err != nil {
		return err
	}
	level := slog.LevelInfo
	if a.debug {
		level = slog.LevelDebug
	}
	if !a.env.Terminal && !a.debug {
		// Off a terminal the summary on stdout/stderr says it all;
		// routine log lines would only be noise in a pipeline.
		level = slog.LevelWarn
	}
	if a.logFormat != "text" && a.logFormat != "json" {
		return usagef("--log-format must be text or json, not %q", a.logFormat)
	}
	// Log lines go through the progress display while it is on the
	// screen, so that a line never tears a bar.
	logOut := a.env.Stderr
	a.progress = nil
	if a.env.Terminal && !a.json {
		a.progress = newProgress(a.env.Stderr)
		logOut = a.progress.Writer()
	}
	opts := &slog.HandlerOptions{Level: level}
	if a.logFormat == "json" {
		a.log = slog.New(slog.NewJSONHandler(logOut, opts))
	} else {
		a.log = slog.New(slog.NewTextHandler(logOut, opts))
	}
	return nil
}

// Run executes ferry with args and returns the error to map to an exit code.
func Run(ctx context.Context, env Env, args []string) error {
	root, a := newRoot(env)
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	if cerr := a.close(); err == nil {
		err = cerr
	}
	switch {
	case err == nil:
	case ctx.Err() != nil && !errors.Is(err, context.Canceled):
		// A statement cut short by the signal fails with a driver error;
		// the cause that matters to the operator is the interruption.
		return fmt.Errorf("%w: %v", context.Canceled, err)
	case isCobraUsage(err):
		err = cleanCobraError(root, err)
	}
	var usage *UsageError
	if errors.As(err, &usage) && usage.Command == "" && cmd != nil && cmd != root {
		usage.Command = cmd.CommandPath()
	}
	return err
}

// Main runs ferry, reports a failure (as JSON on stdout under --json, as
// one line on stderr otherwise) and returns the exit status.
func Main(ctx context.Context, env Env, args []string) int {
	err := Run(ctx, env, args)
	if err == nil {
		return ExitOK
	}
	var reported *shownError
	if wantsJSON(env, args) {
		if errors.As(err, &reported) {
			return ExitCode(err)
		}
		b, _ := json.Marshal(errorJSON(err))
		fmt.Fprintln(env.Stdout, string(b))
	} else {
		fmt.Fprintln(env.Stderr, Line(err))
	}
	return ExitCode(err)
}

// wantsJSON tells whether --json was asked for, from the arguments and the
// environment directly: a failure may come before the flags are parsed.
func wantsJSON(env Env, args []string) bool {
	for _, a := range args {
		if a == "--" {
			break
		}
		if a == "--json" || a == "--json=true" {
			return true
		}
		if a == "--json=false" {
			return false
		}
	}
	v, err := parseBool(env.Getenv("FERRY_JSON"))
	return err == nil && v
}

// close releases the engine and the database, on every path, failures
// included, and writes the --trace-file.
func (a *app) close() error {
	a.endProgress()
	if a.db == nil {
		return nil
	}
	err := a.eng.Close()
	if cerr := a.db.Close(); err == nil {
		err = cerr
	}
	a.db, a.eng = nil, nil
	if a.totals != nil && a.traceFile != "" {
		if werr := a.totals.write(a.traceFile); err == nil {
			err = werr
		}
	}
	return err
}

// open connects to the database, creating a SQLite file if need be, and
// migrates it: for commands that write.
func (a *app) open(ctx context.Context) (*store.DB, error) {
	return a.connect(ctx, false)
}

// openRead opens a database that must exist already, for commands that
// only read: a mistyped --db is an error, not a new empty database, and a
// file this process may not write to is read all the same.
func (a *app) openRead(ctx context.Context) (*store.DB, error) {
	return a.connect(ctx, true)
}

func (a *app) connect(ctx context.Context, readOnly bool) (*store.DB, error) {
	if a.db != nil {
		return a.db, nil
	}
	var db *store.DB
	var err error
	if readOnly {
		db, err = store.OpenExisting(ctx, a.dbURL)
	} else {
		db, err = store.Open(ctx, a.dbURL)
	}
	if err != nil {
		return nil, err
	}
	if readOnly {
		err = a.checkSchema(ctx, db)
	} else {
		err = db.Migrate(ctx, migrationSets...)
	}
	if err != nil {
		db.Close()
		return nil, err
	}
	if a.traceFile != "" {
		a.totals = newStatementTotals()
	}
	if a.debug || a.totals != nil {
		debug, totals := a.debug, a.totals
		db.SetTracer(func(stmt string, rows int64, elapsed time.Duration, err error) {
			if debug {
				a.log.Debug("sql", "stmt", stmt, "rows", rows, "ms", elapsed.Milliseconds(), "failed", err != nil)
			}
			if totals != nil {
				totals.add(stmt, rows, elapsed, err)
			}
		})
	}
	db.SetWaitNotice(func() {
		a.log.Warn("waiting for another ferry process to finish its write; a running job commits its current step first")
	})
	opts := []engine.Option{engine.WithLogger(a.log)}
	if a.progress != nil {
		opts = append(opts, engine.WithObserver(a.progress.observe))
	}
	a.db, a.eng = db, engine.New(db, opts...)
	return db, nil
}

// checkSchema makes sure a database a reading command opened is ferry's
// and current. A writable one that is merely behind is brought up to date,
// as any command would; a read-only one is read only if it is current.
func (a *app) checkSchema(ctx context.Context, db *store.DB) error {
	st, err := db.MigrationStatus(ctx, migrationSets...)
	if err != nil {
		return err
	}
	if st[0].Version == 0 {
		return &ferry.Error{Code: ferry.EUNAVAILABLE, Message: fmt.Sprintf("%s holds no ferry schema", db),
			Hint: "check --db or FERRY_DATABASE_URL; only commands that write create a database"}
	}
	if err := db.CheckCurrent(ctx, migrationSets...); err != nil {
		if db.ReadOnly() {
			return ferry.Wrap(ferry.ESCHEMABEHIND, err)
		}
		return db.Migrate(ctx, migrationSets...)
	}
	return nil
}

// migrationSets are the schemas ferry keeps, the engine's first.
var migrationSets = []store.Migrations{engine.Migrations, registrar.Migrations, tenant.Migrations, auth.Migrations}

// emit prints v as JSON when --json is set, and otherwise calls text with a
// writer for the human summary. Either way it is printed exactly once.
func (a *app) emit(v any, text func(w io.Writer)) error {
	a.endProgress()
	if a.json {
		enc := json.NewEncoder(a.env.Stdout)
		return enc.Encode(v)
	}
	text(a.env.Stdout)
	return nil
}

// endProgress finishes the progress display before anything else is
// printed: the summary, or the error.
func (a *app) endProgress() {
	if a.progress != nil {
		a.progress.Close()
	}
}

// elapsed is the time since the command started, for the final line.
func (a *app) elapsed() string { return seconds(time.Since(a.started)) }

// confirm asks on a terminal; off a terminal only --yes confirms.
func (a *app) confirm(yes bool, question string) error {
	if yes {
		return nil
	}
	if !a.env.Terminal {
		return ErrNeedsYes
	}
	fmt.Fprintf(a.env.Stderr, "%s [y/N] ", question)
	var answer string
	fmt.Fscanln(a.env.Stdin, &answer)
	switch strings.ToLower(strings.TrimSpace(answer)) {
	case "y", "yes":
		return nil
	}
	return fmt.Errorf("%w (not confirmed)", ErrNeedsYes)
}
