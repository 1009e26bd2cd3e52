package registrar

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/ferrymigrate/ferry"
	"github.com/ferrymigrate/ferry/internal/engine"
	"github.com/ferrymigrate/ferry/internal/escrow"
	"github.com/ferrymigrate/ferry/internal/store"
)

// LoginResult is what a sign-in did. It never holds the e-mail address:
// it is stored as the job's counts and printed by default.
type LoginResult struct {
	UserID      int64  `json:"userId"`
	Subject     string `json:"subject"`
	UserCreated bool   `json:"userCreated"`
	DryRun      bool   `json:"dryRun,omitempty"`
	// EmailChanged says the identity provider gave this person another
	// verified address than at their last sign-in.
	EmailChanged bool     `json:"emailChanged"`
	Retrieved    int64    `json:"retrieved"`
	Domains      []string `json:"domains"`
}

// ErrEmailTaken means a sign-in's verified e-mail address belongs to
// another person's account.
var ErrEmailTaken = &ferry.Error{Code: ferry.ECONFLICT, Message: "the e-mail address belongs to another user"}

// Login is what the sign-in callback does once the identity provider has
// verified a person: find or create the user by subject, then turn every
// pending invitation for the e-mail (case-insensitively: invitations are
// stored lowercased) into a manager role and mark it retrieved. It is safe
// to call at every sign-in.
//
// The subject is the person; the e-mail is where invitations were sent.
// When a person's verified address changes (they changed it at the
// identity provider), ferry records the new one, journals the change and
// says so, and retrieves the invitations sent to the new address, which
// the provider says is theirs now. An address that another account
// already holds is refused: one mailbox claimed by two accounts is for
// people to sort out, and nothing changes until they do.
func (s *Service) Login(ctx context.Context, subject, email string) (LoginResult, error) {
	return s.signIn(ctx, subject, email, false)
}

// LoginDryRun is Login in a transaction that is rolled back: what a
// person's sign-in would retrieve, changing nothing.
func (s *Service) LoginDryRun(ctx context.Context, subject, email string) (LoginResult, error) {
	return s.signIn(ctx, subject, email, true)
}

func (s *Service) signIn(ctx context.Context, subject, email string, dryRun bool) (LoginResult, error) {
	subject, email = strings.TrimSpace(subject), strings.TrimSpace(email)
	// The job record names the subject, an opaque id, never the e-mail.
	spec := engine.Spec{Kind: "registrar.login", DryRun: dryRun, Args: map[string]any{"subject": subject, "dryRun": dryRun}}
	return recorded(ctx, s, spec, func(run *engine.Run) (LoginResult, error) {
		return s.login(ctx, run, subject, email, dryRun)
	})
}

func (s *Service) login(ctx context.Context, run *engine.Run, subject, email string, dryRun bool) (LoginResult, error) {
	res := LoginResult{Subject: subject, DryRun: dryRun, Domains: []string{}}
	if subject == "" {
		return res, invalidf("a sign-in needs a subject (the identity provider's user id)")
	}
	if subject == systemUsername {
		return res, invalidf("the subject %q is reserved for ferry's own user, which owns migrated records; no one can sign in as it", systemUsername)
	}
	if !escrow.ValidEmail(email) {
		return res, invalidf("a sign-in needs a valid e-mail address")
	}
	now := nowUTC()
	inTx := s.DB.InTx
	if dryRun {
		inTx = run.DryRun
	}
	err := inTx(ctx, func(tx *store.Tx) error {
		d := tx.Dialect()
		var other int64
		err := tx.QueryRow(ctx, `SELECT id FROM registrar_user WHERE `+d.Lower("email")+` = `+d.Lower("?")+`
			AND (subject IS NULL OR subject <> ?) ORDER BY id LIMIT 1`, email, subject).Scan(&other)
		switch {
		case err == nil:
			return &ferry.Error{Code: ferry.ECONFLICT, Message: fmt.Sprintf("%s (user %d)", ErrEmailTaken.Message, other),
				Hint: "no change was made; an address moving between two accounts needs a decision by staff", Err: ErrEmailTaken}
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		var old string
		err = tx.QueryRow(ctx, `SELECT id, email FROM registrar_user WHERE subject = ?`, subject).Scan(&res.UserID, &old)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			var taken int64
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM registrar_user WHERE username = ?`, subject).Scan(&taken); err != nil {
				return err
			}
			if taken > 0 {
				return &ferry.Error{Code: ferry.ECONFLICT, Message: "a user without that subject already has it as a user name; no change was made"}
			}
			if err := tx.QueryRow(ctx, `INSERT INTO registrar_user (username, email, subject, created_at, last_login_at)
				VALUES (?, ?, ?, ?, ?) RETURNING id`, subject, email, subject, now, now).Scan(&res.UserID); err != nil {
				return err
			}
			res.UserCreated = true
			if err := run.Journal(ctx, tx, engine.Change{Entity: "registrar_user", Key: strconv.FormatInt(res.UserID, 10),
				Action: engine.ActionInsert, After: image(map[string]string{"subject": subject, "email": email})}); err != nil {
				return err
			}
		case err != nil:
			return err
		default:
			if !strings.EqualFold(old, email) {
				res.EmailChanged = true
				if err := run.Journal(ctx, tx, engine.Change{Entity: "registrar_user", Key: strconv.FormatInt(res.UserID, 10),
					Action: engine.ActionUpdate, Before: image(map[string]string{"email": old}), After: image(map[string]string{"email": email})}); err != nil {
					return err
				}
			}
			if _, err := tx.Exec(ctx, `UPDATE registrar_user SET email = ?, last_login_at = ? WHERE id = ?`, email, now, res.UserID); err != nil {
				return err
			}
		}
		lower := d.Lower("?")
		pending := `FROM domain_invitation WHERE email = ` + lower + ` AND status = 'invited'`
		if _, err := tx.Exec(ctx, `INSERT INTO user_domain_role (user_id, domain_id, role, created_at)
			SELECT DISTINCT CAST(? AS bigint), domain_id, 'manager', `+d.Now()+` `+pending+`
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
		s.Log.Debug("login", "subject", subject, "email", email, "retrieved", res.Retrieved, "emailChanged", res.EmailChanged)
	} else {
		s.Log.Info("login", "user", res.UserID, "retrieved", res.Retrieved, "emailChanged", res.EmailChanged)
	}
	return res, nil
}

// image is a journal image of a few text columns.
func image(cols map[string]string) string {
	b, _ := json.Marshal(cols)
	return string(b)
}
