package signin

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	oidcop "github.com/zitadel/oidc/v3/pkg/op"
)

// opStorage is the test provider's storage: zitadel/oidc's op package does
// the protocol (discovery, authorize, PKCE, client authentication, token
// and userinfo endpoints, signing) and keeps its state here, in memory.
// What a test needs that a provider does not do on request is set here:
// the person who logs in, a client's ID-token lifetime (negative makes the
// tokens expired when issued), which key signs and which keys the JWKS
// publishes.
//
// Every value handed to op is a copy made under the lock: op reads them on
// its own goroutines while a test changes the storage.
type opStorage struct {
	mu       sync.Mutex
	clients  map[string]opClient
	users    map[string]opUser
	requests map[string]*opRequest
	// codes maps an issued authorization code to its request; a code is
	// forgotten with its request once it has been exchanged.
	codes  map[string]string
	tokens map[string]opToken
	// issued numbers the requests and tokens.
	issued int
	// signer signs new tokens; published is the JWKS. A test may sign with
	// a key it no longer publishes: a withdrawn (say, leaked) key.
	signer    *opKey
	published []*opKey
	// Counters the tests assert on.
	unknownCodes   int // token requests with a code the provider does not know
	assertionKeys  int // client assertions whose key was looked up
	secretsChecked int // client secrets checked
}

// opUser is a person with an account at the provider.
type opUser struct {
	subject  string
	email    string
	verified bool
}

// opClient is an application registered at the provider.
type opClient struct {
	id           string
	secret       string
	redirectURIs []string
	authMethod   oidc.AuthMethod
	// key is the public key of a private_key_jwt client.
	key *jose.JSONWebKey
	// lifetime is its ID tokens' lifetime; 0 means an hour.
	lifetime time.Duration
	// acr, when set, must be among an authorization request's acr_values,
	// as Login.gov requires an assurance level.
	acr string
	// claimsInIDToken puts the e-mail into the ID token although an access
	// token is issued with it. OpenID Connect Core (5.4) has the userinfo
	// endpoint give them then, as Login.gov does, so it is off by default.
	claimsInIDToken bool
}

// opToken is an access token the provider issued.
type opToken struct {
	subject  string
	clientID string
	scopes   []string
	expires  time.Time
}

// opKey is one of the provider's RSA signing keys.
type opKey struct {
	id  string
	key *rsa.PrivateKey
}

// The claims of an ID token come from SetUserinfoFromRequest, an interface
// op looks for.
var _ oidcop.CanSetUserinfoFromRequest = (*opStorage)(nil)

func newOPStorage(first *opKey) *opStorage {
	return &opStorage{clients: map[string]opClient{}, users: map[string]opUser{}, requests: map[string]*opRequest{},
		codes: map[string]string{}, tokens: map[string]opToken{}, signer: first, published: []*opKey{first}}
}

func (s *opStorage) addClient(c opClient) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clients[c.id] = c
}

// setClient changes a registered client.
func (s *opStorage) setClient(id string, change func(*opClient)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.clients[id]
	change(&c)
	s.clients[id] = c
}

func (s *opStorage) addUser(u opUser) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[u.subject] = u
}

// useKeys makes signer sign from now on and published the JWKS.
func (s *opStorage) useKeys(signer *opKey, published ...*opKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.signer, s.published = signer, published
}

func (s *opStorage) counts() (unknownCodes, assertionKeys, secretsChecked int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.unknownCodes, s.assertionKeys, s.secretsChecked
}

// logIn is the provider's login step: the person with subject has
// authenticated for the auth request id.
func (s *opStorage) logIn(id, subject string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	req, ok := s.requests[id]
	if !ok {
		return errors.New("no such auth request")
	}
	if _, ok := s.users[subject]; !ok {
		return errors.New("no such user")
	}
	req.subject, req.done, req.authTime = subject, true, time.Now()
	return nil
}

// The auth requests.

func (s *opStorage) CreateAuthRequest(_ context.Context, r *oidc.AuthRequest, _ string) (oidcop.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if acr := s.clients[r.ClientID].acr; acr != "" && !slices.Contains(r.ACRValues, acr) {
		return nil, oidc.ErrInvalidRequest().WithDescription("acr_values must include %s", acr)
	}
	s.issued++
	req := &opRequest{id: fmt.Sprintf("req-%d", s.issued), req: *r}
	s.requests[req.id] = req
	return req.copy(), nil
}

func (s *opStorage) AuthRequestByID(_ context.Context, id string) (oidcop.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	req, ok := s.requests[id]
	if !ok {
		return nil, errors.New("no such auth request")
	}
	return req.copy(), nil
}

func (s *opStorage) AuthRequestByCode(_ context.Context, code string) (oidcop.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	req, ok := s.requests[s.codes[code]]
	if !ok {
		s.unknownCodes++
		return nil, errors.New("the code is unknown or was used")
	}
	return req.copy(), nil
}

func (s *opStorage) SaveAuthCode(_ context.Context, id, code string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.codes[code] = id
	return nil
}

// DeleteAuthRequest is called once the code is exchanged: the code goes
// with the request, so that it cannot be exchanged twice.
func (s *opStorage) DeleteAuthRequest(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.requests, id)
	for code, rid := range s.codes {
		if rid == id {
			delete(s.codes, code)
		}
	}
	return nil
}

// The tokens.

func (s *opStorage) CreateAccessToken(_ context.Context, r oidcop.TokenRequest) (string, time.Time, error) {
	req, ok := r.(*opRequest)
	if !ok {
		return "", time.Time{}, fmt.Errorf("grant %T is not supported", r)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.issued++
	id := fmt.Sprintf("at-%d", s.issued)
	t := opToken{subject: req.subject, clientID: req.req.ClientID, scopes: slices.Clone(req.req.Scopes), expires: time.Now().Add(5 * time.Minute)}
	s.tokens[id] = t
	return id, t.expires, nil
}

var errNoRefresh = errors.New("this provider issues no refresh tokens")

func (s *opStorage) CreateAccessAndRefreshTokens(context.Context, oidcop.TokenRequest, string) (string, string, time.Time, error) {
	return "", "", time.Time{}, errNoRefresh
}

func (s *opStorage) TokenRequestByRefreshToken(context.Context, string) (oidcop.RefreshTokenRequest, error) {
	return nil, errNoRefresh
}

func (s *opStorage) GetRefreshTokenInfo(context.Context, string, string) (string, string, error) {
	return "", "", oidcop.ErrInvalidRefreshToken
}

func (s *opStorage) TerminateSession(context.Context, string, string) error { return nil }

func (s *opStorage) RevokeToken(context.Context, string, string, string) *oidc.Error { return nil }

// The keys.

func (s *opStorage) SigningKey(context.Context) (oidcop.SigningKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return signingKey{s.signer}, nil
}

func (s *opStorage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.RS256}, nil
}

func (s *opStorage) KeySet(context.Context) ([]oidcop.Key, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := make([]oidcop.Key, 0, len(s.published))
	for _, k := range s.published {
		keys = append(keys, publicKey{k})
	}
	return keys, nil
}

type signingKey struct{ k *opKey }

func (k signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k signingKey) Key() any                                    { return k.k.key }
func (k signingKey) ID() string                                  { return k.k.id }

type publicKey struct{ k *opKey }

func (k publicKey) ID() string                         { return k.k.id }
func (k publicKey) Algorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k publicKey) Use() string                        { return "sig" }
func (k publicKey) Key() any                           { return &k.k.key.PublicKey }

// The clients.

func (s *opStorage) GetClientByClientID(_ context.Context, id string) (oidcop.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.clients[id]
	if !ok {
		return nil, errors.New("no such client")
	}
	return c, nil
}

func (s *opStorage) AuthorizeClientIDSecret(_ context.Context, id, secret string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.secretsChecked++
	if c, ok := s.clients[id]; !ok || c.secret == "" || c.secret != secret {
		return errors.New("wrong client or secret")
	}
	return nil
}

// GetKeyByIDAndClientID gives the public key a private_key_jwt client
// registered, for its client assertion.
func (s *opStorage) GetKeyByIDAndClientID(_ context.Context, keyID, clientID string) (*jose.JSONWebKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.assertionKeys++
	c, ok := s.clients[clientID]
	if !ok || c.key == nil || (keyID != "" && keyID != c.key.KeyID) {
		return nil, errors.New("no such client key")
	}
	k := *c.key
	return &k, nil
}

// The person's claims, in the ID token or from the userinfo endpoint.

func (s *opStorage) SetUserinfoFromScopes(context.Context, *oidc.UserInfo, string, string, []string) error {
	return nil
}

func (s *opStorage) SetUserinfoFromRequest(_ context.Context, info *oidc.UserInfo, r oidcop.IDTokenRequest, scopes []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.userinfo(info, r.GetSubject(), scopes)
}

func (s *opStorage) SetUserinfoFromToken(_ context.Context, info *oidc.UserInfo, tokenID, _, _ string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tokens[tokenID]
	if !ok || time.Now().After(t.expires) {
		return errors.New("the access token is unknown or has expired")
	}
	return s.userinfo(info, t.subject, t.scopes)
}

func (s *opStorage) userinfo(info *oidc.UserInfo, subject string, scopes []string) error {
	u, ok := s.users[subject]
	if !ok {
		return errors.New("no such user")
	}
	for _, scope := range scopes {
		switch scope {
		case oidc.ScopeOpenID:
			info.Subject = u.subject
		case oidc.ScopeEmail:
			info.Email, info.EmailVerified = u.email, oidc.Bool(u.verified)
		}
	}
	return nil
}

func (s *opStorage) SetIntrospectionFromToken(context.Context, *oidc.IntrospectionResponse, string, string, string) error {
	return errors.New("introspection is not supported")
}

func (s *opStorage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

func (s *opStorage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, errors.New("the JWT profile grant is not supported")
}

func (s *opStorage) Health(context.Context) error { return nil }

// opRequest is an authorization request and, once the person logged in,
// who they are.
type opRequest struct {
	id       string
	req      oidc.AuthRequest
	subject  string
	done     bool
	authTime time.Time
}

func (r *opRequest) copy() *opRequest {
	c := *r
	c.req.Scopes = slices.Clone(r.req.Scopes)
	return &c
}

func (r *opRequest) GetID() string    { return r.id }
func (r *opRequest) GetACR() string   { return "" }
func (r *opRequest) GetAMR() []string { return []string{"pwd"} }
func (r *opRequest) GetAudience() []string {
	return []string{r.req.ClientID}
}
func (r *opRequest) GetAuthTime() time.Time { return r.authTime }
func (r *opRequest) GetClientID() string    { return r.req.ClientID }
func (r *opRequest) GetCodeChallenge() *oidc.CodeChallenge {
	if r.req.CodeChallenge == "" {
		return nil
	}
	return &oidc.CodeChallenge{Challenge: r.req.CodeChallenge, Method: r.req.CodeChallengeMethod}
}
func (r *opRequest) GetNonce() string                   { return r.req.Nonce }
func (r *opRequest) GetRedirectURI() string             { return r.req.RedirectURI }
func (r *opRequest) GetResponseType() oidc.ResponseType { return r.req.ResponseType }
func (r *opRequest) GetResponseMode() oidc.ResponseMode { return r.req.ResponseMode }
func (r *opRequest) GetScopes() []string                { return r.req.Scopes }
func (r *opRequest) GetState() string                   { return r.req.State }
func (r *opRequest) GetSubject() string                 { return r.subject }
func (r *opRequest) Done() bool                         { return r.done }

// opClient is op's view of a client.

func (c opClient) GetID() string                           { return c.id }
func (c opClient) RedirectURIs() []string                  { return c.redirectURIs }
func (c opClient) PostLogoutRedirectURIs() []string        { return nil }
func (c opClient) ApplicationType() oidcop.ApplicationType { return oidcop.ApplicationTypeWeb }
func (c opClient) AuthMethod() oidc.AuthMethod             { return c.authMethod }
func (c opClient) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}
func (c opClient) GrantTypes() []oidc.GrantType            { return []oidc.GrantType{oidc.GrantTypeCode} }
func (c opClient) LoginURL(id string) string               { return "/login?authRequestID=" + id }
func (c opClient) AccessTokenType() oidcop.AccessTokenType { return oidcop.AccessTokenTypeBearer }
func (c opClient) DevMode() bool                           { return false }
func (c opClient) IsScopeAllowed(string) bool              { return false }
func (c opClient) IDTokenUserinfoClaimsAssertion() bool    { return c.claimsInIDToken }
func (c opClient) ClockSkew() time.Duration                { return 0 }
func (c opClient) IDTokenLifetime() time.Duration {
	if c.lifetime == 0 {
		return time.Hour
	}
	return c.lifetime
}
func (c opClient) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c opClient) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
