package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferrymigrate/ferry/bench/harness"
)

// manifest names every file after its table.
func manifest(skip string) string {
	var parts []string
	for _, in := range inputs {
		if in.Key != skip {
			parts = append(parts, `"`+in.Key+`": "`+in.Table+`.txt"`)
		}
	}
	return `{"directory": ".", ` + strings.Join(parts, ", ") + `}`
}

func TestParseManifest(t *testing.T) {
	m, err := parseManifest([]byte(manifest("")))
	if err != nil {
		t.Fatal(err)
	}
	if len(m) != 9 || m["agency_adhoc_filename"] != "agency.txt" {
		t.Errorf("got %v", m)
	}
	for name, in := range map[string]string{
		"a file missing":    manifest("contacts_filename"),
		"not JSON":          "{",
		"a path outside it": strings.Replace(manifest(""), `"agency.txt"`, `"../agency.txt"`, 1),
	} {
		if _, err := parseManifest([]byte(in)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestCleanInputs(t *testing.T) {
	data, clean := t.TempDir(), filepath.Join(t.TempDir(), "clean")
	if err := os.WriteFile(filepath.Join(data, "migrationFilepaths.json"), []byte(manifest("")), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, in := range inputs {
		content := "a|b\r\nc|d\n\ne|f|g\n"
		switch {
		case in.Key == domainContacts:
			content = "x|y|z\nx|y|z\nx|y|z\nbad\n"
		case in.Header:
			content = "h1|h2|h3\n" + content
		}
		if err := os.WriteFile(filepath.Join(data, in.Table+".txt"), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	set, err := cleanInputs(data, clean)
	if err != nil {
		t.Fatal(err)
	}
	// Eight files of four data lines (two kept), the domain contacts four (three kept).
	if set.Lines != 36 || set.Kept != 19 || set.DomainLines != 4 || len(set.Files) != 9 {
		t.Errorf("got lines %d, kept %d, domain lines %d, %d files", set.Lines, set.Kept, set.DomainLines, len(set.Files))
	}
	b, err := os.ReadFile(filepath.Join(clean, "agency.txt"))
	if err != nil || string(b) != "h1|h2|h3\na|b\nc|d\n" {
		t.Errorf("cleaned agency file = %q, %v", b, err)
	}
	cf := set.copyFiles(clean, "base_logged")
	want := harness.CopyFile{Table: "base_logged.domain_contacts", Path: filepath.Join(clean, "domain_contacts.txt"), Columns: 3}
	if cf[0] != want || !cf[8].Header || cf[8].Columns != 2 {
		t.Errorf("copy files: %+v ... %+v", cf[0], cf[8])
	}
}
