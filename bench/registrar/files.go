package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/ferrymigrate/ferry/bench/harness"
)

// sep splits the registrar's files into fields.
const sep = '|'

// inputSpec is one of the nine files the generator writes: its key in
// migrationFilepaths.json, the bare table a baseline loads it into, and
// whether its first line is a header.
type inputSpec struct {
	Key    string
	Table  string
	Header bool
}

// inputs are the nine files, in the order the baselines load them.
var inputs = []inputSpec{
	{"domain_contacts_filename", "domain_contacts", false},
	{"contacts_filename", "contacts", false},
	{"domain_statuses_filename", "statuses", false},
	{"domain_escrow_filename", "escrow_domains", false},
	{"domain_additional_filename", "additional", true},
	{"domain_adhoc_filename", "domain_types", true},
	{"organization_adhoc_filename", "organization", true},
	{"authority_adhoc_filename", "authority", true},
	{"agency_adhoc_filename", "agency", true},
}

// domainContacts is the key of the file the per-second rate counts.
const domainContacts = "domain_contacts_filename"

// inputFile is one generated file and its cleaned copy.
type inputFile struct {
	inputSpec
	Name  string // file name in the data directory
	Bytes int64
	harness.CleanStats
}

// inputSet is the generated data and what cleaning it found.
type inputSet struct {
	Files        []inputFile
	Bytes        int64
	Lines        int64 // data lines of all files, blank and malformed ones included
	Kept         int64 // data lines in the cleaned copies
	DomainLines  int64 // data lines of the domain-contacts file
	Quoted       int64
	CleanSeconds float64
}

// readManifest maps the manifest's keys to file names.
func readManifest(dataDir string) (map[string]string, error) {
	b, err := os.ReadFile(filepath.Join(dataDir, "migrationFilepaths.json"))
	if err != nil {
		return nil, err
	}
	return parseManifest(b)
}

func parseManifest(b []byte) (map[string]string, error) {
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("migrationFilepaths.json: %w", err)
	}
	out := map[string]string{}
	for _, in := range inputs {
		name, _ := raw[in.Key].(string)
		if name == "" {
			return nil, fmt.Errorf("migrationFilepaths.json names no file for %s", in.Key)
		}
		if !filepath.IsLocal(name) {
			return nil, fmt.Errorf("migrationFilepaths.json: %s is not a name inside the directory", name)
		}
		out[in.Key] = name
	}
	return out, nil
}

// cleanInputs writes the cleaned copies of the generated files that the
// baselines read, into cleanDir.
func cleanInputs(dataDir, cleanDir string) (inputSet, error) {
	var set inputSet
	names, err := readManifest(dataDir)
	if err != nil {
		return set, err
	}
	if err := os.MkdirAll(cleanDir, 0o755); err != nil {
		return set, err
	}
	start := time.Now()
	for _, in := range inputs {
		f := inputFile{inputSpec: in, Name: names[in.Key]}
		src := filepath.Join(dataDir, f.Name)
		fi, err := os.Stat(src)
		if err != nil {
			return set, fmt.Errorf("the generated file for %s: %w", in.Key, err)
		}
		f.Bytes = fi.Size()
		if f.CleanStats, err = harness.CleanFile(filepath.Join(cleanDir, f.Name), src, sep, in.Header); err != nil {
			return set, err
		}
		set.add(f)
	}
	set.CleanSeconds = time.Since(start).Seconds()
	return set, nil
}

func (s *inputSet) add(f inputFile) {
	s.Files = append(s.Files, f)
	s.Bytes += f.Bytes
	s.Lines += f.Lines
	s.Kept += f.Kept
	s.Quoted += f.Quoted
	if f.Key == domainContacts {
		s.DomainLines = f.Lines
	}
}

// copyFiles lists the cleaned copies for a baseline, each into its table
// in schema ("" = none).
func (s inputSet) copyFiles(cleanDir, schema string) []harness.CopyFile {
	out := make([]harness.CopyFile, 0, len(s.Files))
	for _, f := range s.Files {
		table := f.Table
		if schema != "" {
			table = schema + "." + table
		}
		out = append(out, harness.CopyFile{Table: table, Path: filepath.Join(cleanDir, f.Name), Columns: f.Columns, Header: f.Header})
	}
	return out
}
