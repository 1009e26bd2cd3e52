package registrar

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ferrymigrate/ferry/internal/engine"
	"github.com/ferrymigrate/ferry/internal/store"
)

// resumeChunk is the chunk size the resume tests load with, so that a small
// input spans many chunks (each one a transaction and a checkpoint).
const resumeChunk = 7

// generatedFiles writes a larger escrow set: 40 domains with three contacts
// each (some sharing an e-mail), several statuses per domain, and a bad row
// every tenth line of each core file.
func generatedFiles(t *testing.T) Files {
	t.Helper()
	var dc, contacts, statuses strings.Builder
	line := 0
	bad := func(b *strings.Builder, row string) {
		line++
		if line%10 == 0 {
			b.WriteString("this line is malformed\n")
		}
		b.WriteString(row)
	}
	roles := []string{"admin", "billing", "tech"}
	for d := 0; d < 40; d++ {
		for c := 0; c < 3; c++ {
			id := fmt.Sprintf("G%02d-%d", d, c)
			bad(&dc, fmt.Sprintf("Gen%02d.GOV|%s|%s\n", d, id, roles[c]))
			// Contacts 1 and 2 of every third domain share an address.
			email := fmt.Sprintf("person%02d.%d@example.test", d, c)
			if d%3 == 0 && c == 2 {
				email = fmt.Sprintf("person%02d.1@example.test", d)
			}
			bad(&contacts, contactLine(id, email))
		}
		bad(&statuses, fmt.Sprintf("gen%02d.gov|ok|\n", d))
		if d%4 == 0 {
			bad(&statuses, fmt.Sprintf("gen%02d.gov|serverHold|\n", d))
		}
	}
	return writeFiles(t, map[string]string{KeyDomainContacts: dc.String(), KeyContacts: contacts.String(), KeyStatuses: statuses.String()})
}

// cancelAfter cancels the run once the named phase has committed the
// given number of chunks (the tracker is updated after each commit).
func cancelAfter(phase string, after int, cancel context.CancelFunc) func(engine.Event) {
	commits := 0
	return func(ev engine.Event) {
		if ev.Phase != phase || ev.State != engine.PhaseRunning || ev.Rows == 0 {
			return // another phase, or the initial report before any chunk
		}
		if commits++; commits == after {
			cancel()
		}
	}
}

// TestLoadResume interrupts a load in several places, reruns it, and checks
// that the rerun resumes the interrupted job and ends exactly where an
// uninterrupted load ends: same staging rows, same counts, same stored
// rejects, nothing read twice.
func TestLoadResume(t *testing.T) {
	saved := chunkRows
	chunkRows = resumeChunk
	t.Cleanup(func() { chunkRows = saved })

	files := generatedFiles(t)
	cases := []struct {
		name  string
		limit int64
		// interrupt arranges for the first run to be cancelled.
		interrupt func(s *Service, opts *LoadOptions, cancel context.CancelFunc)
	}{
		{"after 3 chunks of the domain contacts file", 0, func(s *Service, _ *LoadOptions, cancel context.CancelFunc) {
			setProgress(s, cancelAfter("read "+describeKey(KeyDomainContacts), 3, cancel))
		}},
		{"inside a chunk of the contacts file", 0, func(_ *Service, opts *LoadOptions, cancel context.CancelFunc) {
			// The domain contacts file has 12 bad rows; the 5th bad row of
			// the contacts file is in the middle of its reading.
			var n atomic.Int32
			opts.OnReject = func(r engine.Reject) {
				if r.File == KeyContacts+".txt" && n.Add(1) == 5 {
					cancel()
				}
			}
		}},
		{"after 2 chunks of a limited load", 50, func(s *Service, _ *LoadOptions, cancel context.CancelFunc) {
			setProgress(s, cancelAfter("read "+describeKey(KeyDomainContacts), 2, cancel))
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			engines(t, func(t *testing.T, db *store.DB) {
				opts := loadOpts(files)
				opts.Limit = c.limit

				// The reference: the same load, uninterrupted, elsewhere.
				refDB := newDB(t, db)
				want := mustLoad(t, newService(t, refDB), opts)
				if want.Resumed {
					t.Fatal("an uninterrupted load says it resumed")
				}

				s := newService(t, db)
				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				first := opts
				c.interrupt(s, &first, cancel)
				res, err := s.LoadTransitionDomains(ctx, first)
				if !errors.Is(err, context.Canceled) {
					t.Fatalf("interrupted load: got %v, want context.Canceled", err)
				}
				eq(t, "first job", queryStrings(t, db, `SELECT status FROM ferry_job WHERE id = ?`, res.JobID), []string{"interrupted"})
				eq(t, "staging rows after the interruption", countRows(t, db, "transition_domain"), int64(0))
				if countRows(t, db, "load_domain_contact") == 0 {
					t.Fatal("nothing was committed before the interruption; the test proves nothing")
				}

				setProgress(s, nil)
				got := mustLoad(t, s, opts)
				eq(t, "resumed", got.Resumed, true)
				eq(t, "job", got.JobID, res.JobID)
				eq(t, "rows", got.Rows, want.Rows)
				eq(t, "skipped breakdown", []int64{got.Duplicates, got.Unchanged, got.Processed}, []int64{want.Duplicates, want.Unchanged, want.Processed})
				eq(t, "total rejected", got.TotalRejected, want.TotalRejected)
				for i := range want.Files {
					w, g := want.Files[i], got.Files[i]
					eq(t, w.Key+" lines, records, rejected", []int64{g.Lines, g.Records, g.Rejected}, []int64{w.Lines, w.Records, w.Rejected})
				}
				eq(t, "staging", stagingRows(t, db), stagingRows(t, refDB))
				eq(t, "stored rejects", queryStrings(t, db, `SELECT file, CAST(line AS text), reason FROM ferry_reject WHERE job_id = ? ORDER BY file, line`, got.JobID),
					queryStrings(t, refDB, `SELECT file, CAST(line AS text), reason FROM ferry_reject WHERE job_id = ? ORDER BY file, line`, want.JobID))
				eq(t, "report", got.Report, want.Report)
				for _, tb := range scratchNames {
					eq(t, "scratch "+tb, countRows(t, db, tb), int64(0))
				}
			})
		})
	}
}

// TestLoadResumeGenerated pins the generated input's own numbers, so that a
// change to the generator cannot make the resume comparison vacuous.
func TestLoadResumeGenerated(t *testing.T) {
	t.Parallel()
	files := generatedFiles(t)
	engines(t, func(t *testing.T, db *store.DB) {
		res := mustLoad(t, newService(t, db), loadOpts(files))
		// 120 contact rows and 12 bad ones; 14 domains have two contacts
		// on one address, so 106 distinct pairs.
		eq(t, "rows", res.Rows, Counts{Read: 132, Created: 106, Skipped: 14, Rejected: 12})
		eq(t, "on hold", queryInt(t, db, `SELECT count(DISTINCT domain_name) FROM transition_domain WHERE status = 'on hold'`), int64(10))
	})
}

// TestTransferResume interrupts a transfer after its second batch and checks
// that rerunning it resumes the same job, from its checkpoint, and ends with
// the same domains, invitations and DomainInformation as an uninterrupted
// transfer, the counts of the two runs adding up to the uninterrupted ones.
func TestTransferResume(t *testing.T) {
	t.Parallel()
	files := generatedFiles(t)
	engines(t, func(t *testing.T, db *store.DB) {
		refDB, want := referenceTransfer(t, db, files, TransferOptions{BatchSize: 6})

		s := newService(t, db)
		mustLoad(t, s, loadOpts(files))
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		setProgress(s, cancelAfter("transfer domains", 2, cancel))
		first, err := s.Transfer(ctx, TransferOptions{BatchSize: 6})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("interrupted transfer: got %v, want context.Canceled", err)
		}
		eq(t, "first job", queryStrings(t, db, `SELECT status FROM ferry_job WHERE id = ?`, first.JobID), []string{"interrupted"})
		eq(t, "domains after two batches", countRows(t, db, "domain"), int64(12))

		setProgress(s, nil)
		got := mustTransfer(t, s, TransferOptions{BatchSize: 6})
		eq(t, "resumed", got.Resumed, true)
		eq(t, "job", got.JobID, first.JobID)
		// The resumed result carries the checkpointed counts forward.
		eq(t, "domains", got.Domains, want.Domains)
		eq(t, "invitations", got.Invitations, want.Invitations)
		eq(t, "domain information", got.DomainInformation, want.DomainInformation)
		eq(t, "staging processed", got.StagingProcessed, want.StagingProcessed)
		eq(t, "domain states", domainStates(t, db), domainStates(t, refDB))
		eq(t, "invitations", invitationList(t, db), invitationList(t, refDB))
		eq(t, "domain information", domainInformation(t, db), domainInformation(t, refDB))
		eq(t, "analysis", analyze(t, db), analyze(t, refDB))
	})
}

// The staging build can take minutes in one transaction; other processes
// must see the job in its "apply" phase meanwhile, not in its last read.
func TestApplyPhaseVisibleDuringApply(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, db *store.DB) {
		s := newService(t, db)
		seen := ""
		// When the apply phase starts, read the job's stored phase from
		// outside any transaction: what `ferry jobs list` would show then.
		setProgress(s, func(ev engine.Event) {
			// Only the phase's first event comes before its transaction:
			// later ones (what it is doing) come from inside it, where on
			// SQLite the one connection is the transaction's.
			if ev.Phase != "apply" || ev.State != engine.PhaseRunning || seen != "" {
				return
			}
			jobs, err := engine.List(t.Context(), db, engine.Filter{Limit: 1})
			if err != nil {
				t.Error(err)
				return
			}
			seen = jobs[0].Phase
		})
		mustLoad(t, s, loadOpts(ownFiles(t)))
		eq(t, "phase seen when apply starts", seen, "apply")
	})
}

// A finished job empties the scratch tables whole only when no other job
// could still need them: an interrupted load's rows survive another load
// in between, and the interrupted load then resumes to the same end.
func TestScratchOfInterruptedLoadSurvives(t *testing.T) {
	saved := chunkRows
	chunkRows = resumeChunk
	t.Cleanup(func() { chunkRows = saved })
	files := generatedFiles(t)
	other := ownFiles(t)
	engines(t, func(t *testing.T, db *store.DB) {
		refDB := newDB(t, db)
		ref := newService(t, refDB)
		mustLoad(t, ref, loadOpts(other))
		want := mustLoad(t, ref, loadOpts(files))

		s := newService(t, db)
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		setProgress(s, cancelAfter("read "+describeKey(KeyDomainContacts), 2, cancel))
		first, err := s.LoadTransitionDomains(ctx, loadOpts(files))
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("interrupted load: got %v, want context.Canceled", err)
		}
		kept := queryInt(t, db, `SELECT count(*) FROM load_domain_contact WHERE job_id = ?`, first.JobID)
		if kept == 0 {
			t.Fatal("nothing was committed before the interruption; the test proves nothing")
		}
		setProgress(s, nil)
		mustLoad(t, s, loadOpts(other))
		eq(t, "interrupted job's scratch rows", queryInt(t, db, `SELECT count(*) FROM load_domain_contact WHERE job_id = ?`, first.JobID), kept)

		got := mustLoad(t, s, loadOpts(files))
		eq(t, "resumed", got.Resumed, true)
		eq(t, "rows", got.Rows, want.Rows)
		eq(t, "staging", stagingRows(t, db), stagingRows(t, refDB))
		// With no job left to resume, the last load emptied the tables whole.
		for _, tb := range scratchNames {
			eq(t, "scratch "+tb, countRows(t, db, tb), int64(0))
		}
	})
}

// A resumed load whose checkpointed scratch rows have gone reads its files
// again instead of building staging rows from part of the input.
func TestResumeWithLostScratch(t *testing.T) {
	saved := chunkRows
	chunkRows = resumeChunk
	t.Cleanup(func() { chunkRows = saved })
	files := generatedFiles(t)
	engines(t, func(t *testing.T, db *store.DB) {
		refDB := newDB(t, db)
		want := mustLoad(t, newService(t, refDB), loadOpts(files))

		s := newService(t, db)
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		setProgress(s, cancelAfter("read "+describeKey(KeyContacts), 1, cancel))
		first, err := s.LoadTransitionDomains(ctx, loadOpts(files))
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("interrupted load: got %v, want context.Canceled", err)
		}
		if _, err := db.Exec(t.Context(), `DELETE FROM load_domain_contact`); err != nil {
			t.Fatal(err)
		}
		setProgress(s, nil)
		got := mustLoad(t, s, loadOpts(files))
		eq(t, "resumed", got.Resumed, true)
		eq(t, "job", got.JobID, first.JobID)
		eq(t, "rows", got.Rows, want.Rows)
		eq(t, "total rejected", got.TotalRejected, want.TotalRejected)
		eq(t, "staging", stagingRows(t, db), stagingRows(t, refDB))
		eq(t, "stored rejects", queryStrings(t, db, `SELECT file, CAST(line AS text), reason FROM ferry_reject WHERE job_id = ? ORDER BY file, line`, got.JobID),
			queryStrings(t, refDB, `SELECT file, CAST(line AS text), reason FROM ferry_reject WHERE job_id = ? ORDER BY file, line`, want.JobID))
	})
}

// A migrate stopped in its transfer, by Ctrl-C or by its process dying,
// finishes when rerun and ends where an uninterrupted migrate ends. (On
// PostgreSQL the rerun used to hang in its new load and leave no domains.)
func TestMigrateInterruptedInTransferFinishes(t *testing.T) {
	saved := migrateBatch
	migrateBatch = 6
	t.Cleanup(func() { migrateBatch = saved })
	files := generatedFiles(t)
	for _, how := range []string{"cancelled", "process died"} {
		t.Run(how, func(t *testing.T) {
			engines(t, func(t *testing.T, db *store.DB) {
				refDB := newDB(t, db)
				want, err := newService(t, refDB).Migrate(t.Context(), loadOpts(files))
				if err != nil {
					t.Fatal(err)
				}
				s := newService(t, db)
				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				setProgress(s, cancelAfter("transfer domains", 2, cancel))
				first, err := s.Migrate(ctx, loadOpts(files))
				if !errors.Is(err, context.Canceled) {
					t.Fatalf("interrupted migrate: got %v, want context.Canceled", err)
				}
				if n := countRows(t, db, "domain"); n == 0 || n >= int64(want.Transfer.Domains.Created) {
					t.Fatalf("%d domains after the interruption; the test proves nothing", n)
				}
				if how == "process died" {
					// A killed process records nothing: its jobs stay "running",
					// and only its locks go, with it.
					if _, err := db.Exec(t.Context(), `UPDATE ferry_job SET status = 'running', finished_at = NULL WHERE status = 'interrupted'`); err != nil {
						t.Fatal(err)
					}
					s.Engine.Close()
					s = newService(t, db)
				}
				setProgress(s, nil)
				done := make(chan struct{})
				var got MigrateResult
				go func() {
					defer close(done)
					got, err = s.Migrate(t.Context(), loadOpts(files))
				}()
				select {
				case <-done:
				case <-time.After(2 * time.Minute):
					t.Fatal("the rerun of an interrupted migrate did not finish in 2 minutes")
				}
				if err != nil {
					t.Fatalf("rerun: %v", err)
				}
				if got.JobID == first.JobID {
					t.Errorf("the rerun reused the migrate job %d", got.JobID)
				}
				eq(t, "transfer resumed", got.Transfer.Resumed, true)
				eq(t, "domains", got.Transfer.Domains, want.Transfer.Domains)
				eq(t, "domain states", domainStates(t, db), domainStates(t, refDB))
				eq(t, "invitations", invitationList(t, db), invitationList(t, refDB))
				eq(t, "domain information", domainInformation(t, db), domainInformation(t, refDB))
				eq(t, "analysis", got.Analysis, want.Analysis)
			})
		})
	}
}

// An interrupted load whose files then changed can never be resumed: the
// next load of changed files abandons it, and its scratch rows go instead
// of staying forever (907,961 of them in one trial).
func TestChangedInputsClearAbandonedScratch(t *testing.T) {
	saved := chunkRows
	chunkRows = resumeChunk
	t.Cleanup(func() { chunkRows = saved })
	engines(t, func(t *testing.T, db *store.DB) {
		files := generatedFiles(t)
		s := newService(t, db)
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		setProgress(s, cancelAfter("read "+describeKey(KeyDomainContacts), 2, cancel))
		first, err := s.LoadTransitionDomains(ctx, loadOpts(files))
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("interrupted load: got %v, want context.Canceled", err)
		}
		if queryInt(t, db, `SELECT count(*) FROM load_domain_contact WHERE job_id = ?`, first.JobID) == 0 {
			t.Fatal("nothing was committed before the interruption; the test proves nothing")
		}
		setProgress(s, nil)
		// The operator fixes the file in place and reruns.
		f, err := os.OpenFile(files[KeyDomainContacts], os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintln(f, "fixed.gov|C1|admin")
		f.Close()
		got := mustLoad(t, s, loadOpts(files))
		eq(t, "resumed", got.Resumed, false)
		eq(t, "old job", queryStrings(t, db, `SELECT status FROM ferry_job WHERE id = ?`, first.JobID), []string{"abandoned"})
		for _, tb := range scratchNames {
			eq(t, "scratch "+tb, countRows(t, db, tb), int64(0))
		}
	})
}
