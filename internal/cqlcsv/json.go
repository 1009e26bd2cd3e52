package cqlcsv

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"unicode/utf8"
)

// Collections travel in rows as compact JSON (see doc.go). The encoder below
// writes exactly what encoding/json writes with SetEscapeHTML(false), so a
// value built with json.Marshal on such an encoder compares equal to one read
// from a file; it exists because encoding/json escapes <, > and & by default
// and its encoder adds a newline.

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string.
func appendJSONString[T []byte | string](dst []byte, s T) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(string(s[i:min(i+utf8.UTFMax, len(s))]))
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// ListJSON returns the row value of a list<text> or set<text> holding v:
// a JSON array in the given order. An empty v gives "[]", which the writers
// take for null; rows read from a file hold nil instead.
func ListJSON(v []string) string {
	b := []byte{'['}
	for i, s := range v {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, s)
	}
	return string(append(b, ']'))
}

// ParseListJSON is the reverse of ListJSON. "" (what a type assertion on a
// nil row value gives) is an empty list.
func ParseListJSON(s string) ([]string, error) {
	if s == "" {
		return nil, nil
	}
	var v []*string
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return nil, err
	}
	out := make([]string, len(v))
	for i, p := range v {
		if p == nil {
			return nil, errors.New("cqlcsv: null in a list")
		}
		out[i] = *p
	}
	return out, nil
}

// MapJSON returns the row value of a map<text,text> holding m: a JSON
// object with the keys sorted. An empty m gives "{}" (see ListJSON).
func MapJSON(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b := []byte{'{'}
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, k)
		b = append(b, ':')
		b = appendJSONString(b, m[k])
	}
	return string(append(b, '}'))
}

// ParseMapJSON is the reverse of MapJSON; "" is an empty map.
func ParseMapJSON(s string) (map[string]string, error) {
	if s == "" {
		return nil, nil
	}
	var v map[string]*string
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return nil, err
	}
	if v == nil {
		return nil, errors.New("cqlcsv: null map")
	}
	out := make(map[string]string, len(v))
	for k, p := range v {
		if p == nil {
			return nil, errors.New("cqlcsv: null in a map")
		}
		out[k] = *p
	}
	return out, nil
}

// parseJSON decodes a collection's row value for the writers: arrays become
// []any, objects map[string]any, numbers json.Number.
func parseJSON(s string) (any, error) {
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if len(bytes.TrimLeft([]byte(s[dec.InputOffset():]), " \t\r\n")) > 0 {
		return nil, errors.New("text after the JSON value")
	}
	return v, nil
}
