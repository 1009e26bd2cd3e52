package escrow

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// fixtureDir holds the reference project's test data, shared next to the
// repository rather than copied into it.
const fixtureDir = "../../../shared/fixtures/getgov"

func fixture(t *testing.T, name string) string {
	t.Helper()
	path := filepath.Join(fixtureDir, name)
	if _, err := os.Stat(path); err != nil {
		t.Skipf("reference fixtures not available (%s): %v", fixtureDir, err)
	}
	return path
}

// readFixture reads one fixture file and insists that it is clean: the
// reference fixtures contain no malformed rows, so any reject is a bug.
func readFixture[T any](t *testing.T, newR newFunc[T], name string) []T {
	t.Helper()
	path := fixture(t, name)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	got := readAll(newR, bytes.NewReader(data), Options{File: name})
	if got.err != nil {
		t.Fatalf("%s: %v", name, got.err)
	}
	if len(got.rejects) != 0 {
		t.Errorf("%s: unexpected rejects %v", name, got.rejects)
	}
	if got.stats.Lines != got.stats.Records {
		t.Errorf("%s: stats %+v", name, got.stats)
	}
	if got.pos.Offset != int64(len(data)) {
		t.Errorf("%s: final Offset %d, file has %d bytes", name, got.pos.Offset, len(data))
	}
	return got.recs
}

func TestFixtureDomainContacts(t *testing.T) {
	recs := readFixture(t, NewDomainContactReader, "test_domain_contacts.txt")
	type pair struct{ domain, contact, role string }
	var got []pair
	for _, r := range recs {
		got = append(got, pair{r.Domain, r.ContactID, r.Role})
	}
	want := []pair{
		{"anomaly.gov", "ANOMALY", "tech"},
		{"testdomain.gov", "TESTUSER", "admin"},
		{"fakewebsite1.gov", "USER1", "admin"},
		{"fakewebsite1.gov", "USER2", "tech"},
		{"fakewebsite1.gov", "USER3", "billing"},
		{"fakewebsite2.gov", "USER4", "admin"},
		{"fakewebsite2.gov", "USER5", "billing"},
		{"fakewebsite2.gov", "USER6", "tech"},
		{"fakewebsite3.gov", "USER7", "admin"},
		{"fakewebsite3.gov", "USER8", "billing"},
		{"fakewebsite3.gov", "USER9", "tech"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
	if recs[10].Line != 11 {
		t.Errorf("last row on line %d, want 11", recs[10].Line)
	}
}

func TestFixtureContacts(t *testing.T) {
	recs := readFixture(t, NewContactReader, "test_contacts.txt")
	got := map[string]string{}
	for _, r := range recs {
		got[r.ID] = r.Email
	}
	want := map[string]string{
		"TESTUSER": "testuser@gmail.com",
		"USER1":    "agustina.wyman7@test.com",
		"USER2":    "susy.martin4@test.com",
		"USER3":    "stephania.winters4@test.com",
		"USER4":    "alexandra.bobbitt5@test.com",
		"USER5":    "jospeh.mcdowell3@test.com",
		"USER6":    "reginald.ratcliff4@test.com",
		"USER7":    "reginald.ratcliff4@test.com",
		"USER8":    "reginald.ratcliff4@test.com",
		"USER9":    "reginald.ratcliff4@test.com",
	}
	if len(recs) != 10 || !reflect.DeepEqual(got, want) {
		t.Errorf("%d rows: %v", len(recs), got)
	}
}

func TestFixtureDomainStatuses(t *testing.T) {
	recs := readFixture(t, NewDomainStatusReader, "test_domain_statuses.txt")
	var got []DomainStatus
	for _, r := range recs {
		got = append(got, DomainStatus{Domain: r.Domain, Status: r.Status})
	}
	want := []DomainStatus{
		{Domain: "anomaly.gov", Status: "muahaha"},
		{Domain: "testdomain.gov", Status: "ok"},
		{Domain: "fakewebsite1.gov", Status: "serverhold"},
		{Domain: "fakewebsite2.gov", Status: "hold"},
		{Domain: "fakewebsite3.gov", Status: "unknown"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v", got)
	}
}

func TestFixtureEscrowDomains(t *testing.T) {
	recs := readFixture(t, NewEscrowDomainReader, "test_escrow_domains_daily.txt")
	got := map[string][2]string{}
	for _, r := range recs {
		got[r.Domain] = [2]string{r.Created.String(), r.Expires.String()}
	}
	want := map[string][2]string{
		"anomaly.gov":      {"2008-03-09", "2023-03-09"},
		"testdomain.gov":   {"2014-03-15", "2023-03-15"},
		"fakewebsite1.gov": {"2020-06-14", "2023-06-14"},
		"fakewebsite2.gov": {"2004-05-07", "2023-09-30"},
		"fakewebsite3.gov": {"2004-05-07", "2023-09-30"},
	}
	if len(recs) != 5 || !reflect.DeepEqual(got, want) {
		t.Errorf("%d rows: %v", len(recs), got)
	}
}

func TestFixtureAdditional(t *testing.T) {
	recs := readFixture(t, NewAdditionalReader, "test_domain_additional.txt")
	var got [][4]string
	for _, r := range recs {
		got = append(got, [4]string{r.Domain, r.DomainTypeID, r.AuthorityID, r.OrgID})
	}
	want := [][4]string{
		{"anomaly.gov", "1", "1", "1"},
		// TESTDOMAIN.GOV here, TestDomain.gov in the escrow file: both
		// normalize to the same key (decision 3).
		{"testdomain.gov", "2", "2", "2"},
		{"fakewebsite1.gov", "3", "3", "3"},
		{"fakewebsite2.gov", "4", "4", "4"},
		{"fakewebsite3.gov", "13", "5", "5"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v", got)
	}
}

func TestFixtureDomainTypes(t *testing.T) {
	recs := readFixture(t, NewDomainTypeReader, "test_domain_types_adhoc.txt")
	byID := map[string]DomainType{}
	var active []string
	for _, r := range recs {
		byID[r.ID] = r
		if r.Active {
			active = append(active, r.ID)
		}
	}
	if len(recs) != 17 {
		t.Errorf("%d rows, want 17", len(recs))
	}
	if want := []string{"14", "15", "16", "4", "9", "10", "12", "13", "17"}; !reflect.DeepEqual(active, want) {
		t.Errorf("active %v, want %v", active, want)
	}
	for id, want := range map[string][2]string{
		"4":  {"Federal", "Executive"},
		"14": {"Federal", "Legislative"},
		"15": {"Federal", "Judicial"},
		"13": {"City", ""},
		"3":  {"Federal Government Program", ""},
		"8":  {"Not Top", "Level"},
	} {
		if got := byID[id]; got.OrgType != want[0] || got.FederalType != want[1] {
			t.Errorf("type %s = %q/%q, want %q/%q", id, got.OrgType, got.FederalType, want[0], want[1])
		}
	}
}

func TestFixtureOrganizations(t *testing.T) {
	recs := readFixture(t, NewOrganizationReader, "test_organization_adhoc.txt")
	want := []Organization{
		{Line: 2, ID: "1", Name: "Flashdog", Street: "298 Monument Hill", City: "Lakeland", State: "Florida", Zip: "33805", Country: "US"},
		{Line: 3, ID: "2", Name: "Gigaclub", Street: "782 Mosinee Lane", City: "Alexandria", State: "Louisiana", Zip: "71307", Country: "US"},
		{Line: 4, ID: "3", Name: "corrupt data", Street: "376 Joe Pass", City: "Waco | corruption", State: "Texas", Zip: "76705", Country: "US"},
		{Line: 5, ID: "4", Name: "Fanoodle", Street: "93001 Arizona Drive", City: "Columbus", State: "Ohio", Zip: "43268", Country: "US"},
		{Line: 6, ID: "5", Name: "Sushi", Street: "9999 Sushi Way", City: "Columbus", State: "Ohio", Zip: "43268", Country: "US"},
	}
	if !reflect.DeepEqual(recs, want) {
		t.Errorf("got %+v", recs)
	}
	// Decision 4: full names become codes instead of being truncated.
	var codes []string
	for _, r := range recs {
		code, ok := StateCode(r.State)
		if !ok {
			t.Errorf("no code for %q", r.State)
		}
		codes = append(codes, code)
	}
	if want := []string{"FL", "LA", "TX", "OH", "OH"}; !reflect.DeepEqual(codes, want) {
		t.Errorf("codes %v, want %v", codes, want)
	}
}

func TestFixtureAuthorities(t *testing.T) {
	recs := readFixture(t, NewAuthorityReader, "test_authority_adhoc.txt")
	want := []Authority{
		{Line: 2, ID: "1", First: "Gregoor", Middle: "middle", Last: "Kalinke", Email: "gkalinke0@indiegogo.com", Phone: "(773) 172-5515", AgencyID: "1"},
		{Line: 3, ID: "2", First: "Fayre", Last: "Filippozzi", Email: "ffilippozzi1@hugedomains.com", Phone: "(357) 487-4280", AgencyID: "2"},
		{Line: 4, ID: "3", First: "Gabey", Last: "Lightbody", Email: "glightbody2@fc2.com", Phone: "(332) 816-5691", AgencyID: "3"},
		{Line: 5, ID: "4", First: "Seline", Middle: "testmiddle2", Last: "Tower", Email: "stower3@answers.com", Phone: "151-539-6028", AgencyID: "4"},
		{Line: 6, ID: "5", First: "Joe", Middle: "testmiddle", Last: "Smoe", Email: "joe@smoe.gov", Phone: "(111) 111-1111", AgencyID: "5"},
	}
	if !reflect.DeepEqual(recs, want) {
		t.Errorf("got %+v", recs)
	}
}

func TestFixtureAgencies(t *testing.T) {
	recs := readFixture(t, NewAgencyReader, "test_agency_adhoc.txt")
	want := []Agency{
		{Line: 2, ID: "1", Name: "Thoughtstorm", Active: false, Federal: true},
		{Line: 3, ID: "2", Name: "Minyx", Active: true, Federal: false},
		{Line: 4, ID: "3", Name: "Demivee", Active: false, Federal: true},
		{Line: 5, ID: "4", Name: "Department of Commerce", Active: true, Federal: true},
		{Line: 6, ID: "5", Name: "InnoZ", Active: true, Federal: true},
	}
	if !reflect.DeepEqual(recs, want) {
		t.Errorf("got %+v", recs)
	}
}

// The 2023-11-06 versions use CRLF and a domain without ".gov".
func TestFixtureHistory(t *testing.T) {
	for _, name := range []string{"test_domain_contacts.txt", "test_contacts.txt", "test_domain_statuses.txt"} {
		data, err := os.ReadFile(fixture(t, filepath.Join("history-2023-11-06", name)))
		if err != nil {
			t.Fatal(err)
		}
		if name != "test_contacts.txt" && !bytes.Contains(data, []byte("\r\n")) {
			t.Errorf("%s: expected CRLF line ends", name)
		}
	}

	dc := readFixture(t, NewDomainContactReader, "history-2023-11-06/test_domain_contacts.txt")
	var domains []string
	for _, r := range dc {
		domains = append(domains, r.Domain)
		if r.Role != "admin" && r.Role != "tech" && r.Role != "billing" {
			t.Errorf("line %d: role %q (a CR left over?)", r.Line, r.Role)
		}
	}
	wantDomains := []string{"anomaly.gov", "testdomain.gov",
		"fakewebsite1", "fakewebsite1", "fakewebsite1",
		"fakewebsite2.gov", "fakewebsite2.gov", "fakewebsite2.gov"}
	if !reflect.DeepEqual(domains, wantDomains) {
		t.Errorf("domains %v, want %v", domains, wantDomains)
	}

	ct := readFixture(t, NewContactReader, "history-2023-11-06/test_contacts.txt")
	if len(ct) != 7 || ct[6].ID != "USER6" || ct[6].Email != "reginald.ratcliff4@test.com" {
		t.Errorf("contacts %+v", ct)
	}

	st := readFixture(t, NewDomainStatusReader, "history-2023-11-06/test_domain_statuses.txt")
	var got []DomainStatus
	for _, r := range st {
		got = append(got, DomainStatus{Domain: r.Domain, Status: r.Status})
	}
	want := []DomainStatus{
		{Domain: "anomaly.gov", Status: "muahaha"},
		{Domain: "testdomain.gov", Status: "ok"},
		{Domain: "fakewebsite1.gov", Status: "serverhold"},
		{Domain: "fakewebsite2.gov", Status: "hold"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("statuses %v", got)
	}
}
