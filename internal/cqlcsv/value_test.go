package cqlcsv

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

func TestTimestamps(t *testing.T) {
	cases := []struct {
		in, want string // want "" means refused
	}{
		{"2019-01-09 11:20:31.123+0000", "2019-01-09 11:20:31.123+0000"},
		{"2019-01-09 11:20:31.123456+0000", "2019-01-09 11:20:31.123+0000"}, // %f, cut
		{"2019-01-09 11:20:31.1+0000", "2019-01-09 11:20:31.100+0000"},
		{"2019-01-09 11:20:31+0000", "2019-01-09 11:20:31.000+0000"}, // pre-3.4 cqlsh
		{"2019-01-09 11:20:31.123+00:00", "2019-01-09 11:20:31.123+0000"},
		{"2019-01-09T11:20:31.123Z", "2019-01-09 11:20:31.123+0000"},
		{"2019-01-09 11:20+0000", "2019-01-09 11:20:00.000+0000"},
		{"2019-01-09 16:50:31.123+0530", "2019-01-09 11:20:31.123+0000"}, // converted, not added
		{"2019-01-09 06:20:31.123-05:00", "2019-01-09 11:20:31.123+0000"},
		{"2019-01-01 00:30:00.000+0100", "2018-12-31 23:30:00.000+0000"},
		{"1541030400000", "2018-11-01 00:00:00.000+0000"}, // integer milliseconds
		{"-1", "1969-12-31 23:59:59.999+0000"},
		{"0", "1970-01-01 00:00:00.000+0000"},
		{"1800-01-01 00:00:00.000+0000", "1800-01-01 00:00:00.000+0000"},
		{"2020-02-29 00:00:00.000+0000", "2020-02-29 00:00:00.000+0000"},
		{"253402300800000", "253402300800000"}, // year 10000: no canonical form
		{"-62135596800001", "-62135596800001"}, // before year 1
		{"2019-01-09 11:20:31:123+0000", ""},   // Sunbird's text dates are text
		{"2019-01-09 11:20:31.123", ""},        // no zone
		{"2019-02-29 00:00:00.000+0000", ""},
		{"2019-13-01 00:00:00.000+0000", ""},
		{"2019-01-09 24:00:00.000+0000", ""},
		{"2019-01-09 11:20:31.+0000", ""},
		{"2019-01-09 11:20:31.1234567890+0000", ""},
		{"2019-01-09 11:20:31.123+000", ""},
		{"2019-01-09 11:20:31.123+0000 ", ""},
		{"2019-01-09", ""},
		{"+1541030400000", ""},
		{"15410304e5", ""},
		{"", ""},
	}
	for _, c := range cases {
		ms, ok := parseTimestamp([]byte(c.in))
		got := ""
		if ok {
			got = string(appendTimestamp(nil, ms))
		}
		if got != c.want {
			t.Errorf("%q: got %q, want %q", c.in, got, c.want)
		}
	}
	if got := FormatTimestamp(time.Date(2021, 3, 5, 15, 32, 11, 512_999_999, time.FixedZone("IST", 5*3600+1800))); got != "2021-03-05 10:02:11.512+0000" {
		t.Errorf("FormatTimestamp = %q", got)
	}
	if tm, ok := ParseTimestamp("2021-03-05 10:02:11.512+0000"); !ok || !tm.Equal(time.UnixMilli(1614938531512)) || tm.Location() != time.UTC {
		t.Errorf("ParseTimestamp = %v %v", tm, ok)
	}
	// What cqlsh 3.11 on Python 2.7 writes.
	for ms, want := range map[int64]string{
		1614938531512:       "2021-03-05 10:02:11.512+0000",
		-5364662399877:      "-5364662400000", // 1800: strftime refuses it, the ms are lost
		253402300800000:     "253402300800000",
		-2208988800000:      "1900-01-01 00:00:00.000+0000",
		-62135596800000 - 1: "-62135596800001",
	} {
		if got := string(appendExportTimestamp(nil, ms)); got != want {
			t.Errorf("export %d: got %q, want %q", ms, got, want)
		}
	}
}

func TestInts(t *testing.T) {
	for in, want := range map[string]any{
		"0": int64(0), "-5": int64(-5), "42": int64(42),
		"9223372036854775807": int64(9223372036854775807), "-9223372036854775808": int64(-9223372036854775808),
		"9223372036854775808": nil, "+1": nil, "1.0": nil, " 1": nil, "1_000": nil, "-": nil, "0x10": nil,
	} {
		v, ok := parseInt([]byte(in))
		var got any
		if ok {
			got = v
		}
		if got != want {
			t.Errorf("%q: got %v, want %v", in, got, want)
		}
	}
}

// The value layer of each type, on Py2 fields (raw, \" included).
func TestDecode(t *testing.T) {
	d := decoder{syn: Py2.syntax()}
	cases := []struct {
		typ, in string
		want    any // nil with ok false: refused
		ok      bool
	}{
		{"text", `a\\b`, `a\b`, true},
		{"text", `a\nb\tc\rd`, "a\nb\tc\rd", true},
		{"text", `\x00\x1f\x7f\xa0\xA0`, "\x00\x1f\u007f\u00a0\u00a0", true},
		{"text", `say \"hi\"`, `say "hi"`, true},
		{"text", `सुनीता`, "सुनीता", true},
		{"text", `a\`, nil, false},
		{"text", `a\'b`, nil, false},
		{"text", `\xg0`, nil, false},
		{"boolean", "True", true, true},
		{"boolean", "False", false, true},
		{"boolean", "true", nil, false},
		{"boolean", "1", nil, false},
		{"boolean", "TRUE", nil, false},
		{"int", "-17", int64(-17), true},
		{"int", "x", nil, false},
		{"timestamp", "2019-01-09 11:20:31.123+0000", "2019-01-09 11:20:31.123+0000", true},
		{"list<text>", "['PUBLIC']", `["PUBLIC"]`, true},
		{"list<text>", "['PUBLIC', 'ORG_ADMIN']", `["PUBLIC","ORG_ADMIN"]`, true},
		{"list<text>", "['b', 'a', 'b']", `["b","a","b"]`, true},
		{"list<text>", "['it''s', '''', '']", `["it's","'",""]`, true},
		{"list<text>", `['a\nb', 'c\\d', 'e\x85', 'q\"']`, `["a\nb","c\\d","e` + "\u0085" + `","q\""]`, true},
		{"list<text>", "['<b>&']", `["<b>&"]`, true},
		{"list<text>", "[ 'a' ,'b' ]", `["a","b"]`, true},
		{"list<text>", "[]", nil, true},
		{"list<text>", "['a'", nil, false},
		{"list<text>", "['a',]", nil, false},
		{"list<text>", "['a' 'b']", nil, false},
		{"list<text>", "[a]", nil, false},
		{"list<text>", "['a']x", nil, false},
		{"list<text>", "{'a'}", nil, false},
		{"set<text>", "{'a', 'b'}", `["a","b"]`, true},
		{"list<int>", "[1, -2, 30]", `[1,-2,30]`, true},
		{"list<int>", "[1, 'x']", nil, false},
		{"list<boolean>", "[True, False]", `[true,false]`, true},
		{"list<timestamp>", "['2019-01-09 11:20:31.123+0000', 1541030400000]", `["2019-01-09 11:20:31.123+0000","2018-11-01 00:00:00.000+0000"]`, true},
		{"map<text,text>", "{'k': 'v'}", `{"k":"v"}`, true},
		{"map<text,text>", "{'z': '1', 'a': '2'}", `{"a":"2","z":"1"}`, true},
		{"map<text,text>", "{'a': '1', 'a': '2'}", nil, false},
		{"map<text,text>", "{'a' '1'}", nil, false},
		{"map<text,text>", "{'a': }", nil, false},
		{"map<text,text>", "{}", nil, true},
		{"map<text,int>", "{'a': 1, 'b': -2}", `{"a":1,"b":-2}`, true},
		{"map<int,text>", "{10: 'x', 9: 'y'}", `{"10":"x","9":"y"}`, true},
		{"map<text,boolean>", "{'p': True}", `{"p":true}`, true},
		{"map<text,frozen<list<text>>>", "{'board': ['RBSE'], 'medium': ['Hindi']}", `{"board":["RBSE"],"medium":["Hindi"]}`, true},
		{"map<text,frozen<list<text>>>", "{'board': []}", `{"board":[]}`, true},
		{"map<text,frozen<map<text,text>>>", "{'t1': {'name': 'n''1', 'url': 'u'}}", `{"t1":{"name":"n'1","url":"u"}}`, true},
		{"map<text,frozen<map<text,text>>>", `{'t1': {'c': '{\"a\":{\"s\":2}}'}}`, `{"t1":{"c":"{\"a\":{\"s\":2}}"}}`, true},
		{"list<frozen<list<int>>>", "[[1, 2], [], [3]]", `[[1,2],[],[3]]`, true},
		{"map<boolean,text>", "{True: 'x'}", nil, false},
	}
	for _, c := range cases {
		typ := MustParseType(c.typ)
		got, err := d.decode(&typ, []byte(c.in))
		if (err == nil) != c.ok || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s %s: got %#v, %v; want %#v (ok %v)", c.typ, c.in, got, err, c.want, c.ok)
		}
	}
	// Deep nesting is refused, not a stack overflow.
	deep := MustParseType("list<text>")
	for range maxDepth + 2 {
		e := deep
		deep = Type{Kind: List, Elem: &e}
	}
	if _, err := d.decode(&deep, bytes.Repeat([]byte("["), 40)); err == nil {
		t.Error("deep nesting accepted")
	}
}

// Load files carry real text: no value escapes, a backslash is a backslash.
func TestDecodeLoad(t *testing.T) {
	d := decoder{syn: Load.syntax()}
	typ := MustParseType("list<text>")
	got, err := d.decode(&typ, []byte("['a\\nb', 'x\ny', 'it''s']"))
	if err != nil || got != `["a\\nb","x\ny","it's"]` {
		t.Errorf("got %v, %v", got, err)
	}
	txt := MustParseType("text")
	if got, err := d.decode(&txt, []byte(`C:\new`)); err != nil || got != `C:\new` {
		t.Errorf("got %v, %v", got, err)
	}
}

// The JSON of rows is what encoding/json writes without HTML escaping.
func TestJSONStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{
		"", "plain", `q"b\s`, "<a>&", "\x00\x01\b\f\n\r\t\x1f\x7f", "\u2028\u2029", "\xff\xfe", "सुनीता", "a\xe0\x80b", "\u00a0",
	} {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(s); err != nil {
			t.Fatal(err)
		}
		want := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
		if got := appendJSONString(nil, s); !bytes.Equal(got, want) {
			t.Errorf("%q: got %s, want %s", s, got, want)
		}
	}
}

func TestJSONHelpers(t *testing.T) {
	if got := ListJSON([]string{"PUBLIC", "a\"<b>"}); got != `["PUBLIC","a\"<b>"]` {
		t.Errorf("ListJSON = %s", got)
	}
	if got := ListJSON(nil); got != "[]" {
		t.Errorf("ListJSON(nil) = %s", got)
	}
	if l, err := ParseListJSON(`["x","x"]`); err != nil || !reflect.DeepEqual(l, []string{"x", "x"}) {
		t.Errorf("ParseListJSON = %v, %v", l, err)
	}
	if l, err := ParseListJSON(""); err != nil || l != nil {
		t.Errorf("ParseListJSON empty = %v, %v", l, err)
	}
	for _, bad := range []string{`[null]`, `[1]`, `{}`, `["a"`} {
		if _, err := ParseListJSON(bad); err == nil {
			t.Errorf("ParseListJSON(%s) accepted", bad)
		}
	}
	m := map[string]string{"z": "1", "a": "it's"}
	if got := MapJSON(m); got != `{"a":"it's","z":"1"}` {
		t.Errorf("MapJSON = %s", got)
	}
	if got, err := ParseMapJSON(MapJSON(m)); err != nil || !reflect.DeepEqual(got, m) {
		t.Errorf("ParseMapJSON = %v, %v", got, err)
	}
	for _, bad := range []string{`null`, `{"a":null}`, `[]`, `{"a":1}`} {
		if _, err := ParseMapJSON(bad); err == nil {
			t.Errorf("ParseMapJSON(%s) accepted", bad)
		}
	}
}
