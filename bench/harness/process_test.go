package harness

import (
	"context"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The test binary doubles as the child process: with HARNESS_TEST_CHILD
// set, TestMain acts as told instead of running the tests.
func TestMain(m *testing.M) {
	switch os.Getenv("HARNESS_TEST_CHILD") {
	case "":
		os.Exit(m.Run())
	case "exit3":
		os.Stdout.WriteString("out\n")
		os.Stderr.WriteString("first\nsecond\n")
		os.Exit(3)
	case "hang":
		// Ignores SIGINT, so only SIGKILL ends it.
		signal.Ignore(os.Interrupt)
		time.Sleep(time.Minute)
		os.Exit(0)
	}
	os.Exit(0)
}

func child(t *testing.T, mode string) Step {
	t.Helper()
	dir := t.TempDir()
	return Step{
		Name: mode, Path: os.Args[0], Env: append(os.Environ(), "HARNESS_TEST_CHILD="+mode),
		Stdout: filepath.Join(dir, "out"), Stderr: filepath.Join(dir, "err"),
	}
}

func TestRunSuccess(t *testing.T) {
	r := Run(context.Background(), child(t, "ok"))
	if !r.OK() || r.ExitCode != 0 || r.Cell() == "failed" {
		t.Fatalf("got %+v", r)
	}
	if r.MaxRSSKiB <= 0 {
		t.Errorf("no peak RSS from rusage: %d", r.MaxRSSKiB)
	}
}

func TestRunExitCode(t *testing.T) {
	s := child(t, "exit3")
	r := Run(context.Background(), s)
	if r.OK() || !r.Ran || r.ExitCode != 3 || r.Signal != 0 || r.TimedOut {
		t.Fatalf("got %+v", r)
	}
	if r.Cell() != "failed" {
		t.Errorf("Cell = %q", r.Cell())
	}
	if got := Tail(s.Stderr, 1); got != "second" {
		t.Errorf("Tail = %q", got)
	}
	if b, _ := os.ReadFile(s.Stdout); string(b) != "out\n" {
		t.Errorf("stdout = %q", b)
	}
}

func TestRunTimeoutEndsWithSIGKILL(t *testing.T) {
	// The child ignores SIGINT from its very start: an ignored signal stays
	// ignored across exec. (Ignoring it only once the child ran its main
	// lost the race with the timeout under -race, now and then.)
	signal.Ignore(os.Interrupt)
	defer signal.Reset(os.Interrupt)
	s := child(t, "hang")
	s.Timeout = 100 * time.Millisecond
	s.Grace = 100 * time.Millisecond
	r := Run(context.Background(), s)
	if !r.TimedOut || r.OK() || r.Signal != syscall.SIGKILL {
		t.Fatalf("got %+v", r)
	}
	if !strings.HasPrefix(r.Cell(), ">") || !strings.HasSuffix(r.Cell(), "(timeout)") {
		t.Errorf("Cell = %q", r.Cell())
	}
}

func TestRunMissingProgram(t *testing.T) {
	r := Run(context.Background(), Step{Name: "x", Path: filepath.Join(t.TempDir(), "none")})
	if r.Ran || r.Err == nil || r.Cell() != "failed" {
		t.Fatalf("got %+v", r)
	}
}

func TestResultCell(t *testing.T) {
	for _, tc := range []struct {
		r    Result
		want string
	}{
		{Result{}, "-"},
		{Result{Ran: true, Seconds: 1.234}, "1.23"},
		{Result{Ran: true, Seconds: 5, Err: os.ErrClosed}, "failed"},
		{Result{Ran: true, Seconds: 5, Signal: syscall.SIGKILL, Err: os.ErrClosed}, ">5.00 (signal 9)"},
		{Result{Ran: true, Seconds: 5, TimedOut: true, Signal: syscall.SIGKILL, Err: os.ErrClosed}, ">5.00 (timeout)"},
		{Result{Ran: true, Seconds: 5, Interrupted: true, Err: os.ErrClosed}, ">5.00 (interrupted)"},
	} {
		if got := tc.r.Cell(); got != tc.want {
			t.Errorf("Cell(%+v) = %q, want %q", tc.r, got, tc.want)
		}
	}
}

func TestResultLoad(t *testing.T) {
	// A short step that started on a busier machine keeps the start's figure.
	if got := (Result{Seconds: 10, LoadStart: 3, LoadEnd: 1}).Load(); got != 3 {
		t.Errorf("short step: %v", got)
	}
	if got := (Result{Seconds: 100, LoadStart: 3, LoadEnd: 1}).Load(); got != 1 {
		t.Errorf("long step: %v", got)
	}
}

func TestTailLines(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{"", 3, ""},
		{"a\nb\nc\n", 2, "b\nc"},
		{"a\nb", 5, "a\nb"},
		{"a\n", 0, ""},
	} {
		if got := TailLines([]byte(tc.in), tc.n); got != tc.want {
			t.Errorf("TailLines(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
}
