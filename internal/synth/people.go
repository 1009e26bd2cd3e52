package synth

import "strconv"

var emailDomains = [...]string{
	"example.test", "mail.example.test", "agency.example.org", "example.com", "example.net",
}

// emailBase maps a contact id to the id whose address it uses. Every id
// 100m (m ≥ 1, beyond the heavy range) shares the address of id 100m-1; this
// is how the same e-mail appears under two contact ids, both across the file
// and, when a domain picks such a pair, on one domain.
func (g *gen) emailBase(c uint64) uint64 {
	if c%100 == 0 && c > g.heavy+1 && c <= g.pool {
		return c - 1
	}
	return c
}

// appendEmail writes contact c's address, possibly none. It depends only on
// (seed, emailBase(c)), never on the row being written.
func (g *gen) appendEmail(b []byte, e *rng, c uint64, valid bool) []byte {
	base := g.emailBase(c)
	if base <= g.heavy {
		// Registrar-wide technical contacts.
		b = append(b, "hostmaster"...)
		b = strconv.AppendUint(b, base, 10)
		return append(b, "@registrar.example.test"...)
	}
	e.reseed(g.seed, tagEmail, base)
	// About 1% have no address; 100m-1 is exempt so that an alias pair
	// always shares a real one.
	if e.chance(0.01) && base%100 != 99 && valid {
		return b
	}
	first, last, shape, dom := e.u64(), e.u64(), e.intn(3), e.intn(len(emailDomains))
	title := e.chance(0.02) // mixed-case address; matching must ignore case
	start := len(b)
	switch shape {
	case 0:
		b = appendWord(b, first, 2, title)
		b = append(b, '.')
		b = appendWord(b, last, 3, title)
	case 1:
		b = append(b, syllables[first&15][0])
		b = appendWord(b, last, 3, false)
		if title {
			b[start] -= 'a' - 'A'
		}
	default:
		b = appendWord(b, first, 2, title)
		b = append(b, '_')
		b = appendWord(b, last, 2, title)
	}
	// The id suffix keeps addresses unique across distinct bases.
	b = strconv.AppendUint(b, base, 10)
	if valid {
		b = append(b, '@')
	} else {
		b = append(b, '.') // no '@': rejected as an invalid e-mail
	}
	at := len(b)
	b = append(b, emailDomains[dom]...)
	if title {
		upper(b[at:])
	}
	return b
}

const (
	contactGood = iota
	contactTruncated
	contactBadEmail
)

// contacts writes one 15-field row per pooled contact id (the 15th field is
// the empty one after the trailing delimiter). Ghost ids are never written.
func (g *gen) contacts(w *fileWriter) error {
	var r, e, f rng
	f.reseed(g.seed, tagFileContacts, 0)
	badID := g.pool + g.ghosts
	for c := uint64(1); c <= g.pool; c++ {
		if f.chance(g.pBad) {
			// Bad rows get ids of their own that no domain references, so a
			// rejected row never hides a good contact.
			badID++
			var err error
			switch f.intn(3) {
			case 0: // blank line
				err = w.emit(true, false)
			case 1: // wrong column count: cut before the e-mail column
				g.contactRow(w, &r, &e, badID, contactTruncated)
				err = w.emit(true, false)
			default:
				g.contactRow(w, &r, &e, badID, contactBadEmail)
				err = w.emit(true, false)
			}
			if err != nil {
				return err
			}
		}
		g.contactRow(w, &r, &e, c, contactGood)
		if err := w.emit(false, false); err != nil {
			return err
		}
	}
	return nil
}

// contactRow writes id|roid|voice||fax||email|registrar|org|batch|created|org|batch|updated|
func (g *gen) contactRow(w *fileWriter, r, e *rng, c uint64, kind int) {
	r.reseed(g.seed, tagContact, c)
	w.row = g.appendContactID(w.row, c)
	w.s()
	w.row = strconv.AppendUint(w.row, 10000+c, 10)
	w.str("_CONTACT")
	w.s()
	w.row = appendPhone(w.row, r, false)
	w.s()
	w.s()
	if r.chance(0.6) {
		w.row = appendPhone(w.row, r, false)
	}
	if kind == contactTruncated {
		return
	}
	w.s()
	w.s()
	w.row = g.appendEmail(w.row, e, c, kind != contactBadEmail)
	w.s()
	w.str(registrars[r.intn(len(registrars))])
	w.s()
	org := len(w.row)
	w.row = appendWord(w.row, r.u64(), 3, false)
	orgEnd := len(w.row)
	upper(w.row[org:])
	w.s()
	w.str("ctldbatch")
	w.s()
	cr := r.stamp(2005, 2023)
	w.row = appendStamp(w.row, cr)
	w.s()
	w.row = append(w.row, w.row[org:orgEnd]...) // the same org code again
	w.s()
	w.str("ctldbatch")
	w.s()
	up := r.stamp(cr.y+1, 2024)
	w.row = appendStamp(w.row, up)
	w.s()
}

// authorities writes the senior officials; each points at one agency.
func (g *gen) authorities(w *fileWriter) error {
	if err := w.header("authorityid", "firstname", "middlename", "lastname",
		"email", "phonenumber", "agencyid", "addlinfo"); err != nil {
		return err
	}
	var r rng
	for id := 1; id <= g.auths; id++ {
		r.reseed(g.seed, tagAuthority, uint64(id))
		first, last := r.u64(), r.u64()
		w.row = strconv.AppendInt(w.row, int64(id), 10)
		w.s()
		w.row = appendWord(w.row, first, 2, true)
		w.s()
		if r.chance(0.4) {
			w.row = appendWord(w.row, r.u64(), 2, true)
		}
		w.s()
		w.row = appendWord(w.row, last, 3, true)
		w.s()
		if !r.chance(0.03) {
			w.row = append(w.row, syllables[first&15][0])
			w.row = appendWord(w.row, last, 3, false)
			w.row = strconv.AppendInt(w.row, int64(id), 10)
			w.str("@")
			w.str(emailDomains[r.intn(len(emailDomains))])
		}
		w.s()
		if !r.chance(0.04) {
			w.row = appendPhone(w.row, &r, r.chance(0.5))
		}
		w.s()
		w.row = strconv.AppendInt(w.row, int64(1+r.intn(agencyCount)), 10)
		w.s()
		if r.chance(0.5) {
			w.str(purposes[r.intn(len(purposes))])
		}
		if err := w.emit(false, false); err != nil {
			return err
		}
	}
	return nil
}

var usStates = [50]string{
	"Alabama", "Alaska", "Arizona", "Arkansas", "California", "Colorado",
	"Connecticut", "Delaware", "Florida", "Georgia", "Hawaii", "Idaho",
	"Illinois", "Indiana", "Iowa", "Kansas", "Kentucky", "Louisiana", "Maine",
	"Maryland", "Massachusetts", "Michigan", "Minnesota", "Mississippi",
	"Missouri", "Montana", "Nebraska", "Nevada", "New Hampshire", "New Jersey",
	"New Mexico", "New York", "North Carolina", "North Dakota", "Ohio",
	"Oklahoma", "Oregon", "Pennsylvania", "Rhode Island", "South Carolina",
	"South Dakota", "Tennessee", "Texas", "Utah", "Vermont", "Virginia",
	"Washington", "West Virginia", "Wisconsin", "Wyoming",
}

// Values with no two-letter code: the loader must report them rather than
// truncate them.
var unmappableStates = [2]string{"Atlantis", "Xanadu"}

var streetSuffixes = [...]string{"Street", "Lane", "Road", "Way", "Drive", "Avenue"}

// organizations writes the org addresses. Every 200th org (from id 3) has a
// city containing " | " (space, separator, space), the damage the
// reference's bad-separator repair undoes; every 150th (from id 5) has an
// unmappable state. Both are keyed on the id so that small sets have them.
func (g *gen) organizations(w *fileWriter) error {
	if err := w.header("orgid", "orgname", "orgstreet", "orgcity", "orgstate",
		"orgzip", "orgcountrycode"); err != nil {
		return err
	}
	var r rng
	for id := 1; id <= g.orgs; id++ {
		r.reseed(g.seed, tagOrg, uint64(id))
		w.row = strconv.AppendInt(w.row, int64(id), 10)
		w.s()
		name := r.u64()
		switch r.intn(5) {
		case 0:
			w.str("City of ")
			w.row = appendWord(w.row, name, 3, true)
		case 1:
			w.row = appendWord(w.row, name, 3, true)
			w.str(" County")
		case 2:
			w.row = appendWord(w.row, name, 2, true)
			w.str(" Water District")
		case 3:
			w.str("Town of ")
			w.row = appendWord(w.row, name, 3, true)
		default:
			w.row = appendWord(w.row, name, 3, true)
			w.str(" Tribal Council")
		}
		w.s()
		w.row = strconv.AppendInt(w.row, int64(r.between(1, 99999)), 10)
		w.str(" ")
		w.row = appendWord(w.row, r.u64(), 2, true)
		w.str(" ")
		w.str(streetSuffixes[r.intn(len(streetSuffixes))])
		w.s()
		w.row = appendWord(w.row, r.u64(), 3, true)
		if id%200 == 3 {
			w.str(" ")
			w.s()
			w.str(" ")
			w.row = appendWord(w.row, r.u64(), 2, true)
		}
		w.s()
		if id%150 == 5 {
			w.str(unmappableStates[(id/150)%2])
		} else {
			w.str(usStates[r.intn(len(usStates))])
		}
		w.s()
		w.row = appendPad(w.row, r.between(501, 99950), 5)
		w.s()
		w.str("US")
		if err := w.emit(false, false); err != nil {
			return err
		}
	}
	return nil
}

// agencies writes agencyCount agencies with unique names (a bijection on
// the 4096 three-syllable words), so name matching is unambiguous.
func (g *gen) agencies(w *fileWriter) error {
	if err := w.header("agencyid", "agencyname", "active", "isfederal"); err != nil {
		return err
	}
	var f rng
	f.reseed(g.seed, tagFileAgency, 0)
	salt := f.u64()
	for id := 1; id <= agencyCount; id++ {
		x := (uint64(id)*2731 + salt) % 4096 // 2731 is odd, so coprime with 4096
		w.row = strconv.AppendInt(w.row, int64(id), 10)
		w.s()
		switch id % 4 {
		case 0:
			w.str("Department of ")
			w.row = appendWord(w.row, x, 3, true)
		case 1:
			w.row = appendWord(w.row, x, 3, true)
			w.str(" Commission")
		case 2:
			w.str("Office of ")
			w.row = appendWord(w.row, x, 3, true)
			w.str(" Affairs")
		default:
			w.row = appendWord(w.row, x, 3, true)
			w.str(" Board")
		}
		w.s()
		w.str(yn(f.chance(0.85)))
		w.s()
		w.str(yn(f.chance(0.7)))
		if err := w.emit(false, false); err != nil {
			return err
		}
	}
	return nil
}

func yn(b bool) string {
	if b {
		return "Y"
	}
	return "N"
}

// typeTable holds the registry's 17 domain types, id = index+1. Names matter: the loader
// splits "Federal - X" and maps the org type by exact name.
var typeTable = [17]struct{ name, code, active string }{
	{"Commercial", "CO", "N"},
	{"Courts", "CT", "N"},
	{"Federal Government Program", "FD", "N"},
	{"Federal - Executive", "FE", "Y"},
	{"Foreign", "FO", "N"},
	{"Individual", "IN", "N"},
	{"Military", "MI", "N"},
	{"Not Top-Level", "NT", "N"},
	{"State", "ST", "Y"},
	{"Tribal", "TN", "Y"},
	{"Domain type 1", "1", "N"},
	{"County", "CY", "Y"},
	{"City", "CI", "Y"},
	{"Federal - Legislative", "FL", "Y"},
	{"Federal - Judicial", "FJ", "Y"},
	{"Interstate", "IA", "Y"},
	{"Independent Intrastate", "II", "Y"},
}

// domainTypes writes the types in a seed-dependent order, because the
// loader must key them by id rather than by position.
func (g *gen) domainTypes(w *fileWriter) error {
	if err := w.header("domaintypeid", "domaintype", "code", "active"); err != nil {
		return err
	}
	var f rng
	f.reseed(g.seed, tagFileTypes, 0)
	var order [len(typeTable)]int
	for i := range order {
		order[i] = i
	}
	for i := len(order) - 1; i > 0; i-- {
		j := f.intn(i + 1)
		order[i], order[j] = order[j], order[i]
	}
	for _, i := range order {
		t := typeTable[i]
		w.row = strconv.AppendInt(w.row, int64(i+1), 10)
		w.s()
		w.str(t.name)
		w.s()
		w.str(t.code)
		w.s()
		w.str(t.active)
		if err := w.emit(false, false); err != nil {
			return err
		}
	}
	return nil
}
