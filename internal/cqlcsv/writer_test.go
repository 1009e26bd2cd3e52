package cqlcsv

import (
	"bytes"
	"errors"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func export(t *testing.T, tb *Table, opts ExportOptions, rows ...[]any) string {
	t.Helper()
	var buf bytes.Buffer
	w := NewExportWriter(&buf, tb, opts)
	for _, r := range rows {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// The rows of the testdata file, written, give the file: the same bytes
// cqlsh would have written.
func TestExportWriterTestdata(t *testing.T) {
	want := mustRead(t, "testdata/py2/people.csv")
	if got := export(t, tPeople, ExportOptions{}, peopleRows...); got != want {
		t.Errorf("export differs\n%s", firstDiff([]byte(got), []byte(want)))
	}
}

func TestExportWriterValues(t *testing.T) {
	tb := table("ks", "t", 1, "id text, s set<text>, m map<text,int>, ts timestamp, n int, b boolean, x text")
	got := export(t, tb, ExportOptions{},
		// Sets and maps come out sorted, as cqlsh sorts them; other timestamp
		// forms are normalized; control characters are escaped.
		[]any{"k1", `["b","a"]`, `{"z":1,"a":-2}`, "2019-01-09T16:50:31.123+05:30", 7, true, "tab\tcr\rnbsp\u00a0bell\x07 del\x7f é"},
		// Empty collections and empty text are written as nothing.
		[]any{"k2", `[]`, "{}", nil, int64(-1), false, ""},
		[]any{"k3", ListJSON([]string{"it's"}), nil, "1541030400000", nil, nil, `"quoted",\`},
	)
	want := "id,s,m,ts,n,b,x\r\n" +
		`k1,"{'a', 'b'}","{'a': -2, 'z': 1}",2019-01-09 11:20:31.123+0000,7,True,"tab\tcr\rnbsp\xa0bell\x07 del\x7f é"` + "\r\n" +
		"k2,,,,-1,False,\r\n" +
		`k3,{'it''s'},,2018-11-01 00:00:00.000+0000,,,"\"quoted\",\\"` + "\r\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	// A header only, and no header at all.
	if got := export(t, tb, ExportOptions{}); got != "id,s,m,ts,n,b,x\r\n" {
		t.Errorf("empty export %q", got)
	}
	if got := export(t, tb, ExportOptions{NoHeader: true}, []any{"k", nil, nil, nil, nil, nil, "a,b"}); got != "k,,,,,,\"a,b\"\r\n" {
		t.Errorf("continuation %q", got)
	}
	// Python quotes a record's lone empty field.
	one := table("ks", "one", 0, "v text")
	if got := export(t, one, ExportOptions{}, []any{nil}, []any{"x"}); got != "v\r\n\"\"\r\nx\r\n" {
		t.Errorf("one column %q", got)
	}
}

func TestExportWriterErrors(t *testing.T) {
	tb := table("ks", "t", 1, "id text, n int, l list<text>, ts timestamp, b boolean")
	var buf bytes.Buffer
	w := NewExportWriter(&buf, tb, ExportOptions{})
	for name, row := range map[string][]any{
		"short row":      {"k"},
		"null key":       {nil, nil, nil, nil, nil},
		"empty key":      {"", nil, nil, nil, nil},
		"int as string":  {"k", "1", nil, nil, nil},
		"float":          {"k", 1.5, nil, nil, nil},
		"list as slice":  {"k", nil, []string{"a"}, nil, nil},
		"bad JSON":       {"k", nil, `["a"`, nil, nil},
		"null element":   {"k", nil, `["a",null]`, nil, nil},
		"number in list": {"k", nil, `[1]`, nil, nil},
		"bad timestamp":  {"k", nil, nil, "2019-01-09", nil},
		"bool as text":   {"k", nil, nil, nil, "True"},
		"invalid UTF-8":  {"k\xff", nil, nil, nil, nil},
	} {
		if err := w.Write(row); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// Refused rows leave nothing behind, and the writer goes on.
	if err := w.Write([]any{"k", 1, nil, nil, nil}); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil || buf.String() != "id,n,l,ts,b\r\nk,1,,,\r\n" {
		t.Errorf("%q %v", buf.String(), err)
	}
}

func TestLoadWriter(t *testing.T) {
	tb := table("sunbird", "user", 1, "id text, email text, framework map<text,frozen<list<text>>>, flagsvalue int, emailverified boolean, tncacceptedon timestamp, roles list<text>, channel text")
	var buf bytes.Buffer
	w, err := NewLoadWriter(&buf, "user.csv", tb, []string{"id", "email", "framework", "flagsvalue", "emailverified", "tncacceptedon", "roles"})
	if err != nil {
		t.Fatal(err)
	}
	rows := [][]any{
		{"u1", "ab+c\nde/f==", `{"board":["RBSE"],"medium":["it's"]}`, int64(7), true, "2021-03-05 10:02:11.512+0000", `["PUBLIC"]`, "ignored"},
		{"u2", "", nil, nil, nil, nil, `[]`, nil},
		{"u3", `C:\x "q"` + "\r\n", nil, 0, false, "1541030400000", `["a\\b","x\ny"]`, nil},
	}
	for _, r := range rows {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	want := "id,email,framework,flagsvalue,emailverified,tncacceptedon,roles\n" +
		"\"u1\",\"ab+c\nde/f==\",\"{'board': ['RBSE'], 'medium': ['it''s']}\",7,True,\"2021-03-05 10:02:11.512+0000\",\"['PUBLIC']\"\n" +
		"\"u2\",\"\",<NULL>,<NULL>,<NULL>,<NULL>,<NULL>\n" +
		"\"u3\",\"C:\\\\x \\\"q\\\"\r\n\",<NULL>,0,False,\"2018-11-01 00:00:00.000+0000\",\"['a\\\\b', 'x\ny']\"\n"
	if buf.String() != want {
		t.Errorf("got\n%s\nwant\n%s", buf.String(), want)
	}
	if st := w.Statements(); !reflect.DeepEqual(st, []string{"COPY sunbird.user (id, email, framework, flagsvalue, emailverified, tncacceptedon, roles) FROM 'user.csv' WITH HEADER=true AND NULL='<NULL>';"}) {
		t.Errorf("statements %q", st)
	}
	// It reads back to the same values.
	res := readString(tb, buf.String(), Options{Dialect: Load, Null: LoadNull})
	noRejects(t, res)
	checkRows(t, res.rows, [][]any{
		{"u1", "ab+c\nde/f==", `{"board":["RBSE"],"medium":["it's"]}`, int64(7), true, "2021-03-05 10:02:11.512+0000", `["PUBLIC"]`, nil},
		{"u2", "", nil, nil, nil, nil, nil, nil},
		{"u3", `C:\x "q"` + "\r\n", nil, int64(0), false, "2018-11-01 00:00:00.000+0000", `["a\\b","x\ny"]`, nil},
	})
	if !reflect.DeepEqual(res.header.Missing, []string{"channel"}) {
		t.Errorf("header %+v", res.header)
	}

	// Refused: text equal to the marker, NUL, a null key, a column list
	// without the key, an unknown or repeated column.
	for name, row := range map[string][]any{
		"marker": {"u", LoadNull, nil, nil, nil, nil, nil, nil},
		"NUL":    {"u", "a\x00", nil, nil, nil, nil, nil, nil},
		"no key": {nil, "a", nil, nil, nil, nil, nil, nil},
	} {
		if err := w.Write(row); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	for _, cols := range [][]string{{"email"}, {"id", "nope"}, {"id", "id"}} {
		if _, err := NewLoadWriter(&buf, "f", tb, cols); err == nil {
			t.Errorf("columns %v accepted", cols)
		}
	}
}

// Rows holding line feeds go to files short enough for one COPY chunk, each
// with its header and statement.
func TestLoadWriterRollOver(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "user_lookup.csv")
	w, err := CreateLoad(path, tUserLookup, []string{"type", "value", "userid"}, LoadOptions{MaxLines: 6})
	if err != nil {
		t.Fatal(err)
	}
	var want [][]any
	for i := range 7 {
		v := strings.Repeat("x", i) + strings.Repeat("\n", i%3) // 1 to 3 lines
		row := []any{"email", v, "u"}
		if err := w.Write(row); err != nil {
			t.Fatal(err)
		}
		want = append(want, row)
	}
	if err := w.Write([]any{"email", strings.Repeat("\n", 5), "u"}); !errors.Is(err, ErrTooManyLines) {
		t.Errorf("a record of 6 lines: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	files := w.Files()
	var names []string
	var got [][]any
	for _, f := range files {
		names = append(names, filepath.Base(f))
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if n := bytes.Count(data, []byte("\n")); n > 6 {
			t.Errorf("%s has %d lines", f, n)
		}
		res := readFiles(tUserLookup, []string{f}, Options{Dialect: Load, Null: LoadNull})
		noRejects(t, res)
		got = append(got, res.rows...)
	}
	// Records of 1, 2, 3, 1, 2, 3 and 1 lines after a header line each:
	// 1+1+2, 1+3+1, 1+2+3, 1+1.
	if !reflect.DeepEqual(names, []string{"user_lookup.csv", "user_lookup_2.csv", "user_lookup_3.csv", "user_lookup_4.csv"}) {
		t.Errorf("files %v", names)
	}
	checkRows(t, got, want)
	st := w.Statements()
	if len(st) != 4 || !strings.Contains(st[1], "FROM '"+filepath.Join(dir, "user_lookup_2.csv")+"'") {
		t.Errorf("statements %q", st)
	}
	// No row, no file.
	w, _ = CreateLoad(filepath.Join(dir, "empty.csv"), tUserLookup, []string{"type", "value"}, LoadOptions{})
	if err := w.Close(); err != nil || len(w.Files()) != 0 {
		t.Errorf("empty: %v %v", w.Files(), err)
	}
}

// Random rows of every type survive ExportWriter and LoadWriter and come
// back from the reader as written, save what cqlsh cannot tell apart.
func TestRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	loaded := 0
	for range 300 {
		if checkRoundTrip(t, rtTable, randomRow(rng)) {
			loaded++
		}
	}
	if loaded < 150 {
		t.Errorf("only %d rows of 300 went through LoadWriter", loaded)
	}
}

// rtTable has a column of every type the reader knows.
var rtTable = table("ks", "rt", 2, "id text, k int, t text, n int, b boolean, ts timestamp, l list<text>, s set<text>, m map<text,text>, fw map<text,frozen<list<text>>>, ct map<text,frozen<map<text,text>>>, li list<int>, lt list<timestamp>")

var rtPieces = []string{"", "a", "Z", " ", ",", "\"", "'", "''", "\\", "\\n", "\n", "\r", "\r\n", "\t", "\x01", "\x1f", "\x7f", "\u0080", "\u00a0", "\u00a1", "é", "सु", "<&>", "{", "}", "[", "]", ": ", ", ", "<NULL>x", "\u2028", "x\\\"y"}

func randomText(rng *rand.Rand) string {
	switch rng.IntN(60) {
	case 0:
		return LoadNull // which LoadWriter must refuse for a text
	case 1:
		return "a\x00b" // which Python's csv module cannot read
	}
	var b strings.Builder
	for range rng.IntN(6) {
		b.WriteString(rtPieces[rng.IntN(len(rtPieces))])
	}
	return b.String()
}

func randomRow(rng *rand.Rand) []any {
	maybe := func(v func() any) any {
		if rng.IntN(4) == 0 {
			return nil
		}
		return v()
	}
	texts := func() []string {
		l := make([]string, rng.IntN(4))
		for i := range l {
			l[i] = randomText(rng)
		}
		return l
	}
	ts := func() string {
		// Years 1900..9999, which cqlsh formats.
		return FormatTimestamp(time.UnixMilli(rng.Int64N(253402300799999+2208988800000) - 2208988800000))
	}
	return []any{
		"id" + randomText(rng) + "x",
		rng.Int64() - 1<<62,
		maybe(func() any { return randomText(rng) }),
		maybe(func() any { return int64(rng.Int32()) }),
		maybe(func() any { return rng.IntN(2) == 0 }),
		maybe(func() any { return ts() }),
		maybe(func() any { return ListJSON(texts()) }),
		maybe(func() any { l := texts(); slices.Sort(l); return ListJSON(slices.Compact(l)) }),
		maybe(func() any {
			m := map[string]string{}
			for _, k := range texts() {
				m[k] = randomText(rng)
			}
			return MapJSON(m)
		}),
		maybe(func() any {
			m := map[string]string{}
			for _, k := range texts() {
				m[k] = ListJSON(texts())
			}
			return jsonObject(m)
		}),
		maybe(func() any {
			m := map[string]string{}
			for _, k := range texts() {
				inner := map[string]string{}
				for _, k2 := range texts() {
					inner[k2] = randomText(rng)
				}
				m[k] = MapJSON(inner)
			}
			return jsonObject(m)
		}),
		maybe(func() any { return "[" + strings.Join([]string{"1", "-20", "300"}[:1+rng.IntN(3)], ",") + "]" }),
		maybe(func() any { return `["` + ts() + `","` + ts() + `"]` }),
	}
}

// jsonObject writes an object of raw JSON values, keys sorted.
func jsonObject(m map[string]string) string {
	keys := slices.Sorted(maps.Keys(m))
	b := []byte{'{'}
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, k)
		b = append(b, ':')
		b = append(b, m[k]...)
	}
	return string(append(b, '}'))
}

// normalize gives what the reader returns for row once written: Cassandra
// has no empty collection, and COPY TO no empty text.
func normalize(tb *Table, row []any, export bool) []any {
	out := make([]any, len(row))
	for i, v := range row {
		switch c := tb.Columns[i]; {
		case v == nil:
		case c.Type.IsCollection() && (v == "[]" || v == "{}"):
		case c.Type.Kind == Text && export && v == "":
		case c.Type.Kind == Set && export:
			// cqlsh writes sets sorted.
			l, err := ParseListJSON(v.(string))
			if err != nil {
				panic(err)
			}
			slices.Sort(l)
			out[i] = ListJSON(l)
		case c.Type.Kind == Timestamp && export:
			// Python 2 cannot format a year before 1900; cqlsh then writes
			// whole seconds.
			tm, _ := timestampValue(v)
			if time.UnixMilli(tm).UTC().Year() < 1900 {
				tm = time.UnixMilli(tm).Unix() * 1000
			}
			out[i] = string(appendTimestamp(nil, tm))
		case c.Type.Kind == Int:
			n, _ := intValue(v)
			out[i] = n
		default:
			out[i] = v
		}
	}
	return out
}

// loadRefuses reports whether LoadWriter must refuse row: a NUL byte, which
// Python's csv module cannot read, or a text equal to the NULL marker.
func loadRefuses(tb *Table, row []any) bool {
	for i, v := range row {
		if s, ok := v.(string); ok && (strings.Contains(s, "\x00") || strings.Contains(s, `\u0000`) ||
			tb.Columns[i].Type.Kind == Text && s == LoadNull) {
			return true
		}
	}
	return false
}

// checkRoundTrip writes row with both writers and reads it back. It
// reports whether LoadWriter took the row.
func checkRoundTrip(t *testing.T, tb *Table, row []any) bool {
	t.Helper()
	var buf bytes.Buffer
	w := NewExportWriter(&buf, tb, ExportOptions{})
	err := w.Write(row)
	emptyKey := slices.Contains(row[:tb.KeyLen], any(""))
	switch {
	case emptyKey && err == nil:
		t.Fatalf("export accepted the empty key of %q", row)
	case emptyKey:
		// COPY TO cannot write an empty text key (it would read back as
		// null); a Load file can hold one.
	case err != nil:
		t.Fatalf("export %q: %v", row, err)
	default:
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		res := readString(tb, buf.String(), Options{})
		if res.err != nil || len(res.rejects) > 0 || len(res.rows) != 1 {
			t.Fatalf("export of %q: %q read as %v, %v, %v", row, buf.String(), res.rows, res.rejects, res.err)
		}
		if want := normalize(tb, row, true); !reflect.DeepEqual(res.rows[0], want) {
			t.Fatalf("export of %q: %q read back as\n%q", want, buf.String(), res.rows[0])
		}
	}

	buf.Reset()
	var cols []string
	for _, c := range tb.Columns {
		cols = append(cols, c.Name)
	}
	lw, err := NewLoadWriter(&buf, "rt.csv", tb, cols)
	if err != nil {
		t.Fatal(err)
	}
	if err := lw.Write(row); err != nil {
		if !loadRefuses(tb, row) {
			t.Fatalf("load %q: %v", row, err)
		}
		return false
	}
	if loadRefuses(tb, row) {
		t.Fatalf("load accepted %q", row)
	}
	if err := lw.Close(); err != nil {
		t.Fatal(err)
	}
	res := readString(tb, buf.String(), Options{Dialect: Load, Null: LoadNull})
	if res.err != nil || len(res.rejects) > 0 || len(res.rows) != 1 {
		t.Fatalf("load of %q: %q read as %v, %v, %v", row, buf.String(), res.rows, res.rejects, res.err)
	}
	if want := normalize(tb, row, false); !reflect.DeepEqual(res.rows[0], want) {
		t.Fatalf("load of %q: %q read back as\n%q", want, buf.String(), res.rows[0])
	}
	return true
}
