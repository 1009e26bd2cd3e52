package cqlcsv

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// LoadNull is the NULL marker of LoadWriter files. With it, an empty field
// is an empty text rather than null.
const LoadNull = "<NULL>"

// SafeChunkLines is the most lines a LoadWriter file should have for
// cqlsh 3.11 to hand it to one worker whole: COPY FROM cuts its input into
// chunks of CHUNKSIZE (5000) lines before parsing the CSV, and a record with
// a raw LF cut at a chunk boundary becomes two broken rows — or one silently
// truncated row (§2.5.3).
const SafeChunkLines = 4999

// ErrTooManyLines: a record alone holds more lines than LoadOptions.MaxLines
// allows in a file.
var ErrTooManyLines = errors.New("record has more lines than a file may hold")

// LoadOptions configures a LoadWriter made by CreateLoad.
type LoadOptions struct {
	// MaxLines, when positive, caps the physical lines of each file, its
	// header included: a record that would pass it goes to a new file with
	// its own header. Use SafeChunkLines for rows that may hold LF or CR.
	MaxLines int
}

// LoadWriter writes rows for cqlsh COPY ... FROM as §2.5 prescribes: an
// explicit column list (the key plus the columns to change, so the others
// are left alone), NULL as <NULL>, every text, collection and timestamp in
// quotes with " written \" and \ written \\, text as it is (no cqlsh
// escaping: LF and CR go in raw), collections as CQL literals, canonical
// timestamps, True/False. Records end in LF.
//
// Read its files back with Options{Dialect: Load, Null: LoadNull}.
type LoadWriter struct {
	t    *Table
	cols []int

	// the current file
	bw    *bufio.Writer
	out   io.Writer
	close func() error
	hdr   bool // the current file has its header
	lines int  // lines in the current file, header included
	rows  int  // rows in the current file

	path  string // CreateLoad: the first file's path; "" for a stream
	files []string
	opts  LoadOptions
	rec   []byte
	val   []byte
	err   error
}

// NewLoadWriter returns a LoadWriter of t's columns cols to w, a single
// file called name (in its COPY statement). Call Close at the end.
func NewLoadWriter(w io.Writer, name string, t *Table, cols []string) (*LoadWriter, error) {
	lw, err := newLoadWriter(t, cols)
	if err != nil {
		return nil, err
	}
	lw.out, lw.files = w, []string{name}
	lw.bw = bufio.NewWriterSize(w, 64<<10)
	lw.close = func() error { return nil }
	return lw, nil
}

// CreateLoad returns a LoadWriter to the file path, created at the first
// row; with opts.MaxLines, later files are named after it: for "d/t.csv",
// "d/t_2.csv", "d/t_3.csv", ... Call Close at the end.
func CreateLoad(path string, t *Table, cols []string, opts LoadOptions) (*LoadWriter, error) {
	lw, err := newLoadWriter(t, cols)
	if err != nil {
		return nil, err
	}
	lw.path, lw.opts = path, opts
	return lw, nil
}

func newLoadWriter(t *Table, cols []string) (*LoadWriter, error) {
	lw := &LoadWriter{t: t}
	seen := map[int]bool{}
	for _, name := range cols {
		i := t.Col(name)
		if i < 0 {
			return nil, fmt.Errorf("cqlcsv: %s has no column %s", t.Name, name)
		}
		if seen[i] {
			return nil, fmt.Errorf("cqlcsv: %s: column %s given twice", t.Name, name)
		}
		seen[i] = true
		lw.cols = append(lw.cols, i)
	}
	for i := range t.KeyLen {
		if !seen[i] {
			// COPY FROM refuses a column list without the whole key.
			return nil, fmt.Errorf("cqlcsv: %s: key column %s missing from the column list", t.Name, t.Columns[i].Name)
		}
	}
	return lw, nil
}

// Write writes the listed columns of row, a full row of the table (as the
// Reader returns it). An invalid row is not written and does not stop the
// writer; an I/O error does.
func (w *LoadWriter) Write(row []any) error {
	if w.err != nil {
		return w.err
	}
	t := w.t
	if len(row) != len(t.Columns) {
		return fmt.Errorf("cqlcsv: %s: row has %d values, want %d", t.Name, len(row), len(t.Columns))
	}
	w.rec = w.rec[:0]
	for n, i := range w.cols {
		c := &t.Columns[i]
		if n > 0 {
			w.rec = append(w.rec, ',')
		}
		var null bool
		var err error
		w.val, null, err = formatValue(w.val[:0], &c.Type, row[i], styleLoad)
		switch {
		case err != nil:
			return fmt.Errorf("cqlcsv: %s: column %s: %w", t.Name, c.Name, err)
		case null && i < t.KeyLen:
			return fmt.Errorf("cqlcsv: %s: key column %s is null", t.Name, c.Name)
		case null:
			w.rec = append(w.rec, LoadNull...)
		case c.Type.Kind == Int || c.Type.Kind == Boolean:
			w.rec = append(w.rec, w.val...)
		case string(w.val) == LoadNull && c.Type.Kind == Text:
			// cqlsh compares the unquoted field with NULL: this text
			// would load as null.
			return fmt.Errorf("cqlcsv: %s: column %s: text equal to the NULL marker", t.Name, c.Name)
		default:
			w.rec = appendLoadQuoted(w.rec, w.val)
		}
	}
	if bytes.IndexByte(w.rec, 0) >= 0 {
		// Python's csv module refuses a NUL byte.
		return fmt.Errorf("cqlcsv: %s: a value holds a NUL byte", t.Name)
	}
	w.rec = append(w.rec, '\n')
	lines := bytes.Count(w.rec, []byte{'\n'})
	if w.opts.MaxLines > 0 {
		if 1+lines > w.opts.MaxLines {
			return fmt.Errorf("cqlcsv: %s: %w (%d)", t.Name, ErrTooManyLines, lines)
		}
		if w.bw != nil && w.rows > 0 && w.lines+lines > w.opts.MaxLines {
			if err := w.finishFile(); err != nil {
				return err
			}
		}
	}
	if err := w.startFile(); err != nil {
		return err
	}
	if _, err := w.bw.Write(w.rec); err != nil {
		w.err = err
		return err
	}
	w.lines += lines
	w.rows++
	return nil
}

// startFile opens the next file if none is open and writes its header.
func (w *LoadWriter) startFile() error {
	if w.bw != nil && w.hdr {
		return nil
	}
	if w.bw == nil {
		name := w.path
		if n := len(w.files); n > 0 {
			ext := filepath.Ext(w.path)
			name = fmt.Sprintf("%s_%d%s", strings.TrimSuffix(w.path, ext), n+1, ext)
		}
		f, err := os.Create(name)
		if err != nil {
			w.err = fmt.Errorf("cqlcsv: %w", err)
			return w.err
		}
		w.files = append(w.files, name)
		w.out, w.close = f, f.Close
		w.bw = bufio.NewWriterSize(f, 64<<10)
	}
	hdr := make([]byte, 0, 256)
	for n, i := range w.cols {
		if n > 0 {
			hdr = append(hdr, ',')
		}
		name := []byte(w.t.Columns[i].Name)
		if bytes.ContainsAny(name, ",\"\\\r\n") {
			hdr = appendLoadQuoted(hdr, name)
		} else {
			hdr = append(hdr, name...)
		}
	}
	hdr = append(hdr, '\n')
	if _, err := w.bw.Write(hdr); err != nil {
		w.err = err
		return err
	}
	w.hdr, w.lines, w.rows = true, 1, 0
	return nil
}

// finishFile flushes and closes the current file.
func (w *LoadWriter) finishFile() error {
	err := w.bw.Flush()
	if cerr := w.close(); err == nil {
		err = cerr
	}
	w.bw, w.hdr = nil, false
	if err != nil {
		w.err = fmt.Errorf("cqlcsv: %w", err)
	}
	return w.err
}

// Close writes out the last file. A stream writer writes its header even
// when no row was written; CreateLoad creates no file then.
func (w *LoadWriter) Close() error {
	if w.err != nil {
		return w.err
	}
	if w.path == "" {
		if err := w.startFile(); err != nil {
			return err
		}
	}
	if w.bw == nil {
		return nil
	}
	return w.finishFile()
}

// Files returns the files written so far, in order.
func (w *LoadWriter) Files() []string { return append([]string(nil), w.files...) }

// Statements returns the COPY statement of each file, in order.
func (w *LoadWriter) Statements() []string {
	var out []string
	for _, f := range w.files {
		out = append(out, CopyFromStatement(w.t, w.colNames(), f))
	}
	return out
}

func (w *LoadWriter) colNames() []string {
	names := make([]string, len(w.cols))
	for n, i := range w.cols {
		names[n] = w.t.Columns[i].Name
	}
	return names
}

// CopyFromStatement returns the cqlsh command loading file, written by a
// LoadWriter for cols of t:
//
//	COPY ks.t (a, b) FROM 'file' WITH HEADER=true AND NULL='<NULL>';
func CopyFromStatement(t *Table, cols []string, file string) string {
	idents := make([]string, len(cols))
	for i, c := range cols {
		idents[i] = Ident(c)
	}
	return fmt.Sprintf("COPY %s (%s) FROM %s WITH HEADER=true AND NULL=%s;",
		tableName(t), strings.Join(idents, ", "), appendQuoted(nil, file), appendQuoted(nil, LoadNull))
}

// appendLoadQuoted puts v in quotes with " and \ escaped by \, which
// cqlsh's csv reader (escapechar '\', doublequote False) undoes.
func appendLoadQuoted(dst, v []byte) []byte {
	dst = append(dst, '"')
	for _, c := range v {
		if c == '"' || c == '\\' {
			dst = append(dst, '\\')
		}
		dst = append(dst, c)
	}
	return append(dst, '"')
}
