package harness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"time"
)

// DefaultGrace is how long a step stopped by its timeout gets between
// SIGINT and SIGKILL.
const DefaultGrace = 30 * time.Second

// Step is one child process to time.
type Step struct {
	Name string
	Path string // the program
	Args []string
	Dir  string   // "" = the current directory
	Env  []string // nil = this process's environment
	// Stdout and Stderr are files the child's output goes to; "" discards it.
	Stdout, Stderr string
	// Timeout stops the step with SIGINT once it has run this long, and
	// with SIGKILL Grace later (DefaultGrace when zero). 0 = no limit.
	Timeout, Grace time.Duration
}

// Result is what one step took.
type Result struct {
	Name    string
	Ran     bool    // the process started
	Seconds float64 // wall time from start to exit
	// MaxRSSKiB is the child's peak resident set size from its rusage.
	MaxRSSKiB int64
	ExitCode  int            // -1 when killed by a signal or not started
	Signal    syscall.Signal // the signal that ended it, if one did
	TimedOut  bool           // stopped by the step's Timeout
	// Interrupted: stopped because the caller's context ended.
	Interrupted bool
	Err         error // nil when it ran and exited 0
	// LoadStart and LoadEnd are the 1-minute load average before and after.
	LoadStart, LoadEnd float64
}

// OK reports whether the step ran and exited 0.
func (r Result) OK() bool { return r.Ran && r.Err == nil }

// Load is the 1-minute load average that describes the step: the one at
// its end, or the one at its start for a short step that began on a busier
// machine (the 1-minute average lags a short step).
func (r Result) Load() float64 {
	if r.Seconds < 60 && r.LoadStart > r.LoadEnd {
		return r.LoadStart
	}
	return r.LoadEnd
}

// Cell is the step's seconds for a report, or why there are none: "-"
// when it did not run, ">S (timeout)" or ">S (signal N)" when it was
// stopped, "failed" when it exited non-zero.
func (r Result) Cell() string {
	switch {
	case !r.Ran && r.Err == nil:
		return "-"
	case r.TimedOut:
		return fmt.Sprintf(">%s (timeout)", Secs(r.Seconds))
	case r.Interrupted:
		return fmt.Sprintf(">%s (interrupted)", Secs(r.Seconds))
	case r.Signal != 0:
		return fmt.Sprintf(">%s (signal %d)", Secs(r.Seconds), int(r.Signal))
	case r.Err != nil:
		return "failed"
	}
	return Secs(r.Seconds)
}

// MB is the step's peak RSS in MB for a report, "-" when unknown.
func (r Result) MB() string { return MB(r.MaxRSSKiB) }

// Summary is one log line about the step.
func (r Result) Summary() string {
	s := fmt.Sprintf("%s: %s s, peak RSS %s MB, load average %.2f", r.Name, Secs(r.Seconds), r.MB(), r.Load())
	if r.Err != nil {
		s += ": " + r.Err.Error()
	}
	return s
}

// Run starts the step, waits for it and measures it. It never returns
// without a Result: a step that could not start has Ran false and Err set.
func Run(ctx context.Context, s Step) Result {
	r := Result{Name: s.Name, ExitCode: -1}
	stdout, err := openOutput(s.Stdout)
	if err != nil {
		r.Err = err
		return r
	}
	defer closeFile(stdout)
	stderr, err := openOutput(s.Stderr)
	if err != nil {
		r.Err = err
		return r
	}
	defer closeFile(stderr)

	runCtx, cancel := ctx, context.CancelFunc(func() {})
	if s.Timeout > 0 {
		runCtx, cancel = context.WithTimeout(ctx, s.Timeout)
	}
	defer cancel()
	cmd := exec.CommandContext(runCtx, s.Path, s.Args...)
	cmd.Dir = s.Dir
	cmd.Env = s.Env
	cmd.Stdout = stdout
	cmd.Stderr = stderr
	// A stopped step gets SIGINT first, as from a terminal, so it can end
	// its work cleanly; WaitDelay later exec sends SIGKILL.
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = s.Grace
	if cmd.WaitDelay <= 0 {
		cmd.WaitDelay = DefaultGrace
	}

	r.LoadStart = LoadAvg1()
	start := time.Now()
	if err := cmd.Start(); err != nil {
		r.Err = fmt.Errorf("starting %s: %w", s.Path, err)
		return r
	}
	r.Ran = true
	waitErr := cmd.Wait()
	r.Seconds = time.Since(start).Seconds()
	r.LoadEnd = LoadAvg1()

	if ps := cmd.ProcessState; ps != nil {
		r.ExitCode = ps.ExitCode()
		if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
			r.MaxRSSKiB = maxRSSKiB(ru)
		}
		if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			r.Signal = ws.Signal()
		}
	}
	switch {
	case s.Timeout > 0 && errors.Is(runCtx.Err(), context.DeadlineExceeded) && ctx.Err() == nil:
		r.TimedOut = true
		r.Err = fmt.Errorf("stopped after the step timeout of %s", s.Timeout)
	case ctx.Err() != nil:
		r.Interrupted = true
		r.Err = fmt.Errorf("interrupted: %w", ctx.Err())
	case waitErr != nil && r.Signal != 0:
		r.Err = fmt.Errorf("killed by signal %d (%s)", int(r.Signal), r.Signal)
	case waitErr != nil:
		r.Err = fmt.Errorf("exit status %d", r.ExitCode)
	}
	return r
}

// maxRSSKiB converts ru_maxrss to KiB: Linux reports KiB, macOS bytes.
func maxRSSKiB(ru *syscall.Rusage) int64 {
	v := int64(ru.Maxrss)
	if runtime.GOOS == "darwin" {
		v /= 1024
	}
	return v
}

func openOutput(path string) (*os.File, error) {
	if path == "" {
		return nil, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("opening the step's output: %w", err)
	}
	return f, nil
}

func closeFile(f *os.File) {
	if f != nil {
		_ = f.Close()
	}
}

// Tail returns the last n lines of a file, for showing why a step failed.
func Tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return TailLines(b, n)
}

// TailLines returns the last n lines of b, without a final newline.
func TailLines(b []byte, n int) string {
	b = bytes.TrimRight(b, "\n")
	if len(b) == 0 || n <= 0 {
		return ""
	}
	lines := strings.Split(string(b), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// Logf writes one time-stamped progress line to stderr.
func Logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "[%s] %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}
