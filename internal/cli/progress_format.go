package cli

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ferrymigrate/ferry/internal/engine"
)

// phaseLabel is the left of a phase's line: "step k/n  <phase>". A step
// past the planned count reads k/k.
func phaseLabel(ev engine.Event) string {
	if ev.Step <= 0 {
		return ev.Phase
	}
	return fmt.Sprintf("step %d/%d  %s", ev.Step, max(ev.Steps, ev.Step), ev.Phase)
}

// figure is one of the figures right of a bar; on a narrow terminal the
// ones with the highest drop go first.
type figure struct {
	text string
	drop int
}

// phaseFigures are the figures right of a phase's bar or spinner at now:
// how far, how fast, how long. aborted says the line was stopped while
// its phase still ran.
func phaseFigures(ev engine.Event, now time.Time, aborted bool) []figure {
	elapsed := ev.Elapsed()
	if ev.State == engine.PhaseRunning {
		elapsed = now.Sub(ev.Started)
	}
	var fs []figure
	add := func(drop int, text string) { fs = append(fs, figure{text, drop}) }
	if ev.Total > 0 {
		// Only a phase that is done reads 100%: one that has counted
		// everything but not finished, or failed at the end, reads 99%.
		pct := 100
		if ev.State != engine.PhaseDone {
			pct = min(int(max(ev.Done, 0)*100/ev.Total), 99)
		}
		add(0, fmt.Sprintf("%3d%%", pct))
		add(4, phaseCount(ev.Unit, ev.Done, ev.Total))
	} else if ev.Done > 0 && ev.Unit != "" {
		add(4, phaseCount(ev.Unit, ev.Done, 0))
	}
	if ev.Rows > 0 && (ev.Unit == "bytes" || ev.Unit == "" || ev.Rows != ev.Done) {
		add(5, human(float64(ev.Rows))+" rows")
	}
	if ev.Rows > 0 {
		rate := 0.0
		if s := elapsed.Seconds(); s > 0 {
			rate = float64(ev.Rows) / s
		}
		add(2, human(rate)+" rows/s")
	}
	switch {
	case ev.State == engine.PhaseDone:
		add(0, "done in "+phaseDuration(elapsed))
	case ev.State == engine.PhaseFailed:
		add(0, "failed after "+phaseDuration(elapsed))
	case aborted:
		add(0, "stopped after "+phaseDuration(elapsed))
	default:
		if ev.Detail != "" {
			add(1, ev.Detail)
		}
		if ev.Total > 0 {
			add(1, "ETA "+phaseETA(ev, elapsed))
		}
		add(0, "elapsed "+phaseDuration(elapsed))
	}
	return fs
}

// Room on a line: a bar is at most barWidth wide, its brackets included.
// The figures take at least figuresWidth when the line has it, so that
// bars on a narrow terminal shrink alike; the bar keeps at least barRoom,
// a spinner spinnerRoom (the spaces around them included).
const (
	barWidth     = 32
	figuresWidth = 60
	barRoom      = 14
	spinnerRoom  = 3
)

// layFigures fits the figures into what the label left of the line,
// avail. With a bar, the bar is as wide as it may be; when that leaves
// too little, the figures take a fixed width and the bar the rest, so that
// the bars of lines with labels of one width are of one width too.
func layFigures(fs []figure, avail int, bar bool) string {
	if !bar {
		return fitFigures(fs, avail-spinnerRoom)
	}
	if room := avail - barWidth - 2; room >= figuresWidth {
		return fitFigures(fs, room)
	}
	w := min(avail-barRoom, figuresWidth)
	s := fitFigures(fs, w)
	if n := utf8.RuneCountInString(s); n < w {
		s += strings.Repeat(" ", w-n)
	}
	return s
}

// fitFigures joins the figures, leaving out the most droppable ones
// until the line is at most width wide.
func fitFigures(fs []figure, width int) string {
	for {
		n := 0
		worst := -1
		for i, f := range fs {
			if i > 0 {
				n += 2
			}
			n += utf8.RuneCountInString(f.text)
			if worst < 0 || f.drop >= fs[worst].drop {
				worst = i
			}
		}
		if n <= width || len(fs) <= 1 || fs[worst].drop == 0 {
			break
		}
		fs = append(fs[:worst:worst], fs[worst+1:]...)
	}
	texts := make([]string, len(fs))
	for i, f := range fs {
		texts[i] = f.text
	}
	return strings.Join(texts, "  ")
}

// phaseETA is the time left at the pace so far.
func phaseETA(ev engine.Event, elapsed time.Duration) string {
	if ev.Done <= 0 || elapsed <= 0 {
		return "?"
	}
	if ev.Done >= ev.Total {
		return phaseDuration(0)
	}
	left := time.Duration(float64(elapsed) / float64(ev.Done) * float64(ev.Total-ev.Done))
	return phaseDuration(left)
}

// phaseCount is "done/total unit", bytes in KiB, MiB...; total 0 leaves
// it out.
func phaseCount(unit string, done, total int64) string {
	if unit == "bytes" {
		d, du := byteSize(done)
		if total <= 0 {
			return d + " " + du
		}
		t, tu := byteSize(total)
		if du == tu {
			return d + "/" + t + " " + tu
		}
		return d + " " + du + "/" + t + " " + tu
	}
	s := human(float64(done))
	if total > 0 {
		s += "/" + human(float64(total))
	}
	if unit != "" {
		s += " " + unit
	}
	return s
}

// byteSize is n in the largest binary unit it has one of, with a decimal
// below ten: 713 B, 3.9 KiB, 12 MiB.
func byteSize(n int64) (string, string) {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	v, u := float64(max(n, 0)), 0
	for v >= 1024 && u < len(units)-1 {
		v /= 1024
		u++
	}
	switch {
	case u == 0:
		return fmt.Sprintf("%.0f", v), units[u]
	case v < 9.95:
		return fmt.Sprintf("%.1f", v), units[u]
	}
	return fmt.Sprintf("%.0f", v), units[u]
}

// phaseDuration is short and steady: 4.2s, 25s, 3m07s, 1h02m.
func phaseDuration(d time.Duration) string {
	d = max(d, 0)
	switch {
	case d < 10*time.Second:
		return fmt.Sprintf("%.1fs", d.Seconds())
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
}

// human is a count in at most six characters: 9999, 12.3k, 2.50M.
func human(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.2fM", v/1e6)
	case v >= 1e4:
		return fmt.Sprintf("%.1fk", v/1e3)
	}
	return fmt.Sprintf("%.0f", v)
}
