package escrow

import (
	"reflect"
	"strings"
	"testing"
)

func splitStrings(sp *splitter, line string, keepSpaced bool) ([]string, bool) {
	f, ok := sp.split([]byte(line), keepSpaced)
	if !ok {
		return nil, false
	}
	out := make([]string, len(f))
	for i, b := range f {
		out[i] = string(b)
	}
	return out, true
}

func TestSplitLine(t *testing.T) {
	for _, tc := range []struct {
		name   string
		line   string
		sep    rune
		keep   bool
		want   []string
		failed bool
	}{
		{name: "plain", line: "a|b|c", want: []string{"a", "b", "c"}},
		{name: "empty line", line: "", want: []string{""}},
		{name: "only separators", line: "||", want: []string{"", "", ""}},
		{name: "trailing separator", line: "a|b|", want: []string{"a", "b", ""}},
		{name: "spaces trimmed", line: "  a |\tb\t| c  ", want: []string{"a", "b", "c"}},
		{name: "quoted", line: `"a"|"b|c"|d`, want: []string{"a", "b|c", "d"}},
		{name: "doubled quote", line: `"say ""hi"""|x`, want: []string{`say "hi"`, "x"}},
		{name: "quoted keeps inner spaces", line: `" a "| b `, want: []string{" a ", "b"}},
		{name: "blank before quote", line: `a|  "b|c"  |d`, want: []string{"a", "b|c", "d"}},
		{name: "text after closing quote", line: `"ab"cd|e`, want: []string{"abcd", "e"}},
		{name: "text after closing quote with space", line: `"ab" cd |e`, want: []string{"ab cd", "e"}},
		{name: "quote inside unquoted field", line: `a"b|c"`, want: []string{`a"b`, `c"`}},
		{name: "empty quoted", line: `""|""""`, want: []string{"", `"`}},
		{name: "quoted last field", line: `a|"b"`, want: []string{"a", "b"}},
		{name: "quoted then trailing sep", line: `a|"b"|`, want: []string{"a", "b", ""}},
		{name: "unterminated", line: `a|"b|c`, failed: true},
		{name: "unterminated after doubled", line: `"a""`, failed: true},
		{name: "tab separator", line: "a\t\tb", sep: '\t', want: []string{"a", "", "b"}},
		{name: "tab separator, quoted", line: "\"a\tb\"\t \"c\"", sep: '\t', want: []string{"a\tb", "c"}},
		{name: "multi-byte separator", line: "a ¦ b¦\"c¦d\"", sep: '¦', want: []string{"a", "b", "c¦d"}},
		{name: "comma separator", line: "a, b,c", sep: ',', want: []string{"a", "b", "c"}},

		{name: "repair", line: "3|x|Waco | corruption|TX", keep: true, want: []string{"3", "x", "Waco | corruption", "TX"}},
		{name: "repair needs both spaces", line: "a |b| c", keep: true, want: []string{"a", "b", "c"}},
		{name: "repair chain", line: "a | b | c|d", keep: true, want: []string{"a | b | c", "d"}},
		// Non-overlapping, like a textual replace: the middle space serves
		// only the first separator.
		{name: "repair overlap", line: "a | | b", keep: true, want: []string{"a |", "b"}},
		{name: "repair at start", line: " | a|b", keep: true, want: []string{"| a", "b"}},
		{name: "repair with quotes", line: `"q" | r|"s | t"`, keep: true, want: []string{"q | r", "s | t"}},
		{name: "repair off", line: "a | b", want: []string{"a", "b"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sep := tc.sep
			if sep == 0 {
				sep = '|'
			}
			sp := newSplitter(sep)
			got, ok := splitStrings(&sp, tc.line, tc.keep)
			if ok == tc.failed {
				t.Fatalf("ok = %v, want %v (fields %q)", ok, !tc.failed, got)
			}
			if ok && !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// Fields from one call must survive until the next: quoted content lives in
// the scratch buffer and must not be overwritten by later fields.
func TestSplitLineFieldsStable(t *testing.T) {
	sp := newSplitter('|')
	line := `"aaaa"|"bbbb"|"cc""cc"|dd`
	f, ok := sp.split([]byte(line), false)
	if !ok {
		t.Fatal("not ok")
	}
	var got []string
	for _, b := range f {
		got = append(got, string(b))
	}
	if want := []string{"aaaa", "bbbb", `cc"cc`, "dd"}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	// A shorter line afterwards reuses the buffers without trouble.
	f, _ = sp.split([]byte(`"x"`), false)
	if len(f) != 1 || string(f[0]) != "x" {
		t.Errorf("second split: %q", f)
	}
}

func TestSplitPlainAllocs(t *testing.T) {
	sp := newSplitter('|')
	line := []byte(strings.Repeat("field | ", 20) + "last")
	sp.split(line, false) // grow the field slice once
	allocs := testing.AllocsPerRun(100, func() { sp.split(line, false) })
	if allocs != 0 {
		t.Errorf("plain split allocates %v times per line, want 0", allocs)
	}
	qline := []byte(strings.Repeat(`"field" | `, 20) + "last")
	sp.split(qline, false)
	if allocs := testing.AllocsPerRun(100, func() { sp.split(qline, false) }); allocs != 0 {
		t.Errorf("quoted split allocates %v times per line once warm, want 0", allocs)
	}
}
