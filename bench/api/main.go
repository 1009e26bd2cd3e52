// Command api load-tests ferry serve while it merges a tenant: it builds
// ferry, generates and imports a dataset into a scratch PostgreSQL
// database, starts the server on a loopback port, submits the merge
// through the API and, until the job ends, polls the job's status and the
// job list at a steady rate, then reports the latencies and the errors.
// It is bounded (-duration) and talks to 127.0.0.1 only. Run it from the
// repository:
//
//	go run ./bench/api [-users 100000] [-rate 1000]
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/ferrymigrate/ferry/bench/harness"
)

const module = "github.com/ferrymigrate/ferry"

type config struct {
	Users    int
	Rate     int
	Duration time.Duration
	Workers  int
	PGURL    string
	WorkDir  string
	Trace    bool
}

func main() {
	env := &harness.Env{}
	var c config
	flag.IntVar(&c.Users, "users", env.Int("FERRY_BENCH_USERS", 100000), "users in the generated dataset (FERRY_BENCH_USERS)")
	flag.IntVar(&c.Rate, "rate", env.Int("FERRY_BENCH_RATE", 1000), "requests per second, half to the job's status and half to the job list (FERRY_BENCH_RATE)")
	flag.DurationVar(&c.Duration, "duration", env.Duration("FERRY_BENCH_DURATION", 5*time.Minute), "the longest the load runs, whether or not the merge has ended (FERRY_BENCH_DURATION)")
	flag.IntVar(&c.Workers, "clients", env.Int("FERRY_BENCH_CLIENTS", 32), "concurrent client connections (FERRY_BENCH_CLIENTS)")
	flag.StringVar(&c.PGURL, "pg-url", env.String("FERRY_BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/test"), "PostgreSQL server (FERRY_BENCH_PG_URL)")
	flag.StringVar(&c.WorkDir, "workdir", env.String("FERRY_BENCH_WORKDIR", ""), "scratch directory; default a new temporary one (FERRY_BENCH_WORKDIR)")
	flag.BoolVar(&c.Trace, "trace", env.Bool("FERRY_BENCH_TRACE", false), "have the server sum its SQL statements' time (--trace-file) and show the slowest (FERRY_BENCH_TRACE)")
	flag.Parse()
	if err := env.Err(); err != nil {
		fmt.Fprintln(os.Stderr, "bench/api:", err)
		os.Exit(2)
	}
	if err := run(context.Background(), c); err != nil {
		fmt.Fprintln(os.Stderr, "bench/api:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, c config) error {
	if c.Rate < 2 || c.Users < 100 || c.Workers < 1 {
		return errors.New("-rate must be 2 or more, -users 100 or more, -clients 1 or more")
	}
	dir := c.WorkDir
	if dir == "" {
		d, err := os.MkdirTemp("", "ferry-bench-api-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	wd, _ := os.Getwd()
	root, err := harness.RepoRoot(wd, module)
	if err != nil {
		return err
	}
	bin, err := harness.Build(ctx, harness.BuildOptions{Root: root, Package: "./cmd/ferry", Out: filepath.Join(dir, "ferry")})
	if err != nil {
		return err
	}
	db, err := harness.CreateScratchDB(ctx, c.PGURL, "ferry_bench_api")
	if err != nil {
		return err
	}
	defer db.Drop(context.Background())
	ferry := func(args ...string) ([]byte, error) {
		cmd := exec.CommandContext(ctx, bin.Path, append([]string{"--db", db.URL}, args...)...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			return out, fmt.Errorf("ferry %v: %w: %s", args, err, stderr.String())
		}
		return out, nil
	}
	harness.Logf("generating %d users and importing them into %s", c.Users, db.Name)
	out, err := ferry("--json", "tenant", "generate", "--users", fmt.Sprint(c.Users), "--out", filepath.Join(dir, "data"))
	if err != nil {
		return err
	}
	var ids struct{ Source, Target string }
	if err := json.Unmarshal(out, &ids); err != nil {
		return err
	}
	if _, err := ferry("tenant", "import", filepath.Join(dir, "data")); err != nil {
		return err
	}
	out, err = ferry("--json", "token", "create", "--role", "admin", "--name", "bench")
	if err != nil {
		return err
	}
	var tok struct{ Token string }
	if err := json.Unmarshal(out, &tok); err != nil {
		return err
	}

	serveArgs := []string{"--db", db.URL, "--json"}
	traceFile := filepath.Join(dir, "serve-trace.json")
	if c.Trace {
		serveArgs = append(serveArgs, "--trace-file", traceFile)
	}
	srv := exec.Command(bin.Path, append(serveArgs, "serve", "--listen", "127.0.0.1:0", "--workers", "1", "--poll", "100ms")...)
	stdout, _ := srv.StdoutPipe()
	srv.Stderr = os.Stderr
	if err := srv.Start(); err != nil {
		return err
	}
	var stopOnce sync.Once
	stop := func() {
		stopOnce.Do(func() {
			_ = srv.Process.Signal(syscall.SIGTERM)
			_ = srv.Wait()
		})
	}
	defer stop()
	var listen struct{ Listen string }
	line, err := bufio.NewReader(stdout).ReadBytes('\n')
	if err != nil || json.Unmarshal(line, &listen) != nil {
		return fmt.Errorf("ferry serve did not say where it listens: %q %v", line, err)
	}
	base := "http://" + listen.Listen
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: c.Workers, MaxConnsPerHost: c.Workers}}
	call := func(method, path string, body any) (int, []byte, error) {
		var rd io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		}
		req, _ := http.NewRequestWithContext(ctx, method, base+path, rd)
		req.Header.Set("Authorization", "Bearer "+tok.Token)
		resp, err := client.Do(req)
		if err != nil {
			return 0, nil, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp.StatusCode, b, err
	}
	status, body, err := call("POST", "/v1/tenant/migrate", map[string]any{"sourceRootOrgId": ids.Source, "targetRootOrgId": ids.Target, "onConflict": "skip"})
	if err != nil || status != http.StatusAccepted {
		return fmt.Errorf("submitting the merge: %d %s %v", status, body, err)
	}
	var acc struct {
		Result struct{ Job int64 } `json:"result"`
	}
	_ = json.Unmarshal(body, &acc)
	job := acc.Result.Job
	harness.Logf("merge job %d accepted; %d requests/s on %d connections until it ends (at most %s)", job, c.Rate, c.Workers, c.Duration)

	res := load(ctx, c, call, job)
	res.report(os.Stdout, c)
	if c.Trace {
		// The server writes its trace when it exits; it holds the merge's
		// statements as well as the requests'.
		stop()
		t, err := harness.ReadTrace(traceFile)
		if err != nil {
			return err
		}
		fmt.Fprintln(os.Stdout, "  the server's SQL statements, slowest first (the merge's and the requests'):")
		if err := t.Summarize(12, 0).Table().WriteText(os.Stdout); err != nil {
			return err
		}
	}
	if res.errors > 0 {
		return fmt.Errorf("%d requests failed", res.errors)
	}
	return nil
}

type loadResult struct {
	// latencies run from when each request was due, so that a request the
	// generator sent late (no client free, or this process not scheduled
	// in time on a busy machine) counts its wait; service runs from when
	// it was actually sent, which is the server's share alone.
	latencies []time.Duration
	service   []time.Duration
	// first and after are the latencies of the requests due in the load's
	// first second and after it: the merge's start (its plan) and its
	// steady state. latencies holds both, and is the headline.
	first, after   []time.Duration
	errors, late   int64
	sent           int64
	elapsed, merge time.Duration
	final          string
}

// load sends requests at c.Rate, open loop: each is due at its own time
// whether or not the ones before it were answered, so a slow server shows
// as latency, not as a lower rate. A request no client is free to send
// waits in a queue of one second's requests, its wait counted in its
// latency; one that finds even that queue full is not sent and is counted
// late, so late requests mean the figures leave out the worst moments.
func load(ctx context.Context, c config, call func(string, string, any) (int, []byte, error), job int64) *loadResult {
	r := &loadResult{}
	var mu sync.Mutex
	var jobStatus atomic.Value
	jobStatus.Store("queued")
	due := make(chan time.Time, max(c.Rate, c.Workers))
	began := time.Now()
	var wg sync.WaitGroup
	for range c.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			i := 0
			for at := range due {
				path := fmt.Sprintf("/v1/jobs/%d", job)
				if i%2 == 1 {
					path = "/v1/jobs?limit=20"
				}
				i++
				start := time.Now()
				status, body, err := call("GET", path, nil)
				took := time.Since(start)
				mu.Lock()
				lat := took + start.Sub(at)
				r.latencies = append(r.latencies, lat)
				r.service = append(r.service, took)
				if at.Sub(began) < time.Second {
					r.first = append(r.first, lat)
				} else {
					r.after = append(r.after, lat)
				}
				if err != nil || status != http.StatusOK {
					r.errors++
				}
				mu.Unlock()
				if err == nil && i%2 == 1 {
					var j struct {
						Result struct{ Status string } `json:"result"`
					}
					if json.Unmarshal(body, &j) == nil {
						jobStatus.Store(j.Result.Status)
					}
				}
			}
		}()
	}
	interval := time.Second / time.Duration(c.Rate)
	next := began
	deadline := began.Add(c.Duration)
	ended := time.Time{}
	for time.Now().Before(deadline) {
		st := jobStatus.Load().(string)
		if st == "succeeded" || st == "failed" || st == "cancelled" {
			if ended.IsZero() {
				ended = time.Now()
				r.final = st
			}
			break
		}
		next = next.Add(interval)
		if d := time.Until(next); d > 0 {
			time.Sleep(d)
		}
		select {
		case due <- next:
			r.sent++
		default:
			r.late++
		}
	}
	close(due)
	wg.Wait()
	r.elapsed = time.Since(began)
	if !ended.IsZero() {
		r.merge = ended.Sub(began)
	} else {
		r.final = "still " + jobStatus.Load().(string)
	}
	_ = ctx
	return r
}

func (r *loadResult) report(w io.Writer, c config) {
	slices.Sort(r.latencies)
	slices.Sort(r.service)
	slices.Sort(r.first)
	slices.Sort(r.after)
	q := func(l []time.Duration, p float64) time.Duration {
		if len(l) == 0 {
			return 0
		}
		return l[min(len(l)-1, int(p*float64(len(l))))]
	}
	ms := func(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }
	fmt.Fprintf(w, "ferry serve under load while merging %d users, on PostgreSQL\n", c.Users)
	fmt.Fprintf(w, "  machine:  %s\n", harness.ThisMachine())
	fmt.Fprintf(w, "  merge:    %s after %s\n", r.final, r.merge.Round(time.Millisecond))
	fmt.Fprintf(w, "  requests: %d in %s (%.0f/s; target %d/s), %d errors, %d late (not sent: a second's requests were queued)\n",
		len(r.latencies), r.elapsed.Round(time.Millisecond), float64(len(r.latencies))/r.elapsed.Seconds(), c.Rate, r.errors, r.late)
	for _, l := range []struct {
		name, from string
		d          []time.Duration
	}{{"latency", "from when each request was due", r.latencies}, {"service", "from when each request was sent", r.service}} {
		fmt.Fprintf(w, "  %-9s p50 %s, p90 %s, p99 %s, max %s (%s)\n", l.name+":", ms(q(l.d, .5)), ms(q(l.d, .9)), ms(q(l.d, .99)), ms(q(l.d, 1)), l.from)
	}
	// The headline is the whole run's; these say where its tail is.
	for _, l := range []struct {
		name string
		d    []time.Duration
	}{{"first second", r.first}, {"after it", r.after}} {
		fmt.Fprintf(w, "    %-13s %d requests, p50 %s, p99 %s, max %s (latency from when due)\n", l.name+":", len(l.d), ms(q(l.d, .5)), ms(q(l.d, .99)), ms(q(l.d, 1)))
	}
}
