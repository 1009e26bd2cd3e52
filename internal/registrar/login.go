package registrar

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/ferrymigrate/ferry/internal/engine"
	"github.com/ferrymigrate/ferry/internal/escrow"
	"github.com/ferrymigrate/ferry/internal/store"
)

// LoginResult is what a sign-in did.
type LoginResult struct {
	UserID      int64    `json:"userId"`
	Subject     string   `json:"subject"`
	Email       string   `json:"email"`
	UserCreated bool     `json:"userCreated"`
	Retrieved   int64    `json:"retrieved"`
	Domains     []string `json:"domains"`
}

// Login is what the sign-in callback does once the identity provider has
// verified a person: find or create the user by subject, then turn every
// pending invitation for the e-mail (case-insensitively: invitations are
// stored lowercased) into a manager
// role and mark it retrieved. It is safe to call at every sign-in.
func (s *Service) Login(ctx context.Context, subject, email string) (LoginResult, error) {
	subject, email = strings.TrimSpace(subject), strings.TrimSpace(email)
	// The job record names the subject, an opaque id, never the e-mail.
	return recorded(ctx, s, engine.Spec{Kind: "registrar.login", Args: map[string]string{"subject": subject}}, func(*engine.Run) (LoginResult, error) {
		return s.login(ctx, subject, email)
	})
}

func (s *Service) login(ctx context.Context, subject, email string) (LoginResult, error) {
	res := LoginResult{Subject: subject, Email: email, Domains: []string{}}
	if subject == "" {
		return res, inputErr("login needs a subject (the identity provider's user id)")
	}
	if !escrow.ValidEmail(email) {
		return res, inputErr("login needs a valid e-mail address")
	}
	now := nowUTC()
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		err := tx.QueryRow(ctx, `SELECT id FROM registrar_user WHERE subject = ?`, subject).Scan(&res.UserID)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			if err := tx.QueryRow(ctx, `INSERT INTO registrar_user (username, email, subject, created_at, last_login_at)
				VALUES (?, ?, ?, ?, ?) RETURNING id`, subject, email, subject, now, now).Scan(&res.UserID); err != nil {
				return err
			}
			res.UserCreated = true
		case err != nil:
			return err
		default:
			if _, err := tx.Exec(ctx, `UPDATE registrar_user SET email = ?, last_login_at = ? WHERE id = ?`, email, now, res.UserID); err != nil {
				return err
			}
		}
		lower := tx.Dialect().Lower("?")
		pending := `FROM domain_invitation WHERE email = `+lower+` AND status = 'invited'`
		if _, err := tx.Exec(ctx, `INSERT INTO user_domain_role (user_id, domain_id, role, created_at)
			SELECT DISTINCT CAST(? AS bigint), domain_id, 'manager', `+tx.Dialect().Now()+` `+pending+`
			ON CONFLICT (user_id, domain_id) DO NOTHING`,
			res.UserID, email); err != nil {
			return err
		}
		n, err := tx.Exec(ctx, `UPDATE domain_invitation SET status = 'retrieved', updated_at = ? WHERE email = `+lower+` AND status = 'invited'`, now, email)
		if err != nil {
			return err
		}
		res.Retrieved = n
		rows, err := tx.Query(ctx, `SELECT d.name FROM user_domain_role r JOIN domain d ON d.id = r.domain_id WHERE r.user_id = ? ORDER BY d.name`, res.UserID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var name string
			if err := rows.Scan(&name); err != nil {
				return err
			}
			res.Domains = append(res.Domains, name)
		}
		return rows.Err()
	})
	if err != nil {
		return res, err
	}
	if s.Debug {
		s.Log.Debug("login", "subject", subject, "email", email, "retrieved", res.Retrieved)
	} else {
		s.Log.Info("login", "user", res.UserID, "retrieved", res.Retrieved)
	}
	return res, nil
}
