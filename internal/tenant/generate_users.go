package tenant

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// The users and the tables that hang off them. Every file derives a user
// afresh from (seed, index) with person, so nothing is remembered between
// rows or files.

func (w *world) userTasks() []genTask {
	return []genTask{
		{table: "user", produce: w.users},
		{table: "usr_external_identity", produce: w.identities},
		{table: "user_lookup", split: w.splitLookup, produce: w.lookups},
		{table: "user_organisation", produce: w.memberships},
		{table: "user_org", produce: w.legacyMemberships},
		{table: "user_roles", produce: w.roles},
		{table: "user_consent", produce: w.consents},
	}
}

type twinKind uint8

const (
	twinNone twinKind = iota
	// twinEmail: the source user has the e-mail ciphertext of its target
	// twin, whose lookup row owns it (DUPLICATE_EMAIL).
	twinEmail
	// twinExtID: the source user has its target twin's state external id,
	// each under its own tenant's provider (EXTERNAL_ID_TAKEN).
	twinExtID
)

type consentKind uint8

const (
	consentNone consentKind = iota
	consentActive
	consentRevoked
)

// person is one user as every file sees it. person derives its flags,
// dates and orgs; contact adds its names, e-mail, phone, user name and
// external id, which only some files need.
type person struct {
	i, j int // index in the dataset, index in its tenant
	src  bool
	t    *genTenant
	id   string
	twin twinKind

	status                                                 int64
	deleted, admin, mentor, creator, managed               bool
	legacyLogin, declared, legacyOrg, inTarget             bool
	courseConsent                                          bool
	consent                                                consentKind
	kid1, kid2                                             int // the tenant's non-root orgs the user is in; -1 for none
	assoc                                                  int64
	created, tnc, updated, joinedTarget, dob               int64
	emailVerified, phoneVerified, framework, recoveryEmpty bool
	district                                               int
	usertype, position                                     string

	// The draws contact builds the strings from.
	firstBits, lastBits        uint64
	firstLen, lastLen, domain  int
	deva, apos                 bool
	hasEmail, hasPhone, hasExt bool

	// Set by contact.
	first string // as displayed: Latin letters, a few in Devanagari
	last  string
	email string // plaintext; "" for none
	phone string
	uname string
	ext   string // state external id as given (upper case); "" for none
}

var emailDomains = [...]string{"example.com", "example.org", "example.net", "mail.example.org"}

var associationTypes = [...]int64{0, 1, 2, 4}

var dob1965 = time.Date(1965, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()

// person derives user i, all but its contact strings.
func (w *world) person(i int, p *person) {
	var r genRand
	*p = person{i: i, kid1: -1, kid2: -1, status: 1}
	p.src = i < w.nSrc
	p.j, p.t = i, &w.src
	kids := w.srcKids
	if !p.src {
		p.j, p.t, kids = i-w.nSrc, &w.tgt, w.tgtKids
	}
	p.id = w.userID(i)
	r.reseed(w.seed, tagUser, uint64(i))
	p.firstBits, p.firstLen = r.u64(), 2+r.intn(2)
	p.lastBits, p.lastLen = r.u64(), 2+r.intn(2)
	p.deva, p.apos = r.chance(0.03), r.chance(0.02)
	p.hasEmail, p.hasPhone, p.hasExt = r.chance(0.78), r.chance(0.72), r.chance(0.6)
	p.domain = r.intn(len(emailDomains))
	p.created = r.when()
	p.emailVerified, p.phoneVerified = r.chance(0.8), r.chance(0.85)
	p.district = r.intn(districtCount)
	if r.chance(0.3) {
		p.kid1 = r.intn(kids)
		if r.chance(0.15) && kids > 1 {
			p.kid2 = (p.kid1 + 1 + r.intn(kids-1)) % kids
		}
	}
	p.creator = p.kid1 >= 0 && r.chance(0.4)
	p.assoc = associationTypes[r.intn(len(associationTypes))]
	p.framework = r.chance(0.2)
	if r.chance(0.7) {
		p.tnc = p.created + int64(r.between(0, 400))*dayMS
	}
	if r.chance(0.4) {
		p.updated = p.created + int64(r.between(1, 700))*dayMS
	}
	if r.chance(0.2) {
		p.dob = dob1965 + int64(r.intn(40*365))*dayMS
	}
	p.recoveryEmpty = r.chance(0.1)
	p.usertype = "teacher"
	if r.intn(10) >= 8 {
		p.usertype = "other"
	}
	if r.chance(0.3) {
		p.position = "Teacher"
	}
	p.joinedTarget = p.created + int64(r.between(30, 600))*dayMS

	if p.j < w.pairs {
		p.twin = twinEmail
		if p.j%2 == 1 {
			p.twin = twinExtID
		}
	}
	on := func(f int) bool { return (p.j+w.off[p.t.no][f])%featurePeriod[f] == 0 }
	p.admin = p.j == 0 || on(featAdmin)
	p.mentor = on(featMentor)
	p.legacyOrg = on(featLegacyOrg)
	p.legacyLogin = on(featLegacyLogin)
	if p.twin == twinNone && !p.admin {
		p.deleted = on(featDeleted)
		p.managed = p.j > 0 && on(featManaged) && !p.deleted
	}
	if p.twin == twinNone && !p.managed {
		p.declared = on(featDeclared)
		p.inTarget = p.src && on(featInTarget)
	}
	switch {
	case on(featConsentActive):
		p.consent = consentActive
	case on(featConsentRevoked):
		p.consent = consentRevoked
	}
	p.courseConsent = p.src && on(featCourseConsent)
	if p.deleted {
		p.status = 0
	}
	if p.admin {
		p.usertype = "administrator"
	}
	switch {
	case p.managed:
		p.hasEmail, p.hasPhone, p.hasExt = false, false, false
	case p.twin == twinEmail:
		p.hasEmail = true
	case p.twin == twinExtID:
		p.hasExt = true
	}
}

// contact sets p's names, e-mail, phone, user name and external id.
func (w *world) contact(p *person) {
	latinFirst, latinLast := word(p.firstBits, p.firstLen, &latinSyl), word(p.lastBits, p.lastLen, &latinSyl)
	p.first, p.last = title(latinFirst), title(latinLast)
	if p.deva {
		p.first = word(p.firstBits, p.firstLen, &devaSyl)
	}
	if p.apos {
		p.last = "D'" + p.last
	}
	if p.hasEmail {
		p.email = latinFirst + "." + latinLast + strconv.Itoa(p.i) + "@" + emailDomains[p.domain]
	}
	if p.hasPhone {
		p.phone = "9" + string(appendPad(nil, (w.phoneA*uint64(p.i)+w.phoneB)%1e9, 9))
	}
	p.uname = latinFirst + "_" + strconv.FormatUint(uint64(p.i)+36*36*36, 36)
	if p.hasExt {
		p.ext = p.t.extPfx + string(appendPad(nil, uint64(p.j+1), 5))
	}
	if p.src && p.twin != twinNone {
		// The same person in the target: its name, and its e-mail or its
		// external id.
		var q person
		w.person(w.nSrc+p.j, &q)
		w.contact(&q)
		p.first, p.last = q.first, q.last
		if p.twin == twinEmail {
			p.email = q.email
		} else {
			p.ext = q.ext
		}
	}
}

func title(s string) string { return strings.ToUpper(s[:1]) + s[1:] }

// ownsEmailLookup says whether the user's e-mail has its user_lookup row:
// one e-mail has one row, the target twin's.
func (p *person) ownsEmailLookup() bool { return p.email != "" && !(p.src && p.twin == twinEmail) }

// rolesOf lists the user's roles in role order (the clustering order of
// user_roles), each with its scope.
func (w *world) rolesOf(p *person) (roles, scopes []string) {
	root := p.t.id
	add := func(role string, orgs ...string) {
		roles = append(roles, role)
		scopes = append(scopes, scope(orgs...))
	}
	if p.creator {
		add("CONTENT_CREATOR", w.kidOf(p.src, p.kid1))
	}
	if p.inTarget {
		add("CONTENT_REVIEWER", w.tgt.id)
	}
	if p.mentor {
		if p.kid1 >= 0 {
			add("COURSE_MENTOR", w.kidOf(p.src, p.kid1), root)
		} else {
			add("COURSE_MENTOR", root)
		}
	}
	if p.admin {
		add("ORG_ADMIN", root)
	}
	if p.inTarget {
		add("PUBLIC", root, w.tgt.id)
	} else {
		add("PUBLIC", root)
	}
	return roles, scopes
}

// userRoles is the user row's roles list.
func userRoles(p *person) string {
	l := []string{"PUBLIC"}
	if p.admin {
		l = append(l, "ORG_ADMIN")
	}
	if p.mentor {
		l = append(l, "COURSE_MENTOR")
	}
	if p.creator {
		l = append(l, "CONTENT_CREATOR")
	}
	return plainList(l...)
}

func (w *world) framework(t *genTenant) string {
	board := strings.ToUpper(t.channel) + "BSE"
	return `{"board":["` + board + `"],"gradeLevel":["Class 6","Class 7"],"id":["` + t.channel + `_k-12"],"medium":["Hindi"],"subject":["Mathematics"]}`
}

// eachUser calls row for every user, in the order of tag's permutation
// (each file has its own: export order is token order), formatting on
// several goroutines; row gets a person and cipher scratch space of its
// goroutine's own.
func (w *world) eachUser(o *genOut, tag uint64, row func(o *genOut, p *person, cb *cipherBuf) error) error {
	order := newGenPerm(w.seed, tag, w.n)
	return o.parallel(w.n, func() func(*genOut, int) error {
		var p person
		var cb cipherBuf
		return func(o *genOut, k int) error {
			w.person(order.at(k), &p)
			return row(o, &p, &cb)
		}
	})
}

func (w *world) users(o *genOut) error {
	return w.eachUser(o, tagOrderUser, func(o *genOut, p *person, cb *cipherBuf) error {
		w.contact(p)
		o.set("id", p.id)
		if p.admin {
			o.set("alltncaccepted", `{"orgAdminTnc":"{\"tncAcceptedOn\":\"`+textDate(p.created+dayMS)+`\",\"version\":\"v1\"}"}`)
		}
		o.set("channel", p.t.channel)
		o.set("countrycode", "+91")
		if !p.admin {
			o.set("createdby", w.adminOf(p.t))
		}
		o.set("createddate", textDate(p.created))
		if p.dob != 0 {
			o.set("dob", plainDate(p.dob))
		}
		if p.email != "" {
			o.set("email", w.ciph.encrypt(p.email, cb))
			o.set("emailverified", p.emailVerified)
			o.set("maskedemail", maskEmail(p.email))
		}
		o.set("firstname", p.first)
		var flags int64
		if p.phone != "" && p.phoneVerified {
			flags |= 1
		}
		if p.email != "" && p.emailVerified {
			flags |= 2
		}
		if p.ext != "" {
			flags |= 4
		}
		o.set("flagsvalue", flags)
		if p.framework {
			o.set("framework", w.framework(p.t))
		}
		o.set("isdeleted", p.deleted)
		o.set("lastname", p.last)
		o.set("locationids", w.locationIDs(p.t, p.district))
		if p.legacyLogin {
			// The legacy login id encrypts user name @ channel.
			o.set("loginid", w.ciph.encrypt(strings.ToLower(p.uname+"@"+p.t.channel), cb))
		}
		if p.managed {
			o.set("managedby", w.userID(p.i-1))
		}
		if p.phone != "" {
			o.set("phone", w.ciph.encrypt(p.phone, cb))
			o.set("phoneverified", p.phoneVerified)
			o.set("maskedphone", maskPhone(p.phone))
		}
		o.set("profilelocation", w.orgLocation(p.t, p.district))
		o.set("profileusertype", `{"type":"`+p.usertype+`","subType":null}`)
		o.set("profileusertypes", `[{"type":"`+p.usertype+`","subType":null}]`)
		if p.recoveryEmpty {
			o.set("recoveryemail", "")
		}
		if p.admin || p.mentor || p.creator || p.legacyLogin {
			// Current code keeps roles in user_roles; the list survives
			// on older accounts and those with more than PUBLIC.
			o.set("roles", userRoles(p))
		}
		o.set("rootorgid", p.t.id)
		o.set("status", p.status)
		if p.tnc != 0 {
			o.set("tncacceptedon", stamp(p.tnc))
			o.set("tncacceptedversion", "v4")
		}
		if p.updated != 0 {
			o.set("updatedby", p.id)
			o.set("updateddate", textDate(p.updated))
		}
		o.set("userid", p.id)
		o.set("username", w.ciph.encrypt(p.uname, cb))
		o.set("usertype", p.usertype)
		if err := o.emit(); err != nil {
			return err
		}
		return nil
	})
}

// identities writes usr_external_identity, one provider's partition after
// the other: state ids under the root org id, and self-declarations, the
// e-mail and phone ones encrypted (their externalid lowercased).
func (w *world) identities(o *genOut) error {
	var p person
	var cb cipherBuf
	emit := func(idtype, original string) error {
		root := p.t.id
		o.set("provider", root)
		o.set("idtype", strings.ToLower(idtype))
		o.set("externalid", strings.ToLower(original))
		o.set("createdon", stamp(p.created+3600000))
		o.set("originalexternalid", original)
		o.set("originalidtype", idtype)
		o.set("originalprovider", root)
		o.set("userid", p.id)
		return o.emit()
	}
	for _, part := range [][2]int{{0, w.nSrc}, {w.nSrc, w.nTgt}} {
		order := newGenPerm(w.seed, tagOrderIdentity+uint64(part[0]), part[1])
		for k := range part[1] {
			w.person(part[0]+order.at(k), &p)
			if !p.hasExt && !p.declared {
				continue
			}
			w.contact(&p)
			if p.ext != "" {
				if err := emit(p.t.id, p.ext); err != nil {
					return err
				}
			}
			if !p.declared {
				continue
			}
			if p.email != "" {
				if err := emit("declared-email", w.ciph.encrypt(p.email, &cb)); err != nil {
					return err
				}
			}
			if p.phone != "" {
				if err := emit("declared-phone", w.ciph.encrypt(p.phone, &cb)); err != nil {
					return err
				}
			}
			code := "08" + strconv.Itoa(1+p.t.no) + string(appendPad(nil, uint64(p.j), 8))
			if err := emit("declared-school-udise-code", code); err != nil {
				return err
			}
		}
	}
	return nil
}

// lookups writes user_lookup: e-mail, phone and user name ciphertexts, and
// externalid <id>@<root org id> for the state id.
func (w *world) lookups(o *genOut) error {
	return w.eachUser(o, tagOrderLookup, func(o *genOut, p *person, cb *cipherBuf) error {
		emit := func(typ, value string) error {
			o.set("type", typ)
			o.set("value", value)
			o.set("userid", p.id)
			return o.emit()
		}
		w.contact(p)
		if p.ownsEmailLookup() {
			if err := emit("email", w.ciph.encrypt(p.email, cb)); err != nil {
				return err
			}
		}
		if p.phone != "" {
			if err := emit("phone", w.ciph.encrypt(p.phone, cb)); err != nil {
				return err
			}
		}
		if err := emit("username", w.ciph.encrypt(p.uname, cb)); err != nil {
			return err
		}
		if p.ext != "" {
			return emit("externalid", strings.ToLower(p.ext)+"@"+p.t.id)
		}
		return nil
	})
}

// membership is one user_organisation or user_org row of a user.
type membership struct {
	org, roles, position string
	slot                 uint64
	join                 int64
	assoc                int64
	deleted              bool
}

// membershipsOf lists the user's memberships in org id order (the
// clustering order of user_organisation): its root org, the non-root orgs
// it is in, and, for some source users, the target already.
func (w *world) membershipsOf(p *person) []membership {
	rootRoles := userRoles(p)
	ms := []membership{{org: p.t.id, roles: rootRoles, slot: 0, join: p.created + 1000, assoc: p.assoc, deleted: p.deleted, position: p.position}}
	for n, k := range []int{p.kid1, p.kid2} {
		if k < 0 {
			continue
		}
		roles := plainList("PUBLIC")
		if p.creator && n == 0 {
			roles = plainList("PUBLIC", "CONTENT_CREATOR")
		}
		ms = append(ms, membership{org: w.kidOf(p.src, k), roles: roles, slot: uint64(1 + n), join: p.created + int64(1+n)*dayMS, assoc: 4})
	}
	if p.inTarget {
		ms = append(ms, membership{org: w.tgt.id, roles: plainList("PUBLIC", "CONTENT_REVIEWER"), slot: 3, join: p.joinedTarget, assoc: 4, position: "Reviewer"})
	}
	slices.SortFunc(ms, func(a, b membership) int { return strings.Compare(a.org, b.org) })
	return ms
}

func (w *world) memberships(o *genOut) error {
	return w.eachUser(o, tagOrderMember, func(o *genOut, p *person, cb *cipherBuf) error {
		for _, m := range w.membershipsOf(p) {
			o.set("userid", p.id)
			o.set("organisationid", m.org)
			if !p.admin {
				o.set("addedby", w.adminOf(p.t))
			}
			if m.assoc != 0 {
				o.set("associationtype", m.assoc)
			}
			o.set("hashtagid", m.org)
			o.set("id", w.numID(kindMember, uint64(p.i)*4+m.slot))
			o.set("isdeleted", m.deleted)
			o.set("orgjoindate", textDate(m.join))
			if m.deleted {
				o.set("orgleftdate", textDate(m.join+200*dayMS))
			}
			if m.position != "" {
				o.set("position", m.position)
			}
			o.set("roles", m.roles)
			if err := o.emit(); err != nil {
				return err
			}
		}
		return nil
	})
}

// legacyMemberships writes the legacy user_org for some users: their root
// org, their first other org, and the target for those already in it.
func (w *world) legacyMemberships(o *genOut) error {
	return w.eachUser(o, tagOrderLegacyMember, func(o *genOut, p *person, cb *cipherBuf) error {
		if !p.legacyOrg {
			return nil
		}
		for _, m := range w.membershipsOf(p) {
			if m.slot == 2 {
				continue
			}
			o.set("id", w.numID(kindLegacyMember, uint64(p.i)*4+m.slot))
			if !p.admin {
				o.set("addedby", w.adminOf(p.t))
			}
			o.set("hashtagid", m.org)
			o.set("isdeleted", m.deleted)
			o.set("organisationid", m.org)
			o.set("orgjoindate", textDate(m.join))
			if m.position != "" {
				o.set("position", m.position)
			}
			o.set("roles", m.roles)
			o.set("userid", p.id)
			if err := o.emit(); err != nil {
				return err
			}
		}
		return nil
	})
}

func (w *world) roles(o *genOut) error {
	return w.eachUser(o, tagOrderRoles, func(o *genOut, p *person, cb *cipherBuf) error {
		roles, scopes := w.rolesOf(p)
		for n, role := range roles {
			o.set("userid", p.id)
			o.set("role", role)
			if !p.admin {
				o.set("createdby", w.adminOf(p.t))
			}
			o.set("createddate", textDate(p.created+2000))
			o.set("scope", scopes[n])
			if err := o.emit(); err != nil {
				return err
			}
		}
		return nil
	})
}

// consents writes user_consent: org consents to the user's root org
// (active or revoked), a course consent given to the source, and the
// target's for source users already in it; in (consumer, object) order.
func (w *world) consents(o *genOut) error {
	type consent struct {
		consumer, object, objectType, status string
		at                                   int64
	}
	return w.eachUser(o, tagOrderConsent, func(o *genOut, p *person, cb *cipherBuf) error {
		var cs []consent
		switch p.consent {
		case consentActive:
			cs = append(cs, consent{p.t.id, p.t.id, "Organisation", "ACTIVE", p.created + 30*dayMS})
		case consentRevoked:
			cs = append(cs, consent{p.t.id, p.t.id, "Organisation", "REVOKED", p.created + 30*dayMS})
		}
		if p.courseConsent {
			cs = append(cs, consent{p.t.id, w.contentID(1, uint64(p.j%((w.batches+2)/3))), "Collection", "ACTIVE", p.created + 60*dayMS})
		}
		if p.inTarget {
			cs = append(cs, consent{w.tgt.id, w.tgt.id, "Organisation", "ACTIVE", p.joinedTarget})
		}
		slices.SortFunc(cs, func(a, b consent) int {
			if c := strings.Compare(a.consumer, b.consumer); c != 0 {
				return c
			}
			return strings.Compare(a.object, b.object)
		})
		for _, c := range cs {
			o.set("user_id", p.id)
			o.set("consumer_id", c.consumer)
			o.set("object_id", c.object)
			o.set("consumer_type", "ORGANISATION")
			o.set("created_on", stamp(c.at))
			o.set("expiry", stamp(c.at+365*dayMS))
			o.set("id", "usr-consent:"+p.id+":"+c.consumer+":"+c.object)
			last := c.at
			if c.status == "REVOKED" {
				last += 90 * dayMS
			}
			o.set("last_updated_on", stamp(last))
			o.set("object_type", c.objectType)
			o.set("status", c.status)
			if err := o.emit(); err != nil {
				return err
			}
		}
		return nil
	})
}
