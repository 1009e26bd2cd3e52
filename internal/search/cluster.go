package search

import (
	"fmt"
	"net/http"
	"time"
)

// Cluster says how to reach a cluster and how the backend's client
// retries; each backend's Config starts with it.
type Cluster struct {
	URLs []string
	// Username and Password are sent with basic authentication;
	// user:password@ in a URL does the same.
	Username string
	Password string
	// Retries is how many times a request is sent again after a 429, a
	// 502-504 or a transport error (default 5).
	Retries int
	// Backoff is the wait before the first retry, doubled each time up
	// to 30 s (default 250 ms).
	Backoff   time.Duration
	Transport http.RoundTripper
}

// Ready checks that there is a URL to reach and fills in the retries and
// the backoff left unset; product names the server in the error.
func (c Cluster) Ready(product string) (Cluster, error) {
	if len(c.URLs) == 0 {
		return c, fmt.Errorf("no %s URL", product)
	}
	if c.Retries <= 0 {
		c.Retries = 5
	}
	if c.Backoff <= 0 {
		c.Backoff = 250 * time.Millisecond
	}
	return c, nil
}

// RetryBackoff is the wait before retry number attempt, counted from 1.
func (c Cluster) RetryBackoff(attempt int) time.Duration {
	return min(c.Backoff<<min(attempt-1, 10), 30*time.Second)
}

// RetryOnStatus are the statuses a backend's client sends again: a busy
// cluster, and a node that is down behind a proxy.
func RetryOnStatus() []int { return []int{429, 502, 503, 504} }
