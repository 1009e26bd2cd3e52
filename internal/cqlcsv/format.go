package cqlcsv

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Formatting row values (the representation of doc.go) as text: for COPY TO
// files (ExportWriter), COPY FROM files (LoadWriter) and CQL statements
// (Literal). The CSV layer is the writers' business.

type style int

const (
	// styleExport is cqlsh 3.11's COPY TO value layer (§2.3): text with its
	// escapes, True/False, timestamps as Python 2.7 formats them.
	styleExport style = iota
	// styleLoad is what COPY FROM reads back as the same value (§2.4, §2.5):
	// text as it is, True/False, canonical timestamps.
	styleLoad
	// styleCQL is a CQL literal: text quoted, true/false, null.
	styleCQL
)

// errNull is returned for a null value where none can be written (a
// collection element); callers handle top-level nulls themselves.
var errNull = errors.New("null value")

// formatValue formats a top-level value of type t. It reports null for nil
// and for an empty collection ("", [], {} or JSON null), which Cassandra
// stores as null, and then appends nothing.
func formatValue(dst []byte, t *Type, v any, st style) ([]byte, bool, error) {
	if v == nil {
		return dst, true, nil
	}
	if t.IsCollection() {
		s, ok := v.(string)
		if !ok {
			return dst, false, fmt.Errorf("want a JSON string for %s, got %T", t, v)
		}
		if s == "" {
			return dst, true, nil
		}
		tree, err := parseJSON(s)
		if err != nil {
			return dst, false, fmt.Errorf("bad JSON for %s: %w", t, err)
		}
		switch x := tree.(type) {
		case nil:
			return dst, true, nil
		case []any:
			if len(x) == 0 {
				return dst, true, nil
			}
		case map[string]any:
			if len(x) == 0 {
				return dst, true, nil
			}
		}
		dst, err = appendElem(dst, t, tree, st, 0)
		return dst, false, err
	}
	switch t.Kind {
	case Text:
		s, ok := v.(string)
		if !ok {
			return dst, false, fmt.Errorf("want a string for text, got %T", v)
		}
		if !utf8.ValidString(s) {
			return dst, false, errors.New("text is not UTF-8")
		}
		switch st {
		case styleExport:
			return appendExportText(dst, s, false), false, nil
		case styleCQL:
			return appendQuoted(dst, s), false, nil
		}
		return append(dst, s...), false, nil
	case Timestamp:
		ms, err := timestampValue(v)
		if err != nil {
			return dst, false, err
		}
		switch st {
		case styleExport:
			return appendExportTimestamp(dst, ms), false, nil
		case styleCQL:
			if y := time.UnixMilli(ms).UTC().Year(); y < 1 || y > 9999 {
				return strconv.AppendInt(dst, ms, 10), false, nil
			}
			dst = append(dst, '\'')
			return append(appendTimestamp(dst, ms), '\''), false, nil
		}
		return appendTimestamp(dst, ms), false, nil
	}
	dst, err := appendScalar(dst, t, v, st)
	return dst, false, err
}

// appendScalar formats an int or a boolean, at top level or in a collection.
func appendScalar(dst []byte, t *Type, v any, st style) ([]byte, error) {
	switch t.Kind {
	case Int:
		n, err := intValue(v)
		if err != nil {
			return dst, err
		}
		return strconv.AppendInt(dst, n, 10), nil
	case Boolean:
		b, ok := v.(bool)
		if !ok {
			return dst, fmt.Errorf("want a bool for boolean, got %T", v)
		}
		switch {
		case st == styleCQL && b:
			return append(dst, "true"...), nil
		case st == styleCQL:
			return append(dst, "false"...), nil
		case b:
			return append(dst, "True"...), nil
		}
		return append(dst, "False"...), nil
	}
	return dst, fmt.Errorf("type %s is not a scalar", t)
}

func intValue(v any) (int64, error) {
	switch n := v.(type) {
	case int64:
		return n, nil
	case int:
		return int64(n), nil
	case int32:
		return int64(n), nil
	case json.Number:
		if i, ok := parseInt([]byte(n)); ok {
			return i, nil
		}
	}
	return 0, fmt.Errorf("want an integer, got %T", v)
}

func timestampValue(v any) (int64, error) {
	switch x := v.(type) {
	case string:
		if ms, ok := parseTimestamp([]byte(x)); ok {
			return ms, nil
		}
		return 0, errors.New("bad timestamp")
	case time.Time:
		return x.UnixMilli(), nil
	}
	return 0, fmt.Errorf("want a timestamp string, got %T", v)
}

// appendElem formats a value decoded from JSON as an element of a
// collection literal (or, at depth 0, as the collection itself).
func appendElem(dst []byte, t *Type, v any, st style, depth int) ([]byte, error) {
	if v == nil {
		return dst, errNull
	}
	if depth > maxDepth {
		return dst, errors.New("collection nested too deep")
	}
	switch t.Kind {
	case Text:
		s, ok := v.(string)
		if !ok {
			return dst, fmt.Errorf("want a string element, got %T", v)
		}
		if st == styleExport {
			dst = append(dst, '\'')
			return append(appendExportText(dst, s, true), '\''), nil
		}
		return appendQuoted(dst, s), nil
	case Timestamp:
		ms, err := timestampValue(v)
		if err != nil {
			return dst, err
		}
		dst = append(dst, '\'')
		if st == styleExport {
			dst = appendExportTimestamp(dst, ms)
		} else {
			dst = appendTimestamp(dst, ms)
		}
		return append(dst, '\''), nil
	case List, Set:
		items, ok := v.([]any)
		if !ok {
			return dst, fmt.Errorf("want a JSON array for %s, got %T", t, v)
		}
		if t.Kind == Set && st == styleExport {
			// cqlsh sorts sets (fm3 L544), by value.
			items = slices.Clone(items)
			slices.SortStableFunc(items, func(a, b any) int { return compareElem(t.Elem, a, b) })
		}
		open, end := byte('['), byte(']')
		if t.Kind == Set {
			open, end = '{', '}'
		}
		dst = append(dst, open)
		for i, e := range items {
			if i > 0 {
				dst = append(dst, ", "...)
			}
			var err error
			if dst, err = appendElem(dst, t.Elem, e, st, depth+1); err != nil {
				return dst, err
			}
		}
		return append(dst, end), nil
	case Map:
		m, ok := v.(map[string]any)
		if !ok {
			return dst, fmt.Errorf("want a JSON object for %s, got %T", t, v)
		}
		type entry struct {
			key any
			val any
		}
		ents := make([]entry, 0, len(m))
		for k, val := range m {
			key, err := keyValue(t.Key, k)
			if err != nil {
				return dst, err
			}
			ents = append(ents, entry{key, val})
		}
		// cqlsh sorts maps by key (fm3 L554-580).
		slices.SortFunc(ents, func(a, b entry) int { return compareElem(t.Key, a.key, b.key) })
		dst = append(dst, '{')
		for i, e := range ents {
			if i > 0 {
				dst = append(dst, ", "...)
			}
			var err error
			if dst, err = appendElem(dst, t.Key, e.key, st, depth+1); err != nil {
				return dst, err
			}
			dst = append(dst, ": "...)
			if dst, err = appendElem(dst, t.Elem, e.val, st, depth+1); err != nil {
				return dst, err
			}
		}
		return append(dst, '}'), nil
	}
	return appendScalar(dst, t, v, st)
}

// keyValue turns a JSON object key into a map key of type t.
func keyValue(t *Type, k string) (any, error) {
	switch t.Kind {
	case Text, Timestamp:
		return k, nil
	case Int:
		return json.Number(k), nil
	}
	return nil, errKeyType
}

// compareElem orders two collection elements of type t the way Cassandra
// (and so cqlsh) does: text by code point, numbers and timestamps by value.
// Values that cannot be read sort by their Go syntax; formatting them fails
// later anyway.
func compareElem(t *Type, a, b any) int {
	switch t.Kind {
	case Int:
		x, err1 := intValue(a)
		y, err2 := intValue(b)
		if err1 == nil && err2 == nil {
			return cmp.Compare(x, y)
		}
	case Timestamp:
		x, err1 := timestampValue(a)
		y, err2 := timestampValue(b)
		if err1 == nil && err2 == nil {
			return cmp.Compare(x, y)
		}
	case Boolean:
		x, ok1 := a.(bool)
		y, ok2 := b.(bool)
		if ok1 && ok2 {
			return cmp.Compare(b2i(x), b2i(y))
		}
	case Text:
		x, ok1 := a.(string)
		y, ok2 := b.(string)
		if ok1 && ok2 {
			return strings.Compare(x, y)
		}
	}
	return strings.Compare(fmt.Sprintf("%#v", a), fmt.Sprintf("%#v", b))
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// appendQuoted appends s as a CQL string literal: in single quotes, ' doubled.
func appendQuoted(dst []byte, s string) []byte {
	dst = append(dst, '\'')
	for {
		i := strings.IndexByte(s, '\'')
		if i < 0 {
			break
		}
		dst = append(dst, s[:i+1]...)
		dst = append(dst, '\'')
		s = s[i+1:]
	}
	dst = append(dst, s...)
	return append(dst, '\'')
}

// appendExportText applies cqlsh's text formatting (fm3 L487-503): \ is
// doubled, ' too inside collections, and every character in
// [\x00-\x1f\x7f-\xa0] becomes its Python repr escape.
func appendExportText(dst []byte, s string, inColl bool) []byte {
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		var esc string
		switch {
		case c == '\\':
			esc = `\\`
		case c == '\'' && inColl:
			esc = "''"
		case c == '\n':
			esc = `\n`
		case c == '\t':
			esc = `\t`
		case c == '\r':
			esc = `\r`
		case c < 0x20 || c == 0x7f:
		case c == 0xc2 && i+1 < len(s) && s[i+1] >= 0x80 && s[i+1] <= 0xa0:
			// U+0080..U+00A0, two bytes in UTF-8.
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'x', hexDigits[s[i+1]>>4], hexDigits[s[i+1]&0xf])
			i++
			start = i + 1
			continue
		default:
			continue
		}
		dst = append(dst, s[start:i]...)
		if esc == "" {
			dst = append(dst, '\\', 'x', hexDigits[c>>4], hexDigits[c&0xf])
		} else {
			dst = append(dst, esc...)
		}
		start = i + 1
	}
	return append(dst, s[start:]...)
}
