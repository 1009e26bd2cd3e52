package cqlcsv

import (
	"errors"
	"fmt"
	"strings"
)

// Literal returns v, a value of type t in the row representation, as a CQL
// literal for a statement run with cqlsh -f: text in single quotes with '
// doubled (a raw LF is allowed inside a CQL string), true/false, timestamps
// quoted in canonical form, collections as [..], {..} and {k: v}, and null
// for nil or an empty collection.
func Literal(t Type, v any) (string, error) {
	b, null, err := formatValue(nil, &t, v, styleCQL)
	if err != nil {
		return "", fmt.Errorf("cqlcsv: %w", err)
	}
	if null {
		return "null", nil
	}
	return string(b), nil
}

// DeleteStatement returns the statement deleting the row whose primary key
// is in row (a full row of t, as the reader returns it), e.g.
//
//	DELETE FROM sunbird.user_organisation WHERE userid = 'x' AND organisationid = 'y';
//
// COPY FROM cannot delete, so a re-keyed row needs one of these (§2.5.5).
func DeleteStatement(t *Table, row []any) (string, error) {
	if len(row) != len(t.Columns) {
		return "", fmt.Errorf("cqlcsv: %s: row has %d values, want %d", t.Name, len(row), len(t.Columns))
	}
	if t.KeyLen < 1 {
		return "", fmt.Errorf("cqlcsv: %s: no primary key", t.Name)
	}
	var b strings.Builder
	b.WriteString("DELETE FROM ")
	b.WriteString(tableName(t))
	for i, c := range t.Columns[:t.KeyLen] {
		if row[i] == nil {
			return "", fmt.Errorf("cqlcsv: %s: key column %s is null", t.Name, c.Name)
		}
		lit, err := Literal(c.Type, row[i])
		if err != nil {
			return "", fmt.Errorf("cqlcsv: %s: column %s: %w", t.Name, c.Name, errors.Unwrap(err))
		}
		if i == 0 {
			b.WriteString(" WHERE ")
		} else {
			b.WriteString(" AND ")
		}
		b.WriteString(Ident(c.Name))
		b.WriteString(" = ")
		b.WriteString(lit)
	}
	b.WriteString(";")
	return b.String(), nil
}

// tableName is keyspace.table, or the table alone when no keyspace is set.
func tableName(t *Table) string {
	if t.Keyspace == "" {
		return Ident(t.Name)
	}
	return Ident(t.Keyspace) + "." + Ident(t.Name)
}

// Ident returns a CQL identifier: bare when it reads back as itself
// (lower case, digits and _, not a reserved word), double-quoted otherwise.
func Ident(name string) string {
	plain := name != "" && !reserved[name]
	for i := 0; i < len(name) && plain; i++ {
		c := name[i]
		plain = c == '_' || 'a' <= c && c <= 'z' || i > 0 && '0' <= c && c <= '9'
	}
	if plain {
		return name
	}
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// reserved holds CQL's reserved keywords (Cassandra 3.11), which cannot be
// used as bare identifiers. Non-reserved keywords such as key, type or
// value can.
var reserved = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`add allow alter and apply asc authorize batch begin by
		columnfamily create default delete desc describe drop entries execute from full grant if in
		index infinity insert into is keyspace limit materialized mbean mbeans modify nan
		norecursive not null of on or order primary rename replace revoke schema select set
		table to token truncate unlogged unset update use using view where with`) {
		m[w] = true
	}
	return m
}()
