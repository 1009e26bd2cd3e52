package synth

import (
	"fmt"
	"math"
	"strconv"
)

// Stream tags. Each tag names an independent PRNG stream, so changing one
// file's draws never shifts another file's output. The values feed the
// seeds: append new tags, never reorder, or every data set changes.
const (
	tagDomain uint64 = iota + 1
	tagContact
	tagEmail
	tagName
	tagNamesPerm
	tagDCOrder
	tagStatusOrder
	tagEscrowOrder
	tagAddOrder
	tagFileDC
	tagFileStatus
	tagFileEscrow
	tagFileContacts
	tagFileTypes
	tagFileAgency
	tagAuthority
	tagOrg
)

// agencyCount is fixed: real exports list a couple of hundred agencies
// regardless of how many domains there are.
const agencyCount = 200

// gen holds only sizes and derived constants; it is read-only once built, so
// the nine file goroutines share it safely.
type gen struct {
	seed int64
	n    int
	sep  rune
	pBad float64 // probability of a bad row before each good row

	// Contact ids: 1..heavy are registrar-wide tech contacts shared by
	// hundreds of domains; heavy+1..heavy+n are each domain's "own" admin
	// and heavy+n+1..pool its "own" billing contact. The other slots draw
	// uniformly from heavy+1..pool, which is where ordinary sharing comes
	// from (≈1.65 distinct contacts per domain, ≈15% of the pool orphaned). pool+1..pool+ghosts are referenced but never written (missing
	// contacts); ids above that belong to bad contact rows and are never
	// referenced.
	heavy, pool, ghosts uint64
	orgs, auths         int

	nameSalt uint64
	names    perm
	dcOrder  perm
	stOrder  perm
	escOrder perm
	addOrder perm
}

func newGen(o Options) (*gen, error) {
	if o.Domains < 0 {
		return nil, fmt.Errorf("synth: Domains must not be negative, got %d", o.Domains)
	}
	if math.IsNaN(o.BadRate) || o.BadRate < 0 || o.BadRate > MaxBadRate {
		return nil, fmt.Errorf("synth: BadRate must be in [0, %g], got %g", MaxBadRate, o.BadRate)
	}
	sep := o.Sep
	if sep == 0 {
		sep = '|'
	}
	if !validSep(sep) {
		return nil, fmt.Errorf("synth: separator %q can occur inside generated values", sep)
	}
	n := o.Domains
	g := &gen{
		seed: o.Seed,
		n:    n,
		sep:  sep,
		// Inserting a bad row before each good one with probability p gives a
		// bad fraction of p/(1+p); solve for p so the fraction is BadRate.
		pBad:     o.BadRate / (1 - o.BadRate),
		nameSalt: mix(uint64(o.Seed) ^ mix(tagName)),
		names:    newPerm(o.Seed, tagNamesPerm, n),
		dcOrder:  newPerm(o.Seed, tagDCOrder, n),
		stOrder:  newPerm(o.Seed, tagStatusOrder, n),
		escOrder: newPerm(o.Seed, tagEscrowOrder, n),
		addOrder: newPerm(o.Seed, tagAddOrder, n),
	}
	if n > 0 {
		un := uint64(n)
		g.heavy = 1 + un/2000
		g.pool = g.heavy + 2*un
		g.ghosts = 1 + un/1000
		g.orgs = (n + 1) / 2
		g.auths = (n + 1) / 2
	}
	return g, nil
}

// Name styles. Mixed case and trailing dots exercise the loader's
// normalisation (lowercase, trim the dot); the name stays unique under it.
const (
	styleLower uint8 = iota
	styleTitle       // Parks-Kalemi12.GOV
	styleUpper       // PARKS-KALEMI12.GOV
	styleDot         // parks-kalemi12.gov.
)

// civic is the first word of a domain name. No entry contains '-' or a
// digit, which keeps name decoding (and therefore uniqueness) unambiguous.
var civic = [32]string{
	"parks", "water", "court", "transit", "health", "library", "police", "fire",
	"schools", "housing", "roads", "energy", "county", "city", "town", "village",
	"harbor", "airport", "elections", "tax", "census", "weather", "farm", "trade",
	"labor", "justice", "veterans", "arts", "science", "ocean", "forest", "river",
}

// appendName writes the domain name for name index x. x is split in mixed
// radix into (civic word, 3-syllable word, block); the block picks a disjoint
// range of 97 suffix numbers, so distinct x always give distinct names.
func (g *gen) appendName(b []byte, x uint64, style uint8) []byte {
	const span = 32 * 4096
	// An odd multiplier plus a salt is a bijection modulo 2^17; it spreads
	// small sets over all words instead of the first few.
	low := (x%span*0x9e37 + g.nameSalt) % span
	a, w, block := low%32, low/32, x/span
	h := mix(g.nameSalt ^ low)
	start := len(b)
	b = append(b, civic[a]...)
	b = append(b, '-')
	b = appendWord(b, w, 3, false)
	// Only block 0 may omit the number: "x-y" cannot collide with "x-yN".
	if block > 0 || h%10 >= 3 {
		b = strconv.AppendUint(b, block*97+1+(h>>8)%97, 10)
	}
	switch style {
	case styleTitle:
		b[start] -= 'a' - 'A'
		b[start+len(civic[a])+1] -= 'a' - 'A'
		b = append(b, ".GOV"...)
	case styleUpper:
		b = append(b, ".gov"...)
		upper(b[start:])
	case styleDot:
		b = append(b, ".gov."...)
	default:
		b = append(b, ".gov"...)
	}
	return b
}

func upper(b []byte) {
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - ('a' - 'A')
		}
	}
}

// EPP statuses as they appear in the file. Index order matters only for the
// tables below.
var statusNames = [...]string{
	"ok", "serverHold", "clientHold", "Hold", "unknown",
	"clientTransferProhibited", "serverTransferProhibited", "pendingDelete",
	"glorbix", "xyzzy", "bogus", // garbage: unrecognised, reported as outliers
}

const (
	stOK = iota
	stServerHold
	stClientHold
	stHold
	stUnknown
	stClientTP
	stServerTP
	stPendingDelete
	stGarbage // first garbage index
)

// statusMix is a cumulative distribution over status sets; a set of two
// yields two rows. The first entry is the domains with no status row at all.
var statusMix = [...]struct {
	upTo float64
	n    int
	st   [2]uint8
}{
	{0.010, 0, [2]uint8{}},
	{0.820, 1, [2]uint8{stOK}},
	{0.850, 2, [2]uint8{stOK, stClientTP}},
	{0.880, 2, [2]uint8{stOK, stServerTP}},
	{0.920, 1, [2]uint8{stServerHold}},
	{0.945, 1, [2]uint8{stClientHold}},
	{0.960, 1, [2]uint8{stHold}},
	{0.975, 2, [2]uint8{stOK, stServerHold}},
	{0.980, 2, [2]uint8{stServerHold, stClientHold}},
	{0.986, 1, [2]uint8{stUnknown}},
	{0.990, 2, [2]uint8{stUnknown, stOK}},
	{0.994, 1, [2]uint8{stPendingDelete}},
	{0.997, 1, [2]uint8{stGarbage}}, // garbage word chosen separately
	{1.000, 1, [2]uint8{stOK}},
}

// contactMix gives 1..5 contacts per domain with mean 3.0.
var contactMix = [...]float64{0.04, 0.12, 0.88, 0.96, 1.0}

var roles = [5]string{"admin", "tech", "billing", "tech", "admin"}

// typeMix weights domain type ids towards the active types, with a few
// inactive ones so "inactive domain type" paths get exercised.
var typeMix = [...]struct {
	upTo float64
	id   int
}{
	{0.25, 13}, {0.45, 12}, {0.60, 9}, {0.75, 4}, {0.78, 14}, {0.81, 15},
	{0.85, 16}, {0.90, 10}, {0.96, 17}, {0.97, 1}, {0.975, 2}, {0.98, 3},
	{0.985, 5}, {0.99, 6}, {0.993, 7}, {0.996, 8}, {1.0, 11},
}

var registrars = [3]string{"DOTREG", "REGSVC", "NAMEWORKS"}

var purposes = [...]string{
	"Public information for residents.",
	"Online services for the community.",
	"Official announcements and public records.",
	"Emergency alerts and notices.",
	"Permits and licensing portal.",
	"Program information and contacts.",
}

// domain is everything about one domain, recomputed on demand from
// (seed, index). It is a value type so deriving it allocates nothing.
type domain struct {
	x                 uint64 // name index
	style, esc, add   uint8  // name style in the core files, escrow, additional
	k                 int    // number of contacts
	ids               [5]uint64
	nst               int
	st                [2]uint8
	cr, up, ex        stamp
	idn               bool
	registrar         uint8
	typeID, auth, org int
	secEmail, dnssec  bool
	purpose           uint8
	garbage           uint8
}

// domain derives domain i. The draw order below is part of the output
// format: reordering it changes every file for a given seed.
func (g *gen) domain(i int, r *rng) domain {
	r.reseed(g.seed, tagDomain, uint64(i))
	d := domain{x: g.names.at(i)}

	switch u := r.float(); {
	case u < 0.94:
		d.style = styleLower
	case u < 0.97:
		d.style = styleTitle
	case u < 0.985:
		d.style = styleUpper
	default:
		d.style = styleDot
	}
	d.esc, d.add = d.style, d.style
	if r.chance(0.06) {
		// The escrow file disagrees on case with the contacts file.
		if d.style == styleLower || d.style == styleDot {
			d.esc = styleTitle + uint8(r.intn(2))
		} else {
			d.esc = styleLower
		}
	}
	if r.chance(0.04) {
		d.add = styleUpper
	}

	u := r.float()
	for d.k = 1; u >= contactMix[d.k-1]; d.k++ {
	}
	span := int(g.pool - g.heavy) // ids heavy+1..pool
	randomID := func() uint64 { return g.heavy + 1 + uint64(r.intn(span)) }
	d.ids[0] = g.heavy + 1 + uint64(i)
	if r.chance(0.15) {
		d.ids[0] = randomID()
	}
	if r.chance(0.30) {
		// One heavy id per 2000 domains: each sits on ~600 domains.
		d.ids[1] = 1 + uint64(r.intn(int(g.heavy)))
	} else {
		d.ids[1] = randomID()
	}
	d.ids[2] = g.heavy + uint64(g.n) + 1 + uint64(i)
	if r.chance(0.5) {
		d.ids[2] = randomID()
	}
	d.ids[3], d.ids[4] = randomID(), randomID()
	// Same e-mail under two contact ids on one domain: ids 100m-1 and 100m
	// share an address (see emailBase).
	if r.chance(0.02) {
		lo, hi := (g.heavy+2+99)/100, g.pool/100
		if hi >= lo {
			c := 100 * (lo + uint64(r.intn(int(hi-lo+1))))
			d.ids[1], d.ids[2] = c-1, c
			d.k = max(d.k, 3)
		}
	}
	// A referenced contact missing from the contacts file, deterministic in
	// i so that even small sets (domain 0) contain one.
	if i%500 == 0 {
		d.k = max(d.k, 2)
		d.ids[d.k-1] = g.pool + 1 + uint64(i/500)%g.ghosts
	}

	u = r.float()
	for _, m := range statusMix {
		if u < m.upTo {
			d.nst, d.st = m.n, m.st
			break
		}
	}
	d.garbage = uint8(r.intn(len(statusNames) - stGarbage))

	d.cr = r.stamp(1995, 2023)
	d.up = r.stamp(d.cr.y+1, 2024)
	d.ex = d.cr
	d.ex.y = max(2024+r.intn(4), d.cr.y+1)
	d.idn = r.chance(0.02)
	d.registrar = uint8(r.intn(len(registrars)))

	u = r.float()
	for _, m := range typeMix {
		if u < m.upTo {
			d.typeID = m.id
			break
		}
	}
	d.auth = 1 + r.intn(g.auths)
	d.org = 1 + r.intn(g.orgs)
	d.secEmail = r.chance(0.75)
	d.dnssec = r.chance(0.4)
	d.purpose = uint8(r.intn(len(purposes)))
	return d
}

func (g *gen) appendContactID(b []byte, id uint64) []byte {
	b = append(b, "CT"...)
	return strconv.AppendUint(b, id, 10)
}

// domainContacts writes domain|contactid|role rows, grouped by domain.
func (g *gen) domainContacts(w *fileWriter) error {
	var r, f rng
	f.reseed(g.seed, tagFileDC, 0)
	for j := range g.n {
		i := int(g.dcOrder.at(j))
		d := g.domain(i, &r)
		for s := range d.k {
			if f.chance(g.pBad) {
				if err := g.badDomainContact(w, &f, &d, s); err != nil {
					return err
				}
			}
			w.row = g.appendName(w.row, d.x, d.style)
			w.s()
			w.row = g.appendContactID(w.row, d.ids[s])
			w.s()
			w.str(roles[s])
			if err := w.emit(false, f.chance(0.002)); err != nil {
				return err
			}
		}
	}
	return nil
}

func (g *gen) badDomainContact(w *fileWriter, f *rng, d *domain, s int) error {
	switch f.intn(3) {
	case 0: // blank line
	case 1: // wrong column count: the role is missing
		w.row = g.appendName(w.row, d.x, d.style)
		w.s()
		w.row = g.appendContactID(w.row, d.ids[s])
	default: // empty domain
		w.s()
		w.row = g.appendContactID(w.row, d.ids[s])
		w.s()
		w.str(roles[s])
	}
	return w.emit(true, false)
}

// statuses writes domain|status| rows (trailing delimiter, as in the export).
func (g *gen) statuses(w *fileWriter) error {
	var r, f rng
	f.reseed(g.seed, tagFileStatus, 0)
	for j := range g.n {
		d := g.domain(int(g.stOrder.at(j)), &r)
		for s := range d.nst {
			if f.chance(g.pBad) {
				switch f.intn(3) {
				case 0: // blank line
				case 1: // wrong column count: domain only
					w.row = g.appendName(w.row, d.x, d.style)
				default: // empty domain
					w.s()
					w.str(statusNames[d.st[s]])
					w.s()
				}
				if err := w.emit(true, false); err != nil {
					return err
				}
			}
			st := int(d.st[s])
			if st == stGarbage {
				st += int(d.garbage)
			}
			w.row = g.appendName(w.row, d.x, d.style)
			w.s()
			w.str(statusNames[st])
			w.s()
			if err := w.emit(false, f.chance(0.002)); err != nil {
				return err
			}
		}
	}
	return nil
}

// escrow writes the 13-column escrow domains file (no trailing delimiter):
// Name|Roid|IdnTableId|Registrant|ClID|CrRr|CrID|CrDate|UpRr|UpID|UpDate|ExDate|TrDate.
func (g *gen) escrow(w *fileWriter) error {
	var r, f rng
	f.reseed(g.seed, tagFileEscrow, 0)
	for j := range g.n {
		i := int(g.escOrder.at(j))
		d := g.domain(i, &r)
		if f.chance(g.pBad) {
			// Placed before the domain's good row, so a loader that keeps the
			// last row per name still ends up with the good one.
			var err error
			switch f.intn(4) {
			case 0: // blank line
				err = w.emit(true, false)
			case 1: // wrong column count: ExDate and TrDate missing
				g.escrowRow(w, i, &d, escrowTruncate)
				err = w.emit(true, false)
			case 2:
				g.escrowRow(w, i, &d, escrowEmptyName)
				err = w.emit(true, false)
			default:
				g.escrowRow(w, i, &d, escrowBadCr+f.intn(2))
				err = w.emit(true, false)
			}
			if err != nil {
				return err
			}
		}
		g.escrowRow(w, i, &d, escrowGood)
		if err := w.emit(false, false); err != nil {
			return err
		}
	}
	return nil
}

const (
	escrowGood = iota
	escrowTruncate
	escrowEmptyName
	escrowBadCr
	escrowBadEx
)

func (g *gen) escrowRow(w *fileWriter, i int, d *domain, kind int) {
	if kind != escrowEmptyName {
		w.row = g.appendName(w.row, d.x, d.esc)
	}
	w.s()
	w.row = append(w.row, 'D')
	w.row = strconv.AppendInt(w.row, int64(i)+1000000, 10)
	w.str("-GOV")
	w.s()
	if d.idn {
		w.str("latn")
	}
	w.s()
	w.row = g.appendContactID(w.row, d.ids[0])
	reg := registrars[d.registrar]
	w.s()
	w.str(reg)
	w.s()
	w.str(reg)
	w.s()
	w.str(reg)
	w.s()
	if kind == escrowBadCr {
		w.str(badDate)
	} else {
		w.row = appendStamp(w.row, d.cr)
	}
	w.s()
	w.str(reg)
	w.s()
	w.str("ctldbatch")
	w.s()
	w.row = appendStamp(w.row, d.up)
	if kind == escrowTruncate {
		return
	}
	w.s()
	if kind == escrowBadEx {
		w.str(badDate)
	} else {
		w.row = appendStamp(w.row, d.ex)
	}
	w.s()
	w.row = appendStamp(w.row, d.ex.monthBefore())
}

// additional writes domainadditionaldatalink: one row per domain linking it
// to a domain type, an authority and an organisation.
func (g *gen) additional(w *fileWriter) error {
	if err := w.header("domainname", "domaintypeid", "authorityid", "orgid",
		"securitycontactemail", "dnsseckeymonitor", "domainpurpose"); err != nil {
		return err
	}
	var r rng
	for j := range g.n {
		i := int(g.addOrder.at(j))
		d := g.domain(i, &r)
		w.row = g.appendName(w.row, d.x, d.add)
		w.s()
		w.row = strconv.AppendInt(w.row, int64(d.typeID), 10)
		w.s()
		w.row = strconv.AppendInt(w.row, int64(d.auth), 10)
		w.s()
		w.row = strconv.AppendInt(w.row, int64(d.org), 10)
		w.s()
		if d.secEmail {
			w.str("security.")
			w.row = appendWord(w.row, mix(d.x), 2, false)
			w.row = strconv.AppendInt(w.row, int64(i), 10)
			w.str("@example.test")
		}
		w.s()
		if d.dnssec {
			w.str("Y")
		} else {
			w.str("N")
		}
		w.s()
		w.str(purposes[d.purpose])
		if err := w.emit(false, false); err != nil {
			return err
		}
	}
	return nil
}
