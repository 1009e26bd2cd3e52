package registrar

import (
	"context"

	"github.com/ferrymigrate/ferry/internal/engine"
	"github.com/ferrymigrate/ferry/internal/store"
)

// Analysis is the reference's table comparison. The "missing" counts are
// per staging row, not per domain, exactly as the reference counts them.
type Analysis struct {
	TransitionDomains        int64 `json:"transitionDomains"`
	Domains                  int64 `json:"domains"`
	DomainInformation        int64 `json:"domainInformation"`
	DomainInvitations        int64 `json:"domainInvitations"`
	MissingDomains           int64 `json:"missingDomains"`
	DuplicateDomains         int64 `json:"duplicateDomains"`
	MissingDomainInformation int64 `json:"missingDomainInformation"`
	MissingInvitations       int64 `json:"missingInvitations"`
}

// Analyze runs the analysis and records it as a job, so the history of
// analyses shows how a migration converged. On a database opened read-only
// it only reads.
func (s *Service) Analyze(ctx context.Context) (Analysis, error) {
	if s.DB.ReadOnly() {
		return Analyze(ctx, s.DB)
	}
	return recorded(ctx, s, engine.Spec{Kind: "registrar.analyze"}, func(*engine.Run) (Analysis, error) { return Analyze(ctx, s.DB) })
}

// Analyze compares the staging table with the tables the transfer fills.
func Analyze(ctx context.Context, q store.Querier) (Analysis, error) {
	var a Analysis
	err := q.QueryRow(ctx, `SELECT
		(SELECT count(*) FROM transition_domain),
		(SELECT count(*) FROM domain),
		(SELECT count(*) FROM domain_information),
		(SELECT count(*) FROM domain_invitation),
		(SELECT count(*) FROM transition_domain t WHERE NOT EXISTS (SELECT 1 FROM domain d WHERE d.name = t.domain_name)),
		(SELECT count(*) FROM transition_domain t WHERE (SELECT count(*) FROM domain d WHERE d.name = t.domain_name) > 1),
		(SELECT count(*) FROM transition_domain t WHERE NOT EXISTS (SELECT 1 FROM domain_information di
			JOIN domain d ON d.id = di.domain_id WHERE d.name = t.domain_name)),
		(SELECT count(*) FROM transition_domain t WHERE NOT EXISTS (SELECT 1 FROM domain_invitation i
			JOIN domain d ON d.id = i.domain_id WHERE d.name = t.domain_name AND i.email = `+q.Dialect().Lower("t.username")+`))`).Scan(
		&a.TransitionDomains, &a.Domains, &a.DomainInformation, &a.DomainInvitations,
		&a.MissingDomains, &a.DuplicateDomains, &a.MissingDomainInformation, &a.MissingInvitations)
	return a, err
}

// DomainRow is one line of the domain listing.
type DomainRow struct {
	Name           string  `json:"name"`
	State          string  `json:"state"`
	ExpirationDate *string `json:"expirationDate"`
	Invitations    int64   `json:"invitations"`
}

// ListDomains returns every domain, by name, with its invitation count. It
// calls fn per row so a listing of a million domains streams.
func ListDomains(ctx context.Context, q store.Querier, fn func(DomainRow) error) error {
	d := q.Dialect()
	rows, err := q.Query(ctx, `SELECT d.name, d.state, `+d.DateText("d.expiration_date")+`,
		(SELECT count(*) FROM domain_invitation i WHERE i.domain_id = d.id)
		FROM domain d ORDER BY d.name`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var r DomainRow
		var exp *string
		if err := rows.Scan(&r.Name, &r.State, &exp, &r.Invitations); err != nil {
			return err
		}
		r.ExpirationDate = exp
		if err := fn(r); err != nil {
			return err
		}
	}
	return rows.Err()
}
