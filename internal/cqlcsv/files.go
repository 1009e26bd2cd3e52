package cqlcsv

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Files returns the files of table in dir, in reading order: table.csv,
// then the continuation files an export split with MAXOUTPUTSIZE writes,
// table.csv.1, table.csv.2, ... in numeric order (.10 after .9, §3.5).
// A missing table.csv is an error wrapping fs.ErrNotExist; a gap in the
// numbering is an error too, since rows would be lost.
func Files(dir, table string) ([]string, error) {
	base := table + ".csv"
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("cqlcsv: %w", err)
	}
	found := false
	var parts []int
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		name := e.Name()
		if name == base {
			found = true
			continue
		}
		suffix, ok := strings.CutPrefix(name, base+".")
		if !ok || suffix == "" || suffix[0] == '0' || strings.Trim(suffix, "0123456789") != "" {
			continue // not a part cqlsh writes (they count from .1)
		}
		n, err := strconv.Atoi(suffix)
		if err != nil {
			continue
		}
		parts = append(parts, n)
	}
	if !found {
		return nil, fmt.Errorf("cqlcsv: %s: %w", filepath.Join(dir, base), fs.ErrNotExist)
	}
	slices.Sort(parts)
	out := []string{filepath.Join(dir, base)}
	for i, n := range parts {
		if n != i+1 {
			return nil, fmt.Errorf("cqlcsv: %s.%d is missing: %w", filepath.Join(dir, base), i+1, fs.ErrNotExist)
		}
		out = append(out, filepath.Join(dir, base+"."+strconv.Itoa(n)))
	}
	return out, nil
}
