package cli

import (
	"testing"
	"time"

	"github.com/ferrymigrate/ferry/internal/engine"
)

func TestProgressStepLabel(t *testing.T) {
	for _, c := range []struct {
		step, steps int
		want        string
	}{
		{3, 14, "step 3/14  apply"},
		{14, 14, "step 14/14  apply"},
		{15, 14, "step 15/15  apply"}, // past the plan: k/k
		{1, 0, "step 1/1  apply"},
		{0, 0, "apply"},
	} {
		if got := phaseLabel(engine.Event{Step: c.step, Steps: c.steps, Phase: "apply"}); got != c.want {
			t.Errorf("step %d of %d: %q, want %q", c.step, c.steps, got, c.want)
		}
	}
}

func TestFitFigures(t *testing.T) {
	fs := []figure{{" 50%", 0}, {"1.5/3.0 MiB", 4}, {"20.0k rows", 5}, {"5000 rows/s", 2}, {"ETA 4.0s", 1}, {"elapsed 4.0s", 0}}
	for width, want := range map[int]string{
		200: " 50%  1.5/3.0 MiB  20.0k rows  5000 rows/s  ETA 4.0s  elapsed 4.0s",
		60:  " 50%  1.5/3.0 MiB  5000 rows/s  ETA 4.0s  elapsed 4.0s",
		41:  " 50%  5000 rows/s  ETA 4.0s  elapsed 4.0s",
		40:  " 50%  ETA 4.0s  elapsed 4.0s",
		10:  " 50%  elapsed 4.0s",
	} {
		if got := fitFigures(fs, width); got != want {
			t.Errorf("width %d: %q, want %q", width, got, want)
		}
	}
}

func TestLayFigures(t *testing.T) {
	fs := []figure{{" 50%", 0}, {"1.5/3.0 MiB", 4}, {"20.0k rows", 5}, {"5000 rows/s", 2}, {"ETA 4.0s", 1}, {"elapsed 4.0s", 0}}
	all := " 50%  1.5/3.0 MiB  20.0k rows  5000 rows/s  ETA 4.0s  elapsed 4.0s"
	for _, c := range []struct {
		avail int
		bar   bool
		want  string
	}{
		// Room for a whole bar and all figures: nothing is padded.
		{120, true, all},
		// Not for both: the figures take 60 columns, padded, the bar the rest.
		{80, true, " 50%  1.5/3.0 MiB  5000 rows/s  ETA 4.0s  elapsed 4.0s      "},
		// Less still: the bar keeps its least, the figures lose the most
		// droppable first.
		{70, true, " 50%  1.5/3.0 MiB  5000 rows/s  ETA 4.0s  elapsed 4.0s  "},
		{60, true, " 50%  5000 rows/s  ETA 4.0s  elapsed 4.0s     "},
		// A spinner has no bar to make room for.
		{80, false, all},
	} {
		if got := layFigures(fs, c.avail, c.bar); got != c.want {
			t.Errorf("avail %d, bar %v:\n got %q\nwant %q", c.avail, c.bar, got, c.want)
		}
	}
}

func TestProgressCounts(t *testing.T) {
	for _, c := range []struct {
		unit        string
		done, total int64
		want        string
	}{
		{"bytes", 713, 713, "713/713 B"},
		{"bytes", 512, 4000, "512 B/3.9 KiB"},
		{"bytes", 12 << 20, 3 << 30, "12 MiB/3.0 GiB"},
		{"bytes", 5 << 20, 0, "5.0 MiB"},
		{"domains", 12345, 300000, "12.3k/300.0k domains"},
		{"", 7, 9, "7/9"},
	} {
		if got := phaseCount(c.unit, c.done, c.total); got != c.want {
			t.Errorf("%d/%d %s: %q, want %q", c.done, c.total, c.unit, got, c.want)
		}
	}
	for d, want := range map[time.Duration]string{0: "0.0s", 4200 * time.Millisecond: "4.2s", 25 * time.Second: "25s",
		187 * time.Second: "3m07s", 62 * time.Minute: "1h02m"} {
		if got := phaseDuration(d); got != want {
			t.Errorf("phaseDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestHuman(t *testing.T) {
	for v, want := range map[float64]string{0: "0", 9999: "9999", 10000: "10.0k", 123456: "123.5k", 2500000: "2.50M"} {
		if got := human(v); got != want {
			t.Errorf("human(%v) = %q, want %q", v, got, want)
		}
	}
}

func TestPhaseFigures(t *testing.T) {
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	now := start.Add(4 * time.Second)
	bar := engine.Event{Phase: "transfer domains", Unit: "domains", Total: 200, Done: 100, Rows: 12345,
		Started: start, At: start.Add(3 * time.Second), State: engine.PhaseRunning}
	spin := engine.Event{Phase: "apply", Started: start, At: start.Add(time.Second), State: engine.PhaseRunning, Detail: "building indexes"}
	at := func(ev engine.Event, state string, done int64) engine.Event {
		ev.State, ev.Done, ev.At = state, done, now
		return ev
	}
	for _, c := range []struct {
		name    string
		ev      engine.Event
		aborted bool
		want    string
	}{
		// Running, the time is now's, not the last event's.
		{"bar", bar, false, " 50%  100/200 domains  12.3k rows  3086 rows/s  ETA 4.0s  elapsed 4.0s"},
		{"no progress yet", at(bar, engine.PhaseRunning, 0), false, "  0%  0/200 domains  12.3k rows  3086 rows/s  ETA ?  elapsed 4.0s"},
		{"all counted, not done", at(bar, engine.PhaseRunning, 200), false, " 99%  200/200 domains  12.3k rows  3086 rows/s  ETA 0.0s  elapsed 4.0s"},
		{"done", at(bar, engine.PhaseDone, 200), false, "100%  200/200 domains  12.3k rows  3086 rows/s  done in 4.0s"},
		{"failed", at(bar, engine.PhaseFailed, 100), false, " 50%  100/200 domains  12.3k rows  3086 rows/s  failed after 4.0s"},
		{"stopped", bar, true, " 50%  100/200 domains  12.3k rows  3086 rows/s  stopped after 4.0s"},
		{"spinner", spin, false, "building indexes  elapsed 4.0s"},
		{"spinner done", at(spin, engine.PhaseDone, 0), false, "done in 4.0s"},
	} {
		if got := fitFigures(phaseFigures(c.ev, now, c.aborted), 200); got != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.name, got, c.want)
		}
	}
}
