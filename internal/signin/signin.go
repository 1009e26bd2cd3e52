// Package signin is the registrar's sign-in through an OpenID Connect
// provider: the authorization-code flow with PKCE, state and nonce, an ID
// token posted by an API client, and sessions stored, hashed, in the
// database.
package signin

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/oauth2"

	"github.com/ferrymigrate/ferry"
	"github.com/ferrymigrate/ferry/internal/httpapi"
	"github.com/ferrymigrate/ferry/internal/registrar"
	"github.com/ferrymigrate/ferry/internal/store"
)

// Config is the OpenID Connect client ferry is.
type Config struct {
	Issuer   string
	ClientID string
	// ClientSecret authenticates ferry at the token endpoint; or, for
	// private_key_jwt, PrivateKeyPEM (RSA or EC, PKCS#8 or PKCS#1) and its
	// KeyID sign a client assertion.
	ClientSecret  string
	PrivateKeyPEM []byte
	KeyID         string
	// RedirectURL is this server's /v1/registrar/callback as the provider
	// knows it.
	RedirectURL string
	// Scopes are asked for besides openid; nil means email.
	Scopes []string
	// ACRValues, when set, are sent as acr_values (space-separated): the
	// assurance the sign-in asks for. Login.gov refuses a request without
	// one (urn:acr.login.gov:auth-only asks for no identity proofing).
	ACRValues string
	// InsecureCookie leaves Secure off the session cookie, for a server
	// on plain-HTTP loopback only.
	InsecureCookie bool
	// SessionTTL is how long a session lasts; 0 means 12 hours.
	SessionTTL time.Duration
	// StateTTL is how long a started sign-in may take; 0 means 10 minutes.
	StateTTL time.Duration
	// KeysTTL is how long the provider's keys are trusted before they are
	// fetched again; 0 means 10 minutes. It bounds how long a key the
	// provider withdrew still verifies tokens.
	KeysTTL time.Duration
}

// Deps are what the sign-in works with.
type Deps struct {
	Login   func(ctx context.Context, subject, email string) (registrar.LoginResult, error)
	Domains func(ctx context.Context, subject string) ([]registrar.ManagedDomain, error)
	DB      *store.DB
	Log     *slog.Logger
	// HTTPClient, when set, is used to reach the provider.
	HTTPClient *http.Client
}

// Service answers the sign-in routes.
type Service struct {
	cfg      Config
	deps     Deps
	provider *oidc.Provider
	oauth    oauth2.Config
	tokenURL string
	signer   jose.Signer

	// keysCtx carries the HTTP client the keys are fetched with.
	keysCtx context.Context
	// now is the clock the keys' age is measured by (a test's, in tests).
	now func() time.Time
	// verifier checks ID tokens against the keys it fetched since
	// verifierSince; it is replaced once KeysTTL has passed.
	verifierMu    sync.Mutex
	verifier      *oidc.IDTokenVerifier
	verifierSince time.Time
}

// CookieName is the session cookie.
const CookieName = "ferry_session"

const (
	idSignIn   = "api.registrar.signin"
	idCallback = "api.registrar.callback"
	idDomains  = "api.registrar.me.domains"
	op         = "REGSIN"
)

// New discovers the provider and returns the service.
func New(ctx context.Context, cfg Config, deps Deps) (*Service, error) {
	if cfg.Issuer == "" || cfg.ClientID == "" {
		return nil, ferry.Errorf(ferry.EINVALID, "sign-in needs --oidc-issuer and --oidc-client-id")
	}
	if deps.Login == nil || deps.Domains == nil || deps.DB == nil {
		return nil, errors.New("signin: the login function, the domains query and the database are required")
	}
	if deps.Log == nil {
		deps.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = 12 * time.Hour
	}
	if cfg.StateTTL <= 0 {
		cfg.StateTTL = 10 * time.Minute
	}
	if cfg.KeysTTL <= 0 {
		cfg.KeysTTL = 10 * time.Minute
	}
	if deps.HTTPClient != nil {
		ctx = oidc.ClientContext(ctx, deps.HTTPClient)
	}
	p, err := oidc.NewProvider(ctx, cfg.Issuer)
	if err != nil {
		return nil, ferry.Errorf(ferry.EUNAVAILABLE, "the OpenID provider %s cannot be reached or is not one: %v", cfg.Issuer, err)
	}
	scopes := cfg.Scopes
	if scopes == nil {
		scopes = []string{"email"}
	}
	s := &Service{cfg: cfg, deps: deps, provider: p, tokenURL: p.Endpoint().TokenURL,
		oauth: oauth2.Config{ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, Endpoint: p.Endpoint(), RedirectURL: cfg.RedirectURL,
			Scopes: append([]string{oidc.ScopeOpenID}, scopes...)},
		keysCtx: context.WithoutCancel(ctx), now: time.Now,
	}
	if len(cfg.PrivateKeyPEM) > 0 {
		if s.signer, err = newSigner(cfg.PrivateKeyPEM, cfg.KeyID); err != nil {
			return nil, err
		}
		s.oauth.Endpoint.AuthStyle = oauth2.AuthStyleInParams
		s.oauth.ClientSecret = ""
	}
	return s, nil
}

// Mount adds the sign-in routes. They need no API token.
func (s *Service) Mount(mux *http.ServeMux) {
	mux.HandleFunc("GET /v1/registrar/sign-in", s.start)
	mux.HandleFunc("POST /v1/registrar/sign-in", s.postToken)
	mux.HandleFunc("GET /v1/registrar/callback", s.callback)
	mux.HandleFunc("GET /v1/registrar/me/domains", s.domains)
}

func (s *Service) ctx(r *http.Request) context.Context {
	if s.deps.HTTPClient != nil {
		return oidc.ClientContext(r.Context(), s.deps.HTTPClient)
	}
	return r.Context()
}

func unauthorized(format string, args ...any) error {
	return ferry.Errorf(ferry.EUNAUTHORIZED, format, args...)
}

func random() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func hash(v string) string {
	h := sha256.Sum256([]byte(v))
	return hex.EncodeToString(h[:])
}

// start redirects to the provider, remembering state, nonce and the PKCE
// verifier (under the state's hash) for the callback.
func (s *Service) start(w http.ResponseWriter, r *http.Request) {
	state, nonce, verifier := random(), random(), oauth2.GenerateVerifier()
	now := time.Now()
	_, _ = s.deps.DB.Exec(r.Context(), `DELETE FROM registrar_signin_state WHERE expires_at < ?`, now.Unix())
	if _, err := s.deps.DB.Exec(r.Context(), `INSERT INTO registrar_signin_state (state_hash, nonce, verifier, expires_at) VALUES (?, ?, ?, ?)`,
		hash(state), nonce, verifier, now.Add(s.cfg.StateTTL).Unix()); err != nil {
		s.fail(w, r, idSignIn, err)
		return
	}
	opts := []oauth2.AuthCodeOption{oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)}
	if s.cfg.ACRValues != "" {
		opts = append(opts, oauth2.SetAuthURLParam("acr_values", s.cfg.ACRValues))
	}
	http.Redirect(w, r, s.oauth.AuthCodeURL(state, opts...), http.StatusFound)
}

// takeState consumes a state once: the row is deleted whether or not it
// has expired.
func (s *Service) takeState(ctx context.Context, state string) (nonce, verifier string, err error) {
	var expires int64
	err = s.deps.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT nonce, verifier, expires_at FROM registrar_signin_state WHERE state_hash = ?`, hash(state)).
			Scan(&nonce, &verifier, &expires); err != nil {
			return err
		}
		n, err := tx.Exec(ctx, `DELETE FROM registrar_signin_state WHERE state_hash = ?`, hash(state))
		if err == nil && n != 1 {
			return unauthorized("the sign-in's state was already used")
		}
		return err
	})
	if err != nil {
		if errors.Is(err, sqlNoRows) {
			return "", "", unauthorized("unknown or already used sign-in state; start the sign-in again")
		}
		return "", "", err
	}
	if time.Now().Unix() > expires {
		return "", "", unauthorized("the sign-in took too long (its state expired); start it again")
	}
	return nonce, verifier, nil
}

func (s *Service) callback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if e := q.Get("error"); e != "" {
		s.fail(w, r, idCallback, unauthorized("the provider refused the sign-in: %s", safe(e)))
		return
	}
	code, state := q.Get("code"), q.Get("state")
	if code == "" || state == "" {
		s.fail(w, r, idCallback, ferry.Errorf(ferry.EINVALID, "the callback needs code and state"))
		return
	}
	nonce, verifier, err := s.takeState(r.Context(), state)
	if err != nil {
		s.fail(w, r, idCallback, err)
		return
	}
	opts := []oauth2.AuthCodeOption{oauth2.VerifierOption(verifier)}
	if s.signer != nil {
		assertion, err := s.assertion()
		if err != nil {
			s.fail(w, r, idCallback, err)
			return
		}
		opts = append(opts, oauth2.SetAuthURLParam("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
			oauth2.SetAuthURLParam("client_assertion", assertion))
	}
	tok, err := s.oauth.Exchange(s.ctx(r), code, opts...)
	if err != nil {
		// The provider's answer is not logged: it may echo the code.
		s.fail(w, r, idCallback, unauthorized("the provider did not exchange the code"))
		return
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		s.fail(w, r, idCallback, unauthorized("the provider gave no ID token"))
		return
	}
	s.finish(w, r, idCallback, raw, nonce, tok.AccessToken)
}

type tokenBody struct {
	IDToken string `json:"idToken"`
	Nonce   string `json:"nonce"`
	// AccessToken, from the same token response, is for a provider that
	// gives the e-mail at its userinfo endpoint only (Login.gov).
	AccessToken string `json:"accessToken"`
}

// postToken signs in with an ID token an API client obtained itself.
func (s *Service) postToken(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Request tokenBody `json:"request"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil || body.Request.IDToken == "" {
		s.fail(w, r, idSignIn, ferry.Errorf(ferry.EINVALID, `the body must be {"request": {"idToken": "...", "nonce": "...", "accessToken": "..."}}`))
		return
	}
	s.finish(w, r, idSignIn, body.Request.IDToken, body.Request.Nonce, body.Request.AccessToken)
}

// idVerifier is the ID-token verifier. The provider's keys are fetched by
// it, and fetched again on a key id it has not seen, which is how a new
// key shows; but go-oidc never forgets a key it fetched, so a key the
// provider withdrew (rotated out, or leaked) would verify tokens for as
// long as ferry runs. A verifier, and with it the keys, lasts KeysTTL.
func (s *Service) idVerifier() *oidc.IDTokenVerifier {
	s.verifierMu.Lock()
	defer s.verifierMu.Unlock()
	if now := s.now(); s.verifier == nil || now.Sub(s.verifierSince) >= s.cfg.KeysTTL {
		s.verifier = s.provider.VerifierContext(s.keysCtx, &oidc.Config{ClientID: s.cfg.ClientID})
		s.verifierSince = now
	}
	return s.verifier
}

// finish verifies the ID token, runs the first-sign-in logic and starts a
// session. nonce, when not empty, must be the token's; accessToken, when
// not empty, reaches the userinfo endpoint if the ID token has no e-mail.
func (s *Service) finish(w http.ResponseWriter, r *http.Request, id, raw, nonce, accessToken string) {
	tok, err := s.idVerifier().Verify(s.ctx(r), raw)
	if err != nil {
		s.fail(w, r, id, unauthorized("the ID token is not valid: %s", reason(err)))
		return
	}
	if nonce != "" && tok.Nonce != nonce {
		s.fail(w, r, id, unauthorized("the ID token's nonce is not the sign-in's"))
		return
	}
	claims, err := s.email(s.ctx(r), tok, accessToken)
	if err != nil {
		s.fail(w, r, id, err)
		return
	}
	if claims.Email == "" && accessToken == "" {
		s.fail(w, r, id, unauthorized("the ID token carries no e-mail address; send the access token with it, for the provider's userinfo endpoint"))
		return
	}
	if claims.Email == "" || !(claims.Verified == true || claims.Verified == "true") {
		s.fail(w, r, id, unauthorized("the provider has not verified the person's e-mail address"))
		return
	}
	res, err := s.deps.Login(r.Context(), tok.Subject, claims.Email)
	if err != nil {
		s.fail(w, r, id, err)
		return
	}
	session := random()
	now := time.Now()
	_, _ = s.deps.DB.Exec(r.Context(), `DELETE FROM registrar_session WHERE expires_at < ?`, now.Unix())
	if _, err := s.deps.DB.Exec(r.Context(), `INSERT INTO registrar_session (token_hash, subject, created_at, expires_at) VALUES (?, ?, ?, ?)`,
		hash(session), tok.Subject, now.Unix(), now.Add(s.cfg.SessionTTL).Unix()); err != nil {
		s.fail(w, r, id, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: session, Path: "/v1/registrar", HttpOnly: true, Secure: !s.cfg.InsecureCookie,
		SameSite: http.SameSiteLaxMode, MaxAge: int(s.cfg.SessionTTL.Seconds())})
	s.deps.Log.Info("registrar sign-in", "subject", tok.Subject, "userCreated", res.UserCreated, "retrieved", res.Retrieved)
	result := map[string]any{"signIn": res}
	if id == idSignIn {
		// An API client has no cookie jar to rely on.
		result["session"] = session
	}
	httpapi.Respond(w, r, id, op, http.StatusOK, result, nil)
}

// emailClaims are what the sign-in needs of the person besides the subject.
type emailClaims struct {
	Email    string `json:"email"`
	Verified any    `json:"email_verified"`
}

// email is the person's address and whether the provider verified it: from
// the ID token when it carries them, else from the userinfo endpoint with
// the access token. A provider that issues an access token may give them
// there only (OpenID Connect Core 5.4), and Login.gov does; the userinfo
// must then be the ID token's person (5.3.2).
func (s *Service) email(ctx context.Context, tok *oidc.IDToken, accessToken string) (emailClaims, error) {
	var c emailClaims
	if err := tok.Claims(&c); err != nil {
		return c, unauthorized("the ID token's claims cannot be read")
	}
	if c.Email != "" || accessToken == "" {
		return c, nil
	}
	if tok.AccessTokenHash != "" {
		if err := tok.VerifyAccessToken(accessToken); err != nil {
			return c, unauthorized("the access token is not the one issued with the ID token")
		}
	}
	info, err := s.provider.UserInfo(ctx, oauth2.StaticTokenSource(&oauth2.Token{AccessToken: accessToken, TokenType: "Bearer"}))
	if err != nil {
		// The provider's answer is not shown or logged: it may echo the token.
		return c, unauthorized("the provider's userinfo endpoint refused the access token")
	}
	if info.Subject != tok.Subject {
		return c, unauthorized("the provider's userinfo is another person's than the ID token's")
	}
	// The address and its verification come from one source, never mixed.
	var u emailClaims
	if err := info.Claims(&u); err != nil {
		return u, unauthorized("the provider's userinfo cannot be read")
	}
	return u, nil
}

// subject is the signed-in person's, from the session cookie or an
// "Authorization: Session ..." header.
func (s *Service) subject(r *http.Request) (string, error) {
	v := ""
	if c, err := r.Cookie(CookieName); err == nil {
		v = c.Value
	} else if h, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Session "); ok {
		v = strings.TrimSpace(h)
	}
	if v == "" {
		return "", unauthorized("no session: sign in at /v1/registrar/sign-in")
	}
	var sub string
	var expires int64
	err := s.deps.DB.QueryRow(r.Context(), `SELECT subject, expires_at FROM registrar_session WHERE token_hash = ?`, hash(v)).Scan(&sub, &expires)
	if errors.Is(err, sqlNoRows) || (err == nil && time.Now().Unix() > expires) {
		return "", unauthorized("the session is unknown or has expired: sign in again")
	}
	return sub, err
}

func (s *Service) domains(w http.ResponseWriter, r *http.Request) {
	sub, err := s.subject(r)
	if err != nil {
		s.fail(w, r, idDomains, err)
		return
	}
	ds, err := s.deps.Domains(r.Context(), sub)
	if err != nil {
		s.fail(w, r, idDomains, err)
		return
	}
	httpapi.Respond(w, r, idDomains, op, http.StatusOK, map[string]any{"count": len(ds), "domains": ds}, nil)
}

func (s *Service) fail(w http.ResponseWriter, r *http.Request, id string, err error) {
	if httpapi.StatusOf(err) >= 500 {
		s.deps.Log.Error("registrar sign-in failed", "route", id, "err", err)
	}
	httpapi.Respond(w, r, id, op, 0, nil, err)
}

// assertion is a private_key_jwt client assertion (RFC 7523). Its
// audience is the provider's token endpoint and its issuer, the two values
// RFC 7523 (3) lets a provider identify itself by: Login.gov requires the
// token endpoint among the values, other providers (zitadel's, for one)
// the issuer. Both name the one provider ferry is configured with.
func (s *Service) assertion() (string, error) {
	now := time.Now()
	c := jwt.Claims{Issuer: s.cfg.ClientID, Subject: s.cfg.ClientID, Audience: jwt.Audience{s.tokenURL, s.cfg.Issuer}, ID: random(),
		IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(5 * time.Minute))}
	return jwt.Signed(s.signer).Claims(c).Serialize()
}

// reason is a verification error's kind, never the token itself.
func reason(err error) string {
	var exp *oidc.TokenExpiredError
	switch {
	case errors.As(err, &exp):
		return "it has expired"
	case strings.Contains(err.Error(), "audience"):
		return "it was issued for another client"
	case strings.Contains(err.Error(), "issuer"):
		return "it was issued by another provider"
	case strings.Contains(err.Error(), "signature"):
		return "its signature does not match the provider's keys"
	}
	return "it is malformed"
}

// safe bounds a provider's error code before it reaches a message.
func safe(v string) string {
	if len(v) > 64 {
		v = v[:64]
	}
	return strings.Map(func(r rune) rune {
		if r == '_' || r == '-' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
			return r
		}
		return -1
	}, v)
}
