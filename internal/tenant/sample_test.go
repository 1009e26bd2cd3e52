package tenant

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/ferrymigrate/ferry/internal/cqlcsv"
)

// The project's own two-tenant dataset, covering the ground of the shared
// fixture on other ids: source S (channel alpha) with child C1 and C2
// nested under C1; target T (channel beta) with the non-root N; an
// inactive tenant I and a third tenant O.
const (
	idS, idT, idI, idN, idO = "0111", "0222", "0333", "0444", "0555"
	idC1, idC2              = "0112", "0113"
)

// Ciphertexts hold a line feed, as the platform's base64 does every 76
// characters.
const (
	mailU1   = "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0\nNTY3ODk=="
	mailDup  = "ZHVwbGljYXRlQGV4YW1wbGUuY29tIGR1cGxpY2F0ZUBleGFtcGxlLmNvbSBkdXBsaWNhdGVAZXhh\nbXBsZQ=="
	mailT2   = "dDJAZXhhbXBsZS5vcmcgdDJAZXhhbXBsZS5vcmcgdDJAZXhhbXBsZS5vcmcgdDJAZXhhbXBsZS5v\ncmc="
	loginU1  = "bG9naW4gdTFAYWxwaGEgbG9naW4gdTFAYWxwaGEgbG9naW4gdTFAYWxwaGEgbG9naW4gdTFAYWxw\naGE="
	phoneU2  = "OTgyOTAxMjMwMiA5ODI5MDEyMzAyIDk4MjkwMTIzMDIgOTgyOTAxMjMwMiA5ODI5MDEyMzAyIDk4\nMjk="
	tsBefore = "2021-07-20 00:10:00.000+0000"
)

type row map[string]any

// sample is the dataset, table by table (catalog names).
var sample = map[string][]row{
	"organisation": {
		{"id": idS, "channel": "alpha", "orgname": "Alpha State", "rootorgid": idS, "isrootorg": true, "istenant": true, "status": int64(1), "slug": "alpha", "provider": "alpha", "hashtagid": idS},
		{"id": idT, "channel": "beta", "orgname": "Beta State", "rootorgid": idT, "isrootorg": true, "istenant": true, "status": int64(1), "slug": "beta", "provider": "beta", "hashtagid": idT},
		{"id": idC1, "channel": "alpha", "orgname": "Alpha District", "rootorgid": idS, "isrootorg": false, "istenant": false, "status": int64(1), "provider": "alpha", "externalid": "C1-EXT"},
		{"id": idC2, "channel": "alpha", "orgname": "Alpha School", "rootorgid": idC1, "isrootorg": false, "istenant": false, "status": int64(1), "provider": "alpha", "externalid": "c2-ext"},
		{"id": idN, "channel": "beta", "orgname": "Beta School", "rootorgid": idT, "istenant": false, "status": int64(1), "provider": "beta", "externalid": "c2-ext"},
		{"id": idI, "channel": "gamma", "orgname": "Closed", "rootorgid": idI, "isrootorg": true, "istenant": true, "status": int64(0)},
		{"id": idO, "channel": "delta", "orgname": "Delta", "rootorgid": idO, "istenant": true, "status": int64(1),
			"keys": `{"signKeys":["k1","k2"]}`, "locationids": `["loc1","loc2"]`},
	},
	"org_external_identity": {
		{"provider": "alpha", "externalid": "c1-ext", "orgid": idC1},
		{"provider": "alpha", "externalid": "c2-ext", "orgid": idC2},
		{"provider": "beta", "externalid": "c2-ext", "orgid": idN},
	},
	"user": {
		{"id": "u1", "rootorgid": idS, "channel": "alpha", "firstname": "Ana", "email": mailU1, "loginid": loginU1, "status": int64(1), "isdeleted": false,
			"roles": `["PUBLIC","ORG_ADMIN"]`, "framework": `{"board":["B1"],"medium":["Hindi","English"]}`, "createddate": "2019-01-09 11:20:31:123+0000"},
		{"id": "u2", "rootorgid": idS, "channel": "alpha", "firstname": "Bo", "phone": phoneU2, "status": int64(1), "tncacceptedon": tsBefore},
		{"id": "u3", "rootorgid": idS, "channel": "alpha", "firstname": "Cy", "status": int64(1)},
		{"id": "u4", "rootorgid": idS, "channel": "alpha", "firstname": "Dee", "email": mailDup, "status": int64(1)},
		{"id": "u5", "rootorgid": idS, "channel": "alpha", "firstname": "Ed", "status": int64(1)},
		{"id": "u6", "rootorgid": idS, "channel": "alpha", "firstname": "Fay", "status": int64(0), "isdeleted": true},
		{"id": "t1", "rootorgid": idT, "channel": "beta", "firstname": "Tia", "email": mailDup, "status": int64(1)},
		{"id": "t2", "rootorgid": idT, "channel": "beta", "firstname": "सुनीता", "email": mailT2, "status": int64(1)},
		{"id": "t3", "rootorgid": idT, "channel": "beta", "firstname": "D'Souza", "status": int64(1)},
		{"id": "o1", "rootorgid": idO, "channel": "delta", "firstname": "Oz", "status": int64(1)},
	},
	"usr_external_identity": {
		{"provider": idS, "idtype": idS, "externalid": "ext-1", "userid": "u1", "originalprovider": idS, "originalidtype": idS, "originalexternalid": "EXT-1", "createdon": tsBefore},
		{"provider": idS, "idtype": "declared-email", "externalid": "abc\ndef==", "userid": "u2", "originalprovider": idS, "originalidtype": "declared-email", "originalexternalid": "ABC\nDEF=="},
		{"provider": idS, "idtype": idS, "externalid": "emp-9", "userid": "u5", "originalprovider": idS, "originalidtype": idS},
		{"provider": idT, "idtype": idT, "externalid": "emp-9", "userid": "t2", "originalprovider": idT, "originalidtype": idT},
	},
	"user_lookup": {
		{"type": "email", "value": mailU1, "userid": "u1"},
		{"type": "email", "value": mailDup, "userid": "t1"},
		{"type": "phone", "value": phoneU2, "userid": "u2"},
		{"type": "externalid", "value": "ext-1@" + idS, "userid": "u1"},
		{"type": "externalid", "value": "emp-9@" + idS, "userid": "u5"},
		{"type": "externalid", "value": "emp-9@" + idT, "userid": "t2"},
	},
	"user_organisation": {
		{"userid": "u1", "organisationid": idS, "hashtagid": idS, "id": "m1", "roles": `["PUBLIC","ORG_ADMIN"]`, "orgjoindate": "2019-01-01 00:00:00:000+0000", "associationtype": int64(4), "isdeleted": false},
		{"userid": "u2", "organisationid": idS, "hashtagid": idS, "id": "m2", "roles": `["PUBLIC"]`, "isdeleted": false},
		{"userid": "u2", "organisationid": idC1, "hashtagid": idC1, "id": "m3", "roles": `["CONTENT_CREATOR"]`, "isdeleted": false},
		{"userid": "u3", "organisationid": idS, "hashtagid": idS, "id": "m4", "roles": `["PUBLIC","COURSE_MENTOR"]`, "orgjoindate": "2018-05-19 06:01:45:000+0000", "associationtype": int64(2), "isdeleted": false, "position": "Teacher"},
		{"userid": "u3", "organisationid": idT, "hashtagid": idT, "id": "m5", "roles": `["PUBLIC","CONTENT_REVIEWER"]`, "orgjoindate": "2020-02-02 00:00:00:000+0000", "associationtype": int64(4), "isdeleted": true, "position": "Reviewer"},
		{"userid": "u4", "organisationid": idS, "hashtagid": idS, "id": "m6", "roles": `["PUBLIC"]`},
		{"userid": "u5", "organisationid": idS, "hashtagid": idS, "id": "m7", "roles": `["PUBLIC"]`},
		{"userid": "u6", "organisationid": idS, "hashtagid": idS, "id": "m8", "roles": `["PUBLIC"]`, "isdeleted": true},
		{"userid": "t1", "organisationid": idT, "hashtagid": idT, "id": "m9", "roles": `["PUBLIC"]`},
		{"userid": "t2", "organisationid": idN, "hashtagid": idN, "id": "m10", "roles": `["PUBLIC"]`},
	},
	"user_org": {
		{"id": "lo1", "userid": "u1", "organisationid": idS, "hashtagid": idS, "roles": `["PUBLIC"]`, "orgjoindate": "2019-01-01 00:00:00:000+0000"},
		{"id": "lo2", "userid": "u3", "organisationid": idS, "hashtagid": idS, "roles": `["PUBLIC","COURSE_MENTOR"]`, "orgjoindate": "2018-05-19 06:01:45:000+0000"},
		{"id": "lo3", "userid": "u3", "organisationid": idT, "hashtagid": idT, "roles": `["PUBLIC"]`, "orgjoindate": "2020-02-02 00:00:00:000+0000"},
		{"id": "lo4", "userid": "t1", "organisationid": idT, "hashtagid": idT, "roles": `["PUBLIC"]`},
	},
	"user_roles": {
		{"userid": "u1", "role": "ORG_ADMIN", "scope": `[{"organisationId":"` + idS + `"}]`, "createddate": "2021-07-20 00:10:00:000+0000"},
		{"userid": "u1", "role": "PUBLIC", "scope": `[{"organisationId":"` + idS + `"}]`},
		{"userid": "u2", "role": "CONTENT_CREATOR", "scope": `[{"organisationId":"` + idC1 + `"}]`},
		{"userid": "u2", "role": "PUBLIC", "scope": `[{"organisationId":"` + idS + `"}]`},
		{"userid": "u3", "role": "PUBLIC", "scope": `[{"organisationId":"` + idS + `"},{"organisationId":"` + idT + `"}]`},
		{"userid": "u3", "role": "COURSE_MENTOR", "scope": `[{"organisationId":"` + idC1 + `"},{"organisationId":"` + idS + `"}]`},
		{"userid": "t1", "role": "PUBLIC", "scope": `[{"organisationId":"` + idT + `"}]`},
	},
	"user_consent": {
		{"user_id": "u3", "consumer_id": idS, "object_id": idS, "status": "ACTIVE", "id": "usr-consent:u3:" + idS + ":" + idS, "consumer_type": "ORGANISATION", "object_type": "Organisation", "categories": `["a","b"]`},
		{"user_id": "u3", "consumer_id": idT, "object_id": idT, "status": "ACTIVE", "id": "usr-consent:u3:" + idT + ":" + idT},
		{"user_id": "u4", "consumer_id": idS, "object_id": "do_1", "status": "REVOKED", "id": "usr-consent:u4:" + idS + ":do_1"},
	},
	"course_batch": {
		{"courseid": "do_c1", "batchid": "b1", "createdfor": `["` + idS + `"]`, "name": "Batch one", "mentors": `["u3"]`, "status": int64(1)},
		{"courseid": "do_c1", "batchid": "b2", "createdfor": `["` + idS + `","` + idS + `"]`, "cert_templates": `{"t1":{"name":"n'1","url":"u"}}`},
		{"courseid": "do_c2", "batchid": "b3", "createdfor": `["` + idS + `","` + idT + `"]`},
		{"courseid": "do_c2", "batchid": "b4", "createdfor": `["` + idC1 + `","` + idS + `"]`},
		{"courseid": "do_c3", "batchid": "b5", "createdfor": `["` + idT + `"]`},
		{"courseid": "do_c3", "batchid": "b6", "createdfor": `["` + idO + `"]`},
	},
	"sunbird.course_batch": {
		{"id": "l1", "courseid": "do_c1", "createdfor": `["` + idS + `"]`},
		{"id": "l2", "courseid": "do_c1", "createdfor": `["` + idT + `","` + idS + `"]`, "courseadditionalinfo": `{"k":"v, w"}`},
	},
	"course_management": {
		{"id": "cm1", "organisationid": idS, "organisationname": "Alpha State", "createdfor": `["` + idS + `"]`, "tutor": `{"x":"y"}`},
	},
	"page_management": {
		{"id": "p1", "name": "Home", "organisationid": idS},
		{"id": "p2", "name": "Explore", "organisationid": idS},
		{"id": "p3", "name": "Home", "organisationid": idT},
	},
	"bulk_upload_process": {
		{"id": "bu1", "organisationid": idS, "status": int64(3), "telemetrycontext": `{"channel":"` + idS + `","pdata":"x"}`},
	},
	"geo_location":          {{"id": "g1", "rootorgid": idS, "location": "Jaipur", "usercount": int64(3)}},
	"badge_class_extension": {{"id": "bg1", "rootorgid": idS, "issuerid": "iss", "roles": `["ORG_ADMIN"]`}},
	"tenant_preference": {
		{"id": "tp1", "orgid": idS, "key": "banner", "data": `{"a":1}`, "tenantname": "Alpha State"},
		{"id": "tp2", "orgid": idS, "key": "decl", "data": `{"b":2}`},
		{"id": "tp3", "orgid": idT, "key": "decl", "data": `{"c":3}`},
	},
	"tenant_preference_v2": {
		{"orgid": idS, "key": "banner", "data": `{"a":1}`, "createdby": "u1", "createdon": tsBefore},
		{"orgid": idS, "key": "decl", "data": `{"b":2}`},
		{"orgid": idT, "key": "decl", "data": `{"c":3}`},
	},
	"content": {{"id": "do_x", "channel": idS}, {"id": "do_y", "channel": idT}},
}

// writeSample writes the dataset as cqlsh would export it: sunbird/ and
// sunbird_courses/ folders, user_lookup split after 4 rows.
func writeSample(t *testing.T, data map[string][]row) string {
	t.Helper()
	dir := t.TempDir()
	for _, tb := range Tables() {
		rows, ok := data[tb.Name]
		if !ok {
			continue
		}
		folder := tb.Keyspace
		if folder == "" {
			folder = "."
		}
		split := 0
		if tb.Name == "user_lookup" {
			split = 4
		}
		writeTable(t, filepath.Join(dir, folder), tb, rows, split)
	}
	return dir
}

func writeTable(t *testing.T, dir string, tb *Table, rows []row, split int) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	part, n := 0, 0
	var f *os.File
	var w *cqlcsv.ExportWriter
	open := func() {
		name := tb.Table.Name + ".csv"
		if part > 0 {
			name += fmt.Sprintf(".%d", part)
		}
		var err error
		if f, err = os.Create(filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
		w = cqlcsv.NewExportWriter(f, &tb.Table, cqlcsv.ExportOptions{NoHeader: part > 0})
	}
	closeFile := func() {
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	open()
	for _, r := range rows {
		if split > 0 && n == split {
			closeFile()
			part, n = part+1, 0
			open()
		}
		vals := make([]any, len(tb.Columns))
		for i, c := range tb.Columns {
			vals[i] = r[c.Name]
		}
		for k := range r {
			if tb.Col(k) < 0 {
				t.Fatalf("sample %s has no column %s", tb.Name, k)
			}
		}
		if err := w.Write(vals); err != nil {
			t.Fatal(err)
		}
		n++
	}
	closeFile()
}

// TestWriteExample writes the sample dataset to the folder named by
// FERRY_WRITE_TENANT_EXAMPLE: that is how examples/tenant was made, and
// how it is remade when the sample changes.
func TestWriteExample(t *testing.T) {
	out := os.Getenv("FERRY_WRITE_TENANT_EXAMPLE")
	if out == "" {
		t.Skip("set FERRY_WRITE_TENANT_EXAMPLE to a folder to write the sample dataset there")
	}
	dir := writeSample(t, sample)
	if err := os.CopyFS(out, os.DirFS(dir)); err != nil {
		t.Fatal(err)
	}
}
