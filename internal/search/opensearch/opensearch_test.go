package opensearch_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/ferrymigrate/ferry/internal/search"
	"github.com/ferrymigrate/ferry/internal/search/opensearch"
	"github.com/ferrymigrate/ferry/internal/search/searchtest"
)

// The client runs background work until it is closed: every test closes
// its indexes, and nothing is left running after them.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func openWith(t *testing.T, c search.Cluster) *opensearch.Index {
	t.Helper()
	if c.Retries == 0 {
		c.Retries = 4
	}
	if c.Backoff == 0 {
		c.Backoff = time.Millisecond
	}
	ix, err := opensearch.New(opensearch.Config{Cluster: c})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ix.Close() })
	return ix
}

func open(t *testing.T, url string) search.Index {
	t.Helper()
	return openWith(t, search.Cluster{URLs: []string{url}})
}

// fake is an in-process cluster that answers as OpenSearch 2: without the
// X-Elastic-Product header the Elasticsearch client insists on.
func fake(t *testing.T) *searchtest.Server {
	s := searchtest.Start(t)
	s.OpenSearch()
	return s
}

func doc(id string) search.Document {
	return search.Document{Index: "x", ID: id, Body: []byte(`{"id":"` + id + `"}`)}
}

func TestConformanceAgainstTheFakeCluster(t *testing.T) {
	f := fake(t)
	searchtest.Run(t, f.URL, f, open)
}

func TestConformanceAgainstARealCluster(t *testing.T) {
	searchtest.RunOnCluster(t, "FERRY_TEST_OPENSEARCH_URL", "http://admin:PASSWORD@127.0.0.1:9200", open)
}

func TestNew(t *testing.T) {
	if _, err := opensearch.New(opensearch.Config{}); err == nil || !strings.Contains(err.Error(), "no OpenSearch URL") {
		t.Fatalf("err %v", err)
	}
}

func TestBasicAuthentication(t *testing.T) {
	f := fake(t)
	f.RequireBasicAuth("ferry", "s3cret")
	ctx := context.Background()

	res, err := openWith(t, search.Cluster{URLs: []string{f.URL}, Username: "ferry", Password: "s3cret"}).Bulk(ctx, []search.Document{doc("a")})
	if err != nil || !res[0].OK(false) {
		t.Fatalf("with the credentials: %+v, %v", res, err)
	}

	u, _ := url.Parse(f.URL)
	u.User = url.UserPassword("ferry", "s3cret")
	if _, found, err := open(t, u.String()).Get(ctx, "x", "a"); err != nil || !found {
		t.Fatalf("with the credentials in the URL: %v, %v", found, err)
	}

	// Refused credentials are the request's fault, not an outage: no
	// retry would help.
	before := f.Requests.Load()
	_, err = openWith(t, search.Cluster{URLs: []string{f.URL}, Username: "ferry", Password: "wrong"}).Bulk(ctx, []search.Document{doc("b")})
	if err == nil || errors.Is(err, search.ErrUnavailable) || !strings.Contains(err.Error(), "status 401: security_exception") {
		t.Fatalf("wrong credentials: %v", err)
	}
	if n := f.Requests.Load() - before; n != 1 {
		t.Fatalf("a 401 was sent %d times", n)
	}
}

// Each 429 is sent again after a backoff that doubles: 20, 40 and 80 ms
// here, and nothing else reaches the cluster meanwhile.
func TestBusyClusterRetriedWithBackoff(t *testing.T) {
	f := fake(t)
	ix := openWith(t, search.Cluster{URLs: []string{f.URL}, Retries: 5, Backoff: 20 * time.Millisecond})
	f.Busy(3)
	start := time.Now()
	res, err := ix.Bulk(context.Background(), []search.Document{doc("a"), doc("b")})
	if err != nil || len(res) != 2 || !res[0].OK(false) || !res[1].OK(false) {
		t.Fatalf("%+v, %v", res, err)
	}
	if took := time.Since(start); took < 140*time.Millisecond {
		t.Fatalf("three retries took %s: the backoff was not waited", took)
	}
	if n := f.Requests.Load(); n != 4 {
		t.Fatalf("%d requests reached the cluster, want 4", n)
	}
	if n := f.BulkCalls.Load(); n != 1 {
		t.Fatalf("%d bulk requests answered, want 1", n)
	}
}

// flaky fails its first n round trips as a refused connection does.
type flaky struct {
	n     atomic.Int64
	calls atomic.Int64
}

func (f *flaky) RoundTrip(r *http.Request) (*http.Response, error) {
	f.calls.Add(1)
	if f.n.Add(-1) >= 0 {
		if r.Body != nil {
			r.Body.Close()
		}
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	}
	return http.DefaultTransport.RoundTrip(r)
}

func TestTransportErrorsRetried(t *testing.T) {
	f := fake(t)
	tr := &flaky{}
	tr.n.Store(2)
	ix := openWith(t, search.Cluster{URLs: []string{f.URL}, Transport: tr})
	res, err := ix.Bulk(context.Background(), []search.Document{doc("a")})
	if err != nil || !res[0].OK(false) {
		t.Fatalf("%+v, %v", res, err)
	}
	if n := tr.calls.Load(); n != 3 {
		t.Fatalf("%d round trips, want 3", n)
	}
	// The node is not written off after its failures.
	if _, found, err := ix.Get(context.Background(), "x", "a"); err != nil || !found {
		t.Fatalf("after the failures: %v, %v", found, err)
	}
}

func TestUnreachableClusterIsUnavailable(t *testing.T) {
	f := fake(t)
	f.Close()
	ix := openWith(t, search.Cluster{URLs: []string{f.URL}, Retries: 2})
	ctx := context.Background()
	if _, err := ix.Bulk(ctx, []search.Document{doc("a")}); !errors.Is(err, search.ErrUnavailable) {
		t.Fatalf("bulk: %v", err)
	}
	if _, _, err := ix.Get(ctx, "x", "a"); !errors.Is(err, search.ErrUnavailable) {
		t.Fatalf("get: %v", err)
	}
	if err := ix.EnsureIndex(ctx, "x", nil); !errors.Is(err, search.ErrUnavailable) {
		t.Fatalf("ensure index: %v", err)
	}
}

func TestClusterThatStaysDownIsUnavailable(t *testing.T) {
	f := fake(t)
	f.Unavailable(1000)
	ix := openWith(t, search.Cluster{URLs: []string{f.URL}, Retries: 2})
	_, err := ix.Count(context.Background(), "x", "", "")
	if !errors.Is(err, search.ErrUnavailable) || !strings.Contains(err.Error(), "status 503: rejected_execution_exception") {
		t.Fatalf("err %v", err)
	}
	if n := f.Requests.Load(); n != 3 {
		t.Fatalf("%d requests, want 3", n)
	}
}

// A request the cluster refuses as malformed is not retried, and is not an
// outage.
func TestRefusedRequestIsNotUnavailable(t *testing.T) {
	f := fake(t)
	_, err := open(t, f.URL).Count(context.Background(), "missing", "", "")
	if err == nil || errors.Is(err, search.ErrUnavailable) || !strings.Contains(err.Error(), "status 404: index_not_found_exception") {
		t.Fatalf("err %v", err)
	}
}

// With several nodes, one that is down is passed over.
func TestSeveralNodesOneDown(t *testing.T) {
	up, down := fake(t), fake(t)
	down.Close()
	ix := openWith(t, search.Cluster{URLs: []string{down.URL, up.URL}})
	for _, id := range []string{"a", "b", "c"} {
		if res, err := ix.Bulk(context.Background(), []search.Document{doc(id)}); err != nil || !res[0].OK(false) {
			t.Fatalf("%s: %+v, %v", id, res, err)
		}
	}
}
