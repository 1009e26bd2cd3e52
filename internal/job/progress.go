package job

// Progress receives the progress of long phases. The CLI renders it as a bar
// on a terminal and discards it otherwise; library callers may pass Nop.
type Progress interface {
	// Phase starts a named phase. total is the amount of work in the unit
	// Update reports (bytes for file reads), or 0 when unknown.
	Phase(name string, total int64) Tracker
}

// Tracker follows one phase.
type Tracker interface {
	// Update reports the work done so far and the rows handled so far.
	Update(done, rows int64)
	// Done ends the phase.
	Done()
}

// Nop discards progress.
var Nop Progress = nopProgress{}

type nopProgress struct{}
type nopTracker struct{}

func (nopProgress) Phase(string, int64) Tracker { return nopTracker{} }
func (nopTracker) Update(int64, int64)          {}
func (nopTracker) Done()                        {}
