package search

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// The wire format both backends speak: Elasticsearch and OpenSearch share
// the _bulk, _search and _count bodies ferry uses, so each backend is only
// its official client and these.

// BulkBody is the NDJSON body of a _bulk request: an index action and the
// document, or a delete action, per document.
func BulkBody(docs []Document) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for _, d := range docs {
		meta := map[string]string{"_index": d.Index, "_id": d.ID}
		action := "index"
		if d.Deleted() {
			action = "delete"
		}
		if err := enc.Encode(map[string]any{action: meta}); err != nil {
			return nil, err
		}
		if !d.Deleted() {
			if !json.Valid(d.Body) {
				return nil, fmt.Errorf("document %s/%s is not JSON", d.Index, d.ID)
			}
			var c bytes.Buffer
			if err := json.Compact(&c, d.Body); err != nil {
				return nil, err
			}
			buf.Write(c.Bytes())
			buf.WriteByte('\n')
		}
	}
	return buf.Bytes(), nil
}

// BulkAnswer is a _bulk response.
type BulkAnswer struct {
	Errors bool                                  `json:"errors"`
	Items  []map[string]struct{ bulkItemAnswer } `json:"items"`
}

type bulkItemAnswer struct {
	Index  string          `json:"_index"`
	ID     string          `json:"_id"`
	Status int             `json:"status"`
	Error  json.RawMessage `json:"error"`
}

// Results are the items of the answer in the order of docs; an answer
// that does not match the request is an error.
func (a BulkAnswer) Results(docs []Document) ([]ItemResult, error) {
	return Items(docs, a.Items, func(it struct{ bulkItemAnswer }) ItemResult {
		r := ItemResult{Index: it.Index, ID: it.ID, Status: it.Status}
		if len(it.Error) > 0 && string(it.Error) != "null" {
			var e struct{ Type, Reason string }
			if json.Unmarshal(it.Error, &e) == nil && e.Type != "" {
				r.Error = ErrorText(e.Type, e.Reason)
			} else {
				r.Error = string(it.Error)
			}
		}
		return r
	})
}

// Items turns the items of a _bulk answer, as a client decoded them (one
// action each), into results in the order of docs; an answer that does
// not match the request is an error.
func Items[T any](docs []Document, items []map[string]T, result func(T) ItemResult) ([]ItemResult, error) {
	if len(items) != len(docs) {
		return nil, fmt.Errorf("the _bulk answer has %d items for %d documents", len(items), len(docs))
	}
	out := make([]ItemResult, len(docs))
	for i, item := range items {
		if len(item) != 1 {
			return nil, fmt.Errorf("the _bulk answer's item %d has %d actions", i, len(item))
		}
		for _, it := range item {
			r := result(it)
			if r.ID != docs[i].ID {
				return nil, fmt.Errorf("the _bulk answer's item %d is %q, not %q", i, r.ID, docs[i].ID)
			}
			out[i] = r
		}
	}
	return out, nil
}

// ErrorText is how an error the index gave reads: its type and reason.
func ErrorText(typ, reason string) string { return typ + ": " + reason }

// TermQuery matches the documents whose field holds value exactly, or
// every document when field is empty.
func TermQuery(field, value string) map[string]any {
	if field == "" {
		return map[string]any{"match_all": map[string]any{}}
	}
	return map[string]any{"term": map[string]any{field: value}}
}

// SearchBody is a term search sorted by id, from after.
func SearchBody(field, value string, size int, after string) map[string]any {
	body := map[string]any{
		"query": TermQuery(field, value),
		"size":  size,
		"sort":  []any{map[string]string{"id": "asc"}},
	}
	if after != "" {
		body["search_after"] = []string{after}
	}
	return body
}

// SearchAnswer is a _search response.
type SearchAnswer struct {
	HitsObj struct {
		Hits []struct {
			ID     string          `json:"_id"`
			Source json.RawMessage `json:"_source"`
		} `json:"hits"`
	} `json:"hits"`
}

// Hits are the answer's documents.
func (a SearchAnswer) Hits() []Hit {
	out := make([]Hit, 0, len(a.HitsObj.Hits))
	for _, h := range a.HitsObj.Hits {
		out = append(out, Hit{ID: h.ID, Source: h.Source})
	}
	return out
}
