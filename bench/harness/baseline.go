package harness

import (
	"fmt"
	"strings"
)

// The raw-copy baselines: the input files bulk-loaded by the database's
// own client into bare tables of all-text columns, no parsing, no index,
// no key. They say how fast the input can be read at all.

// CopyFile is one cleaned file and the bare table a baseline loads it into.
type CopyFile struct {
	Table   string // table name, schema-qualified if need be
	Path    string // the cleaned copy
	Columns int
	Header  bool // the first line is a header to skip
}

// SQLString quotes s as an SQL string literal.
func SQLString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// TextTableDDL creates a bare table of n text columns c1 ... cn.
func TextTableDDL(table string, n int, unlogged bool) string {
	cols := make([]string, n)
	for i := range cols {
		cols[i] = fmt.Sprintf("c%d text", i+1)
	}
	kw := ""
	if unlogged {
		kw = "UNLOGGED "
	}
	return fmt.Sprintf("CREATE %sTABLE %s (%s);", kw, table, strings.Join(cols, ", "))
}

// PsqlCopyScript is a psql script that \copy-es every file into its table,
// stopping at the first error. The files are read as CSV split on sep with
// a quote character (0x01) that never occurs, so no byte is special.
func PsqlCopyScript(files []CopyFile, sep byte) string {
	var b strings.Builder
	b.WriteString("\\set ON_ERROR_STOP on\n")
	for _, f := range files {
		fmt.Fprintf(&b, "\\copy %s FROM %s WITH (FORMAT csv, DELIMITER %s, QUOTE E'\\x01', HEADER %t)\n",
			f.Table, SQLString(f.Path), SQLString(string(sep)), f.Header)
	}
	return b.String()
}

// SqliteImportScript is a sqlite3 shell script that sets the pragmas and
// .import-s every file into its (existing) table. It uses csv mode split
// on sep: the ascii mode would skip quote handling, but the sqlite3 3.40
// shell mis-splits its rows that start with an empty field. A double quote
// in a file would therefore start a quoted field; CleanStats.Quoted says
// whether any file holds one.
func SqliteImportScript(pragmas []string, files []CopyFile, sep byte) string {
	var b strings.Builder
	for _, p := range pragmas {
		fmt.Fprintf(&b, "PRAGMA %s;\n", p)
	}
	b.WriteString(".mode csv\n")
	fmt.Fprintf(&b, ".separator %s\n", sqliteShellQuote(string(sep)))
	for _, f := range files {
		skip := ""
		if f.Header {
			skip = "--skip 1 "
		}
		fmt.Fprintf(&b, ".import %s%s %s\n", skip, sqliteShellQuote(f.Path), f.Table)
	}
	return b.String()
}

// sqliteShellQuote quotes an argument of a sqlite3 shell dot-command: in
// double quotes, the shell resolves C-style backslash escapes.
func sqliteShellQuote(s string) string {
	s = strings.ReplaceAll(s, `\`, `\\`)
	s = strings.ReplaceAll(s, `"`, `\"`)
	return `"` + s + `"`
}
