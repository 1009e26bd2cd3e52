package tenant

import (
	"sort"
	"strings"

	"github.com/ferrymigrate/ferry/internal/cqlcsv"
)

// The tables of organisations, course batches, org-scoped records and
// content.

func (w *world) orgTasks() []genTask {
	return []genTask{
		{table: "organisation", produce: w.organisations},
		{table: "org_external_identity", produce: w.orgExternalIDs},
		{table: "course_batch", produce: w.courseBatches},
		{table: "sunbird.course_batch", produce: w.legacyCourseBatches},
		{table: "course_management", produce: w.courseManagement},
		{table: "page_management", produce: w.pages},
		{table: "bulk_upload_process", produce: w.bulkUploads},
		{table: "geo_location", produce: w.geoLocations},
		{table: "badge_class_extension", produce: w.badges},
		{table: "tenant_preference", produce: w.preferences},
		{table: "tenant_preference_v2", produce: w.preferencesV2},
		{table: "content", produce: w.content},
	}
}

// genOrg is a non-root org of the source or the target.
type genOrg struct {
	id, rootorgid, name, externalid string
	t                               *genTenant
	district                        int
	diet                            bool
}

// srcKid is the source's child org k. Every third one is nested under the
// one before it, as legacy data may be (EXPECTED.md §1, C2): its rootorgid
// is another child, not the tenant.
func (w *world) srcKid(k int) genOrg {
	o := genOrg{id: w.srcKidID(k), rootorgid: w.src.id, t: &w.src, district: k % districtCount}
	if k%3 == 2 {
		o.rootorgid = w.srcKidID(k - 1)
	}
	place := titleWord(mix(uint64(w.seed)^mix(tagOrgSrc+uint64(k))), 3)
	switch {
	case k%3 == 0:
		o.diet = true
		o.name = "Pilot DIET " + w.districtName(o.t, o.district)
		o.externalid = "PILOT-DIET-" + string(appendPad(nil, uint64(k), 4))
	case k == 2 && w.conflicts:
		// Its external id is also the target's first school's: a merge
		// cannot re-key it (ORG_EXTERNAL_ID_TAKEN).
		o.name = "Pilot GUPS " + place
		o.externalid = strings.ToUpper(w.tgtKid(0).externalid)
	default:
		o.name = "Pilot GUPS " + place
		o.externalid = "SCH-1" + string(appendPad(nil, uint64(k), 5))
	}
	return o
}

// tgtKid is the target's non-root org k; the first one is the non-root
// org the validation cases need (istenant false, isrootorg null).
func (w *world) tgtKid(k int) genOrg {
	place := titleWord(mix(uint64(w.seed)^mix(tagOrgTgt+uint64(k))), 3)
	return genOrg{id: w.tgtKidID(k), rootorgid: w.tgt.id, t: &w.tgt, district: k % districtCount,
		name: "GSSS " + place, externalid: "sch-2" + string(appendPad(nil, uint64(k), 5))}
}

func (w *world) organisations(o *genOut) error {
	sys := w.systemUser()
	var r genRand
	r.reseed(w.seed, tagOrgSrc, 1<<40)
	root := func(t *genTenant, status int64, isrootorg any, created int64) error {
		o.set("id", t.id)
		o.set("channel", t.channel)
		o.set("createdby", sys)
		o.set("createddate", textDate(created))
		o.set("description", t.name)
		o.set("hashtagid", t.id)
		o.set("isrootorg", isrootorg)
		o.set("isssoenabled", false)
		o.set("istenant", true)
		o.set("locationids", plainList(w.stateID(t)))
		o.set("organisationtype", int64(5))
		o.set("orglocation", `[{"id":"`+w.stateID(t)+`","type":"state"}]`)
		o.set("orgname", t.name)
		o.set("provider", t.channel)
		o.set("rootorgid", t.id)
		o.set("slug", t.channel)
		o.set("status", status)
		if t.no == 3 {
			o.set("keys", `{"encKeys":["`+t.channel+`_enc_1"],"signKeys":["`+t.channel+`_sign_1","`+t.channel+`_sign_2"]}`)
		}
		return o.emit()
	}
	kid := func(g genOrg, isrootorg any) error {
		o.set("id", g.id)
		o.set("channel", g.t.channel)
		o.set("createdby", w.adminOf(g.t))
		o.set("createddate", textDate(r.when()))
		if g.diet {
			o.set("description", "District Institute of Education & Training, "+w.districtName(g.t, g.district))
		} else {
			o.set("description", g.name)
		}
		o.set("externalid", g.externalid)
		o.set("hashtagid", g.id)
		o.set("isrootorg", isrootorg)
		o.set("istenant", false)
		o.set("locationids", w.locationIDs(g.t, g.district))
		o.set("organisationtype", int64(2))
		o.set("orglocation", w.orgLocation(g.t, g.district))
		o.set("orgname", g.name)
		o.set("provider", g.t.channel)
		o.set("rootorgid", g.rootorgid)
		o.set("status", int64(1))
		return o.emit()
	}
	// Rows come in no meaningful order (token order): the tenants are
	// spread among the children.
	if err := root(&w.tgt, int64(1), true, epoch2017+40*dayMS); err != nil {
		return err
	}
	for k := range w.srcKids {
		if k == w.srcKids/2 {
			if err := root(&w.src, int64(1), true, epoch2017+300*dayMS); err != nil {
				return err
			}
			if err := root(&w.inact, int64(0), true, epoch2017+10*dayMS); err != nil {
				return err
			}
		}
		if err := kid(w.srcKid(k), false); err != nil {
			return err
		}
	}
	for k := range w.tgtKids {
		var isroot any = false
		if k == 0 {
			isroot = nil
		}
		if err := kid(w.tgtKid(k), isroot); err != nil {
			return err
		}
	}
	// The other tenant has istenant but no isrootorg: istenant decides.
	return root(&w.other, int64(1), nil, epoch2017+500*dayMS)
}

// orgExternalIDs writes one row per child org, (lower(channel),
// lower(externalid)), partition by partition, each in clustering order.
func (w *world) orgExternalIDs(o *genOut) error {
	type ext struct{ provider, externalid, orgid string }
	part := func(rows []ext) error {
		sort.Slice(rows, func(i, j int) bool { return rows[i].externalid < rows[j].externalid })
		for _, e := range rows {
			o.set("provider", e.provider)
			o.set("externalid", e.externalid)
			o.set("orgid", e.orgid)
			if err := o.emit(); err != nil {
				return err
			}
		}
		return nil
	}
	var tgt []ext
	for k := range w.tgtKids {
		g := w.tgtKid(k)
		tgt = append(tgt, ext{strings.ToLower(w.tgt.channel), strings.ToLower(g.externalid), g.id})
	}
	if err := part(tgt); err != nil {
		return err
	}
	var src []ext
	for k := range w.srcKids {
		g := w.srcKid(k)
		src = append(src, ext{strings.ToLower(w.src.channel), strings.ToLower(g.externalid), g.id})
	}
	return part(src)
}

var courseNames = [...]string{
	"Science Foundations", "Pedagogy 101", "Digital Classroom", "Maths Bridge", "English Reading Circle",
	"Inclusive Education", "Early Literacy", "School Leadership", "Assessment for Learning", "Hindi Varnamala",
}

// createdFor is batch k's createdfor: the source once, twice, beside the
// target (before or after it), beside a child org, or only the target or
// another tenant.
func (w *world) createdFor(k int) (string, *genTenant) {
	S, T, O := w.src.id, w.tgt.id, w.other.id
	switch k % 7 {
	case 0:
		return plainList(S), &w.src
	case 1:
		return plainList(S, S), &w.src
	case 2:
		return plainList(S, T), &w.src
	case 3:
		return plainList(w.srcKidID(k%w.srcKids), S), &w.src
	case 4:
		return plainList(T), &w.tgt
	case 5:
		return plainList(O), &w.other
	}
	return plainList(T, S), &w.tgt
}

// mentorOf is a user of tenant t, by draw; the platform's own account
// for a tenant without users.
func (w *world) mentorOf(r *genRand, t *genTenant) string {
	switch t.no {
	case 0:
		return w.userID(r.intn(w.nSrc))
	case 1:
		return w.userID(w.nSrc + r.intn(w.nTgt))
	}
	return w.systemUser()
}

func (w *world) mentors(r *genRand, t *genTenant) any {
	if t.no > 1 || r.chance(0.2) {
		return nil // the other tenant's batches have no mentor here
	}
	a := w.mentorOf(r, t)
	if r.chance(0.4) {
		if b := w.mentorOf(r, t); b != a {
			return plainList(a, b)
		}
	}
	return plainList(a)
}

// batchName is a batch's name; a few hold a comma, quotes or a line feed,
// which the export writer must quote and escape.
func batchName(course string, k int) string {
	switch k % 41 {
	case 5:
		return course + `, "ETB" edition`
	case 11:
		return course + "\nWorkshop"
	}
	return course + " - Batch " + itoa(k%9+1)
}

// courseBatches writes sunbird_courses.course_batch: three batches per
// course, a course's batches together in clustering (batchid) order.
func (w *world) courseBatches(o *genOut) error {
	for c := 0; 3*c < w.batches; c++ {
		ks := []int{3 * c}
		for k := 3*c + 1; k < min(3*c+3, w.batches); k++ {
			ks = append(ks, k)
		}
		sort.Slice(ks, func(i, j int) bool { return w.batchID(ks[i]) < w.batchID(ks[j]) })
		for _, k := range ks {
			if err := w.courseBatch(o, k); err != nil {
				return err
			}
		}
	}
	return nil
}

func (w *world) batchID(k int) string { return w.numID(kindBatch, uint64(k)) }

func (w *world) courseBatch(o *genOut, k int) error {
	var r genRand
	r.reseed(w.seed, tagBatch, uint64(k))
	created := r.when()
	start := created + int64(r.between(1, 20))*dayMS
	end := start + int64(r.between(30, 120))*dayMS
	cf, owner := w.createdFor(k)
	course := courseNames[(k/3)%len(courseNames)]
	o.set("courseid", w.contentID(1, uint64(k/3)))
	o.set("batchid", w.batchID(k))
	if k%4 == 1 {
		o.set("cert_templates", cqlcsvMapOfMaps("tmpl_"+itoa(k), map[string]string{
			"name": "Teacher's certificate", "url": "https://example.org/certs/" + itoa(k) + ".svg"}))
	}
	o.set("created_date", stamp(created))
	o.set("createdby", w.mentorOf(&r, owner))
	o.set("createddate", textDate(created))
	o.set("createdfor", cf)
	if k%5 == 0 {
		o.set("description", "For teachers of "+w.src.region+", grades 6-8")
	}
	if k%3 != 2 {
		o.set("end_date", stamp(end))
		o.set("enddate", plainDate(end))
	}
	if k%6 == 0 {
		o.set("enrollment_enddate", stamp(start+7*dayMS))
		o.set("enrollmentenddate", plainDate(start+7*dayMS))
	}
	o.set("enrollmenttype", []string{"open", "invite-only"}[k%2])
	o.set("mentors", w.mentors(&r, owner))
	o.set("name", batchName(course, k))
	o.set("start_date", stamp(start))
	o.set("startdate", plainDate(start))
	o.set("status", int64(k%3))
	if k%7 == 3 {
		o.set("tandc", true)
	}
	return o.emit()
}

// cqlcsvMapOfMaps is a map<text, frozen<map<text,text>>> value with one
// entry.
func cqlcsvMapOfMaps(key string, m map[string]string) string {
	return `{"` + key + `":` + cqlcsv.MapJSON(m) + `}`
}

// legacyCourseBatches writes the legacy sunbird.course_batch, whose
// createdfor takes the first six shapes of createdFor.
func (w *world) legacyCourseBatches(o *genOut) error {
	var r genRand
	for k := range w.legacyBatches {
		r.reseed(w.seed, tagBatch, 1<<40+uint64(k))
		created := r.when()
		start := created + int64(r.between(1, 20))*dayMS
		cf, owner := w.createdFor(k % 6)
		course := courseNames[k%len(courseNames)]
		id := w.numID(kindLegacyBatch, uint64(k+1))
		o.set("id", id)
		o.set("countdecrementstatus", false)
		if k%2 == 0 {
			o.set("countincrementdate", textDate(start))
			o.set("countincrementstatus", true)
		} else {
			o.set("countincrementstatus", false)
		}
		o.set("courseadditionalinfo", cqlcsv.MapJSON(map[string]string{"courseName": course, "leafNodesCount": itoa(8 + k%9), "status": "Live"}))
		creator := w.mentorOf(&r, owner)
		o.set("coursecreator", creator)
		o.set("courseid", w.contentID(1, uint64(100000+k)))
		o.set("createdby", creator)
		o.set("createddate", textDate(created))
		o.set("createdfor", cf)
		o.set("enddate", plainDate(start+60*dayMS))
		o.set("enrollmenttype", "open")
		o.set("hashtagid", id)
		o.set("mentors", w.mentors(&r, owner))
		o.set("name", course+" - Batch "+itoa(k+1))
		o.set("startdate", plainDate(start))
		o.set("status", int64(1+k%2))
		if err := o.emit(); err != nil {
			return err
		}
	}
	return nil
}

// courseManagement writes the legacy course_management, alternately owned by
// the source and the target.
func (w *world) courseManagement(o *genOut) error {
	var r genRand
	for k := range w.courseMgmt {
		r.reseed(w.seed, tagBatch, 2<<40+uint64(k))
		t := &w.src
		if k%2 == 1 {
			t = &w.tgt
		}
		course := courseNames[k%len(courseNames)]
		courseID := w.contentID(1, uint64(200000+k))
		faculty := w.mentorOf(&r, t)
		created := r.when()
		o.set("id", w.numID(kindCourseRecord, uint64(k+1)))
		o.set("addedby", w.adminOf(t))
		o.set("addedbyname", "Org admin of "+t.name)
		o.set("contentid", courseID)
		o.set("contenttype", "Course")
		o.set("courseduration", itoa(4+k%8)+" weeks")
		o.set("courseid", courseID)
		o.set("coursename", course)
		o.set("coursetype", "online")
		o.set("createddate", textDate(created))
		o.set("createdfor", plainList(t.id))
		o.set("description", "Foundations, grades 6-7")
		o.set("facultyid", faculty)
		o.set("facultyname", "Faculty "+itoa(k+1))
		o.set("nooflectures", int64(8+k%5))
		o.set("organisationid", t.id)
		o.set("organisationname", t.name)
		o.set("publishedby", w.adminOf(t))
		o.set("publisheddate", textDate(created+9*dayMS))
		o.set("status", "live")
		o.set("tutor", cqlcsv.MapJSON(map[string]string{faculty: "Faculty " + itoa(k+1)}))
		o.set("usercount", int64(r.between(5, 60)))
		if err := o.emit(); err != nil {
			return err
		}
	}
	return nil
}

// pages: the source's and the target's, and a global one. The source has
// a page named like one of the target's only when there are conflicts.
func (w *world) pages(o *genOut) error {
	type page struct {
		name string
		t    *genTenant
	}
	list := []page{{"Course", &w.tgt}, {"Explore-Pilot", &w.src}, {"Library", &w.tgt}, {"Resource", nil},
		{w.src.region + " Pilot Library", &w.src}, {"Explore", &w.tgt}}
	if w.conflicts {
		list = append(list, page{"Course", &w.src})
	}
	for k, p := range list {
		created := epoch2017 + int64(100+k*30)*dayMS
		section := func(n int) string {
			var b strings.Builder
			b.WriteByte('[')
			for i := range n {
				if i > 0 {
					b.WriteByte(',')
				}
				b.WriteString(`{"id":"` + w.numID(kindPageSection, uint64(k*10+i+1)) + `","index":` + itoa(i+1) + `,"group":1}`)
			}
			b.WriteByte(']')
			return b.String()
		}
		o.set("id", w.numID(kindPage, uint64(k+1)))
		o.set("appmap", section(1+k%2))
		o.set("created_date", stamp(created))
		o.set("createdby", w.systemUser())
		o.set("createddate", textDate(created))
		o.set("name", p.name)
		if p.t != nil {
			o.set("organisationid", p.t.id)
		}
		o.set("portalmap", section(1+k%2))
		if err := o.emit(); err != nil {
			return err
		}
	}
	return nil
}

// bulkUploads: job records of both tenants; their telemetry context maps
// name the tenant, which a merge leaves as it is.
func (w *world) bulkUploads(o *genOut) error {
	type job struct {
		t                *genTenant
		objecttype, data string
		status           int64
		failure, success any
	}
	jobs := []job{
		{&w.src, "user", `C:\uploads\pilot_users_batch1.csv`, 3, nil, `[{"status":"SUCCESS"}]`},
		{&w.tgt, "user", "teachers_" + w.tgt.channel + ".csv", 3, nil, `[{"status":"SUCCESS"}]`},
		{&w.src, "organisation", "pilot_schools.csv", 9, "Row 3: invalid locationCode \"X-9\",\nRow 7: duplicate externalId", nil},
		{&w.src, "user", "pilot_users_batch2.csv", 3, nil, `[{"status":"SUCCESS"}]`},
		{&w.tgt, "organisation", "schools.csv", 1, nil, nil},
	}
	for k, j := range jobs {
		id := w.numID(kindBulk, uint64(k+1))
		at := epoch2017 + int64(400+k*20)*dayMS
		o.set("id", id)
		o.set("createdby", w.adminOf(j.t))
		o.set("createdon", stamp(at))
		o.set("data", j.data)
		o.set("failureresult", j.failure)
		o.set("lastupdatedon", stamp(at+60000))
		o.set("objecttype", j.objecttype)
		o.set("organisationid", j.t.id)
		if j.status != 1 {
			o.set("processendtime", textDate(at+59000))
		}
		o.set("processstarttime", textDate(at))
		o.set("retrycount", int64(0))
		o.set("status", j.status)
		o.set("storagedetails", `{"container":"bulk-upload","objectType":"`+j.objecttype+`","fileName":"`+id+`.csv"}`)
		o.set("successresult", j.success)
		o.set("taskcount", int64(1))
		o.set("telemetrycontext", cqlcsv.MapJSON(map[string]string{"channel": j.t.id, "pdata": `{"id":"prod.sunbird.portal","ver":"1.13"}`}))
		o.set("uploadedby", w.adminOf(j.t))
		o.set("uploadeddate", textDate(at))
		if err := o.emit(); err != nil {
			return err
		}
	}
	return nil
}

func (w *world) geoLocations(o *genOut) error {
	type geo struct {
		t    *genTenant
		d    int
		kind string
	}
	list := []geo{{&w.src, 0, "district"}, {&w.tgt, 1, "district"}, {&w.src, 1, "block"}, {&w.tgt, 2, "district"}, {&w.src, 2, "district"}}
	for k, g := range list {
		id := w.numID(kindGeo, uint64(k+1))
		at := epoch2017 + int64(300+k)*dayMS
		o.set("id", id)
		o.set("createdby", w.systemUser())
		o.set("createddate", textDate(at))
		name := w.districtName(g.t, g.d)
		if g.kind == "block" {
			name += " Block"
		}
		o.set("location", name)
		o.set("rootorgid", g.t.id)
		o.set("topic", id)
		o.set("type", g.kind)
		o.set("usercount", int64(3+k*2))
		o.set("usercountttl", itoa64(at))
		if err := o.emit(); err != nil {
			return err
		}
	}
	return nil
}

func (w *world) badges(o *genOut) error {
	for _, b := range []struct {
		t     *genTenant
		slug  string
		roles string
	}{
		{&w.tgt, strings.ToLower(w.tgt.region) + "-star-teacher", plainList("ORG_ADMIN")},
		{&w.src, "etb-pilot-champion", plainList("ORG_ADMIN", "CONTENT_CREATOR")},
		{&w.other, strings.ToLower(w.other.region) + "-mentor", plainList("ORG_ADMIN")},
	} {
		o.set("id", "badgeslug-"+b.slug)
		o.set("issuerid", "issuerslug-"+strings.ToLower(b.t.channel))
		o.set("roles", b.roles)
		o.set("rootorgid", b.t.id)
		o.set("subtype", "award")
		o.set("type", "user")
		if err := o.emit(); err != nil {
			return err
		}
	}
	return nil
}

// preference is one tenant preference; the source's declarations key is
// the target's only when there are conflicts.
type preference struct {
	t         *genTenant
	key, data string
	at        int64
}

func (w *world) preferenceList() []preference {
	decl := "pilot_declarations"
	if w.conflicts {
		decl = "teacher_declarations"
	}
	return []preference{
		{&w.tgt, "teacher_declarations", `{"fields":["declared-email","declared-school-udise-code"]}`, epoch2017 + 1320*dayMS},
		{&w.src, decl, `{"fields":["declared-email","declared-phone","declared-school-udise-code"]}`, epoch2017 + 1340*dayMS},
		{&w.src, "pilot_banner", `{"text":"Welcome, ETB pilot teachers!"}`, epoch2017 + 1341*dayMS},
	}
}

func (w *world) preferences(o *genOut) error {
	for k, p := range w.preferenceList() {
		o.set("id", genUUID(w.seed, tagUUID, 100+uint64(k)))
		o.set("data", p.data)
		o.set("key", p.key)
		o.set("orgid", p.t.id)
		o.set("tenantname", p.t.name)
		if err := o.emit(); err != nil {
			return err
		}
	}
	return nil
}

// preferencesV2 writes (orgid, key) partition by partition, keys in order.
func (w *world) preferencesV2(o *genOut) error {
	list := w.preferenceList()
	sort.SliceStable(list, func(i, j int) bool {
		if list[i].t.no != list[j].t.no {
			return list[i].t.no > list[j].t.no
		}
		return list[i].key < list[j].key
	})
	for _, p := range list {
		o.set("orgid", p.t.id)
		o.set("key", p.key)
		o.set("createdby", w.adminOf(p.t))
		o.set("createdon", stamp(p.at))
		o.set("data", p.data)
		if p.t.no == 1 {
			o.set("updatedby", w.adminOf(p.t))
			o.set("updatedon", stamp(p.at+160*dayMS))
		}
		if err := o.emit(); err != nil {
			return err
		}
	}
	return nil
}

// content writes content.csv: id and channel (the owner's root org id),
// about 40% the source's, most of the rest the target's, a few another
// tenant's.
func (w *world) content(o *genOut) error {
	order := newGenPerm(w.seed, tagOrderContent, w.contents)
	for i := range w.contents {
		k := order.at(i)
		h := mix(uint64(w.seed) ^ mix(tagContent+uint64(k)))
		t := &w.tgt
		switch h % 20 {
		case 0, 1, 2, 3, 4, 5, 6, 7:
			t = &w.src
		case 19:
			t = &w.other
		}
		if k < 2 {
			t = [2]*genTenant{&w.src, &w.tgt}[k]
		}
		o.set("id", w.contentID(2, uint64(k)))
		o.set("channel", t.id)
		if err := o.emit(); err != nil {
			return err
		}
	}
	return nil
}

func itoa64(n int64) string { return itoaU(uint64(n)) }

func itoaU(n uint64) string { return string(appendPad(nil, n, 1)) }
