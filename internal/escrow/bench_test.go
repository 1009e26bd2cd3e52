package escrow

import (
	"bytes"
	"fmt"
	"testing"
)

// contactInput builds n contact rows shaped like the real export: 14 fields
// and a trailing separator, a blank line now and then.
func contactInput(n int) []byte {
	var b bytes.Buffer
	for i := range n {
		fmt.Fprintf(&b, "USER%d|%d_CONTACT|123-123-1234||918-000-0000||first.last%d@example.gov|GSA|SOMECOMPANY|ctldbatch|2021-06-30T17:58:09Z|SOMECOMPANY|ctldbatch|2021-06-30T18:18:09Z|\n", i, i, i)
		if i%1000 == 999 {
			b.WriteString("\n")
		}
	}
	return b.Bytes()
}

func BenchmarkContactReader(b *testing.B) {
	data := contactInput(100_000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		rd := NewContactReader(bytes.NewReader(data), Options{})
		n := 0
		for rd.Next() {
			n++
		}
		if rd.Err() != nil || n != 100_000 {
			b.Fatalf("%d records, err %v", n, rd.Err())
		}
	}
}

// The splitter alone on the same rows: the cost of the fast path.
func BenchmarkSplitPlain(b *testing.B) {
	line := []byte("USER1|1_CONTACT|123-123-1234||918-000-0000||first.last1@example.gov|GSA|SOMECOMPANY|ctldbatch|2021-06-30T17:58:09Z|SOMECOMPANY|ctldbatch|2021-06-30T18:18:09Z|")
	sp := newSplitter('|')
	b.SetBytes(int64(len(line)))
	b.ReportAllocs()
	for b.Loop() {
		sp.split(line, false)
	}
}
