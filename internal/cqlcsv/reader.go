package cqlcsv

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"
)

// Dialect is the flavour of CSV a file is in.
type Dialect int

const (
	// Auto tells Py2 from Py310 by the first field only one of them could
	// have written (§2.2); until then rows whose meaning depends on it wait,
	// and Py2, the normative Sunbird format, is assumed when no such field
	// comes.
	Auto Dialect = iota
	// Py2 is cqlsh COPY TO run by Python 2.7 or 3.9 and older (cqlsh for
	// Cassandra 3.11): fields holding a backslash are quoted and the
	// backslash written raw; " is \".
	Py2
	// Py310 is cqlsh COPY TO run by Python 3.10 or newer: a backslash is
	// written \\ and does not make the field quoted; " is \".
	Py310
	// Load is what LoadWriter writes for COPY FROM: the CSV layer of Py310,
	// and text as it is, not escaped by cqlsh. Read such files with
	// Options.Null set to LoadNull.
	Load
)

func (d Dialect) String() string {
	switch d {
	case Auto:
		return "auto"
	case Py2:
		return "py2"
	case Py310:
		return "py310"
	case Load:
		return "load"
	}
	return fmt.Sprintf("Dialect(%d)", int(d))
}

func (d Dialect) syntax() syntax {
	switch d {
	case Py2, Auto:
		return syntax{esc: true, quote: true}
	case Py310:
		return syntax{esc: true}
	}
	return syntax{}
}

// Errors returned (wrapped) by Reader.Err. Bad rows are never errors: they
// go to Options.OnReject.
var (
	// ErrBadHeader: the first file's header cannot be read as a header
	// (missing, malformed, duplicate or empty names), or the options are
	// unusable.
	ErrBadHeader = errors.New("unusable header")
	// ErrMissingKey: the header lacks a primary-key column of the table.
	ErrMissingKey = errors.New("header lacks a primary-key column")
)

// Options configures a Reader. The zero value reads COPY TO files with a
// header, tells the Python versions apart by itself and discards rejects.
type Options struct {
	// NoHeader: the files have no header (COPY TO without HEADER = true);
	// the columns are the Table's, in its order.
	NoHeader bool
	// Columns, with NoHeader, are the files' columns by name, in file
	// order, instead of the Table's: the header of the first file, for a
	// continuation file read on its own.
	Columns []string
	// StartOffset and StartLine say where the single input of a stream
	// reader starts in its file, when a read resumes at a Position: the
	// caller has already positioned the input there.
	StartOffset, StartLine int64
	// Dialect forces a dialect; Auto (the zero value) detects it.
	Dialect Dialect
	// Null is the NULL marker. Empty (the default, cqlsh's) means an empty
	// field is null. Otherwise a field equal to it is null and an empty
	// field is an empty text (or a reject, for other types).
	Null string
	// OnReject receives every record that gave no row, blank lines
	// included, synchronously from Next.
	OnReject func(Reject)
	// MaxRecordBytes caps a record's size, so that an unterminated quote
	// cannot make the reader buffer the rest of a huge file: a longer
	// record is rejected (the input after it is still read). 0 means 64 MiB.
	MaxRecordBytes int
}

// Reject describes one record that produced no row.
type Reject struct {
	File string
	// Line is the 1-based physical line of the file on which the record
	// starts; the header is line 1 of the first file, and a continuation
	// file, having no header, has its first record on line 1.
	Line   int64
	Reason string
	// Raw is the record's bytes without its final line end, cut to 512
	// bytes; invalid UTF-8 is kept as it is.
	Raw []byte
}

func (r Reject) String() string {
	return fmt.Sprintf("%s:%d: %s", r.File, r.Line, r.Reason)
}

const maxRaw = 512

// HeaderReport compares the header with the Table (§3.8).
type HeaderReport struct {
	File string
	// Columns are the header's names in file order (the Table's columns
	// with Options.NoHeader).
	Columns []string
	// Missing are the Table's columns the header lacks, in Table order:
	// an older schema. Rows hold nil for them.
	Missing []string
	// Extra are the header's names the Table lacks, in header order: a
	// column since dropped, or added outside the migrations. Reader.Extra
	// gives their values.
	Extra []string
}

// Stats counts what a reader has read. Records + Rejected + Blank is the
// number of records after the header.
type Stats struct {
	Files    int   // files opened
	Lines    int64 // physical lines read, header included
	Records  int64 // rows returned by Next
	Rejected int64 // records rejected, blank lines excluded
	Blank    int64 // blank lines (also passed to OnReject)
}

// The look-ahead of Auto: at most this many records, or bytes, wait for the
// dialect before Py2 is assumed.
const (
	maxQueue      = 10000
	maxQueueBytes = 16 << 20
)

type queued struct {
	rec  record
	file string
	cont bool
}

// Reader streams the rows of one table from its files. It is not safe for
// concurrent use.
type Reader struct {
	t      *Table
	opts   Options
	files  []string
	stream io.Reader // NewStreamReader
	name   string

	next      int // index of the next input to open
	in        io.Closer
	open      bool
	cur       string // the input being read
	contFirst bool   // the next record is the first of a continuation file
	sc        scanner
	rec       record
	linesDone int64

	dialect Dialect
	dec     decoder
	csvBuf  []byte
	pos     []int // per field: the Table column, or -1-i for Extra[i]
	header  HeaderReport
	queue   []queued
	qbytes  int

	row   []any
	extra []string
	line  int64
	// end and endLine are where the last record handled ends: Position.
	end, endLine int64
	file         string
	stats        Stats
	err          error

	started, done bool
}

// NewReader returns a reader of t's rows from files, read one after the
// other and opened only when reached: the parts of one split export, in
// order, as Files returns them. Only the first has the header.
func NewReader(files []string, t *Table, opts Options) *Reader {
	return newReader(t, opts, files, nil, "")
}

// NewStreamReader returns a reader of t's rows from a single input called
// name in rejects and errors.
func NewStreamReader(in io.Reader, name string, t *Table, opts Options) *Reader {
	return newReader(t, opts, nil, in, name)
}

func newReader(t *Table, opts Options, files []string, in io.Reader, name string) *Reader {
	if opts.MaxRecordBytes <= 0 {
		opts.MaxRecordBytes = 64 << 20
	}
	opts.MaxRecordBytes = max(opts.MaxRecordBytes, 64<<10)
	r := &Reader{t: t, opts: opts, files: files, stream: in, name: name, dialect: opts.Dialect}
	r.dec.syn = r.dialect.syntax()
	return r
}

// Next advances to the next row, reporting rejected records on the way. It
// returns false at the end of the input or on a fatal error; see Err.
func (r *Reader) Next() bool {
	if r.err != nil || r.done || !r.start() {
		return false
	}
	for {
		if len(r.queue) > 0 && r.dialect != Auto {
			q := &r.queue[0]
			ok := r.handle(&q.rec, q.file, q.cont)
			r.queue[0] = queued{}
			r.queue = r.queue[1:]
			if len(r.queue) == 0 {
				r.queue, r.qbytes = nil, 0
			}
			if ok {
				return true
			}
			continue
		}
		cont, ok := r.read()
		if !ok {
			if r.err != nil {
				return false
			}
			if len(r.queue) > 0 {
				r.decide(Py2)
				continue
			}
			r.done = true
			return false
		}
		if r.dialect == Auto && r.rec.bad == "" {
			if d := detect(&r.rec); d != Auto {
				r.decide(d)
			}
		}
		if len(r.queue) > 0 || r.dialect == Auto && ambiguous(r.rec.fields) {
			// Wait for the dialect, or keep the order of those waiting.
			r.queue = append(r.queue, queued{r.rec.clone(), r.cur, cont})
			r.qbytes += len(r.rec.raw)
			if r.dialect == Auto && (len(r.queue) >= maxQueue || r.qbytes >= maxQueueBytes) {
				r.decide(Py2)
			}
			continue
		}
		if r.handle(&r.rec, r.cur, cont) {
			return true
		}
	}
}

// Row returns the row read by the last successful Next: one value per
// column of the Table, in the representation of doc.go. The slice is the
// caller's.
func (r *Reader) Row() []any { return r.row }

// Extra returns the values of the header's extra columns (see
// HeaderReport.Extra) in the row read by the last Next, as text ("" for
// null). The slice is the caller's.
func (r *Reader) Extra() []string { return r.extra }

// Position is a point a read can resume at: the byte offset in the
// current file just after the last record Next returned or rejected, and
// the number of the last line it took.
type Position struct {
	Offset, Line int64
}

// Position returns where the reader is in its current file, after the
// records handed out so far (not those it has read ahead). A stream reader
// over the same file, positioned at Offset and given StartOffset and
// StartLine, goes on from there.
func (r *Reader) Position() Position { return Position{Offset: r.end, Line: r.endLine} }

// Line returns the line on which the row read by the last Next starts.
func (r *Reader) Line() int64 { return r.line }

// File returns the file the row read by the last Next comes from.
func (r *Reader) File() string { return r.file }

// Dialect returns the dialect in use: the forced one, the one detected, or
// Auto while it is still unknown.
func (r *Reader) Dialect() Dialect { return r.dialect }

// Header returns how the header compares with the Table, reading it first
// if Next has not been called yet.
func (r *Reader) Header() HeaderReport {
	r.start()
	return r.header
}

// Stats returns the counters so far.
func (r *Reader) Stats() Stats {
	s := r.stats
	s.Lines = r.linesDone
	if r.open {
		s.Lines += r.sc.lines
	}
	return s
}

// Err returns the fatal error that stopped the reader, if any: an I/O
// error or an unusable header.
func (r *Reader) Err() error { return r.err }

// Close closes the file being read, if any, and ends the reading.
func (r *Reader) Close() error {
	r.done = true
	return r.closeInput()
}

func (r *Reader) closeInput() error {
	if !r.open {
		return nil
	}
	r.open = false
	r.linesDone += r.sc.lines
	r.sc.lines = 0
	if r.in != nil {
		err := r.in.Close()
		r.in = nil
		return err
	}
	return nil
}

func (r *Reader) decide(d Dialect) {
	r.dialect = d
	r.dec.syn = d.syntax()
}

// read scans the next record into r.rec, moving on to the next file at the
// end of one. It returns false at the end of the last file or on an error.
func (r *Reader) read() (cont, ok bool) {
	for {
		if !r.open && !r.openNext() {
			return false, false
		}
		got, err := r.sc.next(&r.rec)
		if err != nil {
			r.err = fmt.Errorf("cqlcsv: %s: %w", r.cur, err)
			return false, false
		}
		if got {
			cont, r.contFirst = r.contFirst, false
			return cont, true
		}
		if err := r.closeInput(); err != nil {
			r.err = fmt.Errorf("cqlcsv: %s: %w", r.cur, err)
			return false, false
		}
	}
}

func (r *Reader) openNext() bool {
	n := r.next
	var in io.Reader
	switch {
	case r.stream != nil && n == 0:
		in, r.cur = r.stream, r.name
	case r.stream == nil && n < len(r.files):
		r.cur = r.files[n]
		f, err := os.Open(r.cur)
		if err != nil {
			r.err = fmt.Errorf("cqlcsv: %w", err)
			return false
		}
		in, r.in = f, f
	default:
		return false
	}
	r.next++
	r.open = true
	r.stats.Files++
	r.contFirst = n > 0 && !r.opts.NoHeader
	r.sc.reset(in, r.opts.MaxRecordBytes)
	if n == 0 && r.opts.StartOffset > 0 {
		r.sc.off, r.sc.lines = r.opts.StartOffset, r.opts.StartLine
		r.end, r.endLine = r.opts.StartOffset, r.opts.StartLine
	}
	return true
}

// start reads the header, once. It returns false if the reader cannot go on.
func (r *Reader) start() bool {
	if r.started {
		return r.err == nil
	}
	r.started = true
	t := r.t
	switch {
	case t == nil || len(t.Columns) == 0:
		r.err = fmt.Errorf("cqlcsv: %w: no table columns", ErrBadHeader)
	case r.stream == nil && len(r.files) == 0:
		r.err = fmt.Errorf("cqlcsv: %s: %w: no files", t.Name, ErrBadHeader)
	case r.opts.Dialect < Auto || r.opts.Dialect > Load:
		r.err = fmt.Errorf("cqlcsv: %w: unknown dialect %d", ErrBadHeader, r.opts.Dialect)
	case r.opts.NoHeader && len(r.opts.Columns) > 0:
		r.header.File = r.firstName()
		r.err = r.mapHeader(r.opts.Columns)
	case r.opts.NoHeader:
		r.header.File = r.firstName()
		for i, c := range t.Columns {
			r.header.Columns = append(r.header.Columns, c.Name)
			r.pos = append(r.pos, i)
		}
	default:
		r.err = r.readHeader()
	}
	return r.err == nil
}

func (r *Reader) firstName() string {
	if r.stream != nil {
		return r.name
	}
	if len(r.files) > 0 {
		return r.files[0]
	}
	return ""
}

func (r *Reader) readHeader() error {
	r.header.File = r.firstName()
	_, ok := r.read()
	if !ok {
		if r.err != nil {
			return r.err
		}
		return fmt.Errorf("cqlcsv: %s: %w: the file is empty", r.header.File, ErrBadHeader)
	}
	rec := &r.rec
	switch {
	case rec.bad != "":
		return fmt.Errorf("cqlcsv: %s: %w: %s", r.cur, ErrBadHeader, rec.bad)
	case rec.blank():
		return fmt.Errorf("cqlcsv: %s: %w: blank first line", r.cur, ErrBadHeader)
	case !utf8.Valid(rec.raw):
		return fmt.Errorf("cqlcsv: %s: %w: invalid UTF-8", r.cur, ErrBadHeader)
	}
	names := make([]string, len(rec.fields))
	for i := range rec.fields {
		names[i] = string(r.csvField(rec, i))
	}
	r.end, r.endLine = rec.end, rec.endLine
	return r.mapHeader(names)
}

// mapHeader maps the files' column names to the Table's and reports the
// differences.
func (r *Reader) mapHeader(names []string) error {
	seen := map[string]bool{}
	for _, name := range names {
		if name == "" || seen[name] {
			return fmt.Errorf("cqlcsv: %s: %w: empty or repeated column name %q", r.header.File, ErrBadHeader, name)
		}
		seen[name] = true
		r.header.Columns = append(r.header.Columns, name)
		if c := r.t.Col(name); c >= 0 {
			r.pos = append(r.pos, c)
		} else {
			r.pos = append(r.pos, -1-len(r.header.Extra))
			r.header.Extra = append(r.header.Extra, name)
		}
	}
	var missingKey []string
	for i, c := range r.t.Columns {
		if !seen[c.Name] {
			r.header.Missing = append(r.header.Missing, c.Name)
			if i < r.t.KeyLen {
				missingKey = append(missingKey, c.Name)
			}
		}
	}
	if len(missingKey) > 0 {
		return fmt.Errorf("cqlcsv: %s: %w: %s", r.header.File, ErrMissingKey, strings.Join(missingKey, ", "))
	}
	return nil
}

// csvField returns field i of rec with the CSV layer undone: for Py2 only
// \" becomes ", the other pairs being value escapes; otherwise \X is X.
// The result may alias a reused buffer.
func (r *Reader) csvField(rec *record, i int) []byte {
	f := &rec.fields[i]
	b := rec.raw[f.start:f.end]
	switch {
	case !f.escaped():
		return b
	case r.dialect == Py2 || r.dialect == Auto:
		if !f.escQuote {
			return b
		}
		r.csvBuf = r.csvBuf[:0]
		for j := 0; j < len(b); j++ {
			if b[j] == '\\' && j+1 < len(b) {
				if b[j+1] != '"' {
					r.csvBuf = append(r.csvBuf, '\\')
				}
				j++
			}
			r.csvBuf = append(r.csvBuf, b[j])
		}
		return r.csvBuf
	}
	r.csvBuf = csvUnescape(r.csvBuf[:0], b)
	return r.csvBuf
}

// handle turns a record into the current row, or reports it. It returns
// true for a row.
func (r *Reader) handle(rec *record, file string, cont bool) bool {
	r.end, r.endLine = rec.end, rec.endLine
	row, extra, reason := r.decodeRecord(rec, cont)
	if reason == "" {
		r.row, r.extra, r.line, r.file = row, extra, rec.line, file
		r.stats.Records++
		return true
	}
	if reason == reasonBlank {
		r.stats.Blank++
	} else {
		r.stats.Rejected++
	}
	if r.opts.OnReject != nil {
		raw := rec.raw
		if len(raw) > maxRaw {
			raw = raw[:maxRaw]
		}
		r.opts.OnReject(Reject{File: file, Line: rec.line, Reason: reason, Raw: bytes.Clone(raw)})
	}
	return false
}

const reasonBlank = "blank line"

// decodeRecord returns the row of rec, or why there is none. Reasons name
// columns but never quote values, which may be personal data.
func (r *Reader) decodeRecord(rec *record, cont bool) ([]any, []string, string) {
	switch {
	case rec.bad != "":
		return nil, nil, rec.bad
	case rec.blank():
		return nil, nil, reasonBlank
	case !utf8.Valid(rec.raw):
		return nil, nil, "invalid UTF-8"
	case bytes.IndexByte(rec.raw, 0) >= 0:
		return nil, nil, "NUL byte"
	case len(rec.fields) != len(r.pos):
		return nil, nil, fmt.Sprintf("%d fields, want %d", len(rec.fields), len(r.pos))
	case cont && r.isHeader(rec):
		// Only the first file of a split export has the header (§3.5);
		// one here would otherwise pass for a row of an all-text table.
		return nil, nil, "the header repeated in a continuation file"
	}
	t := r.t
	row := make([]any, len(t.Columns))
	var extra []string
	if len(r.header.Extra) > 0 {
		extra = make([]string, len(r.header.Extra))
	}
	for i := range rec.fields {
		// The Py2 decoders undo \" themselves, so a Py2 field stays raw.
		f := &rec.fields[i]
		b := rec.raw[f.start:f.end]
		if f.escaped() && r.dialect != Py2 && r.dialect != Auto {
			r.csvBuf = csvUnescape(r.csvBuf[:0], b)
			b = r.csvBuf
		}
		null := r.isNull(rec, i, b)
		p := r.pos[i]
		if p < 0 {
			if !null {
				s, err := r.dec.text(b)
				if err != nil {
					return nil, nil, fmt.Sprintf("column %s: %v", r.header.Extra[-1-p], err)
				}
				extra[-1-p] = s
			}
			continue
		}
		c := &t.Columns[p]
		var v any
		if !null {
			var err error
			if len(b) == 0 && c.Type.Kind != Text {
				err = errors.New("empty value")
			} else {
				v, err = r.dec.decode(&c.Type, b)
			}
			if err != nil {
				return nil, nil, fmt.Sprintf("column %s: %v", c.Name, err)
			}
		}
		if v == nil && p < t.KeyLen {
			return nil, nil, fmt.Sprintf("key column %s is null", c.Name)
		}
		row[p] = v
	}
	return row, extra, ""
}

// isNull reports whether field i, b once the CSV layer is undone (raw for
// Py2), is null.
func (r *Reader) isNull(rec *record, i int, b []byte) bool {
	if r.opts.Null == "" {
		return len(b) == 0
	}
	if f := &rec.fields[i]; f.escQuote && (r.dialect == Py2 || r.dialect == Auto) {
		b = r.csvField(rec, i)
	}
	return string(b) == r.opts.Null
}

// isHeader reports whether rec repeats the header.
func (r *Reader) isHeader(rec *record) bool {
	if r.opts.NoHeader || len(rec.fields) != len(r.header.Columns) {
		return false
	}
	for i := range rec.fields {
		if string(r.csvField(rec, i)) != r.header.Columns[i] {
			return false
		}
	}
	return true
}

// detect looks for a field only one of the two cqlsh writers could have
// written (§2.2).
func detect(rec *record) Dialect {
	for i := range rec.fields {
		f := &rec.fields[i]
		switch {
		case !f.quoted && (f.escBackslash || f.escOther):
			// The old writer quotes every field holding a backslash.
			return Py310
		case f.quoted && f.escOther:
			// The new writer writes no pairs but \\ and \".
			return Py2
		case f.quoted && f.escBackslash && !f.special(rec.raw):
			// The new writer quotes only for ',', CR and LF.
			return Py2
		}
	}
	return Auto
}

// ambiguous reports whether a record means different things in Py2 and
// Py310: a quoted field with a \\ pair (and, since detect found nothing, a
// ',', CR or LF): "a,\\n" is a,\n (a backslash, n) to one and a,LF to the
// other.
func ambiguous(fields []field) bool {
	for i := range fields {
		if f := &fields[i]; f.quoted && f.escBackslash {
			return true
		}
	}
	return false
}
