package cqlcsv

import (
	"strconv"
	"time"
)

// A CQL timestamp is a count of milliseconds since the Unix epoch. Its
// canonical text form, the one decoded rows carry, is what cqlsh writes by
// default: "2006-01-02 15:04:05.000+0000", always in UTC. Instants whose
// year falls outside 1..9999 have no such form (cqlsh writes them as the
// integer count, and so does the canonical form).

const tsLayout = "2006-01-02 15:04:05.000-0700"

// appendTimestamp appends the canonical form of ms.
func appendTimestamp(dst []byte, ms int64) []byte {
	t := time.UnixMilli(ms).UTC()
	if y := t.Year(); y < 1 || y > 9999 {
		return strconv.AppendInt(dst, ms, 10)
	}
	return t.AppendFormat(dst, tsLayout)
}

// appendExportTimestamp appends ms the way cqlsh 3.11 on Python 2.7 writes
// it. Python 2's strftime refuses years before 1900, and cqlsh then falls
// back to the whole seconds times 1000 (the milliseconds are lost there, in
// cqlsh, not here); instants the driver cannot turn into a datetime at all
// (years outside 1..9999) come out as the exact count.
func appendExportTimestamp(dst []byte, ms int64) []byte {
	t := time.UnixMilli(ms).UTC()
	switch y := t.Year(); {
	case y < 1 || y > 9999:
		return strconv.AppendInt(dst, ms, 10)
	case y < 1900:
		return strconv.AppendInt(dst, t.Unix()*1000, 10)
	}
	return t.AppendFormat(dst, tsLayout)
}

// FormatTimestamp returns t, cut to milliseconds, in the canonical form of
// decoded rows.
func FormatTimestamp(t time.Time) string {
	return string(appendTimestamp(nil, t.UnixMilli()))
}

// ParseTimestamp reads a timestamp in any form the reader accepts (see
// parseTimestamp), the canonical form included, and returns it in UTC.
func ParseTimestamp(s string) (time.Time, bool) {
	ms, ok := parseTimestamp([]byte(s))
	if !ok {
		return time.Time{}, false
	}
	return time.UnixMilli(ms).UTC(), true
}

// parseTimestamp reads a timestamp as cqlsh may have written it (§3.9):
// YYYY-MM-DD, a space or T, HH:MM, optionally :SS and a fraction of 1 to 9
// digits (cut to milliseconds: Cassandra keeps no more), then Z, ±HHMM or
// ±HH:MM; or a bare integer count of milliseconds. A zone is required: the
// zone cqlsh would have assumed is the exporting machine's, which a file
// does not record.
func parseTimestamp(b []byte) (int64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	if b[0] == '-' || len(b) < 5 || b[4] != '-' {
		return parseInt(b)
	}
	num := func(i, n int) (int, bool) {
		if i+n > len(b) {
			return 0, false
		}
		v := 0
		for _, c := range b[i : i+n] {
			if c < '0' || c > '9' {
				return 0, false
			}
			v = v*10 + int(c-'0')
		}
		return v, true
	}
	sep := func(i int, c ...byte) bool {
		if i >= len(b) {
			return false
		}
		for _, x := range c {
			if b[i] == x {
				return true
			}
		}
		return false
	}
	year, ok1 := num(0, 4)
	month, ok2 := num(5, 2)
	day, ok3 := num(8, 2)
	hour, ok4 := num(11, 2)
	minute, ok5 := num(14, 2)
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 || !sep(7, '-') || !sep(10, ' ', 'T') || !sep(13, ':') {
		return 0, false
	}
	i, sec, ms := 16, 0, 0
	if sep(i, ':') {
		var ok bool
		if sec, ok = num(i+1, 2); !ok {
			return 0, false
		}
		i += 3
		if sep(i, '.') {
			i++
			digits := 0
			for i < len(b) && b[i] >= '0' && b[i] <= '9' {
				if digits < 3 {
					ms = ms*10 + int(b[i]-'0')
				}
				digits++
				i++
			}
			if digits == 0 || digits > 9 {
				return 0, false
			}
			for ; digits < 3; digits++ {
				ms *= 10
			}
		}
	}
	if month < 1 || month > 12 || day < 1 || day > daysIn(month, year) || hour > 23 || minute > 59 || sec > 59 {
		return 0, false
	}
	off := 0 // minutes east of UTC
	switch {
	case sep(i, 'Z') && i+1 == len(b):
	case sep(i, '+', '-'):
		oh, ok := num(i+1, 2)
		j := i + 3
		if sep(j, ':') {
			j++
		}
		om, ok2 := num(j, 2)
		if !ok || !ok2 || j+2 != len(b) || oh > 23 || om > 59 {
			return 0, false
		}
		off = oh*60 + om
		if b[i] == '-' {
			off = -off
		}
	default:
		return 0, false
	}
	secs := time.Date(year, time.Month(month), day, hour, minute, sec, 0, time.UTC).Unix() - int64(off)*60
	return secs*1000 + int64(ms), true
}

func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// parseInt reads a decimal int64: an optional '-' and digits, nothing else
// (no '+', spaces or underscores: cqlsh writes none).
func parseInt(b []byte) (int64, bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 19 {
		return 0, false
	}
	var v uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
	}
	switch {
	case neg && v <= 1<<63:
		return int64(-v), true
	case !neg && v < 1<<63:
		return int64(v), true
	}
	return 0, false
}
