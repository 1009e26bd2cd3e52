// Package escrow streams the legacy registry's pipe-delimited escrow and
// adhoc export files.
//
// Each file kind has a constructor returning a Reader over typed records.
// Reading is line by line with bufio rather than encoding/csv: the reject
// report must name the exact physical line of every bad row, and
// encoding/csv silently skips blank lines and merges quoted newlines.
//
// The format, as produced by the legacy export:
//   - '|' separates fields (configurable); a trailing separator is allowed;
//   - LF or CRLF line ends, final newline optional, a UTF-8 BOM is dropped;
//   - every field is trimmed; a field starting with '"' is quoted, with ""
//     for a literal quote, as in Python's csv default dialect, but a quoted
//     field never spans lines;
//   - header files are read by column name, headerless files by position;
//   - in a header file, a row with more fields than the header is retried
//     with every " | " (separator with a space each side) taken as part of a
//     value, because the export did not escape separators typed into values.
//
// A bad row never stops a reader: it is passed to Options.OnReject with its
// file, line and reason, and reading goes on. Only I/O errors, an unusable
// header and impossible options stop it, through Err.
//
// Readers can be checkpointed with Position and restarted with
// Options.Resume, so a long load can continue where it stopped.
package escrow
