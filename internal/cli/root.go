// Package cli is ferry's command line: flag parsing, configuration from the
// environment, output formatting and exit codes over the library packages.
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
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/ferrymigrate/ferry/internal/engine"
	"github.com/ferrymigrate/ferry/internal/registrar"
	"github.com/ferrymigrate/ferry/internal/store"
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
	env      Env
	dbURL    string
	json     bool
	debug    bool
	log      *slog.Logger
	db       *store.DB
	eng      *engine.Engine
	progress *termProgress // nil off a terminal
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
	a := &app{env: env}
	root := &cobra.Command{
		Use:           "ferry",
		Short:         "ferry carries data from one system into another, safely and fast",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			if err := applyEnv(cmd, env.Getenv); err != nil {
				return err
			}
			level := slog.LevelInfo
			if a.debug {
				level = slog.LevelDebug
			}
			if !env.Terminal && !a.debug {
				// Off a terminal the summary on stdout/stderr says it all;
				// routine log lines would only be noise in a pipeline.
				level = slog.LevelWarn
			}
			a.log = slog.New(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: level}))
			a.progress = nil
			if env.Terminal {
				a.progress = &termProgress{w: env.Stderr}
			}
			return nil
		},
	}
	root.SetIn(env.Stdin)
	root.SetOut(env.Stdout)
	root.SetErr(env.Stderr)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return &UsageError{Msg: err.Error()} })
	pf := root.PersistentFlags()
	pf.StringVar(&a.dbURL, "db", store.DefaultURL, "database: a SQLite file path, sqlite://PATH or postgres://... (env FERRY_DATABASE_URL)")
	pf.BoolVar(&a.json, "json", false, "print the result as one JSON object on stdout")
	pf.BoolVar(&a.debug, "debug", false, "verbose logs, which may include personal data such as e-mail addresses")
	pf.StringVar(&a.traceFile, "trace-file", "", "write the time of every SQL statement, summed by statement, as JSON to this file at the end (env FERRY_TRACE_FILE)")
	root.AddCommand(a.registrarCmd(), a.jobsCmd())
	return root, a
}

// close releases the database, on every path, failures included, and
// writes the --trace-file.
func (a *app) close() error {
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

// Run executes ferry with args and returns the error to map to an exit code.
func Run(ctx context.Context, env Env, args []string) error {
	root, a := newRoot(env)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
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
		return &UsageError{Msg: err.Error()}
	}
	return err
}

// isCobraUsage recognises cobra's own argument errors, which it returns as
// plain errors.
func isCobraUsage(err error) bool {
	msg := err.Error()
	for _, s := range []string{"unknown command", "accepts ", "requires at least", "unknown flag", "unknown shorthand", "invalid argument", "flag needs an argument", "required flag"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// applyEnv fills every flag the user did not set from FERRY_<FLAG>, so
// configuration comes from flags, then the environment, then defaults.
func applyEnv(cmd *cobra.Command, getenv func(string) string) error {
	var err error
	apply := func(f *pflag.Flag) {
		if err != nil || f.Changed {
			return
		}
		name := "FERRY_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if f.Name == "db" {
			name = "FERRY_DATABASE_URL"
		}
		if v := getenv(name); v != "" {
			if e := f.Value.Set(v); e != nil {
				err = &UsageError{Msg: fmt.Sprintf("%s=%q: %v", name, v, e)}
			}
		}
	}
	cmd.Flags().VisitAll(apply)
	cmd.InheritedFlags().VisitAll(apply)
	return err
}

// open connects to and migrates the database once per invocation.
func (a *app) open(ctx context.Context) (*store.DB, error) {
	if a.db != nil {
		return a.db, nil
	}
	db, err := store.Open(ctx, a.dbURL)
	if err != nil {
		return nil, err
	}
	if err := db.Migrate(ctx, migrationSets...); err != nil {
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
	opts := []engine.Option{engine.WithLogger(a.log)}
	if a.progress != nil {
		opts = append(opts, engine.WithObserver(a.progress.observe))
	}
	a.db, a.eng = db, engine.New(db, opts...)
	return db, nil
}

// migrationSets are the schemas ferry keeps, the engine's first.
var migrationSets = []store.Migrations{engine.Migrations, registrar.Migrations}

// emit prints v as JSON when --json is set, and otherwise calls text with a
// writer for the human summary. Either way it is printed exactly once.
func (a *app) emit(v any, text func(w io.Writer)) error {
	if a.json {
		enc := json.NewEncoder(a.env.Stdout)
		return enc.Encode(v)
	}
	text(a.env.Stdout)
	return nil
}

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

// group is a command that only holds subcommands. Cobra would print help and
// succeed on a mistyped subcommand; a script must see that as a usage error.
func group(use, short string) *cobra.Command {
	return &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return &UsageError{Msg: fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())}
			}
			cmd.SetOut(cmd.ErrOrStderr())
			cmd.Help()
			return &UsageError{Msg: cmd.CommandPath() + " needs a subcommand"}
		},
	}
}
