package engine

import (
	"sync"
	"time"
)

// Phase states.
const (
	PhaseRunning = "running"
	PhaseDone    = "done"
	PhaseFailed  = "failed"
)

// Event is one moment of a job's progress: which step of how many, the
// phase, and how far it is. Every job has one stream of them; the command
// line draws them, and the HTTP service will publish them.
type Event struct {
	Job int64 `json:"job"`
	// Root is the outermost job when jobs nest (a load inside a migrate),
	// or Job itself.
	Root  int64  `json:"root"`
	Kind  string `json:"kind"`
	Step  int    `json:"step"`
	Steps int    `json:"steps"`
	Phase string `json:"phase"`
	// Unit is what Done and Total count ("bytes", "domains"); "" when the
	// phase has nothing to count, such as one long statement.
	Unit  string `json:"unit,omitempty"`
	Done  int64  `json:"done"`
	Total int64  `json:"total"` // 0 when unknown
	// Rows is the rows handled so far, whatever the unit.
	Rows    int64     `json:"rows"`
	Started time.Time `json:"started"`
	At      time.Time `json:"at"`
	State   string    `json:"state"`
	// Detail says what a phase without a count is doing right now.
	Detail string `json:"detail,omitempty"`
}

// Elapsed is how long the phase has run.
func (e Event) Elapsed() time.Duration { return e.At.Sub(e.Started) }

// Rate is rows per second over the phase so far.
func (e Event) Rate() float64 {
	s := e.Elapsed().Seconds()
	if s <= 0 {
		return 0
	}
	return float64(e.Rows) / s
}

// ETA estimates the time left from the pace so far, or 0 when it cannot.
func (e Event) ETA() time.Duration {
	if e.Total <= 0 || e.Done <= 0 || e.Done >= e.Total {
		return 0
	}
	per := float64(e.Elapsed()) / float64(e.Done)
	return time.Duration(per * float64(e.Total-e.Done))
}

// Bus hands every event to the observers set at New, and to whoever
// subscribed to the job.
type Bus struct {
	mu        sync.Mutex
	observers []func(Event)
	subs      map[*subscription]struct{}
}

type subscription struct {
	job int64
	ch  chan Event
}

func newBus() *Bus { return &Bus{subs: map[*subscription]struct{}{}} }

// Observe has every later event of every job passed to fn, on the
// goroutine that made it; fn must be quick (a metric's update).
func (b *Bus) Observe(fn func(Event)) { b.observe(fn) }

func (b *Bus) observe(fn func(Event)) {
	b.mu.Lock()
	b.observers = append(b.observers, fn)
	b.mu.Unlock()
}

// Subscribe returns the events of job and of the jobs inside it, until
// cancel is called. A subscriber that falls behind misses intermediate
// events, never blocks the job: each event says where the job stands, so
// the next one makes up for any that were dropped.
func (b *Bus) Subscribe(job int64) (events <-chan Event, cancel func()) {
	s := &subscription{job: job, ch: make(chan Event, 64)}
	b.mu.Lock()
	b.subs[s] = struct{}{}
	b.mu.Unlock()
	var once sync.Once
	return s.ch, func() {
		once.Do(func() {
			b.mu.Lock()
			delete(b.subs, s)
			b.mu.Unlock()
			close(s.ch)
		})
	}
}

func (b *Bus) publish(ev Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, fn := range b.observers {
		fn(ev)
	}
	for s := range b.subs {
		if s.job != ev.Job && s.job != ev.Root {
			continue
		}
		select {
		case s.ch <- ev:
		default:
		}
	}
}

// steps is the step counter a job shares with the jobs inside it, so that
// a migrate's load and transfer count one sequence of steps.
type steps struct {
	mu    sync.Mutex
	n     int
	total int
}

// Tracker follows one phase of a run.
type Tracker struct {
	run  *Run
	mu   sync.Mutex
	ev   Event
	done bool
}

// Phase starts the next step of the run: name, what it counts and how
// much there is (0 when unknown).
func (r *Run) Phase(name, unit string, total int64) *Tracker {
	r.steps.mu.Lock()
	r.steps.n++
	if r.steps.n > r.steps.total {
		r.steps.total = r.steps.n
	}
	step, steps := r.steps.n, r.steps.total
	r.steps.mu.Unlock()
	now := time.Now()
	t := &Tracker{run: r, ev: Event{Job: r.Job.ID, Root: r.root, Kind: r.Job.Kind, Step: step, Steps: steps,
		Phase: name, Unit: unit, Total: total, Started: now, At: now, State: PhaseRunning}}
	r.progressMu.Lock()
	r.current = t
	r.progressMu.Unlock()
	r.emit(t.ev)
	return t
}

// Note says what the run's current phase is doing now ("pairing domains
// with e-mails"), for a phase that is one long transaction with nothing to
// count. It does nothing when no phase is running.
func (r *Run) Note(detail string) {
	r.progressMu.Lock()
	t := r.current
	r.progressMu.Unlock()
	if t != nil {
		t.Detail(detail)
	}
}

// PlanSteps says how many steps the run will take, for "step k of n". A
// run inside another leaves the count to the outer one, which planned for
// it.
func (r *Run) PlanSteps(n int) {
	if r.parent != nil {
		return
	}
	r.steps.mu.Lock()
	r.steps.total = max(n, r.steps.n)
	r.steps.mu.Unlock()
}

// Update reports the work done so far and the rows handled so far.
func (t *Tracker) Update(done, rows int64) {
	t.mu.Lock()
	if t.done {
		t.mu.Unlock()
		return
	}
	t.ev.Done, t.ev.Rows, t.ev.At = done, rows, time.Now()
	ev := t.ev
	t.mu.Unlock()
	t.run.emit(ev)
}

// Detail says what a phase without a count is doing now.
func (t *Tracker) Detail(s string) {
	t.mu.Lock()
	if t.done {
		t.mu.Unlock()
		return
	}
	t.ev.Detail, t.ev.At = s, time.Now()
	ev := t.ev
	t.mu.Unlock()
	t.run.emit(ev)
}

// End finishes the phase: done if err is nil, failed otherwise. The counts
// stay where they were, so an interrupted phase never reads as complete.
// Only the first End counts.
func (t *Tracker) End(err error) {
	t.mu.Lock()
	if t.done {
		t.mu.Unlock()
		return
	}
	t.done = true
	t.ev.At, t.ev.State, t.ev.Detail = time.Now(), PhaseDone, ""
	if err != nil {
		t.ev.State = PhaseFailed
	}
	ev := t.ev
	t.mu.Unlock()
	t.run.emit(ev)
}

func (r *Run) emit(ev Event) {
	r.progressMu.Lock()
	r.lastEvent = ev
	r.progressMu.Unlock()
	r.e.events.publish(ev)
}
