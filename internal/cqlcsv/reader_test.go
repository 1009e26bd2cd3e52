package cqlcsv

import (
	"bytes"
	"errors"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// result is everything a reader produced.
type result struct {
	rows    [][]any
	extras  [][]string
	lines   []int64
	files   []string
	rejects []Reject
	header  HeaderReport
	stats   Stats
	dialect Dialect
	err     error
}

func collect(r *Reader, rejects *[]Reject) result {
	var res result
	for r.Next() {
		res.rows = append(res.rows, r.Row())
		res.extras = append(res.extras, r.Extra())
		res.lines = append(res.lines, r.Line())
		res.files = append(res.files, r.File())
	}
	res.err, res.header, res.stats, res.dialect = r.Err(), r.Header(), r.Stats(), r.Dialect()
	if err := r.Close(); err != nil && res.err == nil {
		res.err = err
	}
	if rejects != nil {
		res.rejects = *rejects
	}
	return res
}

func readString(t *Table, in string, opts Options) result {
	var rj []Reject
	prev := opts.OnReject
	opts.OnReject = func(r Reject) {
		rj = append(rj, r)
		if prev != nil {
			prev(r)
		}
	}
	return collect(NewStreamReader(strings.NewReader(in), "in.csv", t, opts), &rj)
}

func readFiles(t *Table, files []string, opts Options) result {
	var rj []Reject
	opts.OnReject = func(r Reject) { rj = append(rj, r) }
	return collect(NewReader(files, t, opts), &rj)
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func checkRows(t *testing.T, got, want [][]any) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%d rows, want %d", len(got), len(want))
	}
	for i := range min(len(got), len(want)) {
		if !reflect.DeepEqual(got[i], want[i]) {
			for j := range want[i] {
				if j >= len(got[i]) || !reflect.DeepEqual(got[i][j], want[i][j]) {
					t.Errorf("row %d column %d: got %#v, want %#v", i, j, got[i][j], want[i][j])
				}
			}
		}
	}
}

func noRejects(t *testing.T, res result) {
	t.Helper()
	if res.err != nil {
		t.Fatalf("Err() = %v", res.err)
	}
	for _, r := range res.rejects {
		t.Errorf("unexpected reject %v %q", r, r.Raw)
	}
}

// Both Python versions' files of the same rows, read in every way that
// should give those rows.
func TestDialects(t *testing.T) {
	py2 := mustRead(t, "testdata/py2/people.csv")
	py310 := mustRead(t, "testdata/py310/people.csv")
	cases := []struct {
		name    string
		in      string
		opt     Dialect
		dialect Dialect
	}{
		{"py2 auto", py2, Auto, Py2},
		{"py2 forced", py2, Py2, Py2},
		{"py310 auto", py310, Auto, Py310},
		{"py310 forced", py310, Py310, Py310},
		{"py2 LF records", strings.ReplaceAll(py2, "\r\n", "\n"), Auto, Py2},
		{"py310 LF records", strings.ReplaceAll(py310, "\r\n", "\n"), Auto, Py310},
		{"py2 with BOM", "\ufeff" + py2, Auto, Py2},
		{"py2 no final line end", strings.TrimSuffix(py2, "\r\n"), Auto, Py2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := readString(tPeople, c.in, Options{Dialect: c.opt})
			noRejects(t, res)
			checkRows(t, res.rows, peopleRows)
			if res.dialect != c.dialect {
				t.Errorf("dialect %v, want %v", res.dialect, c.dialect)
			}
			if want := []int64{2, 3, 4, 5}; !reflect.DeepEqual(res.lines, want) {
				t.Errorf("lines %v, want %v", res.lines, want)
			}
			if res.stats != (Stats{Files: 1, Lines: 5, Records: 4}) {
				t.Errorf("stats %+v", res.stats)
			}
		})
	}
}

// A forced dialect is used even when the file says otherwise: the Py2
// field "C:\\temp" read as Py310 is C:, a TAB, emp.
func TestForcedDialectIsUsed(t *testing.T) {
	res := readString(tPeople, mustRead(t, "testdata/py2/people.csv"), Options{Dialect: Py310})
	if res.err != nil || len(res.rows) < 2 {
		t.Fatalf("rows %d, err %v, rejects %v", len(res.rows), res.err, res.rejects)
	}
	if got := res.rows[1][7]; got != "C:\temp" {
		t.Errorf("secret = %q", got)
	}
}

// Until a field settles the dialect, a record that means different things in
// the two waits; without any evidence Py2 is assumed.
func TestAutoWaitsForEvidence(t *testing.T) {
	tb := table("t", "t", 1, "id text, v text")
	const ambiguous = "a,\"x,\\\\n\"\r\n" // "x,\\n": x,\n in Py2, x,LF in Py310
	cases := []struct {
		name    string
		in      string
		want    []any
		dialect Dialect
	}{
		{"py310 evidence later", "id,v\r\n" + ambiguous + "b,c\\\\\\\\d\r\n", []any{"x,\n", `c\d`}, Py310},
		{"py2 evidence later", "id,v\r\n" + ambiguous + "b,\"c\\\\d\"\r\n", []any{`x,\n`, `c\d`}, Py2},
		{"py2 evidence by a value escape", "id,v\r\n" + ambiguous + "b,\"c\\nd\"\r\n", []any{`x,\n`, "c\nd"}, Py2},
		{"no evidence", "id,v\r\n" + ambiguous + "b,plain\r\n", []any{`x,\n`, "plain"}, Py2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := readString(tb, c.in, Options{})
			noRejects(t, res)
			if len(res.rows) != 2 {
				t.Fatalf("rows %v", res.rows)
			}
			if res.rows[0][0] != "a" || res.rows[1][0] != "b" {
				t.Errorf("order %v", res.rows)
			}
			if got := []any{res.rows[0][1], res.rows[1][1]}; !reflect.DeepEqual(got, c.want) {
				t.Errorf("values %q, want %q", got, c.want)
			}
			if res.dialect != c.dialect {
				t.Errorf("dialect %v, want %v", res.dialect, c.dialect)
			}
			if !reflect.DeepEqual(res.lines, []int64{2, 3}) {
				t.Errorf("lines %v", res.lines)
			}
		})
	}
}

// The wait is bounded: past maxQueue records, Py2 is assumed.
func TestAutoWaitIsBounded(t *testing.T) {
	tb := table("t", "t", 1, "id text, v text")
	var b strings.Builder
	b.WriteString("id,v\r\n")
	for i := range maxQueue + 10 {
		b.WriteString("a")
		b.WriteString(strings.Repeat("x", i%7))
		b.WriteString(",\"x,\\\\n\"\r\n")
	}
	res := readString(tb, b.String(), Options{})
	noRejects(t, res)
	if len(res.rows) != maxQueue+10 || res.dialect != Py2 || res.rows[0][1] != `x,\n` {
		t.Errorf("%d rows, dialect %v", len(res.rows), res.dialect)
	}
}

func TestEmptyAndNull(t *testing.T) {
	tb := table("t", "t", 1, "id text, a text, b int, c list<text>, d boolean")
	cases := []struct {
		name string
		in   string
		opts Options
		want []any
	}{
		// §3.1: COPY TO writes null and '' alike, and "" is empty too.
		{"empty fields", "id,a,b,c,d\r\nk,,,,\r\n", Options{}, []any{"k", nil, nil, nil, nil}},
		{"quoted empty", "id,a,b,c,d\r\nk,\"\",,\"\",\r\n", Options{}, []any{"k", nil, nil, nil, nil}},
		// With a NULL marker an empty text is a value.
		{"marker", "id,a,b,c,d\nk,\"\",<NULL>,<NULL>,<NULL>\n", Options{Dialect: Load, Null: LoadNull}, []any{"k", "", nil, nil, nil}},
		{"marker null text", "id,a,b,c,d\nk,<NULL>,1,\"['x']\",True\n", Options{Dialect: Load, Null: LoadNull}, []any{"k", nil, int64(1), `["x"]`, true}},
		// Empty collections are null.
		{"empty list", "id,a,b,c,d\r\nk,,,[],\r\n", Options{}, []any{"k", nil, nil, nil, nil}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := readString(tb, c.in, c.opts)
			noRejects(t, res)
			checkRows(t, res.rows, [][]any{c.want})
		})
	}
	// With a marker, an empty non-text field is no value at all.
	res := readString(tb, "id,a,b,c,d\nk,x,,<NULL>,<NULL>\n", Options{Dialect: Load, Null: LoadNull})
	if len(res.rows) != 0 || len(res.rejects) != 1 || res.rejects[0].Reason != "column b: empty value" {
		t.Errorf("rows %v rejects %v", res.rows, res.rejects)
	}
}

// A file from another writer may hold a raw LF inside quotes; the record
// spans two lines and the next one starts a line later.
func TestRawLineFeedInQuotes(t *testing.T) {
	res := readFiles(tPeople, []string{"testdata/rawlf.csv"}, Options{})
	noRejects(t, res)
	if len(res.rows) != 2 || res.rows[0][6] != "two\nlines" || res.rows[1][6] != "plain" {
		t.Fatalf("rows %q", res.rows)
	}
	if !reflect.DeepEqual(res.lines, []int64{2, 4}) {
		t.Errorf("lines %v", res.lines)
	}
	if res.stats.Lines != 4 {
		t.Errorf("stats %+v", res.stats)
	}
	// A raw CR inside quotes is data as well.
	res = readString(tUserLookup, "type,value,userid\r\nemail,\"a\rb\",u\r\n", Options{})
	noRejects(t, res)
	if len(res.rows) != 1 || res.rows[0][1] != "a\rb" {
		t.Errorf("rows %q", res.rows)
	}
}

func TestHeader(t *testing.T) {
	t.Run("missing and extra", func(t *testing.T) {
		// An older era: no channel, but a dropped provider column.
		in := "id,provider,name\r\nu1,\"C:\\\\x\",Asha\r\nu2,,Ravi\r\n"
		tb := table("t", "user", 1, "id text, channel text, name text")
		res := readString(tb, in, Options{})
		noRejects(t, res)
		want := HeaderReport{File: "in.csv", Columns: []string{"id", "provider", "name"}, Missing: []string{"channel"}, Extra: []string{"provider"}}
		if !reflect.DeepEqual(res.header, want) {
			t.Errorf("header %+v, want %+v", res.header, want)
		}
		checkRows(t, res.rows, [][]any{{"u1", nil, "Asha"}, {"u2", nil, "Ravi"}})
		if !reflect.DeepEqual(res.extras, [][]string{{`C:\x`}, {""}}) {
			t.Errorf("extras %q", res.extras)
		}
	})
	t.Run("missing key", func(t *testing.T) {
		res := readString(tUserLookup, "type,userid\r\nemail,u\r\n", Options{})
		if !errors.Is(res.err, ErrMissingKey) || !strings.Contains(res.err.Error(), "value") {
			t.Errorf("err %v", res.err)
		}
		if len(res.rows) != 0 || !reflect.DeepEqual(res.header.Missing, []string{"value"}) {
			t.Errorf("rows %v header %+v", res.rows, res.header)
		}
	})
	for name, in := range map[string]string{
		"empty file":      "",
		"only a BOM":      "\ufeff",
		"blank header":    "\r\ntype,value,userid\r\n",
		"repeated name":   "type,value,type\r\n",
		"empty name":      "type,value,,userid\r\n",
		"bad quote":       "type,\"value\r\n",
		"invalid UTF-8":   "type,value,user\xffid\r\n",
		"stray CR":        "type,value\r,userid\r\n",
		"text after name": "type,\"value\"x,userid\r\n",
	} {
		t.Run(name, func(t *testing.T) {
			res := readString(tUserLookup, in, Options{})
			if !errors.Is(res.err, ErrBadHeader) {
				t.Errorf("err %v", res.err)
			}
		})
	}
	t.Run("no header", func(t *testing.T) {
		res := readString(tUserLookup, "email,\"a\\nb\",u1\r\nphone,p,u2\r\n", Options{NoHeader: true})
		noRejects(t, res)
		checkRows(t, res.rows, [][]any{{"email", "a\nb", "u1"}, {"phone", "p", "u2"}})
		if !reflect.DeepEqual(res.lines, []int64{1, 2}) || !reflect.DeepEqual(res.header.Columns, []string{"type", "value", "userid"}) {
			t.Errorf("lines %v header %+v", res.lines, res.header)
		}
	})
	t.Run("header order differs from table", func(t *testing.T) {
		res := readString(tUserLookup, "userid,value,type\r\nu1,v,email\r\n", Options{})
		noRejects(t, res)
		checkRows(t, res.rows, [][]any{{"email", "v", "u1"}})
	})
	t.Run("header before Next", func(t *testing.T) {
		r := NewStreamReader(strings.NewReader("type,value,userid,x\r\nemail,v,u,1\r\n"), "in.csv", tUserLookup, Options{})
		if h := r.Header(); !reflect.DeepEqual(h.Extra, []string{"x"}) {
			t.Errorf("header %+v", h)
		}
		if !r.Next() || r.Row()[0] != "email" || r.Extra()[0] != "1" || r.Line() != 2 {
			t.Errorf("row %v extra %v line %d err %v", r.Row(), r.Extra(), r.Line(), r.Err())
		}
	})
}

// Split exports: the parts are read in order, the header only in the
// first, lines counted per file.
func TestSplitFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) {
		if err := os.WriteFile(dir+"/"+name, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("user_lookup.csv", "type,value,userid\r\nemail,v0,u0\r\n")
	for i := 1; i <= 11; i++ {
		write("user_lookup.csv."+strconv.Itoa(i), "email,v"+strconv.Itoa(i)+",u\r\nphone,\"p\\n"+strconv.Itoa(i)+"\",u\r\n")
	}
	write("user_lookup.csv.bak", "junk\r\n")
	write("user_lookup.csv.01", "junk\r\n")
	files, err := Files(dir, "user_lookup")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		names = append(names, f[len(dir)+1:])
	}
	want := []string{"user_lookup.csv"}
	for i := 1; i <= 11; i++ {
		want = append(want, "user_lookup.csv."+strconv.Itoa(i))
	}
	if !reflect.DeepEqual(names, want) {
		t.Fatalf("files %v", names)
	}
	res := readFiles(tUserLookup, files, Options{})
	noRejects(t, res)
	if len(res.rows) != 23 || res.rows[1][1] != "v1" || res.rows[2][1] != "p\n1" || res.rows[21][1] != "v11" {
		t.Errorf("rows %v", res.rows)
	}
	if res.lines[0] != 2 || res.lines[1] != 1 || res.lines[2] != 2 || !strings.HasSuffix(res.files[22], ".csv.11") {
		t.Errorf("lines %v files %v", res.lines[:3], res.files[22])
	}
	if res.stats != (Stats{Files: 12, Lines: 24, Records: 23}) {
		t.Errorf("stats %+v", res.stats)
	}

	// A gap loses rows: an error. So does a missing first file.
	if err := os.Remove(dir + "/user_lookup.csv.5"); err != nil {
		t.Fatal(err)
	}
	if _, err := Files(dir, "user_lookup"); err == nil || !strings.Contains(err.Error(), "user_lookup.csv.5 is missing") {
		t.Errorf("gap: err %v", err)
	}
	if _, err := Files(dir, "user"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing: err %v", err)
	}
	// A file that cannot be opened stops the reader.
	res = readFiles(tUserLookup, []string{files[0], dir + "/nope.csv"}, Options{})
	if res.err == nil || len(res.rows) != 1 {
		t.Errorf("rows %d err %v", len(res.rows), res.err)
	}
}

// The reader keeps a record only until the next one, whatever the file
// size: a record over the limit is rejected and reading goes on after it.
func TestRecordSizeLimit(t *testing.T) {
	big := strings.Repeat("x", 200<<10)
	in := "type,value,userid\r\nemail,\"" + big + "\",u1\r\nphone,p,u2\r\n"
	res := readString(tUserLookup, in, Options{MaxRecordBytes: 100 << 10})
	if res.err != nil || len(res.rows) != 1 || res.rows[0][1] != "p" {
		t.Fatalf("rows %v err %v", res.rows, res.err)
	}
	if len(res.rejects) != 1 || res.rejects[0].Line != 2 || !strings.HasPrefix(res.rejects[0].Reason, "record longer than") || len(res.rejects[0].Raw) != maxRaw {
		t.Errorf("rejects %v", res.rejects)
	}
	if !bytes.HasPrefix(res.rejects[0].Raw, []byte(`email,"xxx`)) {
		t.Errorf("raw %q", res.rejects[0].Raw[:20])
	}
}

func TestReaderSetupErrors(t *testing.T) {
	for name, r := range map[string]*Reader{
		"no files":    NewReader(nil, tUserLookup, Options{}),
		"no table":    NewStreamReader(strings.NewReader("a\r\n"), "in.csv", nil, Options{}),
		"bad dialect": NewStreamReader(strings.NewReader("a\r\n"), "in.csv", tUserLookup, Options{Dialect: 9}),
	} {
		if r.Next() || !errors.Is(r.Err(), ErrBadHeader) {
			t.Errorf("%s: err %v", name, r.Err())
		}
	}
}
