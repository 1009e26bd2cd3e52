package cqlcsv

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
)

// benchInput is a user.csv of the shape of a real tenant: 40 columns, three
// ciphertexts with line feeds per row, a few lists and maps, JSON text; made
// with ExportWriter, so it is what cqlsh writes.
var benchInput = sync.OnceValue(func() []byte {
	const rows = 20_000
	var buf bytes.Buffer
	w := NewExportWriter(&buf, tUser, ExportOptions{})
	cipher := func(i, n int) string {
		s := strings.Repeat(fmt.Sprintf("sah25wOhumMUYyde%08dGHXgRpm+5cPuJ6iVeh/", i*7+n), 6)
		return s[:76] + "\n" + s[76:152] + "\n" + s[152:200] + "=="
	}
	for i := range rows {
		row := make([]any, len(tUser.Columns))
		set := func(name string, v any) { row[tUser.Col(name)] = v }
		set("id", fmt.Sprintf("%08x-4536-5f4a-b510-a8159f61ba45", i))
		set("alltncaccepted", `{"orgAdminTnc":"{\"tncAcceptedOn\":\"2021-03-05 10:02:11:512+0000\",\"version\":\"v1\"}"}`)
		set("channel", "pilotrajasthan")
		set("countrycode", "+91")
		set("createddate", "2018-03-12 07:02:10:501+0000")
		set("email", cipher(i, 1))
		set("emailverified", true)
		set("firstname", "सुनीता")
		set("flagsvalue", int64(i%8))
		set("framework", `{"board":["RBSE"],"gradeLevel":["Class 6","Class 7"],"id":["rj_k-12_1"],"medium":["Hindi"],"subject":["Science"]}`)
		set("isdeleted", false)
		set("lastname", "Sharma")
		set("locationids", `["27ea98eb-8e9a-5693-9ccd-cc63134923ab","c1a01d00-659f-564f-823f-ec1a50ab0e23"]`)
		set("loginid", cipher(i, 2))
		set("maskedemail", "ma***************@example.com")
		set("maskedphone", "******2301")
		set("phone", cipher(i, 3))
		set("profilelocation", `[{"id":"27ea98eb-8e9a-5693-9ccd-cc63134923ab","type":"state"}]`)
		set("roles", `["PUBLIC","ORG_ADMIN"]`)
		set("rootorgid", "01241408242723225614")
		set("status", int64(1))
		set("tncacceptedon", "2021-03-05 10:02:11.512+0000")
		set("userid", fmt.Sprintf("%08x-4536-5f4a-b510-a8159f61ba45", i))
		set("username", cipher(i, 4))
		set("usertype", "teacher")
		if err := w.Write(row); err != nil {
			panic(err)
		}
	}
	if err := w.Flush(); err != nil {
		panic(err)
	}
	return buf.Bytes()
})

// BenchmarkRead reads the same generated user.csv (30 MB, 20,000 rows of
// 40 columns) four ways: the Reader, decoding every value into rows; the
// Reader's CSV layer alone; and, as a baseline, encoding/csv, with and
// without ReuseRecord (with LazyQuotes, as it does not know the \" escape:
// its fields are not even right, and it converts no value).
//
// Measured on the 2-core development machine while another benchmark ran
// (go test -bench . -benchtime 5x -count 3), in MB/s:
//
//	Reader, rows               115-150   43 allocations a row
//	Reader, CSV layer only     980-1070  no allocation a record
//	encoding/csv               590-680
//	encoding/csv, ReuseRecord  530-570
//	ExportWriter (below)        52-62
//
// So the CSV layer runs at about 1.7 times encoding/csv, and complete typed
// rows at about a fifth of its speed: the cost is the values themselves (a
// string and an interface box each, JSON for the collections). A million
// user rows, about 1.5 GB, take some 12 s.
func BenchmarkRead(b *testing.B) {
	data := benchInput()
	b.Run("rows", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			r := NewStreamReader(bytes.NewReader(data), "user.csv", tUser, Options{})
			n := 0
			for r.Next() {
				n++
			}
			if r.Err() != nil || n != 20_000 || r.Stats().Rejected != 0 {
				b.Fatalf("%d rows, %+v, %v", n, r.Stats(), r.Err())
			}
		}
	})
	b.Run("scan", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		var sc scanner
		var rec record
		for b.Loop() {
			sc.reset(bytes.NewReader(data), 64<<20)
			n := 0
			for {
				ok, err := sc.next(&rec)
				if err != nil {
					b.Fatal(err)
				}
				if !ok {
					break
				}
				n++
			}
			if n != 20_001 {
				b.Fatalf("%d records", n)
			}
		}
	})
	for _, reuse := range []bool{false, true} {
		name := "encoding-csv"
		if reuse {
			name += "-reuse"
		}
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				r := csv.NewReader(bytes.NewReader(data))
				r.LazyQuotes, r.FieldsPerRecord, r.ReuseRecord = true, -1, reuse
				n := 0
				for {
					_, err := r.Read()
					if err == io.EOF {
						break
					}
					if err != nil {
						b.Fatal(err)
					}
					n++
				}
				if n < 20_001 {
					b.Fatalf("%d records", n)
				}
			}
		})
	}
}

// BenchmarkExport writes the same rows back with ExportWriter.
func BenchmarkExport(b *testing.B) {
	data := benchInput()
	r := NewStreamReader(bytes.NewReader(data), "user.csv", tUser, Options{})
	var rows [][]any
	for r.Next() {
		rows = append(rows, r.Row())
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		w := NewExportWriter(io.Discard, tUser, ExportOptions{})
		for _, row := range rows {
			if err := w.Write(row); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Flush(); err != nil {
			b.Fatal(err)
		}
	}
}
