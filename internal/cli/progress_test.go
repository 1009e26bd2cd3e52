package cli

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/ferrymigrate/ferry/internal/engine"
)

// lockedBuffer is a terminal stand-in that the render goroutine and the
// test may use at once.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// screen is what a terminal shows after raw: it keeps the lines, moves
// the cursor up on ESC[nA and erases below it on ESC[J, the only cursor
// movements mpb writes. Any other escape sequence fails the test.
func screen(t *testing.T, raw string) []string {
	t.Helper()
	var lines [][]rune
	row, col := 0, 0
	put := func(r rune) {
		for len(lines) <= row {
			lines = append(lines, nil)
		}
		for len(lines[row]) < col {
			lines[row] = append(lines[row], ' ')
		}
		if col < len(lines[row]) {
			lines[row][col] = r
		} else {
			lines[row] = append(lines[row], r)
		}
		col++
	}
	esc := regexp.MustCompile(`^\x1b\[([0-9]*)([A-Za-z])`)
	for i := 0; i < len(raw); {
		if raw[i] == '\x1b' {
			m := esc.FindStringSubmatch(raw[i:])
			if m == nil {
				t.Fatalf("unknown escape sequence at %q", raw[i:min(len(raw), i+10)])
			}
			switch m[2] {
			case "A":
				n, _ := strconv.Atoi(m[1])
				row = max(row-max(n, 1), 0)
			case "J":
				if row < len(lines) {
					lines[row] = lines[row][:min(col, len(lines[row]))]
					lines = lines[:row+1]
				}
			default:
				t.Fatalf("unexpected escape sequence %q", m[0])
			}
			i += len(m[0])
			continue
		}
		r, size := utf8.DecodeRuneInString(raw[i:])
		switch r {
		case '\n':
			row, col = row+1, 0
		case '\r':
			col = 0
		default:
			put(r)
		}
		i += size
	}
	out := make([]string, 0, len(lines))
	for _, l := range lines {
		out = append(out, strings.TrimRight(string(l), " "))
	}
	for len(out) > 0 && out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return out
}

// fakeClock is the clock the lines are drawn with, so that the figures
// do not depend on how fast the test runs.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func testProgress(t *testing.T) (*progress, *lockedBuffer, *fakeClock) {
	t.Helper()
	out := &lockedBuffer{}
	clock := &fakeClock{t: t0}
	p := newProgress(out)
	p.now, p.every, p.width = clock.now, 2*time.Millisecond, 160
	t.Cleanup(p.Close)
	return p, out, clock
}

// waitScreen waits until the screen has a line for which ok is true, and
// returns that line. It waits for frames, never for a length of time: the
// deadline is only there to fail rather than hang.
func waitScreen(t *testing.T, out *lockedBuffer, ok func(string) bool) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		lines := screen(t, out.String())
		for _, l := range lines {
			if ok(l) {
				return l
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no such line on screen:\n%s", strings.Join(lines, "\n"))
		}
		time.Sleep(time.Millisecond)
	}
}

// waitFrames waits until n more frames have been drawn.
func waitFrames(t *testing.T, out *lockedBuffer, n int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for start := strings.Count(out.String(), "\x1b[J"); strings.Count(out.String(), "\x1b[J") < start+n; {
		if time.Now().After(deadline) {
			t.Fatalf("fewer than %d frames drawn", n)
		}
		time.Sleep(time.Millisecond)
	}
}

func hasPrefix(p string) func(string) bool {
	return func(l string) bool { return strings.HasPrefix(l, p) }
}

func TestProgressBarWithRateAndETA(t *testing.T) {
	p, out, clock := testProgress(t)
	clock.set(t0.Add(4 * time.Second))
	p.observe(engine.Event{Job: 1, Step: 2, Steps: 5, Phase: "transfer domains", Unit: "domains",
		Total: 200, Done: 100, Rows: 12345, Started: t0, At: t0.Add(4 * time.Second), State: engine.PhaseRunning})
	// Half done in 4 s: 12345 rows / 4 s, and 4 s to go.
	want := "step 2/5  transfer domains [==============>---------------]  50%  100/200 domains  12.3k rows  3086 rows/s  ETA 4.0s  elapsed 4.0s"
	if got := waitScreen(t, out, hasPrefix("step 2/5")); got != want {
		t.Errorf("running bar\n got %q\nwant %q", got, want)
	}

	// Bytes are shown in binary units, rows beside them.
	p.observe(engine.Event{Job: 1, Step: 3, Steps: 5, Phase: "read contacts", Unit: "bytes",
		Total: 3 << 20, Done: 3 << 19, Rows: 20000, Started: t0, At: t0.Add(4 * time.Second), State: engine.PhaseRunning})
	want = "step 3/5  read contacts    [==============>---------------]  50%  1.5/3.0 MiB  20.0k rows  5000 rows/s  ETA 4.0s  elapsed 4.0s"
	if got := waitScreen(t, out, hasPrefix("step 3/5")); got != want {
		t.Errorf("running bytes bar\n got %q\nwant %q", got, want)
	}

	// The clock goes on without events: the elapsed time and ETA follow it.
	clock.set(t0.Add(12 * time.Second))
	want = "step 2/5  transfer domains [==============>---------------]  50%  100/200 domains  12.3k rows  1029 rows/s  ETA 12s  elapsed 12s"
	if got := waitScreen(t, out, hasPrefix("step 2/5  transfer domains [==============>---------------]  50%  100/200 domains  12.3k rows  1029")); got != want {
		t.Errorf("bar after 8 s without events\n got %q\nwant %q", got, want)
	}
}

func TestProgressSpinnerForUnknownTotal(t *testing.T) {
	p, out, clock := testProgress(t)
	clock.set(t0.Add(25 * time.Second))
	p.observe(engine.Event{Job: 1, Step: 10, Steps: 14, Phase: "apply", Started: t0, At: t0.Add(time.Second),
		State: engine.PhaseRunning, Detail: "building indexes"})
	spinner := regexp.MustCompile(`^step 10/14  apply ([⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]) building indexes  elapsed 25s$`)
	first := waitScreen(t, out, spinner.MatchString)
	// With no event at all the spinner turns and the time goes on.
	clock.set(t0.Add(49 * time.Second))
	next := regexp.MustCompile(`^step 10/14  apply ([⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]) building indexes  elapsed 49s$`)
	waitScreen(t, out, func(l string) bool {
		m := next.FindStringSubmatch(l)
		return m != nil && m[1] != spinner.FindStringSubmatch(first)[1]
	})
	if strings.Contains(out.String(), "%") || strings.Contains(out.String(), "ETA") {
		t.Errorf("a phase of unknown size drew a percentage or an ETA:\n%s", strings.Join(screen(t, out.String()), "\n"))
	}

	p.observe(engine.Event{Job: 1, Step: 10, Steps: 14, Phase: "apply", Started: t0, At: t0.Add(50 * time.Second), State: engine.PhaseDone})
	p.Close()
	want := []string{"step 10/14  apply  done in 50s"}
	if got := screen(t, out.String()); !equal(got, want) {
		t.Errorf("finished spinner\n got %q\nwant %q", got, want)
	}
}

func TestProgressFinishedPhases(t *testing.T) {
	p, out, clock := testProgress(t)
	clock.set(t0.Add(3 * time.Second))
	run := func(step int, phase string) engine.Event {
		ev := engine.Event{Job: 7, Step: step, Steps: 4, Phase: phase, Unit: "domains", Total: 100,
			Started: t0, At: t0.Add(time.Second), State: engine.PhaseRunning}
		p.observe(ev)
		return ev
	}
	// Interrupted at 40 of 100: the line stays where it stopped.
	failed := run(1, "transfer domains")
	failed.Done, failed.Rows, failed.At = 40, 40, t0.Add(2*time.Second)
	p.observe(failed)
	failed.State, failed.At = engine.PhaseFailed, t0.Add(3*time.Second)
	p.observe(failed)
	// Everything counted but failed at the end: not 100% either.
	late := run(2, "transfer domains")
	late.Done, late.Rows, late.State, late.At = 100, 100, engine.PhaseFailed, t0.Add(3*time.Second)
	p.observe(late)
	// Done: complete.
	done := run(3, "transfer domains")
	done.Done, done.Rows, done.State, done.At = 100, 300, engine.PhaseDone, t0.Add(3*time.Second)
	p.observe(done)
	// An update that lost the race with its phase's end changes nothing.
	stale := failed
	stale.State, stale.Done, stale.At = engine.PhaseRunning, 39, t0.Add(2*time.Second)
	p.observe(stale)
	// Still running when the command closes: drawn where it stopped.
	open := run(4, "transfer domains")
	open.Done, open.Rows, open.At = 10, 10, t0.Add(2*time.Second)
	p.observe(open)
	p.Close()
	want := []string{
		"step 1/4  transfer domains [===========>------------------]  40%  40/100 domains  13 rows/s  failed after 3.0s",
		"step 2/4  transfer domains [=============================>]  99%  100/100 domains  33 rows/s  failed after 3.0s",
		"step 3/4  transfer domains [==============================] 100%  100/100 domains  300 rows  100 rows/s  done in 3.0s",
		"step 4/4  transfer domains [==>---------------------------]  10%  10/100 domains  3 rows/s  stopped after 3.0s",
	}
	if got := screen(t, out.String()); !equal(got, want) {
		t.Errorf("finished lines\n got %s\nwant %s", strings.Join(got, "\n     "), strings.Join(want, "\n     "))
	}
}

func TestProgressLogLinesAboveBars(t *testing.T) {
	p, out, clock := testProgress(t)
	log := p.Writer()
	clock.set(t0.Add(2 * time.Second))
	ev := engine.Event{Job: 1, Step: 1, Steps: 1, Phase: "read contacts", Unit: "bytes", Total: 1000, Done: 250, Rows: 10,
		Started: t0, At: t0.Add(2 * time.Second), State: engine.PhaseRunning}
	p.observe(ev)
	waitScreen(t, out, hasPrefix("step 1/1"))

	// A record written in two pieces is not drawn until it is whole,
	// however many frames go by.
	fmt.Fprint(log, "time=1 level=INFO ")
	waitFrames(t, out, 3)
	if strings.Contains(out.String(), "level=INFO") {
		t.Fatalf("half a log line was drawn: %q", out.String())
	}
	fmt.Fprint(log, "msg=first\n")
	waitScreen(t, out, func(l string) bool { return l == "time=1 level=INFO msg=first" })
	if !regexp.MustCompile(`(^|\n|\x1b\[J)time=1 level=INFO msg=first\n`).MatchString(out.String()) {
		t.Errorf("the log line did not arrive whole on its own line: %q", out.String())
	}

	ev.Done, ev.Rows, ev.State = 1000, 40, engine.PhaseDone
	p.observe(ev)
	fmt.Fprint(log, "time=2 level=INFO msg=second\n")
	p.Close()
	fmt.Fprint(log, "time=3 level=INFO msg=third\n")
	want := []string{
		"time=1 level=INFO msg=first",
		"step 1/1  read contacts [==============================] 100%  1000/1000 B  40 rows  20 rows/s  done in 2.0s",
		"time=2 level=INFO msg=second",
		"time=3 level=INFO msg=third",
	}
	if got := screen(t, out.String()); !equal(got, want) {
		t.Errorf("screen\n got %s\nwant %s", strings.Join(got, "\n     "), strings.Join(want, "\n     "))
	}
}

// The terminal echoes ^C where the cursor is, below the bars; the next
// frame still starts at the start of its line and leaves nothing of it.
func TestProgressRedrawsFromLineStart(t *testing.T) {
	p, out, clock := testProgress(t)
	clock.set(t0.Add(2 * time.Second))
	ev := engine.Event{Job: 1, Step: 2, Steps: 3, Phase: "apply", Started: t0, At: t0, State: engine.PhaseRunning}
	p.observe(ev)
	waitScreen(t, out, hasPrefix("step 2/3"))
	fmt.Fprint(out, "^C")
	ev.State, ev.At = engine.PhaseFailed, t0.Add(2*time.Second)
	p.observe(ev)
	p.Close()
	want := []string{"step 2/3  apply  failed after 2.0s"}
	if got := screen(t, out.String()); !equal(got, want) {
		t.Errorf("screen\n got %q\nwant %q", got, want)
	}
	// The final frame is drawn twice, which would hide a shifted one
	// here; on a terminal the shifted line wraps and the count is off.
	if regexp.MustCompile(`[^\r]\x1b\[[0-9]*A`).MatchString(out.String()) {
		t.Errorf("a frame does not start at the start of its line: %q", out.String())
	}
}

// Phases of several jobs at once, updated and logged from many
// goroutines: every line ends up whole.
func TestProgressConcurrent(t *testing.T) {
	p, out, _ := testProgress(t)
	log := p.Writer()
	const jobs, updates = 6, 300
	var wg sync.WaitGroup
	for j := range jobs {
		wg.Go(func() {
			ev := engine.Event{Job: int64(j + 1), Step: 1, Steps: 1, Phase: fmt.Sprintf("job %d", j+1), Unit: "domains",
				Total: updates, Started: t0, At: t0, State: engine.PhaseRunning}
			p.observe(ev)
			for i := 1; i <= updates; i++ {
				ev.Done, ev.Rows, ev.At = int64(i), int64(i), t0.Add(time.Duration(i)*time.Millisecond)
				p.observe(ev)
				if i%50 == 0 {
					fmt.Fprintf(log, "level=INFO msg=update job=%d i=%d\n", j+1, i)
				}
			}
			ev.State = engine.PhaseDone
			p.observe(ev)
		})
	}
	wg.Wait()
	p.Close()
	logs, bars := 0, 0
	for _, l := range screen(t, out.String()) {
		switch {
		case regexp.MustCompile(`^level=INFO msg=update job=\d i=\d+$`).MatchString(l):
			logs++
		case regexp.MustCompile(`^step 1/1  job \d \[=+\] 100%  300/300 domains  .* done in 0\.3s$`).MatchString(l):
			bars++
		default:
			t.Errorf("torn line %q", l)
		}
	}
	if logs != jobs*updates/50 || bars != jobs {
		t.Errorf("%d log lines and %d bars on screen, want %d and %d", logs, bars, jobs*updates/50, jobs)
	}
}

// Once no phase is live the library's goroutines are gone, Close or not.
func TestProgressStopsItsGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	p, _, _ := testProgress(t)
	for step := 1; step <= 3; step++ {
		ev := engine.Event{Job: 1, Step: step, Steps: 3, Phase: "apply", Started: t0, At: t0, State: engine.PhaseRunning}
		p.observe(ev)
		ev.State = engine.PhaseDone
		p.observe(ev)
	}
	deadline := time.Now().Add(20 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines, %d before:\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(time.Millisecond)
	}
}

func TestProgressCloseWithoutPhases(t *testing.T) {
	var out bytes.Buffer
	p := newProgress(&out)
	p.Close()
	p.Close()
	p.observe(engine.Event{Job: 1, Step: 1, Phase: "late", State: engine.PhaseRunning})
	if out.Len() != 0 {
		t.Errorf("a progress that never drew wrote %q", out.String())
	}
}

func equal(a, b []string) bool {
	return strings.Join(a, "\n") == strings.Join(b, "\n")
}

// A real migration: on a terminal every phase leaves its final line on
// stderr, "step k/n" up to n/n; off one nothing is drawn at all, and
// stdout carries only the summary either way.
func TestProgressOnlyOnTerminal(t *testing.T) {
	example := filepath.Join("..", "..", "examples", "registrar")
	for _, terminal := range []bool{true, false} {
		var stdout lockedBuffer
		stderr := &lockedBuffer{}
		env := Env{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: stderr, Terminal: terminal,
			Getenv: func(string) string { return "" }}
		db := filepath.Join(t.TempDir(), "ferry.db")
		root, a := newRoot(env)
		root.SetArgs([]string{"--db", db, "registrar", "migrate", "--directory", example, "--yes"})
		err := root.ExecuteContext(context.Background())
		if cerr := a.close(); err == nil {
			err = cerr
		}
		if err != nil {
			t.Fatalf("terminal=%v: %v\n%s", terminal, err, stderr.String())
		}
		if strings.ContainsAny(stdout.String(), "\r\x1b") {
			t.Errorf("terminal=%v: progress on stdout: %q", terminal, stdout.String())
		}
		if !terminal {
			if a.progress != nil || strings.ContainsAny(stderr.String(), "\r\x1b") || strings.Contains(stderr.String(), "step ") {
				t.Errorf("progress drawn off a terminal: %q", stderr.String())
			}
			continue
		}
		a.progress.Close()
		lines := screen(t, stderr.String())
		step := regexp.MustCompile(`^step (\d+)/(\d+)  (.+?) +(\[=+\] 100%  .*)?done in \S+$`)
		seen := map[string]bool{}
		last, steps := 0, 0
		for _, l := range lines {
			m := step.FindStringSubmatch(l)
			if m == nil {
				continue
			}
			k, _ := strconv.Atoi(m[1])
			n, _ := strconv.Atoi(m[2])
			if k != last+1 || k > n {
				t.Errorf("step %d/%d after step %d", k, n, last)
			}
			last, steps = k, n
			seen[m[3]] = true
		}
		if last == 0 || last != steps {
			t.Errorf("last step %d/%d: want n/n\n%s", last, steps, strings.Join(lines, "\n"))
		}
		for _, phase := range []string{"read domain contacts", "apply", "transfer domains", "analyze"} {
			if !seen[phase] {
				t.Errorf("no finished %q line in\n%s", phase, strings.Join(lines, "\n"))
			}
		}
		// Once root.go writes its log through the progress, its lines are
		// whole on the screen among the bars.
		if a.progress.wrote {
			found := false
			for _, l := range lines {
				found = found || regexp.MustCompile(`^time=\S+ level=INFO msg="load finished" job=\d+ `).MatchString(l)
			}
			if !found {
				t.Errorf("the load's log line is not whole on the screen:\n%s", strings.Join(lines, "\n"))
			}
		}
	}
}
