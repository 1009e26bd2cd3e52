// Package auth holds the API tokens of ferry serve: who may call it, and
// with which role. A token is shown once, when it is made; the database
// keeps only its SHA-256, so a copy of the database lets no one in.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ferrymigrate/ferry"
	"github.com/ferrymigrate/ferry/internal/store"
)

//go:embed migrations
var migrationFiles embed.FS

// Migrations is the tokens' schema.
var Migrations = store.EmbeddedMigrations("auth", "ferry_schema_auth", migrationFiles, "migrations")

// Role is what a token may do.
type Role string

const (
	// Admin may do everything: migrate, cancel, roll back.
	Admin Role = "admin"
	// Viewer may read jobs and plans, and change nothing.
	Viewer Role = "viewer"
)

// ParseRole checks a role's name.
func ParseRole(s string) (Role, error) {
	switch r := Role(strings.ToLower(strings.TrimSpace(s))); r {
	case Admin, Viewer:
		return r, nil
	}
	return "", ferry.Errorf(ferry.EINVALID, "unknown role %q: admin or viewer", s)
}

// Allows says whether a token of role r may act as need.
func (r Role) Allows(need Role) bool { return r == Admin || r == need }

// Token is a stored token, without its secret.
type Token struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	Role       Role       `json:"role"`
	CreatedAt  time.Time  `json:"createdAt"`
	LastUsedAt *time.Time `json:"lastUsedAt"`
	RevokedAt  *time.Time `json:"revokedAt"`
}

// prefix marks ferry's tokens, so that one pasted in the wrong place (a
// log, a repository) is recognisable, and secret scanners can find it.
const prefix = "ferry_"

// ErrUnauthorized is a missing, unknown or revoked token.
var ErrUnauthorized = &ferry.Error{Code: ferry.EUNAUTHORIZED, Message: "a valid API token is required"}

// Create makes a token and returns its secret, which is never stored and
// cannot be shown again.
func Create(ctx context.Context, db store.Querier, role Role, name string) (string, Token, error) {
	if _, err := ParseRole(string(role)); err != nil {
		return "", Token{}, err
	}
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", Token{}, err
	}
	secret := prefix + base64.RawURLEncoding.EncodeToString(raw[:])
	now := time.Now().UTC()
	t := Token{Name: strings.TrimSpace(name), Role: role, CreatedAt: now}
	err := db.QueryRow(ctx, `INSERT INTO ferry_token (name, role, hash, created_at) VALUES (?, ?, ?, ?) RETURNING id`,
		t.Name, string(role), hash(secret), now).Scan(&t.ID)
	if err != nil {
		return "", Token{}, fmt.Errorf("storing the token: %w", err)
	}
	return secret, t, nil
}

func hash(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// List returns every token, the newest first.
func List(ctx context.Context, q store.Querier) ([]Token, error) {
	rows, err := q.Query(ctx, `SELECT id, name, role, created_at, last_used_at, revoked_at FROM ferry_token ORDER BY id DESC`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Token{}
	for rows.Next() {
		t, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

func scan(sc interface{ Scan(...any) error }) (Token, error) {
	var t Token
	var used, revoked sql.NullTime
	if err := sc.Scan(&t.ID, &t.Name, &t.Role, &t.CreatedAt, &used, &revoked); err != nil {
		return t, err
	}
	t.CreatedAt = t.CreatedAt.UTC()
	if used.Valid {
		u := used.Time.UTC()
		t.LastUsedAt = &u
	}
	if revoked.Valid {
		r := revoked.Time.UTC()
		t.RevokedAt = &r
	}
	return t, nil
}

// Revoke stops a token from working. Revoking it again changes nothing.
func Revoke(ctx context.Context, q store.Querier, id int64) (Token, error) {
	if _, err := q.Exec(ctx, `UPDATE ferry_token SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`, time.Now().UTC(), id); err != nil {
		return Token{}, err
	}
	t, err := scan(q.QueryRow(ctx, `SELECT id, name, role, created_at, last_used_at, revoked_at FROM ferry_token WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return t, ferry.Errorf(ferry.ENOTFOUND, "no token %d", id)
	}
	return t, err
}

// Authenticate finds the live token whose secret this is. The secret is
// looked up by its hash, so the database never compares secrets, and the
// hashes are compared once more in constant time.
func Authenticate(ctx context.Context, q store.Querier, secret string) (Token, error) {
	if !strings.HasPrefix(secret, prefix) {
		return Token{}, ErrUnauthorized
	}
	want := hash(secret)
	var stored string
	var t Token
	var used, revoked sql.NullTime
	err := q.QueryRow(ctx, `SELECT id, name, role, created_at, last_used_at, revoked_at, hash FROM ferry_token WHERE hash = ?`, want).
		Scan(&t.ID, &t.Name, &t.Role, &t.CreatedAt, &used, &revoked, &stored)
	if errors.Is(err, sql.ErrNoRows) {
		return Token{}, ErrUnauthorized
	}
	if err != nil {
		return Token{}, err
	}
	if subtle.ConstantTimeCompare([]byte(stored), []byte(want)) != 1 || revoked.Valid {
		return Token{}, ErrUnauthorized
	}
	return t, nil
}

// Touch records that a token was used, at most once a minute per token,
// so that a busy client does not write on every request.
func Touch(ctx context.Context, q store.Querier, id int64, now time.Time) error {
	_, err := q.Exec(ctx, `UPDATE ferry_token SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)`,
		now.UTC(), id, now.UTC().Add(-time.Minute))
	return err
}
