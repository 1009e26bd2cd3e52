package harness

import (
	"errors"
	"fmt"
	"strings"
)

// SplitList splits a flag's list on spaces, commas and tabs.
func SplitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' || r == '\t' })
}

// ParseEngines accepts the engine names separated by spaces or commas and
// returns them in the order a run measures them.
func ParseEngines(s string) ([]string, error) {
	seen := map[string]bool{}
	for _, f := range SplitList(s) {
		switch f {
		case "postgres", "sqlite":
			seen[f] = true
		default:
			return nil, fmt.Errorf("unknown engine %q (want postgres, sqlite or both)", f)
		}
	}
	var out []string
	for _, e := range []string{"postgres", "sqlite"} {
		if seen[e] {
			out = append(out, e)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no engine to run")
	}
	return out, nil
}

// Wrap joins words after first, breaking lines longer than width and
// starting each further line with indent.
func Wrap(first, indent string, words []string, width int) []string {
	var lines []string
	line := first
	for i, w := range words {
		if i > 0 && len(line)+1+len(w) > width {
			lines = append(lines, line)
			line = indent + w
			continue
		}
		if i > 0 {
			line += " "
		}
		line += w
	}
	return append(lines, line)
}
