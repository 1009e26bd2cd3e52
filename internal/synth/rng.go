package synth

import (
	"math/bits"
	"math/rand/v2"
	"strconv"
)

// rng draws only raw 64-bit words from PCG-DXSM and does its own range
// reduction. math/rand/v2 documents the PCG algorithm, but not that helpers
// such as IntN keep their exact streams across Go releases; byte-identical
// output for a seed must survive toolchain upgrades, so nothing here relies
// on them.
type rng struct{ p rand.PCG }

// mix is the splitmix64 finaliser. PCG seeded with neighbouring integers
// yields correlated first outputs, so every seed word goes through it first.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// reseed makes the stream a pure function of (seed, tag, i). Per-domain and
// per-contact attributes are re-derived this way in every file that needs
// them, which is what keeps memory flat: nothing is remembered between files.
func (r *rng) reseed(seed int64, tag, i uint64) {
	r.p.Seed(mix(uint64(seed)^mix(tag)), mix(i^(tag<<48)))
}

func (r *rng) u64() uint64 { return r.p.Uint64() }

// intn returns a value in [0, n) by multiply-high; the bias (< n/2^64) is
// irrelevant for test data.
func (r *rng) intn(n int) int {
	if n <= 0 {
		return 0
	}
	hi, _ := bits.Mul64(r.p.Uint64(), uint64(n))
	return int(hi)
}

// between returns a value in [lo, hi].
func (r *rng) between(lo, hi int) int { return lo + r.intn(hi-lo+1) }

func (r *rng) float() float64 { return float64(r.p.Uint64()>>11) / (1 << 53) }

func (r *rng) chance(p float64) bool { return p > 0 && r.float() < p }

// perm is an affine bijection on [0, n): i -> (a*i + b) mod n with gcd(a, n)
// = 1. It lets each file visit the domains in its own order, and scatters
// domain names, without holding a permutation table.
type perm struct{ a, b, n uint64 }

func newPerm(seed int64, tag uint64, n int) perm {
	p := perm{n: uint64(n)}
	if n <= 1 {
		return p
	}
	h := mix(uint64(seed) ^ mix(tag))
	// Start near n/phi so consecutive indexes land far apart.
	p.a = (uint64(float64(n)*0.6180339887) + h%97) % p.n
	for p.a == 0 || gcd(p.a, p.n) != 1 {
		p.a = (p.a + 1) % p.n
	}
	p.b = mix(h) % p.n
	return p
}

func (p perm) at(i int) uint64 {
	if p.n <= 1 {
		return 0
	}
	hi, lo := bits.Mul64(p.a, uint64(i))
	_, rem := bits.Div64(hi, lo, p.n) // hi < n because a, i < n
	return (rem + p.b) % p.n
}

func gcd(a, b uint64) uint64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// syllables all have two letters, so a word built from a fixed number of them
// decodes uniquely: distinct indexes always give distinct words.
var syllables = [16]string{
	"ba", "de", "fi", "go", "ka", "le", "mi", "no",
	"pa", "re", "si", "to", "va", "ze", "lu", "ro",
}

// appendWord appends the n-syllable word for index x (only the low 4*n bits
// of x are used), capitalised when title is set.
func appendWord(b []byte, x uint64, n int, title bool) []byte {
	start := len(b)
	for range n {
		b = append(b, syllables[x&15]...)
		x >>= 4
	}
	if title {
		b[start] -= 'a' - 'A'
	}
	return b
}

// appendPad appends v in decimal, zero-padded to width digits.
func appendPad(b []byte, v, width int) []byte {
	var tmp [20]byte
	s := strconv.AppendInt(tmp[:0], int64(v), 10)
	for i := len(s); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}

// stamp is a UTC timestamp kept as fields. Days never exceed 28, so "one
// month earlier" is plain field arithmetic and always a valid date.
type stamp struct{ y, mo, d, h, mi, s int }

func (r *rng) stamp(y0, y1 int) stamp {
	return stamp{r.between(y0, y1), r.between(1, 12), r.between(1, 28),
		r.intn(24), r.intn(60), r.intn(60)}
}

func (t stamp) monthBefore() stamp {
	t.mo--
	if t.mo == 0 {
		t.mo, t.y = 12, t.y-1
	}
	return t
}

// appendStamp writes the escrow format %Y-%m-%dT%H:%M:%SZ.
func appendStamp(b []byte, t stamp) []byte {
	b = appendPad(b, t.y, 4)
	b = append(b, '-')
	b = appendPad(b, t.mo, 2)
	b = append(b, '-')
	b = appendPad(b, t.d, 2)
	b = append(b, 'T')
	b = appendPad(b, t.h, 2)
	b = append(b, ':')
	b = appendPad(b, t.mi, 2)
	b = append(b, ':')
	b = appendPad(b, t.s, 2)
	return append(b, 'Z')
}

// badDate is a syntactically plausible timestamp that no date parser accepts.
const badDate = "2020-13-45T99:00:00Z"

// appendPhone appends a US-style number in one of the two shapes seen in
// real exports: "(773) 555-0142" or "773-555-0142".
func appendPhone(b []byte, r *rng, parens bool) []byte {
	area, ex, line := r.between(201, 989), r.between(200, 999), r.intn(10000)
	if parens {
		b = append(b, '(')
		b = appendPad(b, area, 3)
		b = append(b, ") "...)
	} else {
		b = appendPad(b, area, 3)
		b = append(b, '-')
	}
	b = appendPad(b, ex, 3)
	b = append(b, '-')
	return appendPad(b, line, 4)
}
