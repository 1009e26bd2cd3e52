package harness

import (
	"reflect"
	"strings"
	"testing"
)

const sampleTrace = `{
  "seconds": 10.5,
  "statements": [
    {"statement": "INSERT INTO domain", "calls": 2, "rows": 100, "seconds": 6, "failed": 0},
    {"statement": "COPY load_contact", "calls": 1, "rows": 50, "seconds": 3, "failed": 0},
    {"statement": "SELECT 1", "calls": 10, "rows": 10, "seconds": 0.5, "failed": 1},
    {"statement": "UPDATE ferry_job SET phase", "calls": 4, "rows": 4, "seconds": 0.5, "failed": 0}
  ]
}`

func TestParseTrace(t *testing.T) {
	tr, err := ParseTrace(strings.NewReader(sampleTrace))
	if err != nil {
		t.Fatal(err)
	}
	if tr.Seconds != 10.5 || len(tr.Statements) != 4 {
		t.Fatalf("got %+v", tr)
	}
	want := TraceStatement{Statement: "SELECT 1", Calls: 10, Rows: 10, Seconds: 0.5, Failed: 1}
	if tr.Statements[2] != want {
		t.Errorf("statement 2 = %+v, want %+v", tr.Statements[2], want)
	}
	if _, err := ParseTrace(strings.NewReader("not json")); err == nil {
		t.Error("ParseTrace accepted a broken file")
	}
}

func TestMergeTraces(t *testing.T) {
	a := Trace{Seconds: 2, Statements: []TraceStatement{
		{Statement: "A", Calls: 1, Rows: 10, Seconds: 1},
		{Statement: "B", Calls: 2, Rows: 0, Seconds: 0.25, Failed: 1},
	}}
	b := Trace{Seconds: 3, Statements: []TraceStatement{
		{Statement: "B", Calls: 3, Rows: 7, Seconds: 1.5},
		{Statement: "C", Calls: 1, Rows: 1, Seconds: 1},
		{Statement: "B", Calls: 1, Rows: 1, Seconds: 0.25},
	}}
	got := MergeTraces(a, b)
	want := Trace{Seconds: 5, Statements: []TraceStatement{
		{Statement: "B", Calls: 6, Rows: 8, Seconds: 2, Failed: 1},
		// A and C tie on seconds: by name.
		{Statement: "A", Calls: 1, Rows: 10, Seconds: 1},
		{Statement: "C", Calls: 1, Rows: 1, Seconds: 1},
	}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("MergeTraces =\n%+v\nwant\n%+v", got, want)
	}
}

func TestSummarize(t *testing.T) {
	tr, err := ParseTrace(strings.NewReader(sampleTrace))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		n        int
		share    float64
		top      []string
		left     int
		restSecs float64
	}{
		{"all fit", 10, 0, []string{"INSERT INTO domain", "COPY load_contact", "SELECT 1", "UPDATE ferry_job SET phase"}, 0, 0},
		{"at most two", 2, 0, []string{"INSERT INTO domain", "COPY load_contact"}, 2, 1},
		// 0.5 s of 10 s is 5%: below a 10% share.
		{"share cut", 10, 0.10, []string{"INSERT INTO domain", "COPY load_contact"}, 2, 1},
		{"share exactly met", 10, 0.05, []string{"INSERT INTO domain", "COPY load_contact", "SELECT 1", "UPDATE ferry_job SET phase"}, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := tr.Summarize(tc.n, tc.share)
			var top []string
			for _, st := range s.Top {
				top = append(top, st.Statement)
			}
			if !reflect.DeepEqual(top, tc.top) {
				t.Errorf("top = %q, want %q", top, tc.top)
			}
			if s.Left != tc.left || s.Rest.Seconds != tc.restSecs {
				t.Errorf("rest = %d statements, %v s; want %d, %v s", s.Left, s.Rest.Seconds, tc.left, tc.restSecs)
			}
			wantAll := TraceStatement{Statement: "all statements", Calls: 17, Rows: 164, Seconds: 10, Failed: 1}
			if s.All != wantAll || s.Wall != 10.5 || s.Statements != 4 {
				t.Errorf("all = %+v, wall %v, %d statements", s.All, s.Wall, s.Statements)
			}
		})
	}
}

func TestSummaryTable(t *testing.T) {
	tr, err := ParseTrace(strings.NewReader(sampleTrace))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := tr.Summarize(2, 0).Table().WriteText(&b); err != nil {
		t.Fatal(err)
	}
	want := `seconds   share  calls  rows  failed  statement
  6.000   60.0%      2   100       0  INSERT INTO domain
  3.000   30.0%      1    50       0  COPY load_contact
  1.000   10.0%     14    14       1  2 other statements
 10.000  100.0%     17   164       1  all statements
`
	if b.String() != want {
		t.Errorf("table =\n%s\nwant\n%s", b.String(), want)
	}
}
