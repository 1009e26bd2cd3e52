package registrar

import (
	"io"
	"os"
	"path/filepath"

	"github.com/ferrymigrate/ferry/internal/engine"
	"github.com/ferrymigrate/ferry/internal/escrow"
)

// chunkRows is how many records one scratch-load transaction carries.
// It is a variable only so that tests can interrupt and resume a load of a
// small input between chunks.
var chunkRows = engine.DefaultChunkRows

// scratchTable describes how one kind of escrow file lands in its scratch table.
type scratchTable struct {
	table   string
	columns []string // after job_id
	open    func(r io.Reader, opts escrow.Options) engine.RowReader
}

// adapted is an escrow reader with its records already turned into column values.
type adapted[T any] struct {
	*escrow.Reader[T]
	conv func(T) []any
}

func (a adapted[T]) Values() []any { return a.conv(a.Record()) }

func (a adapted[T]) Position() engine.Position {
	p := a.Reader.Position()
	return engine.Position{Offset: p.Offset, Line: p.Line}
}

// Stats counts blank lines as rejected, as the reject report does.
func (a adapted[T]) Stats() engine.ReadStats {
	st := a.Reader.Stats()
	return engine.ReadStats{Lines: st.Lines, Records: st.Records, Rejected: st.Rejected + st.Blank}
}

func adapt[T any](r *escrow.Reader[T], conv func(T) []any) engine.RowReader {
	return adapted[T]{Reader: r, conv: conv}
}

// failed is a reader that never yields a row, for a file that cannot be
// opened the way the load needs.
type failed struct{ err error }

func (f failed) Next() bool                { return false }
func (f failed) Values() []any             { return nil }
func (f failed) Err() error                { return f.err }
func (f failed) Position() engine.Position { return engine.Position{} }
func (f failed) Stats() engine.ReadStats   { return engine.ReadStats{} }

func nullText(s string) any {
	if s == "" {
		return nil
	}
	return s
}

var scratchTables = map[string]scratchTable{
	KeyDomainContacts: {"load_domain_contact", []string{"line", "domain_name", "contact_id", "role"},
		func(r io.Reader, o escrow.Options) engine.RowReader {
			return adapt(escrow.NewDomainContactReader(r, o), func(x escrow.DomainContact) []any {
				return []any{x.Line, x.Domain, x.ContactID, x.Role}
			})
		}},
	KeyContacts: {"load_contact", []string{"line", "contact_id", "email"},
		func(r io.Reader, o escrow.Options) engine.RowReader {
			return adapt(escrow.NewContactReader(r, o), func(x escrow.Contact) []any {
				return []any{x.Line, x.ID, x.Email}
			})
		}},
	KeyStatuses: {"load_domain_status", []string{"line", "domain_name", "status"},
		func(r io.Reader, o escrow.Options) engine.RowReader {
			return adapt(escrow.NewDomainStatusReader(r, o), func(x escrow.DomainStatus) []any {
				return []any{x.Line, x.Domain, x.Status}
			})
		}},
	KeyEscrow: {"load_escrow_domain", []string{"line", "domain_name", "created", "expires"},
		func(r io.Reader, o escrow.Options) engine.RowReader {
			return adapt(escrow.NewEscrowDomainReader(r, o), func(x escrow.EscrowDomain) []any {
				return []any{x.Line, x.Domain, nullText(x.Created.String()), nullText(x.Expires.String())}
			})
		}},
	KeyAdditional: {"load_additional", []string{"line", "domain_name", "domain_type_id", "authority_id", "org_id"},
		func(r io.Reader, o escrow.Options) engine.RowReader {
			return adapt(escrow.NewAdditionalReader(r, o), func(x escrow.Additional) []any {
				return []any{x.Line, x.Domain, x.DomainTypeID, x.AuthorityID, x.OrgID}
			})
		}},
	KeyDomainTypes: {"load_domain_type", []string{"line", "type_id", "org_type", "federal_type", "active"},
		func(r io.Reader, o escrow.Options) engine.RowReader {
			return adapt(escrow.NewDomainTypeReader(r, o), func(x escrow.DomainType) []any {
				return []any{x.Line, x.ID, x.OrgType, x.FederalType, x.Active}
			})
		}},
	KeyOrganization: {"load_organization", []string{"line", "org_id", "name", "street", "city", "state_code", "state_raw", "zip"},
		func(r io.Reader, o escrow.Options) engine.RowReader {
			return adapt(escrow.NewOrganizationReader(r, o), func(x escrow.Organization) []any {
				var code any
				if c, ok := escrow.StateCode(x.State); ok {
					code = c
				}
				return []any{x.Line, x.ID, x.Name, x.Street, x.City, code, x.State, x.Zip}
			})
		}},
	KeyAuthority: {"load_authority", []string{"line", "authority_id", "first_name", "middle_name", "last_name", "email", "phone", "agency_id"},
		func(r io.Reader, o escrow.Options) engine.RowReader {
			return adapt(escrow.NewAuthorityReader(r, o), func(x escrow.Authority) []any {
				return []any{x.Line, x.ID, x.First, x.Middle, x.Last, x.Email, x.Phone, x.AgencyID}
			})
		}},
	KeyAgency: {"load_agency", []string{"line", "agency_id", "name", "active", "federal"},
		func(r io.Reader, o escrow.Options) engine.RowReader {
			return adapt(escrow.NewAgencyReader(r, o), func(x escrow.Agency) []any {
				return []any{x.Line, x.ID, x.Name, x.Active, x.Federal}
			})
		}},
}

// FileStats is what ferry read from one input file.
type FileStats = engine.FileStats

// loadFiles turns the files of a run into the engine's, in manifest order.
func loadFiles(files Files, sep rune, limit int64) []engine.File {
	var out []engine.File
	for _, k := range ManifestKeys {
		p := files[k]
		if p == "" {
			continue
		}
		spec := scratchTables[k]
		key := k
		out = append(out, engine.File{Role: k, Label: describeKey(k), Path: p, Table: spec.table, Columns: spec.columns,
			Open: func(r io.Reader, from engine.Position, onReject func(engine.Reject)) engine.RowReader {
				if limit > 0 && key == KeyDomainContacts {
					// The limit counts lines, refused ones included. The reader
					// skips refused lines on its way to the next record, so it
					// must not see past line N, or it would read and refuse
					// lines beyond the limit.
					var err error
					if r, err = firstLines(r, limit); err != nil {
						return failed{inputErr("%s file %s: %v", describeKey(key), p, err)}
					}
				}
				opts := escrow.Options{Sep: sep, File: filepath.Base(p), OnReject: func(rj escrow.Reject) {
					onReject(engine.Reject{File: rj.File, Line: rj.Line, Reason: rj.Reason, Raw: rj.Raw})
				}}
				if from.Offset > 0 {
					opts.Resume = &escrow.Position{Offset: from.Offset, Line: from.Line}
				}
				return spec.open(r, opts)
			}})
	}
	return out
}

// firstLines returns a reader over the first n lines of r. A regular file
// stays seekable, as resuming needs: it is cut at the end of line n.
func firstLines(r io.Reader, n int64) (io.Reader, error) {
	f, ok := r.(*os.File)
	var st os.FileInfo
	if ok {
		var err error
		if st, err = f.Stat(); err != nil {
			return nil, err
		}
	}
	if !ok || !st.Mode().IsRegular() {
		return &lineLimiter{r: r, left: n}, nil
	}
	end, err := io.Copy(io.Discard, &lineLimiter{r: io.NewSectionReader(f, 0, st.Size()), left: n})
	if err != nil {
		return nil, err
	}
	return io.NewSectionReader(f, 0, end), nil
}

// lineLimiter ends its input after the given number of '\n'-terminated lines.
type lineLimiter struct {
	r    io.Reader
	left int64
}

func (l *lineLimiter) Read(p []byte) (int, error) {
	if l.left <= 0 {
		return 0, io.EOF
	}
	n, err := l.r.Read(p)
	for i := 0; i < n; i++ {
		if p[i] == '\n' {
			if l.left--; l.left == 0 {
				return i + 1, nil
			}
		}
	}
	return n, err
}
