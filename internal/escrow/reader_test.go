package escrow

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// result is everything a reader produced.
type result[T any] struct {
	recs    []T
	rejects []Reject
	stats   Stats
	err     error
	pos     Position
}

type newFunc[T any] func(io.Reader, Options) *Reader[T]

func readAll[T any](newR newFunc[T], in io.Reader, opts Options) result[T] {
	var res result[T]
	opts.OnReject = func(r Reject) { res.rejects = append(res.rejects, r) }
	rd := newR(in, opts)
	for rd.Next() {
		res.recs = append(res.recs, rd.Record())
	}
	res.stats, res.err, res.pos = rd.Stats(), rd.Err(), rd.Position()
	return res
}

func readFile[T any](t *testing.T, newR newFunc[T], path string) result[T] {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return readAll(newR, bytes.NewReader(data), Options{File: filepath.Base(path)})
}

// wantReject is a reject expected at a line; reason is matched as a substring.
type wantReject struct {
	line   int64
	reason string
}

func checkResult[T any](t *testing.T, got result[T], file string, want []T, rejects []wantReject, stats Stats) {
	t.Helper()
	if got.err != nil {
		t.Fatalf("Err() = %v", got.err)
	}
	if len(got.recs) != len(want) {
		t.Errorf("got %d records, want %d", len(got.recs), len(want))
	}
	for i := range min(len(got.recs), len(want)) {
		if !reflect.DeepEqual(got.recs[i], want[i]) {
			t.Errorf("record %d:\n got %+v\nwant %+v", i, got.recs[i], want[i])
		}
	}
	if len(got.rejects) != len(rejects) {
		t.Errorf("got %d rejects, want %d: %v", len(got.rejects), len(rejects), got.rejects)
	}
	for i := range min(len(got.rejects), len(rejects)) {
		g, w := got.rejects[i], rejects[i]
		if g.Line != w.line || !strings.Contains(g.Reason, w.reason) || g.File != file {
			t.Errorf("reject %d = %v, want %s:%d: ...%s...", i, g, file, w.line, w.reason)
		}
	}
	if got.stats != stats {
		t.Errorf("Stats() = %+v, want %+v", got.stats, stats)
	}
	s := got.stats
	if s.Lines != s.Records+s.Rejected+s.Blank {
		t.Errorf("Stats() %+v: lines do not add up", s)
	}
}

func TestDomainContactReader(t *testing.T) {
	got := readFile(t, NewDomainContactReader, "testdata/domain_contacts.txt")
	checkResult(t, got, "domain_contacts.txt", []DomainContact{
		{Line: 1, Domain: "anomaly.gov", ContactID: "ANOMALY", Role: "tech"},
		{Line: 2, Domain: "testdomain.gov", ContactID: "TESTUSER", Role: "admin"},
		{Line: 5, Domain: "quoted.gov", ContactID: `USER"1`, Role: "billing"},
		{Line: 12, Domain: "fake.gov", ContactID: "USER5", Role: ""},
		{Line: 13, Domain: "fakewebsite1", ContactID: "USER6", Role: "admin"},
	}, []wantReject{
		{3, "blank line"},
		{4, "blank line"},
		{6, "wrong column count: got 2, want 3"},
		{7, "wrong column count: got 4, want 3"},
		{8, `invalid domain "bad_domain.gov"`},
		{9, "empty domain"},
		{10, "empty contact id"},
		{11, "unterminated quote"},
	}, Stats{Lines: 13, Records: 5, Rejected: 6, Blank: 2})
	if raw := got.rejects[1].Raw; raw != "   \t " {
		t.Errorf("blank reject Raw = %q, want the whitespace without CR", raw)
	}
	if raw := got.rejects[5].Raw; raw != "|USER3|tech" {
		t.Errorf("Raw = %q", raw)
	}
}

func TestContactReader(t *testing.T) {
	got := readFile(t, NewContactReader, "testdata/contacts.txt")
	checkResult(t, got, "contacts.txt", []Contact{
		{Line: 1, ID: "TESTUSER", Email: "Test.User@Example.com"},
		{Line: 2, ID: "USER1", Email: "agustina@test.com"},
		{Line: 3, ID: "USER2", Email: ""},
		{Line: 9, ID: "USER7", Email: "spaced@test.com"},
		{Line: 10, ID: "USER8", Email: "user8@test.com"},
	}, []wantReject{
		{4, "invalid e-mail in column 7"},
		{5, "invalid e-mail"},
		{6, "empty contact id"},
		{7, "wrong column count: got 5, want at least 7"},
		{8, "blank line"},
		{11, "invalid e-mail"},
		{12, "invalid e-mail"},
		{13, "invalid e-mail"},
	}, Stats{Lines: 13, Records: 5, Rejected: 7, Blank: 1})
}

func TestDomainStatusReader(t *testing.T) {
	got := readFile(t, NewDomainStatusReader, "testdata/domain_statuses.txt")
	checkResult(t, got, "domain_statuses.txt", []DomainStatus{
		{Line: 1, Domain: "anomaly.gov", Status: "muahaha"},
		{Line: 2, Domain: "testdomain.gov", Status: "ok"},
		{Line: 3, Domain: "fakewebsite1.gov", Status: "serverhold"},
		{Line: 4, Domain: "fakewebsite1.gov", Status: "clienthold"},
		{Line: 5, Domain: "fakewebsite2.gov", Status: "hold"},
	}, []wantReject{
		{6, "empty status"},
		{7, "wrong column count: got 3, want 2"},
		{8, "blank line"},
		{9, `invalid domain "-bad-.gov"`},
	}, Stats{Lines: 9, Records: 5, Rejected: 3, Blank: 1})
}

func TestEscrowDomainReader(t *testing.T) {
	got := readFile(t, NewEscrowDomainReader, "testdata/escrow_domains.txt")
	checkResult(t, got, "escrow_domains.txt", []EscrowDomain{
		{Line: 1, Domain: "testdomain.gov", Created: Date{2014, 3, 15, true}, Expires: Date{2023, 3, 15, true}},
		{Line: 2, Domain: "nodates.gov"},
		{Line: 3, Domain: "baredate.gov", Created: Date{2020, 6, 14, true}, Expires: Date{2023, 6, 14, true}},
		// 23:30 at UTC-5 is already the next day in UTC.
		{Line: 7, Domain: "offset.gov", Created: Date{2020, 6, 15, true}, Expires: Date{2023, 6, 14, true}},
	}, []wantReject{
		{4, `bad CrDate "2020-13-01T00:00:00Z"`},
		{5, `bad ExDate "2023-02-30T00:00:00Z"`},
		{6, "wrong column count: got 3, want 13"},
		{8, "blank line"},
		{9, "wrong column count: got 14, want 13"},
	}, Stats{Lines: 9, Records: 4, Rejected: 4, Blank: 1})
	if s := got.recs[1].Created.String(); s != "" {
		t.Errorf("unset date String() = %q", s)
	}
	if s := got.recs[0].Expires.String(); s != "2023-03-15" {
		t.Errorf("String() = %q", s)
	}
}

func TestOrganizationReader(t *testing.T) {
	got := readFile(t, NewOrganizationReader, "testdata/organization.txt")
	checkResult(t, got, "organization.txt", []Organization{
		{Line: 2, ID: "1", Name: "Flashdog", Street: "298 Monument Hill", City: "Lakeland", State: "Florida", Zip: "33805", Country: "US"},
		{Line: 3, ID: "3", Name: "corrupt data", Street: "376 Joe Pass", City: "Waco | corruption", State: "Texas", Zip: "76705", Country: "US"},
		{Line: 5, ID: "5", Name: "Short", Street: "1 Main St"},
		{Line: 8, ID: "6", Name: "Trailing", Street: "St", City: "City", State: "Ohio", Zip: "12345", Country: "US"},
		{Line: 9, ID: "7", Name: "Quoted | Name", Street: "St", City: "City", State: "Ohio", Zip: "1", Country: "US"},
		{Line: 10, ID: "8", Name: "Spaced", Street: "1 Elm St", City: "Springfield", State: "Illinois", Zip: "62701", Country: "US"},
		{Line: 11, ID: "9", Name: "Two | bars | here", Street: "St", City: "City", State: "Ohio", Zip: "1", Country: "US"},
	}, []wantReject{
		{4, "too many fields: got 10, header has 8"},
		{6, "empty orgid"},
		{7, "blank line"},
	}, Stats{Lines: 10, Records: 7, Rejected: 2, Blank: 1})
}

func TestDomainTypeReader(t *testing.T) {
	got := readFile(t, NewDomainTypeReader, "testdata/domain_types.txt")
	checkResult(t, got, "domain_types.txt", []DomainType{
		{Line: 2, ID: "14", Name: "Federal - Legislative", OrgType: "Federal", FederalType: "Legislative", Active: true},
		{Line: 3, ID: "4", Name: "Federal-Executive", OrgType: "Federal", FederalType: "Executive", Active: true},
		{Line: 4, ID: "8", Name: "Not Top-Level", OrgType: "Not Top", FederalType: "Level", Active: false},
		{Line: 5, ID: "13", Name: "City", OrgType: "City", Active: true},
		{Line: 10, ID: "17", Name: "Independent Intrastate", OrgType: "Independent Intrastate", Active: false},
	}, []wantReject{
		{6, `invalid domain type "A - B - C"`},
		{7, "invalid domain type"},
		{8, "empty domaintypeid"},
		{9, `invalid domain type ""`},
	}, Stats{Lines: 9, Records: 5, Rejected: 4})
}

func TestAgencyReader(t *testing.T) {
	got := readFile(t, NewAgencyReader, "testdata/agencies.txt")
	checkResult(t, got, "agencies.txt", []Agency{
		{Line: 2, ID: "1", Name: "Thoughtstorm", Active: false, Federal: true},
		{Line: 3, ID: "2", Name: "Minyx", Active: true, Federal: false},
		{Line: 4, ID: "4", Name: "Department of Commerce", Active: true, Federal: true},
		{Line: 6, ID: "5", Name: "InnoZ"},
	}, []wantReject{
		{5, "empty agencyid"},
	}, Stats{Lines: 5, Records: 4, Rejected: 1})
}

func TestAuthorityReader(t *testing.T) {
	got := readFile(t, NewAuthorityReader, "testdata/authorities.txt")
	checkResult(t, got, "authorities.txt", []Authority{
		{Line: 2, ID: "1", First: "Gregoor", Middle: "middle", Last: "Kalinke", Email: "gkalinke0@indiegogo.com", Phone: "(773) 172-5515", AgencyID: "1"},
		{Line: 3, ID: "2", First: "Fayre", Last: "Filippozzi", Email: "ffilippozzi1@hugedomains.com", Phone: "(357) 487-4280", AgencyID: "2"},
		{Line: 4, ID: "3", First: "Gabey", Last: "Lightbody", Email: "not an e-mail", Phone: "(332) 816-5691", AgencyID: "3"},
		{Line: 7, ID: "5", First: "Joe", Middle: `de "la" Cruz`, Last: "Smoe", Email: "joe@smoe.gov", Phone: "(111) 111-1111", AgencyID: "5"},
	}, []wantReject{
		{5, "empty authorityid"},
		{6, "blank line"},
		{8, "unterminated quote"},
	}, Stats{Lines: 7, Records: 4, Rejected: 2, Blank: 1})
}

func TestAdditionalReader(t *testing.T) {
	got := readFile(t, NewAdditionalReader, "testdata/additional.txt")
	checkResult(t, got, "additional.txt", []Additional{
		{Line: 2, Domain: "anomaly.gov", DomainTypeID: "1", AuthorityID: "1", OrgID: "1"},
		{Line: 3, Domain: "testdomain.gov", DomainTypeID: "2", AuthorityID: "2", OrgID: "2"},
		{Line: 6, Domain: "fakewebsite3.gov", DomainTypeID: "13", AuthorityID: "5"},
	}, []wantReject{
		{4, "empty domainname"},
		{5, `invalid domainname "not a domain"`},
	}, Stats{Lines: 5, Records: 3, Rejected: 2})
}

// The testdata files must keep their CRLF line ends and BOMs; a checkout
// that converts them would quietly weaken the tests above.
func TestTestdataBytes(t *testing.T) {
	for _, tc := range []struct {
		file            string
		bom, crlf, endN bool
	}{
		{"domain_contacts.txt", true, true, false},
		{"organization.txt", true, true, true},
		{"contacts.txt", false, false, true},
		{"escrow_domains.txt", false, false, false},
	} {
		data, err := os.ReadFile(filepath.Join("testdata", tc.file))
		if err != nil {
			t.Fatal(err)
		}
		if got := bytes.HasPrefix(data, bom); got != tc.bom {
			t.Errorf("%s: BOM = %v, want %v", tc.file, got, tc.bom)
		}
		if got := bytes.Contains(data, []byte("\r\n")); got != tc.crlf {
			t.Errorf("%s: CRLF = %v, want %v", tc.file, got, tc.crlf)
		}
		if got := bytes.HasSuffix(data, []byte("\n")); got != tc.endN {
			t.Errorf("%s: final newline = %v, want %v", tc.file, got, tc.endN)
		}
	}
}

func TestHeaderErrors(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     error
		msg      []string
	}{
		{"missing column", "orgid|orgname|orgstreet|orgstate|orgzip|orgcountrycode\n1|a|b|c|d|e\n",
			ErrMissingColumn, []string{"org.txt", `"orgcity"`}},
		{"several missing", "orgid|orgname\n",
			ErrMissingColumn, []string{`"orgstreet", "orgcity", "orgstate", "orgzip"`}},
		{"optional column absent is fine", "orgid|orgname|orgstreet|orgcity|orgstate|orgzip\n1|a|b|c|d|e\n", nil, nil},
		{"empty file", "", ErrMissingColumn, []string{"empty"}},
		{"blank first line", "\norgid|orgname|orgstreet|orgcity|orgstate|orgzip\n", ErrMissingColumn, nil},
		{"quote in header", "\"orgid|orgname\n", ErrBadHeader, []string{"line 1", "unterminated quote"}},
		{"header with BOM and odd case", "\xEF\xBB\xBFORGID | OrgName|orgstreet|orgcity|orgstate|orgzip\r\n1|a|b|c|d|e\r\n", nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := readAll(NewOrganizationReader, strings.NewReader(tc.in), Options{File: "org.txt"})
			if tc.want == nil && tc.msg == nil {
				if got.err != nil || len(got.recs) != 1 {
					t.Fatalf("err %v, %d records", got.err, len(got.recs))
				}
				return
			}
			if got.err == nil {
				t.Fatal("want an error")
			}
			if tc.want != nil && !errors.Is(got.err, tc.want) {
				t.Errorf("Err() = %v, want %v", got.err, tc.want)
			}
			for _, m := range tc.msg {
				if !strings.Contains(got.err.Error(), m) {
					t.Errorf("Err() = %q, want it to mention %s", got.err, m)
				}
			}
			if len(got.recs) != 0 {
				t.Errorf("records after a fatal header error: %v", got.recs)
			}
		})
	}
	// The file path in the testdata variant.
	got := readFile(t, NewOrganizationReader, "testdata/organization_missing_col.txt")
	if !errors.Is(got.err, ErrMissingColumn) || !strings.Contains(got.err.Error(), "organization_missing_col.txt") {
		t.Errorf("Err() = %v", got.err)
	}
}

func TestSeparatorOption(t *testing.T) {
	in := "D1.gov\tC1\tADMIN\n\"A\tB.gov\"\tC2\ttech\nd3.gov ¦ C3\n"
	got := readAll(NewDomainContactReader, strings.NewReader(in), Options{Sep: '\t'})
	if len(got.recs) != 1 || got.recs[0].Domain != "d1.gov" || got.recs[0].Role != "admin" {
		t.Errorf("tab: %+v", got.recs)
	}
	if len(got.rejects) != 2 || !strings.Contains(got.rejects[0].Reason, "invalid domain") {
		t.Errorf("tab rejects: %v", got.rejects)
	}

	got = readAll(NewDomainContactReader, strings.NewReader("d3.gov ¦ C3 ¦ tech\n"), Options{Sep: '¦'})
	if len(got.recs) != 1 || got.recs[0].ContactID != "C3" {
		t.Errorf("multi-byte separator: %+v %v", got.recs, got.rejects)
	}

	for _, sep := range []rune{'"', '\n', '\r', ' ', 0xD800, -1} {
		got = readAll(NewDomainContactReader, strings.NewReader("a|b|c\n"), Options{Sep: sep})
		if !errors.Is(got.err, ErrBadSeparator) {
			t.Errorf("Sep %q: Err() = %v, want ErrBadSeparator", sep, got.err)
		}
	}
}

func TestLineEnds(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		recs     int
		lines    int64
		blank    int64
		offset   int64
	}{
		{"empty", "", 0, 0, 0, 0},
		{"only BOM", "\xEF\xBB\xBF", 0, 0, 0, 0},
		{"BOM and newline", "\xEF\xBB\xBF\n", 0, 1, 1, 0},
		{"no final newline", "a.gov|ok", 1, 1, 0, 8},
		{"CR at EOF", "a.gov|ok\r", 1, 1, 0, 9},
		{"CRLF", "a.gov|ok\r\nb.gov|ok\r\n", 2, 2, 0, 20},
		{"mixed", "a.gov|ok\nb.gov|ok\r\n\r\n", 2, 3, 1, 19},
		{"trailing blank lines", "a.gov|ok\n\n  \n", 1, 3, 2, 9},
		{"bare CR is not a line end", "a.gov|ok\rb.gov|ok\n", 0, 1, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := readAll(NewDomainStatusReader, strings.NewReader(tc.in), Options{})
			if got.err != nil {
				t.Fatal(got.err)
			}
			if len(got.recs) != tc.recs || got.stats.Lines != tc.lines || got.stats.Blank != tc.blank || got.pos.Offset != tc.offset {
				t.Errorf("records %d lines %d blank %d offset %d, want %d %d %d %d",
					len(got.recs), got.stats.Lines, got.stats.Blank, got.pos.Offset,
					tc.recs, tc.lines, tc.blank, tc.offset)
			}
		})
	}
}

func TestInvalidBytes(t *testing.T) {
	in := "a.gov|ok\nb\xffc.gov|ok\nd.gov|o\x00k\ne.gov|ok\n"
	got := readAll(NewDomainStatusReader, strings.NewReader(in), Options{})
	if len(got.recs) != 2 || len(got.rejects) != 2 ||
		got.rejects[0].Reason != "invalid UTF-8" || got.rejects[1].Reason != "NUL byte" {
		t.Errorf("records %v rejects %v", got.recs, got.rejects)
	}
}

func TestLongLine(t *testing.T) {
	long := strings.Repeat("x", maxLineBytes+10)
	in := "a.gov|ok\n" + long + "|ok\nb.gov|ok\n" + "x" + strings.Repeat("é", maxLineBytes) + "\nc.gov|ok"
	got := readAll(NewDomainStatusReader, strings.NewReader(in), Options{})
	if got.err != nil {
		t.Fatal(got.err)
	}
	if len(got.recs) != 3 || got.recs[2].Line != 5 || len(got.rejects) != 2 {
		t.Fatalf("records %+v, %d rejects", got.recs, len(got.rejects))
	}
	for _, rj := range got.rejects {
		if !strings.Contains(rj.Reason, "line too long") || len(rj.Raw) > maxRawBytes {
			t.Errorf("reject line %d: %q, Raw %d bytes", rj.Line, rj.Reason, len(rj.Raw))
		}
	}
	// "x" and then two-byte runes: byte 512 falls inside a rune.
	if raw := got.rejects[1].Raw; !strings.HasPrefix(raw, "xéé") || len(raw) != maxRawBytes-1 || !utf8.ValidString(raw) {
		t.Errorf("Raw cut inside a rune or too short: %d bytes", len(got.rejects[1].Raw))
	}
	if got.pos.Offset != int64(len(in)) {
		t.Errorf("Offset = %d, want %d", got.pos.Offset, len(in))
	}
}

func TestLineSourceLimit(t *testing.T) {
	for _, tc := range []struct {
		in      string
		max     int
		tooLong []bool
	}{
		{"abcd\nabcde\nabcdef\r\nab", 5, []bool{false, false, true, false}},
		{"abcdef", 5, []bool{true}},
		{"abcde\r\n", 5, []bool{false}},
	} {
		s := newLineSource(strings.NewReader(tc.in))
		s.max = tc.max
		var got []bool
		for {
			_, tl, err := s.next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, tl)
		}
		if !reflect.DeepEqual(got, tc.tooLong) || s.off != int64(len(tc.in)) {
			t.Errorf("%q: tooLong %v, want %v; offset %d", tc.in, got, tc.tooLong, s.off)
		}
	}
}

// failingReader returns some data and then an error.
type failingReader struct {
	data string
	err  error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if f.data == "" {
		return 0, f.err
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

func TestIOError(t *testing.T) {
	boom := errors.New("disk on fire")
	got := readAll(NewDomainStatusReader, &failingReader{data: "a.gov|ok\nb.gov|ok\nc.go", err: boom}, Options{File: "s.txt"})
	if !errors.Is(got.err, boom) || len(got.recs) != 2 {
		t.Fatalf("Err() = %v, %d records", got.err, len(got.recs))
	}
	if !strings.Contains(got.err.Error(), "s.txt: line 3") {
		t.Errorf("Err() = %q, want file and line", got.err)
	}
	if got.pos.Offset != 18 || got.pos.Line != 2 {
		t.Errorf("Position() = %+v, want the end of the last good record", got.pos)
	}
}

func TestRejectString(t *testing.T) {
	r := Reject{File: "f.txt", Line: 7, Reason: "blank line"}
	if got := r.String(); got != "f.txt:7: blank line" {
		t.Errorf("String() = %q", got)
	}
}
