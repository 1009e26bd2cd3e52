package tenant

import (
	"fmt"
	"strings"

	"github.com/ferrymigrate/ferry/internal/cqlcsv"
)

// Table is one platform table as ferry stores it: the Cassandra table
// (keyspace, name, columns in COPY TO order, primary key) and the SQL
// table that holds its rows in ferry's database.
type Table struct {
	cqlcsv.Table
	// SQL is the table's name in ferry's database. Every tenant table
	// carries the prefix sb_ so that it can sit beside the registrar's.
	SQL string
	// Name is the name reports use: the platform's table name, with the
	// keyspace where two keyspaces hold a table of that name
	// ("sunbird.course_batch" for the legacy one).
	Name string
	// Legacy marks the tables schema migration v1.115 dropped; an export
	// from a current cluster has none of them.
	Legacy bool
	// Optional marks tables that are not the platform's own (content).
	Optional bool
}

// The tables of sunbird-export-format §1, column lists verbatim from it:
// the partition key, the clustering key, then the rest in alphabetical
// order, which is the order cqlsh writes them.
var catalog = []*Table{
	def("sunbird", "organisation", "organisation", "sb_organisation", 1,
		`id text, channel text, contactdetail text, createdby text, createddate text, description text, email text, externalid text, hashtagid text, homeurl text, imgurl text, isrootorg boolean, isssoenabled boolean, istenant boolean, keys map<text,frozen<list<text>>>, locationids list<text>, organisationsubtype int, organisationtype int, orglocation text, orgname text, provider text, rootorgid text, slug text, status int, updatedby text, updateddate text`),
	def("sunbird", "org_external_identity", "org_external_identity", "sb_org_external_identity", 2,
		`provider text, externalid text, orgid text`),
	def("sunbird", "user", "user", "sb_user", 1,
		`id text, alltncaccepted map<text,text>, channel text, countrycode text, createdby text, createddate text, dob text, email text, emailverified boolean, firstname text, flagsvalue int, framework map<text,frozen<list<text>>>, isdeleted boolean, lastname text, locationids list<text>, loginid text, managedby text, maskedemail text, maskedphone text, phone text, phoneverified boolean, prevusedemail text, prevusedphone text, profiledetails text, profilelocation text, profileusertype text, profileusertypes text, recoveryemail text, recoveryphone text, roles list<text>, rootorgid text, status int, tncacceptedon timestamp, tncacceptedversion text, updatedby text, updateddate text, userid text, username text, usersubtype text, usertype text`),
	def("sunbird", "usr_external_identity", "usr_external_identity", "sb_usr_external_identity", 3,
		`provider text, idtype text, externalid text, createdby text, createdon timestamp, lastupdatedby text, lastupdatedon timestamp, originalexternalid text, originalidtype text, originalprovider text, userid text`),
	def("sunbird", "user_lookup", "user_lookup", "sb_user_lookup", 2,
		`type text, value text, userid text`),
	def("sunbird", "user_organisation", "user_organisation", "sb_user_organisation", 2,
		`userid text, organisationid text, addedby text, addedbyname text, approvaldate text, approvedby text, associationtype int, hashtagid text, id text, isapproved boolean, isdeleted boolean, isrejected boolean, orgjoindate text, orgleftdate text, position text, roles list<text>, updatedby text, updateddate text`),
	legacy(def("sunbird", "user_org", "user_org", "sb_user_org", 1,
		`id text, addedby text, addedbyname text, approvaldate text, approvedby text, hashtagid text, isapproved boolean, isdeleted boolean, isrejected boolean, organisationid text, orgjoindate text, orgleftdate text, position text, roles list<text>, updatedby text, updateddate text, userid text`)),
	def("sunbird", "user_roles", "user_roles", "sb_user_roles", 2,
		`userid text, role text, createdby text, createddate text, scope text, updatedby text, updateddate text`),
	def("sunbird", "user_consent", "user_consent", "sb_user_consent", 3,
		`user_id text, consumer_id text, object_id text, categories list<text>, consent_data text, consumer_type text, created_on timestamp, expiry timestamp, id text, last_updated_on timestamp, object_type text, status text`),
	legacy(def("sunbird", "course_batch", "sunbird.course_batch", "sb_legacy_course_batch", 1,
		`id text, countdecrementdate text, countdecrementstatus boolean, countincrementdate text, countincrementstatus boolean, courseadditionalinfo map<text,text>, coursecreator text, courseid text, createdby text, createddate text, createdfor list<text>, description text, enddate text, enrollmentenddate text, enrollmenttype text, hashtagid text, mentors list<text>, name text, startdate text, status int, updateddate text`)),
	def("sunbird_courses", "course_batch", "course_batch", "sb_course_batch", 2,
		`courseid text, batchid text, cert_templates map<text,frozen<map<text,text>>>, created_date timestamp, createdby text, createddate text, createdfor list<text>, description text, end_date timestamp, enddate text, enrollment_enddate timestamp, enrollmentenddate text, enrollmenttype text, mentors list<text>, name text, start_date timestamp, startdate text, status int, tandc boolean, updated_date timestamp, updateddate text`),
	legacy(def("sunbird", "course_management", "course_management", "sb_course_management", 1,
		`id text, addedby text, addedbyname text, contentid text, contenttype text, courseduration text, courseid text, courselogourl text, coursename text, courserating text, coursetype text, createddate text, createdfor list<text>, description text, enrollementenddate text, enrollementstartdate text, facultyid text, facultyname text, nooflectures int, organisationid text, organisationname text, publishedby text, publishedbyname text, publisheddate text, status text, tocurl text, tutor map<text,text>, updatedby text, updatedbyname text, updateddate text, usercount int`)),
	def("sunbird", "page_management", "page_management", "sb_page_management", 1,
		`id text, appmap text, created_date timestamp, createdby text, createddate text, name text, organisationid text, portalmap text, updated_date timestamp, updatedby text, updateddate text`),
	def("sunbird", "bulk_upload_process", "bulk_upload_process", "sb_bulk_upload_process", 1,
		`id text, createdby text, createdon timestamp, data text, failureresult text, lastupdatedon timestamp, objecttype text, organisationid text, processendtime text, processstarttime text, retrycount int, status int, storagedetails text, successresult text, taskcount int, telemetrycontext map<text,text>, uploadedby text, uploadeddate text`),
	def("sunbird", "geo_location", "geo_location", "sb_geo_location", 1,
		`id text, createdby text, createddate text, location text, rootorgid text, topic text, type text, updatedby text, updateddate text, usercount int, usercountttl text`),
	legacy(def("sunbird", "badge_class_extension", "badge_class_extension", "sb_badge_class_extension", 1,
		`id text, issuerid text, roles list<text>, rootorgid text, subtype text, type text`)),
	def("sunbird", "tenant_preference", "tenant_preference", "sb_tenant_preference", 1,
		`id text, data text, key text, orgid text, role text, tenantname text`),
	def("sunbird", "tenant_preference_v2", "tenant_preference_v2", "sb_tenant_preference_v2", 2,
		`orgid text, key text, createdby text, createdon timestamp, data text, updatedby text, updatedon timestamp`),
	// content lives in the knowledge platform, not in these keyspaces; an
	// export may add a content.csv with at least id and channel, and any
	// other columns it has are kept in extra.
	optional(def("", "content", "content", "sb_content", 1, `id text, channel text`)),
}

func def(keyspace, table, name, sqlName string, keyLen int, cols string) *Table {
	t := &Table{SQL: sqlName, Name: name}
	t.Keyspace, t.Table.Name, t.KeyLen = keyspace, table, keyLen
	for _, c := range strings.Split(cols, ", ") {
		n, typ, ok := strings.Cut(c, " ")
		if !ok {
			panic(fmt.Sprintf("catalog %s: column %q has no type", table, c))
		}
		t.Columns = append(t.Columns, cqlcsv.Column{Name: n, Type: cqlcsv.MustParseType(typ)})
	}
	return t
}

func legacy(t *Table) *Table   { t.Legacy = true; return t }
func optional(t *Table) *Table { t.Optional = true; return t }

// Tables lists every table ferry holds for the tenant merge, in the order
// of sunbird-export-format §1.
func Tables() []*Table { return catalog }

// TableNamed finds a table by its report name ("user_organisation",
// "course_batch", "sunbird.course_batch").
func TableNamed(name string) *Table {
	for _, t := range catalog {
		if t.Name == name {
			return t
		}
	}
	return nil
}

// scratchTable is the table an import streams t's file into.
func scratchTable(t *Table) string { return "sbx_" + strings.TrimPrefix(t.SQL, "sb_") }
