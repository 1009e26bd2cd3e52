package registrar

import (
	"testing"

	"github.com/ferrymigrate/ferry/internal/store"
)

// outcome is what a transfer reports, without its job identity.
type outcome struct {
	Domains           DomainCounts
	Invitations       InviteCounts
	DomainInformation ObjectCounts
	Contacts          ObjectCounts
	StagingProcessed  int64
	Report            Report
}

func outcomeOf(r TransferResult) outcome {
	return outcome{r.Domains, r.Invitations, r.DomainInformation, r.Contacts, r.StagingProcessed, r.Report}
}

// TestTransferDryRun: a dry run reports exactly what the real transfer then
// does, and changes nothing: no rows, no staging flags, no findings, no
// journal entries.
func TestTransferDryRun(t *testing.T) {
	t.Parallel()
	// existing prepares domains the registrar already has: harborview.gov
	// (ready, with user-entered DomainInformation), quietbay.gov (ready,
	// staged unknown: decision 5) and stillwater.gov (dns needed: skipped).
	existing := func(t *testing.T, db *store.DB) {
		for _, q := range []string{
			`INSERT INTO domain (name, state) VALUES ('harborview.gov', 'ready'), ('quietbay.gov', 'ready'), ('stillwater.gov', 'dns needed')`,
			`INSERT INTO domain_information (domain_id, organization_name) SELECT id, 'Own Org' FROM domain WHERE name = 'harborview.gov'`,
		} {
			if _, err := db.Exec(t.Context(), q); err != nil {
				t.Fatal(err)
			}
		}
	}
	cases := []struct {
		name    string
		setup   func(t *testing.T, db *store.DB)
		batch   int
		limit   int64
		domains DomainCounts
		kinds   []string
	}{
		{name: "fresh", domains: DomainCounts{Created: 6}},
		{name: "fresh, batches of 2", batch: 2, domains: DomainCounts{Created: 6}},
		{name: "fresh, limit 4 in batches of 3", batch: 3, limit: 4, domains: DomainCounts{Created: 4}},
		{name: "existing domains", setup: existing, domains: DomainCounts{Created: 3, Updated: 2, Skipped: 1},
			kinds: []string{"transition_not_allowed", "unknown_status_kept"}},
		{name: "existing domains, batches of 1", setup: existing, batch: 1, domains: DomainCounts{Created: 3, Updated: 2, Skipped: 1},
			kinds: []string{"transition_not_allowed", "unknown_status_kept"}},
	}
	files := ownFiles(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			engines(t, func(t *testing.T, db *store.DB) {
				s := newService(t, db)
				mustLoad(t, s, loadOpts(files))
				if c.setup != nil {
					c.setup(t, db)
				}
				before := snapshot(t, db)
				opts := TransferOptions{BatchSize: c.batch, Limit: c.limit}
				dryOpts := opts
				dryOpts.DryRun = true
				dry := mustTransfer(t, s, dryOpts)
				eq(t, "dry run flag", dry.DryRun, true)
				assertSnapshot(t, "the dry run", before, snapshot(t, db))
				eq(t, "job", queryStrings(t, db, `SELECT status, CASE WHEN dry_run THEN 'dry' ELSE 'real' END FROM ferry_job WHERE id = ?`, dry.JobID),
					[]string{"succeeded | dry"})
				again := mustTransfer(t, s, dryOpts)
				eq(t, "second dry run", outcomeOf(again), outcomeOf(dry))

				applied := mustTransfer(t, s, opts)
				eq(t, "real run flag", applied.DryRun, false)
				eq(t, "domains", applied.Domains, c.domains)
				eq(t, "report kinds", reportKinds(applied.Report), c.kinds)
				eq(t, "dry run against real run", outcomeOf(dry), outcomeOf(applied))
			})
		})
	}
}

// TestTransferSkipsDNSNeeded: a domain in a state the hold transitions
// cannot leave (dns needed) is skipped with a finding while the others
// transfer; its rows stay unprocessed and are retried by later transfers.
func TestTransferSkipsDNSNeeded(t *testing.T) {
	t.Parallel()
	files := ownFiles(t)
	engines(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		s := newService(t, db)
		mustLoad(t, s, loadOpts(files))
		if _, err := db.Exec(ctx, `INSERT INTO domain (name, state) VALUES ('harborview.gov', 'dns needed')`); err != nil {
			t.Fatal(err)
		}
		tr := mustTransfer(t, s, TransferOptions{})
		eq(t, "domains", tr.Domains, DomainCounts{Created: 5, Skipped: 1})
		eq(t, "finding", findings(t, tr.Report, "transition_not_allowed"), []string{"harborview.gov dns needed -> on hold"})
		eq(t, "staging processed", tr.StagingProcessed, int64(9))
		eq(t, "unprocessed", queryStrings(t, db, `SELECT domain_name FROM transition_domain WHERE NOT processed`), []string{"harborview.gov"})
		eq(t, "harborview", domainStates(t, db)["harborview.gov"], "dns needed | <null> | <null>")
		// No invitation and no DomainInformation for the skipped domain.
		eq(t, "analysis", analyze(t, db), Analysis{TransitionDomains: 10, Domains: 6, DomainInformation: 5, DomainInvitations: 6,
			MissingDomainInformation: 1, MissingInvitations: 3})

		// A later transfer retries it, and skips it again.
		tr = mustTransfer(t, s, TransferOptions{})
		eq(t, "retry", []any{tr.Domains, tr.Invitations, tr.StagingProcessed}, []any{DomainCounts{Skipped: 1}, InviteCounts{}, int64(0)})
		eq(t, "finding again", findings(t, tr.Report, "transition_not_allowed"), []string{"harborview.gov dns needed -> on hold"})

		// Once the domain is ready, the next transfer takes it.
		if _, err := db.Exec(ctx, `UPDATE domain SET state = 'ready' WHERE name = 'harborview.gov'`); err != nil {
			t.Fatal(err)
		}
		tr = mustTransfer(t, s, TransferOptions{})
		eq(t, "after the fix", []any{tr.Domains, tr.Invitations, tr.DomainInformation, tr.StagingProcessed},
			[]any{DomainCounts{Updated: 1}, InviteCounts{Created: 1}, ObjectCounts{Created: 1}, int64(1)})
		eq(t, "harborview", domainStates(t, db)["harborview.gov"], "on hold | 2025-02-03 | 2001-02-03")
		eq(t, "analysis", analyze(t, db), Analysis{TransitionDomains: 10, Domains: 6, DomainInformation: 6, DomainInvitations: 7, MissingInvitations: 2})
	})
}

// A skipped domain does not use up --limit: limited transfers keep moving
// forward past a domain that cannot be transferred.
func TestTransferLimitPastSkipped(t *testing.T) {
	t.Parallel()
	files := ownFiles(t)
	engines(t, func(t *testing.T, db *store.DB) {
		s := newService(t, db)
		mustLoad(t, s, loadOpts(files))
		if _, err := db.Exec(t.Context(), `INSERT INTO domain (name, state) VALUES ('harborview.gov', 'dns needed')`); err != nil {
			t.Fatal(err)
		}
		for i := 1; i <= 5; i++ {
			tr := mustTransfer(t, s, TransferOptions{Limit: 1})
			if tr.Domains.Created != 1 {
				t.Fatalf("limited transfer %d created %d domains, want 1 (%+v)", i, tr.Domains.Created, tr.Domains)
			}
		}
		tr := mustTransfer(t, s, TransferOptions{Limit: 1})
		eq(t, "after all others", tr.Domains, DomainCounts{Skipped: 1})
		eq(t, "unprocessed", queryStrings(t, db, `SELECT DISTINCT domain_name FROM transition_domain WHERE NOT processed`), []string{"harborview.gov"})
	})
}

// When one domain's unprocessed staging rows come from different loads, the
// newest load's status is the one transferred.
func TestTransferNewestStatusWins(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, db *store.DB) {
		s := newService(t, db)
		first := writeFiles(t, map[string]string{
			KeyDomainContacts: "newest.gov|A|admin\n",
			KeyContacts:       contactLine("A", "a.person@example.test") + "\n",
			KeyStatuses:       "newest.gov|ok|\n",
		})
		mustLoad(t, s, loadOpts(first))
		// The second export drops contact A (its row stays, with the old
		// status) and puts the domain on hold; max() would pick "ready".
		second := writeFiles(t, map[string]string{
			KeyDomainContacts: "newest.gov|B|tech\n",
			KeyContacts:       contactLine("B", "b.person@example.test") + "\n",
			KeyStatuses:       "newest.gov|serverHold|\n",
		})
		mustLoad(t, s, loadOpts(second))
		mustTransfer(t, s, TransferOptions{})
		eq(t, "state", queryStrings(t, db, `SELECT state FROM domain WHERE name = 'newest.gov'`), []string{"on hold"})
	})
}

// A domain that already has invitations is not reported as without one
// when a later load brings it only a contact without an e-mail.
func TestExistingInvitationsCount(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, db *store.DB) {
		s := newService(t, db)
		mustLoad(t, s, loadOpts(writeFiles(t, map[string]string{
			KeyDomainContacts: "keep.gov|A|admin\nblank.gov|C|admin\n",
			KeyContacts:       contactLine("A", "a.person@example.test") + contactLine("C", ""),
			KeyStatuses:       "keep.gov|ok|\nblank.gov|ok|\n",
		})))
		first := mustTransfer(t, s, TransferOptions{})
		eq(t, "first transfer", findings(t, first.Report, "domain_without_invitation"), []string{"blank.gov"})

		mustLoad(t, s, loadOpts(writeFiles(t, map[string]string{
			KeyDomainContacts: "keep.gov|B|tech\n",
			KeyContacts:       contactLine("B", ""),
			KeyStatuses:       "keep.gov|ok|\n",
		})))
		second := mustTransfer(t, s, TransferOptions{})
		eq(t, "second transfer's staging rows", second.StagingProcessed, int64(1))
		eq(t, "second transfer", findings(t, second.Report, "domain_without_invitation"), []string(nil))
	})
}

// TestInvitationsOfMixedBatch: a batch holding both domains that exist and
// domains it creates takes the path that looks existing invitations up; a
// batch of only new domains inserts its invitations directly. Both must
// end with one invitation per lowercased e-mail and domain, and count
// what they created and found.
func TestInvitationsOfMixedBatch(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, db *store.DB) {
		s := newService(t, db)
		mustLoad(t, s, loadOpts(writeFiles(t, map[string]string{
			KeyDomainContacts: "keep.gov|A|admin\n",
			KeyContacts:       contactLine("A", "a.person@example.test"),
			KeyStatuses:       "keep.gov|ok|\n",
		})))
		first := mustTransfer(t, s, TransferOptions{})
		eq(t, "first transfer's invitations", first.Invitations, InviteCounts{Created: 1})

		// keep.gov gains a contact and, under another spelling, repeats the
		// first one; new.gov arrives with one person under two spellings.
		mustLoad(t, s, loadOpts(writeFiles(t, map[string]string{
			KeyDomainContacts: "keep.gov|A|admin\nkeep.gov|AU|tech\nkeep.gov|B|tech\nnew.gov|C|admin\nnew.gov|CU|billing\n",
			KeyContacts: contactLine("A", "a.person@example.test") + contactLine("AU", "A.Person@Example.test") +
				contactLine("B", "b.person@example.test") + contactLine("C", "c.person@example.test") +
				contactLine("CU", "C.PERSON@example.test"),
			KeyStatuses: "keep.gov|ok|\nnew.gov|ok|\n",
		})))
		second := mustTransfer(t, s, TransferOptions{})
		eq(t, "second transfer's domains", second.Domains, DomainCounts{Created: 1, Unchanged: 1})
		eq(t, "second transfer's invitations", second.Invitations, InviteCounts{Created: 2, Existing: 1})
		eq(t, "invitations", invitationList(t, db), []string{
			"a.person@example.test | keep.gov | invited", "b.person@example.test | keep.gov | invited",
			"c.person@example.test | new.gov | invited",
		})
	})
}
