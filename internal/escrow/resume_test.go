package escrow

import (
	"errors"
	"io"
	"os"
	"reflect"
	"strings"
	"testing"
)

// checkResume stops a reader after every possible number of records, resumes
// from its Position in a fresh reader over a freshly opened file, and checks
// that the two parts together are exactly the full read: nothing lost,
// nothing repeated, rejects included.
func checkResume[T any](t *testing.T, newR newFunc[T], path string, header bool) {
	t.Helper()
	open := func() *os.File {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f
	}
	full := readAll(newR, open(), Options{File: path})
	if full.err != nil {
		t.Fatal(full.err)
	}
	if len(full.recs) < 3 || len(full.rejects) == 0 {
		t.Fatalf("%s is too simple for a resume test", path)
	}
	for k := 0; k <= len(full.recs); k++ {
		var first result[T]
		opts := Options{File: path, OnReject: func(r Reject) { first.rejects = append(first.rejects, r) }}
		rd := newR(open(), opts)
		for len(first.recs) < k && rd.Next() {
			first.recs = append(first.recs, rd.Record())
		}
		pos := rd.Position()
		if pos.Offset != rd.Offset() {
			t.Fatalf("Position().Offset %d != Offset() %d", pos.Offset, rd.Offset())
		}

		second := readAll(newR, open(), Options{File: path, Resume: &pos})
		if second.err != nil {
			t.Fatalf("k=%d: resume from %+v: %v", k, pos, second.err)
		}
		recs := append(first.recs, second.recs...)
		rejects := append(first.rejects, second.rejects...)
		if !reflect.DeepEqual(recs, full.recs) {
			t.Errorf("k=%d, resume at %+v: records\n got %+v\nwant %+v", k, pos, recs, full.recs)
		}
		if !reflect.DeepEqual(rejects, full.rejects) {
			t.Errorf("k=%d, resume at %+v: rejects\n got %v\nwant %v", k, pos, rejects, full.rejects)
		}
		skipped := pos.Line
		if header && skipped > 0 {
			skipped-- // the header is not a counted line
		}
		if second.stats.Lines != full.stats.Lines-skipped {
			t.Errorf("k=%d: resumed reader counted %d lines, want %d", k, second.stats.Lines, full.stats.Lines-skipped)
		}
		if second.pos != full.pos {
			t.Errorf("k=%d: final position %+v, want %+v", k, second.pos, full.pos)
		}
	}
}

func TestResume(t *testing.T) {
	t.Run("headerless", func(t *testing.T) {
		checkResume(t, NewContactReader, "testdata/contacts.txt", false)
	})
	t.Run("headerless with BOM and CRLF", func(t *testing.T) {
		checkResume(t, NewDomainContactReader, "testdata/domain_contacts.txt", false)
	})
	t.Run("header", func(t *testing.T) {
		checkResume(t, NewOrganizationReader, "testdata/organization.txt", true)
	})
	t.Run("header without final newline", func(t *testing.T) {
		checkResume(t, NewDomainTypeReader, "testdata/domain_types.txt", true)
	})
}

// onlyReader hides the Seek method of its reader.
type onlyReader struct{ io.Reader }

func TestResumeErrors(t *testing.T) {
	const in = "a.gov|ok\nb.gov|ok\nc.gov|ok"
	for _, tc := range []struct {
		name string
		r    io.Reader
		pos  Position
		want error
	}{
		{"not a seeker", onlyReader{strings.NewReader(in)}, Position{Offset: 9, Line: 1}, ErrBadResume},
		{"mid-line", strings.NewReader(in), Position{Offset: 4, Line: 1}, ErrBadResume},
		{"past the end", strings.NewReader(in), Position{Offset: 100, Line: 3}, ErrBadResume},
		{"negative", strings.NewReader(in), Position{Offset: -1}, ErrBadResume},
		{"line start", strings.NewReader(in), Position{Offset: 9, Line: 1}, nil},
		{"end without final newline", strings.NewReader(in), Position{Offset: int64(len(in)), Line: 3}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := readAll(NewDomainStatusReader, tc.r, Options{Resume: &tc.pos})
			if !errors.Is(got.err, tc.want) {
				t.Fatalf("Err() = %v, want %v", got.err, tc.want)
			}
			if tc.want != nil && len(got.recs) != 0 {
				t.Errorf("records after a failed resume: %v", got.recs)
			}
		})
	}

	// A header file resumed inside its header simply starts after it.
	const hdr = "agencyid|agencyname|active|isfederal\n1|A|Y|Y\n"
	got := readAll(NewAgencyReader, strings.NewReader(hdr), Options{Resume: &Position{Offset: 10}})
	if got.err != nil || len(got.recs) != 1 || got.recs[0].Line != 2 {
		t.Errorf("resume inside the header: %v %+v", got.err, got.recs)
	}
}

// The reader must not assume the seeker starts at 0.
func TestResumeSeeksFromStart(t *testing.T) {
	const in = "agencyid|agencyname|active|isfederal\n1|A|Y|Y\n2|B|Y|Y\n"
	r := strings.NewReader(in)
	if _, err := r.Seek(20, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	got := readAll(NewAgencyReader, r, Options{Resume: &Position{Offset: 45, Line: 2}})
	if got.err != nil || len(got.recs) != 1 || got.recs[0].ID != "2" || got.recs[0].Line != 3 {
		t.Errorf("%v %+v", got.err, got.recs)
	}
}

// Only the first line of the file can carry a BOM; one in the middle (two
// exports concatenated) is data, and a resumed reader must treat it the same
// way as a full read does.
func TestResumeMidFileBOM(t *testing.T) {
	in := "\xEF\xBB\xBFa.gov|ok\n\xEF\xBB\xBFb.gov|ok\nc.gov|ok\n"
	full := readAll(NewDomainStatusReader, strings.NewReader(in), Options{})
	if len(full.recs) != 2 || full.recs[0].Domain != "a.gov" || len(full.rejects) != 1 || full.rejects[0].Line != 2 {
		t.Fatalf("full read: %+v %v", full.recs, full.rejects)
	}
	got := readAll(NewDomainStatusReader, strings.NewReader(in), Options{Resume: &Position{Offset: 12, Line: 1}})
	if got.err != nil || !reflect.DeepEqual(got.recs, full.recs[1:]) || !reflect.DeepEqual(got.rejects, full.rejects) {
		t.Errorf("resumed: %v %+v %v", got.err, got.recs, got.rejects)
	}
}
