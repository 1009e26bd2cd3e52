package escrow

import (
	"bufio"
	"bytes"
	"io"
)

const (
	// maxLineBytes bounds the memory one line may take. The widest real row
	// is a few hundred bytes; a line this long is a damaged or binary file,
	// and it is rejected rather than buffered whole.
	maxLineBytes = 1 << 20
	// maxRawBytes caps Reject.Raw so that a reject report stays readable.
	maxRawBytes = 512
	readBufSize = 64 << 10
)

var bom = []byte("\xEF\xBB\xBF")

// lineSource yields physical lines and keeps the byte offset and line number
// exact, because both end up in reject reports and resume checkpoints.
type lineSource struct {
	br   *bufio.Reader
	long []byte // accumulates lines longer than the bufio buffer
	max  int
	off  int64 // bytes consumed from the start of the input
	line int64 // number of the last line returned
	bom  bool  // the next line is the first of the file
}

func newLineSource(r io.Reader) lineSource {
	return lineSource{
		br:  bufio.NewReaderSize(r, readBufSize),
		max: maxLineBytes,
		bom: true,
	}
}

// reset repositions the source after the caller has seeked the underlying
// reader to off, which is the start of line number line+1.
func (s *lineSource) reset(r io.Reader, off, line int64) {
	s.br.Reset(r)
	s.off, s.line = off, line
	s.bom = off == 0
}

// next returns the next line without its LF or CRLF terminator, or io.EOF.
// The slice is valid until the next call. tooLong reports a line over the
// limit; the slice then holds only its beginning, for the reject report.
func (s *lineSource) next() (line []byte, tooLong bool, err error) {
	s.long = s.long[:0]
	var n int64
	for {
		chunk, rerr := s.br.ReadSlice('\n')
		n += int64(len(chunk))
		s.off += int64(len(chunk))
		if rerr == bufio.ErrBufferFull {
			s.keep(chunk, &tooLong)
			continue
		}
		if rerr != nil && rerr != io.EOF {
			return nil, false, rerr
		}
		if len(s.long) == 0 && !tooLong {
			line = chunk
		} else {
			s.keep(chunk, &tooLong)
			line = s.long
		}
		break
	}
	if n == 0 {
		return nil, false, io.EOF
	}
	terminated := false
	if !tooLong {
		if k := len(line); k > 0 && line[k-1] == '\n' {
			line = line[:k-1]
			terminated = true
		}
		if k := len(line); k > 0 && line[k-1] == '\r' {
			line = line[:k-1]
		}
	}
	if s.bom {
		s.bom = false
		line = bytes.TrimPrefix(line, bom)
		// A file holding nothing but a BOM has no lines at all.
		if !terminated && !tooLong && len(line) == 0 && int64(len(bom)) == n {
			return nil, false, io.EOF
		}
	}
	if !tooLong && len(line) > s.max {
		tooLong = true
		line = cutRunes(line, maxRawBytes)
	}
	s.line++
	return line, tooLong, nil
}

// keep appends a piece of an over-long line, but stops storing once the line
// is known to be too long: only its beginning is reported.
func (s *lineSource) keep(chunk []byte, tooLong *bool) {
	if *tooLong {
		return
	}
	// The slack leaves room for a CRLF, so that only lines whose content is
	// over the limit are cut; next makes the exact check.
	if len(s.long)+len(chunk) > s.max+2 {
		*tooLong = true
		room := maxRawBytes - len(s.long)
		if room > len(chunk) {
			room = len(chunk)
		}
		if room > 0 {
			s.long = append(s.long, chunk[:room]...)
		}
		s.long = cutRunes(s.long, maxRawBytes)
		return
	}
	s.long = append(s.long, chunk...)
}
