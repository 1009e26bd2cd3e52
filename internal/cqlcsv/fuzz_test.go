package cqlcsv

import (
	"bytes"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// fzTable has every kind of column; its sets and top-level timestamp are
// what cqlsh writes lossily, which normalize accounts for.
var fzTable = table("ks", "fz", 1, "id text, n int, b boolean, ts timestamp, l list<text>, s set<text>, m map<text,frozen<list<text>>>, ct map<text,frozen<map<text,text>>>, x text")

// physicalLines counts LF-terminated lines, the last one unterminated if
// not empty, a leading BOM ignored.
func physicalLines(data []byte) int64 {
	data = bytes.TrimPrefix(data, bom)
	n := int64(bytes.Count(data, []byte("\n")))
	if len(data) > 0 && data[len(data)-1] != '\n' {
		n++
	}
	return n
}

func FuzzReader(f *testing.F) {
	hdr := "id,n,b,ts,l,s,m,ct,x\r\n"
	for _, s := range []string{
		"",
		hdr,
		hdr + "k,1,True,2019-01-09 11:20:31.123+0000,\"['a', 'b']\",{'x'},\"{'board': ['RBSE'], 'medium': ['Hindi']}\",\"{'t1': {'name': 'n''1', 'url': 'u'}}\",\"a\\nb\"\r\n",
		hdr + "k,,,,,,,,C:\\\\x\r\nj,-1,False,0,,,,,{\\\"a\\\":1}\r\n",
		hdr + "k,x,true,,,,,,\r\n,1,,,,,,,\r\n\r\nk,\"open",
		hdr + "k,1,,,,,,,\"two\nlines\"\nk2,2,,,,,,,\"x\"y\n",
		hdr + "a,1,,,,,,,\"x,\\\\n\"\r\nb,2,,,,,,,c\\\\d\r\n",
		"\ufeff" + hdr + "k,1,,,,,,,caf\xe9\r\nk,1,,,,,,,\x00\r\n",
		hdr + "k,1,,,,,,,a\rb\r\n\"k\"\"\",1,,,,,,,\r\n",
		"k,1,True,,,,,,x\r\n",
	} {
		for d := range 4 {
			f.Add([]byte(s), uint8(d), false)
		}
		f.Add([]byte(s), uint8(0), true)
	}
	f.Fuzz(func(t *testing.T, data []byte, d uint8, noHeader bool) {
		opts := Options{Dialect: Dialect(d % 4), NoHeader: noHeader, MaxRecordBytes: 64 << 10}
		if opts.Dialect == Load {
			opts.Null = LoadNull
		}
		var events []int64 // start lines of rows and rejects, in order
		var rejects []Reject
		opts.OnReject = func(r Reject) {
			events = append(events, r.Line)
			rejects = append(rejects, r)
		}
		r := NewStreamReader(bytes.NewReader(data), "fz.csv", fzTable, opts)
		var rows [][]any
		for r.Next() {
			events = append(events, r.Line())
			rows = append(rows, r.Row())
			if len(r.Row()) != len(fzTable.Columns) || len(r.Extra()) != len(r.Header().Extra) {
				t.Fatalf("row %v, extra %v", r.Row(), r.Extra())
			}
		}
		st := r.Stats()
		if err := r.Err(); err != nil {
			if noHeader || len(events) > 0 {
				t.Fatalf("error %v after %d events, noHeader %v", err, len(events), noHeader)
			}
			return
		}
		lines := physicalLines(data)
		if st.Lines != lines {
			t.Fatalf("stats %d lines, input has %d", st.Lines, lines)
		}
		first := int64(1)
		if !noHeader {
			first = 2
		}
		for i, l := range events {
			if l < first || l > lines || i > 0 && l <= events[i-1] {
				t.Fatalf("event %d at line %d (of %d): %v", i, l, lines, events)
			}
		}
		if int64(len(events)) != st.Records+st.Rejected+st.Blank || int64(len(rows)) != st.Records {
			t.Fatalf("%d events, %d rows, stats %+v", len(events), len(rows), st)
		}
		for _, rj := range rejects {
			if len(rj.Raw) > maxRaw || rj.Reason == "" || rj.File != "fz.csv" {
				t.Fatalf("reject %+v", rj)
			}
		}
		if !bytes.ContainsAny(data, "\"\\\r") {
			// Without quotes, escapes or CRs every line is a record.
			if want := lines - first + 1; int64(len(events)) != max(want, 0) {
				t.Fatalf("%d records in %d lines", len(events), lines)
			}
		}
		for _, row := range rows {
			checkTypes(t, row)
			// Whatever was accepted can be written again and reads back.
			checkRoundTrip(t, fzTable, row)
		}
	})
}

// checkTypes checks a row against the representation of doc.go.
func checkTypes(t *testing.T, row []any) {
	t.Helper()
	for i, v := range row {
		c := fzTable.Columns[i]
		if v == nil {
			if i < fzTable.KeyLen {
				t.Fatalf("null key in %v", row)
			}
			continue
		}
		ok := false
		switch c.Type.Kind {
		case Int:
			_, ok = v.(int64)
		case Boolean:
			_, ok = v.(bool)
		case Text:
			s, isStr := v.(string)
			ok = isStr && utf8.ValidString(s)
		case Timestamp:
			s, isStr := v.(string)
			if isStr {
				ms, valid := parseTimestamp([]byte(s))
				ok = valid && string(appendTimestamp(nil, ms)) == s
			}
		default:
			s, isStr := v.(string)
			if isStr {
				tree, err := parseJSON(s)
				ok = err == nil && tree != nil && s != "[]" && s != "{}"
			}
		}
		if !ok {
			t.Fatalf("column %s: %#v", c.Name, v)
		}
	}
}

func FuzzRoundTrip(f *testing.F) {
	f.Add("k", "plain", int64(1), true, int64(1546300800000), "a|b", "x=1|y=2")
	f.Add("it's", "a\nb\r\n\\c\"d", int64(-1), false, int64(0), "|''|\x7f|\u00a0", "=|\n=\t")
	f.Add("सुनीता", "", int64(1<<62), true, int64(-2208988800000), "", "k=")
	f.Add("x", LoadNull, int64(0), false, int64(253402300799999), "<NULL>", "a=b=c")
	f.Add("x", "nul\x00", int64(0), false, int64(7), "a,b", "{}=[]")
	f.Fuzz(func(t *testing.T, id, text string, n int64, b bool, ms int64, list, pairs string) {
		for _, s := range []string{id, text, list, pairs} {
			if !utf8.ValidString(s) {
				t.Skip("not UTF-8")
			}
		}
		// Years 1900..9999, which cqlsh formats without loss.
		const lo, hi = -2208988800000, 253402300799999
		ms = lo + (ms%(hi-lo)+(hi-lo))%(hi-lo)
		elems := strings.Split(list, "|")
		m := map[string]string{}
		fw := map[string]string{}
		ct := map[string]string{}
		for _, p := range strings.Split(pairs, "|") {
			k, v, _ := strings.Cut(p, "=")
			m[k] = v
			fw[k] = ListJSON(strings.Split(v, "="))
			ct[k] = MapJSON(map[string]string{v: k, "": text})
		}
		row := []any{"k" + id, n, text, n / 3, b, FormatTimestamp(time.UnixMilli(ms)), ListJSON(elems), ListJSON(elems), MapJSON(m), jsonObject(fw), jsonObject(ct), "[" + strings.Repeat("1,", len(elems)) + "2]", `["` + FormatTimestamp(time.UnixMilli(ms)) + `"]`}
		checkRoundTrip(t, rtTable, row)
	})
}
