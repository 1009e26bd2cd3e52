package main

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestGroupColumns(t *testing.T) {
	rows := [][2]string{
		{"sb_page_management", "id"}, {"sb_page_management", "name"}, {"sb_page_management", "updated_date"},
		{"sb_page_management", "updatedby"}, {"sb_page_management", "updateddate"}, {"sb_page_management", "extra"},
		{"sb_user_consent", "user_id"}, {"sb_user_consent", "last_updated_on"}, {"sb_user_consent", "status"},
		{"sb_usr_external_identity", "provider"}, {"sb_usr_external_identity", "lastupdatedby"},
		{"sb_usr_external_identity", "lastupdatedon"}, {"sb_tenant_preference_v2", "updatedon"},
	}
	want := []tableColumns{
		{"sb_page_management", []string{"id", "name", "extra"}},
		{"sb_user_consent", []string{"user_id", "status"}},
		{"sb_usr_external_identity", []string{"provider"}},
		{"sb_tenant_preference_v2", nil},
	}
	if got := groupColumns(rows); !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
}

func TestPgChecksumSQL(t *testing.T) {
	got := pgChecksumSQL(tableColumns{"sb_user_organisation", []string{"userid", "position"}})
	want := `SELECT count(*), coalesce(md5(string_agg(h, '' ORDER BY h)), '') FROM (SELECT md5(CAST(ROW("userid", "position") AS text)) AS h FROM "sb_user_organisation") s`
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if got := pgChecksumSQL(tableColumns{Table: "sb_x"}); !strings.Contains(got, "md5('')") {
		t.Errorf("a table without columns: %s", got)
	}
}

func TestSqliteChecksumScript(t *testing.T) {
	got := sqliteChecksumScript([]tableColumns{{"sb_user_lookup", []string{"type", "value"}}, {"sb_content", []string{"id"}}})
	want := `.bail on
.mode list
.separator |
.headers off
SELECT 'sb_user_lookup', (SELECT count(*) FROM "sb_user_lookup"), lower(hex(sha3_query('SELECT sha3(json_array("type", "value")) AS h FROM "sb_user_lookup" ORDER BY h')));
SELECT 'sb_content', (SELECT count(*) FROM "sb_content"), lower(hex(sha3_query('SELECT sha3(json_array("id")) AS h FROM "sb_content" ORDER BY h')));
`
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestParseSums(t *testing.T) {
	got, err := parseSums([]byte("sb_user|2000|ab12\n\nsb_content|0|ff\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := []tableSum{{"sb_user", 2000, "ab12"}, {"sb_content", 0, "ff"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v", got)
	}
	for _, bad := range []string{"sb_user|2000\n", "sb_user|many|ab\n", "Error: no such function: sha3_query\n"} {
		if _, err := parseSums([]byte(bad)); err == nil {
			t.Errorf("parseSums(%q) accepted", bad)
		}
	}
}

func TestCompareSums(t *testing.T) {
	ferry := []tableSum{
		{"sb_user", 10, "aaaaaaaaaaaaaaaa"}, {"sb_user_lookup", 30, "b"}, {"sb_content", 5, "c"}, {"sb_org", 1, "d"},
	}
	if d := compareSums(ferry, ferry); d != nil {
		t.Errorf("equal sums differ: %q", d)
	}
	bare := []tableSum{
		{"sb_user", 10, "bbbbbbbbbbbbbbbb"}, {"sb_user_lookup", 29, "b"}, {"sb_content", 5, "c"}, {"sb_extra", 0, ""},
	}
	want := []string{
		"sb_user: 10 rows on both, but their contents differ (checksum aaaaaaaaaaaa vs bbbbbbbbbbbb)",
		"sb_user_lookup: 30 rows after ferry's merge, 29 after the bare SQL",
		"sb_org: summed after ferry's merge only",
		"sb_extra: summed after the bare SQL only",
	}
	if got := compareSums(ferry, bare); !reflect.DeepEqual(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestStateMatch(t *testing.T) {
	sums := []tableSum{{"sb_user", 1, "a"}}
	for _, tc := range []struct {
		name string
		s    stateCheck
		want bool
	}{
		{"same", stateCheck{Ferry: sums, Bare: sums}, true},
		{"nothing summed", stateCheck{}, false},
		{"error", stateCheck{Ferry: sums, Bare: sums, Err: errors.New("x")}, false},
		{"different", stateCheck{Ferry: sums, Bare: []tableSum{{"sb_user", 1, "b"}}}, false},
	} {
		if got := tc.s.Match(); got != tc.want {
			t.Errorf("%s: Match = %t", tc.name, got)
		}
	}
}
