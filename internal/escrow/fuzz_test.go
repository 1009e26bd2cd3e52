package escrow

import (
	"bytes"
	"errors"
	"io"
	"os"
	"reflect"
	"strings"
	"testing"
)

// quoteField writes a value the way the quoting rules read it back.
func quoteField(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

func FuzzSplitLine(f *testing.F) {
	for _, s := range []string{
		"", "a|b|c", "a | b |", `"a|b"|c`, `"a""b"|`, `"open|x`, `x"y|z`,
		"3|x|Waco | corruption|TX", "a | | b", `"q" | r|"s | t"`, " \t|\t ", "é¦b¦\"c\"",
	} {
		f.Add(s, '|', false)
		f.Add(s, '|', true)
	}
	f.Add("a\tb", '\t', false)
	f.Add("a¦b", '¦', true)
	f.Fuzz(func(t *testing.T, line string, sep rune, keep bool) {
		if !validSep(sep) {
			sep = '|'
		}
		sp := newSplitter(sep)
		got, ok := splitStrings(&sp, line, keep)
		if !strings.Contains(line, `"`) {
			if !ok {
				t.Fatalf("%q: unterminated without any quote", line)
			}
			if !keep {
				parts := strings.Split(line, string(sep))
				for i := range parts {
					parts[i] = strings.TrimSpace(parts[i])
				}
				if !reflect.DeepEqual(got, parts) {
					t.Fatalf("%q: got %q, want %q", line, got, parts)
				}
			}
		}
		if !ok {
			return
		}
		if len(got) == 0 {
			t.Fatalf("%q: no fields", line)
		}
		if keep {
			if plain, ok := splitStrings(&sp, line, false); ok && len(got) > len(plain) {
				t.Fatalf("%q: repair produced more fields (%d) than the plain split (%d)", line, len(got), len(plain))
			}
		}
		// Whatever came out must survive being quoted and split again.
		enc := make([]string, len(got))
		for i, v := range got {
			enc[i] = quoteField(v)
		}
		again, ok := splitStrings(&sp, strings.Join(enc, string(sep)), keep)
		if !ok || !reflect.DeepEqual(again, got) {
			t.Fatalf("%q: round trip of %q gave %q (ok=%v)", line, got, again, ok)
		}
	})
}

// physicalLines counts lines the way the reader must: LF-terminated, the last
// one unterminated if not empty, a leading BOM ignored.
func physicalLines(data []byte) int64 {
	data = bytes.TrimPrefix(data, bom)
	n := int64(bytes.Count(data, []byte("\n")))
	if len(data) > 0 && data[len(data)-1] != '\n' {
		n++
	}
	return n
}

// checkInvariants reads data with one reader kind and checks the accounting
// that must hold for any input, then resumes from the middle and expects the
// same tail.
func checkInvariants[T any](t *testing.T, data []byte, newR newFunc[T], header bool, lineOf func(T) int64) {
	var rejects []Reject
	rd := newR(bytes.NewReader(data), Options{OnReject: func(r Reject) { rejects = append(rejects, r) }})
	var recs []T
	var positions []Position
	last := rd.Offset()
	for rd.Next() {
		recs = append(recs, rd.Record())
		p := rd.Position()
		if p.Offset < last || p.Offset > int64(len(data)) {
			t.Fatalf("offset %d after %d (input %d bytes)", p.Offset, last, len(data))
		}
		if p.Offset < int64(len(data)) && data[p.Offset-1] != '\n' {
			t.Fatalf("offset %d is not at a line start", p.Offset)
		}
		if p.Line != lineOf(rd.Record()) {
			t.Fatalf("position line %d, record line %d", p.Line, lineOf(rd.Record()))
		}
		last = p.Offset
		positions = append(positions, p)
	}
	if err := rd.Err(); err != nil {
		if header && (errors.Is(err, ErrMissingColumn) || errors.Is(err, ErrBadHeader)) {
			return
		}
		t.Fatalf("Err() = %v", err)
	}
	s := rd.Stats()
	if s.Lines != s.Records+s.Rejected+s.Blank {
		t.Fatalf("stats do not add up: %+v", s)
	}
	if int64(len(recs)) != s.Records || int64(len(rejects)) != s.Rejected+s.Blank {
		t.Fatalf("stats %+v, %d records, %d rejects", s, len(recs), len(rejects))
	}
	want := physicalLines(data)
	if header && want > 0 {
		want--
	}
	if s.Lines != want {
		t.Fatalf("counted %d lines, input has %d", s.Lines, want)
	}
	prev := int64(0)
	for _, r := range rejects {
		if r.Line <= prev || len(r.Raw) > maxRawBytes || r.Reason == "" {
			t.Fatalf("bad reject %+v after line %d", r, prev)
		}
		prev = r.Line
	}

	if len(recs) == 0 {
		return
	}
	k := len(recs) / 2
	rd2 := newR(bytes.NewReader(data), Options{Resume: &positions[k]})
	var tail []T
	for rd2.Next() {
		tail = append(tail, rd2.Record())
	}
	if rest := recs[k+1:]; rd2.Err() != nil || len(tail) != len(rest) || len(rest) > 0 && !reflect.DeepEqual(tail, rest) {
		t.Fatalf("resume at %+v: err %v, %d records, want %d", positions[k], rd2.Err(), len(tail), len(recs)-k-1)
	}
}

func FuzzReader(f *testing.F) {
	for _, name := range []string{"contacts.txt", "domain_contacts.txt", "organization.txt", "escrow_domains.txt"} {
		data, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(""))
	f.Add([]byte("\xEF\xBB\xBF\n\r\n \n"))
	f.Add([]byte("orgid|orgname|orgstreet|orgcity|orgstate|orgzip\n1|a | b|c|d|e|f|g\n\"2|x\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkInvariants(t, data, NewContactReader, false, func(r Contact) int64 { return r.Line })
		checkInvariants(t, data, NewDomainContactReader, false, func(r DomainContact) int64 { return r.Line })
		checkInvariants(t, data, NewEscrowDomainReader, false, func(r EscrowDomain) int64 { return r.Line })
		checkInvariants(t, data, NewOrganizationReader, true, func(r Organization) int64 { return r.Line })
	})
}

// Reading through a reader that hands out one byte at a time must give the
// same result as reading from memory: line assembly may not depend on how
// the input is chunked.
func TestOneByteReads(t *testing.T) {
	data, err := os.ReadFile("testdata/organization.txt")
	if err != nil {
		t.Fatal(err)
	}
	want := readAll(NewOrganizationReader, bytes.NewReader(data), Options{})
	got := readAll(NewOrganizationReader, oneByteReader{bytes.NewReader(data)}, Options{})
	if !reflect.DeepEqual(got, want) {
		t.Errorf("one-byte reads differ:\n got %+v\nwant %+v", got, want)
	}
}

type oneByteReader struct{ r io.Reader }

func (o oneByteReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	return o.r.Read(p[:1])
}
