// Package opensearch is the search.Index of OpenSearch 2, through the
// official client's typed API (opensearchapi). As with the elastic
// backend, the client retries 429s, 502-504s and transport errors with
// backoff; what is still failing after that is search.ErrUnavailable, and
// every item of a bulk request gets its own result. OpenSearch sends no
// X-Elastic-Product header, and this client asks for none.
package opensearch

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/opensearch-project/opensearch-go/v4"
	"github.com/opensearch-project/opensearch-go/v4/errmask"
	"github.com/opensearch-project/opensearch-go/v4/opensearchapi"

	"github.com/ferrymigrate/ferry/internal/search"
)

// Config says how to reach the cluster. OpenSearch's security plugin
// takes basic authentication: the Cluster's Username and Password, or
// user:password@ in a URL.
type Config struct {
	search.Cluster
}

// Index is an OpenSearch cluster. Close releases the client's background
// work.
type Index struct {
	api *opensearchapi.Client
}

// New connects to nothing yet: the first request reaches the cluster.
func New(c Config) (*Index, error) {
	cl, err := c.Ready("OpenSearch")
	if err != nil {
		return nil, err
	}
	api, err := opensearchapi.NewClient(opensearchapi.Config{
		Client: opensearch.Config{
			Addresses: cl.URLs,
			Username:  cl.Username,
			Password:  cl.Password,
			Transport: cl.Transport,
			// The transport retries 429s whatever this list says.
			RetryOnStatus: search.RetryOnStatus(),
			MaxRetries:    cl.Retries,
			RetryBackoff:  cl.RetryBackoff,
		},
		// Items the cluster refused are results, not an error of the
		// request (this is the client's default, said out loud).
		Errors: errmask.New(errmask.All),
	})
	if err != nil {
		return nil, err
	}
	return &Index{api: api}, nil
}

// Close stops the client's background work and closes its idle
// connections.
func (x *Index) Close() error { return x.api.Close() }

// check maps a typed call's outcome to ferry's errors: res is the answer
// (nil when none came) and err the client's error. A status of 400 or more
// is an error, except those the caller accepts.
func check(ctx context.Context, res *opensearch.Response, err error, accept ...int) (int, error) {
	if res == nil {
		switch {
		case err == nil:
			return 0, search.Unavailable(errors.New("no answer"))
		case errors.Is(err, opensearch.ErrJSONUnmarshalBody):
			return 0, fmt.Errorf("decoding the answer: %w", err)
		case ctx.Err() != nil:
			return 0, ctx.Err()
		}
		return 0, search.Unavailable(err)
	}
	if slices.Contains(accept, res.StatusCode) {
		return res.StatusCode, nil
	}
	if res.StatusCode >= 400 {
		// The client parsed the error from the body and put it back.
		var body []byte
		if res.Body != nil {
			body, _ = io.ReadAll(res.Body)
		}
		return res.StatusCode, search.StatusError(res.StatusCode, body)
	}
	var partial opensearchapi.PartialFailureError
	if err != nil && !errors.As(err, &partial) {
		return res.StatusCode, err
	}
	return res.StatusCode, nil
}

// Bulk implements search.Index.
func (x *Index) Bulk(ctx context.Context, docs []search.Document) ([]search.ItemResult, error) {
	if len(docs) == 0 {
		return nil, nil
	}
	body, err := search.BulkBody(docs)
	if err != nil {
		return nil, err
	}
	ans, err := x.api.Bulk(ctx, opensearchapi.BulkReq{Body: bytes.NewReader(body)})
	if _, err := check(ctx, ans.Inspect().Response, err); err != nil {
		return nil, err
	}
	return search.Items(docs, ans.Items, func(it opensearchapi.BulkRespItem) search.ItemResult {
		r := search.ItemResult{Index: it.Index, ID: it.ID, Status: it.Status}
		if it.Error != nil {
			r.Error = search.ErrorText(it.Error.Type, it.Error.Reason)
		}
		return r
	})
}

// Get implements search.Index.
func (x *Index) Get(ctx context.Context, index, id string) (json.RawMessage, bool, error) {
	ans, err := x.api.Document.Get(ctx, opensearchapi.DocumentGetReq{Index: index, DocumentID: id})
	status, err := check(ctx, ans.Inspect().Response, err, 404)
	if err != nil || status == 404 {
		return nil, false, err
	}
	return ans.Source, ans.Found, nil
}

// Count implements search.Index.
func (x *Index) Count(ctx context.Context, index, field, value string) (int64, error) {
	q, _ := json.Marshal(map[string]any{"query": search.TermQuery(field, value)})
	ans, err := x.api.Indices.Count(ctx, &opensearchapi.IndicesCountReq{Indices: []string{index}, Body: bytes.NewReader(q)})
	if _, err := check(ctx, ans.Inspect().Response, err); err != nil {
		return 0, err
	}
	return int64(ans.Count), nil
}

// Search implements search.Index.
func (x *Index) Search(ctx context.Context, index, field, value string, size int, after string) ([]search.Hit, error) {
	q, _ := json.Marshal(search.SearchBody(field, value, size, after))
	ans, err := x.api.Search(ctx, &opensearchapi.SearchReq{Indices: []string{index}, Body: bytes.NewReader(q)})
	if _, err := check(ctx, ans.Inspect().Response, err); err != nil {
		return nil, err
	}
	out := make([]search.Hit, 0, len(ans.Hits.Hits))
	for _, h := range ans.Hits.Hits {
		out = append(out, search.Hit{ID: h.ID, Source: h.Source})
	}
	return out, nil
}

// exists reports whether an index exists.
func (x *Index) exists(ctx context.Context, index string) (bool, error) {
	res, err := x.api.Indices.Exists(ctx, opensearchapi.IndicesExistsReq{Indices: []string{index}})
	status, err := check(ctx, res, err, 404)
	return status == 200, err
}

// EnsureIndex implements search.Index.
func (x *Index) EnsureIndex(ctx context.Context, index string, mapping json.RawMessage) error {
	if ok, err := x.exists(ctx, index); ok || err != nil {
		return err
	}
	var body io.Reader
	if len(mapping) > 0 {
		body = bytes.NewReader(mapping)
	}
	// Two workers may create it at once: the second's refusal is fine.
	ans, err := x.api.Indices.Create(ctx, opensearchapi.IndicesCreateReq{Index: index, Body: body})
	status, err := check(ctx, ans.Inspect().Response, err, 400)
	if err == nil && status == 400 {
		if ok, _ := x.exists(ctx, index); !ok {
			return fmt.Errorf("creating index %s was refused", index)
		}
	}
	return err
}

// DeleteIndex implements search.Index.
func (x *Index) DeleteIndex(ctx context.Context, index string) error {
	ans, err := x.api.Indices.Delete(ctx, opensearchapi.IndicesDeleteReq{Indices: []string{index}})
	_, err = check(ctx, ans.Inspect().Response, err, 404)
	return err
}

// Refresh implements search.Index.
func (x *Index) Refresh(ctx context.Context, index string) error {
	ans, err := x.api.Indices.Refresh(ctx, &opensearchapi.IndicesRefreshReq{Index: []string{index}})
	_, err = check(ctx, ans.Inspect().Response, err)
	return err
}

var _ search.Index = (*Index)(nil)
