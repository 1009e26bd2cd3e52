package cqlcsv

import (
	"strings"
)

// table builds a Table from a column list written as in the spec,
// "name type, name type, ..." (types have no ", " inside).
func table(ks, name string, keyLen int, cols string) *Table {
	t := &Table{Keyspace: ks, Name: name, KeyLen: keyLen}
	for _, c := range strings.Split(cols, ", ") {
		n, typ, ok := strings.Cut(c, " ")
		if !ok {
			panic("bad column " + c)
		}
		t.Columns = append(t.Columns, Column{Name: n, Type: MustParseType(typ)})
	}
	return t
}

// The Sunbird tables of the fixture, per §1 of the export spec.
var (
	tOrganisation = table("sunbird", "organisation", 1, "id text, channel text, contactdetail text, createdby text, createddate text, description text, email text, externalid text, hashtagid text, homeurl text, imgurl text, isrootorg boolean, isssoenabled boolean, istenant boolean, keys map<text,frozen<list<text>>>, locationids list<text>, organisationsubtype int, organisationtype int, orglocation text, orgname text, provider text, rootorgid text, slug text, status int, updatedby text, updateddate text")
	tOrgExternal  = table("sunbird", "org_external_identity", 2, "provider text, externalid text, orgid text")
	tUser         = table("sunbird", "user", 1, "id text, alltncaccepted map<text,text>, channel text, countrycode text, createdby text, createddate text, dob text, email text, emailverified boolean, firstname text, flagsvalue int, framework map<text,frozen<list<text>>>, isdeleted boolean, lastname text, locationids list<text>, loginid text, managedby text, maskedemail text, maskedphone text, phone text, phoneverified boolean, prevusedemail text, prevusedphone text, profiledetails text, profilelocation text, profileusertype text, profileusertypes text, recoveryemail text, recoveryphone text, roles list<text>, rootorgid text, status int, tncacceptedon timestamp, tncacceptedversion text, updatedby text, updateddate text, userid text, username text, usersubtype text, usertype text")
	tUsrExternal  = table("sunbird", "usr_external_identity", 3, "provider text, idtype text, externalid text, createdby text, createdon timestamp, lastupdatedby text, lastupdatedon timestamp, originalexternalid text, originalidtype text, originalprovider text, userid text")
	tUserLookup   = table("sunbird", "user_lookup", 2, "type text, value text, userid text")
	tUserOrgn     = table("sunbird", "user_organisation", 2, "userid text, organisationid text, addedby text, addedbyname text, approvaldate text, approvedby text, associationtype int, hashtagid text, id text, isapproved boolean, isdeleted boolean, isrejected boolean, orgjoindate text, orgleftdate text, position text, roles list<text>, updatedby text, updateddate text")
	tUserOrg      = table("sunbird", "user_org", 1, "id text, addedby text, addedbyname text, approvaldate text, approvedby text, hashtagid text, isapproved boolean, isdeleted boolean, isrejected boolean, organisationid text, orgjoindate text, orgleftdate text, position text, roles list<text>, updatedby text, updateddate text, userid text")
	tUserRoles    = table("sunbird", "user_roles", 2, "userid text, role text, createdby text, createddate text, scope text, updatedby text, updateddate text")
	tUserConsent  = table("sunbird", "user_consent", 3, "user_id text, consumer_id text, object_id text, categories list<text>, consent_data text, consumer_type text, created_on timestamp, expiry timestamp, id text, last_updated_on timestamp, object_type text, status text")
	tBatchLegacy  = table("sunbird", "course_batch", 1, "id text, countdecrementdate text, countdecrementstatus boolean, countincrementdate text, countincrementstatus boolean, courseadditionalinfo map<text,text>, coursecreator text, courseid text, createdby text, createddate text, createdfor list<text>, description text, enddate text, enrollmentenddate text, enrollmenttype text, hashtagid text, mentors list<text>, name text, startdate text, status int, updateddate text")
	tBatch        = table("sunbird_courses", "course_batch", 2, "courseid text, batchid text, cert_templates map<text,frozen<map<text,text>>>, created_date timestamp, createdby text, createddate text, createdfor list<text>, description text, end_date timestamp, enddate text, enrollment_enddate timestamp, enrollmentenddate text, enrollmenttype text, mentors list<text>, name text, start_date timestamp, startdate text, status int, tandc boolean, updated_date timestamp, updateddate text")
	tCourseMgmt   = table("sunbird", "course_management", 1, "id text, addedby text, addedbyname text, contentid text, contenttype text, courseduration text, courseid text, courselogourl text, coursename text, courserating text, coursetype text, createddate text, createdfor list<text>, description text, enrollementenddate text, enrollementstartdate text, facultyid text, facultyname text, nooflectures int, organisationid text, organisationname text, publishedby text, publishedbyname text, publisheddate text, status text, tocurl text, tutor map<text,text>, updatedby text, updatedbyname text, updateddate text, usercount int")
	tPage         = table("sunbird", "page_management", 1, "id text, appmap text, created_date timestamp, createdby text, createddate text, name text, organisationid text, portalmap text, updated_date timestamp, updatedby text, updateddate text")
	tBulk         = table("sunbird", "bulk_upload_process", 1, "id text, createdby text, createdon timestamp, data text, failureresult text, lastupdatedon timestamp, objecttype text, organisationid text, processendtime text, processstarttime text, retrycount int, status int, storagedetails text, successresult text, taskcount int, telemetrycontext map<text,text>, uploadedby text, uploadeddate text")
	tGeo          = table("sunbird", "geo_location", 1, "id text, createdby text, createddate text, location text, rootorgid text, topic text, type text, updatedby text, updateddate text, usercount int, usercountttl text")
	tBadge        = table("sunbird", "badge_class_extension", 1, "id text, issuerid text, roles list<text>, rootorgid text, subtype text, type text")
	tTenantPref   = table("sunbird", "tenant_preference", 1, "id text, data text, key text, orgid text, role text, tenantname text")
	tTenantPref2  = table("sunbird", "tenant_preference_v2", 2, "orgid text, key text, createdby text, createdon timestamp, data text, updatedby text, updatedon timestamp")
)

// tPeople is the table of the package's own testdata: every kind of value
// the Sunbird tables use.
var tPeople = table("test", "people", 2, "id text, seq int, at timestamp, flag boolean, fw map<text,frozen<list<text>>>, certs map<text,frozen<map<text,text>>>, note text, secret text, tags list<text>, attrs map<text,text>")

// peopleRows are the values of testdata/py2/people.csv and
// testdata/py310/people.csv, worked out by hand from §2.3.
var peopleRows = [][]any{
	{"p1", int64(1), "2019-01-09 11:20:31.123+0000", true, `{"board":["RBSE"],"medium":["Hindi"]}`, `{"t1":{"name":"n'1","url":"u"}}`, `say "hi", ok`, "abc\ndef==", `["a","b"]`, `{"k":"v"}`},
	{"p2", int64(2), nil, false, nil, nil, nil, `C:\temp`, `["x","x"]`, `{"q":"it's","z":"tab\there"}`},
	{"सुनीता", int64(-5), "2020-02-29 00:00:00.000+0000", true, nil, nil, "line1\r\nline2", "nbsp\u00a0del\u007fnul\x00", `["it's","x\ny"]`, nil},
	{"p4", int64(4), "2018-11-01 00:00:00.000+0000", false, nil, nil, `{"a":1}`, nil, `["PUBLIC"]`, nil},
}
