package escrow

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// NormalizeDomain returns the form under which domain names are compared
// across files: trimmed, lowercased, without trailing dots. The legacy files
// disagree on case (TestDomain.gov vs TESTDOMAIN.GOV), and a fully qualified
// name with its final dot is the same domain.
func NormalizeDomain(s string) string {
	return strings.TrimRight(strings.ToLower(strings.TrimSpace(s)), ".")
}

// ValidDomain reports whether s, once normalized, is a syntactically valid
// host name: at most 253 characters, labels of 1 to 63 letters, digits and
// hyphens, no label starting or ending with a hyphen. A single label is
// accepted because old exports carry names without ".gov".
func ValidDomain(s string) bool {
	return validNormalized(NormalizeDomain(s))
}

func validNormalized(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	start := 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] != '.' {
			c := s[i]
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
				return false
			}
			continue
		}
		n := i - start
		if n == 0 || n > 63 || s[start] == '-' || s[i-1] == '-' {
			return false
		}
		start = i + 1
	}
	return true
}

// ValidEmail reports whether s is a usable e-mail address: one '@', a
// non-empty local part of at most 64 bytes, a domain with at least one dot
// and no empty label, no spaces, control characters or address-list
// punctuation, at most 254 bytes in all. It is deliberately looser than RFC
// 5322 (no quoted local parts, no comments): the aim is to catch exports
// that put a name or a phone number in the e-mail column, not to be a full
// parser.
func ValidEmail(s string) bool {
	if len(s) > 254 || !utf8.ValidString(s) {
		return false
	}
	at := strings.IndexByte(s, '@')
	if at <= 0 || at > 64 || strings.IndexByte(s[at+1:], '@') >= 0 {
		return false
	}
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) || strings.ContainsRune(`"(),:;<>[\]`, r) {
			return false
		}
	}
	local, domain := s[:at], s[at+1:]
	if local[0] == '.' || local[len(local)-1] == '.' || strings.Contains(local, "..") {
		return false
	}
	if !strings.Contains(domain, ".") {
		return false
	}
	for domain != "" {
		label, rest, _ := strings.Cut(domain, ".")
		if label == "" || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		if rest == "" && len(label) < len(domain) {
			return false // a trailing dot
		}
		domain = rest
	}
	return true
}

// Date is a calendar date without time or zone. The escrow timestamps are
// UTC and only their date part is stored, so carrying a time.Time around
// would only invite zone mistakes.
type Date struct {
	Y     int
	M     time.Month
	D     int
	Valid bool // false: the field was empty
}

// String returns the date as YYYY-MM-DD, or "" when unset, which is what a
// CSV or SQL parameter wants.
func (d Date) String() string {
	if !d.Valid {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.Y, int(d.M), d.D)
}

// Time returns midnight UTC of the date, or the zero time when unset.
func (d Date) Time() time.Time {
	if !d.Valid {
		return time.Time{}
	}
	return time.Date(d.Y, d.M, d.D, 0, 0, 0, 0, time.UTC)
}

// ParseDate parses an escrow timestamp: 2006-01-02T15:04:05Z (any RFC 3339
// offset or fraction is accepted and converted to UTC) or a bare 2006-01-02.
// An empty string gives an unset Date and ok.
func ParseDate(s string) (d Date, ok bool) {
	return parseDate([]byte(strings.TrimSpace(s)))
}

func parseDate(b []byte) (Date, bool) {
	if len(b) == 0 {
		return Date{}, true
	}
	var t time.Time
	var err error
	if len(b) == len(time.DateOnly) {
		t, err = time.Parse(time.DateOnly, string(b))
	} else {
		t, err = time.Parse(time.RFC3339, string(b))
	}
	if err != nil {
		return Date{}, false
	}
	t = t.UTC()
	// Year 0 parses but no database date type takes it, and a time zone can
	// push 9999-12-31 into a five-digit year.
	if t.Year() < 1 || t.Year() > 9999 {
		return Date{}, false
	}
	return Date{Y: t.Year(), M: t.Month(), D: t.Day(), Valid: true}, true
}
