// Package cqlcsv reads, losslessly and as a stream, the CSV files that
// cqlsh COPY <ks>.<table> TO 'f.csv' WITH HEADER = true writes, and writes
// such files (ExportWriter) and files for COPY ... FROM (LoadWriter). The
// format is that of the Sunbird export spec, sections 2 and 3.
//
// # Rows
//
// A row is a []any with one value per column of the Table, in Table order:
//   - null, and an empty field, which COPY TO also writes for an empty
//     text: nil;
//   - text: string, cqlsh's escapes undone (\\ \n \t \r, and \xNN as the
//     code point U+00NN), so a ciphertext comes back byte for byte with its
//     line feeds;
//   - int: int64; boolean: bool (only True and False are accepted);
//   - timestamp: string "YYYY-MM-DD HH:MM:SS.fff+0000", in UTC (an
//     instant outside years 1..9999 has no such form and is the decimal
//     count of milliseconds);
//   - list, set, map, nested with frozen: string holding compact JSON:
//     arrays in file order with duplicates kept, objects with keys sorted,
//     elements typed (text as strings, int as numbers, booleans,
//     timestamps as above), no HTML escaping, no spaces — exactly what
//     encoding/json writes with SetEscapeHTML(false). An empty collection
//     is nil, as Cassandra has no empty collection. ListJSON, MapJSON and
//     their Parse functions build and read the common cases.
//
// With Options.Null set (files with a NULL marker, such as LoadWriter's), an
// empty text is "" rather than nil.
//
// # Reading
//
//	files, err := cqlcsv.Files(dir, "user_lookup") // user_lookup.csv, .csv.1, ...
//	r := cqlcsv.NewReader(files, table, cqlcsv.Options{OnReject: report})
//	defer r.Close()
//	for r.Next() {
//		use(r.Row(), r.Extra(), r.File(), r.Line())
//	}
//	if err := r.Err(); err != nil { ... }
//	hdr, stats := r.Header(), r.Stats()
//
// The CSV layer is parsed first, by byte, before any value: a record may
// span lines (a raw LF inside quotes, which other writers produce), records
// end in CRLF or LF, a BOM is dropped. A backslash always takes the byte
// after it. In the files of cqlsh on Python 2.7 (Py2, the normative format)
// a field holding a backslash is quoted and the backslash written raw, so
// the pair is kept for the value layer and only \" becomes "; in those of
// Python 3.10 and later (Py310) a backslash is written \\ instead. Auto
// tells them apart (see Dialect); Load reads LoadWriter files.
//
// The header maps fields to columns by name. The Table's columns missing
// from it and its names unknown to the Table are reported (HeaderReport);
// a missing key column is fatal. Extra columns are still read, as text.
//
// A bad record never stops the reader: it goes to Options.OnReject with its
// file, the physical line it starts on and a reason (which names columns
// but never quotes values), and reading goes on. Rejected are: structural
// CSV errors (unterminated quote, text after a closing quote, a quote inside
// an unquoted field, a CR outside quotes), invalid UTF-8, NUL bytes, a wrong
// field count, a null key, a value invalid for its type, the header
// repeated in a continuation file. Err reports only I/O errors and an
// unusable header.
//
// Memory stays flat: files are read through bufio one after the other, a
// record is held only until the next one (records are capped by
// Options.MaxRecordBytes), and Auto's look-ahead is bounded.
//
// # Writing
//
// ExportWriter writes a table as cqlsh 3.11 does (what a synthetic export
// should look like); LoadWriter writes the columns to change for COPY FROM,
// with CopyFromStatement (or Statements) giving the command for each file;
// Literal and DeleteStatement give CQL for statements COPY cannot express.
// Both writers take rows in the representation above, and what they write
// reads back to the same values.
//
// # API
//
//	func Files(dir, table string) ([]string, error)
//	func NewReader(files []string, t *Table, opts Options) *Reader
//	func NewStreamReader(in io.Reader, name string, t *Table, opts Options) *Reader
//	func (r *Reader) Next() bool
//	func (r *Reader) Row() []any
//	func (r *Reader) Extra() []string
//	func (r *Reader) Header() HeaderReport
//	func (r *Reader) Line() int64
//	func (r *Reader) File() string
//	func (r *Reader) Dialect() Dialect
//	func (r *Reader) Stats() Stats
//	func (r *Reader) Err() error
//	func (r *Reader) Close() error
//
//	func NewExportWriter(w io.Writer, t *Table, opts ExportOptions) *ExportWriter
//	func (w *ExportWriter) Write(row []any) error
//	func (w *ExportWriter) Flush() error
//
//	func NewLoadWriter(w io.Writer, name string, t *Table, cols []string) (*LoadWriter, error)
//	func CreateLoad(path string, t *Table, cols []string, opts LoadOptions) (*LoadWriter, error)
//	func (w *LoadWriter) Write(row []any) error
//	func (w *LoadWriter) Close() error
//	func (w *LoadWriter) Files() []string
//	func (w *LoadWriter) Statements() []string
//	func CopyFromStatement(t *Table, cols []string, file string) string
//
//	func Literal(t Type, v any) (string, error)
//	func DeleteStatement(t *Table, row []any) (string, error)
//	func Ident(name string) string
//
//	func ListJSON(v []string) string
//	func ParseListJSON(s string) ([]string, error)
//	func MapJSON(m map[string]string) string
//	func ParseMapJSON(s string) (map[string]string, error)
//	func FormatTimestamp(t time.Time) string
//	func ParseTimestamp(s string) (time.Time, bool)
//
// and, in types.go, Kind, Type, Column, Table, ParseType and MustParseType.
package cqlcsv
