// Package searchtest is an in-process server that answers the parts of
// the Elasticsearch and OpenSearch HTTP APIs ferry uses (_bulk with
// per-item results and errors: true, _doc GET, _count and _search by
// term with search_after, index creation, deletion and refresh) on a
// loopback port, with the faults a real cluster has: 429s, 503s, items
// refused, and a missing X-Elastic-Product header. It answers as
// Elasticsearch 8 unless told to answer as OpenSearch 2. The official
// clients talk to it as to a cluster.
package searchtest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ferrymigrate/ferry/internal/search"
	"github.com/ferrymigrate/ferry/internal/search/searchmem"
)

// Server is a fake cluster.
type Server struct {
	*httptest.Server
	Store *searchmem.Index

	mu          sync.Mutex
	busy        int // the next busy requests get a 429
	unavailable int // the next unavailable requests get a 503
	noProduct   bool
	openSearch  bool
	user, pass  string // required basic authentication, when user is set
	Requests    atomic.Int64
	BulkCalls   atomic.Int64
}

// Start starts a server closed when the test ends.
func Start(t testing.TB) *Server {
	s := New()
	t.Cleanup(s.Close)
	return s
}

// New starts a server; Close stops it.
func New() *Server {
	s := &Server{Store: searchmem.New()}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// Busy answers the next n requests with 429 Too Many Requests.
func (s *Server) Busy(n int) { s.mu.Lock(); s.busy = n; s.mu.Unlock() }

// Unavailable answers the next n requests with 503.
func (s *Server) Unavailable(n int) { s.mu.Lock(); s.unavailable = n; s.mu.Unlock() }

// NoProductHeader stops sending X-Elastic-Product, as a server that is not
// Elasticsearch does; the official Elasticsearch client refuses it.
func (s *Server) NoProductHeader() { s.mu.Lock(); s.noProduct = true; s.mu.Unlock() }

// OpenSearch answers as OpenSearch 2 does: no X-Elastic-Product header,
// its own version document, and its own name for a rejected request.
func (s *Server) OpenSearch() {
	s.mu.Lock()
	s.noProduct, s.openSearch = true, true
	s.mu.Unlock()
}

// RequireBasicAuth answers 401 to every request that does not carry this
// user and password, as the security plugin of a cluster does.
func (s *Server) RequireBasicAuth(user, password string) {
	s.mu.Lock()
	s.user, s.pass = user, password
	s.mu.Unlock()
}

func (s *Server) fault() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.busy > 0:
		s.busy--
		return http.StatusTooManyRequests
	case s.unavailable > 0:
		s.unavailable--
		return http.StatusServiceUnavailable
	}
	return 0
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func errorBody(typ, reason string, status int) map[string]any {
	return map[string]any{"error": map[string]any{"type": typ, "reason": reason}, "status": status}
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.Requests.Add(1)
	s.mu.Lock()
	if !s.noProduct {
		w.Header().Set("X-Elastic-Product", "Elasticsearch")
	}
	openSearch, user, pass := s.openSearch, s.user, s.pass
	s.mu.Unlock()
	if user != "" {
		if u, p, ok := r.BasicAuth(); !ok || u != user || p != pass {
			w.Header().Set("WWW-Authenticate", `Basic realm="searchtest"`)
			writeJSON(w, 401, errorBody("security_exception", "missing or wrong authentication credentials", 401))
			return
		}
	}
	if code := s.fault(); code != 0 {
		rejected := "es_rejected_execution_exception"
		if openSearch {
			rejected = "rejected_execution_exception"
		}
		writeJSON(w, code, errorBody(rejected, "rejected by the test", code))
		return
	}
	ctx := r.Context()
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	switch {
	case r.URL.Path == "/" && r.Method == http.MethodGet && openSearch:
		writeJSON(w, 200, map[string]any{"name": "searchtest", "cluster_name": "searchtest", "version": map[string]any{"distribution": "opensearch", "number": "2.19.0"}, "tagline": "The OpenSearch Project: https://opensearch.org/"})
	case r.URL.Path == "/" && r.Method == http.MethodGet:
		writeJSON(w, 200, map[string]any{"name": "searchtest", "cluster_name": "searchtest", "version": map[string]any{"number": "8.19.0", "build_flavor": "default"}, "tagline": "You Know, for Search"})
	case parts[len(parts)-1] == "_bulk" && r.Method == http.MethodPost:
		s.BulkCalls.Add(1)
		s.bulk(w, r)
	case len(parts) == 1:
		index := parts[0]
		switch r.Method {
		case http.MethodHead:
			if s.Store.Exists(index) {
				w.WriteHeader(200)
			} else {
				w.WriteHeader(404)
			}
		case http.MethodPut:
			if s.Store.Exists(index) {
				writeJSON(w, 400, errorBody("resource_already_exists_exception", "index ["+index+"] already exists", 400))
				return
			}
			_ = s.Store.EnsureIndex(ctx, index, nil)
			writeJSON(w, 200, map[string]any{"acknowledged": true, "index": index})
		case http.MethodDelete:
			if !s.Store.Exists(index) {
				writeJSON(w, 404, errorBody("index_not_found_exception", "no such index ["+index+"]", 404))
				return
			}
			_ = s.Store.DeleteIndex(ctx, index)
			writeJSON(w, 200, map[string]any{"acknowledged": true})
		default:
			w.WriteHeader(405)
		}
	case len(parts) == 3 && parts[1] == "_doc" && r.Method == http.MethodGet:
		b, found, _ := s.Store.Get(ctx, parts[0], parts[2])
		if !found {
			writeJSON(w, 404, map[string]any{"_index": parts[0], "_id": parts[2], "found": false})
			return
		}
		writeJSON(w, 200, map[string]any{"_index": parts[0], "_id": parts[2], "found": true, "_source": b})
	case len(parts) == 2 && (parts[1] == "_count" || parts[1] == "_search"):
		s.query(w, r, parts[0], parts[1] == "_count")
	case len(parts) == 2 && parts[1] == "_refresh":
		writeJSON(w, 200, map[string]any{"_shards": map[string]int{"total": 1, "successful": 1, "failed": 0}})
	default:
		writeJSON(w, 400, errorBody("illegal_argument_exception", "searchtest does not answer "+r.Method+" "+r.URL.Path, 400))
	}
}

func (s *Server) bulk(w http.ResponseWriter, r *http.Request) {
	sc := bufio.NewScanner(r.Body)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	var docs []search.Document
	var actions []string
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var meta map[string]struct {
			Index string `json:"_index"`
			ID    string `json:"_id"`
		}
		if err := json.Unmarshal(line, &meta); err != nil || len(meta) != 1 {
			writeJSON(w, 400, errorBody("illegal_argument_exception", "Malformed action/metadata line", 400))
			return
		}
		for action, m := range meta {
			d := search.Document{Index: m.Index, ID: m.ID}
			switch action {
			case "index", "create":
				if !sc.Scan() {
					writeJSON(w, 400, errorBody("illegal_argument_exception", "The bulk request must be terminated by a newline [\\n]", 400))
					return
				}
				d.Body = append(json.RawMessage(nil), sc.Bytes()...)
			case "delete":
			default:
				writeJSON(w, 400, errorBody("illegal_argument_exception", "Unknown action ["+action+"]", 400))
				return
			}
			docs = append(docs, d)
			actions = append(actions, action)
		}
	}
	if err := sc.Err(); err != nil {
		writeJSON(w, 400, errorBody("illegal_argument_exception", err.Error(), 400))
		return
	}
	res, _ := s.Store.Bulk(r.Context(), docs)
	items := make([]map[string]any, len(res))
	failed := false
	for i, it := range res {
		item := map[string]any{"_index": it.Index, "_id": it.ID, "status": it.Status}
		if it.Error != "" {
			typ, reason, _ := strings.Cut(it.Error, ": ")
			item["error"] = map[string]string{"type": typ, "reason": reason}
			failed = true
		} else if docs[i].Deleted() {
			item["result"] = map[bool]string{true: "deleted", false: "not_found"}[it.Status == 200]
		} else {
			item["result"] = "updated"
		}
		items[i] = map[string]any{actions[i]: item}
	}
	writeJSON(w, 200, map[string]any{"took": 1, "errors": failed, "items": items})
}

func (s *Server) query(w http.ResponseWriter, r *http.Request, index string, count bool) {
	var body struct {
		Query       map[string]map[string]any `json:"query"`
		Size        *int                      `json:"size"`
		SearchAfter []string                  `json:"search_after"`
	}
	if b, _ := io.ReadAll(r.Body); len(bytes.TrimSpace(b)) > 0 {
		if err := json.Unmarshal(b, &body); err != nil {
			writeJSON(w, 400, errorBody("parsing_exception", err.Error(), 400))
			return
		}
	}
	if !s.Store.Exists(index) {
		writeJSON(w, 404, errorBody("index_not_found_exception", "no such index ["+index+"]", 404))
		return
	}
	field, value := "", ""
	if t, ok := body.Query["term"]; ok {
		for f, v := range t {
			field = f
			if m, ok := v.(map[string]any); ok {
				v = m["value"]
			}
			value = fmt.Sprint(v)
		}
	}
	size := 10
	if body.Size != nil {
		size = *body.Size
	}
	if count {
		n, _ := s.Store.Count(r.Context(), index, field, value)
		writeJSON(w, 200, map[string]any{"count": n})
		return
	}
	after := ""
	if len(body.SearchAfter) == 1 {
		after = body.SearchAfter[0]
	}
	hits, _ := s.Store.Search(r.Context(), index, field, value, size, after)
	out := make([]map[string]any, len(hits))
	for i, h := range hits {
		out[i] = map[string]any{"_index": index, "_id": h.ID, "_source": h.Source, "sort": []string{h.ID}}
	}
	writeJSON(w, 200, map[string]any{"took": 1, "hits": map[string]any{"total": map[string]any{"value": len(hits), "relation": "eq"}, "hits": out}})
}
