package tenant

import (
	"math"
	"math/bits"
	"strconv"
	"strings"
	"time"
)

// world is a dataset's layout: its sizes, its tenants and the constants
// every file derives its rows from. It is read-only once built, so the
// files' goroutines share it.
type world struct {
	seed int64
	// n users: 0..nSrc-1 belong to the source, nSrc..n-1 to the target.
	n, nSrc, nTgt int
	// pairs is how many source users have a twin account in the target:
	// source user j and target user j for j < pairs, by e-mail when j is
	// even and by state external id when it is odd.
	pairs int
	// conflicts gives the org-level conflicts: a taken org external id, a
	// page name and a preference key the target also has.
	conflicts bool
	// pfx is the 4-digit prefix of every numeric id.
	pfx uint64

	src, tgt, inact, other genTenant
	// srcKids and tgtKids are the tenants' non-root orgs.
	srcKids, tgtKids                             int
	batches, legacyBatches, courseMgmt, contents int
	splitLookup                                  int

	// Strings every user row needs, made once: the location ids of each
	// tenant's state and districts, their lists and JSON, the admins.
	states  [4]string
	locIDs  [4][districtCount]string
	orgLocs [4][districtCount]string
	admins  [2]string

	ciph           *fakeCipher
	phoneA, phoneB uint64
	off            [2][featureCount]int
}

// genTenant is one root org.
type genTenant struct {
	no      int // 0 source, 1 target, 2 inactive, 3 other
	id      string
	channel string
	name    string
	region  string
	// extPfx starts its users' state external ids.
	extPfx string
}

// The kinds of numeric id; each kind has its own two digits, so that ids
// of different kinds never collide.
const (
	kindTenant       = 10
	kindSrcOrg       = 11
	kindTgtOrg       = 12
	kindMember       = 20
	kindLegacyMember = 21
	kindBatch        = 30
	kindLegacyBatch  = 31
	kindCourseRecord = 32
	kindPage         = 40
	kindPageSection  = 41
	kindBulk         = 42
	kindGeo          = 43
)

// Features a user has when (j + offset) % period == 0, j being the user's
// index in its tenant: every dataset of a few hundred users has each case.
const (
	featAdmin = iota
	featDeleted
	featInTarget
	featLegacyOrg
	featLegacyLogin
	featDeclared
	featManaged
	featMentor
	featConsentActive
	featConsentRevoked
	featCourseConsent
	featureCount
)

var featurePeriod = [featureCount]int{
	featAdmin: 50, featDeleted: 47, featInTarget: 23, featLegacyOrg: 9, featLegacyLogin: 13, featDeclared: 31,
	featManaged: 61, featMentor: 37, featConsentActive: 11, featConsentRevoked: 17, featCourseConsent: 29,
}

func clamp(v, lo, hi int) int { return max(lo, min(hi, v)) }

func newWorld(opts GenerateOptions) *world {
	n := opts.Users
	w := &world{seed: opts.Seed, n: n, splitLookup: opts.SplitRows}
	w.nSrc = clamp(int(math.Round(float64(n)*0.4)), 1, n-1)
	w.nTgt = n - w.nSrc
	if opts.Overlap > 0 {
		w.conflicts = true
		w.pairs = int(math.Round(float64(w.nSrc) * opts.Overlap / 100))
		// One twin of each kind whatever the size.
		w.pairs = min(max(w.pairs, 2), w.nSrc, w.nTgt)
	}
	h := mix(uint64(opts.Seed) ^ mix(tagWorld))
	w.pfx = 1000 + h%9000
	w.srcKids = clamp(w.nSrc/150, 3, 1000)
	w.tgtKids = clamp(w.nTgt/300, 2, 1000)
	w.batches = clamp(n/150, 7, 7000)
	w.legacyBatches = clamp(n/1000, 6, 1000)
	w.courseMgmt = clamp(n/5000, 2, 200)
	w.contents = clamp(n/5, 4, 500000)
	w.ciph = newFakeCipher(opts.Seed)
	// An odd multiplier not divisible by 5 makes i -> a*i+b a bijection
	// of the 9-digit numbers: every user has a phone number of its own.
	w.phoneA = mix(h^tagPhone)%1e9 | 1
	for w.phoneA%5 == 0 {
		w.phoneA += 2
	}
	w.phoneB = mix(h^tagPhone^1) % 1e9
	for t := range w.off {
		for f := range featureCount {
			w.off[t][f] = int(mix(h^mix(tagFeature+uint64(t*featureCount+f))) % uint64(featurePeriod[f]))
		}
	}
	w.tenants(h)
	for _, t := range []*genTenant{&w.src, &w.tgt, &w.inact, &w.other} {
		w.states[t.no] = genUUID(w.seed, tagLocation, uint64(t.no)*1000)
		for d := range districtCount {
			district := genUUID(w.seed, tagLocation, uint64(t.no)*1000+1+uint64(d))
			w.locIDs[t.no][d] = `["` + w.states[t.no] + `","` + district + `"]`
			w.orgLocs[t.no][d] = `[{"id":"` + w.states[t.no] + `","type":"state"},{"id":"` + district + `","type":"district"}]`
		}
	}
	w.admins = [2]string{w.userID(0), w.userID(w.nSrc)}
	return w
}

// tenants names the four root orgs. The target is a region with a short
// channel, the source its pilot tenant (as in the design note), the
// inactive one its closed sandbox and the other a second region.
func (w *world) tenants(h uint64) {
	var r genRand
	r.reseed(w.seed, tagWorld, 0)
	region := titleWord(r.u64(), 3)
	region2 := titleWord(r.u64(), 3)
	for region2 == region {
		region2 = titleWord(r.u64(), 3)
	}
	code := shortCode(region)
	code2 := shortCode(region2)
	if code2 == code {
		code2 += "x"
	}
	id := func(k uint64) string { return w.numID(kindTenant, k) }
	w.src = genTenant{no: 0, id: id(0), channel: "pilot" + strings.ToLower(region), name: "ETB Pilot " + region, region: region,
		extPfx: strings.ToUpper(code) + "P-"}
	w.tgt = genTenant{no: 1, id: id(1), channel: code, name: region, region: region, extPfx: strings.ToUpper(code) + "-EMP-"}
	w.inact = genTenant{no: 2, id: id(2), channel: code + "sandbox", name: region + " Sandbox (closed)", region: region}
	w.other = genTenant{no: 3, id: id(3), channel: code2, name: region2, region: region2}
}

// shortCode is a region's two-letter channel: its first letter and the
// first letter of its second syllable.
func shortCode(region string) string {
	s := strings.ToLower(region)
	return s[:1] + s[2:3]
}

// numID is a 20-digit id: "01", the dataset's prefix, the kind and 12
// digits that scatter n (a bijection of the 12-digit numbers, so distinct
// n give distinct ids).
func (w *world) numID(kind int, n uint64) string {
	b := make([]byte, 0, 20)
	b = append(b, '0', '1')
	b = appendPad(b, w.pfx, 4)
	b = appendPad(b, uint64(kind), 2)
	b = appendPad(b, w.scatter(uint64(kind), n, 1e12), 12)
	return string(b)
}

// contentID is a content id of the knowledge platform: do_ and 22 digits.
// Courses (kind 1) and other content (kind 2) do not collide.
func (w *world) contentID(kind int, n uint64) string {
	b := make([]byte, 0, 25)
	b = append(b, "do_21"...)
	b = appendPad(b, w.pfx, 4)
	b = appendPad(b, uint64(kind), 1)
	b = appendPad(b, w.scatter(100+uint64(kind), n, 1e15), 15)
	return string(b)
}

// scatter maps n < m to a*n+b mod m, with a prime to m = 10^k: a bijection
// of [0, m) that differs with the seed and the kind.
func (w *world) scatter(kind, n, m uint64) uint64 {
	h := mix(uint64(w.seed) ^ mix(tagScatter+kind))
	a := h%m | 1
	if a%5 == 0 {
		a += 2
	}
	hi, lo := bits.Mul64(a, n%m)
	_, rem := bits.Div64(hi, lo, m)
	return (rem + mix(h)%m) % m
}

func (w *world) userID(i int) string { return genUUID(w.seed, tagUserID, uint64(i)) }

// adminOf is the id of the source's or the target's first user, its org
// admin, who creates most of what the tenant has (the other tenants have
// no users; they get the target's).
func (w *world) adminOf(t *genTenant) string { return w.admins[min(t.no, 1)] }

// systemUser is the platform's own account, which created the orgs.
func (w *world) systemUser() string { return genUUID(w.seed, tagUUID, 1) }

func (w *world) srcKidID(k int) string { return w.numID(kindSrcOrg, uint64(k+1)) }
func (w *world) tgtKidID(k int) string { return w.numID(kindTgtOrg, uint64(k+1)) }

// kidOf is the id of non-root org k of a user's tenant.
func (w *world) kidOf(src bool, k int) string {
	if src {
		return w.srcKidID(k)
	}
	return w.tgtKidID(k)
}

// stateID is the location id of a tenant's state.
func (w *world) stateID(t *genTenant) string { return w.states[t.no] }

// districtCount is the districts of each tenant.
const districtCount = 8

func (w *world) districtName(t *genTenant, d int) string {
	return titleWord(mix(uint64(w.seed)^mix(tagLocation+uint64(t.no*districtCount+d))), 3)
}

// orgLocation is the orglocation / profilelocation JSON of a state and
// district.
func (w *world) orgLocation(t *genTenant, d int) string { return w.orgLocs[t.no][d] }

// locationIDs is the locationids list of a state and district.
func (w *world) locationIDs(t *genTenant, d int) string { return w.locIDs[t.no][d] }

// Made-up names: syllables in Latin letters and, for a few users, the same
// syllables in Devanagari. The names are invented; no list of real
// people's names is used.
var (
	latinSyl = [16]string{"ra", "vi", "su", "ni", "ta", "me", "ka", "la", "an", "de", "pa", "ja", "mo", "ha", "ru", "shi"}
	devaSyl  = [16]string{"रा", "वि", "सु", "नि", "ता", "मे", "का", "ला", "अन", "दे", "पा", "जा", "मो", "हा", "रु", "शि"}
)

// word is the n-syllable word of x's low bits.
func word(x uint64, n int, syl *[16]string) string {
	var b strings.Builder
	for range n {
		b.WriteString(syl[x&15])
		x >>= 4
	}
	return b.String()
}

func titleWord(x uint64, n int) string {
	s := word(x, n, &latinSyl)
	return strings.ToUpper(s[:1]) + s[1:]
}

// Dates: the platform's text dates (yyyy-MM-dd HH:mm:ss:SSSZ), CQL
// timestamps (time.Time, which the writer formats) and plain dates.
var (
	epoch2017 = time.Date(2017, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	epoch2022 = time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
)

const dayMS = 24 * 3600 * 1000

// when is an instant from 2017 to 2021.
func (r *genRand) when() int64 {
	return epoch2017 + int64(r.intn(int(epoch2022-epoch2017)))
}

func textDate(ms int64) string {
	t := time.UnixMilli(ms).UTC()
	b := make([]byte, 0, 28)
	b = t.AppendFormat(b, "2006-01-02 15:04:05")
	b = append(b, ':')
	b = appendPad(b, uint64(ms%1000), 3)
	return string(append(b, "+0000"...))
}

func stamp(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

func plainDate(ms int64) string { return time.UnixMilli(ms).UTC().Format("2006-01-02") }

// scope is a user_roles scope: the JSON list of its orgs.
func scope(orgs ...string) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, o := range orgs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"organisationId":"` + o + `"}`)
	}
	b.WriteByte(']')
	return b.String()
}

// plainList is a list value of plain strings (no character to escape).
func plainList(items ...string) string {
	return `["` + strings.Join(items, `","`) + `"]`
}

func itoa(n int) string { return strconv.Itoa(n) }
