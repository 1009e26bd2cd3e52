package signin

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"

	"github.com/ferrymigrate/ferry/internal/registrar"
	"github.com/ferrymigrate/ferry/internal/store"
)

// These tests sign in against a real OpenID Provider (testprovider_test.go)
// through a real ferry serve, and check every answer of ferry against the
// OpenAPI document.

// A person's first sign-in in a browser: ferry redirects to the provider
// with PKCE (S256), state and nonce; the person logs in there; the
// provider redirects back with a code, which ferry exchanges; the ID token
// is verified against the provider's keys, and the e-mail, which the
// provider gives at its userinfo endpoint as Login.gov does, retrieves the
// invitations sent to it: they become manager roles, and the session lists
// exactly those domains. Nothing secret and no e-mail reaches the log.
func TestBrowserSignIn(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, db *store.DB) {
		p := startProvider(t)
		f := startFerry(t, db, p, Config{}, opClient{})
		b := newBrowser(t, f.url)

		start := b.get(f.url + "/v1/registrar/sign-in")
		if start.status != http.StatusFound || start.loc == nil || start.loc.Scheme+"://"+start.loc.Host != p.url || start.loc.Path != "/authorize" {
			t.Fatalf("sign-in: %d to %v, want a redirect to %s/authorize", start.status, start.loc, p.url)
		}
		q := start.loc.Query()
		state, nonce, challenge := q.Get("state"), q.Get("nonce"), q.Get("code_challenge")
		if q.Get("client_id") != "ferry" || q.Get("response_type") != "code" || q.Get("redirect_uri") != f.url+"/v1/registrar/callback" ||
			!slices.Contains(strings.Fields(q.Get("scope")), "openid") || !slices.Contains(strings.Fields(q.Get("scope")), "email") {
			t.Errorf("the authorization request: %v", q)
		}
		if q.Get("code_challenge_method") != "S256" || len(challenge) != 43 || len(state) < 43 || len(nonce) < 43 || state == nonce {
			t.Errorf("PKCE, state and nonce: method %q challenge %q state %q nonce %q, want S256 and three random values",
				q.Get("code_challenge_method"), challenge, state, nonce)
		}
		// What the callback needs is kept in the database, under the state's
		// hash, the verifier matching the challenge sent.
		var stored struct{ stateHash, nonce, verifier string }
		if err := db.QueryRow(t.Context(), `SELECT state_hash, nonce, verifier FROM registrar_signin_state`).Scan(&stored.stateHash, &stored.nonce, &stored.verifier); err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256([]byte(stored.verifier))
		if stored.stateHash != hash(state) || stored.nonce != nonce || base64.RawURLEncoding.EncodeToString(sum[:]) != challenge {
			t.Errorf("the stored sign-in does not match the request: %+v", stored)
		}

		back := p.logIn(b, start.loc.String(), manager.subject)
		if back.Path != "/v1/registrar/callback" || back.Query().Get("state") != state {
			t.Fatalf("the provider sent the browser to %v, want ferry's callback with the state", back)
		}
		pg := b.get(back.String())
		e := pg.envelope(t)
		if pg.status != http.StatusOK || e.ResponseCode != "OK" || e.Result.SignIn == nil {
			t.Fatalf("callback: %d %s", pg.status, pg.body)
		}
		in := e.Result.SignIn
		if in.Subject != manager.subject || !in.UserCreated || in.Retrieved != 2 || !slices.Equal(in.Domains, []string{"harbor-example.gov", "landing-example.gov"}) {
			t.Errorf("the sign-in: %+v, want a new user who retrieved harbor-example.gov and landing-example.gov", *in)
		}
		if e.Result.Session != "" {
			t.Error("the callback's answer carries the session: a browser has it in its cookie only")
		}
		cookie := pg.cookie()
		if cookie == "" {
			t.Fatal("no session cookie")
		}
		for _, c := range (&http.Response{Header: pg.header}).Cookies() {
			if c.Name == CookieName && (!c.HttpOnly || c.Path != "/v1/registrar" || c.SameSite != http.SameSiteLaxMode || c.MaxAge != int((12*time.Hour).Seconds())) {
				t.Errorf("the session cookie: %+v, want HttpOnly, SameSite=Lax, on /v1/registrar, for 12 hours", c)
			}
		}
		eq(t, "pending sign-ins", count(t, db, "registrar_signin_state"), "0")
		eq(t, "sessions", rows(t, db, `SELECT token_hash, subject FROM registrar_session`), []string{hash(cookie) + " " + manager.subject})
		eq(t, "invitations", invitations(t, db, manager.email), []string{"harbor-example.gov retrieved", "landing-example.gov retrieved"})
		eq(t, "another's invitations", invitations(t, db, other.email), []string{"elsewhere-example.gov invited"})
		eq(t, "roles", roles(t, db, manager.subject), []string{"harbor-example.gov manager", "landing-example.gov manager"})

		me := f.domains(b, "")
		if me.status != http.StatusOK {
			t.Fatalf("me/domains: %d %s", me.status, me.body)
		}
		eq(t, "managed domains", me.envelope(t).Result.Domains, []registrar.ManagedDomain{
			{Name: "harbor-example.gov", State: registrar.StateReady, Role: "manager"},
			{Name: "landing-example.gov", State: registrar.StateOnHold, Role: "manager"}})
		eq(t, "count", me.envelope(t).Result.Count, 2)
		f.domains(newBrowser(t, f.url), "").refused(t, "no session")
		f.domains(newBrowser(t, f.url), "not-a-session").refused(t, "unknown or has expired")

		// Signing in again finds the same user and retrieves nothing more.
		again := f.signIn(newBrowser(t, f.url), p, manager.subject).envelope(t).Result.SignIn
		if again == nil || again.UserCreated || again.UserID != in.UserID || again.Retrieved != 0 || len(again.Domains) != 2 {
			t.Errorf("the second sign-in: %+v, want the same user, nothing retrieved, two domains", again)
		}
		noSecretsLogged(t, f.logs.String(), append(p.handedOut(), cookie, state, nonce, stored.verifier)...)
	})
}

// An API client that signed the person in itself posts the ID token, with
// the nonce it sent, and gets a session, which it sends back as
// "Authorization: Session ...". The nonce must be the token's.
func TestPostIDToken(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, db *store.DB) {
		p := startProvider(t)
		f := startFerry(t, db, p, Config{}, opClient{claimsInIDToken: true})
		b := newBrowser(t, f.url)
		idToken, _ := p.tokens("ferry", "ferry-client-secret", manager.subject, "api-client-nonce")

		f.postToken(b, map[string]string{"idToken": idToken, "nonce": "another-nonce"}).refused(t, "nonce is not the sign-in's")
		eq(t, "people after a wrong nonce", people(t, db), "0")

		pg := f.postToken(b, map[string]string{"idToken": idToken, "nonce": "api-client-nonce"})
		e := pg.envelope(t)
		if pg.status != http.StatusOK || e.Result.SignIn == nil || e.Result.SignIn.Retrieved != 2 || e.Result.Session == "" {
			t.Fatalf("posting a valid ID token: %d %s", pg.status, pg.body)
		}
		me := f.domains(newBrowser(t, f.url), e.Result.Session)
		if me.status != http.StatusOK || me.envelope(t).Result.Count != 2 {
			t.Errorf("me/domains with the session header: %d %s", me.status, me.body)
		}
		eq(t, "sessions", rows(t, db, `SELECT token_hash, subject FROM registrar_session`), []string{hash(e.Result.Session) + " " + manager.subject})

		if pg := f.postToken(b, map[string]string{"nonce": "x"}); pg.status != http.StatusBadRequest || *pg.envelope(t).Params.Err != "FRY_REGSIN0017" {
			t.Errorf("a body without an ID token: %d %s, want 400 FRY_REGSIN0017", pg.status, pg.body)
		}
		noSecretsLogged(t, f.logs.String(), append(p.handedOut(), e.Result.Session)...)
	})
}

// A provider that gives the e-mail at its userinfo endpoint only, as
// Login.gov does: the API client posts the access token with the ID token,
// and ferry asks the provider. An access token that is not the ID token's
// is refused.
func TestPostIDTokenWithAccessToken(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, db *store.DB) {
		p := startProvider(t)
		f := startFerry(t, db, p, Config{}, opClient{})
		b := newBrowser(t, f.url)
		idToken, accessToken := p.tokens("ferry", "ferry-client-secret", manager.subject, "")
		_, othersAccess := p.tokens("ferry", "ferry-client-secret", other.subject, "")

		f.postToken(b, map[string]string{"idToken": idToken}).refused(t, "carries no e-mail address; send the access token")
		f.postToken(b, map[string]string{"idToken": idToken, "accessToken": othersAccess}).refused(t, "not the one issued with the ID token")
		f.postToken(b, map[string]string{"idToken": idToken, "accessToken": "not-an-access-token"}).refused(t, "not the one issued with the ID token")
		eq(t, "people after the refusals", people(t, db), "0")

		pg := f.postToken(b, map[string]string{"idToken": idToken, "accessToken": accessToken})
		if e := pg.envelope(t); pg.status != http.StatusOK || e.Result.SignIn == nil || e.Result.SignIn.Retrieved != 2 || e.Result.Session == "" {
			t.Fatalf("posting the ID token and its access token: %d %s", pg.status, pg.body)
		}
		eq(t, "invitations", invitations(t, db, manager.email), []string{"harbor-example.gov retrieved", "landing-example.gov retrieved"})
		eq(t, "another's invitations", invitations(t, db, other.email), []string{"elsewhere-example.gov invited"})
		noSecretsLogged(t, f.logs.String(), p.handedOut()...)
	})
}

// ID tokens ferry must refuse, each signed by the provider: expired, issued
// for another client, for a person whose e-mail the provider has not
// verified, or altered after signing. None starts a session or creates a
// user.
func TestRefusedIDTokens(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, db *store.DB) {
		p := startProvider(t)
		p.store.addClient(opClient{id: "another-app", secret: "another-secret", redirectURIs: []string{"https://app.example.com/callback"},
			authMethod: oidc.AuthMethodBasic, claimsInIDToken: true})
		f := startFerry(t, db, p, Config{}, opClient{claimsInIDToken: true})
		b := newBrowser(t, f.url)

		otherApp, _ := p.tokens("another-app", "another-secret", manager.subject, "")
		unverified, _ := p.tokens("ferry", "ferry-client-secret", newcomer.subject, "")
		valid, _ := p.tokens("ferry", "ferry-client-secret", manager.subject, "")
		p.store.setClient("ferry", func(c *opClient) { c.lifetime = -time.Minute })
		expired, _ := p.tokens("ferry", "ferry-client-secret", manager.subject, "")
		parts := strings.Split(valid, ".")
		parts[1] = base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(decodeSegment(t, parts[1]), manager.subject, newcomer.subject, 1)))
		altered := strings.Join(parts, ".")

		for _, tt := range []struct{ name, token, why string }{
			{"expired", expired, "it has expired"},
			{"for another client", otherApp, "it was issued for another client"},
			{"e-mail not verified", unverified, "has not verified the person's e-mail address"},
			{"altered", altered, "its signature does not match the provider's keys"},
			{"not a token", "not.a.token", "it is malformed"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				f.postToken(b, map[string]string{"idToken": tt.token}).refused(t, tt.why)
			})
		}
		eq(t, "people", people(t, db), "0")
		eq(t, "sessions", count(t, db, "registrar_session"), "0")
	})
}

func decodeSegment(t *testing.T, s string) string {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The callback refuses what does not continue a sign-in ferry started: a
// state it never issued or already used, a code already exchanged, a code
// from another sign-in (the provider refuses it: its PKCE challenge is
// another's), an ID token whose nonce is not the one ferry sent, a person
// whose e-mail is not verified, and the provider's own refusal.
func TestCallbackRefusals(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, db *store.DB) {
		p := startProvider(t)
		f := startFerry(t, db, p, Config{}, opClient{})
		callback := f.url + "/v1/registrar/callback"
		b := newBrowser(t, f.url)

		t.Run("an unknown state", func(t *testing.T) {
			b.get(callback+"?code=some-code&state=never-issued").refused(t, "unknown or already used sign-in state")
		})
		t.Run("no code", func(t *testing.T) {
			if pg := b.get(callback + "?state=x"); pg.status != http.StatusBadRequest || *pg.envelope(t).Params.Err != "FRY_REGSIN0017" {
				t.Errorf("a callback without a code: %d %s, want 400 FRY_REGSIN0017", pg.status, pg.body)
			}
		})
		t.Run("the provider refused", func(t *testing.T) {
			b.get(callback+"?error=access_denied&error_description=no&state=x").refused(t, "the provider refused the sign-in: access_denied")
		})
		t.Run("a code from another sign-in", func(t *testing.T) {
			first := b.get(f.url + "/v1/registrar/sign-in")
			second := b.get(f.url + "/v1/registrar/sign-in")
			back := p.logIn(b, first.loc.String(), manager.subject)
			swapped := url.Values{"code": {back.Query().Get("code")}, "state": {second.loc.Query().Get("state")}}
			b.get(callback+"?"+swapped.Encode()).refused(t, "the provider did not exchange the code")
			// The code was not spent: the sign-in it belongs to still ends.
			if pg := b.get(back.String()); pg.status != http.StatusOK {
				t.Errorf("the first sign-in's own callback: %d %s", pg.status, pg.body)
			}
		})
		t.Run("a replayed callback", func(t *testing.T) {
			start := b.get(f.url + "/v1/registrar/sign-in")
			var nonce, verifier string
			if err := db.QueryRow(t.Context(), `SELECT nonce, verifier FROM registrar_signin_state WHERE state_hash = ?`,
				hash(start.loc.Query().Get("state"))).Scan(&nonce, &verifier); err != nil {
				t.Fatal(err)
			}
			back := p.logIn(b, start.loc.String(), manager.subject)
			if pg := b.get(back.String()); pg.status != http.StatusOK {
				t.Fatalf("the callback: %d %s", pg.status, pg.body)
			}
			b.get(back.String()).refused(t, "unknown or already used sign-in state")
			// The same code under a state of its own, with the verifier that
			// matches its challenge: only the code can be at fault.
			if _, err := db.Exec(t.Context(), `INSERT INTO registrar_signin_state (state_hash, nonce, verifier, expires_at) VALUES (?, ?, ?, ?)`,
				hash("replayed-state"), nonce, verifier, time.Now().Add(time.Minute).Unix()); err != nil {
				t.Fatal(err)
			}
			before, _, _ := p.store.counts()
			reused := url.Values{"code": {back.Query().Get("code")}, "state": {"replayed-state"}}
			b.get(callback+"?"+reused.Encode()).refused(t, "the provider did not exchange the code")
			if after, _, _ := p.store.counts(); after != before+1 {
				t.Errorf("the provider saw %d unknown codes, want the reused one", after-before)
			}
		})
		t.Run("a nonce that is not the sign-in's", func(t *testing.T) {
			start := b.get(f.url + "/v1/registrar/sign-in")
			tampered := *start.loc
			q := tampered.Query()
			q.Set("nonce", "a-nonce-ferry-did-not-send")
			tampered.RawQuery = q.Encode()
			b.get(p.logIn(b, tampered.String(), manager.subject).String()).refused(t, "nonce is not the sign-in's")
		})
		sessions := count(t, db, "registrar_session")
		t.Run("an e-mail not verified", func(t *testing.T) {
			f.signIn(b, p, newcomer.subject).refused(t, "has not verified the person's e-mail address")
			eq(t, "the unverified person's user", rows(t, db, `SELECT id FROM registrar_user WHERE subject = ?`, newcomer.subject), []string{})
		})
		eq(t, "sessions after the refusals", count(t, db, "registrar_session"), sessions)
		noSecretsLogged(t, f.logs.String(), p.handedOut()...)
	})
}

// Ferry configured as for Login.gov: private_key_jwt, where ferry signs a
// client assertion with its key, which the provider checks against the
// public key registered for ferry (no secret is sent), and the acr_values
// the provider requires. A key the provider does not know for ferry gets
// no tokens; an assurance level it does not grant, no code.
func TestPrivateKeyJWT(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, db *store.DB) {
		p := startProvider(t)
		key := testRSAKey(t, 3)
		der, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			t.Fatal(err)
		}
		public := &jose.JSONWebKey{Key: &key.PublicKey, KeyID: "ferry-2026", Algorithm: string(jose.RS256), Use: "sig"}
		const authOnly = "urn:acr.login.gov:auth-only"
		f := startFerry(t, db, p, Config{PrivateKeyPEM: pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), KeyID: "ferry-2026", ACRValues: authOnly},
			opClient{authMethod: oidc.AuthMethodPrivateKeyJWT, key: public, acr: authOnly})

		pg := f.signIn(newBrowser(t, f.url), p, manager.subject)
		if in := pg.envelope(t).Result.SignIn; pg.status != http.StatusOK || pg.cookie() == "" || in == nil || in.Retrieved != 2 {
			t.Fatalf("signing in with private_key_jwt: %d %s", pg.status, pg.body)
		}
		if _, assertions, secrets := p.store.counts(); assertions == 0 || secrets != 0 {
			t.Errorf("the provider checked %d client assertions and %d secrets, want assertions only", assertions, secrets)
		}

		p.store.setClient("ferry", func(c *opClient) {
			c.key = &jose.JSONWebKey{Key: &testRSAKey(t, 2).PublicKey, KeyID: "ferry-2026", Algorithm: string(jose.RS256), Use: "sig"}
		})
		f.signIn(newBrowser(t, f.url), p, manager.subject).refused(t, "the provider did not exchange the code")

		// The provider refuses the authorization request itself and sends
		// the browser back to ferry with the error.
		p.store.setClient("ferry", func(c *opClient) { c.acr = "http://idmanagement.gov/ns/assurance/ial/2" })
		b := newBrowser(t, f.url)
		start := b.get(f.url + "/v1/registrar/sign-in")
		if got := start.loc.Query().Get("acr_values"); got != authOnly {
			t.Errorf("the authorization request's acr_values: %q, want %q", got, authOnly)
		}
		back := b.get(start.loc.String())
		if back.status != http.StatusFound || back.loc == nil || back.loc.Path != "/v1/registrar/callback" || back.loc.Query().Get("error") != "invalid_request" {
			t.Fatalf("the provider's refusal: %d to %v, want a redirect to ferry's callback with an error", back.status, back.loc)
		}
		b.get(back.loc.String()).refused(t, "the provider refused the sign-in: invalid_request")
	})
}

// The provider rotates its signing key: a token signed by the new key is
// accepted at once, go-oidc fetching the JWKS again for the key id it has
// not seen. A key the provider then withdraws is trusted no longer once
// ferry's copy of the keys is older than KeysTTL: a token it signed is
// refused, as is one signed by a key the provider never published.
func TestKeyRotation(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, db *store.DB) {
		p := startProvider(t)
		f := startFerry(t, db, p, Config{}, opClient{claimsInIDToken: true})
		b := newBrowser(t, f.url)
		first, second, third := p.keys[0], p.keys[1], p.keys[2]
		accepted := func(what string) {
			t.Helper()
			idToken, _ := p.tokens("ferry", "ferry-client-secret", manager.subject, "")
			if pg := f.postToken(b, map[string]string{"idToken": idToken}); pg.status != http.StatusOK {
				t.Fatalf("%s: %d %s", what, pg.status, pg.body)
			}
		}
		refused := func(why string) {
			t.Helper()
			idToken, _ := p.tokens("ferry", "ferry-client-secret", manager.subject, "")
			f.postToken(b, map[string]string{"idToken": idToken}).refused(t, why)
		}
		fetches := func(want int) {
			t.Helper()
			if got := p.keyFetches(); got != want {
				t.Errorf("ferry fetched the provider's keys %d times, want %d", got, want)
			}
		}

		accepted("a token signed by the first key")
		fetches(1)
		p.store.useKeys(second, first, second)
		accepted("a token signed by the new key")
		fetches(2)
		p.store.useKeys(first, first, second)
		accepted("a token signed by the old key while the provider still publishes it")
		fetches(2)

		// The first key is withdrawn (leaked, say): a token it signs is
		// refused once ferry's keys are older than KeysTTL and fetched again.
		p.store.useKeys(first, second)
		f.clock.advance(10*time.Minute + time.Second)
		refused("its signature does not match the provider's keys")
		fetches(3)
		// A key the provider never published.
		p.store.useKeys(third, second)
		refused("its signature does not match the provider's keys")
		fetches(4)
		p.store.useKeys(second, second)
		accepted("a token signed by the key the provider publishes")
		fetches(4)
	})
}

func eq[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s: got %v, want %v", what, got, want)
	}
}
