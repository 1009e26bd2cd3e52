package cqlcsv

import "testing"

func TestParseType(t *testing.T) {
	for in, want := range map[string]string{
		"text":                              "text",
		"varchar":                           "text",
		"BIGINT":                            "int",
		"boolean":                           "boolean",
		"timestamp":                         "timestamp",
		"list<text>":                        "list<text>",
		"set< text >":                       "set<text>",
		"map<text,frozen<list<text>>>":      "map<text,frozen<list<text>>>",
		"map<text, frozen<map<text,text>>>": "map<text,frozen<map<text,text>>>",
		"frozen<list<int>>":                 "frozen<list<int>>",
	} {
		typ, err := ParseType(in)
		if err != nil || typ.String() != want {
			t.Errorf("%q: got %v, %v; want %s", in, typ, err, want)
		}
	}
	for _, bad := range []string{"", "uuid", "list", "list<>", "list<text", "map<text>", "map<text,text", "text>", "list<text>>", "frozen"} {
		if typ, err := ParseType(bad); err == nil {
			t.Errorf("%q accepted as %v", bad, typ)
		}
	}
	if typ := MustParseType("map<text,frozen<list<text>>>"); !typ.IsCollection() || typ.Elem.Kind != List || !typ.Elem.Frozen || typ.Key.Kind != Text {
		t.Errorf("%+v", typ)
	}
	if tUser.Col("roles") != 29 || tUser.Col("slug") != -1 {
		t.Errorf("Col: %d %d", tUser.Col("roles"), tUser.Col("slug"))
	}
}
