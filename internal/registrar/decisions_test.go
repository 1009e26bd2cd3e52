package registrar

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/ferrymigrate/ferry/internal/store"
)

// Tests of the reference specification's section 6, ferry's binding
// decisions 1, 2, 3, 5, 6 and 7. Each builds its own small input.

// TestDecision1StatusPrecedence: every EPP status of a domain is kept raw,
// and the state follows precedence: any hold → on hold; else unknown only if
// every status is unknown; else ready. Outliers are reported.
func TestDecision1StatusPrecedence(t *testing.T) {
	t.Parallel()
	cases := []struct {
		domain   string
		statuses []string // as written in the statuses file
		state    string
		raw      string // epp_statuses: distinct, lowercased, sorted
		outliers []string
	}{
		{"okhold.gov", []string{"ok", "serverHold"}, "on hold", "ok,serverhold", nil},
		{"unknownonly.gov", []string{"unknown"}, "unknown", "unknown", nil},
		{"unknownok.gov", []string{"unknown", "ok"}, "ready", "ok,unknown", nil},
		{"outlier.gov", []string{"muahaha"}, "ready", "muahaha", []string{"muahaha"}},
		{"nostatus.gov", nil, "ready", "", nil},
		{"clienthold.gov", []string{"clientHold"}, "on hold", "clienthold", nil},
		{"holdfirst.gov", []string{"Hold", "unknown"}, "on hold", "hold,unknown", nil},
		{"created.gov", []string{"created"}, "ready", "created", nil},
		{"unknowntwice.gov", []string{"unknown", "UNKNOWN"}, "unknown", "unknown", nil},
		{"unknownoutlier.gov", []string{"unknown", "inactive"}, "ready", "inactive,unknown", []string{"inactive"}},
		{"manyoutliers.gov", []string{"pendingDelete", "serverHold", "serverTransferProhibited"}, "on hold",
			"pendingdelete,serverhold,servertransferprohibited", []string{"pendingdelete", "servertransferprohibited"}},
	}
	var dc, contacts, statuses strings.Builder
	var wantOutliers []string
	// Statuses are written interleaved across domains, so a domain's rows
	// are not adjacent: only the set matters, not the order.
	for round := 0; round < 3; round++ {
		for _, c := range cases {
			if round < len(c.statuses) {
				fmt.Fprintf(&statuses, "%s|%s|\n", c.domain, c.statuses[round])
			}
		}
	}
	for i, c := range cases {
		id := fmt.Sprintf("C%d", i)
		fmt.Fprintf(&dc, "%s|%s|admin\n", c.domain, id)
		contacts.WriteString(contactLine(id, fmt.Sprintf("manager%d@example.test", i)))
		for _, o := range c.outliers {
			wantOutliers = append(wantOutliers, c.domain+" "+o)
		}
	}
	sort.Strings(wantOutliers)
	files := writeFiles(t, map[string]string{KeyDomainContacts: dc.String(), KeyContacts: contacts.String(), KeyStatuses: statuses.String()})

	engines(t, func(t *testing.T, db *store.DB) {
		s := newService(t, db)
		res := mustLoad(t, s, loadOpts(files))
		eq(t, "outliers", findings(t, res.Report, "outlier_status"), wantOutliers)
		eq(t, "without status", findings(t, res.Report, "domain_without_status"), []string{"nostatus.gov"})
		staged := map[string]stagingRow{}
		for _, r := range stagingRows(t, db) {
			staged[r.Domain] = r
		}
		mustTransfer(t, s, TransferOptions{})
		states := domainStates(t, db)
		for _, c := range cases {
			t.Run(c.domain, func(t *testing.T) {
				r := staged[c.domain]
				eq(t, "staged status", r.Status, c.state)
				eq(t, "raw statuses", r.EPPStatuses, c.raw)
				// A new domain takes the derived state.
				eq(t, "domain", states[c.domain], c.state+" | <null> | <null>")
			})
		}
	})
}

// TestDecision2ContactWithoutEmail: a contact with no e-mail, or one missing
// from the contacts file, keeps its staging row with a blank username, gets
// no invitation and is reported.
func TestDecision2ContactWithoutEmail(t *testing.T) {
	t.Parallel()
	files := writeFiles(t, map[string]string{
		KeyDomainContacts: "blank.gov|NOMAIL|admin\nblank.gov|GONE|tech\nblank.gov|OK1|billing\nonlyblank.gov|NOMAIL|admin\n",
		KeyContacts:       contactLine("NOMAIL", "") + contactLine("OK1", "Ok.One@Example.test"),
		KeyStatuses:       "blank.gov|ok|\nonlyblank.gov|ok|\n",
	})
	engines(t, func(t *testing.T, db *store.DB) {
		s := newService(t, db)
		res := mustLoad(t, s, loadOpts(files))
		// Both contacts without an address fall on the same (domain, "")
		// pair: one row carrying both roles, the second row skipped.
		eq(t, "rows", res.Rows, Counts{Read: 4, Created: 3, Skipped: 1})
		eq(t, "staging", stagingRows(t, db), []stagingRow{
			{Domain: "blank.gov", Username: "", Status: "ready", EPPStatuses: "ok", Roles: "admin,tech"},
			{Domain: "blank.gov", Username: "Ok.One@Example.test", Status: "ready", EPPStatuses: "ok", Roles: "billing"},
			{Domain: "onlyblank.gov", Username: "", Status: "ready", EPPStatuses: "ok", Roles: "admin"},
		})
		eq(t, "without e-mail", findings(t, res.Report, "contact_without_email"), []string{"blank.gov NOMAIL", "onlyblank.gov NOMAIL"})
		eq(t, "missing contact", findings(t, res.Report, "contact_missing"), []string{"blank.gov GONE"})
		eq(t, "duplicate", findings(t, res.Report, "duplicate_contact"), []string{"blank.gov GONE,NOMAIL"})

		tr := mustTransfer(t, s, TransferOptions{})
		eq(t, "invitations", tr.Invitations, InviteCounts{Created: 1})
		eq(t, "invitation list", invitationList(t, db), []string{"ok.one@example.test | blank.gov | invited"})
		eq(t, "without invitation", findings(t, tr.Report, "domain_without_invitation"), []string{"onlyblank.gov"})
		// The reference's analysis counts one missing invitation per blank row.
		a := analyze(t, db)
		eq(t, "missing invitations", a.MissingInvitations, int64(2))
		eq(t, "domains", a.Domains, int64(2))
		eq(t, "processed", queryInt(t, db, `SELECT count(*) FROM transition_domain WHERE processed`), int64(3))
	})
}

// TestDecision3NamesNormalised: domain names are matched case-insensitively,
// trimmed and without a trailing dot, in every file.
func TestDecision3NamesNormalised(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name                           string // normalised
		contacts, status, escrow, addl string
	}{
		{"alpha.gov", "Alpha.GOV", "alpha.gov", "ALPHA.gov", "Alpha.Gov"},
		{"beta.gov", "beta.gov.", "BETA.GOV.", "beta.gov", "BETA.gov."},
		{"gamma.gov", " gamma.gov ", "Gamma.gov", " GAMMA.GOV. ", "gamma.gov"},
		// The reference's own case: the additional file says TESTDOMAIN.GOV
		// and the escrow file TestDomain.gov, and the reference lost the dates.
		{"testdomain.gov", "TestDomain.gov", "TestDomain.gov", "TestDomain.gov", "TESTDOMAIN.GOV"},
	}
	in := map[string]*strings.Builder{}
	for _, k := range []string{KeyDomainContacts, KeyContacts, KeyStatuses, KeyEscrow, KeyAdditional, KeyOrganization} {
		in[k] = &strings.Builder{}
	}
	in[KeyAdditional].WriteString(hdrAdditional)
	in[KeyOrganization].WriteString(hdrOrgs)
	for i, c := range cases {
		fmt.Fprintf(in[KeyDomainContacts], "%s|N%d|admin\n", c.contacts, i)
		in[KeyContacts].WriteString(contactLine(fmt.Sprintf("N%d", i), fmt.Sprintf("Mixed.Case%d@Example.TEST", i)))
		fmt.Fprintf(in[KeyStatuses], "%s|serverHold|\n", c.status)
		in[KeyEscrow].WriteString(escrowLine(c.escrow, fmt.Sprintf("201%d-03-15T15:45:05Z", i), fmt.Sprintf("202%d-03-15T15:45:05Z", i)))
		fmt.Fprintf(in[KeyAdditional], "%s|1|1|%d|x@example.test|N|purpose\n", c.addl, i)
		fmt.Fprintf(in[KeyOrganization], "%d|Org %d|1 Main St|Town|Ohio|43001|US\n", i, i)
	}
	contents := map[string]string{}
	for k, b := range in {
		contents[k] = b.String()
	}
	files := writeFiles(t, contents)

	engines(t, func(t *testing.T, db *store.DB) {
		s := newService(t, db)
		res := mustLoad(t, s, loadOpts(files))
		for _, k := range []string{"domain_without_status", "missing_escrow_dates", "missing_additional_data"} {
			eq(t, k, findings(t, res.Report, k), []string(nil))
		}
		enrich := stagingEnrichment(t, db)
		staged := stagingRows(t, db)
		mustTransfer(t, s, TransferOptions{})
		states := domainStates(t, db)
		invites := invitationList(t, db)
		eq(t, "staging rows", len(staged), len(cases))
		for i, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				found := false
				for _, r := range staged {
					if r.Domain == c.name {
						found = true
						eq(t, "status", r.Status, "on hold")
						eq(t, "username kept verbatim", r.Username, fmt.Sprintf("Mixed.Case%d@Example.TEST", i))
					}
				}
				if !found {
					t.Fatalf("no staging row for %s in %v", c.name, staged)
				}
				dates := fmt.Sprintf("201%d-03-15 | 202%d-03-15", i, i)
				eq(t, "enrichment", enrich[c.name], fmt.Sprintf("Org %d | <null> | <null> | <null> | <null> | <null> | <null> | <null> | <null> | %s", i, dates))
				eq(t, "domain", states[c.name], fmt.Sprintf("on hold | 202%d-03-15 | 201%d-03-15", i, i))
				want := fmt.Sprintf("mixed.case%d@example.test | %s | invited", i, c.name)
				if !slices.Contains(invites, want) {
					t.Errorf("invitation %q missing from %v", want, invites)
				}
			})
		}
	})
}

// TestDecision5ExistingDomains: a domain that exists before the transfer
// takes the hold transitions; an "unknown" staged status never changes its
// state and is reported (decision 5); a state the transitions cannot leave
// is skipped, its rows left for a later run (reference behaviour).
func TestDecision5ExistingDomains(t *testing.T) {
	t.Parallel()
	type outcome int
	const (
		unchanged outcome = iota
		updated
		skipped
		created
	)
	cases := []struct {
		domain, existing, status string // existing "" = no domain yet
		wantState, finding       string
		want                     outcome
	}{
		{"readyunknown.gov", "ready", "unknown", "ready", "unknown_status_kept ready -> unknown", unchanged},
		{"holdunknown.gov", "on hold", "unknown", "on hold", "unknown_status_kept on hold -> unknown", unchanged},
		{"readyhold.gov", "ready", "serverHold", "on hold", "", updated},
		{"holdok.gov", "on hold", "ok", "ready", "", updated},
		{"readyok.gov", "ready", "ok", "ready", "", unchanged},
		{"dnsok.gov", "dns needed", "ok", "dns needed", "transition_not_allowed dns needed -> ready", skipped},
		{"deletedhold.gov", "deleted", "clientHold", "deleted", "transition_not_allowed deleted -> on hold", skipped},
		// Decision 5 comes first: an unknown status leaves even a dns-needed
		// domain alone, which is a keep, not a skip.
		{"dnsunknown.gov", "dns needed", "unknown", "dns needed", "unknown_status_kept dns needed -> unknown", unchanged},
		{"newunknown.gov", "", "unknown", "unknown", "", created},
	}
	var dc, contacts, statuses strings.Builder
	for i, c := range cases {
		id := fmt.Sprintf("E%d", i)
		fmt.Fprintf(&dc, "%s|%s|admin\n", c.domain, id)
		contacts.WriteString(contactLine(id, fmt.Sprintf("owner%d@example.test", i)))
		fmt.Fprintf(&statuses, "%s|%s|\n", c.domain, c.status)
	}
	files := writeFiles(t, map[string]string{KeyDomainContacts: dc.String(), KeyContacts: contacts.String(), KeyStatuses: statuses.String()})

	engines(t, func(t *testing.T, db *store.DB) {
		s := newService(t, db)
		var want DomainCounts
		for _, c := range cases {
			switch c.want {
			case unchanged:
				want.Unchanged++
			case updated:
				want.Updated++
			case skipped:
				want.Skipped++
			case created:
				want.Created++
			}
			if c.existing != "" {
				if _, err := db.Exec(t.Context(), `INSERT INTO domain (name, state) VALUES (?, ?)`, c.domain, c.existing); err != nil {
					t.Fatal(err)
				}
			}
		}
		mustLoad(t, s, loadOpts(files))
		tr := mustTransfer(t, s, TransferOptions{})
		eq(t, "domain counts", tr.Domains, want)
		got := map[string]string{}
		for _, kind := range []string{"unknown_status_kept", "transition_not_allowed"} {
			for _, f := range findings(t, tr.Report, kind) {
				name, detail, _ := strings.Cut(f, " ")
				got[name] = kind + " " + detail
			}
		}
		states := domainStates(t, db)
		for _, c := range cases {
			t.Run(c.domain, func(t *testing.T) {
				eq(t, "state", states[c.domain], c.wantState+" | <null> | <null>")
				eq(t, "finding", got[c.domain], c.finding)
				processed := queryInt(t, db, `SELECT count(*) FROM transition_domain WHERE domain_name = ? AND processed`, c.domain)
				invites := queryInt(t, db, `SELECT count(*) FROM domain_invitation i JOIN domain d ON d.id = i.domain_id WHERE d.name = ?`, c.domain)
				infos := queryInt(t, db, `SELECT count(*) FROM domain_information i JOIN domain d ON d.id = i.domain_id WHERE d.name = ?`, c.domain)
				wantDone := int64(1)
				if c.want == skipped {
					wantDone = 0 // left for a later run, with nothing created for it
				}
				eq(t, "processed, invitations, information", []int64{processed, invites, infos}, []int64{wantDone, wantDone, wantDone})
			})
		}
	})
}

// informationFiles is a small enriched set for the DomainInformation tests:
// every listed domain gets the organisation "Staged Org <n>", the domain
// type "Federal - Judicial", an active federal agency and a senior official.
func informationFiles(t *testing.T, domains ...string) Files {
	t.Helper()
	var dc, addl, orgs strings.Builder
	addl.WriteString(hdrAdditional)
	orgs.WriteString(hdrOrgs)
	for i, d := range domains {
		fmt.Fprintf(&dc, "%s|I1|admin\n", d)
		fmt.Fprintf(&addl, "%s|1|1|%d|x@example.test|N|purpose\n", d, i)
		fmt.Fprintf(&orgs, "%d|Staged Org %d|1 Main St|Town|Ohio|43001|US\n", i, i)
	}
	return writeFiles(t, map[string]string{
		KeyDomainContacts: dc.String(),
		KeyContacts:       contactLine("I1", "info.manager@example.test"),
		KeyStatuses:       "",
		KeyAdditional:     addl.String(),
		KeyOrganization:   orgs.String(),
		KeyDomainTypes:    hdrTypes + "1|Federal - Judicial|FJ|Y\n",
		KeyAuthority:      hdrAuthority + "1|Staged|M|Official|staged.official@example.test|555-0101|1|x\n",
		KeyAgency:         hdrAgency + "1|Department of Examples|Y|Y\n",
	})
}

// TestDecision6FillOnlyEmpty: an existing DomainInformation keeps every
// non-empty value; only empty fields are filled, and never with a blank.
func TestDecision6FillOnlyEmpty(t *testing.T) {
	t.Parallel()
	const staged = "Department of Examples"
	cases := []struct {
		domain string
		// existing DomainInformation: org name, org type, federal type, agency (null = NULL)
		org, orgType, fedType, agency string
		existingSO                    bool
		inFiles                       bool
		want                          string // org | type | fed type | agency | SO first name
		changed                       bool
	}{
		{"keepname.gov", "test org name", null, null, null, false, true, "test org name | federal | judicial | " + staged + " | Staged", true},
		{"emptyname.gov", "", null, null, null, false, true, "Staged Org 1 | federal | judicial | " + staged + " | Staged", true},
		{"partial.gov", "Own Org", "federal", null, "Own Agency", false, true, "Own Org | federal | judicial | Own Agency | Staged", true},
		{"sokept.gov", "Own Org", "tribal", "", "Own Agency", true, true, "Own Org | tribal | judicial | Own Agency | Existing", true},
		{"complete.gov", "Own Org", "tribal", "executive", "Own Agency", true, true, "Own Org | tribal | executive | Own Agency | Existing", false},
		// Nothing staged for it beyond the core files: blanks never overwrite.
		{"notstaged.gov", "Own Org", "county", null, "Own Agency", false, false, "Own Org | county | <null> | Own Agency | <null>", false},
	}
	var names []string
	for _, c := range cases {
		if c.inFiles {
			names = append(names, c.domain)
		}
	}
	files := informationFiles(t, names...)
	coreOnly := writeFiles(t, map[string]string{
		KeyDomainContacts: "notstaged.gov|I1|admin\n",
		KeyContacts:       contactLine("I1", "info.manager@example.test"),
		KeyStatuses:       "",
	})

	engines(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		s := newService(t, db)
		var existing int64
		if err := db.QueryRow(ctx, `INSERT INTO contact (first_name, last_name, email) VALUES ('Existing', 'Official', 'existing@example.test') RETURNING id`).Scan(&existing); err != nil {
			t.Fatal(err)
		}
		nullable := func(v string) any {
			if v == null {
				return nil
			}
			return v
		}
		var wantUpdated int64
		for _, c := range cases {
			var so any
			if c.existingSO {
				so = existing
			}
			if _, err := db.Exec(ctx, `INSERT INTO domain (name, state) VALUES (?, 'ready')`, c.domain); err != nil {
				t.Fatal(err)
			}
			if _, err := db.Exec(ctx, `INSERT INTO domain_information (domain_id, organization_name, generic_org_type, federal_type, federal_agency, senior_official_id)
				SELECT id, ?, ?, ?, ?, ? FROM domain WHERE name = ?`, nullable(c.org), nullable(c.orgType), nullable(c.fedType), nullable(c.agency), so, c.domain); err != nil {
				t.Fatal(err)
			}
			if c.changed {
				wantUpdated++
			}
		}
		// notstaged.gov comes from a load without enrichment files; the
		// other domains from one with them.
		mustLoad(t, s, loadOpts(coreOnly))
		mustLoad(t, s, loadOpts(files))

		tr := mustTransfer(t, s, TransferOptions{})
		eq(t, "information counts", tr.DomainInformation, ObjectCounts{Updated: wantUpdated, Unchanged: int64(len(cases)) - wantUpdated})
		eq(t, "journalled updates", queryInt(t, db, `SELECT count(*) FROM ferry_journal WHERE entity = 'domain_information'`), wantUpdated)
		got := queryStrings(t, db, `SELECT d.name, di.organization_name, di.generic_org_type, di.federal_type, di.federal_agency, c.first_name
			FROM domain_information di JOIN domain d ON d.id = di.domain_id LEFT JOIN contact c ON c.id = di.senior_official_id`)
		info := map[string]string{}
		for _, l := range got {
			name, rest, _ := strings.Cut(l, " | ")
			info[name] = rest
		}
		for _, c := range cases {
			t.Run(c.domain, func(t *testing.T) {
				eq(t, "information", info[c.domain], c.want)
			})
		}
		// A second transfer finds nothing to do and changes nothing.
		before := snapshot(t, db)
		tr2 := mustTransfer(t, s, TransferOptions{})
		eq(t, "second transfer", tr2.DomainInformation, ObjectCounts{})
		assertSnapshot(t, "second transfer", before, snapshot(t, db))
	})
}

// TestDecision6DomainIdempotent is the reference's test_domain_idempotent on
// invented files: an existing ready testdomain.gov expiring 2000-01-01 with
// DomainInformation "test org name". ferry sets the escrow expiration
// (decision 3) and keeps the name (decision 6); a second transfer is a no-op.
func TestDecision6DomainIdempotent(t *testing.T) {
	t.Parallel()
	files := writeFiles(t, map[string]string{
		KeyDomainContacts: "TestDomain.gov|TESTUSER|admin\n",
		KeyContacts:       contactLine("TESTUSER", "test.user@example.test"),
		KeyStatuses:       "TestDomain.gov|ok|\n",
		KeyEscrow:         escrowLine("TestDomain.gov", "2014-03-15T15:45:05Z", "2023-03-15T15:45:05Z"),
		KeyAdditional:     hdrAdditional + "TESTDOMAIN.GOV|2|2|2|x@example.test|Y|purpose\n",
		KeyDomainTypes:    hdrTypes + "2|Courts|CT|N\n",
		KeyOrganization:   hdrOrgs + "2|Gigaclub|782 Mosinee Lane|Alexandria|Louisiana|71307|US\n",
		KeyAuthority:      hdrAuthority + "2|Fay||Example|fay.example@example.test|555-0102|2|x\n",
		KeyAgency:         hdrAgency + "2|Minyx|Y|N\n",
	})
	engines(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		s := newService(t, db)
		if _, err := db.Exec(ctx, `INSERT INTO domain (name, state, expiration_date) VALUES ('testdomain.gov', 'ready', `+db.Dialect().Date("'2000-01-01'")+`)`); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(ctx, `INSERT INTO domain_information (domain_id, organization_name) SELECT id, 'test org name' FROM domain`); err != nil {
			t.Fatal(err)
		}
		mustLoad(t, s, loadOpts(files))
		tr := mustTransfer(t, s, TransferOptions{})
		eq(t, "domains", tr.Domains, DomainCounts{Updated: 1})
		eq(t, "information", tr.DomainInformation, ObjectCounts{Updated: 1})
		eq(t, "domain", domainStates(t, db), map[string]string{"testdomain.gov": "ready | 2023-03-15 | 2014-03-15"})
		eq(t, "information row", domainInformation(t, db), map[string]string{
			"testdomain.gov": "test org name | <null> | <null> | <null> | Fay |  | Example | fay.example@example.test | 555-0102 | <null>"})
		eq(t, "invitations", invitationList(t, db), []string{"test.user@example.test | testdomain.gov | invited"})

		before := snapshot(t, db)
		tr2 := mustTransfer(t, s, TransferOptions{})
		eq(t, "second transfer", []any{tr2.Domains, tr2.DomainInformation, tr2.Invitations}, []any{DomainCounts{}, ObjectCounts{}, InviteCounts{}})
		assertSnapshot(t, "second transfer", before, snapshot(t, db))
	})
}

// TestDecision7FederalAgency: the agency is matched by name,
// case-insensitively, against the agency file; only an active federal
// agency becomes DomainInformation's federal agency.
func TestDecision7FederalAgency(t *testing.T) {
	t.Parallel()
	cases := []struct {
		domain string
		staged string // the staging row's agency text; null = none
		want   string
	}{
		{"exact.gov", "Department of Commerce", "Department of Commerce"},
		{"upper.gov", "DEPARTMENT OF COMMERCE", "Department of Commerce"},
		{"lower.gov", "innoz", "InnoZ"},
		// Active but not federal: the decisions leave this open; ferry keeps
		// it in staging only.
		{"nonfederal.gov", "Minyx", null},
		{"inactive.gov", "Thoughtstorm", null},
		{"unlisted.gov", "Ministry of Nowhere", null},
		{"none.gov", null, null},
	}
	files := writeFiles(t, map[string]string{
		KeyDomainContacts: "agencyfile.gov|A1|admin\n",
		KeyContacts:       contactLine("A1", "agency.reader@example.test"),
		KeyStatuses:       "agencyfile.gov|ok|\n",
		KeyAgency:         hdrAgency + "1|Department of Commerce|Y|Y\n2|Minyx|Y|N\n3|Thoughtstorm|N|Y\n4|InnoZ|Y|Y\n",
	})
	engines(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		s := newService(t, db)
		res := mustLoad(t, s, loadOpts(files))
		eq(t, "agencies kept", res.Agencies, int64(4))
		for _, c := range cases {
			var agency any
			if c.staged != null {
				agency = c.staged
			}
			if _, err := db.Exec(ctx, `INSERT INTO transition_domain (username, domain_name, status, processed, federal_agency)
				VALUES ('agency.reader@example.test', ?, 'ready', false, ?)`, c.domain, agency); err != nil {
				t.Fatal(err)
			}
		}
		mustTransfer(t, s, TransferOptions{})
		info := domainInformation(t, db)
		for _, c := range cases {
			t.Run(c.domain, func(t *testing.T) {
				fields := strings.Split(info[c.domain], " | ")
				if len(fields) < 4 {
					t.Fatalf("no DomainInformation for %s: %q", c.domain, info[c.domain])
				}
				eq(t, "federal agency", fields[3], c.want)
			})
		}

		// A later agency file that retires an agency updates the kept list
		// (matched case-insensitively), and later transfers no longer use it.
		later := writeFiles(t, map[string]string{
			KeyDomainContacts: "agencyfile.gov|A1|admin\n",
			KeyContacts:       contactLine("A1", "agency.reader@example.test"),
			KeyStatuses:       "agencyfile.gov|ok|\n",
			KeyAgency:         hdrAgency + "4|INNOZ|N|Y\n",
		})
		res = mustLoad(t, s, loadOpts(later))
		eq(t, "agencies changed", res.Agencies, int64(1))
		eq(t, "agency list", queryStrings(t, db, `SELECT name, CASE WHEN active THEN 'active' ELSE 'inactive' END FROM federal_agency ORDER BY name`),
			[]string{"Department of Commerce | active", "InnoZ | inactive", "Minyx | active", "Thoughtstorm | inactive"})
		if _, err := db.Exec(ctx, `INSERT INTO transition_domain (username, domain_name, status, processed, federal_agency)
			VALUES ('agency.reader@example.test', 'retired.gov', 'ready', false, 'InnoZ')`); err != nil {
			t.Fatal(err)
		}
		mustTransfer(t, s, TransferOptions{})
		eq(t, "retired agency", strings.Split(domainInformation(t, db)["retired.gov"], " | ")[3], null)
	})
}
