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
	// type between them.
	phoneLike = regexp.MustCompile(`\+?\(?\d(?:[\d\s().\-/]*\d){6,}\)?`)
	// Dates and timestamps look like phone numbers to the pattern above.
	dateLike = regexp.MustCompile(`^(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{4}|(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01]))$`)
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
	return phoneLike.ReplaceAllStringFunc(s, func(m string) string {
		if dateLike.MatchString(strings.TrimSpace(m)) {
			return m
		}
		return "<phone>"
	})
}
