package registrar

import (
	"context"
	"io"

	"github.com/ferrymigrate/ferry/internal/engine"
	"github.com/ferrymigrate/ferry/internal/store"
)

// The design note's two 2023 prototypes, load_domains_data and
// load_domain_invitations, kept as commands. Unlike the reference they are
// idempotent: a rerun creates nothing new.

// PrototypeOptions configures LoadDomains and LoadInvitations.
type PrototypeOptions struct {
	Files      Files // KeyEscrow for LoadDomains ("-" = Stdin); KeyDomainContacts and KeyContacts for LoadInvitations
	Sep        rune
	MaxRejects int64
	OnReject   func(engine.Reject)
	// Stdin is read for a file named "-".
	Stdin  io.Reader
	DryRun bool
}

// LoadDomainsResult is the outcome of LoadDomains.
type LoadDomainsResult struct {
	JobSummary
	Rows Counts `json:"rows"`
}

// LoadDomains creates a Domain, in state "unknown", for every name in an
// escrow domains file that the registrar does not have yet. The escrow dates
// come along; existing domains are left untouched.
func (s *Service) LoadDomains(ctx context.Context, opts PrototypeOptions) (res LoadDomainsResult, err error) {
	files := Files{KeyEscrow: opts.Files[KeyEscrow]}
	if files[KeyEscrow] == "" {
		return res, inputErr("no escrow domains file given")
	}
	if err := files.checkExist(); err != nil {
		return res, err
	}
	if err := validLimits(0, opts.MaxRejects); err != nil {
		return res, err
	}
	lj := loadJob{
		kind: "registrar.load-domains", files: files, sep: opts.Sep, maxRejects: opts.MaxRejects, onReject: opts.OnReject,
		stdin: opts.Stdin, dryRun: opts.DryRun, args: map[string]any{"maxRejects": opts.MaxRejects},
		apply: func(ctx context.Context, tx *store.Tx, run *engine.Run, fs []FileStats) (any, error) {
			created, err := execJob(ctx, tx, run.Job.ID, `INSERT INTO domain (name, state, expiration_date, registry_created_at, job_id, created_at, updated_at)
				SELECT e.domain_name, 'unknown', `+tx.Dialect().Date("e.expires")+`, `+tx.Dialect().Date("e.created")+`, @job, @now, @now
				FROM `+lastPerKey(tx.Dialect(), "load_escrow_domain", "domain_name", "domain_name, created, expires")+` e
				WHERE true ON CONFLICT (name) DO NOTHING`)
			rows := Counts{Created: created}
			for _, f := range fs {
				rows.Read, rows.Rejected = f.Records+f.Rejected, f.Rejected
			}
			rows.Skipped = rows.Read - rows.Rejected - rows.Created
			return rows, err
		},
	}
	err = s.runLoad(ctx, lj, &res.Rows, &res.JobSummary, func() any { return &res })
	return res, err
}

// LoadInvitationsResult is the outcome of LoadInvitations.
type LoadInvitationsResult struct {
	JobSummary
	Created          int64 `json:"created"`
	Existing         int64 `json:"existing"`
	IgnoredContacts  int64 `json:"ignoredContacts"`
	MissingDomains   int64 `json:"missingDomains"`
	ContactsNoEmail  int64 `json:"contactsWithoutEmail"`
	ContactsNotFound int64 `json:"contactsNotFound"`
}

// LoadInvitations creates one invitation per lowercased contact e-mail and
// existing domain, straight from the domain-contacts and contacts files. It
// reports the contacts no domain links to ("ignored", as the reference
// calls them) and the domains the registrar does not have.
func (s *Service) LoadInvitations(ctx context.Context, opts PrototypeOptions) (res LoadInvitationsResult, err error) {
	files := Files{KeyDomainContacts: opts.Files[KeyDomainContacts], KeyContacts: opts.Files[KeyContacts]}
	if files[KeyDomainContacts] == "" || files[KeyContacts] == "" {
		return res, inputErr("load-invitations needs a domain contacts file and a contacts file")
	}
	if err := files.checkExist(); err != nil {
		return res, err
	}
	if err := validLimits(0, opts.MaxRejects); err != nil {
		return res, err
	}
	lj := loadJob{
		kind: "registrar.load-invitations", files: files, sep: opts.Sep, maxRejects: opts.MaxRejects, onReject: opts.OnReject,
		stdin: opts.Stdin, dryRun: opts.DryRun, args: map[string]any{"maxRejects": opts.MaxRejects},
		apply: s.applyInvitations,
	}
	err = s.runLoad(ctx, lj, &res, &res.JobSummary, func() any { return &res })
	return res, err
}

func (s *Service) applyInvitations(ctx context.Context, tx *store.Tx, run *engine.Run, _ []FileStats) (any, error) {
	id := run.Job.ID
	var r LoadInvitationsResult
	if err := tempTable(ctx, tx, id, "ferry_contact", `SELECT * FROM `+lastPerKey(tx.Dialect(), "load_contact", "contact_id", "contact_id, email")+` c`, nil, "contact_id"); err != nil {
		return r, err
	}
	// Every (e-mail, existing domain) pair the files link.
	if err := tempTable(ctx, tx, id, "ferry_invite", `SELECT DISTINCT `+tx.Dialect().Lower("c.email")+` AS email, d.id AS domain_id
		FROM load_domain_contact dc JOIN ferry_contact c ON c.contact_id = dc.contact_id
		JOIN domain d ON d.name = dc.domain_name
		WHERE dc.job_id = @job AND c.email <> ''`, nil, "email, domain_id"); err != nil {
		return r, err
	}
	var pairs int64
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM ferry_invite`).Scan(&pairs); err != nil {
		return r, err
	}
	created, err := execJob(ctx, tx, id, `INSERT INTO domain_invitation (email, domain_id, status, job_id, created_at, updated_at)
		SELECT email, domain_id, 'invited', @job, @now, @now FROM ferry_invite i
		WHERE true ON CONFLICT (email, domain_id) DO NOTHING`)
	if err != nil {
		return r, err
	}
	r.Created, r.Existing = created, pairs-created
	checks := []struct {
		kind  string
		query string
		count *int64
	}{
		{"contact_unlinked", `SELECT 'contact_unlinked', c.contact_id, '' FROM ferry_contact c
			WHERE NOT EXISTS (SELECT 1 FROM load_domain_contact dc WHERE dc.job_id = @job AND dc.contact_id = c.contact_id)`, &r.IgnoredContacts},
		{"domain_not_found", `SELECT DISTINCT 'domain_not_found', dc.domain_name, '' FROM load_domain_contact dc
			WHERE dc.job_id = @job AND NOT EXISTS (SELECT 1 FROM domain d WHERE d.name = dc.domain_name)`, &r.MissingDomains},
		{"contact_without_email", `SELECT DISTINCT 'contact_without_email', dc.domain_name, dc.contact_id FROM load_domain_contact dc
			JOIN ferry_contact c ON c.contact_id = dc.contact_id WHERE dc.job_id = @job AND c.email = ''`, &r.ContactsNoEmail},
		{"contact_missing", `SELECT DISTINCT 'contact_missing', dc.domain_name, dc.contact_id FROM load_domain_contact dc
			WHERE dc.job_id = @job AND NOT EXISTS (SELECT 1 FROM ferry_contact c WHERE c.contact_id = dc.contact_id)`, &r.ContactsNotFound},
	}
	for _, f := range checks {
		n, err := addFindings(ctx, tx, run, f.query)
		if err != nil {
			return r, err
		}
		*f.count = n
	}
	return r, dropTemps(ctx, tx, "ferry_contact", "ferry_invite")
}
