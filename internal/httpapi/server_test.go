package httpapi_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ferrymigrate/ferry/internal/auth"
	"github.com/ferrymigrate/ferry/internal/engine"
	"github.com/ferrymigrate/ferry/internal/httpapi"
	"github.com/ferrymigrate/ferry/internal/httpapi/openapitest"
	"github.com/ferrymigrate/ferry/internal/registrar"
	"github.com/ferrymigrate/ferry/internal/store"
	"github.com/ferrymigrate/ferry/internal/store/storetest"
	"github.com/ferrymigrate/ferry/internal/tenant"
)

// The bundled example: tenant 0111 merges into 0222.
const (
	exampleDir = "../../examples/tenant"
	source     = "0111"
	target     = "0222"
)

func engines(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	storetest.Engines(t, fn, engine.Migrations, registrar.Migrations, tenant.Migrations, auth.Migrations)
}

// server is a ferry serve on a loopback port, over db.
type server struct {
	t      *testing.T
	url    string
	srv    *httpapi.Server
	eng    *engine.Engine
	tenant *tenant.Service
	stop   func()
	client *http.Client
}

func startServer(t *testing.T, db *store.DB, cfg httpapi.Config) *server {
	t.Helper()
	eng := engine.New(db)
	svc := tenant.New(eng)
	cfg.DB, cfg.Engine, cfg.Tenant = db, eng, svc
	if cfg.Poll == 0 {
		cfg.Poll = 20 * time.Millisecond
	}
	srv, err := httpapi.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln, 5*time.Second) }()
	s := &server{t: t, url: "http://" + ln.Addr().String(), srv: srv, eng: eng, tenant: svc,
		client: &http.Client{Timeout: 20 * time.Second, Transport: openapitest.Transport(t, http.DefaultTransport)}}
	stopped := false
	s.stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
		eng.Close()
	}
	t.Cleanup(s.stop)
	return s
}

// importExample loads the bundled two-tenant export.
func importExample(t *testing.T, db *store.DB) {
	t.Helper()
	eng := engine.New(db)
	defer eng.Close()
	if _, err := tenant.New(eng).Import(context.Background(), tenant.ImportOptions{Dir: exampleDir, MaxRejects: -1}); err != nil {
		t.Fatalf("import: %v", err)
	}
}

func token(t *testing.T, db *store.DB, role auth.Role) string {
	t.Helper()
	secret, _, err := auth.Create(context.Background(), db, role, string(role)+" for a test")
	if err != nil {
		t.Fatal(err)
	}
	return secret
}

// reply is a decoded envelope.
type reply struct {
	Status       int
	ID           string `json:"id"`
	ResponseCode string `json:"responseCode"`
	Params       struct {
		MsgID  string  `json:"msgid"`
		Err    *string `json:"err"`
		Status string  `json:"status"`
		ErrMsg *string `json:"errmsg"`
	} `json:"params"`
	Result json.RawMessage `json:"result"`
	Header http.Header
}

func (s *server) call(method, path, tok string, body any) reply {
	s.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, _ := json.Marshal(b)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, s.url+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := reply{Status: resp.StatusCode, Header: resp.Header}
	if err := json.Unmarshal(raw, &r); err != nil {
		s.t.Fatalf("%s %s: %d, not an envelope: %s", method, path, resp.StatusCode, raw)
	}
	r.Status = resp.StatusCode
	return r
}

func (r reply) errCode() string {
	if r.Params.Err == nil {
		return ""
	}
	return *r.Params.Err
}

func (r reply) errMsg() string {
	if r.Params.ErrMsg == nil {
		return ""
	}
	return *r.Params.ErrMsg
}

func (s *server) waitJob(tok string, id int64, want string) httpapi.JobView {
	s.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		r := s.call("GET", fmt.Sprintf("/v1/jobs/%d", id), tok, nil)
		var j httpapi.JobView
		if err := json.Unmarshal(r.Result, &j); err != nil {
			s.t.Fatal(err)
		}
		if j.Status == want {
			return j
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("job %d is %s after 30 s (errors %v), want %s", id, j.Status, j.Errors, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func accepted(t *testing.T, r reply) httpapi.MigrateAccepted {
	t.Helper()
	if r.Status != http.StatusAccepted {
		t.Fatalf("migrate: %d %s %s, want 202", r.Status, r.errCode(), r.errMsg())
	}
	var a httpapi.MigrateAccepted
	if err := json.Unmarshal(r.Result, &a); err != nil {
		t.Fatal(err)
	}
	return a
}

// A merge through the API, from the request to a verified database: a dry
// run changes nothing, the real one is queued, runs on the worker, and
// leaves nothing of the source; its events end with the job.
func TestMigrateThroughTheAPI(t *testing.T) {
	engines(t, func(t *testing.T, db *store.DB) {
		importExample(t, db)
		s := startServer(t, db, httpapi.Config{})
		admin := token(t, db, auth.Admin)

		dry := s.call("POST", "/v1/tenant/migrate", admin, map[string]any{
			"request": map[string]any{"sourceRootOrgId": source, "targeRootOrgId": target, "dryRun": true, "onConflict": "skip"}})
		if dry.Status != http.StatusOK || dry.ID != "api.tenant.migrate" || dry.ResponseCode != "OK" || dry.Params.Status != "successful" {
			t.Fatalf("dry run: %d %s %s", dry.Status, dry.ResponseCode, dry.errMsg())
		}
		var plan struct {
			DryRun bool        `json:"dryRun"`
			Plan   tenant.Plan `json:"plan"`
		}
		if err := json.Unmarshal(dry.Result, &plan); err != nil || !plan.DryRun || !plan.Plan.Valid || plan.Plan.Changes["user"] == 0 {
			t.Fatalf("dry run's plan: %+v (%v)", plan, err)
		}
		jobs, err := engine.List(context.Background(), db, engine.Filter{Kind: "tenant.migrate"})
		if err != nil || len(jobs) != 0 {
			t.Fatalf("a dry run recorded %d merge jobs (%v), want none", len(jobs), err)
		}

		a := accepted(t, s.call("POST", "/v1/tenant/migrate", admin, map[string]any{
			"sourceRootOrgId": source, "targetRootOrgId": target, "onConflict": "skip"}))
		if a.Status != "queued" || a.Plan == nil || !equalCounts(a.Plan.Changes, plan.Plan.Changes) {
			t.Fatalf("accepted: %+v, want queued with the dry run's changes %v", a, plan.Plan.Changes)
		}
		events := s.events(admin, a.Job)
		j := s.waitJob(admin, a.Job, "succeeded")
		var counts tenant.MigrateResult
		if err := json.Unmarshal(j.Counts, &counts); err != nil || !equalCounts(counts.Changes, plan.Plan.Changes) {
			t.Fatalf("the job's changes %v (%v), want the plan's %v", counts.Changes, err, plan.Plan.Changes)
		}
		if j.Progress.Steps == 0 || j.FinishedAt == nil {
			t.Errorf("finished job without progress or end: %+v", j)
		}
		v, err := s.tenant.Verify(context.Background(), source, target)
		if err != nil || !v.OK || v.Remaining != 0 {
			t.Fatalf("verify after the API's merge: %+v, %v", v, err)
		}
		ev := <-events
		if len(ev) < 2 || ev[len(ev)-1] != "end" {
			t.Errorf("event stream: %v, want progress events then end", ev)
		}
		list := s.call("GET", "/v1/jobs?kind=tenant.migrate", token(t, db, auth.Viewer), nil)
		var listed struct {
			Count int               `json:"count"`
			Jobs  []httpapi.JobView `json:"jobs"`
		}
		if err := json.Unmarshal(list.Result, &listed); err != nil || listed.Count != 1 || listed.Jobs[0].ID != a.Job {
			t.Fatalf("job list: %s (%v)", list.Result, err)
		}

		// The rollback restores the source, through the API too.
		rb := s.call("POST", fmt.Sprintf("/v1/jobs/%d/rollback", a.Job), admin, nil)
		if rb.Status != http.StatusAccepted {
			t.Fatalf("rollback: %d %s", rb.Status, rb.errMsg())
		}
		var rbr struct {
			Job int64 `json:"job"`
		}
		_ = json.Unmarshal(rb.Result, &rbr)
		s.waitJob(admin, rbr.Job, "succeeded")
		v, err = s.tenant.Verify(context.Background(), source, target)
		if err != nil || v.Remaining == 0 {
			t.Fatalf("verify after the rollback: %+v, %v: the source should have its rows back", v, err)
		}
		again := s.call("POST", fmt.Sprintf("/v1/jobs/%d/rollback", a.Job), admin, nil)
		if again.Status != http.StatusConflict {
			t.Errorf("a second rollback: %d, want 409", again.Status)
		}
	})
}

func equalCounts(a, b map[string]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// events follows a job's event stream and sends the names of the events
// it got once the stream ends.
func (s *server) events(tok string, id int64) <-chan []string {
	out := make(chan []string, 1)
	req, _ := http.NewRequest("GET", fmt.Sprintf("%s/v1/jobs/%d/events", s.url, id), nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	go func() {
		var names []string
		defer func() { out <- names }()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return
		}
		defer resp.Body.Close()
		if resp.Header.Get("Content-Type") != "text/event-stream" {
			return
		}
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			if name, ok := strings.CutPrefix(sc.Text(), "event: "); ok {
				names = append(names, name)
			}
		}
	}()
	return out
}

// Who may call what: 401 without a valid token, 403 with the wrong role.
func TestTokensAndRoles(t *testing.T) {
	engines(t, func(t *testing.T, db *store.DB) {
		importExample(t, db)
		const tokenTTL = 300 * time.Millisecond
		s := startServer(t, db, httpapi.Config{Workers: -1, TokenCacheTTL: tokenTTL})
		viewer := token(t, db, auth.Viewer)
		body := map[string]any{"sourceRootOrgId": source, "targetRootOrgId": target, "dryRun": true}
		tests := []struct {
			name, method, path, tok string
			body                    any
			status                  int
			err                     string
		}{
			{"no token", "GET", "/v1/jobs", "", nil, 401, "FRY_JOBLST0401"},
			{"an unknown token", "GET", "/v1/jobs", "ferry_nosuchtoken", nil, 401, "FRY_JOBLST0401"},
			{"a viewer reads jobs", "GET", "/v1/jobs", viewer, nil, 200, ""},
			{"a viewer may not migrate", "POST", "/v1/tenant/migrate", viewer, body, 403, "FRY_TNTMIG0403"},
			{"a viewer may not cancel", "POST", "/v1/jobs/1/cancel", viewer, nil, 403, "FRY_JOBCNL0403"},
			{"a viewer may not roll back", "POST", "/v1/jobs/1/rollback", viewer, nil, 403, "FRY_JOBRBK0403"},
			{"health needs no token", "GET", "/healthz", "", nil, 200, ""},
			{"readiness needs no token", "GET", "/readyz", "", nil, 200, ""},
		}
		for _, tt := range tests {
			r := s.call(tt.method, tt.path, tt.tok, tt.body)
			if r.Status != tt.status || r.errCode() != tt.err {
				t.Errorf("%s: %d %q (%s), want %d %q", tt.name, r.Status, r.errCode(), r.errMsg(), tt.status, tt.err)
			}
			if tt.status == 401 && !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("%s: no WWW-Authenticate: Bearer challenge", tt.name)
			}
		}
		id, err := auth.List(context.Background(), db)
		if err != nil {
			t.Fatal(err)
		}
		// Revoked as ferry token revoke does, from another process: the
		// server trusts what it verified for TokenCacheTTL, no longer.
		revoked := time.Now()
		if _, err := auth.Revoke(context.Background(), db, id[0].ID); err != nil {
			t.Fatal(err)
		}
		for s.call("GET", "/v1/jobs", viewer, nil).Status != 401 {
			if time.Since(revoked) > tokenTTL+2*time.Second {
				t.Fatalf("a revoked token still works %s after its revocation (the cache keeps tokens %s)", time.Since(revoked), tokenTTL)
			}
			time.Sleep(10 * time.Millisecond)
		}
		// A token made after the server started works at once: failed
		// checks are not kept.
		if r := s.call("GET", "/v1/jobs", token(t, db, auth.Viewer), nil); r.Status != 200 {
			t.Errorf("a new token: %d, want 200", r.Status)
		}
	})
}

// The status requests are answered from memory for JobCacheTTL; a job
// another server on the same database queued or cancelled shows within
// it, this server's own changes at once, and cancel acts on the database's
// record, never on the cached one.
func TestCachedJobs(t *testing.T) {
	engines(t, func(t *testing.T, db *store.DB) {
		importExample(t, db)
		a := startServer(t, db, httpapi.Config{Workers: -1, JobCacheTTL: time.Hour})
		b := startServer(t, db, httpapi.Config{Workers: -1})
		admin := token(t, db, auth.Admin)
		var jobs func(s *server) []httpapi.JobView
		// has finds a job in a server's list, with its status.
		has := func(s *server, id int64) (string, bool) {
			t.Helper()
			for _, j := range jobs(s) {
				if j.ID == id {
					return j.Status, true
				}
			}
			return "", false
		}
		jobs = func(s *server) []httpapi.JobView {
			t.Helper()
			var l struct {
				Jobs []httpapi.JobView `json:"jobs"`
			}
			r := s.call("GET", "/v1/jobs", admin, nil)
			if r.Status != 200 || json.Unmarshal(r.Result, &l) != nil {
				t.Fatalf("GET /v1/jobs: %d %s", r.Status, r.Result)
			}
			return l.Jobs
		}
		job := func(s *server, id int64) httpapi.JobView {
			t.Helper()
			var j httpapi.JobView
			r := s.call("GET", fmt.Sprintf("/v1/jobs/%d", id), admin, nil)
			if r.Status != 200 || json.Unmarshal(r.Result, &j) != nil {
				t.Fatalf("GET /v1/jobs/%d: %d %s", id, r.Status, r.Result)
			}
			return j
		}
		before := len(jobs(a)) // the import's
		merge := map[string]any{"sourceRootOrgId": source, "targetRootOrgId": target, "onConflict": "skip"}
		queued := accepted(t, b.call("POST", "/v1/tenant/migrate", admin, merge))
		// A job never asked for before is read from the database.
		if j := job(a, queued.Job); j.Status != "queued" {
			t.Fatalf("the other server's job: %s, want queued", j.Status)
		}
		// The list a keeps for an hour does not show it yet: the cache is
		// in use.
		if _, ok := has(a, queued.Job); ok || len(jobs(a)) != before {
			t.Errorf("a's cached list shows job %d, queued after a read it an hour's ttl ago", queued.Job)
		}
		// Cancelled on b: a still shows the job queued, as it read it, but
		// its own cancel reads the database and finds it cancelled.
		if c := b.call("POST", fmt.Sprintf("/v1/jobs/%d/cancel", queued.Job), admin, nil); c.Status != 200 {
			t.Fatalf("cancel on b: %d %s", c.Status, c.errMsg())
		}
		if j := job(a, queued.Job); j.Status != "queued" {
			t.Errorf("a's cached job: %s, want the queued it read", j.Status)
		}
		if c := a.call("POST", fmt.Sprintf("/v1/jobs/%d/cancel", queued.Job), admin, nil); c.Status != http.StatusConflict || !strings.Contains(c.errMsg(), "cancelled") {
			t.Errorf("cancel on a of a job b cancelled: %d %q, want 409 saying it was cancelled", c.Status, c.errMsg())
		}
		// After a's own change, a's answers are fresh.
		if j := job(a, queued.Job); j.Status != "cancelled" {
			t.Errorf("a's job after its cancel: %s, want cancelled", j.Status)
		}
		if st, ok := has(a, queued.Job); !ok || st != "cancelled" {
			t.Errorf("a's list after its cancel: job %d %q (listed %t), want it cancelled", queued.Job, st, ok)
		}

		// With the default ttl, a job b queues shows in c's list within it.
		c := startServer(t, db, httpapi.Config{Workers: -1})
		if _, ok := has(c, queued.Job); !ok {
			t.Fatalf("c's list lacks job %d", queued.Job)
		}
		second := accepted(t, b.call("POST", "/v1/tenant/migrate", admin, merge))
		created := time.Now()
		for {
			if st, ok := has(c, second.Job); ok && st == "queued" {
				break
			}
			if time.Since(created) > httpapi.DefaultJobCacheTTL+2*time.Second {
				t.Fatalf("job %d, queued by another server, is not in the list %s later (ttl %s)", second.Job, time.Since(created), httpapi.DefaultJobCacheTTL)
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}

// A change this server makes is in its cached answers before it is
// answered: the job it queued or cancelled, read again then, and every
// list it keeps, so that its client's next read shows the change without
// any request waiting for the database. Another server's later change
// shows only within the ttl, proof that the answer is the one kept.
func TestCachedJobsOwnChanges(t *testing.T) {
	engines(t, func(t *testing.T, db *store.DB) {
		importExample(t, db)
		a := startServer(t, db, httpapi.Config{Workers: -1, JobCacheTTL: time.Hour})
		b := startServer(t, db, httpapi.Config{Workers: -1})
		admin := token(t, db, auth.Admin)
		list := func(path string) map[int64]string {
			t.Helper()
			var l struct {
				Jobs []httpapi.JobView `json:"jobs"`
			}
			r := a.call("GET", path, admin, nil)
			if r.Status != 200 || json.Unmarshal(r.Result, &l) != nil {
				t.Fatalf("GET %s: %d %s", path, r.Status, r.Result)
			}
			m := map[int64]string{}
			for _, j := range l.Jobs {
				m[j.ID] = j.Status
			}
			return m
		}
		job := func(id int64) string {
			t.Helper()
			var j httpapi.JobView
			r := a.call("GET", fmt.Sprintf("/v1/jobs/%d", id), admin, nil)
			if r.Status != 200 || json.Unmarshal(r.Result, &j) != nil {
				t.Fatalf("GET /v1/jobs/%d: %d %s", id, r.Status, r.Result)
			}
			return j.Status
		}
		lists := []string{"/v1/jobs", "/v1/jobs?limit=20", "/v1/jobs?kind=tenant"}
		for _, l := range lists {
			list(l) // kept for an hour
		}
		merge := map[string]any{"sourceRootOrgId": source, "targetRootOrgId": target, "onConflict": "skip"}
		for _, cancelOn := range []*server{b, a} {
			queued := accepted(t, a.call("POST", "/v1/tenant/migrate", admin, merge))
			for _, l := range lists {
				if st := list(l)[queued.Job]; st != "queued" {
					t.Errorf("%s right after a queued job %d: %q, want it queued", l, queued.Job, st)
				}
			}
			if c := cancelOn.call("POST", fmt.Sprintf("/v1/jobs/%d/cancel", queued.Job), admin, nil); c.Status != 200 {
				t.Fatalf("cancel: %d %s", c.Status, c.errMsg())
			}
			want := "cancelled"
			if cancelOn == b {
				// a read the job when it queued it and keeps it an hour.
				want = "queued"
			}
			if st := job(queued.Job); st != want {
				t.Errorf("a's job %d after its cancel on %s: %s, want %s", queued.Job, map[*server]string{a: "a", b: "b"}[cancelOn], st, want)
			}
			for _, l := range lists {
				if st := list(l)[queued.Job]; st != want {
					t.Errorf("%s after the cancel: job %d %q, want %s", l, queued.Job, st, want)
				}
			}
			if cancelOn == b {
				// a's own cancel fails (b's came first), and a forgets.
				if c := a.call("POST", fmt.Sprintf("/v1/jobs/%d/cancel", queued.Job), admin, nil); c.Status != http.StatusConflict {
					t.Fatalf("cancel on a after b: %d %s, want 409", c.Status, c.errMsg())
				}
				if st := job(queued.Job); st != "cancelled" {
					t.Errorf("a's job after its failed cancel: %s, want cancelled", st)
				}
			}
			// The event stream reads the same answers: it ends at once.
			select {
			case ev := <-a.events(admin, queued.Job):
				if len(ev) == 0 || ev[len(ev)-1] != "end" {
					t.Errorf("events of the cancelled job: %v, want them to end", ev)
				}
			case <-time.After(10 * time.Second):
				t.Error("the event stream of a cancelled job did not end")
			}
		}
	})
}

// Every malformed or refused request is a 400 that says what is wrong;
// a refused plan lists every reason at once.
func TestBadRequests(t *testing.T) {
	engines(t, func(t *testing.T, db *store.DB) {
		importExample(t, db)
		s := startServer(t, db, httpapi.Config{Workers: -1, MaxBody: 512})
		admin := token(t, db, auth.Admin)
		tests := []struct {
			name string
			body string
			msg  string
		}{
			{"malformed JSON", `{"sourceRootOrgId": `, "not a JSON object"},
			{"not an object", `["0111"]`, "not a JSON object"},
			{"an unknown field", `{"sourceRootOrgId": "0111", "targetRootOrgId": "0222", "sourceRootOrgID": "x"}`, `unknown field "sourceRootOrgID"`},
			{"an unknown field in the wrapper", `{"request": {"sourceRootOrgId": "0111"}, "extra": 1}`, `unknown field "extra"`},
			{"the two spellings disagree", `{"sourceRootOrgId": "0111", "targetRootOrgId": "0222", "targeRootOrgId": "0333"}`, "differ"},
			{"a body over the limit", `{"sourceRootOrgId": "` + strings.Repeat("x", 600) + `"}`, "over 512 bytes"},
			{"an empty body", ``, "empty"},
			{"trailing data", `{"sourceRootOrgId": "0111"} {}`, "after its JSON object"},
		}
		for _, tt := range tests {
			r := s.call("POST", "/v1/tenant/migrate", admin, tt.body)
			if r.Status != 400 || r.ResponseCode != "CLIENT_ERROR" || r.Params.Status != "failed" || !strings.Contains(r.errMsg(), tt.msg) {
				t.Errorf("%s: %d %s %q, want 400 CLIENT_ERROR saying %q", tt.name, r.Status, r.ResponseCode, r.errMsg(), tt.msg)
			}
		}
		r := s.call("POST", "/v1/tenant/migrate", admin, map[string]any{"sourceRootOrgId": source, "targetRootOrgId": source,
			"entities": []string{"user", "courses"}})
		var refused struct {
			Plan tenant.Plan `json:"plan"`
		}
		if err := json.Unmarshal(r.Result, &refused); err != nil {
			t.Fatal(err)
		}
		var codes []string
		for _, e := range refused.Plan.Errors {
			codes = append(codes, e.Code)
		}
		if r.Status != 400 || r.errCode() != "FRY_TNTMIG0019" || len(codes) < 2 {
			t.Fatalf("invalid request: %d %s, reasons %v; want 400 with every reason", r.Status, r.errCode(), codes)
		}
		want := map[string]bool{"SOURCE_EQUALS_TARGET": false, "UNKNOWN_ENTITY": false}
		for _, c := range codes {
			if _, ok := want[c]; ok {
				want[c] = true
			}
		}
		for c, seen := range want {
			if !seen {
				t.Errorf("reason %s missing from %v", c, codes)
			}
		}
		if r := s.call("GET", "/v1/jobs/abc", admin, nil); r.Status != 400 {
			t.Errorf("a job id that is not a number: %d, want 400", r.Status)
		}
		if r := s.call("GET", "/v1/jobs/999999", admin, nil); r.Status != 404 || r.ResponseCode != "RESOURCE_NOT_FOUND" {
			t.Errorf("an unknown job: %d %s, want 404 RESOURCE_NOT_FOUND", r.Status, r.ResponseCode)
		}
		if r := s.call("GET", "/v1/nothing", admin, nil); r.Status != 404 {
			t.Errorf("an unknown endpoint: %d, want 404", r.Status)
		}
	})
}

// A second merge touching either tenant while one is queued or running is
// refused with 409; so is a merge with conflicts under the fail policy.
func TestConflicts(t *testing.T) {
	engines(t, func(t *testing.T, db *store.DB) {
		importExample(t, db)
		s := startServer(t, db, httpapi.Config{Workers: -1})
		admin := token(t, db, auth.Admin)
		r := s.call("POST", "/v1/tenant/migrate", admin, map[string]any{"sourceRootOrgId": source, "targetRootOrgId": target})
		if r.Status != http.StatusConflict || !strings.Contains(r.errMsg(), "conflict") {
			t.Fatalf("conflicts under fail: %d %s, want 409", r.Status, r.errMsg())
		}
		a := accepted(t, s.call("POST", "/v1/tenant/migrate", admin, map[string]any{"sourceRootOrgId": source, "targetRootOrgId": target, "onConflict": "skip"}))
		second := s.call("POST", "/v1/tenant/migrate", admin, map[string]any{"sourceRootOrgId": source, "targetRootOrgId": target, "onConflict": "skip", "entities": []string{"org"}})
		if second.Status != http.StatusConflict || second.ResponseCode != "CONFLICT" || !strings.Contains(second.errMsg(), fmt.Sprintf("job %d", a.Job)) {
			t.Fatalf("a second merge while one is queued: %d %s %q, want 409 naming job %d", second.Status, second.ResponseCode, second.errMsg(), a.Job)
		}
		// Cancelled while queued: it never runs, and the tenants are free.
		c := s.call("POST", fmt.Sprintf("/v1/jobs/%d/cancel", a.Job), admin, nil)
		var j httpapi.JobView
		_ = json.Unmarshal(c.Result, &j)
		if c.Status != 200 || j.Status != "cancelled" {
			t.Fatalf("cancel: %d %s", c.Status, j.Status)
		}
		if c := s.call("POST", fmt.Sprintf("/v1/jobs/%d/cancel", a.Job), admin, nil); c.Status != http.StatusConflict {
			t.Errorf("cancelling a cancelled job: %d, want 409", c.Status)
		}
		accepted(t, s.call("POST", "/v1/tenant/migrate", admin, map[string]any{"sourceRootOrgId": source, "targetRootOrgId": target, "onConflict": "skip"}))
	})
}

// A server stopped in the middle of a merge (SIGTERM) leaves the job
// interrupted at a checkpoint; the next server resumes it to the end, and
// two servers on one database run it once.
func TestRestartResumesTheJob(t *testing.T) {
	engines(t, func(t *testing.T, db *store.DB) {
		importExample(t, db)
		slow := httpapi.Config{Jobs: tenant.HandlerOptions{BatchRows: 1, Throttle: 30 * time.Millisecond}}
		first := startServer(t, db, slow)
		admin := token(t, db, auth.Admin)
		a := accepted(t, first.call("POST", "/v1/tenant/migrate", admin, map[string]any{"sourceRootOrgId": source, "targetRootOrgId": target, "onConflict": "skip"}))
		first.waitJob(admin, a.Job, "running")
		time.Sleep(200 * time.Millisecond)
		first.stop()
		j, err := engine.Get(context.Background(), db, a.Job)
		if err != nil || j.Status != engine.Interrupted {
			t.Fatalf("after the server stopped the job is %s (%v), want interrupted", j.Status, err)
		}
		second := startServer(t, db, httpapi.Config{})
		third := startServer(t, db, httpapi.Config{})
		done := second.waitJob(admin, a.Job, "succeeded")
		if done.Attempts != 2 {
			t.Errorf("the job ran %d times, want 2 (started, then resumed once)", done.Attempts)
		}
		v, err := third.tenant.Verify(context.Background(), source, target)
		if err != nil || !v.OK {
			t.Fatalf("verify after the resumed merge: %+v, %v", v, err)
		}
	})
}

// The metrics name requests by route and code, jobs by state, and the
// outbox's depth.
func TestMetrics(t *testing.T) {
	engines(t, func(t *testing.T, db *store.DB) {
		s := startServer(t, db, httpapi.Config{Workers: -1})
		s.call("GET", "/healthz", "", nil)
		resp, err := http.Get(s.url + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		for _, want := range []string{`ferry_http_requests_total{code="200",route="GET /healthz"} 1`, "ferry_outbox_depth 0", "ferry_http_request_duration_seconds_bucket"} {
			if !strings.Contains(string(raw), want) {
				t.Errorf("metrics lack %q", want)
			}
		}
	})
}
