package registrar

import (
	"context"
)

// ManagedDomain is a domain a person manages, as the sign-in API shows it.
type ManagedDomain struct {
	Name  string `json:"name"`
	State string `json:"state"`
	Role  string `json:"role"`
}

// ManagedDomains lists the domains the user with the identity provider's
// subject holds a role on, by name; none for an unknown subject.
func (s *Service) ManagedDomains(ctx context.Context, subject string) ([]ManagedDomain, error) {
	rows, err := s.DB.Query(ctx, `SELECT d.name, d.state, r.role FROM user_domain_role r
		JOIN registrar_user u ON u.id = r.user_id JOIN domain d ON d.id = r.domain_id
		WHERE u.subject = ? ORDER BY d.name`, subject)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []ManagedDomain{}
	for rows.Next() {
		var d ManagedDomain
		if err := rows.Scan(&d.Name, &d.State, &d.Role); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}
