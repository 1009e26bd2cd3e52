package registrar

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/ferrymigrate/ferry/internal/escrow"
	"github.com/ferrymigrate/ferry/internal/job"
	"github.com/ferrymigrate/ferry/internal/store"
)

// chunkRows is how many records one scratch-load transaction carries. Each
// chunk commits with its checkpoint, so an interrupted load loses at most
// one chunk of work.
// It is a variable only so that tests can interrupt and resume a load of a
// small input between chunks.
var chunkRows = 200_000

// scratchTable describes how one kind of escrow file lands in its scratch table.
type scratchTable struct {
	table   string
	columns []string // after job_id
	open    func(r io.Reader, opts escrow.Options) rowReader
}

// rowReader is an escrow reader with its records already turned into column values.
type rowReader interface {
	Next() bool
	Values() []any
	Err() error
	Position() escrow.Position
	Stats() escrow.Stats
}

type adapted[T any] struct {
	*escrow.Reader[T]
	conv func(T) []any
}

func (a adapted[T]) Values() []any { return a.conv(a.Record()) }

func adapt[T any](r *escrow.Reader[T], conv func(T) []any) rowReader {
	return adapted[T]{Reader: r, conv: conv}
}

func nullText(s string) any {
	if s == "" {
		return nil
	}
	return s
}

var scratchTables = map[string]scratchTable{
	KeyDomainContacts: {"load_domain_contact", []string{"line", "domain_name", "contact_id", "role"},
		func(r io.Reader, o escrow.Options) rowReader {
			return adapt(escrow.NewDomainContactReader(r, o), func(x escrow.DomainContact) []any {
				return []any{x.Line, x.Domain, x.ContactID, x.Role}
			})
		}},
	KeyContacts: {"load_contact", []string{"line", "contact_id", "email"},
		func(r io.Reader, o escrow.Options) rowReader {
			return adapt(escrow.NewContactReader(r, o), func(x escrow.Contact) []any {
				return []any{x.Line, x.ID, x.Email}
			})
		}},
	KeyStatuses: {"load_domain_status", []string{"line", "domain_name", "status"},
		func(r io.Reader, o escrow.Options) rowReader {
			return adapt(escrow.NewDomainStatusReader(r, o), func(x escrow.DomainStatus) []any {
				return []any{x.Line, x.Domain, x.Status}
			})
		}},
	KeyEscrow: {"load_escrow_domain", []string{"line", "domain_name", "created", "expires"},
		func(r io.Reader, o escrow.Options) rowReader {
			return adapt(escrow.NewEscrowDomainReader(r, o), func(x escrow.EscrowDomain) []any {
				return []any{x.Line, x.Domain, nullText(x.Created.String()), nullText(x.Expires.String())}
			})
		}},
	KeyAdditional: {"load_additional", []string{"line", "domain_name", "domain_type_id", "authority_id", "org_id"},
		func(r io.Reader, o escrow.Options) rowReader {
			return adapt(escrow.NewAdditionalReader(r, o), func(x escrow.Additional) []any {
				return []any{x.Line, x.Domain, x.DomainTypeID, x.AuthorityID, x.OrgID}
			})
		}},
	KeyDomainTypes: {"load_domain_type", []string{"line", "type_id", "org_type", "federal_type", "active"},
		func(r io.Reader, o escrow.Options) rowReader {
			return adapt(escrow.NewDomainTypeReader(r, o), func(x escrow.DomainType) []any {
				return []any{x.Line, x.ID, x.OrgType, x.FederalType, x.Active}
			})
		}},
	KeyOrganization: {"load_organization", []string{"line", "org_id", "name", "street", "city", "state_code", "state_raw", "zip"},
		func(r io.Reader, o escrow.Options) rowReader {
			return adapt(escrow.NewOrganizationReader(r, o), func(x escrow.Organization) []any {
				var code any
				if c, ok := escrow.StateCode(x.State); ok {
					code = c
				}
				return []any{x.Line, x.ID, x.Name, x.Street, x.City, code, x.State, x.Zip}
			})
		}},
	KeyAuthority: {"load_authority", []string{"line", "authority_id", "first_name", "middle_name", "last_name", "email", "phone", "agency_id"},
		func(r io.Reader, o escrow.Options) rowReader {
			return adapt(escrow.NewAuthorityReader(r, o), func(x escrow.Authority) []any {
				return []any{x.Line, x.ID, x.First, x.Middle, x.Last, x.Email, x.Phone, x.AgencyID}
			})
		}},
	KeyAgency: {"load_agency", []string{"line", "agency_id", "name", "active", "federal"},
		func(r io.Reader, o escrow.Options) rowReader {
			return adapt(escrow.NewAgencyReader(r, o), func(x escrow.Agency) []any {
				return []any{x.Line, x.ID, x.Name, x.Active, x.Federal}
			})
		}},
}

// FileStats is what ferry read from one input file.
type FileStats struct {
	Key      string `json:"key"`
	Path     string `json:"path"`
	Lines    int64  `json:"lines"`
	Records  int64  `json:"records"`
	Rejected int64  `json:"rejected"`
	Done     bool   `json:"done"`
	Offset   int64  `json:"offset"`
	Line     int64  `json:"line"`
}

// scratchLoad streams files into scratch tables, checkpointing every chunk.
type scratchLoad struct {
	svc        *Service
	run        *job.Run
	sep        rune
	limit      int64 // data rows of the domain contacts file; 0 = all
	maxRejects int64 // < 0 = no limit
	files      []*FileStats
	onSave     func(ctx context.Context, tx *store.Tx) error // writes the caller's checkpoint
	rejectSink func(job.Reject)
}

func (l *scratchLoad) totalRejected() int64 {
	var n int64
	for _, f := range l.files {
		n += f.Rejected
	}
	return n
}

// load reads one file to its end (or the limit), resuming from fs.
func (l *scratchLoad) load(ctx context.Context, fs *FileStats) error {
	if fs.Done {
		return nil
	}
	spec := scratchTables[fs.Key]
	var r io.Reader
	var size int64
	if fs.Path == "-" {
		if fs.Offset > 0 {
			return inputErr("cannot resume a load from standard input; rerun with a file")
		}
		r = l.svc.Stdin
	} else {
		f, err := os.Open(fs.Path)
		if err != nil {
			return inputErr("%s file %s: %v", describeKey(fs.Key), fs.Path, unwrapPathErr(err))
		}
		defer f.Close()
		if st, err := f.Stat(); err == nil {
			size = st.Size()
		}
		r = f
	}
	if l.limit > 0 && fs.Key == KeyDomainContacts {
		// --limit counts lines, refused ones included. The reader skips
		// refused lines on its way to the next record, so it must not see
		// past line N, or it would read and refuse lines beyond the limit.
		var err error
		if r, err = firstLines(r, l.limit); err != nil {
			return inputErr("%s file %s: %v", describeKey(fs.Key), fs.Path, err)
		}
	}
	var pending []job.Reject
	opts := escrow.Options{Sep: l.sep, File: filepath.Base(fs.Path), OnReject: func(rj escrow.Reject) {
		jr := job.Reject{File: rj.File, Line: rj.Line, Reason: rj.Reason, Raw: rj.Raw}
		pending = append(pending, jr)
		if l.rejectSink != nil {
			l.rejectSink(jr)
		}
	}}
	if fs.Offset > 0 {
		opts.Resume = &escrow.Position{Offset: fs.Offset, Line: fs.Line}
	}
	rr := spec.open(r, opts)
	startRecords, startRejected, startLines := fs.Records, fs.Rejected, fs.Lines
	tracker := l.svc.Progress.Phase("read "+describeKey(fs.Key), size)
	defer tracker.Done()
	tracker.Update(fs.Offset, fs.Records+fs.Rejected)
	cols := append([]string{"job_id"}, spec.columns...)
	for !fs.Done {
		err := l.svc.DB.InTx(ctx, func(tx *store.Tx) error {
			pending = pending[:0]
			src := &chunkSource{rr: rr, jobID: l.run.Job.ID, max: chunkRows}
			n, err := tx.CopyFrom(ctx, spec.table, cols, src)
			// A reader failure (a header without its columns, an I/O error)
			// surfaces through CopyFrom; it is the input's fault, not the database's.
			if rerr := rr.Err(); rerr != nil {
				return inputErr("%v", rerr)
			}
			if err != nil {
				return fmt.Errorf("loading %s: %w", fs.Path, err)
			}
			_ = n
			st := rr.Stats()
			fs.Records = startRecords + st.Records
			fs.Rejected = startRejected + st.Rejected + st.Blank
			fs.Lines = startLines + st.Lines
			pos := rr.Position()
			fs.Offset, fs.Line = pos.Offset, pos.Line
			fs.Done = src.exhausted
			if err := l.run.SaveRejects(ctx, tx, pending); err != nil {
				return err
			}
			return l.onSave(ctx, tx)
		})
		if err != nil {
			return interrupted(ctx, err)
		}
		tracker.Update(fs.Offset, fs.Records+fs.Rejected)
		if l.maxRejects >= 0 && l.totalRejected() > l.maxRejects {
			return &TooManyRejectsError{Rejected: l.totalRejected(), Max: l.maxRejects}
		}
	}
	return nil
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

// chunkSource feeds at most max records of a reader to one CopyFrom.
type chunkSource struct {
	rr        rowReader
	jobID     int64
	max       int
	n         int
	exhausted bool
	vals      []any
}

func (c *chunkSource) Next() bool {
	if c.n >= c.max {
		return false
	}
	if !c.rr.Next() {
		c.exhausted = true
		return false
	}
	c.n++
	c.vals = append(append(c.vals[:0], c.jobID), c.rr.Values()...)
	return true
}

func (c *chunkSource) Values() ([]any, error) { return c.vals, nil }
func (c *chunkSource) Err() error             { return c.rr.Err() }
