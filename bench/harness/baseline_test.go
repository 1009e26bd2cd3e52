package harness

import "testing"

var copyFiles = []CopyFile{
	{Table: "base.contacts", Path: "/data/clean/contacts.txt", Columns: 3},
	{Table: "base.agency", Path: "/data/clean/o'brien.txt", Columns: 2, Header: true},
}

func TestTextTableDDL(t *testing.T) {
	if got, want := TextTableDDL("base.t", 3, false), "CREATE TABLE base.t (c1 text, c2 text, c3 text);"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got, want := TextTableDDL("t", 1, true), "CREATE UNLOGGED TABLE t (c1 text);"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestPsqlCopyScript(t *testing.T) {
	want := `\set ON_ERROR_STOP on
\copy base.contacts FROM '/data/clean/contacts.txt' WITH (FORMAT csv, DELIMITER '|', QUOTE E'\x01', HEADER false)
\copy base.agency FROM '/data/clean/o''brien.txt' WITH (FORMAT csv, DELIMITER '|', QUOTE E'\x01', HEADER true)
`
	if got := PsqlCopyScript(copyFiles, '|'); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestSqliteImportScript(t *testing.T) {
	files := []CopyFile{
		{Table: "contacts", Path: "/data/clean/contacts.txt", Columns: 3},
		{Table: "agency", Path: `/data/a "b"\c.txt`, Columns: 2, Header: true},
	}
	want := `PRAGMA journal_mode=WAL;
PRAGMA synchronous=NORMAL;
.mode csv
.separator "|"
.import "/data/clean/contacts.txt" contacts
.import --skip 1 "/data/a \"b\"\\c.txt" agency
`
	if got := SqliteImportScript([]string{"journal_mode=WAL", "synchronous=NORMAL"}, files, '|'); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestSQLString(t *testing.T) {
	if got := SQLString("it's"); got != "'it''s'" {
		t.Errorf("got %s", got)
	}
}
