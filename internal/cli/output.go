package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// writeJSON writes v as one line of JSON, without a trailing newline.
func writeJSON(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// num renders a count with thousands separators: 1,234,567.
func num(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// table writes aligned columns with a header row. Cells that are numbers
// are right-aligned by padding; text/tabwriter keeps the rest aligned.
type table struct {
	tw   *tabwriter.Writer
	rows [][]string
	// right marks the columns to right-align.
	right []bool
}

// newTable starts a table; a header ending in "#" is a numeric column,
// right-aligned, and printed without the mark.
func newTable(w io.Writer, headers ...string) *table {
	t := &table{tw: tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)}
	head := make([]string, len(headers))
	for i, h := range headers {
		if strings.HasSuffix(h, "#") {
			t.right = append(t.right, true)
			h = strings.TrimSuffix(h, "#")
		} else {
			t.right = append(t.right, false)
		}
		head[i] = h
	}
	t.rows = append(t.rows, head)
	return t
}

// row adds a row; int and int64 cells are formatted with separators.
func (t *table) row(cells ...any) {
	r := make([]string, len(cells))
	for i, c := range cells {
		switch v := c.(type) {
		case int64:
			r[i] = num(v)
		case int:
			r[i] = num(int64(v))
		case string:
			r[i] = v
		default:
			r[i] = fmt.Sprint(v)
		}
	}
	t.rows = append(t.rows, r)
}

// flush pads the numeric columns to their widest cell and writes it all.
func (t *table) flush() {
	width := make([]int, len(t.right))
	for _, r := range t.rows {
		for i, c := range r {
			if i < len(width) && len(c) > width[i] {
				width[i] = len(c)
			}
		}
	}
	for _, r := range t.rows {
		for i, c := range r {
			if i < len(t.right) && t.right[i] {
				c = strings.Repeat(" ", width[i]-len(c)) + c
			}
			if i > 0 {
				io.WriteString(t.tw, "\t")
			}
			io.WriteString(t.tw, c)
		}
		io.WriteString(t.tw, "\n")
	}
	t.tw.Flush()
}

// seconds renders a duration for people: 0.4 s, 12.3 s, 4 min 2 s.
func seconds(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%.1f s", d.Seconds())
	case d < time.Hour:
		return fmt.Sprintf("%d min %d s", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%d h %d min", int(d.Hours()), int(d.Minutes())%60)
}

// plural picks the word for n.
func plural(n int64, one, many string) string {
	if n == 1 {
		return num(n) + " " + one
	}
	return num(n) + " " + many
}
