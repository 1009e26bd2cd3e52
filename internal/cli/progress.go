package cli

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/ferrymigrate/ferry/internal/job"
)

// termProgress draws one line per phase on a terminal: a bar when the total
// is known, the rows handled and the rate. It redraws at most every 100 ms
// so a fast loop is not slowed by the terminal.
type termProgress struct {
	w  io.Writer
	mu sync.Mutex
}

func (p *termProgress) Phase(name string, total int64) job.Tracker {
	return &termTracker{p: p, name: name, total: total, start: time.Now()}
}

type termTracker struct {
	p          *termProgress
	name       string
	total      int64
	done, rows int64
	start      time.Time
	last       time.Time
}

func (t *termTracker) Update(done, rows int64) {
	t.done, t.rows = done, rows
	if time.Since(t.last) < 100*time.Millisecond {
		return
	}
	t.last = time.Now()
	t.draw(false)
}

func (t *termTracker) Done() {
	if t.total > 0 {
		t.done = t.total
	}
	t.draw(true)
}

func (t *termTracker) draw(final bool) {
	t.p.mu.Lock()
	defer t.p.mu.Unlock()
	elapsed := time.Since(t.start).Seconds()
	rate := 0.0
	if elapsed > 0 {
		rate = float64(t.rows) / elapsed
	}
	bar := ""
	if t.total > 0 {
		const width = 24
		frac := float64(t.done) / float64(t.total)
		if frac > 1 {
			frac = 1
		}
		n := int(frac * width)
		bar = "[" + strings.Repeat("=", n) + strings.Repeat(" ", width-n) + fmt.Sprintf("] %3.0f%% ", frac*100)
	}
	end := ""
	if final {
		end = "\n"
	}
	if t.total == 0 && t.rows == 0 {
		// A phase that is one long statement ("apply") has nothing to
		// count while it runs; "0 rows/s" would read like a stall.
		fmt.Fprintf(t.p.w, "\r\033[K%-28s %.1fs%s", t.name, elapsed, end)
		return
	}
	fmt.Fprintf(t.p.w, "\r\033[K%-28s %s%s rows  %s rows/s  %.1fs%s", t.name, bar, human(float64(t.rows)), human(rate), elapsed, end)
}

func human(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.2fM", v/1e6)
	case v >= 1e4:
		return fmt.Sprintf("%.1fk", v/1e3)
	}
	return fmt.Sprintf("%.0f", v)
}
