package registrar

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferrymigrate/ferry/internal/store"
)

// ferry's own escrow set (testdata/escrow) mirrors the reference fixtures'
// shapes and scenarios with invented data:
//
//   - harborview.gov: three contact ids share one e-mail (one staging row,
//     roles admin,billing,tech; 2 rows skipped); statuses {ok, serverHold}
//     → on hold; escrow row in upper case; federal judicial, active federal
//     agency.
//   - quietbay.gov: {unknown} → unknown; one contact has an empty e-mail
//     (blank username, no invitation, reported); county; an active but
//     non-federal agency.
//   - mapleridge.gov: written MapleRidge.GOV., MAPLERIDGE.gov, ... across
//     files; {unknown, ok} → ready; two contacts whose e-mails differ only
//     in case (two staging rows, one invitation); inactive domain type and
//     agency; organisation name repaired from "Maple | Ridge Trust".
//   - lanternfish.gov: a contact missing from the contacts file; an
//     outlier status (frobnicated → ready, reported); an e-mail that also
//     manages quietbay.gov.
//   - stillwater.gov: no status (ready, reported); no additional data; its
//     escrow row has a bad date; its contact id appears twice in the
//     contacts file (last wins).
//   - birchfield.gov: clientHold; a senior official without an e-mail whose
//     agency id is not in the agency file.
//
// The domain contacts file has a BOM, CRLF line ends, spaces around
// separators, a blank line and three malformed rows; the other files carry
// blank lines, an invalid e-mail, short and over-long rows, an empty domain,
// a bad date and an invalid domain type.

var ownStaging = []stagingRow{
	{Domain: "birchfield.gov", Username: "lee.marsh@example.test", Status: "on hold", EPPStatuses: "clienthold", Roles: "admin"},
	{Domain: "harborview.gov", Username: "pat.quill@example.test", Status: "on hold", EPPStatuses: "ok,serverhold", Roles: "admin,billing,tech"},
	{Domain: "lanternfish.gov", Username: "", Status: "ready", EPPStatuses: "frobnicated", Roles: "tech"},
	{Domain: "lanternfish.gov", Username: "dana.wells@example.test", Status: "ready", EPPStatuses: "frobnicated", Roles: "billing"},
	{Domain: "lanternfish.gov", Username: "sam.otter@example.test", Status: "ready", EPPStatuses: "frobnicated", Roles: "admin"},
	{Domain: "mapleridge.gov", Username: "Robin.Ferris@Example.test", Status: "ready", EPPStatuses: "ok,unknown", Roles: "admin"},
	{Domain: "mapleridge.gov", Username: "robin.ferris@example.test", Status: "ready", EPPStatuses: "ok,unknown", Roles: "tech"},
	{Domain: "quietbay.gov", Username: "", Status: "unknown", EPPStatuses: "unknown", Roles: "admin"},
	{Domain: "quietbay.gov", Username: "dana.wells@example.test", Status: "unknown", EPPStatuses: "unknown", Roles: "tech"},
	{Domain: "stillwater.gov", Username: "kim.vale@example.test", Status: "ready", EPPStatuses: "", Roles: "admin"},
}

var ownEnrichment = map[string]string{
	"birchfield.gov":  "Birch Council | State | <null> | <null> | Riley |  | Stone |  | (555) 010-0005 | 1999-09-09 | 2029-09-09",
	"harborview.gov":  "Harbor Board | Federal | Judicial | Bureau of Tides | Avery | Quinn | Lund | avery.lund@example.test | (555) 010-0001 | 2001-02-03 | 2025-02-03",
	"lanternfish.gov": "Lantern Works | Independent Intrastate | <null> | Office of Lanterns | Morgan |  | Pike | Morgan.Pike@Example.test | (555) 010-0004 | 2015-05-05 | 2027-05-05",
	"mapleridge.gov":  "Maple | Ridge Trust | <null> | <null> | <null> | Jordan | T | Reef | jordan.reef@example.test | 555.010.0003 | 2012-12-12 | 2024-12-12",
	"quietbay.gov":    "Quiet Bay County | County | <null> | Coastal Guild | Casey |  | Moor | casey.moor@example.test | 555-010-0002 | 2010-10-10 | 2026-10-10",
	"stillwater.gov":  "<null> | <null> | <null> | <null> | <null> | <null> | <null> | <null> | <null> | <null> | <null>",
}

// ownRejects are the rejected rows, in the order they are read, as
// "file:line" and a word the reason must contain (the exact wording belongs
// to the escrow package).
var ownRejects = [][2]string{
	{"escrow_domain_contacts.daily.dotgov.GOV.txt:4", "blank line"},
	{"escrow_domain_contacts.daily.dotgov.GOV.txt:14", "column count"},
	{"escrow_domain_contacts.daily.dotgov.GOV.txt:15", "invalid domain"},
	{"escrow_domain_contacts.daily.dotgov.GOV.txt:16", "column count"},
	{"escrow_contacts.daily.dotgov.GOV.txt:11", "blank line"},
	{"escrow_contacts.daily.dotgov.GOV.txt:12", "invalid e-mail"},
	{"escrow_contacts.daily.dotgov.GOV.txt:13", "column count"},
	{"escrow_domain_statuses.daily.dotgov.GOV.txt:9", "empty domain"},
	{"escrow_domains.daily.dotgov.GOV.txt:5", "CrDate"},
	{"domaintypes.adhoc.dotgov.txt:7", "invalid domain type"},
	{"organization.adhoc.dotgov.txt:7", "too many fields"},
}

// checkRejects compares logged rejects ("file:line: reason") with want.
func checkRejects(t *testing.T, got []string, want [][2]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%d rejects, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
		return
	}
	for i, w := range want {
		if !strings.HasPrefix(got[i], w[0]+": ") || !strings.Contains(got[i], w[1]) {
			t.Errorf("reject %d: got %q, want %s with a reason about %q", i, got[i], w[0], w[1])
		}
	}
}

// TestOwnSetBytes guards the test data itself: if CRLF, the BOM or a
// missing final newline were normalised away, the tests below would no
// longer cover them.
func TestOwnSetBytes(t *testing.T) {
	t.Parallel()
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(ownDir, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	dc := read("escrow_domain_contacts.daily.dotgov.GOV.txt")
	if !bytes.HasPrefix(dc, []byte("\xEF\xBB\xBFHarborview.gov|")) {
		t.Error("domain contacts file lost its BOM")
	}
	if bytes.Count(dc, []byte("\r\n")) != 15 || bytes.HasSuffix(dc, []byte("\n")) {
		t.Error("domain contacts file should have 15 CRLF line ends and no final newline")
	}
	if !bytes.Contains(read("organization.adhoc.dotgov.txt"), []byte("|Maple | Ridge Trust|")) {
		t.Error("organisation file lost its bad-separator row")
	}
}

func TestOwnSetLoad(t *testing.T) {
	t.Parallel()
	files := ownFiles(t)
	engines(t, func(t *testing.T, db *store.DB) {
		s := newService(t, db)
		var rejects rejectLog
		opts := loadOpts(files)
		opts.OnReject = rejects.add
		res := mustLoad(t, s, opts)

		// 16 lines: 12 records (10 distinct pairs, 2 repeats) and 4 rejects.
		eq(t, "rows", res.Rows, Counts{Read: 16, Created: 10, Updated: 0, Skipped: 2, Rejected: 4})
		eq(t, "duplicates", res.Duplicates, int64(2))
		eq(t, "agencies", res.Agencies, int64(4))
		checkRejects(t, rejects.list(), ownRejects)
		eq(t, "total rejected", res.TotalRejected, int64(len(ownRejects)))
		perFile := map[string][2]int64{}
		for _, f := range res.Files {
			perFile[f.Key] = [2]int64{f.Records, f.Rejected}
		}
		eq(t, "per file records and rejects", perFile, map[string][2]int64{
			KeyDomainContacts: {12, 4}, KeyContacts: {12, 3}, KeyStatuses: {8, 1}, KeyEscrow: {5, 1},
			KeyAdditional: {5, 0}, KeyDomainTypes: {5, 1}, KeyOrganization: {5, 1}, KeyAuthority: {5, 0}, KeyAgency: {4, 0},
		})
		checkStoredRejects(t, res.Rejects)

		eq(t, "staging", stagingRows(t, db), ownStaging)
		eq(t, "enrichment", stagingEnrichment(t, db), ownEnrichment)
		eq(t, "report kinds", reportKinds(res.Report), []string{"contact_missing", "contact_without_email", "domain_without_status",
			"duplicate_contact", "inactive_agency", "inactive_domain_type", "missing_additional_data", "missing_escrow_dates",
			"non_federal_agency", "outlier_status"})
		for kind, want := range map[string][]string{
			"contact_missing":         {"lanternfish.gov GHOST"},
			"contact_without_email":   {"quietbay.gov NOMAIL"},
			"domain_without_status":   {"stillwater.gov"},
			"duplicate_contact":       {"harborview.gov HV1,HV2,HV3"},
			"inactive_agency":         {"mapleridge.gov Old Survey Office"},
			"inactive_domain_type":    {"mapleridge.gov 23"},
			"missing_additional_data": {"stillwater.gov"},
			"missing_escrow_dates":    {"stillwater.gov"},
			"non_federal_agency":      {"quietbay.gov Coastal Guild"},
			"outlier_status":          {"lanternfish.gov frobnicated"},
		} {
			eq(t, kind, findings(t, res.Report, kind), want)
		}
		eq(t, "agency table", queryStrings(t, db, `SELECT name, CASE WHEN active THEN 'active' ELSE 'inactive' END,
			CASE WHEN federal THEN 'federal' ELSE 'non-federal' END FROM federal_agency ORDER BY name`), []string{
			"Bureau of Tides | active | federal", "Coastal Guild | active | non-federal",
			"Office of Lanterns | active | federal", "Old Survey Office | inactive | federal",
		})
		eq(t, "analysis", analyze(t, db), Analysis{TransitionDomains: 10, MissingDomains: 10, MissingDomainInformation: 10, MissingInvitations: 10})
		// Scratch rows are gone once the load has finished.
		for _, tb := range scratchNames {
			eq(t, "scratch "+tb, countRows(t, db, tb), int64(0))
		}
	})
}

func TestOwnSetTransferAndLogin(t *testing.T) {
	t.Parallel()
	files := ownFiles(t)
	engines(t, func(t *testing.T, db *store.DB) {
		s := newService(t, db)
		mustLoad(t, s, loadOpts(files))
		tr := mustTransfer(t, s, TransferOptions{})
		eq(t, "domains", tr.Domains, DomainCounts{Created: 6})
		eq(t, "invitations", tr.Invitations, InviteCounts{Created: 7})
		eq(t, "domain information", tr.DomainInformation, ObjectCounts{Created: 6})
		eq(t, "contacts", tr.Contacts, ObjectCounts{Created: 5})
		eq(t, "staging processed", tr.StagingProcessed, int64(10))
		eq(t, "report", reportKinds(tr.Report), []string(nil))

		// The two blank usernames are the only missing invitations; the
		// mixed-case Robin.Ferris row matches the lowercased invitation.
		eq(t, "analysis", analyze(t, db), Analysis{TransitionDomains: 10, Domains: 6, DomainInformation: 6, DomainInvitations: 7, MissingInvitations: 2})
		eq(t, "domains", domainStates(t, db), map[string]string{
			"birchfield.gov":  "on hold | 2029-09-09 | 1999-09-09",
			"harborview.gov":  "on hold | 2025-02-03 | 2001-02-03",
			"lanternfish.gov": "ready | 2027-05-05 | 2015-05-05",
			"mapleridge.gov":  "ready | 2024-12-12 | 2012-12-12",
			"quietbay.gov":    "unknown | 2026-10-10 | 2010-10-10",
			"stillwater.gov":  "ready | <null> | <null>",
		})
		eq(t, "invitations", invitationList(t, db), []string{
			"dana.wells@example.test | lanternfish.gov | invited",
			"dana.wells@example.test | quietbay.gov | invited",
			"kim.vale@example.test | stillwater.gov | invited",
			"lee.marsh@example.test | birchfield.gov | invited",
			"pat.quill@example.test | harborview.gov | invited",
			"robin.ferris@example.test | mapleridge.gov | invited",
			"sam.otter@example.test | lanternfish.gov | invited",
		})
		eq(t, "domain information", domainInformation(t, db), map[string]string{
			"birchfield.gov":  "Birch Council | state_or_territory | <null> | <null> | Riley |  | Stone |  | (555) 010-0005 | System",
			"harborview.gov":  "Harbor Board | federal | judicial | Bureau of Tides | Avery | Quinn | Lund | avery.lund@example.test | (555) 010-0001 | System",
			"lanternfish.gov": "Lantern Works | special_district | <null> | Office of Lanterns | Morgan |  | Pike | Morgan.Pike@Example.test | (555) 010-0004 | System",
			"mapleridge.gov":  "Maple | Ridge Trust | <null> | <null> | <null> | Jordan | T | Reef | jordan.reef@example.test | 555.010.0003 | System",
			"quietbay.gov":    "Quiet Bay County | county | <null> | <null> | Casey |  | Moor | casey.moor@example.test | 555-010-0002 | System",
			"stillwater.gov":  "<null> | <null> | <null> | <null> | <null> | <null> | <null> | <null> | <null> | System",
		})
		eq(t, "users", queryStrings(t, db, `SELECT username FROM registrar_user`), []string{"System"})

		for _, l := range []struct {
			email   string
			domains []string
		}{
			{"Dana.Wells@EXAMPLE.test", []string{"lanternfish.gov", "quietbay.gov"}},
			{"ROBIN.FERRIS@example.test", []string{"mapleridge.gov"}},
			{"kim.vale@example.test", []string{"stillwater.gov"}},
			{"kim.vale.old@example.test", []string{}}, // the overridden contacts row invites nobody
		} {
			res, err := s.Login(t.Context(), "id-"+l.email, l.email)
			if err != nil {
				t.Fatal(err)
			}
			eq(t, "login "+l.email, res.Domains, l.domains)
		}
		eq(t, "retrieved", queryInt(t, db, `SELECT count(*) FROM domain_invitation WHERE status = 'retrieved'`), int64(4))
		eq(t, "roles", countRows(t, db, "user_domain_role"), int64(4))
	})
}
