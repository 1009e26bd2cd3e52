// Package synth generates deterministic synthetic registrar escrow exports in
// the file formats of the reference migration (spec: registrar-reference.md,
// section 1): the four headerless core files, the five header ("adhoc")
// files and the migrationFilepaths.json manifest.
//
// Everything is derived from the seed and row counters: a domain's contacts,
// statuses and dates are recomputed from (seed, domain index) by every file
// that needs them. Memory therefore stays flat however many domains are
// requested, which is what the 1,000,000-domain benchmark depends on.
//
// Deliberately bad rows are inserted into the four core/escrow files (never
// the header files) so that loader tests can assert an exact reject count.
// Each bad row is placed immediately before a good row and never replaces
// one, so the good data stays complete: every domain still has its escrow
// row, its additional row and its contacts.
package synth

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"unicode"
	"unicode/utf8"
)

// DefaultBadRate is the bad-row fraction the CLI uses when the user gives none.
const DefaultBadRate = 0.02

// MaxBadRate bounds Options.BadRate: at most one bad row precedes a good one.
const MaxBadRate = 0.5

// ManifestName is the manifest file written next to the data files.
const ManifestName = "migrationFilepaths.json"

// Manifest keys, as used by the reference loader and in Summary.Files.
const (
	KeyAgency         = "agency_adhoc_filename"
	KeyAuthority      = "authority_adhoc_filename"
	KeyOrganization   = "organization_adhoc_filename"
	KeyDomainTypes    = "domain_adhoc_filename"
	KeyAdditional     = "domain_additional_filename"
	KeyDomainContacts = "domain_contacts_filename"
	KeyEscrow         = "domain_escrow_filename"
	KeyStatuses       = "domain_statuses_filename"
	KeyContacts       = "contacts_filename"
)

// fileSpecs lists the nine files in manifest order with their default names.
var fileSpecs = [...]struct{ key, name string }{
	{KeyAgency, "agency.adhoc.dotgov.txt"},
	{KeyAuthority, "authority.adhoc.dotgov.txt"},
	{KeyOrganization, "organization.adhoc.dotgov.txt"},
	{KeyDomainTypes, "domaintypes.adhoc.dotgov.txt"},
	{KeyAdditional, "domainadditionaldatalink.adhoc.dotgov.txt"},
	{KeyDomainContacts, "escrow_domain_contacts.daily.dotgov.GOV.txt"},
	{KeyEscrow, "escrow_domains.daily.dotgov.GOV.txt"},
	{KeyStatuses, "escrow_domain_statuses.daily.dotgov.GOV.txt"},
	{KeyContacts, "escrow_contacts.daily.dotgov.GOV.txt"},
}

// FileKeys returns the nine manifest keys in manifest order, so callers can
// print Summary.Files deterministically.
func FileKeys() []string {
	keys := make([]string, len(fileSpecs))
	for i, s := range fileSpecs {
		keys[i] = s.key
	}
	return keys
}

// FileName returns the file name written for a manifest key ("" if unknown).
func FileName(key string) string {
	for _, s := range fileSpecs {
		if s.key == key {
			return s.name
		}
	}
	return ""
}

// Options controls Generate.
type Options struct {
	// Domains is the number of distinct domains (after lowercasing and
	// trimming a trailing dot). Zero produces empty core files.
	Domains int
	// Seed selects the data set: the same seed and options give
	// byte-identical files.
	Seed int64
	// BadRate is the expected fraction of deliberately bad lines among all
	// lines of the four core/escrow files, in [0, MaxBadRate]. Zero means no
	// bad rows; there is no implicit default (see DefaultBadRate).
	BadRate float64
	// Sep is the field delimiter; 0 means '|'. It must not be a character
	// that occurs inside generated values (letters, digits, space, quote,
	// and -.@:()_).
	Sep rune
}

// FileSummary describes one written file. Rows counts data lines, bad ones
// included and the header line of the adhoc files excluded; every line ends
// with a newline, so a file's line count is Rows (+1 for a header file).
type FileSummary struct {
	Name    string `json:"name"`
	Rows    int64  `json:"rows"`
	BadRows int64  `json:"badRows"`
	Bytes   int64  `json:"bytes"`
}

// Summary reports what Generate wrote. The entity counts exclude bad rows:
// Contacts is the number of good contact rows, DomainContacts and Statuses
// the good rows of those files. BadRows is the total over all files.
type Summary struct {
	Files          map[string]FileSummary `json:"files"` // by manifest key
	Domains        int64                  `json:"domains"`
	Contacts       int64                  `json:"contacts"`
	DomainContacts int64                  `json:"domainContacts"`
	Statuses       int64                  `json:"statuses"`
	BadRows        int64                  `json:"badRows"`
}

// Generate writes the nine export files and the manifest into dir, creating
// it if needed. Each file is written under a temporary name and renamed only
// when complete; an existing manifest is removed first and the new one is
// written last, so a manifest in dir always describes a complete set. The
// files are independent and are produced concurrently.
func Generate(ctx context.Context, dir string, opts Options) (Summary, error) {
	g, err := newGen(opts)
	if err != nil {
		return Summary{}, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Summary{}, fmt.Errorf("synth: %w", err)
	}
	manifest := filepath.Join(dir, ManifestName)
	if err := os.Remove(manifest); err != nil && !errors.Is(err, os.ErrNotExist) {
		return Summary{}, fmt.Errorf("synth: %w", err)
	}

	producers := map[string]func(*fileWriter) error{
		KeyAgency:         g.agencies,
		KeyAuthority:      g.authorities,
		KeyOrganization:   g.organizations,
		KeyDomainTypes:    g.domainTypes,
		KeyAdditional:     g.additional,
		KeyDomainContacts: g.domainContacts,
		KeyEscrow:         g.escrow,
		KeyStatuses:       g.statuses,
		KeyContacts:       g.contacts,
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
		sums     = make(map[string]FileSummary, len(fileSpecs))
	)
	for _, spec := range fileSpecs {
		wg.Go(func() {
			fs, err := writeFile(ctx, g, dir, spec.name, producers[spec.key])
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if firstErr == nil {
					firstErr = err
				}
				cancel()
				return
			}
			sums[spec.key] = fs
		})
	}
	wg.Wait()
	if firstErr != nil {
		return Summary{}, firstErr
	}

	if err := writeManifest(dir); err != nil {
		return Summary{}, err
	}
	s := Summary{
		Files:          sums,
		Domains:        int64(g.n),
		Contacts:       sums[KeyContacts].Rows - sums[KeyContacts].BadRows,
		DomainContacts: sums[KeyDomainContacts].Rows - sums[KeyDomainContacts].BadRows,
		Statuses:       sums[KeyStatuses].Rows - sums[KeyStatuses].BadRows,
	}
	for _, fs := range sums {
		s.BadRows += fs.BadRows
	}
	return s, nil
}

// validSep reports whether r can delimit fields without ever occurring in a
// generated value or breaking the reference's csv reading (quote, newlines).
func validSep(r rune) bool {
	if r == utf8.RuneError || r == '\r' || r == '\n' || r == '"' || r == ' ' {
		return false
	}
	if unicode.IsLetter(r) || unicode.IsDigit(r) {
		return false
	}
	switch r {
	case '-', '.', '@', ':', '(', ')', '_':
		return false
	}
	return r == '\t' || unicode.IsPrint(r)
}

// bufSize is the bufio buffer per file; nine run at once, so 9 × 512 KiB is
// the bulk of the generator's memory.
const bufSize = 512 << 10

// fileWriter accumulates one row at a time in a reusable buffer so that
// producing a row allocates nothing.
type fileWriter struct {
	ctx  context.Context
	bw   *bufio.Writer
	row  []byte
	sep  []byte
	sum  FileSummary
	tick int
}

// s appends the field separator.
func (w *fileWriter) s() { w.row = append(w.row, w.sep...) }

func (w *fileWriter) str(v string) { w.row = append(w.row, v...) }

// emit terminates and writes the current row. CRLF endings are counted as
// ordinary lines: they are legal input (universal newlines), never bad rows.
func (w *fileWriter) emit(bad, crlf bool) error {
	if crlf {
		w.row = append(w.row, '\r')
	}
	w.row = append(w.row, '\n')
	n, err := w.bw.Write(w.row)
	w.sum.Bytes += int64(n)
	w.row = w.row[:0]
	if err != nil {
		return err
	}
	w.sum.Rows++
	if bad {
		w.sum.BadRows++
	}
	// Checking the context on every row would cost a lock per row.
	if w.tick++; w.tick&1023 == 0 {
		return w.ctx.Err()
	}
	return nil
}

// header writes a header line, which is not counted in Rows.
func (w *fileWriter) header(cols ...string) error {
	for i, c := range cols {
		if i > 0 {
			w.s()
		}
		w.str(c)
	}
	w.row = append(w.row, '\n')
	n, err := w.bw.Write(w.row)
	w.sum.Bytes += int64(n)
	w.row = w.row[:0]
	return err
}

func writeFile(ctx context.Context, g *gen, dir, name string, produce func(*fileWriter) error) (FileSummary, error) {
	// Small files never reach the periodic context check in emit.
	if err := ctx.Err(); err != nil {
		return FileSummary{}, err
	}
	f, err := os.CreateTemp(dir, "."+name+".*.tmp")
	if err != nil {
		return FileSummary{}, fmt.Errorf("synth: %w", err)
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()
	w := &fileWriter{
		ctx: ctx,
		bw:  bufio.NewWriterSize(f, bufSize),
		row: make([]byte, 0, 1024),
		sep: utf8.AppendRune(nil, g.sep),
		sum: FileSummary{Name: name},
	}
	if err := produce(w); err != nil {
		return FileSummary{}, fmt.Errorf("synth: %s: %w", name, err)
	}
	if err := w.bw.Flush(); err != nil {
		return FileSummary{}, fmt.Errorf("synth: %s: %w", name, err)
	}
	// CreateTemp uses 0600; the export should be readable like any output.
	if err := f.Chmod(0o644); err != nil {
		return FileSummary{}, fmt.Errorf("synth: %w", err)
	}
	if err := f.Close(); err != nil {
		return FileSummary{}, fmt.Errorf("synth: %s: %w", name, err)
	}
	// A sibling may have failed meanwhile; don't publish into a failed run.
	if err := ctx.Err(); err != nil {
		return FileSummary{}, err
	}
	if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
		return FileSummary{}, fmt.Errorf("synth: %w", err)
	}
	ok = true
	return w.sum, nil
}

// writeManifest writes the flat JSON object in manifest order (a Go map
// would be sorted alphabetically). "directory" is "." so the set can be moved
// as a whole.
func writeManifest(dir string) error {
	b := []byte("{\n    \"directory\": \".\"")
	for _, s := range fileSpecs {
		k, _ := json.Marshal(s.key)
		v, _ := json.Marshal(s.name)
		b = append(b, ",\n    "...)
		b = append(b, k...)
		b = append(b, ": "...)
		b = append(b, v...)
	}
	b = append(b, "\n}\n"...)

	f, err := os.CreateTemp(dir, "."+ManifestName+".*.tmp")
	if err != nil {
		return fmt.Errorf("synth: %w", err)
	}
	tmp := f.Name()
	_, werr := f.Write(b)
	if werr == nil {
		werr = f.Chmod(0o644)
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp, filepath.Join(dir, ManifestName))
	}
	if werr != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("synth: manifest: %w", werr)
	}
	return nil
}
