package cqlcsv

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
)

// The CSV layer, common to every dialect: '"' quotes, '\' escapes the byte
// after it (always, inside quotes or not, a line feed included), ',' ends a
// field and LF or CRLF a record. Because every writer involved uses the same
// escape character, where fields and records end does not depend on the
// dialect; only what a backslash pair means does. So the scanner keeps each
// field's bytes raw, pairs included, and notes what it saw; the dialect is
// applied afterwards, once known (see Reader).
//
// Record boundaries are those of Python's csv reader with escapechar='\\'
// and doublequote=False (which cqlsh uses to read such files), but the
// constructs no cqlsh writer produces, which Python would accept by guessing,
// mark the record bad instead: a quote inside an unquoted field, text after a
// closing quote, a CR not followed by LF outside quotes.

// field is one field of a record: its raw content (between the quotes when
// quoted) is rec.raw[start:end], backslash pairs still in it.
type field struct {
	start, end int
	quoted     bool
	// The backslash pairs in the field, by the byte after the backslash.
	escQuote, escBackslash, escOther bool
}

func (f *field) escaped() bool { return f.escQuote || f.escBackslash || f.escOther }

// special reports whether the field holds a ',', CR or LF: what makes both
// Python writers quote a field.
func (f *field) special(raw []byte) bool {
	return bytes.ContainsAny(raw[f.start:f.end], ",\r\n")
}

// record is one CSV record as scanned.
type record struct {
	// raw is the record's bytes without its final line end; once the record
	// is over the size limit, only its first bytes.
	raw    []byte
	fields []field
	line   int64  // physical line (1-based) the record starts on
	bad    string // why the record cannot be a row, or ""
	// end is the byte offset just after the record's line end, and
	// endLine the number of the last physical line it took: where a
	// reader resumes after it.
	end, endLine int64
}

func (r *record) blank() bool {
	return r.bad == "" && len(r.raw) == 0 && len(r.fields) == 1
}

// clone copies r for the reader's look-ahead queue.
func (r *record) clone() record {
	return record{
		raw:     bytes.Clone(r.raw),
		fields:  append([]field(nil), r.fields...),
		line:    r.line,
		bad:     r.bad,
		end:     r.end,
		endLine: r.endLine,
	}
}

const (
	stStart    = iota // at the start of a field
	stUnquoted        // inside an unquoted field
	stQuoted          // inside quotes
	stAfter           // after a closing quote
)

// isSpecial marks the bytes the scanner must look at; it skips runs of
// other bytes inside a field.
var isSpecial = func() (t [256]bool) {
	for _, c := range []byte{',', '"', '\\', '\r', '\n'} {
		t[c] = true
	}
	return
}()

var bom = []byte("\xef\xbb\xbf")

// scanner reads records from one input. Its memory is the bufio buffer plus
// the largest record seen (capped at max).
type scanner struct {
	br     *bufio.Reader
	buf    []byte
	fields []field
	lines  int64 // physical lines consumed
	off    int64 // bytes consumed
	max    int
	eof    bool
}

func (s *scanner) reset(r io.Reader, max int) {
	if s.br == nil {
		s.br = bufio.NewReaderSize(r, 64<<10)
	} else {
		s.br.Reset(r)
	}
	s.lines, s.off, s.eof, s.max = 0, 0, false, max
	// A UTF-8 byte order mark is not data; cqlsh never writes one, but a
	// file that went through an editor may have it.
	if b, _ := s.br.Peek(len(bom)); bytes.Equal(b, bom) {
		_, _ = s.br.Discard(len(bom))
		s.off += int64(len(bom))
	}
}

// next scans one record into rec, whose slices stay valid until the next
// call. It returns false at the end of the input.
func (s *scanner) next(rec *record) (bool, error) {
	if s.eof {
		return false, nil
	}
	s.buf, s.fields = s.buf[:0], s.fields[:0]
	*rec = record{line: s.lines + 1}
	var (
		st      = stStart
		f       field
		esc, cr bool // a backslash, or a CR outside quotes, waits for the next byte
		over    bool // the record passed s.max; its bytes are no longer kept
		n       int  // absolute position of the chunk in the record
		endLF   bool // the bytes so far end in LF
		term    = -1 // where the line end of the record starts
		setBad  = func(why string) {
			if rec.bad == "" {
				rec.bad = why
			}
		}
	)
	for term < 0 {
		chunk, err := s.br.ReadSlice('\n')
		if err != nil && err != bufio.ErrBufferFull && err != io.EOF {
			return false, err
		}
		for i := 0; i < len(chunk); i++ {
			c := chunk[i]
			p := n + i
			if esc {
				esc = false
				switch c {
				case '"':
					f.escQuote = true
				case '\\':
					f.escBackslash = true
				default:
					f.escOther = true
				}
				continue
			}
			if cr {
				cr = false
				if c == '\n' {
					term = p - 1
					if st == stStart || st == stUnquoted {
						f.end = p - 1
					}
					s.fields = append(s.fields, f)
					break
				}
				setBad("CR outside quotes")
				st = stUnquoted // the CR was data, of a bad record
			}
			switch st {
			case stStart:
				f = field{start: p}
				switch c {
				case '"':
					st, f.quoted, f.start = stQuoted, true, p+1
				case ',':
					f.end = p
					s.fields = append(s.fields, f)
				case '\n':
					f.end, term = p, p
					s.fields = append(s.fields, f)
				case '\r':
					cr = true
				case '\\':
					st, esc = stUnquoted, true
				default:
					st = stUnquoted
				}
			case stUnquoted:
				for i+1 < len(chunk) && !isSpecial[c] {
					i++
					c = chunk[i]
				}
				p = n + i
				switch c {
				case ',':
					f.end = p
					s.fields = append(s.fields, f)
					st = stStart
				case '\n':
					f.end, term = p, p
					s.fields = append(s.fields, f)
				case '\r':
					cr = true
				case '\\':
					esc = true
				case '"':
					setBad("quote inside an unquoted field")
				}
			case stQuoted:
				// Only a quote or a backslash matters here (a LF can only
				// be the chunk's last byte, counted below), and quoted
				// fields are the long ones: look for them with IndexByte.
				j := indexQuoteOrBackslash(chunk[i:])
				if j < 0 {
					i = len(chunk)
					break
				}
				i += j
				if chunk[i] == '"' {
					f.end = n + i
					st = stAfter
				} else {
					esc = true
				}
			case stAfter:
				switch c {
				case ',':
					s.fields = append(s.fields, f)
					st = stStart
				case '\n':
					term = p
					s.fields = append(s.fields, f)
				case '\r':
					cr = true
				default:
					setBad("text after a closing quote")
					st = stUnquoted
					esc = c == '\\'
				}
			}
		}
		if len(chunk) > 0 {
			endLF = chunk[len(chunk)-1] == '\n'
			if endLF {
				// A line ends here, inside the record or at its end.
				s.lines++
			}
		}
		if term >= 0 && n == 0 {
			// The whole record is in one chunk, as every record of a
			// COPY TO file is: no copy.
			rec.raw = chunk[:term]
			rec.fields = s.fields
			return true, nil
		}
		if !over && len(s.buf)+len(chunk) > s.max {
			over = true
			// Keep enough for the reject's Raw.
			if k := maxRaw - len(s.buf); k > 0 {
				s.buf = append(s.buf, chunk[:min(k, len(chunk))]...)
			}
		}
		if !over {
			s.buf = append(s.buf, chunk...)
		}
		n += len(chunk)
		if err == io.EOF && term < 0 {
			s.eof = true
			if n == 0 {
				return false, nil
			}
			if !endLF {
				// The last line has no line end; it is a line all the same.
				s.lines++
			}
			term = n
			switch {
			case st == stQuoted:
				setBad("unterminated quote")
			case esc:
				setBad("backslash at the end of the input")
			case cr:
				setBad("CR outside quotes")
			}
			switch st {
			case stStart:
				f = field{start: n, end: n}
			case stUnquoted, stQuoted:
				f.end = n
			}
			s.fields = append(s.fields, f)
		}
	}
	if over {
		setBad(fmt.Sprintf("record longer than %d bytes", s.max))
	}
	rec.raw = s.buf[:min(term, len(s.buf))]
	rec.fields = s.fields
	// ReadSlice stops at a line feed, and a record ends at one (or at the
	// end of the input), so the record took exactly the chunks read.
	s.off += int64(n)
	rec.end, rec.endLine = s.off, s.lines
	return true, nil
}

// indexQuoteOrBackslash returns the index of the first '"' or '\\' in b,
// or -1.
func indexQuoteOrBackslash(b []byte) int {
	q := bytes.IndexByte(b, '"')
	if q < 0 {
		q = len(b)
	}
	if k := bytes.IndexByte(b[:q], '\\'); k >= 0 {
		return k
	}
	if q == len(b) {
		return -1
	}
	return q
}
