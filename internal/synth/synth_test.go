package synth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

func generate(t testing.TB, opts Options) (string, Summary) {
	t.Helper()
	dir := t.TempDir()
	s, err := Generate(context.Background(), dir, opts)
	if err != nil {
		t.Fatalf("Generate(%+v): %v", opts, err)
	}
	return dir, s
}

// readLines splits a file on LF. Every generated file ends with a newline,
// so the empty string after the last one is dropped; a trailing CR is kept
// so callers can count CRLF lines.
func readLines(t testing.TB, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) == 0 {
		return nil
	}
	if b[len(b)-1] != '\n' {
		t.Fatalf("%s: no final newline", filepath.Base(path))
	}
	return strings.Split(string(b[:len(b)-1]), "\n")
}

func normName(s string) string { return strings.TrimSuffix(strings.ToLower(s), ".") }

func validEmail(s string) bool {
	local, dom, ok := strings.Cut(s, "@")
	return ok && local != "" && strings.Contains(dom, ".") && !strings.ContainsAny(dom, "@ ")
}

func validStamp(s string) bool {
	_, err := time.Parse("2006-01-02T15:04:05Z", s)
	return err == nil
}

// fileCheck describes how a test recognises a bad row structurally, the way
// a strict loader would reject it, independently of the generator's code.
type fileCheck struct {
	header []string
	bad    func(f []string) bool // f is the row split on the separator
}

var fileChecks = map[string]fileCheck{
	KeyDomainContacts: {bad: func(f []string) bool {
		return len(f) != 3 || f[0] == "" || f[1] == ""
	}},
	KeyStatuses: {bad: func(f []string) bool {
		return len(f) != 3 || f[0] == "" || f[1] == "" || f[2] != ""
	}},
	KeyEscrow: {bad: func(f []string) bool {
		if len(f) != 13 || f[0] == "" {
			return true
		}
		for _, i := range []int{7, 10, 11, 12} {
			if !validStamp(f[i]) {
				return true
			}
		}
		return false
	}},
	KeyContacts: {bad: func(f []string) bool {
		return len(f) != 15 || f[0] == "" || f[14] != "" || (f[6] != "" && !validEmail(f[6]))
	}},
	KeyAdditional: {header: []string{"domainname", "domaintypeid", "authorityid", "orgid",
		"securitycontactemail", "dnsseckeymonitor", "domainpurpose"}},
	KeyDomainTypes:  {header: []string{"domaintypeid", "domaintype", "code", "active"}},
	KeyAgency:       {header: []string{"agencyid", "agencyname", "active", "isfederal"}},
	KeyAuthority:    {header: []string{"authorityid", "firstname", "middlename", "lastname", "email", "phonenumber", "agencyid", "addlinfo"}},
	KeyOrganization: {header: []string{"orgid", "orgname", "orgstreet", "orgcity", "orgstate", "orgzip", "orgcountrycode"}},
}

// splitRow splits a line the way the loaders do: a blank line has no fields,
// and header files first get the reference's bad-separator repair.
func splitRow(line string, sep string, header bool) []string {
	line = strings.TrimSuffix(line, "\r")
	if line == "" {
		return nil
	}
	if header {
		line = strings.ReplaceAll(line, " "+sep+" ", "\x00")
	}
	return strings.Split(line, sep)
}

func TestSummaryMatchesFiles(t *testing.T) {
	cases := []struct {
		name string
		opts Options
	}{
		{"empty", Options{Domains: 0, Seed: 1, BadRate: 0.5}},
		{"one domain", Options{Domains: 1, Seed: 1}},
		{"small no bad rows", Options{Domains: 37, Seed: 2}},
		{"bad rows", Options{Domains: 3000, Seed: 3, BadRate: 0.05}},
		{"semicolon", Options{Domains: 3000, Seed: 4, BadRate: 0.02, Sep: ';'}},
		{"tab", Options{Domains: 500, Seed: 5, BadRate: 0.3, Sep: '\t'}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir, s := generate(t, tc.opts)
			sep := string(tc.opts.Sep)
			if tc.opts.Sep == 0 {
				sep = "|"
			}
			if len(s.Files) != len(fileChecks) {
				t.Fatalf("Summary.Files has %d entries, want %d", len(s.Files), len(fileChecks))
			}
			var totalBad, badCore, linesCore int64
			for key, chk := range fileChecks {
				fs := s.Files[key]
				if fs.Name != FileName(key) {
					t.Errorf("%s: name %q, want %q", key, fs.Name, FileName(key))
				}
				path := filepath.Join(dir, fs.Name)
				st, err := os.Stat(path)
				if err != nil {
					t.Fatal(err)
				}
				if st.Size() != fs.Bytes {
					t.Errorf("%s: %d bytes on disk, Summary says %d", key, st.Size(), fs.Bytes)
				}
				lines := readLines(t, path)
				rows := lines
				if chk.header != nil {
					if len(lines) == 0 || lines[0] != strings.Join(chk.header, sep) {
						t.Fatalf("%s: header %q", key, lines[:min(1, len(lines))])
					}
					rows = lines[1:]
				}
				if int64(len(rows)) != fs.Rows {
					t.Errorf("%s: %d data lines, Summary says %d", key, len(rows), fs.Rows)
				}
				var bad int64
				for _, line := range rows {
					f := splitRow(line, sep, chk.header != nil)
					switch {
					case chk.header != nil:
						if len(f) != len(chk.header) {
							t.Errorf("%s: header file row with %d fields: %q", key, len(f), line)
						}
					case f == nil || chk.bad(f):
						bad++
					}
				}
				if bad != fs.BadRows {
					t.Errorf("%s: %d structurally bad rows, Summary says %d", key, bad, fs.BadRows)
				}
				totalBad += bad
				if chk.header == nil {
					badCore += bad
					linesCore += int64(len(rows))
				}
			}
			if totalBad != s.BadRows {
				t.Errorf("Summary.BadRows %d, files have %d", s.BadRows, totalBad)
			}
			if tc.opts.BadRate == 0 && totalBad != 0 {
				t.Errorf("BadRate 0 gave %d bad rows", totalBad)
			}
			if tc.opts.BadRate > 0 && linesCore > 5000 {
				got := float64(badCore) / float64(linesCore)
				if got < tc.opts.BadRate*0.7 || got > tc.opts.BadRate*1.3 {
					t.Errorf("bad fraction %.4f, want about %.4f", got, tc.opts.BadRate)
				}
			}
			good := func(key string) int64 { return s.Files[key].Rows - s.Files[key].BadRows }
			if s.Domains != int64(tc.opts.Domains) || good(KeyEscrow) != s.Domains || good(KeyAdditional) != s.Domains {
				t.Errorf("Domains %d, escrow %d, additional %d, want %d",
					s.Domains, good(KeyEscrow), good(KeyAdditional), tc.opts.Domains)
			}
			if s.Contacts != good(KeyContacts) || s.DomainContacts != good(KeyDomainContacts) || s.Statuses != good(KeyStatuses) {
				t.Errorf("entity counts %+v disagree with files", s)
			}
			checkManifest(t, dir)
		})
	}
}

func checkManifest(t *testing.T, dir string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, ManifestName))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("manifest: %v", err)
	}
	if m["directory"] != "." || len(m) != 10 {
		t.Errorf("manifest %v", m)
	}
	for _, k := range FileKeys() {
		if _, err := os.Stat(filepath.Join(dir, m[k])); err != nil {
			t.Errorf("manifest %s: %v", k, err)
		}
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 10 {
		t.Errorf("dir holds %d entries, want 9 files + manifest", len(ents))
	}
}

// fixtureDir holds the reference's own test data when the shared checkout
// is present; it is read, never copied.
const fixtureDir = "../../../shared/fixtures/getgov"

// The generated files must have the reference fixtures' shapes: same
// manifest keys, same headers, same field counts (trailing delimiters
// included).
func TestShapesMatchReferenceFixtures(t *testing.T) {
	mb, err := os.ReadFile(filepath.Join(fixtureDir, "test_migrationFilepaths.json"))
	if err != nil {
		t.Skipf("reference fixtures not available: %v", err)
	}
	var fixtures map[string]string
	if err := json.Unmarshal(mb, &fixtures); err != nil {
		t.Fatal(err)
	}
	dir, s := generate(t, Options{Domains: 50, Seed: 1})
	for _, key := range FileKeys() {
		t.Run(key, func(t *testing.T) {
			name, ok := fixtures[key]
			if !ok {
				t.Fatalf("fixture manifest has no %s", key)
			}
			want := readFixtureLines(t, filepath.Join(fixtureDir, name))
			got := readLines(t, filepath.Join(dir, s.Files[key].Name))
			if fileChecks[key].header != nil && got[0] != want[0] {
				t.Errorf("header %q, fixture has %q", got[0], want[0])
			}
			wantFields := strings.Count(want[len(want)-1], "|")
			for _, line := range got[min(1, len(got)-1):] {
				if n := strings.Count(line, "|"); n != wantFields && !strings.Contains(line, " | ") {
					t.Fatalf("row %q has %d delimiters, fixture rows have %d", line, n, wantFields)
				}
			}
		})
	}
}

// readFixtureLines tolerates what the fixtures do: no final newline.
func readFixtureLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimRight(string(b), "\n"), "\n")
}

func TestDeterminism(t *testing.T) {
	base := Options{Domains: 2000, Seed: 42, BadRate: 0.02}
	cases := []struct {
		name string
		a, b Options
		same bool
	}{
		{"same seed", base, base, true},
		{"different seed", base, Options{Domains: 2000, Seed: 43, BadRate: 0.02}, false},
		{"different bad rate", base, Options{Domains: 2000, Seed: 42, BadRate: 0.1}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			da, _ := generate(t, tc.a)
			db, _ := generate(t, tc.b)
			for _, key := range append(FileKeys(), "manifest") {
				name := FileName(key)
				if key == "manifest" {
					name = ManifestName
				}
				a, err := os.ReadFile(filepath.Join(da, name))
				if err != nil {
					t.Fatal(err)
				}
				b, err := os.ReadFile(filepath.Join(db, name))
				if err != nil {
					t.Fatal(err)
				}
				eq := bytes.Equal(a, b)
				switch {
				case tc.same && !eq:
					t.Errorf("%s differs between runs", name)
				case !tc.same && eq && (key == KeyDomainContacts || key == KeyEscrow || key == KeyContacts || key == KeyStatuses):
					t.Errorf("%s identical although options differ", name)
				}
			}
		})
	}
}

// dataset is the N-domain export read back with test-side parsing only.
type dataset struct {
	addNames     map[string]string   // norm -> raw name in the additional file
	escNames     map[string]string   // norm -> raw name in escrow
	dcNames      map[string]string   // norm -> raw name in domain contacts
	dcRows       int                 // good domain-contact rows
	domContacts  map[string][]string // norm -> contact ids
	contactUse   map[string]int      // contact id -> domains referencing it
	emails       map[string]string   // contact id -> e-mail (good rows)
	statuses     map[string][]string // norm -> statuses
	crlf         int
	mixedCase    int
	trailingDot  int
	escrowBadTr  int
	orgs         [][]string
	types        [][]string
	dupAddNames  int
	dupEscNames  int
	contactRows  int
	emptyEmails  int
	registrantOK bool
}

func loadDataset(t *testing.T, n int) *dataset {
	t.Helper()
	dir, s := generate(t, Options{Domains: n, Seed: 7, BadRate: 0.02})
	d := &dataset{addNames: map[string]string{}, escNames: map[string]string{},
		dcNames: map[string]string{}, domContacts: map[string][]string{}, contactUse: map[string]int{},
		emails: map[string]string{}, statuses: map[string][]string{}, registrantOK: true}
	rows := func(key string) [][]string {
		chk := fileChecks[key]
		var out [][]string
		lines := readLines(t, filepath.Join(dir, s.Files[key].Name))
		if chk.header != nil {
			lines = lines[1:]
		}
		for _, l := range lines {
			if strings.HasSuffix(l, "\r") {
				d.crlf++
			}
			f := splitRow(l, "|", chk.header != nil)
			if chk.bad != nil && (f == nil || chk.bad(f)) {
				continue
			}
			out = append(out, f)
		}
		return out
	}
	for _, f := range rows(KeyAdditional) {
		k := normName(f[0])
		if _, dup := d.addNames[k]; dup {
			d.dupAddNames++
		}
		d.addNames[k] = f[0]
		if f[0] != strings.ToLower(f[0]) {
			d.mixedCase++
		}
		if strings.HasSuffix(f[0], ".") {
			d.trailingDot++
		}
	}
	for _, f := range rows(KeyDomainContacts) {
		k := normName(f[0])
		d.dcRows++
		d.dcNames[k] = f[0]
		d.domContacts[k] = append(d.domContacts[k], f[1])
	}
	for _, ids := range d.domContacts {
		seen := map[string]bool{}
		for _, id := range ids {
			if !seen[id] {
				seen[id] = true
				d.contactUse[id]++
			}
		}
	}
	for _, f := range rows(KeyContacts) {
		d.contactRows++
		d.emails[f[0]] = f[6]
		if f[6] == "" {
			d.emptyEmails++
		}
	}
	for _, f := range rows(KeyStatuses) {
		k := normName(f[0])
		d.statuses[k] = append(d.statuses[k], f[1])
	}
	for _, f := range rows(KeyEscrow) {
		k := normName(f[0])
		if _, dup := d.escNames[k]; dup {
			d.dupEscNames++
		}
		d.escNames[k] = f[0]
		ex, _ := time.Parse(time.RFC3339, f[11])
		tr, _ := time.Parse(time.RFC3339, f[12])
		if !ex.AddDate(0, -1, 0).Equal(tr) {
			d.escrowBadTr++
		}
		if ids := d.domContacts[k]; len(ids) == 0 || ids[0] != f[3] {
			d.registrantOK = false
		}
	}
	d.orgs = rows(KeyOrganization)
	d.types = rows(KeyDomainTypes)
	return d
}

func TestDatasetShape(t *testing.T) {
	const n = 20000
	d := loadDataset(t, n)
	frac := func(k int) float64 { return float64(k) / n }
	cases := []struct {
		name  string
		check func() (bool, any)
	}{
		{"unique names after normalisation", func() (bool, any) {
			return len(d.addNames) == n && d.dupAddNames == 0 && len(d.escNames) == n && d.dupEscNames == 0,
				[]int{len(d.addNames), d.dupAddNames, len(d.escNames), d.dupEscNames}
		}},
		{"core files cover the same domains", func() (bool, any) {
			for k := range d.addNames {
				if _, ok := d.escNames[k]; !ok {
					return false, k
				}
				if _, ok := d.dcNames[k]; !ok {
					return false, k
				}
			}
			for k := range d.statuses {
				if _, ok := d.addNames[k]; !ok {
					return false, k
				}
			}
			return len(d.dcNames) == n, len(d.dcNames)
		}},
		{"some mixed case and trailing dots", func() (bool, any) {
			return d.mixedCase > 0 && frac(d.mixedCase) < 0.15 && d.trailingDot > 0 && frac(d.trailingDot) < 0.05,
				[]int{d.mixedCase, d.trailingDot}
		}},
		{"escrow case sometimes differs from contacts", func() (bool, any) {
			diff := 0
			for k, raw := range d.escNames {
				if d.dcNames[k] != raw {
					diff++
				}
			}
			return diff > 0 && frac(diff) < 0.2, diff
		}},
		{"average contacts per domain", func() (bool, any) {
			avg := float64(d.dcRows) / n
			return avg >= 2.5 && avg <= 3.5, avg
		}},
		{"contacts are shared", func() (bool, any) {
			distinct := len(d.contactUse)
			perDomain := float64(distinct) / n
			return distinct < d.dcRows && perDomain > 1.4 && perDomain < 2.5, []any{distinct, d.dcRows, perDomain}
		}},
		{"a heavy sharer covers hundreds of domains", func() (bool, any) {
			top := 0
			for _, c := range d.contactUse {
				top = max(top, c)
			}
			return top >= 100, top
		}},
		{"some domains have 1-2 and some 4-5 contacts", func() (bool, any) {
			var hist [7]int
			for _, ids := range d.domContacts {
				hist[min(len(ids), 6)]++
			}
			return hist[1] > 0 && hist[2] > 0 && hist[4] > 0 && hist[5] > 0 && hist[6] == 0, hist
		}},
		{"same e-mail under two ids on one domain", func() (bool, any) {
			count := 0
			for _, ids := range d.domContacts {
				seen := map[string]string{}
				for _, id := range ids {
					e := strings.ToLower(d.emails[id])
					if e == "" {
						continue
					}
					if other, ok := seen[e]; ok && other != id {
						count++
						break
					}
					seen[e] = id
				}
			}
			return count > 0, count
		}},
		{"referenced contacts missing from contacts file", func() (bool, any) {
			missing := 0
			for id := range d.contactUse {
				if _, ok := d.emails[id]; !ok {
					missing++
				}
			}
			return missing > 0 && missing < n/100, missing
		}},
		{"about 1% empty e-mails", func() (bool, any) {
			f := float64(d.emptyEmails) / float64(d.contactRows)
			return f > 0.003 && f < 0.03, f
		}},
		{"1-2 statuses per domain, a few without", func() (bool, any) {
			for k, st := range d.statuses {
				if len(st) > 2 {
					return false, k
				}
			}
			without := n - len(d.statuses)
			return without > 0 && frac(without) < 0.03, without
		}},
		{"status variety", func() (bool, any) {
			seen := map[string]int{}
			for _, st := range d.statuses {
				for _, s := range st {
					seen[s]++
				}
			}
			known := []string{"ok", "serverHold", "clientHold", "Hold", "unknown",
				"clientTransferProhibited", "serverTransferProhibited"}
			other := len(seen)
			for _, k := range known {
				if seen[k] == 0 {
					return false, seen
				}
				other--
			}
			return other > 0 && frac(seen["ok"]) > 0.8, seen
		}},
		{"trDate is one month before expiry", func() (bool, any) { return d.escrowBadTr == 0, d.escrowBadTr }},
		{"registrant is the first contact", func() (bool, any) { return d.registrantOK, nil }},
		{"CRLF lines present but rare", func() (bool, any) { return d.crlf > 0 && d.crlf < n/100, d.crlf }},
		{"organisations", func() (bool, any) {
			bar, atlantis := 0, 0
			for _, o := range d.orgs {
				if strings.Contains(o[3], "\x00") {
					bar++
				}
				if o[4] == "Atlantis" || o[4] == "Xanadu" {
					atlantis++
				}
			}
			return len(d.orgs) == n/2 && bar > 0 && atlantis > 0, []int{len(d.orgs), bar, atlantis}
		}},
		{"17 domain types keyed 1..17", func() (bool, any) {
			ids := map[string]bool{}
			for _, ty := range d.types {
				ids[ty[0]] = true
			}
			return len(d.types) == 17 && len(ids) == 17 && ids["1"] && ids["17"], len(ids)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if ok, got := tc.check(); !ok {
				t.Errorf("failed; observed %v", got)
			}
		})
	}
}

// Names must stay unique past the first 32×4096 indexes, where the numeric
// block takes over; Generate-level tests only reach that at 131k domains.
func TestNamesUniqueAcrossBlocks(t *testing.T) {
	g, err := newGen(Options{Domains: 1, Seed: 11})
	if err != nil {
		t.Fatal(err)
	}
	styles := []uint8{styleLower, styleTitle, styleUpper, styleDot}
	seen := make(map[string]uint64, 1<<19)
	var buf []byte
	for x := uint64(0); x < 400000; x++ {
		buf = g.appendName(buf[:0], x, styles[x%4])
		name := normName(string(buf))
		if prev, dup := seen[name]; dup {
			t.Fatalf("indexes %d and %d both normalise to %q", prev, x, name)
		}
		seen[name] = x
	}
}

func TestOptionsValidation(t *testing.T) {
	cases := []struct {
		name string
		opts Options
	}{
		{"negative domains", Options{Domains: -1}},
		{"negative bad rate", Options{Domains: 1, BadRate: -0.1}},
		{"bad rate too high", Options{Domains: 1, BadRate: 0.6}},
		{"letter separator", Options{Domains: 1, Sep: 'x'}},
		{"dash separator", Options{Domains: 1, Sep: '-'}},
		{"quote separator", Options{Domains: 1, Sep: '"'}},
		{"newline separator", Options{Domains: 1, Sep: '\n'}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "out")
			if _, err := Generate(context.Background(), dir, tc.opts); err == nil {
				t.Fatal("no error")
			}
			if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("invalid options still created %s", dir)
			}
		})
	}
}

// An interrupted run must leave no temp files, no manifest, and only
// complete files under final names.
func TestCancelLeavesNoPartialFiles(t *testing.T) {
	opts := Options{Domains: 30000, Seed: 9, BadRate: 0.02}
	ref, _ := generate(t, opts)
	dir := t.TempDir()
	// A stale manifest from an earlier run must not survive a failed one.
	if err := os.WriteFile(filepath.Join(dir, ManifestName), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Generate(ctx, dir, opts); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".tmp") || e.Name() == ManifestName {
			t.Errorf("left %s behind", e.Name())
			continue
		}
		got, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		want, _ := os.ReadFile(filepath.Join(ref, e.Name()))
		if !bytes.Equal(got, want) {
			t.Errorf("%s is not the complete file", e.Name())
		}
	}
	if len(ents) >= len(fileSpecs) {
		t.Errorf("cancelled run wrote all %d files", len(ents))
	}
}

// measure returns the bytes allocated by one Generate call and the peak
// heap in use above the starting point, sampled while it runs.
func measure(t *testing.T, n int) (alloc, peak uint64) {
	t.Helper()
	dir := t.TempDir()
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	var (
		wg      sync.WaitGroup
		stop    = make(chan struct{})
		maxHeap uint64
	)
	wg.Go(func() {
		var ms runtime.MemStats
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			runtime.ReadMemStats(&ms)
			maxHeap = max(maxHeap, ms.HeapInuse)
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	})
	_, err := Generate(context.Background(), dir, Options{Domains: n, Seed: 1, BadRate: 0.02})
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if maxHeap < before.HeapInuse {
		maxHeap = before.HeapInuse
	}
	return after.TotalAlloc - before.TotalAlloc, maxHeap - before.HeapInuse
}

func TestMemoryIsFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("writes ~150 MB")
	}
	allocSmall, peakSmall := measure(t, 20000)
	allocBig, peakBig := measure(t, 200000)
	t.Logf("alloc %d -> %d bytes, peak heap %d -> %d bytes", allocSmall, allocBig, peakSmall, peakBig)
	// Ten times the domains must not mean more allocation: even one small
	// allocation per domain would add megabytes here.
	const slack = 1 << 20
	if allocBig > allocSmall+slack {
		t.Errorf("allocated %d bytes for 200k domains vs %d for 20k", allocBig, allocSmall)
	}
	if peakBig > peakSmall+4*slack {
		t.Errorf("peak heap %d bytes for 200k domains vs %d for 20k", peakBig, peakSmall)
	}
}

func BenchmarkGenerate(b *testing.B) {
	for _, n := range []int{10000, 100000, 1000000} {
		b.Run(fmt.Sprintf("domains=%d", n), func(b *testing.B) {
			dir := b.TempDir()
			b.ReportAllocs()
			for b.Loop() {
				s, err := Generate(context.Background(), dir, Options{Domains: n, Seed: 1, BadRate: DefaultBadRate})
				if err != nil {
					b.Fatal(err)
				}
				var total int64
				for _, f := range s.Files {
					total += f.Bytes
				}
				b.SetBytes(total)
			}
		})
	}
}
