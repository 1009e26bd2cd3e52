package escrow

import (
	"bytes"
	"fmt"
	"io"
	"strings"
)

// Header files (the *.adhoc.* exports and the additional-data link) are read
// by column name, so their column order may change between exports and
// extra columns are ignored.

// Additional links a domain to its type, authority and organisation.
type Additional struct {
	Line         int64
	Domain       string // normalized
	DomainTypeID string
	AuthorityID  string
	OrgID        string
}

// DomainType is one row of the domain-type list. Name is split on "-" into
// an organisation type and, for federal types, the branch.
type DomainType struct {
	Line        int64
	ID          string
	Name        string
	OrgType     string
	FederalType string
	Active      bool
}

// Organization is an organisation's name and postal address. State is the
// value as exported (usually a full name); see StateCode.
type Organization struct {
	Line    int64
	ID      string
	Name    string
	Street  string
	City    string
	State   string
	Zip     string
	Country string
}

// Authority is the senior official of a domain.
type Authority struct {
	Line     int64
	ID       string
	First    string
	Middle   string
	Last     string
	Email    string
	Phone    string
	AgencyID string
}

// Agency is a government agency.
type Agency struct {
	Line    int64
	ID      string
	Name    string
	Active  bool
	Federal bool
}

// NewAdditionalReader reads domainadditionaldatalink.adhoc.dotgov.txt.
func NewAdditionalReader(r io.Reader, opts Options) *Reader[Additional] {
	return newReader(r, opts, &additionalLayout)
}

// NewDomainTypeReader reads domaintypes.adhoc.dotgov.txt.
func NewDomainTypeReader(r io.Reader, opts Options) *Reader[DomainType] {
	return newReader(r, opts, &domainTypeLayout)
}

// NewOrganizationReader reads organization.adhoc.dotgov.txt.
func NewOrganizationReader(r io.Reader, opts Options) *Reader[Organization] {
	return newReader(r, opts, &organizationLayout)
}

// NewAuthorityReader reads authority.adhoc.dotgov.txt.
func NewAuthorityReader(r io.Reader, opts Options) *Reader[Authority] {
	return newReader(r, opts, &authorityLayout)
}

// NewAgencyReader reads agency.adhoc.dotgov.txt.
func NewAgencyReader(r io.Reader, opts Options) *Reader[Agency] {
	return newReader(r, opts, &agencyLayout)
}

var additionalLayout = layout[Additional]{
	kind: "additional data",
	header: []column{
		{name: "domainname"}, {name: "domaintypeid"}, {name: "authorityid"}, {name: "orgid"},
	},
	build: func(c *conv, f [][]byte, line int64) (Additional, string) {
		d, reason := domainField(c, f[0], "domainname")
		if reason != "" {
			return Additional{}, reason
		}
		return Additional{
			Line:         line,
			Domain:       d,
			DomainTypeID: string(f[1]),
			AuthorityID:  string(f[2]),
			OrgID:        string(f[3]),
		}, ""
	},
}

var domainTypeLayout = layout[DomainType]{
	kind:   "domain types",
	header: []column{{name: "domaintypeid"}, {name: "domaintype"}, {name: "active"}},
	build: func(c *conv, f [][]byte, line int64) (DomainType, string) {
		if len(f[0]) == 0 {
			return DomainType{}, "empty domaintypeid"
		}
		t := DomainType{
			Line:   line,
			ID:     string(f[0]),
			Name:   string(f[1]),
			Active: bytes.EqualFold(f[2], []byte("y")),
		}
		// "Federal - Executive" is type and branch. Note that the split is
		// on every hyphen, so "Not Top-Level" also yields two parts; that
		// is the legacy rule and the type is inactive anyway.
		parts := strings.Split(t.Name, "-")
		switch len(parts) {
		case 1:
			t.OrgType = strings.TrimSpace(parts[0])
		case 2:
			t.OrgType = strings.TrimSpace(parts[0])
			t.FederalType = strings.TrimSpace(parts[1])
			if t.FederalType == "" {
				return DomainType{}, fmt.Sprintf("invalid domain type %s", quoteValue(f[1]))
			}
		default:
			return DomainType{}, fmt.Sprintf("invalid domain type %s", quoteValue(f[1]))
		}
		if t.OrgType == "" {
			return DomainType{}, fmt.Sprintf("invalid domain type %s", quoteValue(f[1]))
		}
		return t, ""
	},
}

var organizationLayout = layout[Organization]{
	kind: "organizations",
	header: []column{
		{name: "orgid"}, {name: "orgname"}, {name: "orgstreet"}, {name: "orgcity"},
		{name: "orgstate"}, {name: "orgzip"},
		// Never used downstream, so its absence is no reason to stop.
		{name: "orgcountrycode", optional: true},
	},
	build: func(c *conv, f [][]byte, line int64) (Organization, string) {
		if len(f[0]) == 0 {
			return Organization{}, "empty orgid"
		}
		return Organization{
			Line:    line,
			ID:      string(f[0]),
			Name:    string(f[1]),
			Street:  string(f[2]),
			City:    string(f[3]),
			State:   string(f[4]),
			Zip:     string(f[5]),
			Country: string(f[6]),
		}, ""
	},
}

var authorityLayout = layout[Authority]{
	kind: "authorities",
	header: []column{
		{name: "authorityid"}, {name: "firstname"}, {name: "middlename"}, {name: "lastname"},
		{name: "email"}, {name: "phonenumber"}, {name: "agencyid"},
	},
	build: func(c *conv, f [][]byte, line int64) (Authority, string) {
		if len(f[0]) == 0 {
			return Authority{}, "empty authorityid"
		}
		// The e-mail is not validated here: a bad address must not cost the
		// official's name and phone. Callers can use ValidEmail.
		return Authority{
			Line:     line,
			ID:       string(f[0]),
			First:    string(f[1]),
			Middle:   string(f[2]),
			Last:     string(f[3]),
			Email:    string(f[4]),
			Phone:    string(f[5]),
			AgencyID: string(f[6]),
		}, ""
	},
}

var agencyLayout = layout[Agency]{
	kind: "agencies",
	header: []column{
		{name: "agencyid"}, {name: "agencyname"}, {name: "active"}, {name: "isfederal"},
	},
	build: func(c *conv, f [][]byte, line int64) (Agency, string) {
		if len(f[0]) == 0 {
			return Agency{}, "empty agencyid"
		}
		return Agency{
			Line:    line,
			ID:      string(f[0]),
			Name:    string(f[1]),
			Active:  bytes.EqualFold(f[2], []byte("y")),
			Federal: bytes.EqualFold(f[3], []byte("y")),
		}, ""
	},
}

// readHeader reads line 1 and maps the layout's columns to input positions.
// Names are matched case-insensitively; the first of duplicate names wins.
func (r *Reader[T]) readHeader() error {
	line, tooLong, err := r.src.next()
	switch {
	case err == io.EOF:
		return fmt.Errorf("escrow: %s: %w: the file is empty, a header line was expected",
			r.name(), ErrMissingColumn)
	case err != nil:
		return fmt.Errorf("escrow: %s: line 1: %w", r.name(), err)
	case tooLong:
		return fmt.Errorf("escrow: %s: line 1: %w: line too long", r.name(), ErrBadHeader)
	}
	f, ok := r.sp.split(line, false)
	if !ok {
		return fmt.Errorf("escrow: %s: line 1: %w: unterminated quote", r.name(), ErrBadHeader)
	}
	r.hdrN = len(f)
	r.cols = make([]int, len(r.lay.header))
	r.proj = make([][]byte, len(r.lay.header))
	var missing []string
	for i, col := range r.lay.header {
		r.cols[i] = -1
		for j, name := range f {
			if bytes.EqualFold(name, []byte(col.name)) {
				r.cols[i] = j
				break
			}
		}
		if r.cols[i] < 0 && !col.optional {
			missing = append(missing, fmt.Sprintf("%q", col.name))
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("escrow: %s: %w %s", r.name(), ErrMissingColumn, strings.Join(missing, ", "))
	}
	return nil
}

// parseHeaderRow projects a row onto the layout's columns. Short rows are
// kept with the missing values empty. Long rows get the bad-separator repair:
// the legacy export did not escape a separator typed inside a value (an
// organisation's city came out as "Waco | corruption"), and such a value is
// recognisable by the spaces around it.
func (r *Reader[T]) parseHeaderRow(line []byte, f [][]byte) (T, string) {
	if n := r.fieldCount(f); n > r.hdrN {
		var ok bool
		if f, ok = r.sp.split(line, true); !ok || r.fieldCount(f) != r.hdrN {
			var zero T
			return zero, fmt.Sprintf("too many fields: got %d, header has %d", n, r.hdrN)
		}
	}
	for i, j := range r.cols {
		if j >= 0 && j < len(f) {
			r.proj[i] = f[j]
		} else {
			r.proj[i] = nil
		}
	}
	return r.lay.build(&r.conv, r.proj, r.src.line)
}

// fieldCount discounts one empty field after the header's width: a trailing
// separator.
func (r *Reader[T]) fieldCount(f [][]byte) int {
	n := len(f)
	if n == r.hdrN+1 && len(f[n-1]) == 0 {
		n--
	}
	return n
}
