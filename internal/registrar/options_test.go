package registrar

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/ferrymigrate/ferry/internal/engine"
	"github.com/ferrymigrate/ferry/internal/store"
)

// Tests of decisions 12 (limit, reset, file sources, core load without
// enrichment) and 13 (rejects and --max-rejects).

func stagedDomains(t *testing.T, q store.Querier) []string {
	t.Helper()
	var out []string
	for _, r := range stagingRows(t, q) {
		if len(out) == 0 || out[len(out)-1] != r.Domain {
			out = append(out, r.Domain)
		}
	}
	return out
}

// TestDecision12LoadLimit: --limit reads only the first N rows of the domain
// contacts file, rejected and blank rows included.
func TestDecision12LoadLimit(t *testing.T) {
	t.Parallel()
	files := ownFiles(t)
	all := []string{"birchfield.gov", "harborview.gov", "lanternfish.gov", "mapleridge.gov", "quietbay.gov", "stillwater.gov"}
	cases := []struct {
		limit   int64
		want    Counts
		domains []string
	}{
		{1, Counts{Read: 1, Created: 1}, []string{"harborview.gov"}},
		{3, Counts{Read: 3, Created: 1, Skipped: 2}, []string{"harborview.gov"}},
		// Line 4 is blank: it is read, and rejected, and nothing after it.
		{4, Counts{Read: 4, Created: 1, Skipped: 2, Rejected: 1}, []string{"harborview.gov"}},
		{5, Counts{Read: 5, Created: 2, Skipped: 2, Rejected: 1}, []string{"harborview.gov", "quietbay.gov"}},
		{13, Counts{Read: 13, Created: 10, Skipped: 2, Rejected: 1}, all},
		{14, Counts{Read: 14, Created: 10, Skipped: 2, Rejected: 2}, all},
		{100, Counts{Read: 16, Created: 10, Skipped: 2, Rejected: 4}, all},
	}
	dc, err := os.ReadFile(files[KeyDomainContacts])
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		for _, stdin := range []bool{false, true} {
			name := fmt.Sprint("limit ", c.limit)
			if stdin {
				name += " from stdin"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				engines(t, func(t *testing.T, db *store.DB) {
					s := newService(t, db)
					opts := loadOpts(files)
					if stdin {
						opts.Files = Files{KeyDomainContacts: "-", KeyContacts: files[KeyContacts], KeyStatuses: files[KeyStatuses]}
						opts.Stdin = bytes.NewReader(dc)
					}
					opts.Limit = c.limit
					res := mustLoad(t, s, opts)
					eq(t, "rows", res.Rows, c.want)
					got := stagedDomains(t, db)
					sort.Strings(c.domains)
					eq(t, "domains", got, c.domains)
				})
			})
		}
	}
}

// TestDecision12TransferLimit: --limit in the transfer takes only N domains
// (with all their rows), in name order; the next transfer does the rest.
func TestDecision12TransferLimit(t *testing.T) {
	t.Parallel()
	files := ownFiles(t)
	order := []string{"birchfield.gov", "harborview.gov", "lanternfish.gov", "mapleridge.gov", "quietbay.gov", "stillwater.gov"}
	rowsPer := map[string]int64{"birchfield.gov": 1, "harborview.gov": 1, "lanternfish.gov": 3, "mapleridge.gov": 2, "quietbay.gov": 2, "stillwater.gov": 1}
	cases := []struct {
		limit int64
		batch int
	}{{1, 0}, {2, 0}, {2, 1}, {5, 2}, {6, 0}, {100, 4}}
	for _, c := range cases {
		t.Run(fmt.Sprintf("limit %d batch %d", c.limit, c.batch), func(t *testing.T) {
			t.Parallel()
			engines(t, func(t *testing.T, db *store.DB) {
				s := newService(t, db)
				mustLoad(t, s, loadOpts(files))
				first := mustTransfer(t, s, TransferOptions{Limit: c.limit, BatchSize: c.batch})
				n := min(int(c.limit), len(order))
				var wantRows int64
				for _, d := range order[:n] {
					wantRows += rowsPer[d]
				}
				eq(t, "first transfer domains", first.Domains, DomainCounts{Created: int64(n)})
				eq(t, "first transfer rows", first.StagingProcessed, wantRows)
				got := queryStrings(t, db, `SELECT name FROM domain ORDER BY name`)
				eq(t, "domains after first transfer", got, order[:n])
				eq(t, "unprocessed rows", queryInt(t, db, `SELECT count(*) FROM transition_domain WHERE NOT processed`), 10-wantRows)

				rest := mustTransfer(t, s, TransferOptions{BatchSize: c.batch})
				eq(t, "second transfer domains", rest.Domains, DomainCounts{Created: int64(len(order) - n)})
				eq(t, "second transfer rows", rest.StagingProcessed, 10-wantRows)
				eq(t, "analysis", analyze(t, db), Analysis{TransitionDomains: 10, Domains: 6, DomainInformation: 6, DomainInvitations: 7, MissingInvitations: 2})
			})
		})
	}
}

// TestDecision12Reset: --reset deletes every staging row before loading.
func TestDecision12Reset(t *testing.T) {
	t.Parallel()
	files := ownFiles(t)
	engines(t, func(t *testing.T, db *store.DB) {
		s := newService(t, db)
		mustLoad(t, s, loadOpts(files))
		if _, err := db.Exec(t.Context(), `INSERT INTO transition_domain (username, domain_name, status, processed) VALUES ('old@example.test', 'stale.gov', 'ready', true)`); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(t.Context(), `UPDATE transition_domain SET email_sent = true`); err != nil {
			t.Fatal(err)
		}
		opts := loadOpts(files)
		opts.Reset = true
		res := mustLoad(t, s, opts)
		eq(t, "reset", res.Reset, int64(11))
		eq(t, "rows", res.Rows, Counts{Read: 16, Created: 10, Skipped: 2, Rejected: 4})
		// A fresh table: the stale row is gone and the flags are new.
		eq(t, "staging", stagingRows(t, db), ownStaging)

		// Without --reset nothing is deleted.
		again := mustLoad(t, s, loadOpts(files))
		eq(t, "no reset", again.Reset, int64(0))
		eq(t, "rows kept", countRows(t, db, "transition_domain"), int64(10))
	})
}

// TestDecision12CoreWithoutEnrichment: the three core files load on their
// own; a later load with the enrichment files fills the rows in, and a
// later core-only load keeps what the enrichment found.
func TestDecision12CoreWithoutEnrichment(t *testing.T) {
	t.Parallel()
	full := ownFiles(t)
	coreOnly := core(full)
	noEnrichment := map[string]string{}
	for d := range ownEnrichment {
		noEnrichment[d] = strings.TrimSuffix(strings.Repeat(null+" | ", 11), " | ")
	}
	engines(t, func(t *testing.T, db *store.DB) {
		s := newService(t, db)
		res := mustLoad(t, s, loadOpts(coreOnly))
		eq(t, "enriched", res.Enriched, false)
		eq(t, "rows", res.Rows, Counts{Read: 16, Created: 10, Skipped: 2, Rejected: 4})
		eq(t, "files read", len(res.Files), 3)
		eq(t, "staging", stagingRows(t, db), ownStaging)
		eq(t, "enrichment", stagingEnrichment(t, db), noEnrichment)
		eq(t, "agencies", countRows(t, db, "federal_agency"), int64(0))

		res = mustLoad(t, s, loadOpts(full))
		eq(t, "enriched", res.Enriched, true)
		// stillwater.gov has nothing to enrich it; the 9 other rows change.
		eq(t, "rows with enrichment", res.Rows, Counts{Read: 16, Updated: 9, Skipped: 3, Rejected: 4})
		eq(t, "enrichment", stagingEnrichment(t, db), ownEnrichment)

		res = mustLoad(t, s, loadOpts(coreOnly))
		eq(t, "core again", res.Rows, Counts{Read: 16, Skipped: 12, Rejected: 4})
		eq(t, "enrichment kept", stagingEnrichment(t, db), ownEnrichment)
	})
}

// TestDecision12FileSource: the command line overrides the manifest, its
// directory key included; a manifest's relative directory is taken from
// the manifest's own folder.
func TestDecision12FileSource(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	write := func(rel, body string) string {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	manifest := `{"directory": "sub", "domain_contacts_filename": "dc.txt", "contacts_filename": "c.txt", "domain_statuses_filename": "s.txt"}`
	write("a/manifest.json", manifest)
	write("c/"+DefaultManifest, `{"domain_contacts_filename": "dc.txt", "contacts_filename": "c.txt", "domain_statuses_filename": "s.txt", "agency_adhoc_filename": "ag.txt"}`)
	for _, d := range []string{"a/sub", "b"} {
		write(d+"/dc.txt", strings.ReplaceAll(d, "/", "")+".gov|X1|admin\n")
		write(d+"/c.txt", contactLine("X1", "source.reader@example.test"))
		write(d+"/s.txt", "")
	}
	write("b/other.txt", "other.gov|X1|admin\n")
	// A manifest without a directory key, naming files in a folder of its own.
	write("d/manifest.json", `{"domain_contacts_filename": "data/dc.txt", "contacts_filename": "c.txt", "domain_statuses_filename": "data/s.txt"}`)
	at := func(rel string) string { return filepath.Join(root, rel) }

	cases := []struct {
		name string
		src  FileSource
		want Files
	}{
		{"manifest directory is relative to the manifest",
			FileSource{Manifest: at("a/manifest.json")},
			Files{KeyDomainContacts: at("a/sub/dc.txt"), KeyContacts: at("a/sub/c.txt"), KeyStatuses: at("a/sub/s.txt")}},
		{"--directory overrides the manifest's directory",
			FileSource{Directory: at("b"), Manifest: at("a/manifest.json")},
			Files{KeyDomainContacts: at("b/dc.txt"), KeyContacts: at("b/c.txt"), KeyStatuses: at("b/s.txt")}},
		{"a bare manifest name is looked up in --directory",
			FileSource{Directory: at("a"), Manifest: "manifest.json"},
			Files{KeyDomainContacts: at("a/dc.txt"), KeyContacts: at("a/c.txt"), KeyStatuses: at("a/s.txt")}},
		{"a file flag overrides the manifest's name",
			FileSource{Directory: at("b"), Manifest: at("a/manifest.json"), Override: map[string]string{KeyDomainContacts: "other.txt"}},
			Files{KeyDomainContacts: at("b/other.txt"), KeyContacts: at("b/c.txt"), KeyStatuses: at("b/s.txt")}},
		{"a file flag with a path is used as given",
			FileSource{Directory: at("b"), Manifest: at("a/manifest.json"), Override: map[string]string{KeyContacts: at("a/sub/c.txt")}},
			Files{KeyDomainContacts: at("b/dc.txt"), KeyContacts: at("a/sub/c.txt"), KeyStatuses: at("b/s.txt")}},
		{"an empty flag does not clear the manifest's name",
			FileSource{Manifest: at("a/manifest.json"), Override: map[string]string{KeyStatuses: ""}},
			Files{KeyDomainContacts: at("a/sub/dc.txt"), KeyContacts: at("a/sub/c.txt"), KeyStatuses: at("a/sub/s.txt")}},
		{"the default manifest is found in --directory",
			FileSource{Directory: at("c")},
			Files{KeyDomainContacts: at("c/dc.txt"), KeyContacts: at("c/c.txt"), KeyStatuses: at("c/s.txt"), KeyAgency: at("c/ag.txt")}},
		{"a manifest's names with a folder are relative to its directory, not the working one",
			FileSource{Manifest: at("d/manifest.json")},
			Files{KeyDomainContacts: at("d/data/dc.txt"), KeyContacts: at("d/c.txt"), KeyStatuses: at("d/data/s.txt")}},
		{"no manifest: flags only",
			FileSource{Directory: at("b"), Override: map[string]string{KeyDomainContacts: "dc.txt", KeyContacts: "c.txt", KeyStatuses: "s.txt"}},
			Files{KeyDomainContacts: at("b/dc.txt"), KeyContacts: at("b/c.txt"), KeyStatuses: at("b/s.txt")}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := c.src.Resolve()
			if err != nil {
				t.Fatal(err)
			}
			eq(t, "files", got, c.want)
		})
	}

	bad := []struct{ name, body string }{
		{"unknown key", `{"domain_contacts_filename": "dc.txt", "colour": "blue"}`},
		{"not a string", `{"domain_contacts_filename": 3}`},
		{"not JSON", `{"domain_contacts_filename": "dc.txt",}`},
	}
	for _, b := range bad {
		t.Run("rejects a manifest with "+b.name, func(t *testing.T) {
			p := write("bad/"+strings.ReplaceAll(b.name, " ", "_")+".json", b.body)
			if _, err := (FileSource{Manifest: p}).Resolve(); !errors.Is(err, ErrInput) {
				t.Errorf("got %v, want an input error", err)
			}
		})
	}
	t.Run("rejects a missing manifest", func(t *testing.T) {
		if _, err := (FileSource{Manifest: at("nowhere.json")}).Resolve(); !errors.Is(err, ErrInput) {
			t.Errorf("got %v, want an input error", err)
		}
	})

	// The override reaches the load: the flag's directory is what is read.
	engines(t, func(t *testing.T, db *store.DB) {
		files, err := FileSource{Directory: at("b"), Manifest: at("a/manifest.json")}.Resolve()
		if err != nil {
			t.Fatal(err)
		}
		mustLoad(t, newService(t, db), loadOpts(files))
		eq(t, "domains", stagedDomains(t, db), []string{"b.gov"})
	})
}

// TestDecision12RequiredFiles: the core files must be named and exist, and
// every named enrichment file must exist, before anything is read.
func TestDecision12RequiredFiles(t *testing.T) {
	t.Parallel()
	files := ownFiles(t)
	without := func(k string) Files {
		f := Files{}
		for key, v := range files {
			if key != k {
				f[key] = v
			}
		}
		return f
	}
	with := func(k, v string) Files {
		f := without(k)
		f[k] = v
		return f
	}
	cases := []struct {
		name  string
		files Files
		want  string // in the message
	}{
		{"no domain contacts", without(KeyDomainContacts), KeyDomainContacts},
		{"no contacts", without(KeyContacts), KeyContacts},
		{"no statuses", without(KeyStatuses), KeyStatuses},
		{"missing core file", with(KeyContacts, filepath.Join(t.TempDir(), "absent.txt")), "absent.txt"},
		{"missing enrichment file", with(KeyAuthority, filepath.Join(t.TempDir(), "absent.txt")), "absent.txt"},
		{"a directory", with(KeyAgency, t.TempDir()), "directory"},
	}
	engines(t, func(t *testing.T, db *store.DB) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				_, err := newService(t, db).LoadTransitionDomains(t.Context(), loadOpts(c.files))
				if !errors.Is(err, ErrInput) || !strings.Contains(err.Error(), c.want) {
					t.Errorf("got %v, want an input error naming %q", err, c.want)
				}
				eq(t, "staging rows", countRows(t, db, "transition_domain"), int64(0))
			})
		}
	})
}

// TestDecision13Rejects: malformed rows are rejected with file, line and
// reason, counted, and stored; they abort nothing unless --max-rejects is
// passed, and then nothing at all is applied.
func TestDecision13Rejects(t *testing.T) {
	t.Parallel()
	files := ownFiles(t)
	total := int64(len(ownRejects))
	cases := []struct {
		max          int64
		fail         bool
		seenRejected int64 // rejected when the threshold was passed
	}{
		{-1, false, 0},
		{total, false, 0},
		{total - 1, true, total}, // passed at the organisation file, the last with a reject
		{5, true, 7},             // passed after the contacts file (4 + 3)
		{0, true, 4},             // passed after the domain contacts file
	}
	for _, c := range cases {
		t.Run(fmt.Sprint("max ", c.max), func(t *testing.T) {
			t.Parallel()
			engines(t, func(t *testing.T, db *store.DB) {
				s := newService(t, db)
				var log rejectLog
				opts := loadOpts(files)
				opts.MaxRejects, opts.OnReject = c.max, log.add
				res, err := s.LoadTransitionDomains(t.Context(), opts)
				if !c.fail {
					if err != nil {
						t.Fatal(err)
					}
					eq(t, "rows", res.Rows, Counts{Read: 16, Created: 10, Skipped: 2, Rejected: 4})
					eq(t, "total rejected", res.TotalRejected, total)
					checkRejects(t, log.list(), ownRejects)
					checkStoredRejects(t, res.Rejects)
					return
				}
				var tm *TooManyRejectsError
				if !errors.As(err, &tm) {
					t.Fatalf("got %v, want a TooManyRejectsError", err)
				}
				eq(t, "error", *tm, TooManyRejectsError{Rejected: c.seenRejected, Max: c.max})
				eq(t, "rejects seen", int64(len(log.list())), c.seenRejected)
				checkRejects(t, log.list(), ownRejects[:c.seenRejected])
				// Nothing was applied and no scratch row is left behind.
				eq(t, "staging rows", countRows(t, db, "transition_domain"), int64(0))
				eq(t, "agencies", countRows(t, db, "federal_agency"), int64(0))
				for _, tb := range scratchNames {
					eq(t, "scratch "+tb, countRows(t, db, tb), int64(0))
				}
				eq(t, "job status", queryStrings(t, db, `SELECT status FROM ferry_job WHERE id = ?`, res.JobID), []string{"failed"})

				// The failed job blocks nothing: a load without the threshold works.
				res = mustLoad(t, s, loadOpts(files))
				eq(t, "rows after", res.Rows.Created, int64(10))
			})
		})
	}
}

// checkStoredRejects checks the job's stored rejects: grouped by file, in
// line order within a file (the order of files is the database's
// collation), every one with a reason and its raw line kept.
func checkStoredRejects(t *testing.T, got []engine.Reject) {
	t.Helper()
	eq(t, "stored rejects", len(got), len(ownRejects))
	done := map[string]bool{}
	for i, r := range got {
		if r.Reason == "" {
			t.Errorf("stored reject %s:%d has no reason", r.File, r.Line)
		}
		if i > 0 && got[i-1].File == r.File && got[i-1].Line >= r.Line {
			t.Errorf("stored rejects of %s are not in line order", r.File)
		}
		if i > 0 && got[i-1].File != r.File {
			done[got[i-1].File] = true
		}
		if done[r.File] {
			t.Errorf("stored rejects of %s are not together", r.File)
		}
		if r.File == "escrow_domain_contacts.daily.dotgov.GOV.txt" && r.Line == 14 {
			eq(t, "raw line", r.Raw, "this row has no separators")
		}
	}
}
