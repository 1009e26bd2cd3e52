package registrar

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzManifest feeds arbitrary bytes to the manifest reader: it must never
// panic, must refuse with an input error anything that is not a flat object
// of known string keys, and must resolve bare names into the directory.
func FuzzManifest(f *testing.F) {
	f.Add([]byte(`{"directory": ".", "contacts_filename": "c.txt"}`))
	f.Add([]byte(`{"domain_contacts_filename": "sub/dc.txt", "agency_adhoc_filename": ""}`))
	f.Add([]byte(`{"directory": "data", "unknown": "x"}`))
	f.Add([]byte(`[1, 2]`))
	f.Add([]byte(`{"contacts_filename": 7}`))
	f.Add([]byte("\xef\xbb\xbf{}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, DefaultManifest), data, 0o644); err != nil {
			t.Fatal(err)
		}
		files, err := FileSource{Directory: dir}.Resolve()
		if err != nil {
			if !errors.Is(err, ErrInput) {
				t.Fatalf("manifest error is not an input error: %v", err)
			}
			return
		}
		known := map[string]bool{}
		for _, k := range ManifestKeys {
			known[k] = true
		}
		for k, p := range files {
			if !known[k] {
				t.Fatalf("unknown key %q resolved", k)
			}
			if p == "" {
				t.Fatalf("key %q resolved to an empty path", k)
			}
			if !strings.ContainsRune(p, filepath.Separator) && p != "-" {
				t.Fatalf("key %q resolved to %q, which is neither a path nor standard input", k, p)
			}
		}
	})
}
