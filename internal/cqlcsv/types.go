package cqlcsv

import (
	"fmt"
	"strings"
)

// Kind is a CQL type constructor, as far as the Sunbird tables use them.
type Kind int

// The CQL kinds a Sunbird table uses. Timestamp is a CQL timestamp, not one
// of Sunbird's text date columns (those are Text and kept verbatim).
const (
	Text Kind = iota
	Int
	Boolean
	Timestamp
	List
	Set
	Map
)

// Type is a CQL column type: a scalar, or a collection of Elem (and, for a
// map, keyed by Key). Frozen is kept only for writing the type back.
type Type struct {
	Kind   Kind
	Key    *Type // Map only
	Elem   *Type // List, Set and Map (the value type)
	Frozen bool
}

// Column is one column of a table, in the table's COPY TO order.
type Column struct {
	Name string
	Type Type
}

// Table describes one Cassandra table: its keyspace, name, columns in the
// order COPY TO writes them (partition key, clustering key, then the rest
// alphabetically), and how many leading columns form the primary key.
type Table struct {
	Keyspace string
	Name     string
	Columns  []Column
	// KeyLen is the number of leading Columns that make up the primary key.
	KeyLen int
}

// Col returns the index of the named column, or -1.
func (t *Table) Col(name string) int {
	for i, c := range t.Columns {
		if c.Name == name {
			return i
		}
	}
	return -1
}

// MustParseType parses a CQL type such as "map<text,frozen<list<text>>>"
// and panics on error; it is meant for table definitions in code.
func MustParseType(s string) Type {
	t, err := ParseType(s)
	if err != nil {
		panic(err)
	}
	return t
}

// ParseType parses the CQL types a Sunbird table uses: text, varchar,
// ascii, int, bigint, boolean, timestamp, list<T>, set<T>, map<K,V> and
// frozen<T>.
func ParseType(s string) (Type, error) {
	t, rest, err := parseType(strings.TrimSpace(s))
	if err != nil {
		return Type{}, err
	}
	if strings.TrimSpace(rest) != "" {
		return Type{}, fmt.Errorf("cql type %q: unexpected %q", s, rest)
	}
	return t, nil
}

func parseType(s string) (Type, string, error) {
	s = strings.TrimLeft(s, " ")
	name := s
	i := strings.IndexAny(s, "<>, ")
	if i >= 0 {
		name, s = s[:i], s[i:]
	} else {
		s = ""
	}
	switch strings.ToLower(name) {
	case "text", "varchar", "ascii":
		return Type{Kind: Text}, s, nil
	case "int", "bigint", "varint", "smallint", "tinyint", "counter":
		return Type{Kind: Int}, s, nil
	case "boolean":
		return Type{Kind: Boolean}, s, nil
	case "timestamp":
		return Type{Kind: Timestamp}, s, nil
	case "frozen", "list", "set", "map":
	default:
		return Type{}, "", fmt.Errorf("cql type %q is not supported", name)
	}
	s = strings.TrimLeft(s, " ")
	if !strings.HasPrefix(s, "<") {
		return Type{}, "", fmt.Errorf("cql type %s: want <", name)
	}
	first, s, err := parseType(s[1:])
	if err != nil {
		return Type{}, "", err
	}
	var t Type
	switch strings.ToLower(name) {
	case "frozen":
		t = first
		t.Frozen = true
	case "list", "set":
		e := first
		t = Type{Kind: List, Elem: &e}
		if strings.ToLower(name) == "set" {
			t.Kind = Set
		}
	case "map":
		s = strings.TrimLeft(s, " ")
		if !strings.HasPrefix(s, ",") {
			return Type{}, "", fmt.Errorf("cql type map: want ,")
		}
		v, rest, err := parseType(s[1:])
		if err != nil {
			return Type{}, "", err
		}
		s = rest
		k := first
		t = Type{Kind: Map, Key: &k, Elem: &v}
	}
	s = strings.TrimLeft(s, " ")
	if !strings.HasPrefix(s, ">") {
		return Type{}, "", fmt.Errorf("cql type %s: want >", name)
	}
	return t, s[1:], nil
}

// String writes the type back in CQL syntax.
func (t Type) String() string {
	var s string
	switch t.Kind {
	case Text:
		s = "text"
	case Int:
		s = "int"
	case Boolean:
		s = "boolean"
	case Timestamp:
		s = "timestamp"
	case List:
		s = "list<" + t.Elem.String() + ">"
	case Set:
		s = "set<" + t.Elem.String() + ">"
	case Map:
		s = "map<" + t.Key.String() + "," + t.Elem.String() + ">"
	}
	if t.Frozen {
		return "frozen<" + s + ">"
	}
	return s
}

// IsCollection reports whether values of t are CQL collection literals.
func (t Type) IsCollection() bool { return t.Kind == List || t.Kind == Set || t.Kind == Map }
