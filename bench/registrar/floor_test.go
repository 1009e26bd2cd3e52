package main

import (
	"strings"
	"testing"

	"github.com/ferrymigrate/ferry/bench/floor"
)

const body = `-- The load.
INSERT INTO transition_domain OVERRIDING SYSTEM VALUE
	SELECT id, false FROM ferry_floor.transition_domain;
INSERT INTO domain OVERRIDING SYSTEM VALUE SELECT * FROM ferry_floor.domain ORDER BY id;
UPDATE transition_domain SET processed = true;
`

func TestBareBody(t *testing.T) {
	want := `-- The load.
INSERT INTO ferry_bare_transition_domain OVERRIDING SYSTEM VALUE
	SELECT id, false FROM ferry_floor.transition_domain;
INSERT INTO ferry_bare_domain OVERRIDING SYSTEM VALUE SELECT * FROM ferry_floor.domain ORDER BY id;
UPDATE ferry_bare_transition_domain SET processed = true;
`
	if got := bareBody(body, sqliteTwin); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestPgFloorScript(t *testing.T) {
	keys := `\set ON_ERROR_STOP on
BEGIN;
` + body + `COMMIT;
`
	if got := pgFloorScript(body, floorVariants[0]); got != keys {
		t.Errorf("keys:\n%s\nwant\n%s", got, keys)
	}
	nokeys := `\set ON_ERROR_STOP on
BEGIN;
SELECT format('ALTER TABLE %s DROP CONSTRAINT %I', tbl, conname) FROM ferry_floor.fk \gexec
` + body + `SELECT format('ALTER TABLE %s ADD CONSTRAINT %I %s', tbl, conname, def) FROM ferry_floor.fk \gexec
COMMIT;
`
	if got := pgFloorScript(body, floorVariants[1]); got != nokeys {
		t.Errorf("nokeys:\n%s\nwant\n%s", got, nokeys)
	}
	bare := pgFloorScript(body, floorVariants[2])
	if !strings.Contains(bare, "INSERT INTO ferry_floor.bare_domain OVERRIDING SYSTEM VALUE SELECT * FROM ferry_floor.domain") ||
		!strings.Contains(bare, "UPDATE ferry_floor.bare_transition_domain SET") || strings.Contains(bare, "ALTER TABLE") {
		t.Errorf("bare:\n%s", bare)
	}
}

func TestSqliteFloorScript(t *testing.T) {
	want := `.bail on
ATTACH 'work/floor.sqlite' AS ferry_floor;
.output /dev/null
PRAGMA journal_mode = WAL;
PRAGMA synchronous = NORMAL;
PRAGMA foreign_keys = OFF;
.output stdout
BEGIN;
-- The load.
INSERT INTO transition_domain
	SELECT id, false FROM ferry_floor.transition_domain;
INSERT INTO domain SELECT * FROM ferry_floor.domain ORDER BY id;
UPDATE transition_domain SET processed = true;
COMMIT;
PRAGMA foreign_key_check;
`
	if got := sqliteFloorScript(body, floorVariants[1], "work/floor.sqlite"); got != want {
		t.Errorf("nokeys:\n%s\nwant\n%s", got, want)
	}
	keys := sqliteFloorScript(body, floorVariants[0], "f.sqlite")
	if !strings.Contains(keys, "PRAGMA foreign_keys = ON;") || strings.Contains(keys, "foreign_key_check") {
		t.Errorf("keys:\n%s", keys)
	}
	bare := sqliteFloorScript(body, floorVariants[2], "f.sqlite")
	if !strings.Contains(bare, "INSERT INTO ferry_bare_transition_domain\n") || strings.Contains(bare, "OVERRIDING") {
		t.Errorf("bare:\n%s", bare)
	}
}

// The real body: the bare variant redirects every write it makes.
func TestBareBodyCoversTheFloorSQL(t *testing.T) {
	b, err := floor.Files.ReadFile("write-body.sql")
	if err != nil {
		t.Fatal(err)
	}
	real := string(b)
	inserts := strings.Count(real, "\nINSERT INTO ")
	if inserts != 5 {
		t.Fatalf("write-body.sql has %d INSERTs, the floor expects the five output tables", inserts)
	}
	for _, twin := range []string{pgTwin, sqliteTwin} {
		bare := bareBody(real, twin)
		if n := strings.Count(bare, "\nINSERT INTO "+twin); n != inserts {
			t.Errorf("%s: %d of %d INSERTs redirected", twin, n, inserts)
		}
		if n := strings.Count(bare, "\nUPDATE "+twin+"transition_domain"); n != 1 {
			t.Errorf("%s: the UPDATE is not redirected", twin)
		}
	}
	for _, name := range []string{"postgres-setup.sql", "postgres-reset.sql", "postgres-teardown.sql",
		"sqlite-setup.sql", "sqlite-reset.sql", "sqlite-teardown.sql"} {
		if _, err := floor.Files.ReadFile(name); err != nil {
			t.Errorf("%s is not embedded: %v", name, err)
		}
	}
}
