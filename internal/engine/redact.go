package engine

import (
	"regexp"
	"strings"
)

// Personal data never reaches default output or the job record: a value in
// the wrong column (an e-mail in a date field, a phone number as a status)
// would otherwise be quoted by a reject reason or shown as a finding. The
// raw rejected line is kept apart, for the --rejects report the operator
// asks for.

var (
	emailLike = regexp.MustCompile(`[^\s"'<>()\[\],;|]+@[^\s"'<>()\[\],;|]+`)
	// A phone number: seven or more digits, with the separators people
	// type between them, standing on its own: digits that are part of a
	// word, such as a contact id CT2000001, are no phone number. The
	// boundaries are matched (RE2 has no lookaround) and put back.
	phoneLike = regexp.MustCompile(`(^|[^\p{L}\p{N}_])(\+?\(?\d(?:[\d\s().\-/]*\d){6,}\)?)($|[^\p{L}\p{N}_])`)
	// Dates, and ZIP+4 codes, look like phone numbers to the pattern above.
	dateLike = regexp.MustCompile(`^(?:\d{5}-\d{4}|\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{4}|(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01]))$`)
)

// Redact masks e-mail addresses and phone numbers in s.
func Redact(s string) string {
	if strings.IndexByte(s, '@') >= 0 {
		s = emailLike.ReplaceAllString(s, "<e-mail>")
	}
	digits := 0
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			digits++
		}
	}
	if digits < 7 {
		return s
	}
	var b strings.Builder
	last := 0
	// Each match consumes the boundary after it, which may be the boundary
	// before the next number; searching again from that boundary finds it.
	for pos := 0; pos < len(s); {
		m := phoneLike.FindStringSubmatchIndex(s[pos:])
		if m == nil {
			break
		}
		start, end := pos+m[4], pos+m[5]
		if number := s[start:end]; !dateLike.MatchString(strings.TrimSpace(number)) {
			b.WriteString(s[last:start])
			b.WriteString("<phone>")
			last = end
		}
		pos = end
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}
