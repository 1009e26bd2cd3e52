package cqlcsv

import (
	"bytes"
	"errors"
	"slices"
	"strconv"
	"unicode/utf8"
)

// The value layer (§2.3): what one CSV field means for its CQL type. Decoding
// turns a field into the row representation documented in doc.go.

// syntax says how a field's bytes encode a value.
type syntax struct {
	// esc: text carries cqlsh's escapes (\\ \n \t \r \xNN), as in COPY TO
	// files; otherwise text is taken as it is, as in LoadWriter files.
	esc bool
	// quote: \" also stands for '"'. The Python 2 CSV writer escapes quotes
	// but leaves backslashes raw, so in its files the CSV pair \" and the
	// value escapes can be undone in one pass over the raw field.
	quote bool
}

var (
	errEscape  = errors.New("bad backslash escape")
	errInt     = errors.New("not an integer")
	errBool    = errors.New("not True or False")
	errTime    = errors.New("not a timestamp")
	errLiteral = errors.New("bad collection literal")
	errDupKey  = errors.New("duplicate map key")
	errKeyType = errors.New("unsupported map key type")
)

// unescape appends src to dst with cqlsh's value escapes undone. \xNN is the
// code point U+00NN, as Python's repr wrote it, so it comes back as UTF-8.
func unescape(dst, src []byte, quote bool) ([]byte, error) {
	for len(src) > 0 {
		i := bytes.IndexByte(src, '\\')
		if i < 0 {
			return append(dst, src...), nil
		}
		dst = append(dst, src[:i]...)
		var n int
		var err error
		if dst, n, err = unescapeOne(dst, src[i:], quote); err != nil {
			return dst, err
		}
		src = src[i+n:]
	}
	return dst, nil
}

// unescapeOne decodes the escape at the start of src (src[0] == '\\') and
// returns how many bytes it took.
func unescapeOne(dst, src []byte, quote bool) ([]byte, int, error) {
	if len(src) < 2 {
		return dst, 0, errEscape
	}
	switch src[1] {
	case '\\':
		return append(dst, '\\'), 2, nil
	case 'n':
		return append(dst, '\n'), 2, nil
	case 't':
		return append(dst, '\t'), 2, nil
	case 'r':
		return append(dst, '\r'), 2, nil
	case '"':
		if quote {
			return append(dst, '"'), 2, nil
		}
	case 'x':
		if len(src) >= 4 {
			hi, ok1 := unhex(src[2])
			lo, ok2 := unhex(src[3])
			if ok1 && ok2 {
				return utf8.AppendRune(dst, rune(hi<<4|lo)), 4, nil
			}
		}
	}
	return dst, 0, errEscape
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// csvUnescape appends src with every CSV pair \X turned into X: the CSV
// layer of the Python >= 3.10 writer and of LoadWriter files.
func csvUnescape(dst, src []byte) []byte {
	for i := 0; i < len(src); i++ {
		if src[i] == '\\' && i+1 < len(src) {
			i++
		}
		dst = append(dst, src[i])
	}
	return dst
}

// decoder decodes fields; its buffers are reused from field to field.
type decoder struct {
	syn syntax
	buf []byte
	lit litParser
}

// decode returns the value of a non-null field for type t.
func (d *decoder) decode(t *Type, b []byte) (any, error) {
	switch t.Kind {
	case Text:
		s, err := d.text(b)
		if err != nil {
			return nil, err
		}
		return s, nil
	case Int:
		if v, ok := parseInt(b); ok {
			return v, nil
		}
		return nil, errInt
	case Boolean:
		switch string(b) {
		case "True":
			return true, nil
		case "False":
			return false, nil
		}
		return nil, errBool
	case Timestamp:
		ms, ok := parseTimestamp(b)
		if !ok {
			return nil, errTime
		}
		d.buf = appendTimestamp(d.buf[:0], ms)
		return string(d.buf), nil
	}
	d.lit.s, d.lit.i, d.lit.syn = b, 0, d.syn
	out, err := d.lit.value(t, d.buf[:0], 0)
	d.buf = out
	if err != nil {
		return nil, err
	}
	if d.lit.i != len(b) {
		return nil, errLiteral
	}
	if len(out) == 2 {
		// [] or {}: Cassandra does not tell an empty collection from a
		// null one, and neither does the row representation.
		return nil, nil
	}
	return string(out), nil
}

func (d *decoder) text(b []byte) (string, error) {
	if !d.syn.esc || bytes.IndexByte(b, '\\') < 0 {
		return string(b), nil
	}
	var err error
	d.buf, err = unescape(d.buf[:0], b, d.syn.quote)
	if err != nil {
		return "", err
	}
	return string(d.buf), nil
}

// litParser reads a CQL collection literal as cqlsh formats it — [a, b],
// {a, b}, {k: v} with ', ' and ': ' between items (other spacing is
// accepted) and text in single quotes, a quote in it doubled — and writes it
// as compact JSON.
type litParser struct {
	s      []byte
	i      int
	syn    syntax
	txt    []byte
	levels []mapLevel
}

// maxDepth bounds the nesting of frozen collections; the Sunbird tables go
// two deep.
const maxDepth = 32

func (p *litParser) ws() {
	for p.i < len(p.s) && p.s[p.i] == ' ' {
		p.i++
	}
}

func (p *litParser) eat(c byte) bool {
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

// bare returns an unquoted token: a number, True, False.
func (p *litParser) bare() []byte {
	j := p.i
	for j < len(p.s) {
		switch p.s[j] {
		case ',', ']', '}', ':', ' ':
			tok := p.s[p.i:j]
			p.i = j
			return tok
		}
		j++
	}
	tok := p.s[p.i:]
	p.i = j
	return tok
}

// quoted reads a single-quoted text element into p.txt, with doubled
// quotes and (in COPY TO files) the value escapes undone.
func (p *litParser) quoted() ([]byte, error) {
	if !p.eat('\'') {
		return nil, errLiteral
	}
	p.txt = p.txt[:0]
	for p.i < len(p.s) {
		j := p.i
		for j < len(p.s) && p.s[j] != '\'' && (p.s[j] != '\\' || !p.syn.esc) {
			j++
		}
		p.txt = append(p.txt, p.s[p.i:j]...)
		p.i = j
		if j == len(p.s) {
			break
		}
		if p.s[j] == '\\' {
			var n int
			var err error
			if p.txt, n, err = unescapeOne(p.txt, p.s[j:], p.syn.quote); err != nil {
				return nil, err
			}
			p.i += n
			continue
		}
		if j+1 < len(p.s) && p.s[j+1] == '\'' {
			p.txt = append(p.txt, '\'')
			p.i += 2
			continue
		}
		p.i++
		return p.txt, nil
	}
	return nil, errLiteral
}

// value parses one value of type t and appends its JSON to out.
func (p *litParser) value(t *Type, out []byte, depth int) ([]byte, error) {
	if depth > maxDepth {
		return out, errLiteral
	}
	switch t.Kind {
	case Text:
		s, err := p.quoted()
		if err != nil {
			return out, err
		}
		return appendJSONString(out, s), nil
	case Int:
		v, ok := parseInt(p.bare())
		if !ok {
			return out, errInt
		}
		return strconv.AppendInt(out, v, 10), nil
	case Boolean:
		switch string(p.bare()) {
		case "True":
			return append(out, "true"...), nil
		case "False":
			return append(out, "false"...), nil
		}
		return out, errBool
	case Timestamp:
		ms, err := p.timestamp()
		if err != nil {
			return out, err
		}
		out = append(out, '"')
		return append(appendTimestamp(out, ms), '"'), nil
	case List, Set:
		open, end := byte('['), byte(']')
		if t.Kind == Set {
			open, end = '{', '}'
		}
		if !p.eat(open) {
			return out, errLiteral
		}
		out = append(out, '[')
		p.ws()
		for n := 0; !p.eat(end); n++ {
			if n > 0 {
				if !p.eat(',') {
					return out, errLiteral
				}
				p.ws()
				out = append(out, ',')
			}
			var err error
			if out, err = p.value(t.Elem, out, depth+1); err != nil {
				return out, err
			}
			p.ws()
		}
		return append(out, ']'), nil
	case Map:
		return p.mapValue(t, out, depth)
	}
	return out, errLiteral
}

func (p *litParser) timestamp() (int64, error) {
	var tok []byte
	if p.i < len(p.s) && p.s[p.i] == '\'' {
		// cqlsh quotes timestamps inside collections.
		s, err := p.quoted()
		if err != nil {
			return 0, err
		}
		tok = s
	} else {
		tok = p.bare()
	}
	ms, ok := parseTimestamp(tok)
	if !ok {
		return 0, errTime
	}
	return ms, nil
}

// mapLevel holds the entries of the map being parsed at one depth: keys
// and value JSON in scratch buffers reused from map to map, as maps are
// nested one inside the other, never side by side at the same depth.
type mapLevel struct {
	ents []mapEntry
	keys []byte
	vals []byte
}

// mapEntry is one parsed map entry: its key text and value JSON, as
// offsets into its level's buffers.
type mapEntry struct {
	k0, k1, v0, v1 int
}

// mapValue parses {k: v, ...} and writes a JSON object with the keys sorted,
// as encoding/json sorts a map[string]T, so that equal maps give equal
// strings whatever order a file had them in.
func (p *litParser) mapValue(t *Type, out []byte, depth int) ([]byte, error) {
	if !p.eat('{') {
		return out, errLiteral
	}
	for len(p.levels) <= depth {
		p.levels = append(p.levels, mapLevel{})
	}
	lv := &p.levels[depth]
	lv.ents, lv.keys, lv.vals = lv.ents[:0], lv.keys[:0], lv.vals[:0]
	p.ws()
	for n := 0; !p.eat('}'); n++ {
		if n > 0 {
			if !p.eat(',') {
				return out, errLiteral
			}
			p.ws()
		}
		k0 := len(lv.keys)
		var err error
		if lv.keys, err = p.key(t.Key, lv.keys); err != nil {
			return out, err
		}
		p.ws()
		if !p.eat(':') {
			return out, errLiteral
		}
		p.ws()
		// The value may hold maps of its own, at deeper levels, which may
		// grow p.levels: lv is taken again after it.
		v0 := len(lv.vals)
		vals, err := p.value(t.Elem, lv.vals, depth+1)
		lv = &p.levels[depth]
		lv.vals = vals
		if err != nil {
			return out, err
		}
		lv.ents = append(lv.ents, mapEntry{k0, len(lv.keys), v0, len(lv.vals)})
		p.ws()
	}
	key := func(e mapEntry) []byte { return lv.keys[e.k0:e.k1] }
	cmp := func(a, b mapEntry) int { return bytes.Compare(key(a), key(b)) }
	// cqlsh writes maps sorted; sort only when a file did not.
	if !slices.IsSortedFunc(lv.ents, cmp) {
		slices.SortStableFunc(lv.ents, cmp)
	}
	out = append(out, '{')
	for i, e := range lv.ents {
		if i > 0 {
			if bytes.Equal(key(e), key(lv.ents[i-1])) {
				return out, errDupKey
			}
			out = append(out, ',')
		}
		out = appendJSONString(out, key(e))
		out = append(out, ':')
		out = append(out, lv.vals[e.v0:e.v1]...)
	}
	return append(out, '}'), nil
}

// key reads a map key and appends the text of its JSON object key to dst.
func (p *litParser) key(t *Type, dst []byte) ([]byte, error) {
	switch t.Kind {
	case Text:
		s, err := p.quoted()
		return append(dst, s...), err
	case Int:
		v, ok := parseInt(p.bare())
		if !ok {
			return dst, errInt
		}
		return strconv.AppendInt(dst, v, 10), nil
	case Timestamp:
		ms, err := p.timestamp()
		if err != nil {
			return dst, err
		}
		return appendTimestamp(dst, ms), nil
	}
	return dst, errKeyType
}
