package signin

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"

	oidcop "github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/oauth2"
)

// testProvider is a real OpenID Provider on a loopback port: zitadel/oidc's
// op package over opStorage, with a login step a test drives (POST /login
// names the person). It signs its ID tokens with its own RSA keys and
// publishes them at its JWKS, as Login.gov does.
type testProvider struct {
	t     *testing.T
	url   string
	store *opStorage
	// keys are the provider's keys: the first signs at the start, the
	// others are for rotations.
	keys []*opKey

	mu sync.Mutex
	// secrets are the codes and tokens the provider handed out, which the
	// ferry log must never hold.
	secrets []string
	// jwksFetches counts the requests for the provider's keys.
	jwksFetches int
}

var (
	rsaOnce sync.Once
	rsaKeys [4]*rsa.PrivateKey
	rsaErr  error
)

// testRSAKey is one of four RSA keys generated once per test binary: a
// 2048-bit key takes a noticeable time under the race detector.
func testRSAKey(t *testing.T, i int) *rsa.PrivateKey {
	t.Helper()
	rsaOnce.Do(func() {
		for j := range rsaKeys {
			if rsaKeys[j], rsaErr = rsa.GenerateKey(rand.Reader, 2048); rsaErr != nil {
				return
			}
		}
	})
	if rsaErr != nil {
		t.Fatal(rsaErr)
	}
	return rsaKeys[i]
}

// startProvider starts a provider of the test's own, stopped when it ends.
// The people of the tests have accounts at it; its first key signs.
func startProvider(t *testing.T) *testProvider {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &testProvider{t: t, url: "http://" + ln.Addr().String()}
	for i := range 3 {
		p.keys = append(p.keys, &opKey{id: fmt.Sprintf("key-%d", i+1), key: testRSAKey(t, i)})
	}
	p.store = newOPStorage(p.keys[0])
	for _, u := range []opUser{manager, other, newcomer} {
		p.store.addUser(u)
	}
	// op encrypts its codes and opaque access tokens with this key.
	var crypto [32]byte
	_, _ = rand.Read(crypto[:])
	provider, err := oidcop.NewProvider(&oidcop.Config{CryptoKey: crypto, CodeMethodS256: true, AuthMethodPost: true, AuthMethodPrivateKeyJWT: true},
		p.store, oidcop.StaticIssuer(p.url), oidcop.WithAllowInsecure())
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", p.login)
	mux.Handle("/", p.recorded(provider))
	srv := &http.Server{Handler: mux}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return p
}

// login is the provider's login page reduced to its outcome: the person
// named by subject has authenticated for the auth request, and goes back
// to op's callback, which redirects to the client with a code.
func (p *testProvider) login(w http.ResponseWriter, r *http.Request) {
	id := r.FormValue("authRequestID")
	if err := p.store.logIn(id, r.FormValue("subject")); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	http.Redirect(w, r, p.url+"/authorize/callback?id="+url.QueryEscape(id), http.StatusFound)
}

// recorded notes the codes and tokens op hands out and counts the
// requests for its keys.
func (p *testProvider) recorded(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		p.mu.Lock()
		switch r.URL.Path {
		case "/keys":
			p.jwksFetches++
		case "/oauth/token":
			var tok struct {
				AccessToken string `json:"access_token"`
				IDToken     string `json:"id_token"`
			}
			if json.Unmarshal(rec.Body.Bytes(), &tok) == nil {
				p.secrets = append(p.secrets, tok.AccessToken, tok.IDToken)
			}
		}
		if loc, err := url.Parse(rec.Header().Get("Location")); err == nil && loc.Query().Get("code") != "" {
			p.secrets = append(p.secrets, loc.Query().Get("code"))
		}
		p.mu.Unlock()
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	})
}

func (p *testProvider) handedOut() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, s := range p.secrets {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

func (p *testProvider) keyFetches() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.jwksFetches
}

// logIn takes the browser from the client's authorization request to the
// provider's redirect back to the client: the login page, the person
// authenticating as subject, op's callback. It returns that redirect's
// target, the client's redirect URI with code and state.
func (p *testProvider) logIn(b *browser, authorize, subject string) *url.URL {
	p.t.Helper()
	pg := b.get(authorize)
	if pg.status != http.StatusFound || pg.loc == nil || pg.loc.Path != "/login" {
		p.t.Fatalf("the provider's authorize endpoint: %d to %v (%s), want a redirect to its login page", pg.status, pg.loc, pg.body)
	}
	pg = b.post(p.url+"/login", url.Values{"authRequestID": {pg.loc.Query().Get("authRequestID")}, "subject": {subject}})
	if pg.status != http.StatusFound {
		p.t.Fatalf("logging in as %s: %d %s", subject, pg.status, pg.body)
	}
	pg = b.get(pg.loc.String())
	if pg.status != http.StatusFound || pg.loc == nil || pg.loc.Query().Get("code") == "" {
		p.t.Fatalf("the provider's callback: %d to %v (%s), want a redirect with a code", pg.status, pg.loc, pg.body)
	}
	return pg.loc
}

// tokens runs the authorization-code flow with PKCE for a client as an API
// client would, without ferry (the redirect back is not followed), and
// returns the provider's ID token and access token. nonce may be empty.
func (p *testProvider) tokens(clientID, secret, subject, nonce string) (idToken, accessToken string) {
	p.t.Helper()
	p.store.mu.Lock()
	c := p.store.clients[clientID]
	p.store.mu.Unlock()
	cfg := oauth2.Config{ClientID: clientID, ClientSecret: secret, RedirectURL: c.redirectURIs[0], Scopes: []string{"openid", "email"},
		Endpoint: oauth2.Endpoint{AuthURL: p.url + "/authorize", TokenURL: p.url + "/oauth/token", AuthStyle: oauth2.AuthStyleInHeader}}
	verifier := oauth2.GenerateVerifier()
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(verifier)}
	if nonce != "" {
		opts = append(opts, oauth2.SetAuthURLParam("nonce", nonce))
	}
	back := p.logIn(newBrowser(p.t, ""), cfg.AuthCodeURL("api-client-state", opts...), subject)
	tok, err := cfg.Exchange(p.t.Context(), back.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		p.t.Fatalf("exchanging the code for %s: %v", clientID, err)
	}
	idToken, _ = tok.Extra("id_token").(string)
	if idToken == "" {
		p.t.Fatal("the provider gave no ID token")
	}
	return idToken, tok.AccessToken
}
