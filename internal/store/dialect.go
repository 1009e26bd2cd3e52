package store

import (
	"fmt"
	"strconv"
	"strings"
)

// Dialect names a supported database and holds the handful of SQL fragments
// that differ between them. Everything else is written once, in the common
// subset both engines accept.
type Dialect int

const (
	SQLite Dialect = iota + 1
	Postgres
)

func (d Dialect) String() string {
	switch d {
	case SQLite:
		return "sqlite"
	case Postgres:
		return "postgres"
	}
	return "unknown"
}

// Rebind turns ? placeholders into $1, $2 ... for PostgreSQL. A ? inside a
// single-quoted literal is left alone.
func (d Dialect) Rebind(query string) string {
	if d != Postgres || !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 8)
	n, inQuote := 0, false
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case c == '\'':
			inQuote = !inQuote
			b.WriteByte(c)
		case c == '?' && !inQuote:
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// StringAgg aggregates distinct values of expr into a sorted, comma-separated
// list: the audit columns (roles, raw statuses) use it.
func (d Dialect) StringAgg(expr string) string {
	if d == Postgres {
		return "string_agg(DISTINCT " + expr + ", ',' ORDER BY " + expr + ")"
	}
	return "group_concat(DISTINCT " + expr + " ORDER BY " + expr + ")"
}

// DateText renders a date column as YYYY-MM-DD text, or NULL.
func (d Dialect) DateText(expr string) string {
	if d == Postgres {
		return "to_char(" + expr + ", 'YYYY-MM-DD')"
	}
	return expr
}

// Date casts a YYYY-MM-DD text parameter or column to the date type.
func (d Dialect) Date(expr string) string {
	if d == Postgres {
		return "CAST(" + expr + " AS date)"
	}
	return expr
}

// OverridingSystemValue goes between an INSERT's column list and its
// SELECT when the statement supplies the values of a PostgreSQL identity
// column (GENERATED ALWAYS); SQLite needs nothing.
func (d Dialect) OverridingSystemValue() string {
	if d == Postgres {
		return "OVERRIDING SYSTEM VALUE"
	}
	return ""
}

// Now is the current timestamp in the representation the schema uses.
func (d Dialect) Now() string {
	if d == Postgres {
		return "now()"
	}
	// The format modernc.org/sqlite reads back into time.Time.
	return "strftime('%Y-%m-%d %H:%M:%f','now')"
}

// JSONObject builds a JSON object text from alternating key literals and
// value expressions, for the change journal's before and after images.
func (d Dialect) JSONObject(kv ...string) string {
	var b strings.Builder
	if d == Postgres {
		b.WriteString("CAST(json_build_object(")
	} else {
		b.WriteString("json_object(")
	}
	for i, s := range kv {
		if i > 0 {
			b.WriteString(", ")
		}
		if i%2 == 0 {
			b.WriteString("'" + s + "'")
		} else {
			b.WriteString(s)
		}
	}
	if d == Postgres {
		b.WriteString(") AS text)")
	} else {
		b.WriteString(")")
	}
	return b.String()
}

// JSONTextArray is a table expression with one text column, alias, that
// yields the elements of the JSON array of strings bound at param: a list
// of any length passed as one argument, where IN (?, ?, …) would run into
// the databases' limits on bound parameters.
func (d Dialect) JSONTextArray(param, alias string) string {
	if d == Postgres {
		return "(SELECT json_array_elements_text(CAST(" + param + " AS json)) AS " + alias + ")"
	}
	return "(SELECT value AS " + alias + " FROM json_each(" + param + "))"
}

// JSONTuples is a table expression with the columns cols that yields the
// rows of the JSON array of arrays of strings bound at param (a list of
// composite keys), the i-th element of each array in cols[i].
func (d Dialect) JSONTuples(param string, cols ...string) string {
	var b strings.Builder
	b.WriteString("(SELECT ")
	for i, c := range cols {
		if i > 0 {
			b.WriteString(", ")
		}
		if d == Postgres {
			fmt.Fprintf(&b, "x.e->>%d AS %s", i, c)
		} else {
			fmt.Fprintf(&b, "json_extract(x.value, '$[%d]') AS %s", i, c)
		}
	}
	if d == Postgres {
		b.WriteString(" FROM json_array_elements(CAST(" + param + " AS json)) AS x(e))")
	} else {
		b.WriteString(" FROM json_each(" + param + ") AS x)")
	}
	return b.String()
}
