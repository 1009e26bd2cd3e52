package harness

import (
	"strings"
	"testing"
)

func sampleTable() Table {
	t := Table{Header: []string{"engine", "s", "note"}, Right: []bool{false, true}}
	t.AddRow("postgres", "12.50", "a | b")
	t.AddRow("sqlite", "3.00")
	return t
}

func TestTableText(t *testing.T) {
	var b strings.Builder
	if err := sampleTable().WriteText(&b); err != nil {
		t.Fatal(err)
	}
	// Columns padded to the widest cell, numbers right-aligned, no
	// trailing blanks, missing cells empty.
	want := "engine        s  note\n" +
		"postgres  12.50  a | b\n" +
		"sqlite     3.00\n"
	if b.String() != want {
		t.Errorf("got\n%q\nwant\n%q", b.String(), want)
	}
}

func TestTableMarkdown(t *testing.T) {
	var b strings.Builder
	if err := sampleTable().WriteMarkdown(&b); err != nil {
		t.Fatal(err)
	}
	want := "| engine | s | note |\n" +
		"|---|--:|---|\n" +
		"| postgres | 12.50 | a \\| b |\n" +
		"| sqlite | 3.00 |  |\n"
	if b.String() != want {
		t.Errorf("got\n%q\nwant\n%q", b.String(), want)
	}
}

func sampleReport() *Report {
	r := &Report{}
	r.Heading(1, "bench")
	r.Lines("date: today", "commit: abc")
	r.Heading(2, "Time")
	r.Table(Table{Header: []string{"a", "b"}, Right: []bool{false, true}, Rows: [][]string{{"x", "1"}}})
	r.Paragraph("Some words.")
	r.Lines() // nothing
	return r
}

func TestReportText(t *testing.T) {
	var b strings.Builder
	if err := sampleReport().WriteText(&b); err != nil {
		t.Fatal(err)
	}
	want := `bench
=====

date: today
commit: abc

Time
----

a  b
x  1

Some words.
`
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}

func TestReportMarkdown(t *testing.T) {
	var b strings.Builder
	if err := sampleReport().WriteMarkdown(&b, 2); err != nil {
		t.Fatal(err)
	}
	want := "## bench\n\n" +
		"```\ndate: today\ncommit: abc\n```\n\n" +
		"### Time\n\n" +
		"| a | b |\n|---|--:|\n| x | 1 |\n\n" +
		"Some words.\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}

func TestNumbers(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{Secs(1.005), "1.00"}, // binary 1.005 is just below
		{Secs(12.346), "12.35"},
		{Ratio(10, 4), "2.50"},
		{Ratio(10, 0), "n/a"},
		{Ratio(-1, 3), "n/a"},
		{Percent(1, 8), "12.5%"},
		{Percent(1, 0), "n/a"},
		{PerSecond(1000, 4), "250"},
		{PerSecond(1000, 0), "n/a"},
		{MB(0), "-"},
		{MB(1536), "2"}, // 1.5 MB rounds to even
		{MB(21 * 1024), "21"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}
