package registrar

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferrymigrate/ferry/internal/store"
)

// Tests of decisions 8 to 11: what a second load does to the staging rows,
// and that the counts of every step are exact.

// ownCopy copies ferry's own set into a fresh directory, applying edit to
// the named files' contents (keyed by manifest key), and returns the copy.
func ownCopy(t *testing.T, edits map[string]func(string) string) Files {
	t.Helper()
	src := ownFiles(t)
	dir := t.TempDir()
	out := Files{}
	for k, p := range src {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		body := string(b)
		if e := edits[k]; e != nil {
			body = e(body)
		}
		dst := filepath.Join(dir, filepath.Base(p))
		if err := os.WriteFile(dst, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		out[k] = dst
	}
	return out
}

// harborviewOK makes harborview.gov's statuses {ok} only: its row changes
// from on hold to ready.
func harborviewOK(s string) string {
	return strings.Replace(s, "HARBORVIEW.GOV|serverHold|\n", "", 1)
}

// TestDecision8EmailSentKept: a re-load never resets the e-mail-sent flag,
// whether the row is unchanged or updated.
func TestDecision8EmailSentKept(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name        string
		edits       map[string]func(string) string
		wantUpdated int64
		wantStatus  string
	}{
		{"same files", nil, 0, "on hold"},
		{"changed status", map[string]func(string) string{KeyStatuses: harborviewOK}, 1, "ready"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			second := ownCopy(t, c.edits)
			engines(t, func(t *testing.T, db *store.DB) {
				s := newService(t, db)
				mustLoad(t, s, loadOpts(ownFiles(t)))
				n, err := db.Exec(t.Context(), `UPDATE transition_domain SET email_sent = true WHERE username = 'pat.quill@example.test'`)
				if err != nil || n != 1 {
					t.Fatalf("marking the row sent: %d rows, %v", n, err)
				}
				res := mustLoad(t, s, loadOpts(second))
				eq(t, "updated", res.Rows.Updated, c.wantUpdated)
				for _, r := range stagingRows(t, db) {
					if r.Domain == "harborview.gov" {
						eq(t, "status", r.Status, c.wantStatus)
						eq(t, "email_sent", r.EmailSent, true)
					} else if r.EmailSent {
						t.Errorf("%s/%s marked sent", r.Domain, r.Username)
					}
				}
			})
		})
	}
}

// TestDecision9ReloadAfterTransfer: loading the same files after a complete
// transfer is a clean no-op with a report, not an error.
func TestDecision9ReloadAfterTransfer(t *testing.T) {
	t.Parallel()
	files := ownFiles(t)
	changed := ownCopy(t, map[string]func(string) string{KeyStatuses: harborviewOK})
	engines(t, func(t *testing.T, db *store.DB) {
		s := newService(t, db)
		first := mustLoad(t, s, loadOpts(files))
		mustTransfer(t, s, TransferOptions{})
		before := snapshot(t, db)
		res, err := s.LoadTransitionDomains(t.Context(), loadOpts(files))
		if err != nil {
			t.Fatalf("re-load after transfer: %v", err)
		}
		checkLoadSums(t, res)
		// Every row read is skipped (12) or rejected (4); all 10 pairs are
		// already processed.
		eq(t, "rows", res.Rows, Counts{Read: 16, Created: 0, Updated: 0, Skipped: 12, Rejected: 4})
		eq(t, "already processed", res.Processed, int64(10))
		eq(t, "unchanged", res.Unchanged, int64(0))
		eq(t, "report kinds", reportKinds(res.Report), reportKinds(first.Report))
		if res.JobID == first.JobID {
			t.Error("the re-load reused the first load's job")
		}
		after := snapshot(t, db)
		eq(t, "new findings", after.Counts["ferry_finding"]-before.Counts["ferry_finding"], before.Counts["ferry_finding"])
		delete(before.Counts, "ferry_finding")
		delete(after.Counts, "ferry_finding")
		assertSnapshot(t, "re-load after transfer", before, after)

		// Even changed files leave processed rows alone: harborview.gov's
		// new status is not applied to its processed row.
		res, err = s.LoadTransitionDomains(t.Context(), loadOpts(changed))
		if err != nil {
			t.Fatalf("re-load of changed files after transfer: %v", err)
		}
		eq(t, "rows of changed files", res.Rows, Counts{Read: 16, Skipped: 12, Rejected: 4})
		eq(t, "already processed", res.Processed, int64(10))
		eq(t, "staging", stagingRows(t, db), before.Staging)
	})
}

// TestDecision10RolesKept: the contact roles are kept for audit, lowercased
// and merged per staging row; every contact still becomes a manager.
func TestDecision10RolesKept(t *testing.T) {
	t.Parallel()
	extra := ownCopy(t, map[string]func(string) string{
		KeyDomainContacts: func(s string) string {
			return strings.Replace(s, "Harborview.gov|HV3|tech\r\n", "Harborview.gov|HV3|tech\r\nHARBORVIEW.GOV|HV1|Registrant\r\n", 1)
		},
	})
	engines(t, func(t *testing.T, db *store.DB) {
		s := newService(t, db)
		mustLoad(t, s, loadOpts(ownFiles(t)))
		roles := func() map[string]string {
			out := map[string]string{}
			for _, r := range stagingRows(t, db) {
				out[r.Domain+" "+r.Username] = r.Roles
			}
			return out
		}
		eq(t, "harborview roles", roles()["harborview.gov pat.quill@example.test"], "admin,billing,tech")
		res := mustLoad(t, s, loadOpts(extra))
		eq(t, "rows after a new role", res.Rows, Counts{Read: 17, Created: 0, Updated: 1, Skipped: 12, Rejected: 4})
		eq(t, "duplicates", res.Duplicates, int64(3))
		got := roles()
		eq(t, "harborview roles", got["harborview.gov pat.quill@example.test"], "admin,billing,registrant,tech")
		eq(t, "quietbay blank roles", got["quietbay.gov "], "admin")

		mustTransfer(t, s, TransferOptions{})
		// One invitation (and so one manager) per e-mail, whatever the roles.
		eq(t, "harborview invitations", queryStrings(t, db, `SELECT i.email FROM domain_invitation i JOIN domain d ON d.id = i.domain_id
			WHERE d.name = 'harborview.gov'`), []string{"pat.quill@example.test"})
		res2, err := s.Login(t.Context(), "pat", "pat.quill@example.test")
		if err != nil {
			t.Fatal(err)
		}
		eq(t, "pat's domains", res2.Domains, []string{"harborview.gov"})
		eq(t, "role", queryStrings(t, db, `SELECT role FROM user_domain_role`), []string{"manager"})
	})
}

// TestDecision11CountsAddUp walks through a sequence of loads and transfers
// and checks every count: each row of the domain contacts file is created,
// updated, skipped or rejected exactly once, and each domain a transfer
// takes is created, updated, unchanged or skipped exactly once.
func TestDecision11CountsAddUp(t *testing.T) {
	t.Parallel()
	changed := ownCopy(t, map[string]func(string) string{
		KeyStatuses: harborviewOK,
		KeyDomainContacts: func(s string) string {
			return s + "\r\nNewcomer.gov|LF1|admin"
		},
	})
	steps := []struct {
		name  string
		files func(t *testing.T) Files
		// transfer instead of load
		transfer     bool
		want         Counts
		dup, unch, p int64
		xfer         DomainCounts
		invites      InviteCounts
	}{
		{name: "first load", files: ownFiles, want: Counts{Read: 16, Created: 10, Skipped: 2, Rejected: 4}, dup: 2},
		{name: "same files", files: ownFiles, want: Counts{Read: 16, Skipped: 12, Rejected: 4}, dup: 2, unch: 10},
		// harborview's status changes (1 update), newcomer.gov is new (1
		// create); the row after the last CRLF is now terminated, so the
		// formerly last line is still rejected.
		{name: "changed files", files: func(*testing.T) Files { return changed }, want: Counts{Read: 17, Created: 1, Updated: 1, Skipped: 11, Rejected: 4}, dup: 2, unch: 9},
		{name: "transfer", transfer: true, xfer: DomainCounts{Created: 7}, invites: InviteCounts{Created: 8}},
		{name: "transfer again", transfer: true},
		{name: "load after transfer", files: func(*testing.T) Files { return changed }, want: Counts{Read: 17, Skipped: 13, Rejected: 4}, dup: 2, p: 11},
	}
	engines(t, func(t *testing.T, db *store.DB) {
		s := newService(t, db)
		for _, st := range steps {
			if st.transfer {
				tr := mustTransfer(t, s, TransferOptions{})
				eq(t, st.name+": domains", tr.Domains, st.xfer)
				eq(t, st.name+": invitations", tr.Invitations, st.invites)
				d := tr.Domains
				eq(t, st.name+": information", tr.DomainInformation.Created+tr.DomainInformation.Updated+tr.DomainInformation.Unchanged,
					d.Created+d.Updated+d.Unchanged)
				continue
			}
			res := mustLoad(t, s, loadOpts(st.files(t)))
			eq(t, st.name+": rows", res.Rows, st.want)
			eq(t, st.name+": skipped breakdown", []int64{res.Duplicates, res.Unchanged, res.Processed}, []int64{st.dup, st.unch, st.p})
		}
		eq(t, "staging rows", countRows(t, db, "transition_domain"), int64(11))
	})
}
