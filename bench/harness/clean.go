package harness

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
)

// Raw bulk loads (psql's \copy, sqlite3's .import) stop at, or mangle, the
// malformed rows ferry's inputs deliberately hold. They read a cleaned copy
// instead: a CR before each line end stripped, and every data line whose
// field count differs from the file's usual count dropped. Blank lines have
// no fields and are always dropped. A header line is copied as it is
// (without its CR) and is not counted.

// maxLine is the longest line the cleaner reads.
const maxLine = 16 << 20

// FieldCount is the number of sep-separated fields in a line: 0 for an
// empty line, one more than the separators otherwise.
func FieldCount(line []byte, sep byte) int {
	if len(line) == 0 {
		return 0
	}
	return bytes.Count(line, []byte{sep}) + 1
}

func newLineScanner(r io.Reader) *bufio.Scanner {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxLine)
	// ScanLines drops one CR before each newline, and at the end.
	sc.Split(bufio.ScanLines)
	return sc
}

// ColumnCount is a file's usual field count: the most frequent one among
// its non-blank data lines (after the header, if it has one). A tie goes
// to the smaller count; a file without data lines has 0.
func ColumnCount(r io.Reader, sep byte, header bool) (int, error) {
	sc := newLineScanner(r)
	seen := map[int]int64{}
	first := true
	for sc.Scan() {
		if first && header {
			first = false
			continue
		}
		first = false
		if n := FieldCount(sc.Bytes(), sep); n > 0 {
			seen[n]++
		}
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	best, bestN := 0, int64(0)
	for cols, n := range seen {
		if n > bestN || (n == bestN && cols < best) {
			best, bestN = cols, n
		}
	}
	return best, nil
}

// CleanStats counts what Clean read and kept.
type CleanStats struct {
	Columns int   // the field count kept
	Lines   int64 // data lines read, blank and malformed ones included
	Kept    int64 // data lines written
	// Quoted counts the lines written, header included, that hold a
	// double quote, which a CSV reader takes as quoting.
	Quoted int64
}

// Dropped is how many data lines the copy left out.
func (s CleanStats) Dropped() int64 { return s.Lines - s.Kept }

// Clean copies r to w, keeping the header (when the file has one) and the
// data lines with exactly want fields, each ended by a bare newline.
func Clean(w io.Writer, r io.Reader, sep byte, header bool, want int) (CleanStats, error) {
	st := CleanStats{Columns: want}
	sc := newLineScanner(r)
	bw := bufio.NewWriterSize(w, 256<<10)
	first := true
	for sc.Scan() {
		line := sc.Bytes()
		isHeader := first && header
		first = false
		if !isHeader {
			st.Lines++
			if FieldCount(line, sep) != want {
				continue
			}
			st.Kept++
		}
		if bytes.IndexByte(line, '"') >= 0 {
			st.Quoted++
		}
		bw.Write(line)
		if err := bw.WriteByte('\n'); err != nil {
			return st, err
		}
	}
	if err := sc.Err(); err != nil {
		return st, err
	}
	return st, bw.Flush()
}

// CleanFile writes the cleaned copy of src to dst: one pass to find the
// usual column count, one to copy.
func CleanFile(dst, src string, sep byte, header bool) (CleanStats, error) {
	in, err := os.Open(src)
	if err != nil {
		return CleanStats{}, err
	}
	defer in.Close()
	cols, err := ColumnCount(in, sep, header)
	if err != nil {
		return CleanStats{}, fmt.Errorf("%s: %w", src, err)
	}
	if _, err := in.Seek(0, io.SeekStart); err != nil {
		return CleanStats{}, err
	}
	out, err := os.Create(dst)
	if err != nil {
		return CleanStats{}, err
	}
	st, err := Clean(out, in, sep, header, cols)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return st, fmt.Errorf("cleaning %s: %w", src, err)
	}
	return st, nil
}
