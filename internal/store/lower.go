package store

import (
	"database/sql/driver"
	"strings"
	"unicode/utf8"

	"modernc.org/sqlite"
)

// SQLite's own lower() changes ASCII letters only, so an address written
// "Ä@x.gov" in one file and "ä@x.gov" in another made two invitations on
// SQLite and one on PostgreSQL, and a sign-in in mixed case retrieved
// nothing. ferry_lower is Go's Unicode lower-casing, registered with the
// driver, and Dialect.Lower picks it on SQLite. PostgreSQL's lower() goes
// by the database's LC_CTYPE; in the UTF-8 locales (C.UTF-8, en_US.UTF-8)
// it agrees with Go's for every letter that has one lower-case form. Where
// the two are defined differently (the Turkish dotted İ), each engine
// still agrees with itself, so sign-in finds what the load invited.
func init() {
	sqlite.MustRegisterDeterministicScalarFunction("ferry_lower", 1, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		switch v := args[0].(type) {
		case string:
			return lowerText(v), nil
		case []byte:
			return lowerText(string(v)), nil
		}
		return args[0], nil
	})
}

// lowerText lower-cases s; text that is already lower-case ASCII, nearly
// every e-mail address, is returned as it is, without an allocation.
func lowerText(s string) string {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf || ('A' <= c && c <= 'Z') {
			return strings.ToLower(s)
		}
	}
	return s
}

// Lower lower-cases a text expression by Unicode's rules on both engines.
func (d Dialect) Lower(expr string) string {
	if d == Postgres {
		return "lower(" + expr + ")"
	}
	return "ferry_lower(" + expr + ")"
}
