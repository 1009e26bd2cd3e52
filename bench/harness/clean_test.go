package harness

import (
	"strings"
	"testing"
)

func TestFieldCount(t *testing.T) {
	for _, tc := range []struct {
		line string
		want int
	}{
		{"", 0},
		{"a", 1},
		{"|", 2},
		{"a|b|c", 3},
		{"|b|", 3},
		{"a||c||", 5},
	} {
		if got := FieldCount([]byte(tc.line), '|'); got != tc.want {
			t.Errorf("FieldCount(%q) = %d, want %d", tc.line, got, tc.want)
		}
	}
}

func TestColumnCount(t *testing.T) {
	for _, tc := range []struct {
		name   string
		in     string
		header bool
		want   int
	}{
		{"empty file", "", false, 0},
		{"only blank lines", "\n\n\r\n", false, 0},
		{"one shape", "a|b\nc|d\n", false, 2},
		{"the most frequent count wins", "a|b|c\nd|e\nf|g|h\ni|j|k\n", false, 3},
		{"a tie goes to the smaller count", "a|b|c\nd|e\n", false, 2},
		{"blank lines do not count", "\n\n\na|b\n", false, 2},
		// The header has four fields but is skipped.
		{"the header is skipped", "h1|h2|h3|h4\na|b\nc|d\n", true, 2},
		{"without the header flag it counts", "h1|h2|h3\nh1|h2|h3\na|b\n", false, 3},
		{"CRLF ends and no final newline", "a|b\r\nc|d\r\ne|f", false, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ColumnCount(strings.NewReader(tc.in), '|', tc.header)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("ColumnCount = %d, want %d", got, tc.want)
			}
		})
	}
}

func TestClean(t *testing.T) {
	for _, tc := range []struct {
		name   string
		in     string
		header bool
		want   int
		out    string
		stats  CleanStats
	}{
		{
			name: "CRs stripped, wrong counts and blank lines dropped",
			in:   "a|b|c\r\n\r\nd|e\r\nf|g|h\n\ni|j|k|l\n",
			want: 3,
			out:  "a|b|c\nf|g|h\n",
			// Six data lines: two of three fields, two blank, two of other counts.
			stats: CleanStats{Columns: 3, Lines: 6, Kept: 2},
		},
		{
			name:   "the header is kept and not counted",
			in:     "id|name\r\n1|x\n2|y|z\n3|w",
			header: true,
			want:   2,
			out:    "id|name\n1|x\n3|w\n",
			stats:  CleanStats{Columns: 2, Lines: 3, Kept: 2},
		},
		{
			name:   "a header-only file",
			in:     "id|name\n",
			header: true,
			want:   2,
			out:    "id|name\n",
			stats:  CleanStats{Columns: 2},
		},
		{
			name:  "only one CR is stripped",
			in:    "a|b\r\r\n",
			want:  2,
			out:   "a|b\r\n",
			stats: CleanStats{Columns: 2, Lines: 1, Kept: 1},
		},
		{
			name:  "quotes counted in the lines kept only",
			in:    "a|\"b\n\"c|d|e\nf|g\n",
			want:  2,
			out:   "a|\"b\nf|g\n",
			stats: CleanStats{Columns: 2, Lines: 3, Kept: 2, Quoted: 1},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out strings.Builder
			st, err := Clean(&out, strings.NewReader(tc.in), '|', tc.header, tc.want)
			if err != nil {
				t.Fatal(err)
			}
			if out.String() != tc.out {
				t.Errorf("output = %q, want %q", out.String(), tc.out)
			}
			if st != tc.stats {
				t.Errorf("stats = %+v, want %+v", st, tc.stats)
			}
			if st.Dropped() != tc.stats.Lines-tc.stats.Kept {
				t.Errorf("Dropped = %d", st.Dropped())
			}
		})
	}
}
