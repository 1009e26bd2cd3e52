package escrow

import (
	"fmt"
	"io"
)

// The four core files are headerless and read by position.

// DomainContact links a domain to one of its contacts.
type DomainContact struct {
	Line      int64
	Domain    string // normalized
	ContactID string
	// Role is lowercased and otherwise kept as exported (admin, tech,
	// billing, or anything else, even empty): it is audit data only.
	Role string
}

// Contact is a registry contact. Only the id and the e-mail are used; Email
// is verbatim and may be empty (a contact without an address).
type Contact struct {
	Line  int64
	ID    string
	Email string
}

// DomainStatus is one EPP status of a domain. A domain may have several rows.
type DomainStatus struct {
	Line   int64
	Domain string // normalized
	Status string // lowercased
}

// EscrowDomain carries a domain's registry dates.
type EscrowDomain struct {
	Line    int64
	Domain  string // normalized
	Created Date
	Expires Date
}

// NewDomainContactReader reads escrow_domain_contacts: domain|contact id|role.
func NewDomainContactReader(r io.Reader, opts Options) *Reader[DomainContact] {
	return newReader(r, opts, &domainContactLayout)
}

// NewContactReader reads escrow_contacts: field 0 is the id, field 6 the
// e-mail; the other fields are ignored.
func NewContactReader(r io.Reader, opts Options) *Reader[Contact] {
	return newReader(r, opts, &contactLayout)
}

// NewDomainStatusReader reads escrow_domain_statuses: domain|status.
func NewDomainStatusReader(r io.Reader, opts Options) *Reader[DomainStatus] {
	return newReader(r, opts, &domainStatusLayout)
}

// NewEscrowDomainReader reads escrow_domains: 13 fields, of which 0 (name),
// 7 (CrDate) and 11 (ExDate) are used.
func NewEscrowDomainReader(r io.Reader, opts Options) *Reader[EscrowDomain] {
	return newReader(r, opts, &escrowDomainLayout)
}

var domainContactLayout = layout[DomainContact]{
	kind:      "domain contacts",
	minFields: 3,
	maxFields: 3,
	build: func(c *conv, f [][]byte, line int64) (DomainContact, string) {
		d, reason := domainField(c, f[0], "domain")
		if reason != "" {
			return DomainContact{}, reason
		}
		if len(f[1]) == 0 {
			return DomainContact{}, "empty contact id"
		}
		return DomainContact{Line: line, Domain: d, ContactID: string(f[1]), Role: c.lower(f[2])}, ""
	},
}

var contactLayout = layout[Contact]{
	kind: "contacts",
	// The export has 14 fields and a trailing separator; only the first 7
	// matter, so later columns may come and go.
	minFields: 7,
	maxFields: -1,
	build: func(c *conv, f [][]byte, line int64) (Contact, string) {
		if len(f[0]) == 0 {
			return Contact{}, "empty contact id"
		}
		ct := Contact{Line: line, ID: string(f[0])}
		if len(f[6]) > 0 {
			// A missing address is a legitimate state handled downstream;
			// only a present but unusable one is a bad row.
			ct.Email = string(f[6])
			if !ValidEmail(ct.Email) {
				// The value is personal data: reasons reach default output,
				// so it stays in the raw line (the --rejects file) only.
				return Contact{}, "invalid e-mail in column 7"
			}
		}
		return ct, ""
	},
}

var domainStatusLayout = layout[DomainStatus]{
	kind:      "domain statuses",
	minFields: 2,
	maxFields: 2,
	build: func(c *conv, f [][]byte, line int64) (DomainStatus, string) {
		d, reason := domainField(c, f[0], "domain")
		if reason != "" {
			return DomainStatus{}, reason
		}
		if len(f[1]) == 0 {
			return DomainStatus{}, "empty status"
		}
		return DomainStatus{Line: line, Domain: d, Status: c.lower(f[1])}, ""
	},
}

const (
	escrowName   = 0
	escrowCrDate = 7
	escrowExDate = 11
)

var escrowDomainLayout = layout[EscrowDomain]{
	kind:      "escrow domains",
	minFields: 13,
	maxFields: 13,
	build: func(c *conv, f [][]byte, line int64) (EscrowDomain, string) {
		d, reason := domainField(c, f[escrowName], "domain")
		if reason != "" {
			return EscrowDomain{}, reason
		}
		cr, ok := parseDate(f[escrowCrDate])
		if !ok {
			return EscrowDomain{}, "bad CrDate " + quoteValue(f[escrowCrDate])
		}
		ex, ok := parseDate(f[escrowExDate])
		if !ok {
			return EscrowDomain{}, "bad ExDate " + quoteValue(f[escrowExDate])
		}
		return EscrowDomain{Line: line, Domain: d, Created: cr, Expires: ex}, ""
	},
}

// domainField normalizes and validates a domain-name field; col names the
// column in the reject reason.
func domainField(c *conv, b []byte, col string) (string, string) {
	d := c.domain(b)
	if d == "" {
		return "", "empty " + col
	}
	if !validNormalized(d) {
		return "", fmt.Sprintf("invalid %s %s", col, quoteValue(b))
	}
	return d, ""
}
