package signin

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"

	"github.com/ferrymigrate/ferry/internal/engine"
	"github.com/ferrymigrate/ferry/internal/httpapi"
	"github.com/ferrymigrate/ferry/internal/httpapi/openapitest"
	"github.com/ferrymigrate/ferry/internal/registrar"
	"github.com/ferrymigrate/ferry/internal/store"
	"github.com/ferrymigrate/ferry/internal/store/storetest"
	"github.com/ferrymigrate/ferry/internal/tenant"
)

func engines(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	storetest.Engines(t, fn, engine.Migrations, registrar.Migrations)
}

// The people of the tests: each has an account at every test provider,
// and the registry's export names manager and other (seedInvitations).
var (
	manager  = opUser{subject: "3c9e0d5a-manager", email: "manager@example.gov", verified: true}
	other    = opUser{subject: "71b2f6e4-other", email: "other@example.gov", verified: true}
	newcomer = opUser{subject: "a04d88c1-newcomer", email: "newcomer@example.com", verified: false}
)

// ferryServer is a ferry serve with the sign-in mounted, on a loopback
// port, over a registrar database.
type ferryServer struct {
	t    *testing.T
	url  string
	db   *store.DB
	logs *syncBuffer
	// clock is the sign-in's clock for the age of the provider's keys.
	clock *testClock
}

// startFerry starts ferry as cfg says, signing in at p, where it registers
// client as ferry's application (its id, redirect URI and, when it has no
// other, its secret are filled in), over db with the registry's
// invitations loaded.
func startFerry(t *testing.T, db *store.DB, p *testProvider, cfg Config, client opClient) *ferryServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	cfg.Issuer = p.url
	if cfg.ClientID == "" {
		cfg.ClientID = "ferry"
	}
	if cfg.ClientSecret == "" && len(cfg.PrivateKeyPEM) == 0 {
		cfg.ClientSecret = "ferry-client-secret"
	}
	cfg.RedirectURL, cfg.InsecureCookie = base+"/v1/registrar/callback", true
	client.id, client.redirectURIs = cfg.ClientID, []string{cfg.RedirectURL}
	if client.authMethod == "" {
		client.authMethod, client.secret = oidc.AuthMethodBasic, cfg.ClientSecret
	}
	p.store.addClient(client)

	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	eng := engine.New(db, engine.WithLogger(log))
	reg := registrar.New(eng)
	svc, err := New(t.Context(), cfg, Deps{Login: reg.Login, Domains: reg.ManagedDomains, DB: db, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	clock := &testClock{}
	svc.now = clock.now
	srv, err := httpapi.New(httpapi.Config{DB: db, Engine: eng, Tenant: tenant.New(eng), Log: log, Workers: -1, Mount: svc.Mount})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln, 5*time.Second) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
		_ = eng.Close()
	})
	seedInvitations(t, reg)
	return &ferryServer{t: t, url: base, db: db, logs: logs, clock: clock}
}

// testClock is the time plus however far a test moved it on.
type testClock struct{ ahead atomic.Int64 }

func (c *testClock) now() time.Time          { return time.Now().Add(time.Duration(c.ahead.Load())) }
func (c *testClock) advance(d time.Duration) { c.ahead.Add(int64(d)) }

// newBrowser is a browser whose requests to ferry (the origin ferryURL;
// none when empty) and their answers are checked against the OpenAPI
// document.
func newBrowser(t *testing.T, ferryURL string) *browser {
	jar, _ := cookiejar.New(nil)
	checked := openapitest.Transport(t, http.DefaultTransport)
	tr := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if ferryURL != "" && strings.HasPrefix(r.URL.String(), ferryURL+"/") {
			return checked.RoundTrip(r)
		}
		return http.DefaultTransport.RoundTrip(r)
	})
	return &browser{t: t, client: &http.Client{Jar: jar, Transport: tr, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// browser is a person's browser: a cookie jar, and redirects returned to
// the test rather than followed, so that it sees and checks each hop. The
// answers of the ferry it is given are checked against the OpenAPI
// document.
type browser struct {
	t      *testing.T
	client *http.Client
}

// page is one answer.
type page struct {
	status int
	header http.Header
	body   []byte
	// loc is a redirect's target, resolved.
	loc *url.URL
}

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	var body bytes.Buffer
	_, _ = body.ReadFrom(resp.Body)
	pg := page{status: resp.StatusCode, header: resp.Header, body: body.Bytes()}
	if loc, err := resp.Location(); err == nil {
		pg.loc = loc
	}
	return pg
}

func (b *browser) get(u string) page {
	b.t.Helper()
	req, err := http.NewRequest("GET", u, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.do(req)
}

func (b *browser) post(u string, form url.Values) page {
	b.t.Helper()
	req, err := http.NewRequest("POST", u, strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// signIn is a person's whole sign-in in their browser: ferry's sign-in
// route, the provider, and back to ferry's callback, whose answer it
// returns.
func (f *ferryServer) signIn(b *browser, p *testProvider, subject string) page {
	f.t.Helper()
	start := b.get(f.url + "/v1/registrar/sign-in")
	if start.status != http.StatusFound || start.loc == nil {
		f.t.Fatalf("GET /v1/registrar/sign-in: %d %s, want a redirect to the provider", start.status, start.body)
	}
	return b.get(p.logIn(b, start.loc.String(), subject).String())
}

// postToken is POST /v1/registrar/sign-in with the request's fields.
func (f *ferryServer) postToken(b *browser, request map[string]string) page {
	f.t.Helper()
	raw, _ := json.Marshal(map[string]any{"request": request})
	req, err := http.NewRequest("POST", f.url+"/v1/registrar/sign-in", bytes.NewReader(raw))
	if err != nil {
		f.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	return b.do(req)
}

// domains is GET /v1/registrar/me/domains, with the browser's cookie or,
// when session is not empty, the header an API client sends.
func (f *ferryServer) domains(b *browser, session string) page {
	f.t.Helper()
	req, err := http.NewRequest("GET", f.url+"/v1/registrar/me/domains", nil)
	if err != nil {
		f.t.Fatal(err)
	}
	if session != "" {
		req.Header.Set("Authorization", "Session "+session)
	}
	return b.do(req)
}

// envelope is the part of ferry's answer the tests look at.
type envelope struct {
	ResponseCode string `json:"responseCode"`
	Params       struct {
		Err    *string `json:"err"`
		ErrMsg *string `json:"errmsg"`
	} `json:"params"`
	Result struct {
		SignIn  *registrar.LoginResult    `json:"signIn"`
		Session string                    `json:"session"`
		Count   int                       `json:"count"`
		Domains []registrar.ManagedDomain `json:"domains"`
	} `json:"result"`
}

func (pg page) envelope(t *testing.T) envelope {
	t.Helper()
	var e envelope
	if err := json.Unmarshal(pg.body, &e); err != nil {
		t.Fatalf("%d, not an envelope: %s", pg.status, pg.body)
	}
	return e
}

// refused checks that pg is ferry's 401 whose message says why.
func (pg page) refused(t *testing.T, why string) {
	t.Helper()
	e := pg.envelope(t)
	msg := ""
	if e.Params.ErrMsg != nil {
		msg = *e.Params.ErrMsg
	}
	if pg.status != http.StatusUnauthorized || e.Params.Err == nil || *e.Params.Err != "FRY_REGSIN0401" || !strings.Contains(msg, why) {
		t.Errorf("got %d %v %q, want 401 FRY_REGSIN0401 saying %q", pg.status, e.Params.Err, msg, why)
	}
	if c := pg.cookie(); c != "" {
		t.Errorf("a refused sign-in set the session cookie")
	}
}

// cookie is the session cookie pg sets, if any.
func (pg page) cookie() string {
	for _, c := range (&http.Response{Header: pg.header}).Cookies() {
		if c.Name == CookieName {
			return c.Value
		}
	}
	return ""
}

// seedInvitations loads and transfers a registry export in which manager
// is a contact of two domains and other of a third: their invitations wait
// in domain_invitation until they first sign in.
func seedInvitations(t *testing.T, reg *registrar.Service) {
	t.Helper()
	dir := t.TempDir()
	contact := func(id, email string) string {
		// The contacts file's layout: 14 fields and a trailing separator,
		// the e-mail seventh.
		return id + "|" + id + "_ROID|555-0100||555-0199||" + email + "|REG|EXAMPLE|batch|2021-01-01T00:00:00Z|EXAMPLE|batch|2021-01-02T00:00:00Z|\n"
	}
	files := registrar.Files{}
	for key, body := range map[string]string{
		registrar.KeyDomainContacts: "harbor-example.gov|MGR|admin\nlanding-example.gov|MGR|tech\nelsewhere-example.gov|OTH|admin\n",
		registrar.KeyContacts:       contact("MGR", manager.email) + contact("OTH", other.email),
		registrar.KeyStatuses:       "harbor-example.gov|ok|\nlanding-example.gov|clientHold|\nelsewhere-example.gov|ok|\n",
	} {
		path := filepath.Join(dir, key+".txt")
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		files[key] = path
	}
	if _, err := reg.LoadTransitionDomains(t.Context(), registrar.LoadOptions{Files: files, MaxRejects: -1}); err != nil {
		t.Fatalf("load: %v", err)
	}
	if _, err := reg.Transfer(t.Context(), registrar.TransferOptions{}); err != nil {
		t.Fatalf("transfer: %v", err)
	}
}

// rows is a query's rows, each as its columns joined by " ".
func rows(t *testing.T, db *store.DB, query string, args ...any) []string {
	t.Helper()
	rs, err := db.Query(t.Context(), query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	cols, _ := rs.Columns()
	out := []string{}
	for rs.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rs.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		parts := make([]string, len(vals))
		for i, v := range vals {
			if b, ok := v.([]byte); ok {
				v = string(b)
			}
			parts[i] = fmt.Sprint(v)
		}
		out = append(out, strings.Join(parts, " "))
	}
	if err := rs.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// invitations are the invitations sent to email, "domain status".
func invitations(t *testing.T, db *store.DB, email string) []string {
	return rows(t, db, `SELECT d.name, i.status FROM domain_invitation i JOIN domain d ON d.id = i.domain_id WHERE i.email = ? ORDER BY d.name`, email)
}

// roles are the roles of the user with subject, "domain role".
func roles(t *testing.T, db *store.DB, subject string) []string {
	return rows(t, db, `SELECT d.name, r.role FROM user_domain_role r JOIN registrar_user u ON u.id = r.user_id
		JOIN domain d ON d.id = r.domain_id WHERE u.subject = ? ORDER BY d.name`, subject)
}

func count(t *testing.T, db *store.DB, table string) string {
	return rows(t, db, `SELECT count(*) FROM `+table)[0]
}

// people is how many users signed in: the registry's load makes one more
// (System, which owns migrated records), without a subject.
func people(t *testing.T, db *store.DB) string {
	return rows(t, db, `SELECT count(*) FROM registrar_user WHERE subject IS NOT NULL`)[0]
}

// syncBuffer is the server's log, written from its goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// noSecretsLogged checks that the log holds none of secrets: not even in
// part (a token's payload or signature alone), nor any e-mail address.
func noSecretsLogged(t *testing.T, log string, secrets ...string) {
	t.Helper()
	if !strings.Contains(log, "registrar sign-in") {
		t.Fatalf("the log has no sign-in line; was it captured? %s", log)
	}
	for _, s := range secrets {
		for _, part := range strings.Split(s, ".") {
			if len(part) >= 8 && strings.Contains(log, part) {
				t.Errorf("the log holds a secret the provider handed out (%.12s...)", part)
			}
		}
	}
	if strings.Contains(log, "@") {
		t.Errorf("the log holds an e-mail address:\n%s", log)
	}
}
