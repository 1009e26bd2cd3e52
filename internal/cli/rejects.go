package cli

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/ferrymigrate/ferry"
	"github.com/ferrymigrate/ferry/internal/engine"
	"github.com/ferrymigrate/ferry/internal/registrar"
	"github.com/ferrymigrate/ferry/internal/store"
)

// rejectReport is the --rejects file: every rejected row, as it is read.
// A nil report (no --rejects) takes nothing and closes cleanly.
type rejectReport struct {
	path string
	mu   sync.Mutex // PostgreSQL's COPY reads rows on a goroutine of its own
	f    *os.File
	w    *bufio.Writer
	err  error
}

// openRejects opens the --rejects file before anything is read. It refuses
// a path that names one of the inputs or the database (it would truncate
// it), and finds out at once whether the file can be written at all, so
// that a report that cannot be written never fails a run after it has
// committed.
func (a *app) openRejects(path string, inputs registrar.Files) (*rejectReport, error) {
	named := map[string]string{}
	for k, in := range inputs {
		named[registrar.Describe(k)+" file"] = in
	}
	return a.openRejectsFor(path, named)
}

// openRejectsFor is openRejects for inputs named by what they are.
func (a *app) openRejectsFor(path string, inputs map[string]string) (*rejectReport, error) {
	if path == "" {
		return nil, nil
	}
	for what, in := range inputs {
		if in != "-" && engine.SameFile(path, in) {
			return nil, usagef("--rejects %s is the %s; it would be overwritten", path, what)
		}
	}
	if db := sqlitePath(a.dbURL); db != "" {
		for _, p := range []string{db, db + "-wal", db + "-shm", store.LockFile(db)} {
			if engine.SameFile(path, p) {
				return nil, usagef("--rejects %s is the database; it would be overwritten", path)
			}
		}
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return nil, usagef("--rejects %s is a directory", path)
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, ferry.Errorf(ferry.EINPUT, "cannot write the rejects report --rejects %s: %v", path, unwrapPath(err))
	}
	r := &rejectReport{path: path, f: f, w: bufio.NewWriter(f)}
	fmt.Fprintln(r.w, "file\tline\treason\traw")
	if err := r.w.Flush(); err != nil {
		f.Close()
		return nil, ferry.Errorf(ferry.EINPUT, "cannot write the rejects report --rejects %s: %v", path, unwrapPath(err))
	}
	return r, nil
}

// add writes one rejected row. Its first failure is kept for close.
func (r *rejectReport) add(rj engine.Reject) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return
	}
	_, r.err = fmt.Fprintf(r.w, "%s\t%d\t%s\t%s\n", rj.File, rj.Line, rj.Reason, strings.ReplaceAll(rj.Raw, "\t", " "))
}

// close finishes the report and returns the run's own error, or else the
// report's. A report that failed after the run committed says so, and how
// to write it again from the job record.
func (r *rejectReport) close(runErr error, jobID int64) error {
	if r == nil {
		return runErr
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	err := r.err
	if ferr := r.w.Flush(); err == nil {
		err = ferr
	}
	if cerr := r.f.Close(); err == nil {
		err = cerr
	}
	if runErr != nil || err == nil {
		return runErr
	}
	if jobID > 0 {
		return fmt.Errorf("job %d finished, but writing --rejects %s failed: %w; 'ferry jobs show %d --rejects FILE' writes every rejected row again",
			jobID, r.path, unwrapPath(err), jobID)
	}
	return fmt.Errorf("writing --rejects %s: %w", r.path, unwrapPath(err))
}

func unwrapPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// sqlitePath is the file a --db value names, or "" for PostgreSQL.
func sqlitePath(dbURL string) string {
	if dbURL == "" {
		dbURL = store.DefaultURL
	}
	if strings.HasPrefix(dbURL, "postgres://") || strings.HasPrefix(dbURL, "postgresql://") {
		return ""
	}
	return strings.TrimPrefix(strings.TrimPrefix(dbURL, "sqlite://"), "file://")
}

func printRejects(w io.Writer, jobID, total int64, samples []engine.Reject) {
	if total == 0 {
		return
	}
	fmt.Fprintf(w, "rejected rows in all files: %s\n", num(total))
	for _, r := range samples {
		fmt.Fprintf(w, "  %s:%d: %s\n", r.File, r.Line, r.Reason)
	}
	if int64(len(samples)) < total {
		fmt.Fprintf(w, "  ... and %s more: --rejects FILE, or 'ferry jobs show %d'\n", num(total-int64(len(samples))), jobID)
	}
}
