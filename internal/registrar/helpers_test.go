package registrar

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/ferrymigrate/ferry/internal/engine"
	"github.com/ferrymigrate/ferry/internal/store"
	"github.com/ferrymigrate/ferry/internal/store/storetest"
)

// fixtureDir holds the reference project's test data, shared next to the
// repository rather than copied into it (see its README).
const fixtureDir = "../../../shared/fixtures/getgov"

// ownDir is ferry's own escrow set: invented data with the same shapes and
// scenarios as the reference fixtures, so the suite covers that ground even
// when the shared folder is absent.
const ownDir = "testdata/escrow"

// null stands for SQL NULL in the string tables below, so that "no value"
// and "empty string" (an empty middle name) stay distinguishable.
const null = "<null>"

// requireFixtures skips the test when the shared reference fixtures are absent.
func requireFixtures(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(fixtureDir, "test_migrationFilepaths.json")); err != nil {
		t.Skipf("reference fixtures not available in %s (they live outside the repository): %v", fixtureDir, err)
	}
}

// fixtureFiles resolves the reference manifest the way the reference tests
// use it: the manifest's own "directory" key is overridden by Directory.
func fixtureFiles(t *testing.T) Files {
	t.Helper()
	requireFixtures(t)
	files, err := FileSource{Directory: fixtureDir, Manifest: "test_migrationFilepaths.json"}.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// historyFiles are the 2023-11-06 versions of the three core files, given
// positionally as the loader of that time took them.
func historyFiles(t *testing.T) Files {
	t.Helper()
	requireFixtures(t)
	dir := filepath.Join(fixtureDir, "history-2023-11-06")
	return Files{
		KeyDomainContacts: filepath.Join(dir, "test_domain_contacts.txt"),
		KeyContacts:       filepath.Join(dir, "test_contacts.txt"),
		KeyStatuses:       filepath.Join(dir, "test_domain_statuses.txt"),
	}
}

// ownFiles resolves ferry's own set through its manifest in the default place.
func ownFiles(t *testing.T) Files {
	t.Helper()
	files, err := FileSource{Directory: ownDir}.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(ManifestKeys) {
		t.Fatalf("own manifest names %d files, want %d: %v", len(files), len(ManifestKeys), files)
	}
	return files
}

// core keeps only the three core files of a set.
func core(f Files) Files {
	return Files{KeyDomainContacts: f[KeyDomainContacts], KeyContacts: f[KeyContacts], KeyStatuses: f[KeyStatuses]}
}

// writeFiles writes small escrow files, keyed by manifest key, into a fresh
// directory and returns them as a file set.
func writeFiles(t *testing.T, contents map[string]string) Files {
	t.Helper()
	dir := t.TempDir()
	files := Files{}
	for k, body := range contents {
		p := filepath.Join(dir, k+".txt")
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		files[k] = p
	}
	return files
}

// Header lines of the enrichment files, for tests that write their own.
const (
	hdrAdditional = "domainname|domaintypeid|authorityid|orgid|securitycontactemail|dnsseckeymonitor|domainpurpose\n"
	hdrTypes      = "domaintypeid|domaintype|code|active\n"
	hdrOrgs       = "orgid|orgname|orgstreet|orgcity|orgstate|orgzip|orgcountrycode\n"
	hdrAuthority  = "authorityid|firstname|middlename|lastname|email|phonenumber|agencyid|addlinfo\n"
	hdrAgency     = "agencyid|agencyname|active|isfederal\n"
)

// contactLine is one row of the contacts file in the export's layout: 14
// fields and a trailing separator, with the e-mail at index 6.
func contactLine(id, email string) string {
	return id + "|" + id + "_ROID|555-0100||555-0199||" + email + "|REG|ACMECO|batch|2021-01-01T00:00:00Z|ACMECO|batch|2021-01-02T00:00:00Z|\n"
}

// escrowLine is one row of the escrow-domains file with the given CrDate and ExDate.
func escrowLine(domain, created, expires string) string {
	return domain + "|ROID||reg|REG|REG|batch|" + created + "|REG|batch|2022-01-01T00:00:00Z|" + expires + "|2020-01-01T00:00:00Z\n"
}

// loadOpts is a load of files with no reject threshold; the zero
// MaxRejects would refuse the first bad row.
func loadOpts(files Files) LoadOptions {
	return LoadOptions{Files: files, MaxRejects: -1}
}

func mustLoad(t *testing.T, s *Service, opts LoadOptions) LoadResult {
	t.Helper()
	res, err := s.LoadTransitionDomains(t.Context(), opts)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	checkLoadSums(t, res)
	return res
}

func mustTransfer(t *testing.T, s *Service, opts TransferOptions) TransferResult {
	t.Helper()
	res, err := s.Transfer(t.Context(), opts)
	if err != nil {
		t.Fatalf("transfer: %v", err)
	}
	return res
}

// checkLoadSums asserts decision 11's invariants on every load the suite
// runs: each row of the domain contacts file lands in exactly one outcome,
// and the skipped rows are exactly their breakdown.
func checkLoadSums(t *testing.T, r LoadResult) {
	t.Helper()
	c := r.Rows
	if c.Read != c.Created+c.Updated+c.Skipped+c.Rejected {
		t.Errorf("load counts do not add up: %+v", c)
	}
	if c.Skipped != r.Duplicates+r.Unchanged+r.Processed {
		t.Errorf("skipped %d != duplicates %d + unchanged %d + already processed %d", c.Skipped, r.Duplicates, r.Unchanged, r.Processed)
	}
	var total int64
	for _, f := range r.Files {
		total += f.Rejected
		if f.Key == KeyDomainContacts && f.Records+f.Rejected != c.Read {
			t.Errorf("domain contacts file: %d records + %d rejected != %d read", f.Records, f.Rejected, c.Read)
		}
	}
	if total != r.TotalRejected {
		t.Errorf("TotalRejected %d, files say %d", r.TotalRejected, total)
	}
}

// newDB opens another fresh database on the same engine as db.
func newDB(t *testing.T, db *store.DB) *store.DB {
	t.Helper()
	if db.Dialect() == store.Postgres {
		return storetest.Postgres(t, schema...)
	}
	return storetest.SQLite(t, schema...)
}

// schema is what the registrar's tests run on: the engine's tables and
// the registrar's own.
var schema = []store.Migrations{engine.Migrations, Migrations}

// engines runs fn on every database engine, on a fresh migrated database.
func engines(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	storetest.Engines(t, fn, schema...)
}

// newService returns a Service on its own engine over db, closed when the
// test ends. Two services on one database behave as two ferry processes.
func newService(t *testing.T, db *store.DB) *Service {
	t.Helper()
	h := &progressHook{}
	e := engine.New(db, engine.WithObserver(h.observe))
	t.Cleanup(func() { e.Close() })
	s := New(e)
	hooksMu.Lock()
	hooks[s] = h
	hooksMu.Unlock()
	return s
}

// progressHook passes a service's progress events to whatever the test
// wants to see them at the moment.
type progressHook struct {
	mu sync.Mutex
	fn func(engine.Event)
}

func (h *progressHook) observe(ev engine.Event) {
	h.mu.Lock()
	fn := h.fn
	h.mu.Unlock()
	if fn != nil {
		fn(ev)
	}
}

var (
	hooksMu sync.Mutex
	hooks   = map[*Service]*progressHook{}
)

// setProgress has fn see the progress events of s from now on; nil stops it.
func setProgress(s *Service, fn func(engine.Event)) {
	hooksMu.Lock()
	h := hooks[s]
	hooksMu.Unlock()
	h.mu.Lock()
	h.fn = fn
	h.mu.Unlock()
}

// referenceTransfer loads files into a fresh database of db's engine and
// transfers them without interruption: what other runs are compared with.
func referenceTransfer(t *testing.T, db *store.DB, files Files, opts TransferOptions) (*store.DB, TransferResult) {
	t.Helper()
	refDB := newDB(t, db)
	ref := newService(t, refDB)
	mustLoad(t, ref, loadOpts(files))
	return refDB, mustTransfer(t, ref, opts)
}

func queryInt(t *testing.T, q store.Querier, query string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := q.QueryRow(t.Context(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func countRows(t *testing.T, q store.Querier, table string) int64 {
	t.Helper()
	return queryInt(t, q, `SELECT count(*) FROM `+table)
}

// queryStrings runs a query whose columns are all text (NULL allowed) and
// returns each row as its values joined by " | ", in query order.
func queryStrings(t *testing.T, q store.Querier, query string, args ...any) []string {
	t.Helper()
	rows, err := q.Query(t.Context(), query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	out := []string{}
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		parts := make([]string, len(vals))
		for i, v := range vals {
			parts[i] = v.String
			if !v.Valid {
				parts[i] = null
			}
		}
		out = append(out, strings.Join(parts, " | "))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// stagingRow is a TransitionDomain row without its enrichment.
type stagingRow struct {
	Domain, Username, Status, EPPStatuses, Roles string
	EmailSent, Processed                         bool
}

// stagingRows returns the staging table sorted by domain and username in
// byte order (the engines' collations differ).
func stagingRows(t *testing.T, q store.Querier) []stagingRow {
	t.Helper()
	rows, err := q.Query(t.Context(), `SELECT domain_name, username, status, epp_statuses, contact_roles, email_sent, processed FROM transition_domain`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := []stagingRow{}
	for rows.Next() {
		var r stagingRow
		if err := rows.Scan(&r.Domain, &r.Username, &r.Status, &r.EPPStatuses, &r.Roles, &r.EmailSent, &r.Processed); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Domain != out[j].Domain {
			return out[i].Domain < out[j].Domain
		}
		return out[i].Username < out[j].Username
	})
	return out
}

// stagingEnrichment returns, per domain, the enrichment every staging row
// of that domain carries; it fails if two rows of a domain disagree.
// Columns: org name, org type, federal type, agency, SO first, middle,
// last, e-mail, phone, creation date, expiration date.
func stagingEnrichment(t *testing.T, q store.Querier) map[string]string {
	t.Helper()
	d := q.Dialect()
	lines := queryStrings(t, q, `SELECT domain_name, organization_name, generic_org_type, federal_type, federal_agency,
		first_name, middle_name, last_name, email, phone, `+d.DateText("epp_creation_date")+`, `+d.DateText("epp_expiration_date")+`
		FROM transition_domain`)
	out := map[string]string{}
	for _, l := range lines {
		name, rest, _ := strings.Cut(l, " | ")
		if prev, ok := out[name]; ok && prev != rest {
			t.Errorf("staging rows of %s disagree:\n %s\n %s", name, prev, rest)
		}
		out[name] = rest
	}
	return out
}

// domainStates returns "state | expiration | registry creation" per domain.
func domainStates(t *testing.T, q store.Querier) map[string]string {
	t.Helper()
	d := q.Dialect()
	out := map[string]string{}
	for _, l := range queryStrings(t, q, `SELECT name, state, `+d.DateText("expiration_date")+`, `+d.DateText("registry_created_at")+` FROM domain`) {
		name, rest, _ := strings.Cut(l, " | ")
		out[name] = rest
	}
	return out
}

// domainInformation returns, per domain, "org name | org type | federal
// type | agency | SO first | middle | last | e-mail | phone | requester".
func domainInformation(t *testing.T, q store.Querier) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, l := range queryStrings(t, q, `SELECT d.name, di.organization_name, di.generic_org_type, di.federal_type, di.federal_agency,
		c.first_name, c.middle_name, c.last_name, c.email, c.phone, u.username
		FROM domain_information di JOIN domain d ON d.id = di.domain_id
		LEFT JOIN contact c ON c.id = di.senior_official_id LEFT JOIN registrar_user u ON u.id = di.requester_id`) {
		name, rest, _ := strings.Cut(l, " | ")
		out[name] = rest
	}
	return out
}

// invitationList returns "e-mail | domain | status", sorted.
func invitationList(t *testing.T, q store.Querier) []string {
	t.Helper()
	out := queryStrings(t, q, `SELECT i.email, d.name, i.status FROM domain_invitation i JOIN domain d ON d.id = i.domain_id`)
	sort.Strings(out)
	return out
}

func analyze(t *testing.T, q store.Querier) Analysis {
	t.Helper()
	a, err := Analyze(t.Context(), q)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// findings returns a report's findings of one kind as "subject detail"
// strings, sorted; it also checks that the count matches the samples.
func findings(t *testing.T, rep Report, kind string) []string {
	t.Helper()
	item, ok := rep[kind]
	if !ok {
		return nil
	}
	out := []string{}
	for _, f := range item.Samples {
		out = append(out, strings.TrimSpace(f.Subject+" "+f.Detail))
	}
	sort.Strings(out)
	if int64(len(out)) != item.Count && len(out) < reportSamples {
		t.Errorf("finding %s: count %d but %d samples", kind, item.Count, len(out))
	}
	return out
}

// reportKinds lists the kinds a report holds, sorted.
func reportKinds(rep Report) []string {
	var out []string
	for k := range rep {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// tables are the tables whose row counts a dry run or a no-op must not change.
var tables = []string{"transition_domain", "domain", "domain_invitation", "domain_information", "contact",
	"registrar_user", "user_domain_role", "federal_agency", "ferry_finding", "ferry_journal"}

// snapshot captures everything a no-op must leave alone: row counts, the
// staging flags and the domains.
type dbSnapshot struct {
	Counts  map[string]int64
	Staging []stagingRow
	Domains map[string]string
	Info    map[string]string
	Invites []string
}

func snapshot(t *testing.T, q store.Querier) dbSnapshot {
	t.Helper()
	s := dbSnapshot{Counts: map[string]int64{}}
	for _, tb := range tables {
		s.Counts[tb] = countRows(t, q, tb)
	}
	s.Staging = stagingRows(t, q)
	s.Domains = domainStates(t, q)
	s.Info = domainInformation(t, q)
	s.Invites = invitationList(t, q)
	return s
}

func assertSnapshot(t *testing.T, what string, before, after dbSnapshot) {
	t.Helper()
	if !reflect.DeepEqual(before, after) {
		t.Errorf("%s changed the database:\nbefore %+v\nafter  %+v", what, before, after)
	}
}

// rejectLog collects OnReject calls. PostgreSQL's COPY reads rows on its own
// goroutine, so the callback must be safe to call from there.
type rejectLog struct {
	mu   sync.Mutex
	rows []string
}

func (l *rejectLog) add(r engine.Reject) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.rows = append(l.rows, fmt.Sprintf("%s:%d: %s", r.File, r.Line, r.Reason))
}

func (l *rejectLog) list() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.rows)
}

// eq reports a mismatch of any comparable or deep-equal value.
func eq[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got  %v\n want %v", what, got, want)
	}
}
