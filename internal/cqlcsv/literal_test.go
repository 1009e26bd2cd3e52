package cqlcsv

import (
	"testing"
	"time"
)

func TestLiteral(t *testing.T) {
	cases := []struct {
		typ  string
		v    any
		want string
	}{
		{"text", "x", "'x'"},
		{"text", "it's", "'it''s'"},
		{"text", "a\nb\\c", "'a\nb\\c'"}, // CQL strings hold a raw LF; no escapes
		{"text", "", "''"},
		{"text", nil, "null"},
		{"int", int64(-3), "-3"},
		{"int", 3, "3"},
		{"boolean", true, "true"},
		{"boolean", false, "false"},
		{"timestamp", "2019-01-09T11:20:31.123Z", "'2019-01-09 11:20:31.123+0000'"},
		{"timestamp", time.UnixMilli(0), "'1970-01-01 00:00:00.000+0000'"},
		{"timestamp", "253402300800000", "253402300800000"},
		{"list<text>", `["PUBLIC","it's"]`, "['PUBLIC', 'it''s']"},
		{"list<text>", `[]`, "null"},
		{"set<text>", `["b","a"]`, "{'b', 'a'}"},
		{"map<text,text>", `{"z":"1","a":"2"}`, "{'a': '2', 'z': '1'}"},
		{"map<text,frozen<list<text>>>", `{"board":["RBSE"],"medium":["Hindi"]}`, "{'board': ['RBSE'], 'medium': ['Hindi']}"},
		{"map<text,frozen<map<text,text>>>", `{"t1":{"name":"n'1","url":"u"}}`, "{'t1': {'name': 'n''1', 'url': 'u'}}"},
		{"list<int>", `[1,2]`, "[1, 2]"},
		{"map<int,boolean>", `{"10":true,"9":false}`, "{9: false, 10: true}"},
	}
	for _, c := range cases {
		got, err := Literal(MustParseType(c.typ), c.v)
		if err != nil || got != c.want {
			t.Errorf("%s %v: got %q, %v; want %q", c.typ, c.v, got, err, c.want)
		}
	}
	for _, bad := range []struct {
		typ string
		v   any
	}{{"int", "1"}, {"text", 1}, {"list<text>", `[1]`}, {"list<text>", `nope`}, {"timestamp", "yesterday"}, {"text", "\xff"}} {
		if got, err := Literal(MustParseType(bad.typ), bad.v); err == nil {
			t.Errorf("%s %v: got %q", bad.typ, bad.v, got)
		}
	}
}

func TestDeleteStatement(t *testing.T) {
	row := make([]any, len(tUserOrgn.Columns))
	row[0], row[1] = "x", "y'z"
	got, err := DeleteStatement(tUserOrgn, row)
	if want := "DELETE FROM sunbird.user_organisation WHERE userid = 'x' AND organisationid = 'y''z';"; err != nil || got != want {
		t.Errorf("got %q, %v", got, err)
	}
	row = make([]any, len(tTenantPref2.Columns))
	row[0], row[1] = "o", "k"
	if got, err := DeleteStatement(tTenantPref2, row); err != nil || got != "DELETE FROM sunbird.tenant_preference_v2 WHERE orgid = 'o' AND key = 'k';" {
		t.Errorf("got %q, %v", got, err)
	}
	row[1] = nil
	if _, err := DeleteStatement(tTenantPref2, row); err == nil {
		t.Error("null key accepted")
	}
	if _, err := DeleteStatement(tTenantPref2, row[:2]); err == nil {
		t.Error("short row accepted")
	}
}

func TestIdent(t *testing.T) {
	for in, want := range map[string]string{
		"userid": "userid", "user_id": "user_id", "key": "key", "type": "type", "value": "value",
		"select": `"select"`, "from": `"from"`, "Mixed": `"Mixed"`, "2x": `"2x"`, `a"b`: `"a""b"`, "": `""`, "a b": `"a b"`,
	} {
		if got := Ident(in); got != want {
			t.Errorf("Ident(%q) = %s, want %s", in, got, want)
		}
	}
	if got := CopyFromStatement(&Table{Name: "t"}, []string{"a", "order"}, "it's.csv"); got != `COPY t (a, "order") FROM 'it''s.csv' WITH HEADER=true AND NULL='<NULL>';` {
		t.Errorf("CopyFromStatement = %s", got)
	}
}
