package registrar

import (
	"strings"
	"testing"

	"github.com/ferrymigrate/ferry/internal/store"
)

// These tests run the reference project's own fixtures through ferry and
// check the expected results of the reference specification, section 5,
// with ferry's binding decisions (section 6) applied where they differ.

// fixtureStaging is section 5.1's per-row table, plus the raw statuses and
// roles ferry keeps for audit (decisions 1 and 10).
var fixtureStaging = []stagingRow{
	{Domain: "anomaly.gov", Username: "", Status: "ready", EPPStatuses: "muahaha", Roles: "tech"},
	{Domain: "fakewebsite1.gov", Username: "agustina.wyman7@test.com", Status: "on hold", EPPStatuses: "serverhold", Roles: "admin"},
	{Domain: "fakewebsite1.gov", Username: "stephania.winters4@test.com", Status: "on hold", EPPStatuses: "serverhold", Roles: "billing"},
	{Domain: "fakewebsite1.gov", Username: "susy.martin4@test.com", Status: "on hold", EPPStatuses: "serverhold", Roles: "tech"},
	{Domain: "fakewebsite2.gov", Username: "alexandra.bobbitt5@test.com", Status: "on hold", EPPStatuses: "hold", Roles: "admin"},
	{Domain: "fakewebsite2.gov", Username: "jospeh.mcdowell3@test.com", Status: "on hold", EPPStatuses: "hold", Roles: "billing"},
	{Domain: "fakewebsite2.gov", Username: "reginald.ratcliff4@test.com", Status: "on hold", EPPStatuses: "hold", Roles: "tech"},
	{Domain: "fakewebsite3.gov", Username: "reginald.ratcliff4@test.com", Status: "unknown", EPPStatuses: "unknown", Roles: "admin,billing,tech"},
	{Domain: "testdomain.gov", Username: "testuser@gmail.com", Status: "ready", EPPStatuses: "ok", Roles: "admin"},
}

// fixtureEnrichment is section 5.3's staging table. testdomain.gov gets its
// escrow dates under decision 3 (the reference loses them to a case bug).
var fixtureEnrichment = map[string]string{
	"anomaly.gov":      "Flashdog | <null> | <null> | <null> | Gregoor | middle | Kalinke | gkalinke0@indiegogo.com | (773) 172-5515 | 2008-03-09 | 2023-03-09",
	"testdomain.gov":   "Gigaclub | <null> | <null> | Minyx | Fayre |  | Filippozzi | ffilippozzi1@hugedomains.com | (357) 487-4280 | 2014-03-15 | 2023-03-15",
	"fakewebsite1.gov": "corrupt data | <null> | <null> | <null> | Gabey |  | Lightbody | glightbody2@fc2.com | (332) 816-5691 | 2020-06-14 | 2023-06-14",
	"fakewebsite2.gov": "Fanoodle | Federal | Executive | Department of Commerce | Seline | testmiddle2 | Tower | stower3@answers.com | 151-539-6028 | 2004-05-07 | 2023-09-30",
	"fakewebsite3.gov": "Sushi | City | <null> | InnoZ | Joe | testmiddle | Smoe | joe@smoe.gov | (111) 111-1111 | 2004-05-07 | 2023-09-30",
}

// fixtureDomains is section 5.2's domain table, ferry column, with the
// registry creation date ferry also keeps.
var fixtureDomains = map[string]string{
	"anomaly.gov":      "ready | 2023-03-09 | 2008-03-09",
	"testdomain.gov":   "ready | 2023-03-15 | 2014-03-15",
	"fakewebsite1.gov": "on hold | 2023-06-14 | 2020-06-14",
	"fakewebsite2.gov": "on hold | 2023-09-30 | 2004-05-07",
	"fakewebsite3.gov": "unknown | 2023-09-30 | 2004-05-07",
}

// fixtureInformation is section 5.3's DomainInformation table under
// decision 7: fakewebsite2.gov gets Department of Commerce and
// fakewebsite3.gov InnoZ (both active and federal in the agency file).
// testdomain.gov's Minyx is active but not federal; the decisions leave open
// whether it belongs in federal_agency, and ferry leaves it out.
var fixtureInformation = map[string]string{
	"anomaly.gov":      "Flashdog | <null> | <null> | <null> | Gregoor | middle | Kalinke | gkalinke0@indiegogo.com | (773) 172-5515 | System",
	"testdomain.gov":   "Gigaclub | <null> | <null> | <null> | Fayre |  | Filippozzi | ffilippozzi1@hugedomains.com | (357) 487-4280 | System",
	"fakewebsite1.gov": "corrupt data | <null> | <null> | <null> | Gabey |  | Lightbody | glightbody2@fc2.com | (332) 816-5691 | System",
	"fakewebsite2.gov": "Fanoodle | federal | executive | Department of Commerce | Seline | testmiddle2 | Tower | stower3@answers.com | 151-539-6028 | System",
	"fakewebsite3.gov": "Sushi | city | <null> | InnoZ | Joe | testmiddle | Smoe | joe@smoe.gov | (111) 111-1111 | System",
}

// fixtureInvitations: one per staging row with an e-mail, lowercased (5.2).
var fixtureInvitations = []string{
	"agustina.wyman7@test.com | fakewebsite1.gov | invited",
	"alexandra.bobbitt5@test.com | fakewebsite2.gov | invited",
	"jospeh.mcdowell3@test.com | fakewebsite2.gov | invited",
	"reginald.ratcliff4@test.com | fakewebsite2.gov | invited",
	"reginald.ratcliff4@test.com | fakewebsite3.gov | invited",
	"stephania.winters4@test.com | fakewebsite1.gov | invited",
	"susy.martin4@test.com | fakewebsite1.gov | invited",
	"testuser@gmail.com | testdomain.gov | invited",
}

func TestFixtureLoad(t *testing.T) {
	t.Parallel()
	files := fixtureFiles(t)
	engines(t, func(t *testing.T, db *store.DB) {
		s := newService(t, db)
		res := mustLoad(t, s, loadOpts(files))

		// Section 5.1, ferry summary: 11 read, 9 created, 0 updated, 2 skipped, 0 rejected.
		eq(t, "rows", res.Rows, Counts{Read: 11, Created: 9, Updated: 0, Skipped: 2, Rejected: 0})
		eq(t, "duplicates", res.Duplicates, int64(2))
		eq(t, "enriched", res.Enriched, true)
		eq(t, "total rejected", res.TotalRejected, int64(0))
		eq(t, "staging rows", stagingRows(t, db), fixtureStaging)
		eq(t, "staging enrichment", stagingEnrichment(t, db), fixtureEnrichment)

		// Reported: contact ANOMALY has no e-mail (it is absent from the
		// contacts file); outlier status muahaha; the repeated pair.
		eq(t, "contact_missing", findings(t, res.Report, "contact_missing"), []string{"anomaly.gov ANOMALY"})
		eq(t, "contact_without_email", findings(t, res.Report, "contact_without_email"), []string(nil))
		eq(t, "outlier_status", findings(t, res.Report, "outlier_status"), []string{"anomaly.gov muahaha"})
		eq(t, "duplicate_contact", findings(t, res.Report, "duplicate_contact"), []string{"fakewebsite3.gov USER7,USER8,USER9"})
		eq(t, "domain_without_status", findings(t, res.Report, "domain_without_status"), []string(nil))
		eq(t, "inactive_domain_type", findings(t, res.Report, "inactive_domain_type"),
			[]string{"anomaly.gov 1", "fakewebsite1.gov 3", "testdomain.gov 2"})
		eq(t, "inactive_agency", findings(t, res.Report, "inactive_agency"), []string{"anomaly.gov Thoughtstorm", "fakewebsite1.gov Demivee"})
		eq(t, "non_federal_agency", findings(t, res.Report, "non_federal_agency"), []string{"testdomain.gov Minyx"})

		// Section 5.1, asserted counts.
		eq(t, "analysis", analyze(t, db), Analysis{TransitionDomains: 9, MissingDomains: 9, MissingDomainInformation: 9, MissingInvitations: 9})
		eq(t, "fakewebsite2.gov staging rows", queryInt(t, db, `SELECT count(*) FROM transition_domain WHERE domain_name = 'fakewebsite2.gov'`), int64(3))
	})
}

func TestFixtureTransferAndLogin(t *testing.T) {
	t.Parallel()
	files := fixtureFiles(t)
	engines(t, func(t *testing.T, db *store.DB) {
		s := newService(t, db)
		mustLoad(t, s, loadOpts(files))
		eq(t, "fakewebsite3.gov processed before transfer",
			queryInt(t, db, `SELECT count(*) FROM transition_domain WHERE domain_name = 'fakewebsite3.gov' AND processed`), int64(0))

		tr := mustTransfer(t, s, TransferOptions{})
		eq(t, "domains", tr.Domains, DomainCounts{Created: 5})
		eq(t, "invitations", tr.Invitations, InviteCounts{Created: 8})
		eq(t, "domain information", tr.DomainInformation, ObjectCounts{Created: 5})
		eq(t, "contacts", tr.Contacts, ObjectCounts{Created: 5})
		eq(t, "staging processed", tr.StagingProcessed, int64(9))
		eq(t, "domain_without_invitation", findings(t, tr.Report, "domain_without_invitation"), []string{"anomaly.gov"})

		// Section 5.2.
		eq(t, "analysis", analyze(t, db), Analysis{TransitionDomains: 9, Domains: 5, DomainInformation: 5, DomainInvitations: 8, MissingInvitations: 1})
		eq(t, "domains", domainStates(t, db), fixtureDomains)
		eq(t, "invitations", invitationList(t, db), fixtureInvitations)
		eq(t, "unprocessed after transfer", queryInt(t, db, `SELECT count(*) FROM transition_domain WHERE NOT processed`), int64(0))

		// Section 5.3.
		eq(t, "domain information", domainInformation(t, db), fixtureInformation)
		eq(t, "System users", queryInt(t, db, `SELECT count(*) FROM registrar_user WHERE username = 'System'`), int64(1))
		eq(t, "contacts", countRows(t, db, "contact"), int64(5))
		eq(t, "Seline Tower contacts", queryInt(t, db, `SELECT count(*) FROM contact WHERE first_name = 'Seline' AND middle_name = 'testmiddle2' AND last_name = 'Tower'`), int64(1))

		// Section 5.4: every invitee signs in, with the e-mail in another
		// case than the invitation's to prove the match ignores case.
		logins := []struct {
			email   string
			domains []string
		}{
			{"TestUser@Gmail.com", []string{"testdomain.gov"}},
			{"Agustina.Wyman7@TEST.com", []string{"fakewebsite1.gov"}},
			{"SUSY.MARTIN4@test.com", []string{"fakewebsite1.gov"}},
			{"Stephania.Winters4@Test.Com", []string{"fakewebsite1.gov"}},
			{"alexandra.BOBBITT5@test.com", []string{"fakewebsite2.gov"}},
			{"Jospeh.McDowell3@test.COM", []string{"fakewebsite2.gov"}},
			{"Reginald.Ratcliff4@Test.com", []string{"fakewebsite2.gov", "fakewebsite3.gov"}},
		}
		for i, l := range logins {
			res, err := s.Login(t.Context(), "subject-"+strings.ToLower(l.email), l.email)
			if err != nil {
				t.Fatalf("login %s: %v", l.email, err)
			}
			eq(t, "login "+l.email+" domains", res.Domains, l.domains)
			eq(t, "login "+l.email+" retrieved", res.Retrieved, int64(len(l.domains)))
			eq(t, "login "+l.email+" created", res.UserCreated, true)
			if i == 0 {
				// A second sign-in finds nothing new and keeps the role.
				again, err := s.Login(t.Context(), "subject-"+strings.ToLower(l.email), strings.ToUpper(l.email))
				if err != nil {
					t.Fatal(err)
				}
				eq(t, "second login", []any{again.UserCreated, again.Retrieved, again.Domains}, []any{false, int64(0), l.domains})
			}
		}
		eq(t, "users", countRows(t, db, "registrar_user"), int64(8))
		eq(t, "manager roles", queryInt(t, db, `SELECT count(*) FROM user_domain_role WHERE role = 'manager'`), int64(8))
		eq(t, "roles", countRows(t, db, "user_domain_role"), int64(8))
		eq(t, "retrieved invitations", queryInt(t, db, `SELECT count(*) FROM domain_invitation WHERE status = 'retrieved'`), int64(8))
		eq(t, "reginald's domains", queryStrings(t, db, `SELECT d.name FROM user_domain_role r JOIN registrar_user u ON u.id = r.user_id
			JOIN domain d ON d.id = r.domain_id WHERE lower(u.email) = 'reginald.ratcliff4@test.com' ORDER BY d.name`),
			[]string{"fakewebsite2.gov", "fakewebsite3.gov"})
		eq(t, "analysis after logins", analyze(t, db), Analysis{TransitionDomains: 9, Domains: 5, DomainInformation: 5, DomainInvitations: 8, MissingInvitations: 1})

		// A second load and transfer change nothing (decision 9).
		before := snapshot(t, db)
		again := mustLoad(t, s, loadOpts(files))
		eq(t, "second load", again.Rows, Counts{Read: 11, Created: 0, Updated: 0, Skipped: 11})
		eq(t, "second load, already processed", again.Processed, int64(9))
		tr2 := mustTransfer(t, s, TransferOptions{})
		eq(t, "second transfer", []any{tr2.Domains, tr2.Invitations, tr2.DomainInformation, tr2.Contacts, tr2.StagingProcessed},
			[]any{DomainCounts{}, InviteCounts{}, ObjectCounts{}, ObjectCounts{}, int64(0)})
		after := snapshot(t, db)
		// The load records its findings again under its own job; nothing else moves.
		delete(before.Counts, "ferry_finding")
		delete(after.Counts, "ferry_finding")
		assertSnapshot(t, "second load and transfer", before, after)
	})
}

// TestFixtureDomainIdempotent reproduces the reference's
// test_domain_idempotent: a Domain and a DomainInformation exist before the
// migration. Under ferry, decision 6 keeps "test org name" and decision 3
// sets the expiration to 2023-03-15 (the reference keeps 2000-01-01 and
// overwrites the name with "Gigaclub"). In both, a second transfer is a no-op.
func TestFixtureDomainIdempotent(t *testing.T) {
	t.Parallel()
	files := fixtureFiles(t)
	engines(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		s := newService(t, db)
		if _, err := db.Exec(ctx, `INSERT INTO domain (name, state, expiration_date) VALUES ('testdomain.gov', 'ready', `+db.Dialect().Date("'2000-01-01'")+`)`); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(ctx, `INSERT INTO domain_information (domain_id, organization_name)
			SELECT id, 'test org name' FROM domain WHERE name = 'testdomain.gov'`); err != nil {
			t.Fatal(err)
		}
		mustLoad(t, s, loadOpts(files))
		tr := mustTransfer(t, s, TransferOptions{})
		eq(t, "domains", tr.Domains, DomainCounts{Created: 4, Updated: 1})
		// Only the empty senior official is filled on the existing record:
		// Courts is inactive and Minyx is not federal, so nothing else is.
		eq(t, "domain information", tr.DomainInformation, ObjectCounts{Created: 4, Updated: 1})
		eq(t, "testdomain.gov", domainStates(t, db)["testdomain.gov"], "ready | 2023-03-15 | 2014-03-15")
		eq(t, "testdomain.gov information", domainInformation(t, db)["testdomain.gov"],
			"test org name | <null> | <null> | <null> | Fayre |  | Filippozzi | ffilippozzi1@hugedomains.com | (357) 487-4280 | <null>")
		eq(t, "journal", queryStrings(t, db, `SELECT entity, entity_key, action FROM ferry_journal ORDER BY entity`),
			[]string{"domain | testdomain.gov | update", "domain_information | testdomain.gov | update"})

		before := snapshot(t, db)
		tr2 := mustTransfer(t, s, TransferOptions{})
		eq(t, "second transfer", []any{tr2.Domains, tr2.DomainInformation, tr2.StagingProcessed}, []any{DomainCounts{}, ObjectCounts{}, int64(0)})
		assertSnapshot(t, "second transfer", before, snapshot(t, db))
	})
}

// TestFixtureHistory runs the 2023-11-06 fixtures: CRLF, the three core files
// only, given positionally, no enrichment.
func TestFixtureHistory(t *testing.T) {
	t.Parallel()
	files := historyFiles(t)
	engines(t, func(t *testing.T, db *store.DB) {
		s := newService(t, db)
		res := mustLoad(t, s, loadOpts(files))
		eq(t, "rows", res.Rows, Counts{Read: 8, Created: 8})
		eq(t, "enriched", res.Enriched, false)
		// Asserted by the 2023-11-06 tests: TD 8, missing 8/0/8/8.
		eq(t, "analysis after load", analyze(t, db), Analysis{TransitionDomains: 8, MissingDomains: 8, MissingDomainInformation: 8, MissingInvitations: 8})
		// Decision 3 normalises case and a trailing dot but adds no ".gov":
		// "FakeWebsite1" is the domain fakewebsite1, which has no status row
		// (the statuses file names FakeWebsite1.GOV), so it is ready and
		// reported; "FakeWebsite2.GOV" does match its status.
		eq(t, "staging", stagingRows(t, db), []stagingRow{
			{Domain: "anomaly.gov", Username: "", Status: "ready", EPPStatuses: "muahaha", Roles: "tech"},
			{Domain: "fakewebsite1", Username: "agustina.wyman7@test.com", Status: "ready", Roles: "admin"},
			{Domain: "fakewebsite1", Username: "stephania.winters4@test.com", Status: "ready", Roles: "billing"},
			{Domain: "fakewebsite1", Username: "susy.martin4@test.com", Status: "ready", Roles: "tech"},
			{Domain: "fakewebsite2.gov", Username: "alexandra.bobbitt5@test.com", Status: "on hold", EPPStatuses: "hold", Roles: "admin"},
			{Domain: "fakewebsite2.gov", Username: "jospeh.mcdowell3@test.com", Status: "on hold", EPPStatuses: "hold", Roles: "billing"},
			{Domain: "fakewebsite2.gov", Username: "reginald.ratcliff4@test.com", Status: "on hold", EPPStatuses: "hold", Roles: "tech"},
			{Domain: "testdomain.gov", Username: "testuser@gmail.com", Status: "ready", EPPStatuses: "ok", Roles: "admin"},
		})
		eq(t, "domain_without_status", findings(t, res.Report, "domain_without_status"), []string{"fakewebsite1"})
		eq(t, "outlier_status", findings(t, res.Report, "outlier_status"), []string{"anomaly.gov muahaha"})
		eq(t, "contact_missing", findings(t, res.Report, "contact_missing"), []string{"anomaly.gov ANOMALY"})
		// Without enrichment files nothing enrichment-related is reported.
		for _, k := range []string{"missing_additional_data", "missing_escrow_dates", "inactive_domain_type", "inactive_agency", "non_federal_agency"} {
			if _, ok := res.Report[k]; ok {
				t.Errorf("unexpected %s finding without enrichment files", k)
			}
		}

		tr := mustTransfer(t, s, TransferOptions{})
		eq(t, "domains", tr.Domains, DomainCounts{Created: 4})
		eq(t, "invitations", tr.Invitations, InviteCounts{Created: 7})
		// The 2023-11-06 code created no DomainInformation (its test asserts
		// 0, and missing DomainInformation 8). ferry creates one for every
		// transferred domain, so it has 4 and none missing.
		eq(t, "domain information", tr.DomainInformation, ObjectCounts{Created: 4})
		eq(t, "analysis after transfer", analyze(t, db), Analysis{TransitionDomains: 8, Domains: 4, DomainInformation: 4, DomainInvitations: 7, MissingInvitations: 1})
		eq(t, "domains", domainStates(t, db), map[string]string{
			"anomaly.gov":      "ready | <null> | <null>",
			"fakewebsite1":     "ready | <null> | <null>",
			"fakewebsite2.gov": "on hold | <null> | <null>",
			"testdomain.gov":   "ready | <null> | <null>",
		})
		// No authority file: no senior official, so no Contact.
		eq(t, "contacts", countRows(t, db, "contact"), int64(0))
		eq(t, "information without enrichment", queryInt(t, db, `SELECT count(*) FROM domain_information
			WHERE organization_name IS NULL AND generic_org_type IS NULL AND federal_agency IS NULL AND senior_official_id IS NULL`), int64(4))
	})
}
