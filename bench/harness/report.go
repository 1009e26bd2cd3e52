package harness

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Report is a benchmark's output as a list of blocks, printed as plain
// text for a terminal or as Markdown for a results file.
type Report struct {
	blocks []block
}

type blockKind int

const (
	headingBlock blockKind = iota
	linesBlock
	paragraphBlock
	tableBlock
)

type block struct {
	kind  blockKind
	level int
	lines []string
	table Table
}

// Heading adds a heading; level 1 is the report's title.
func (r *Report) Heading(level int, text string) {
	r.blocks = append(r.blocks, block{kind: headingBlock, level: level, lines: []string{text}})
}

// Lines adds preformatted lines: as they are in text, a code block in
// Markdown.
func (r *Report) Lines(lines ...string) {
	if len(lines) > 0 {
		r.blocks = append(r.blocks, block{kind: linesBlock, lines: lines})
	}
}

// Paragraph adds running text; the lines are kept as given.
func (r *Report) Paragraph(lines ...string) {
	if len(lines) > 0 {
		r.blocks = append(r.blocks, block{kind: paragraphBlock, lines: lines})
	}
}

// Table adds a table.
func (r *Report) Table(t Table) {
	r.blocks = append(r.blocks, block{kind: tableBlock, table: t})
}

// Table is a header and rows of cells. Right marks the columns to align
// right (numbers); a missing entry means left.
type Table struct {
	Header []string
	Right  []bool
	Rows   [][]string
}

// AddRow appends a row.
func (t *Table) AddRow(cells ...string) { t.Rows = append(t.Rows, cells) }

func (t Table) right(i int) bool { return i < len(t.Right) && t.Right[i] }

func (t Table) columns() int {
	n := len(t.Header)
	for _, r := range t.Rows {
		n = max(n, len(r))
	}
	return n
}

func cell(row []string, i int) string {
	if i < len(row) {
		return row[i]
	}
	return ""
}

// WriteText prints the table with its columns padded to line up, two
// spaces apart.
func (t Table) WriteText(w io.Writer) error {
	n := t.columns()
	width := make([]int, n)
	all := append([][]string{t.Header}, t.Rows...)
	for _, r := range all {
		for i := range n {
			width[i] = max(width[i], utf8.RuneCountInString(cell(r, i)))
		}
	}
	bw := bufio.NewWriter(w)
	for _, r := range all {
		var line strings.Builder
		for i := range n {
			c := cell(r, i)
			pad := strings.Repeat(" ", width[i]-utf8.RuneCountInString(c))
			if i > 0 {
				line.WriteString("  ")
			}
			if t.right(i) {
				line.WriteString(pad + c)
			} else {
				line.WriteString(c + pad)
			}
		}
		fmt.Fprintln(bw, strings.TrimRight(line.String(), " "))
	}
	return bw.Flush()
}

// WriteMarkdown prints the table as a Markdown (GitHub) table.
func (t Table) WriteMarkdown(w io.Writer) error {
	n := t.columns()
	bw := bufio.NewWriter(w)
	mdRow := func(r []string) {
		var line strings.Builder
		line.WriteString("|")
		for i := range n {
			line.WriteString(" " + mdEscape(cell(r, i)) + " |")
		}
		fmt.Fprintln(bw, line.String())
	}
	mdRow(t.Header)
	var sep strings.Builder
	sep.WriteString("|")
	for i := range n {
		if t.right(i) {
			sep.WriteString("--:|")
		} else {
			sep.WriteString("---|")
		}
	}
	fmt.Fprintln(bw, sep.String())
	for _, r := range t.Rows {
		mdRow(r)
	}
	return bw.Flush()
}

func mdEscape(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// WriteText prints the report for a terminal: headings underlined,
// blocks one blank line apart.
func (r *Report) WriteText(w io.Writer) error {
	bw := bufio.NewWriter(w)
	for i, b := range r.blocks {
		if i > 0 {
			fmt.Fprintln(bw)
		}
		switch b.kind {
		case headingBlock:
			mark := "-"
			if b.level <= 1 {
				mark = "="
			}
			fmt.Fprintln(bw, b.lines[0])
			fmt.Fprintln(bw, strings.Repeat(mark, utf8.RuneCountInString(b.lines[0])))
		case linesBlock, paragraphBlock:
			for _, l := range b.lines {
				fmt.Fprintln(bw, l)
			}
		case tableBlock:
			if err := b.table.WriteText(bw); err != nil {
				return err
			}
		}
	}
	return bw.Flush()
}

// WriteMarkdown prints the report as Markdown. Headings start at level
// base (2 puts the title at "##", for appending to a results file).
func (r *Report) WriteMarkdown(w io.Writer, base int) error {
	bw := bufio.NewWriter(w)
	for i, b := range r.blocks {
		if i > 0 {
			fmt.Fprintln(bw)
		}
		switch b.kind {
		case headingBlock:
			fmt.Fprintln(bw, strings.Repeat("#", max(1, base+b.level-1))+" "+b.lines[0])
		case linesBlock:
			fmt.Fprintln(bw, "```")
			for _, l := range b.lines {
				fmt.Fprintln(bw, l)
			}
			fmt.Fprintln(bw, "```")
		case paragraphBlock:
			for _, l := range b.lines {
				fmt.Fprintln(bw, l)
			}
		case tableBlock:
			if err := b.table.WriteMarkdown(bw); err != nil {
				return err
			}
		}
	}
	return bw.Flush()
}

// Secs formats seconds with two decimals.
func Secs(s float64) string { return fmt.Sprintf("%.2f", s) }

// Ratio formats a / b with two decimals, "n/a" when b is not positive.
func Ratio(a, b float64) string {
	if b <= 0 || a < 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.2f", a/b)
}

// Percent formats a as a share of b, "n/a" when b is not positive.
func Percent(a, b float64) string {
	if b <= 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.1f%%", 100*a/b)
}

// PerSecond formats n per s seconds as a whole number, "n/a" when s is
// not positive.
func PerSecond(n int64, s float64) string {
	if s <= 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.0f", float64(n)/s)
}

// MB formats KiB as whole MB (MiB), "-" when unknown (0).
func MB(kib int64) string {
	if kib <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f", float64(kib)/1024)
}
