package cqlcsv

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// The shared two-tenant fixture, when this checkout sits next to it.
const fixtureDir = "../../../shared/fixtures/sunbird"

type fixtureTable struct {
	dir   string // keyspace folder
	t     *Table
	rows  int
	files int
}

var fixtureTables = []fixtureTable{
	{"sunbird", tOrganisation, 7, 1},
	{"sunbird", tOrgExternal, 3, 1},
	{"sunbird", tUser, 27, 1},
	{"sunbird", tUsrExternal, 9, 1},
	{"sunbird", tUserLookup, 71, 2},
	{"sunbird", tUserOrgn, 34, 1},
	{"sunbird", tUserOrg, 8, 1},
	{"sunbird", tUserRoles, 32, 1},
	{"sunbird", tUserConsent, 6, 1},
	{"sunbird", tBatchLegacy, 6, 1},
	{"sunbird_courses", tBatch, 7, 1},
	{"sunbird", tCourseMgmt, 2, 1},
	{"sunbird", tPage, 5, 1},
	{"sunbird", tBulk, 3, 1},
	{"sunbird", tGeo, 3, 1},
	{"sunbird", tBadge, 2, 1},
	{"sunbird", tTenantPref, 3, 1},
	{"sunbird", tTenantPref2, 3, 1},
}

func needFixture(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(fixtureDir); err != nil {
		t.Skipf("shared fixture not found: %v", err)
	}
}

// fixtureRows reads one table of the fixture, failing on any reject, error
// or header difference.
type readRow struct {
	file string
	line int64
	row  []any
}

func readFixture(t *testing.T, ft fixtureTable) ([]string, []readRow) {
	t.Helper()
	files, err := Files(filepath.Join(fixtureDir, ft.dir), ft.t.Name)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != ft.files {
		t.Fatalf("%s: files %v, want %d", ft.t.Name, files, ft.files)
	}
	r := NewReader(files, ft.t, Options{OnReject: func(rj Reject) { t.Errorf("reject %v %q", rj, rj.Raw) }})
	defer r.Close()
	var rows []readRow
	for r.Next() {
		rows = append(rows, readRow{r.File(), r.Line(), r.Row()})
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	if h := r.Header(); len(h.Missing)+len(h.Extra) > 0 {
		t.Errorf("%s: header differs: %+v", ft.t.Name, h)
	}
	if len(rows) != ft.rows {
		t.Errorf("%s.%s: %d rows, want %d", ft.dir, ft.t.Name, len(rows), ft.rows)
	}
	// A file with an escaped value settles the dialect; one without any
	// backslash (but \") gives no evidence and needs none.
	switch d := r.Dialect(); {
	case ft.t == tUser || ft.t == tUserLookup || ft.t == tBulk || ft.t == tBatch:
		if d != Py2 {
			t.Errorf("%s: dialect %v, want py2", ft.t.Name, d)
		}
	case d == Py310:
		t.Errorf("%s: dialect %v", ft.t.Name, d)
	}
	return files, rows
}

func TestFixtureCounts(t *testing.T) {
	needFixture(t)
	for _, ft := range fixtureTables {
		t.Run(ft.dir+"."+ft.t.Name, func(t *testing.T) { readFixture(t, ft) })
	}
}

// find returns the first row whose column col equals v.
func find(t *testing.T, tb *Table, rows []readRow, col string, v any) []any {
	t.Helper()
	i := tb.Col(col)
	for _, r := range rows {
		if r.row[i] == v {
			return r.row
		}
	}
	t.Fatalf("%s: no row with %s = %v", tb.Name, col, v)
	return nil
}

func col(tb *Table, row []any, name string) any {
	i := tb.Col(name)
	if i < 0 {
		panic("no column " + name)
	}
	return row[i]
}

func TestFixtureValues(t *testing.T) {
	needFixture(t)
	byName := map[string][]readRow{}
	for _, ft := range fixtureTables {
		_, rows := readFixture(t, ft)
		byName[ft.dir+"."+ft.t.Name] = rows
	}
	users := byName["sunbird.user"]
	u := find(t, tUser, users, "id", "30b14239-4536-5f4a-b510-a8159f61ba45")
	email := col(tUser, u, "email").(string)
	if want := "sah25wOhumMUYydenGHXgRpm+5cPuJ6iVehZ8qsgnhP1GiTd/01MIIOxJSY12gdtlELW7X5CZwIZ\nBuWl0XvFXygNy7AH8R7b99EnUugkpOu0PXtglO+u1A44HLTu61LyBV8tG5eYYLJynUFon9DrdWY1\n7G6wmnu/eFT51RSXJ5mAqPxkSb8bKGjG57p16bI/lI533Vkmr9wv9UNkYA52Ucay0mU3RBMNYTq8\nekW+TdM="; email != want {
		t.Errorf("email = %q\nwant    %q", email, want)
	}
	if strings.Count(email, "\n") != 3 || strings.Contains(email, `\`) {
		t.Errorf("ciphertext LFs not restored: %q", email)
	}
	if got := col(tUser, u, "alltncaccepted"); got != `{"orgAdminTnc":"{\"tncAcceptedOn\":\"2021-03-05 10:02:11:512+0000\",\"version\":\"v1\"}"}` {
		t.Errorf("alltncaccepted = %v", got)
	}
	if got := col(tUser, u, "emailverified"); got != true {
		t.Errorf("emailverified = %v", got)
	}
	if got := col(tUser, u, "flagsvalue"); got != int64(7) {
		t.Errorf("flagsvalue = %#v", got)
	}
	if got := col(tUser, u, "dob"); got != nil {
		t.Errorf("dob = %#v, want nil", got)
	}
	if got := col(tUser, u, "locationids"); got != `["27ea98eb-8e9a-5693-9ccd-cc63134923ab","c1a01d00-659f-564f-823f-ec1a50ab0e23"]` {
		t.Errorf("locationids = %v", got)
	}
	// A framework map of lists, and roles.
	var framework, roles any
	for _, r := range users {
		if f := col(tUser, r.row, "framework"); f != nil && framework == nil {
			framework = f
		}
	}
	if framework != `{"board":["RBSE"],"gradeLevel":["Class 6","Class 7"],"id":["rj_k-12_1"],"medium":["Hindi"],"subject":["Science"]}` {
		t.Errorf("framework = %v", framework)
	}
	roles = col(tUser, u, "roles")
	if l, err := ParseListJSON(roles.(string)); err != nil || !reflect.DeepEqual(l, []string{"PUBLIC", "ORG_ADMIN"}) {
		t.Errorf("roles = %v (%v)", roles, err)
	}
	// Devanagari comes through raw.
	sunita := find(t, tUser, users, "id", "324c9b7c-3227-5977-a683-790468c3f373")
	if col(tUser, sunita, "firstname") != "सुनीता" || col(tUser, sunita, "lastname") != "देवी" {
		t.Errorf("names = %v %v", col(tUser, sunita, "firstname"), col(tUser, sunita, "lastname"))
	}

	batches := byName["sunbird_courses.course_batch"]
	b := find(t, tBatch, batches, "batchid", "0126894001234567892")
	if got := col(tBatch, b, "createdfor"); got != `["01241408242723225614","01241408242723225614"]` {
		t.Errorf("createdfor with duplicates = %v", got)
	}
	b = find(t, tBatch, batches, "batchid", "0126894001234567893")
	if got := col(tBatch, b, "name"); got != `Pedagogy 101, "ETB" edition` {
		t.Errorf("name = %q", got)
	}
	if got := col(tBatch, b, "end_date"); got != "2019-06-30 23:59:59.999+0000" {
		t.Errorf("end_date = %v", got)
	}
	b = find(t, tBatch, batches, "batchid", "0126894001234567897")
	if got := col(tBatch, b, "name"); got != "Digital Classroom\nWorkshop" {
		t.Errorf("name = %q", got)
	}
	b = find(t, tBatch, batches, "batchid", "0126894001234567891")
	certs := col(tBatch, b, "cert_templates").(string)
	if !strings.HasPrefix(certs, `{"template_01_pilot":{"criteria":"{\"enrollment\":{\"status\":2}}","identifier":"template_01_pilot",`) {
		t.Errorf("cert_templates = %s", certs)
	}

	bulk := find(t, tBulk, byName["sunbird.bulk_upload_process"], "id", "0124160102030405061")
	if got := col(tBulk, bulk, "data"); got != `C:\uploads\pilot_users_batch1.csv` {
		t.Errorf("data = %q", got)
	}
	bulk = find(t, tBulk, byName["sunbird.bulk_upload_process"], "id", "0124160102030405062")
	if got := col(tBulk, bulk, "failureresult"); got != "Row 3: invalid locationCode \"JPR-9\",\nRow 7: duplicate externalId SCH-0042" {
		t.Errorf("failureresult = %q", got)
	}

	// The split table: 40 rows in the first file, 31 in the second, whose
	// first row is on its line 1.
	lookups := byName["sunbird.user_lookup"]
	n := map[string]int{}
	for _, r := range lookups {
		n[filepath.Base(r.file)]++
	}
	if n["user_lookup.csv"] != 40 || n["user_lookup.csv.1"] != 31 {
		t.Errorf("rows per file = %v", n)
	}
	if lookups[0].line != 2 || lookups[40].line != 1 || lookups[70].line != 31 {
		t.Errorf("lines: %d, %d, %d", lookups[0].line, lookups[40].line, lookups[70].line)
	}
	ext := 0
	for _, r := range lookups {
		if r.row[0] == "externalid" {
			ext++
		} else if !strings.Contains(r.row[1].(string), "\n") {
			t.Errorf("lookup value without LF: %q", r.row[1])
		}
	}
	if ext == 0 {
		t.Error("no externalid lookups")
	}

	org := find(t, tOrganisation, byName["sunbird.organisation"], "id", "0124638301146153987")
	if col(tOrganisation, org, "isrootorg") != nil || col(tOrganisation, org, "istenant") != false {
		t.Errorf("isrootorg, istenant = %v, %v", col(tOrganisation, org, "isrootorg"), col(tOrganisation, org, "istenant"))
	}
	if got := col(tOrganisation, org, "description"); got != "Govt. Sr. Sec. School, Ajmer" {
		t.Errorf("description = %q", got)
	}
	roleRows := byName["sunbird.user_roles"]
	if got := col(tUserRoles, roleRows[0].row, "scope"); got != `[{"organisationId":"01241408242723225614"}]` {
		t.Errorf("scope = %q", got)
	}
}

// Re-encoding what the reader read gives the files back byte for byte.
func TestFixtureReexport(t *testing.T) {
	needFixture(t)
	for _, ft := range fixtureTables {
		files, rows := readFixture(t, ft)
		for i, path := range files {
			var buf bytes.Buffer
			w := NewExportWriter(&buf, ft.t, ExportOptions{NoHeader: i > 0})
			for _, r := range rows {
				if r.file == path {
					if err := w.Write(r.row); err != nil {
						t.Fatalf("%s: %v", path, err)
					}
				}
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Errorf("%s: re-export differs\n%s", path, firstDiff(buf.Bytes(), want))
			}
		}
	}
}

// firstDiff shows where two outputs part.
func firstDiff(got, want []byte) string {
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	from := max(0, i-80)
	return "got:  " + string(got[from:min(len(got), i+80)]) + "\nwant: " + string(want[from:min(len(want), i+80)])
}
