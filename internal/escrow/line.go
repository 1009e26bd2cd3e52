package escrow

import (
	"bytes"
	"unicode"
	"unicode/utf8"
)

// splitter cuts one physical line into trimmed fields. Its buffers are reused
// from line to line, so the slices it returns are only valid until the next
// call; callers copy out (as strings) just the fields they keep.
type splitter struct {
	sep     []byte
	fields  [][]byte
	scratch []byte
}

func newSplitter(sep rune) splitter {
	return splitter{sep: utf8.AppendRune(nil, sep)}
}

// validSep rejects separators that would make lines ambiguous: the quote
// character, line terminators, and whitespace other than tab (fields are
// trimmed, so a space separator would be eaten by the trimming).
func validSep(r rune) bool {
	if r == utf8.RuneError || !utf8.ValidRune(r) || r == '"' || r == 0 {
		return false
	}
	if r == '\t' {
		return true
	}
	return !unicode.IsSpace(r)
}

// split returns the fields of line. ok is false when a quoted field is not
// closed before the end of the line: the legacy export never wraps a record
// over several lines, so an open quote means a damaged row, not a
// continuation.
//
// keepSpaced turns on the bad-separator repair of the header files: a
// separator with a space on both sides is kept as part of the value. Like the
// textual replace it stands in for, matches do not overlap, so in " | | " only
// the first separator is protected.
func (s *splitter) split(line []byte, keepSpaced bool) (fields [][]byte, ok bool) {
	s.fields = s.fields[:0]
	if bytes.IndexByte(line, '"') < 0 {
		s.splitPlain(line, keepSpaced)
		return s.fields, true
	}
	ok = s.splitQuoted(line, keepSpaced)
	return s.fields, ok
}

// splitPlain is the common case: no quote anywhere, so every field is a
// sub-slice of line and nothing is copied.
func (s *splitter) splitPlain(line []byte, keepSpaced bool) {
	start, consumed := 0, -1
	for {
		i := s.nextSep(line, start, keepSpaced, &consumed)
		if i < 0 {
			break
		}
		s.fields = append(s.fields, bytes.TrimSpace(line[start:i]))
		start = i + len(s.sep)
	}
	s.fields = append(s.fields, bytes.TrimSpace(line[start:]))
}

// splitQuoted follows Python's csv default dialect, which is what produced and
// consumed these files: a field whose first non-blank character is '"' is
// quoted, '""' inside it is one literal quote, and anything between the
// closing quote and the next separator is appended to the value. A quote that
// does not open a field is an ordinary character.
//
// Quoted content is kept exactly, inner spaces included: quoting is the only
// way the format can say that those spaces matter.
func (s *splitter) splitQuoted(line []byte, keepSpaced bool) bool {
	// Unquoted content is never longer than the line, so with this capacity
	// appends never move the buffer and earlier fields stay valid.
	if cap(s.scratch) < len(line) {
		s.scratch = make([]byte, 0, len(line))
	}
	s.scratch = s.scratch[:0]
	pos, consumed := 0, -1
	for {
		q := s.skipBlank(line, pos)
		if q >= len(line) || line[q] != '"' {
			i := s.nextSep(line, pos, keepSpaced, &consumed)
			if i < 0 {
				s.fields = append(s.fields, bytes.TrimSpace(line[pos:]))
				return true
			}
			s.fields = append(s.fields, bytes.TrimSpace(line[pos:i]))
			pos = i + len(s.sep)
			continue
		}
		st := len(s.scratch)
		j := q + 1
		for {
			k := bytes.IndexByte(line[j:], '"')
			if k < 0 {
				return false
			}
			s.scratch = append(s.scratch, line[j:j+k]...)
			j += k + 1
			if j < len(line) && line[j] == '"' {
				s.scratch = append(s.scratch, '"')
				j++
				continue
			}
			break
		}
		i := s.nextSep(line, j, keepSpaced, &consumed)
		end := i
		if i < 0 {
			end = len(line)
		}
		s.scratch = append(s.scratch, bytes.TrimRightFunc(line[j:end], unicode.IsSpace)...)
		s.fields = append(s.fields, s.scratch[st:len(s.scratch):len(s.scratch)])
		if i < 0 {
			return true
		}
		pos = i + len(s.sep)
	}
}

// skipBlank returns the index of the first non-blank byte at or after pos,
// stopping at a separator because a tab can be both.
func (s *splitter) skipBlank(line []byte, pos int) int {
	for pos < len(line) {
		if bytes.HasPrefix(line[pos:], s.sep) {
			return pos
		}
		r, size := utf8.DecodeRune(line[pos:])
		if !unicode.IsSpace(r) {
			return pos
		}
		pos += size
	}
	return pos
}

// nextSep returns the index of the next separator at or after from, or -1.
// consumed carries the position of the last space already used by a
// protected " sep " so that overlapping matches are not protected twice.
func (s *splitter) nextSep(line []byte, from int, keepSpaced bool, consumed *int) int {
	n := len(s.sep)
	for from <= len(line) {
		var k int
		if n == 1 {
			k = bytes.IndexByte(line[from:], s.sep[0])
		} else {
			k = bytes.Index(line[from:], s.sep)
		}
		if k < 0 {
			return -1
		}
		i := from + k
		if keepSpaced && i > 0 && line[i-1] == ' ' && i-1 > *consumed &&
			i+n < len(line) && line[i+n] == ' ' {
			*consumed = i + n
			from = i + n
			continue
		}
		return i
	}
	return -1
}
