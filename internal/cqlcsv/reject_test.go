package cqlcsv

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

type wantReject struct {
	file   string
	line   int64
	reason string
	raw    string // prefix of Raw
}

func checkRejects(t *testing.T, got []Reject, want []wantReject) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%d rejects, want %d", len(got), len(want))
	}
	for i := range min(len(got), len(want)) {
		g, w := got[i], want[i]
		if filepath.Base(g.File) != w.file || g.Line != w.line || g.Reason != w.reason || !strings.HasPrefix(string(g.Raw), w.raw) {
			t.Errorf("reject %d: got %s:%d %q %q\nwant %s:%d %q %q...", i, filepath.Base(g.File), g.Line, g.Reason, g.Raw, w.file, w.line, w.reason, w.raw)
		}
	}
}

// The files of testdata/rejects: one bad record per kind, each reported
// with its file and the physical line it starts on, and reading goes on.
func TestRejects(t *testing.T) {
	files, err := Files("testdata/rejects", "people")
	if err != nil {
		t.Fatal(err)
	}
	res := readFiles(tPeople, files, Options{})
	if res.err != nil {
		t.Fatal(res.err)
	}
	var ids []string
	for _, r := range res.rows {
		ids = append(ids, r[0].(string))
	}
	if want := []string{"g1", "g5", "g10", "g20", "g23", "g30"}; !reflect.DeepEqual(ids, want) {
		t.Errorf("rows %v, want %v", ids, want)
	}
	// g5 spans lines 6 and 7; g23's "a\\b" is a backslash.
	if want := []int64{2, 6, 11, 1, 4, 2}; !reflect.DeepEqual(res.lines, want) {
		t.Errorf("lines %v, want %v", res.lines, want)
	}
	if res.rows[1][6] != "first\nsecond" || res.rows[4][6] != `a\b` || res.rows[2][8] != `["a","b"]` {
		t.Errorf("values %q %q %q", res.rows[1][6], res.rows[4][6], res.rows[2][8])
	}
	checkRejects(t, res.rejects, []wantReject{
		{"people.csv", 3, "9 fields, want 10", "b2,2,"},
		{"people.csv", 4, "column seq: not an integer", "b3,x3"},
		{"people.csv", 5, "column flag: not True or False", "b4,4,,true"},
		{"people.csv", 8, "key column id is null", ",6,"},
		{"people.csv", 9, "invalid UTF-8", "b8,8,,True,,,caf\xe9,,,"},
		{"people.csv", 10, "column at: not a timestamp", "b9,9,2019-13-01"},
		{"people.csv", 12, "blank line", ""},
		// The quote never closes: the rest of the file is one record.
		{"people.csv", 13, "unterminated quote", "b12,12,,True,,,\"no end,,,\r\ng13,13,,True,,,,,,"},
		{"people.csv.1", 2, "column flag: not True or False", "b21"},
		{"people.csv.1", 3, "text after a closing quote", `b22,22,,True,,,"x"y`},
		{"people.csv.2", 1, "the header repeated in a continuation file", "id,seq,"},
	})
	if want := (Stats{Files: 3, Lines: 14 + 4 + 2, Records: 6, Rejected: 10, Blank: 1}); res.stats != want {
		t.Errorf("stats %+v, want %+v", res.stats, want)
	}
}

// Record-level problems the scanner finds, one input each.
func TestRejectReasons(t *testing.T) {
	hdr := "type,value,userid\r\n"
	cases := []struct {
		name, in string
		want     []wantReject
		rows     int
	}{
		{"quote inside unquoted", `email,a"b,u` + "\r\nphone,p,u\r\n", []wantReject{{"in.csv", 2, "quote inside an unquoted field", `email,a"b,u`}}, 1},
		{"stray CR", "email,a\rb,u\r\nphone,p,u\r\n", []wantReject{{"in.csv", 2, "CR outside quotes", "email,a\rb,u"}}, 1},
		{"CR at end of input", "email,a,u\r", []wantReject{{"in.csv", 2, "CR outside quotes", "email,a,u\r"}}, 0},
		{"backslash at end", `email,a,u\`, []wantReject{{"in.csv", 2, "backslash at the end of the input", `email,a,u\`}}, 0},
		{"escape inside quotes at end", `email,"a\`, []wantReject{{"in.csv", 2, "unterminated quote", `email,"a\`}}, 0},
		{"too many fields", "email,a,u,x\r\n", []wantReject{{"in.csv", 2, "4 fields, want 3", "email"}}, 0},
		{"bad value escape", `email,"a\qb",u` + "\r\n", []wantReject{{"in.csv", 2, "column value: bad backslash escape", "email"}}, 0},
		{"short hex escape", `email,"a\x4",u` + "\r\n", []wantReject{{"in.csv", 2, "column value: bad backslash escape", "email"}}, 0},
		{"NUL byte", "email,a\x00b,u\r\n", []wantReject{{"in.csv", 2, "NUL byte", "email"}}, 0},
		{"empty key", "email,,u\r\n", []wantReject{{"in.csv", 2, "key column value is null", "email,,u"}}, 0},
		{"blank LF line", "\nemail,a,u\n", []wantReject{{"in.csv", 2, "blank line", ""}}, 1},
		// An embedded raw LF moves the lines of what follows.
		{"after a raw LF", "email,\"a\nb\",u\r\nemail,x,u,z\r\n", []wantReject{{"in.csv", 4, "4 fields, want 3", "email,x"}}, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := readString(tUserLookup, hdr+c.in, Options{})
			if res.err != nil {
				t.Fatal(res.err)
			}
			checkRejects(t, res.rejects, c.want)
			if len(res.rows) != c.rows {
				t.Errorf("%d rows, want %d", len(res.rows), c.rows)
			}
		})
	}
	res := readString(tUserLookup, hdr+"email,\"a\nb\",u\r\nemail,x\r\nphone,\"p\r\nq\",u\r\nphone,y,\"\"\"\r\n", Options{})
	checkRejects(t, res.rejects, []wantReject{
		{"in.csv", 4, "2 fields, want 3", "email,x"},
		{"in.csv", 7, "text after a closing quote", `phone,y,"""`},
	})
	if !reflect.DeepEqual(res.lines, []int64{2, 5}) {
		t.Errorf("lines %v", res.lines)
	}
}
