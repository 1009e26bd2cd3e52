package cqlcsv

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
)

// ExportOptions configures an ExportWriter.
type ExportOptions struct {
	// NoHeader leaves the header row out, as in the continuation files
	// (t.csv.1, t.csv.2, ...) of an export split with MAXOUTPUTSIZE.
	NoHeader bool
}

// ExportWriter writes a table the way cqlsh 3.11 (Python 2.7) writes
// COPY t TO 'f.csv' WITH HEADER = true: the header row, then one record
// per row, every record ending in CRLF; values in cqlsh's format (§2.3) and
// then Python 2's CSV quoting (§2.2). Files it writes read back with the
// Reader to the values written, except where cqlsh itself loses something:
// an empty text reads back as null, an empty collection too, sets come out
// sorted, and timestamps before 1900 lose their milliseconds.
type ExportWriter struct {
	w       *bufio.Writer
	t       *Table
	opts    ExportOptions
	rec     []byte
	val     []byte
	started bool
	err     error
}

// NewExportWriter returns a writer of t's rows to w. Call Flush at the end.
func NewExportWriter(w io.Writer, t *Table, opts ExportOptions) *ExportWriter {
	return &ExportWriter{w: bufio.NewWriterSize(w, 64<<10), t: t, opts: opts}
}

// Write writes one row: len(t.Columns) values in the representation of
// doc.go. An invalid row is not written and its error does not stop the
// writer; an I/O error does.
func (w *ExportWriter) Write(row []any) error {
	if w.err != nil {
		return w.err
	}
	if err := w.start(); err != nil {
		return err
	}
	if len(row) != len(w.t.Columns) {
		return fmt.Errorf("cqlcsv: %s: row has %d values, want %d", w.t.Name, len(row), len(w.t.Columns))
	}
	w.rec = w.rec[:0]
	for i := range w.t.Columns {
		c := &w.t.Columns[i]
		var null bool
		var err error
		w.val, null, err = formatValue(w.val[:0], &c.Type, row[i], styleExport)
		if err != nil {
			return fmt.Errorf("cqlcsv: %s: column %s: %w", w.t.Name, c.Name, err)
		}
		if i < w.t.KeyLen && (null || len(w.val) == 0) {
			// An empty text key would read back as null.
			return fmt.Errorf("cqlcsv: %s: key column %s is null or empty", w.t.Name, c.Name)
		}
		if i > 0 {
			w.rec = append(w.rec, ',')
		}
		w.rec = appendPy2Field(w.rec, w.val)
	}
	if len(w.t.Columns) == 1 && len(w.rec) == 0 {
		// Python's writer quotes a lone empty field, or the record would
		// be a blank line.
		w.rec = append(w.rec, `""`...)
	}
	return w.writeRecord()
}

func (w *ExportWriter) start() error {
	if w.started {
		return nil
	}
	w.started = true
	if w.opts.NoHeader {
		return nil
	}
	w.rec = w.rec[:0]
	for i, c := range w.t.Columns {
		if i > 0 {
			w.rec = append(w.rec, ',')
		}
		w.rec = appendPy2Field(w.rec, []byte(c.Name))
	}
	return w.writeRecord()
}

func (w *ExportWriter) writeRecord() error {
	w.rec = append(w.rec, '\r', '\n')
	if _, err := w.w.Write(w.rec); err != nil {
		w.err = err
	}
	return w.err
}

// Flush writes the header if no row was written, then any buffered data.
func (w *ExportWriter) Flush() error {
	if w.err != nil {
		return w.err
	}
	if err := w.start(); err != nil {
		return err
	}
	w.err = w.w.Flush()
	return w.err
}

// appendPy2Field applies the CSV layer of Python 2.7's writer with cqlsh's
// dialect (QUOTE_MINIMAL, escapechar '\', doublequote False): a field holding
// ',', CR, LF or '\' is quoted, '"' is written \" and does not by itself
// make the field quoted, and the backslash itself is written raw.
func appendPy2Field(dst, v []byte) []byte {
	quote := bytes.ContainsAny(v, ",\r\n\\")
	if quote {
		dst = append(dst, '"')
	}
	for {
		i := bytes.IndexByte(v, '"')
		if i < 0 {
			break
		}
		dst = append(dst, v[:i]...)
		dst = append(dst, '\\', '"')
		v = v[i+1:]
	}
	dst = append(dst, v...)
	if quote {
		dst = append(dst, '"')
	}
	return dst
}
