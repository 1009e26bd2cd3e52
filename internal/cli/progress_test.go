package cli

import (
	"bytes"
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ferrymigrate/ferry/internal/engine"
)

func TestTrackerDrawsBarAndRate(t *testing.T) {
	var buf bytes.Buffer
	p := &termProgress{w: &buf}
	start := time.Now().Add(-time.Second)
	ev := engine.Event{Phase: "read domain contacts", Total: 200, Done: 100, Rows: 12345, Started: start, At: time.Now(), State: engine.PhaseRunning}
	p.observe(ev)
	line := buf.String()
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`^\r\x1b\[Kread domain contacts +\[={12} {12}\]  50% `),
		regexp.MustCompile(` 12\.3k rows `),
		regexp.MustCompile(` [0-9.]+[kM]? rows/s `),
	} {
		if !want.MatchString(line) {
			t.Errorf("first draw %q does not match %s", line, want)
		}
	}
	// Redraws are throttled: an update right after a draw prints nothing.
	buf.Reset()
	ev.Done, ev.Rows = 150, 20000
	p.observe(ev)
	if buf.Len() != 0 {
		t.Errorf("throttled update drew %q", buf.String())
	}
	// The end always draws, where the phase stopped, and ends the line.
	ev.State = engine.PhaseDone
	p.observe(ev)
	final := buf.String()
	if !strings.Contains(final, "[==================      ]  75% ") || !strings.HasSuffix(final, "\n") {
		t.Errorf("final draw %q: want the bar where the phase ended, ending the line", final)
	}
	if !strings.Contains(final, " 20.0k rows ") {
		t.Errorf("final draw %q lost the last row count", final)
	}

	// A phase of unknown size shows no bar.
	buf.Reset()
	p.observe(engine.Event{Phase: "apply", Started: start, At: time.Now(), State: engine.PhaseDone})
	if !regexp.MustCompile(`^\r\x1b\[Kapply +[0-9.]+s\n$`).MatchString(buf.String()) {
		t.Errorf("unsized phase without rows drew %q; want its name and time", buf.String())
	}
}

// On a terminal a migration draws a line per phase on stderr; off one it
// draws nothing, and stdout carries only the summary either way.
func TestProgressOnlyOnTerminal(t *testing.T) {
	example := filepath.Join("..", "..", "examples", "registrar")
	for _, terminal := range []bool{true, false} {
		var stdout, stderr bytes.Buffer
		env := Env{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr, Terminal: terminal,
			Getenv: func(string) string { return "" }}
		db := filepath.Join(t.TempDir(), "ferry.db")
		if err := Run(context.Background(), env, []string{"--db", db, "registrar", "migrate", "--directory", example, "--yes"}); err != nil {
			t.Fatalf("terminal=%v: %v\n%s", terminal, err, stderr.String())
		}
		if strings.Contains(stdout.String(), "\r") {
			t.Errorf("terminal=%v: progress on stdout: %q", terminal, stdout.String())
		}
		if !terminal {
			if strings.Contains(stderr.String(), "\r") {
				t.Errorf("progress drawn off a terminal: %q", stderr.String())
			}
			continue
		}
		for _, phase := range []string{"read domain contacts", "transfer domains"} {
			if !regexp.MustCompile(`\r\x1b\[K` + phase + ` .*rows/s .*\n`).MatchString(stderr.String()) {
				t.Errorf("no finished %q line in %q", phase, stderr.String())
			}
		}
		if !regexp.MustCompile(`\r\x1b\[Kapply +[0-9.]+s\n`).MatchString(stderr.String()) {
			t.Errorf("no finished apply line in %q", stderr.String())
		}
	}
}
