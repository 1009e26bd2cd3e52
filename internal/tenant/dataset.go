package tenant

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/ferrymigrate/ferry"
	"github.com/ferrymigrate/ferry/internal/cqlcsv"
)

// DatasetFile is one file of a dataset: part Part of table Table's export
// (0 for t.csv, 1 for t.csv.1, ...).
type DatasetFile struct {
	Table *Table
	Path  string
	Part  int
}

// Dataset is what a folder of cqlsh COPY TO files holds (decision 11).
type Dataset struct {
	Dir   string
	Files []DatasetFile
	// Unknown lists .csv files that are not a table ferry knows.
	Unknown []string
}

// FindDataset lists the exports in dir: sunbird/<table>.csv and
// sunbird_courses/<table>.csv, or the same files flat in dir (a flat
// course_batch.csv being the sunbird_courses one), each with its split
// continuation files in numeric order, and content.csv. Neither legacy
// nor current tables are required; a folder with none of them is an
// input error.
func FindDataset(dir string) (*Dataset, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, &ferry.Error{Code: ferry.EINPUT, Message: fmt.Sprintf("dataset %s: %v", dir, unwrapPathError(err)),
			Hint: "give the folder holding the cqlsh COPY TO files (with sunbird/ and sunbird_courses/, or flat)"}
	}
	if !st.IsDir() {
		return nil, &ferry.Error{Code: ferry.EINPUT, Message: fmt.Sprintf("dataset %s is not a folder", dir)}
	}
	ds := &Dataset{Dir: dir}
	known := map[string]bool{}
	for _, t := range Tables() {
		for _, where := range locations(t) {
			if _, err := os.Stat(filepath.Join(dir, where, t.Table.Name+".csv")); err != nil {
				continue // the table is not in this folder (a part without it is reported below)
			}
			paths, err := cqlcsv.Files(filepath.Join(dir, where), t.Table.Name)
			if err != nil {
				return nil, &ferry.Error{Code: ferry.EINPUT, Message: fmt.Sprintf("dataset %s: %v", dir, err)}
			}
			if len(paths) == 0 {
				continue
			}
			for i, p := range paths {
				ds.Files = append(ds.Files, DatasetFile{Table: t, Path: p, Part: i})
				known[p] = true
			}
			break
		}
	}
	for _, sub := range []string{".", "sunbird", "sunbird_courses"} {
		entries, _ := os.ReadDir(filepath.Join(dir, sub))
		for _, e := range entries {
			p := filepath.Join(dir, sub, e.Name())
			if !e.IsDir() && strings.Contains(e.Name(), ".csv") && !known[p] {
				ds.Unknown = append(ds.Unknown, filepath.Join(sub, e.Name()))
			}
		}
	}
	sort.Strings(ds.Unknown)
	if len(ds.Files) == 0 {
		return nil, &ferry.Error{Code: ferry.EINPUT, Message: fmt.Sprintf("dataset %s holds no table export ferry knows", dir),
			Hint: "expect files such as sunbird/user.csv and sunbird_courses/course_batch.csv, as cqlsh COPY TO writes them"}
	}
	return ds, nil
}

// locations are the folders, relative to a dataset, where t's export may
// be, in the order they are tried.
func locations(t *Table) []string {
	switch {
	case t.Keyspace == "":
		return []string{"."}
	case t.Keyspace == "sunbird_courses":
		return []string{"sunbird_courses", "."}
	case t.Name == "sunbird.course_batch":
		// A flat course_batch.csv is the sunbird_courses one (decision 11).
		return []string{"sunbird"}
	}
	return []string{t.Keyspace, "."}
}

// Tables lists the dataset's tables, in catalog order.
func (ds *Dataset) Tables() []*Table {
	var out []*Table
	for _, f := range ds.Files {
		if !slices.Contains(out, f.Table) {
			out = append(out, f.Table)
		}
	}
	return out
}

func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}
