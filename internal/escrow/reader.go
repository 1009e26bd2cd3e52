package escrow

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Errors returned (wrapped) by Reader.Err. Row-level problems are never
// errors: they go to Options.OnReject.
var (
	// ErrMissingColumn: a header file's header lacks a column the reader needs.
	ErrMissingColumn = errors.New("header lacks required column")
	// ErrBadHeader: a header file's first line cannot be read as a header.
	ErrBadHeader = errors.New("unreadable header")
	// ErrBadSeparator: Options.Sep cannot delimit fields unambiguously.
	ErrBadSeparator = errors.New("invalid separator")
	// ErrBadResume: Options.Resume cannot be honoured.
	ErrBadResume = errors.New("cannot resume")
)

// Options configures a reader. The zero value reads '|'-separated input from
// the start and discards rejects.
type Options struct {
	// Sep is the field separator; 0 means '|'.
	Sep rune
	// File names the input in rejects and errors; it is never opened. When
	// empty, errors name the file kind instead.
	File string
	// OnReject receives every rejected line, blank lines included. It is
	// called synchronously from Next.
	OnReject func(Reject)
	// Resume restarts reading at a Position taken from an earlier reader over
	// the same file. The input must then be an io.ReadSeeker whose offsets
	// count from the start of the file.
	Resume *Position
}

// Position is a resumable point in a file: Offset is the byte offset just
// after a line terminator and Line is the number of that line, so reading
// resumes at line Line+1.
type Position struct {
	Offset int64
	Line   int64
}

// Reject describes one line that produced no record.
type Reject struct {
	File string
	// Line is the 1-based physical line number.
	Line   int64
	Reason string
	// Raw is the line without its terminator, cut to 512 bytes.
	Raw string
}

func (r Reject) String() string {
	return fmt.Sprintf("%s:%d: %s", r.File, r.Line, r.Reason)
}

// Stats counts the lines a reader has examined. A header line and lines
// skipped by Resume are not counted, so Lines == Records + Rejected + Blank
// always holds. Rejected does not include blank lines, although both are
// reported through OnReject.
type Stats struct {
	Lines    int64
	Records  int64
	Rejected int64
	Blank    int64
}

// column is one named column of a header file.
type column struct {
	name     string
	optional bool
}

// layout describes one file kind. Exactly one of header and minFields is set.
type layout[T any] struct {
	kind string
	// Header files: the columns handed to build, in this order.
	header []column
	// Headerless files: the accepted field count; maxFields < 0 means no
	// upper bound. One empty field beyond maxFields (a trailing separator)
	// is always accepted.
	minFields, maxFields int
	// build makes a record from the fields, or returns a non-empty reason to
	// reject the line.
	build func(c *conv, f [][]byte, line int64) (T, string)
}

// Reader streams the records of one file. It is not safe for concurrent use.
type Reader[T any] struct {
	in    io.Reader
	opts  Options
	lay   *layout[T]
	src   lineSource
	sp    splitter
	conv  conv
	cols  []int    // header files: input index of each layout column, -1 if absent
	hdrN  int      // header files: number of header fields
	proj  [][]byte // header files: fields in layout order
	rec   T
	pos   Position
	stats Stats
	err   error

	started, done bool
}

func newReader[T any](r io.Reader, opts Options, lay *layout[T]) *Reader[T] {
	if opts.Sep == 0 {
		opts.Sep = '|'
	}
	rd := &Reader[T]{in: r, opts: opts, lay: lay}
	if opts.Resume != nil {
		rd.pos = *opts.Resume
	}
	return rd
}

// Next advances to the next record, reporting rejected lines on the way. It
// returns false at the end of the input or on a fatal error; see Err.
func (r *Reader[T]) Next() bool {
	if r.done || r.err != nil {
		return false
	}
	if !r.started {
		r.started = true
		if r.err = r.start(); r.err != nil {
			return false
		}
	}
	for {
		line, tooLong, err := r.src.next()
		if err == io.EOF {
			r.done = true
			return false
		}
		if err != nil {
			r.err = fmt.Errorf("escrow: %s: line %d: %w", r.name(), r.src.line+1, err)
			return false
		}
		r.stats.Lines++
		if tooLong {
			r.reject(line, fmt.Sprintf("line too long (over %d bytes)", r.src.max))
			continue
		}
		if len(bytes.TrimSpace(line)) == 0 {
			r.stats.Blank++
			r.emit(line, "blank line")
			continue
		}
		rec, reason := r.parse(line)
		if reason != "" {
			r.reject(line, reason)
			continue
		}
		r.rec = rec
		r.stats.Records++
		r.pos = Position{Offset: r.src.off, Line: r.src.line}
		return true
	}
}

// Record returns the record read by the last successful Next.
func (r *Reader[T]) Record() T { return r.rec }

// Err returns the fatal error that stopped the reader, if any.
func (r *Reader[T]) Err() error { return r.err }

// Offset returns the byte offset just after the last returned record (or the
// starting point while there is none).
func (r *Reader[T]) Offset() int64 { return r.pos.Offset }

// Position returns Offset together with its line number, ready to be stored
// as a checkpoint and passed back as Options.Resume. Lines rejected after the
// last record lie beyond it and are reported again on resumption.
func (r *Reader[T]) Position() Position { return r.pos }

// Stats returns the counters so far.
func (r *Reader[T]) Stats() Stats { return r.stats }

func (r *Reader[T]) name() string {
	if r.opts.File != "" {
		return r.opts.File
	}
	return r.lay.kind
}

func (r *Reader[T]) reject(line []byte, reason string) {
	r.stats.Rejected++
	r.emit(line, reason)
}

func (r *Reader[T]) emit(line []byte, reason string) {
	if r.opts.OnReject == nil {
		return
	}
	r.opts.OnReject(Reject{File: r.opts.File, Line: r.src.line, Reason: reason, Raw: rawText(line)})
}

// start validates the options, reads the header and seeks to the resume
// point.
func (r *Reader[T]) start() error {
	if !validSep(r.opts.Sep) {
		return fmt.Errorf("escrow: %s: %w %q", r.name(), ErrBadSeparator, r.opts.Sep)
	}
	r.sp = newSplitter(r.opts.Sep)
	res := r.opts.Resume
	var rs io.ReadSeeker
	if res != nil {
		var ok bool
		if rs, ok = r.in.(io.ReadSeeker); !ok {
			return fmt.Errorf("escrow: %s: %w: input is not an io.ReadSeeker", r.name(), ErrBadResume)
		}
		if res.Offset < 0 || res.Line < 0 {
			return fmt.Errorf("escrow: %s: %w: negative position %+v", r.name(), ErrBadResume, *res)
		}
		// The header is always read again from the top, and a headerless
		// resume at 0 must strip the BOM again.
		if _, err := rs.Seek(0, io.SeekStart); err != nil {
			return fmt.Errorf("escrow: %s: %w", r.name(), err)
		}
	}
	r.src = newLineSource(r.in)
	if r.lay.header != nil {
		if err := r.readHeader(); err != nil {
			return err
		}
	}
	if res == nil || res.Offset <= r.src.off {
		// Nothing to skip: the header (if any) ends at or after the resume
		// point, or there is no resume point.
		r.pos = Position{Offset: r.src.off, Line: r.src.line}
		return nil
	}
	if err := checkBoundary(rs, res.Offset); err != nil {
		return fmt.Errorf("escrow: %s: %w", r.name(), err)
	}
	if _, err := rs.Seek(res.Offset, io.SeekStart); err != nil {
		return fmt.Errorf("escrow: %s: %w", r.name(), err)
	}
	r.src.reset(rs, res.Offset, res.Line)
	return nil
}

// checkBoundary makes sure off is the start of a line (or the very end of the
// file), because resuming in the middle of a line would turn its tail into a
// bogus record. It catches checkpoints taken against a different file.
func checkBoundary(rs io.ReadSeeker, off int64) error {
	if _, err := rs.Seek(off-1, io.SeekStart); err != nil {
		return err
	}
	var b [2]byte
	n, err := io.ReadFull(rs, b[:])
	switch {
	case n >= 1 && b[0] == '\n':
		return nil
	case n == 1:
		return nil // the end of a file without a final newline
	case n == 0 && (err == io.EOF || err == io.ErrUnexpectedEOF):
		return fmt.Errorf("%w: offset %d is past the end of the file", ErrBadResume, off)
	case err != nil && err != io.ErrUnexpectedEOF:
		return err
	}
	return fmt.Errorf("%w: offset %d is not at the start of a line", ErrBadResume, off)
}

// parse turns one non-blank line into a record or a reject reason.
func (r *Reader[T]) parse(line []byte) (T, string) {
	var zero T
	if !utf8.Valid(line) {
		// The target database refuses such text; better one reject here
		// than a failed batch later.
		return zero, "invalid UTF-8"
	}
	if bytes.IndexByte(line, 0) >= 0 {
		return zero, "NUL byte"
	}
	f, ok := r.sp.split(line, false)
	if !ok {
		return zero, "unterminated quote"
	}
	if r.lay.header != nil {
		return r.parseHeaderRow(line, f)
	}
	n := len(f)
	if r.lay.maxFields >= 0 && n == r.lay.maxFields+1 && len(f[n-1]) == 0 {
		n--
	}
	if n < r.lay.minFields || (r.lay.maxFields >= 0 && n > r.lay.maxFields) {
		return zero, fmt.Sprintf("wrong column count: got %d, want %s", n, r.lay.want())
	}
	return r.lay.build(&r.conv, f[:n], r.src.line)
}

func (l *layout[T]) want() string {
	switch {
	case l.maxFields < 0:
		return fmt.Sprintf("at least %d", l.minFields)
	case l.minFields == l.maxFields:
		return fmt.Sprint(l.minFields)
	}
	return fmt.Sprintf("%d to %d", l.minFields, l.maxFields)
}

// rawText copies a line for a reject, cut to maxRawBytes.
func rawText(line []byte) string {
	return string(cutRunes(line, maxRawBytes))
}

// quoteValue renders a field value for a reject reason, cut short so that a
// huge value cannot swamp the report.
func quoteValue(b []byte) string {
	const limit = 64
	if len(b) > limit {
		return fmt.Sprintf("%q...", cutRunes(b, limit))
	}
	return fmt.Sprintf("%q", b)
}

// cutRunes returns at most n bytes of b without splitting a UTF-8 sequence
// at the cut, so that a shortened value still prints cleanly.
func cutRunes(b []byte, n int) []byte {
	if len(b) <= n {
		return b
	}
	cut := n
	for cut > n-utf8.UTFMax && cut > 0 && !utf8.RuneStart(b[cut]) {
		cut--
	}
	if !utf8.RuneStart(b[cut]) {
		cut = n // not UTF-8 anyway
	}
	return b[:cut]
}

// conv converts kept fields to strings; its buffer is reused so that
// lowercasing costs one allocation, the string itself.
type conv struct {
	buf []byte
}

// lower returns b lowercased. ASCII, the only thing the registry exports, is
// done in place; anything else falls back to full Unicode rules.
func (c *conv) lower(b []byte) string {
	upper := false
	for _, ch := range b {
		if ch >= utf8.RuneSelf {
			return strings.ToLower(string(b))
		}
		if 'A' <= ch && ch <= 'Z' {
			upper = true
		}
	}
	if !upper {
		return string(b)
	}
	c.buf = append(c.buf[:0], b...)
	for i, ch := range c.buf {
		if 'A' <= ch && ch <= 'Z' {
			c.buf[i] = ch + 'a' - 'A'
		}
	}
	return string(c.buf)
}

// domain normalizes a trimmed field the same way as NormalizeDomain.
func (c *conv) domain(b []byte) string {
	return c.lower(bytes.TrimRight(b, "."))
}
