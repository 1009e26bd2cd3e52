package cli

import (
	"bytes"
	"io"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/vbauerster/cupwriter"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/ferrymigrate/ferry/internal/engine"
)

// progress draws the engine's progress events on a terminal with mpb: one
// line per phase, "step k/n  <phase>", then a bar with the percentage, the
// counts, rows/s and an ETA when the total is known, or a spinner with the
// phase's detail when it is not, and the elapsed time either way. Live
// lines are redrawn on a clock, not on events, so a phase that sends none
// for a minute (one long statement) still shows that it is alive.
//
// A finished phase leaves its last line on screen: complete when it was
// done, where it stopped when it failed. Log lines written to Writer
// while bars are live are printed above them, whole.
//
// It is only ever created on a terminal. Nothing is started until the
// first event, and when the last live phase ends the library's goroutines
// are stopped again, so a progress that is idle holds no goroutine.
type progress struct {
	w io.Writer
	// now is the clock the lines are drawn with; tests set it.
	now func() time.Time
	// every is how often the live lines are redrawn.
	every time.Duration
	// width, when set, is the line width to draw for instead of the
	// terminal's; tests set it.
	width int

	mu      sync.Mutex
	c       *container // nil while no phase is live
	ended   map[phaseKey]bool
	closed  bool
	partial []byte // a log line not yet ended by its newline
	// labelWidth is the widest label drawn so far.
	labelWidth int
	wrote      bool // Writer was asked for
}

// newProgress draws on w, which must be a terminal.
func newProgress(w io.Writer) *progress { return &progress{w: w} }

// refreshEvery is how often live lines are redrawn: often enough for a
// spinner and a clock, seldom enough to cost nothing.
const refreshEvery = 150 * time.Millisecond

type phaseKey struct {
	job  int64
	step int
}

// phase is one line: the last event of its phase, read by the decorators
// on the library's goroutine.
type phase struct {
	mu  sync.Mutex
	ev  engine.Event
	bar *mpb.Bar
}

func (ph *phase) event() engine.Event {
	ph.mu.Lock()
	defer ph.mu.Unlock()
	return ph.ev
}

// container is one mpb.Progress, alive from the first phase that starts
// while none is live until the last live phase ends.
type container struct {
	p       *mpb.Progress
	refresh chan any
	// shut is closed by mpb once it has stopped, also on its own after a
	// write to the terminal failed.
	shut   chan any
	stop   chan struct{}
	ticker sync.WaitGroup
	live   map[phaseKey]*phase
	bars   []*phase
}

func (p *progress) clock() time.Time {
	if p.now != nil {
		return p.now()
	}
	return time.Now()
}

// observe is the engine observer. It is called on the job's goroutines,
// so an update only records the event for the next frame. Only the start
// and the end of a phase talk to mpb, and the end of the last live phase
// waits for its final frame (a few milliseconds).
func (p *progress) observe(ev engine.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	k := phaseKey{ev.Job, ev.Step}
	if p.ended[k] {
		// An update that raced with the end of its phase.
		return
	}
	final := ev.State != engine.PhaseRunning
	var ph *phase
	if p.c != nil {
		ph = p.c.live[k]
	}
	if ph == nil {
		ph = p.start(k, ev)
	} else {
		ph.mu.Lock()
		// Updates from several goroutines may arrive out of order; the
		// later one says where the phase stands.
		if final || !ev.At.Before(ph.ev.At) {
			ph.ev = ev
		}
		ph.mu.Unlock()
	}
	if !final {
		return
	}
	if p.ended == nil {
		p.ended = map[phaseKey]bool{}
	}
	p.ended[k] = true
	delete(p.c.live, k)
	if ev.State == engine.PhaseDone {
		ph.bar.SetTotal(-1, true)
	} else {
		ph.bar.Abort(false)
	}
	if len(p.c.live) == 0 {
		p.finish()
	}
}

// start adds the line of a phase, starting the container if none is live.
func (p *progress) start(k phaseKey, ev engine.Event) *phase {
	if p.c == nil {
		p.c = p.newContainer()
	}
	ph := &phase{ev: ev}
	// Labels are as wide as the widest so far, so that the bars of the
	// phases after it line up under each other.
	p.labelWidth = max(p.labelWidth, utf8.RuneCountInString(phaseLabel(ev)))
	label := decor.Any(func(decor.Statistics) string { return phaseLabel(ph.event()) },
		decor.WC{W: p.labelWidth, C: decor.DSyncWidthR})
	figures := decor.Any(func(st decor.Statistics) string {
		return layFigures(phaseFigures(ph.event(), p.clock(), st.Aborted), st.AvailableWidth, ev.Total > 0)
	})
	opts := []mpb.BarOption{mpb.PrependDecorators(label), mpb.AppendDecorators(figures)}
	var style mpb.BarFillerBuilder
	if ev.Total > 0 {
		// The bar is drawn from the phase's own counts, not the
		// library's: a bar created with no total never completes by
		// itself, so only the phase's end can make it read 100%.
		style = mpb.BarStyle()
		opts = append(opts, mpb.BarWidth(barWidth), mpb.BarFillerMiddleware(func(base mpb.BarFiller) mpb.BarFiller {
			return mpb.BarFillerFunc(func(w io.Writer, st decor.Statistics) error {
				e := ph.event()
				st.Total, st.Current = e.Total, min(max(e.Done, 0), e.Total)
				if st.Completed {
					st.Current = st.Total
				}
				return base.Fill(w, st)
			})
		}))
	} else {
		style = mpb.SpinnerStyle().PositionLeft()
		opts = append(opts, mpb.BarWidth(1), mpb.BarFillerClearOnComplete(), mpb.BarFillerClearOnAbort())
	}
	ph.bar = p.c.p.New(0, style, opts...)
	p.c.live[k] = ph
	p.c.bars = append(p.c.bars, ph)
	return ph
}

func (p *progress) newContainer() *container {
	c := &container{refresh: make(chan any), shut: make(chan any), stop: make(chan struct{}), live: map[phaseKey]*phase{}}
	c.p = mpb.New(
		mpb.WithConsoleWriter(newTermWriter(p.w, p.width)),
		mpb.WithShutdownNotifier(c.shut),
		// Finished lines go up and stay; live ones are redrawn below.
		mpb.PopCompletedMode(),
		// Drawing is on our clock, so the last frame can be asked for
		// before the container stops (see finish).
		mpb.WithManualRefresh(c.refresh),
	)
	every := p.every
	if every <= 0 {
		every = refreshEvery
	}
	c.ticker.Go(func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				select {
				case c.refresh <- nil:
				case <-c.stop:
					return
				case <-c.shut:
					return
				}
			case <-c.stop:
				return
			}
		}
	})
	return c
}

// finish stops the container once no phase is live: it waits until every
// line has drawn its final state, draws once more so that log lines
// written since the last frame are printed, and stops the library's
// goroutines.
func (p *progress) finish() {
	c := p.c
	p.c = nil
	for _, ph := range c.bars {
		ph.bar.Wait()
	}
	close(c.stop)
	c.ticker.Wait()
	select {
	case c.refresh <- nil:
	case <-c.shut:
	}
	c.p.Wait()
}

// Writer is where log lines must go: above the bars while any are live,
// straight to the terminal otherwise. It passes on whole lines only, so a
// record written in pieces is never split by a frame.
func (p *progress) Writer() io.Writer {
	p.mu.Lock()
	p.wrote = true
	p.mu.Unlock()
	return logWriter{p}
}

type logWriter struct{ p *progress }

// maxLogLine is the most of a line without its end that Writer holds back.
const maxLogLine = 64 << 10

func (l logWriter) Write(b []byte) (int, error) {
	p := l.p
	p.mu.Lock()
	defer p.mu.Unlock()
	p.partial = append(p.partial, b...)
	i := bytes.LastIndexByte(p.partial, '\n')
	if i < 0 && len(p.partial) < maxLogLine {
		return len(b), nil
	}
	if i < 0 {
		p.partial = append(p.partial, '\n')
		i = len(p.partial) - 1
	}
	lines := p.partial[:i+1]
	var err error
	if p.c != nil {
		// mpb prints them above the bars at its next frame.
		_, err = p.c.p.Write(lines)
	}
	if p.c == nil || err != nil {
		// No bar is live, or mpb has stopped: straight to the terminal.
		_, err = p.w.Write(lines)
	}
	p.partial = append(p.partial[:0], p.partial[i+1:]...)
	if err != nil {
		return 0, err
	}
	return len(b), nil
}

// Close draws the last state of every line and stops drawing; a phase
// still running is drawn where it stopped. Call it before the command's
// summary is printed. It can be called more than once, and does nothing
// when no phase was ever drawn. Log lines written to Writer after Close
// go straight to the terminal.
func (p *progress) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	p.closed = true
	if p.c != nil {
		for _, ph := range p.c.live {
			ph.bar.Abort(false)
		}
		p.finish()
	}
	if len(p.partial) > 0 {
		_, _ = p.w.Write(append(p.partial, '\n'))
		p.partial = nil
	}
}

// termWriter is mpb's terminal writer for a progress that is only ever
// created on a terminal:
//   - it moves the cursor even when the terminal is behind a wrapper that
//     hides its file;
//   - every frame starts at the start of a line: the terminal's own echo
//     (the ^C of an interrupt) would otherwise shift the frame and leave
//     the start of the old one on screen;
//   - lines stay one column short of the terminal's width, so that no
//     terminal wraps them and throws the line count off;
//   - when the terminal does not tell its size (a pseudo-terminal that was
//     never given one answers 0x0, and mpb would then draw nothing) it
//     draws for 80 columns.
type termWriter struct {
	*cupwriter.Writer
	out   io.Writer
	width int // when set, the width to draw for, whatever the terminal says
}

func newTermWriter(w io.Writer, width int) termWriter {
	return termWriter{cupwriter.New(w, true), w, width}
}

func (t termWriter) IsTerminal() bool { return true }

func (t termWriter) GetTermSize() (width, height int, err error) {
	const defaultWidth, defaultHeight = 80, 24
	if t.width > 0 {
		return t.width, defaultHeight, nil
	}
	if t.Writer.IsTerminal() {
		if w, h, err := t.Writer.GetTermSize(); err == nil && w > 1 && h > 0 {
			return w - 1, h, nil
		}
	}
	return defaultWidth - 1, defaultHeight, nil
}

func (t termWriter) Flush(lines int) error {
	if _, err := io.WriteString(t.out, "\r"); err != nil {
		return err
	}
	return t.Writer.Flush(lines)
}
