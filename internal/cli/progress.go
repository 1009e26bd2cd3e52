package cli

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/ferrymigrate/ferry/internal/engine"
)

// termProgress draws one line per phase on a terminal from the engine's
// progress events: a bar when the total is known, the rows handled and
// the rate. It redraws at most every 100 ms so a fast loop is not slowed
// by the terminal.
type termProgress struct {
	w    io.Writer
	mu   sync.Mutex
	last time.Time
}

func (p *termProgress) observe(ev engine.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	final := ev.State != engine.PhaseRunning
	if !final && time.Since(p.last) < 100*time.Millisecond {
		return
	}
	p.last = time.Now()
	p.draw(ev, final)
}

func (p *termProgress) draw(ev engine.Event, final bool) {
	elapsed := ev.Elapsed().Seconds()
	bar := ""
	if ev.Total > 0 {
		const width = 24
		frac := float64(ev.Done) / float64(ev.Total)
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
	if ev.Total == 0 && ev.Rows == 0 {
		// A phase that is one long statement ("apply") has nothing to
		// count while it runs; "0 rows/s" would read like a stall.
		fmt.Fprintf(p.w, "\r\033[K%-28s %.1fs%s", ev.Phase, elapsed, end)
		return
	}
	fmt.Fprintf(p.w, "\r\033[K%-28s %s%s rows  %s rows/s  %.1fs%s", ev.Phase, bar, human(float64(ev.Rows)), human(ev.Rate()), elapsed, end)
}
