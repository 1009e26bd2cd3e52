package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ferrymigrate/ferry/internal/search/searchtest"
	"github.com/ferrymigrate/ferry/internal/store/storetest"
)

// Two ferry serve processes on one database: the one that accepts a merge
// need not be the one that runs it, the job runs once, the server that
// syncs the search index brings it in step (from the request to a
// verified index, on Elasticsearch and on OpenSearch), and SIGTERM ends
// each server cleanly.
func TestTwoServersShareJobs(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "ferry")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("building ferry: %v\n%s", err, out)
	}
	for _, backend := range []string{"elasticsearch", "opensearch"} {
		t.Run(backend, func(t *testing.T) { twoServersShareJobs(t, bin, backend) })
	}
}

func twoServersShareJobs(t *testing.T, bin, backend string) {
	for engine, dbURL := range storetest.URLs(t) {
		t.Run(engine, func(t *testing.T) {
			ferry := func(args ...string) []byte {
				t.Helper()
				out, err := exec.Command(bin, append([]string{"--db", dbURL}, args...)...).Output()
				if err != nil {
					t.Fatalf("ferry %v: %v", args, err)
				}
				return out
			}
			ferry("tenant", "import", "../../examples/tenant")
			var tok struct{ Token string }
			if err := json.Unmarshal(ferry("--json", "token", "create", "--role", "admin"), &tok); err != nil {
				t.Fatal(err)
			}
			cluster := searchtest.Start(t)
			if backend == "opensearch" {
				cluster.OpenSearch()
			}
			search := []string{"--search-url", cluster.URL, "--search-backend", backend}
			// The index as the platform had it before the merge.
			ferry(append([]string{"search", "reindex", "--tenant", "0111"}, search...)...)
			ferry(append([]string{"search", "reindex", "--tenant", "0222"}, search...)...)
			front := startServe(t, bin, dbURL, "-1") // accepts, runs nothing
			back := startServe(t, bin, dbURL, "1", search...)

			body := `{"sourceRootOrgId": "0111", "targetRootOrgId": "0222", "onConflict": "skip"}`
			status, reply := request(t, "POST", front.url+"/v1/tenant/migrate", tok.Token, body)
			if status != http.StatusAccepted {
				t.Fatalf("migrate: %d %s", status, reply)
			}
			var acc struct {
				Result struct{ Job int64 } `json:"result"`
			}
			_ = json.Unmarshal(reply, &acc)
			deadline := time.Now().Add(30 * time.Second)
			var job struct {
				Result struct {
					Status   string
					Attempts int
				} `json:"result"`
			}
			for job.Result.Status != "succeeded" {
				if time.Now().After(deadline) {
					t.Fatalf("job %d is %q after 30 s", acc.Result.Job, job.Result.Status)
				}
				time.Sleep(50 * time.Millisecond)
				_, reply = request(t, "GET", fmt.Sprintf("%s/v1/jobs/%d", front.url, acc.Result.Job), tok.Token, "")
				_ = json.Unmarshal(reply, &job)
			}
			if job.Result.Attempts != 1 {
				t.Errorf("the job ran %d times, want once", job.Result.Attempts)
			}
			out := ferry("--json", "tenant", "verify", "--source", "0111", "--target", "0222")
			if !bytes.Contains(out, []byte(`"ok":true`)) {
				t.Errorf("verify after the merge: %s", out)
			}
			var index []byte
			for _, tenant := range []string{"0222", "0111"} {
				for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
					var err error
					index, err = exec.Command(bin, append([]string{"--db", dbURL, "--json", "search", "verify", "--tenant", tenant}, search...)...).Output()
					if err == nil {
						break
					}
					if time.Now().After(deadline) {
						t.Fatalf("the index of %s still differs 20 s after the merge: %s", tenant, index)
					}
				}
			}
			if !bytes.Contains(index, []byte(`"ok":true`)) {
				t.Errorf("search verify: %s", index)
			}
			if n, _ := cluster.Store.Count(t.Context(), "user", "rootOrgId", "0111"); n != 0 {
				t.Errorf("%d user documents still name the source", n)
			}
			// The server that drains the outbox exports the sync's metrics;
			// the other has none to export.
			_, metrics := request(t, "GET", back.url+"/metrics", "", "")
			for _, want := range []string{`ferry_search_documents_delivered_total{entity="user"} `, `ferry_search_outbox_pending{entity="user"} `,
				`ferry_search_outbox_oldest_pending_seconds{entity="user"} `, "ferry_search_unavailable_total "} {
				if !bytes.Contains(metrics, []byte("\n"+want)) {
					t.Errorf("the syncing server's /metrics lack %q", want)
				}
			}
			if _, metrics := request(t, "GET", front.url+"/metrics", "", ""); bytes.Contains(metrics, []byte("ferry_search_")) {
				t.Error("a server without --search-url exports search metrics")
			}
			front.stop(t)
			back.stop(t)
		})
	}
}

// tokenText is what an API token looks like.
var tokenText = regexp.MustCompile(`ferry_[A-Za-z0-9_-]{43}`)

type serveProc struct {
	cmd  *exec.Cmd
	url  string
	done chan error
	logs *bytes.Buffer
}

func startServe(t *testing.T, bin, dbURL, workers string, extra ...string) *serveProc {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"--db", dbURL, "--json", "serve", "--listen", "127.0.0.1:0", "--workers", workers, "--poll", "50ms"}, extra...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	logs := &bytes.Buffer{}
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &serveProc{cmd: cmd, done: make(chan error, 1), logs: logs}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	var listen struct{ Listen string }
	if err != nil || json.Unmarshal([]byte(line), &listen) != nil {
		cmd.Process.Kill()
		t.Fatalf("ferry serve printed %q (%v), want {\"listen\": ADDR}; stderr: %s", line, err, logs)
	}
	go func() { _, _ = io.Copy(io.Discard, stdout); p.done <- cmd.Wait() }()
	p.url = "http://" + listen.Listen
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
		}
	})
	return p
}

// stop sends SIGTERM and wants a clean exit within the grace.
func (p *serveProc) stop(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.done:
		if err != nil {
			t.Errorf("ferry serve ended with %v after SIGTERM, want 0; stderr: %s", err, p.logs)
		}
	case <-time.After(10 * time.Second):
		p.cmd.Process.Kill()
		t.Fatalf("ferry serve still ran 10 s after SIGTERM")
	}
	if strings.Contains(p.logs.String(), "Bearer") || tokenText.MatchString(p.logs.String()) {
		t.Errorf("the server's log holds a token: %s", p.logs)
	}
}

func request(t *testing.T, method, url, tok, body string) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, url, rd)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}
