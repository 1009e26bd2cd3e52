package registrar

import (
	"encoding/json"

	"github.com/ferrymigrate/ferry/internal/engine"
	"os"
	"path/filepath"
	"strings"
)

// Manifest keys, as in the reference's migrationFilepaths.json.
const (
	KeyDomainContacts = "domain_contacts_filename"
	KeyContacts       = "contacts_filename"
	KeyStatuses       = "domain_statuses_filename"
	KeyEscrow         = "domain_escrow_filename"
	KeyAdditional     = "domain_additional_filename"
	KeyDomainTypes    = "domain_adhoc_filename"
	KeyOrganization   = "organization_adhoc_filename"
	KeyAuthority      = "authority_adhoc_filename"
	KeyAgency         = "agency_adhoc_filename"
)

// DefaultManifest is the manifest file name looked up in --directory.
const DefaultManifest = "migrationFilepaths.json"

// ManifestKeys lists every file key in load order: the three core files,
// then the enrichment files.
var ManifestKeys = []string{KeyDomainContacts, KeyContacts, KeyStatuses, KeyEscrow, KeyAdditional, KeyDomainTypes, KeyOrganization, KeyAuthority, KeyAgency}

// coreKeys are required for the load; the rest only enrich it (decision 12).
var coreKeys = []string{KeyDomainContacts, KeyContacts, KeyStatuses}

// Files maps manifest keys to resolved paths. A missing key means the file
// is not part of this run.
type Files map[string]string

// FileSource says where the file names come from. Flags always win over the
// manifest, its directory key included (decision 12).
type FileSource struct {
	Directory string            // --directory; "" = the manifest's, or "."
	Manifest  string            // --manifest; "" = none, unless Directory holds the default
	Override  map[string]string // per-key names or paths from the command line
}

// Resolve reads the manifest, applies the overrides and turns every name
// into a path. The files live in the directory: --directory, else the
// manifest's directory key (relative to the manifest's own folder), else
// the manifest's folder. A name from the manifest is relative to that
// directory, whether bare or a relative path, so a manifest travels with
// its files; a name given on the command line is looked up there when
// bare, and taken as given, relative to the working directory, when it is
// a path.
func (src FileSource) Resolve() (Files, error) {
	dir := src.Directory
	if dir != "" {
		if st, err := os.Stat(dir); err != nil {
			return nil, inputErr("directory %s: %v", dir, unwrapPathErr(err))
		} else if !st.IsDir() {
			return nil, inputErr("%s is not a directory", dir)
		}
	}
	manifestPath := src.Manifest
	if manifestPath == "" && src.Directory != "" {
		if p := filepath.Join(src.Directory, DefaultManifest); fileExists(p) {
			manifestPath = p
		}
	} else if manifestPath != "" && !strings.ContainsRune(manifestPath, filepath.Separator) && src.Directory != "" {
		manifestPath = filepath.Join(src.Directory, manifestPath)
	}
	fromManifest := map[string]string{}
	if manifestPath != "" {
		m, err := readManifest(manifestPath)
		if err != nil {
			return nil, err
		}
		for k, v := range m {
			if k == "directory" {
				if dir == "" && v != "" {
					if !filepath.IsAbs(v) {
						v = filepath.Join(filepath.Dir(manifestPath), v)
					}
					dir = v
				}
				continue
			}
			fromManifest[k] = v
		}
		if dir == "" {
			dir = filepath.Dir(manifestPath)
		}
	}
	if dir == "" {
		dir = "."
	}
	files := Files{}
	for k, v := range fromManifest {
		switch {
		case v == "":
		case v == "-" || filepath.IsAbs(v):
			files[k] = v
		default:
			files[k] = filepath.Join(dir, v)
		}
	}
	for k, v := range src.Override {
		switch {
		case v == "":
		case strings.ContainsRune(v, filepath.Separator) || v == "-":
			files[k] = v
		default:
			files[k] = filepath.Join(dir, v)
		}
	}
	return files, nil
}

func readManifest(path string) (map[string]string, error) {
	if err := engine.CheckRegular("manifest", path); err != nil {
		return nil, err
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, inputErr("manifest %s: %v", path, unwrapPathErr(err))
	}
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, inputErr("manifest %s is not a JSON object: %v", path, err)
	}
	known := map[string]bool{"directory": true}
	for _, k := range ManifestKeys {
		known[k] = true
	}
	out := map[string]string{}
	for k, v := range raw {
		s, ok := v.(string)
		if !ok {
			return nil, inputErr("manifest %s: key %q must be a string", path, k)
		}
		if !known[k] {
			return nil, inputErr("manifest %s: unknown key %q", path, k)
		}
		out[k] = s
	}
	return out, nil
}

// RequireCore checks that the three core files are named and exist, and that
// every named enrichment file exists, before anything is read.
func (f Files) RequireCore() error {
	for _, k := range coreKeys {
		if f[k] == "" {
			return inputErr("no %s file given (positional argument or manifest key %q)", describeKey(k), k)
		}
	}
	return f.checkExist()
}

func (f Files) checkExist() error {
	for _, k := range ManifestKeys {
		p := f[k]
		if p == "" || p == "-" {
			continue
		}
		if err := engine.CheckRegular(describeKey(k), p); err != nil {
			return err
		}
	}
	return nil
}

// Describe names a manifest key's file for people: "domain contacts".
func Describe(k string) string { return describeKey(k) }

func describeKey(k string) string {
	switch k {
	case KeyDomainContacts:
		return "domain contacts"
	case KeyContacts:
		return "contacts"
	case KeyStatuses:
		return "domain statuses"
	case KeyEscrow:
		return "escrow domains"
	case KeyAdditional:
		return "domain additional data"
	case KeyDomainTypes:
		return "domain types"
	case KeyOrganization:
		return "organization"
	case KeyAuthority:
		return "authority"
	case KeyAgency:
		return "agency"
	}
	return k
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// unwrapPathErr drops the path os errors repeat, since messages name it.
func unwrapPathErr(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}
