// Package elastic is the search.Index of Elasticsearch 8 and 9, through
// the official client. The client retries 429s, 502-504s and transport
// errors with backoff; what is still failing after that is
// search.ErrUnavailable, and every item of a bulk request gets its own
// result, so the sync worker can mark exactly the items that succeeded.
package elastic

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/elastic/go-elasticsearch/v8"
	"github.com/elastic/go-elasticsearch/v8/esapi"

	"github.com/ferrymigrate/ferry/internal/search"
)

// Config says how to reach the cluster.
type Config struct {
	search.Cluster
	// APIKey, when set, is sent instead of basic authentication.
	APIKey string
}

// Index is an Elasticsearch cluster.
type Index struct {
	es *elasticsearch.Client
}

// New connects to nothing yet: the first request reaches the cluster.
func New(c Config) (*Index, error) {
	cl, err := c.Ready("Elasticsearch")
	if err != nil {
		return nil, err
	}
	es, err := elasticsearch.NewClient(elasticsearch.Config{
		Addresses:     cl.URLs,
		Username:      cl.Username,
		Password:      cl.Password,
		APIKey:        c.APIKey,
		Transport:     cl.Transport,
		RetryOnStatus: search.RetryOnStatus(),
		MaxRetries:    cl.Retries,
		RetryBackoff:  cl.RetryBackoff,
	})
	if err != nil {
		return nil, err
	}
	return &Index{es: es}, nil
}

// do sends a request and decodes a JSON answer into out (when not nil).
// A status of 400 or more is an error, except those the caller accepts.
func do(ctx context.Context, req esapi.Request, c *elasticsearch.Client, out any, accept ...int) (int, error) {
	res, err := req.Do(ctx, c)
	if err != nil {
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		return 0, search.Unavailable(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return 0, search.Unavailable(err)
	}
	for _, a := range accept {
		if res.StatusCode == a {
			return res.StatusCode, nil
		}
	}
	if res.StatusCode >= 400 {
		return res.StatusCode, search.StatusError(res.StatusCode, body)
	}
	if out != nil && len(body) > 0 {
		if err := json.Unmarshal(body, out); err != nil {
			return res.StatusCode, fmt.Errorf("decoding the answer: %w", err)
		}
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
	var ans search.BulkAnswer
	if _, err := do(ctx, esapi.BulkRequest{Body: bytes.NewReader(body)}, x.es, &ans); err != nil {
		return nil, err
	}
	return ans.Results(docs)
}

// Get implements search.Index.
func (x *Index) Get(ctx context.Context, index, id string) (json.RawMessage, bool, error) {
	var ans struct {
		Found  bool            `json:"found"`
		Source json.RawMessage `json:"_source"`
	}
	status, err := do(ctx, esapi.GetRequest{Index: index, DocumentID: id}, x.es, &ans, 404)
	if err != nil || status == 404 {
		return nil, false, err
	}
	return ans.Source, ans.Found, nil
}

// Count implements search.Index.
func (x *Index) Count(ctx context.Context, index, field, value string) (int64, error) {
	var ans struct {
		Count int64 `json:"count"`
	}
	q, _ := json.Marshal(map[string]any{"query": search.TermQuery(field, value)})
	_, err := do(ctx, esapi.CountRequest{Index: []string{index}, Body: bytes.NewReader(q)}, x.es, &ans)
	return ans.Count, err
}

// Search implements search.Index.
func (x *Index) Search(ctx context.Context, index, field, value string, size int, after string) ([]search.Hit, error) {
	q, _ := json.Marshal(search.SearchBody(field, value, size, after))
	var ans search.SearchAnswer
	if _, err := do(ctx, esapi.SearchRequest{Index: []string{index}, Body: bytes.NewReader(q)}, x.es, &ans); err != nil {
		return nil, err
	}
	return ans.Hits(), nil
}

// EnsureIndex implements search.Index.
func (x *Index) EnsureIndex(ctx context.Context, index string, mapping json.RawMessage) error {
	status, err := do(ctx, esapi.IndicesExistsRequest{Index: []string{index}}, x.es, nil, 404)
	if err != nil {
		return err
	}
	if status == 200 {
		return nil
	}
	var body io.Reader
	if len(mapping) > 0 {
		body = bytes.NewReader(mapping)
	}
	// Two workers may create it at once: the second's refusal is fine.
	status, err = do(ctx, esapi.IndicesCreateRequest{Index: index, Body: body}, x.es, nil, 400)
	if err == nil && status == 400 {
		if s, _ := do(ctx, esapi.IndicesExistsRequest{Index: []string{index}}, x.es, nil, 404); s != 200 {
			return fmt.Errorf("creating index %s was refused", index)
		}
	}
	return err
}

// DeleteIndex implements search.Index.
func (x *Index) DeleteIndex(ctx context.Context, index string) error {
	_, err := do(ctx, esapi.IndicesDeleteRequest{Index: []string{index}}, x.es, nil, 404)
	return err
}

// Refresh implements search.Index.
func (x *Index) Refresh(ctx context.Context, index string) error {
	_, err := do(ctx, esapi.IndicesRefreshRequest{Index: []string{index}}, x.es, nil)
	return err
}

var _ search.Index = (*Index)(nil)
