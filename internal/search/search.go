// Package search keeps a search index in step with the database. The
// engine's outbox says which entities a job changed; a Syncer claims those
// entries, asks a Source (a migration's document builder) for each
// entity's current document, and sends them to an Index (one package per
// backend: elastic, opensearch) through the _bulk API. An entry is marked
// delivered only after its item succeeded, so nothing is lost when the
// index is down, slow or refuses some items.
package search

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
)

// Document is one document to write to the index, or to delete from it
// when Body is nil (the entity no longer exists in the database).
type Document struct {
	Index string          // index name, e.g. "user"
	ID    string          // document id, e.g. the user's id
	Body  json.RawMessage // the document; nil deletes it
}

// Deleted reports whether the document is a deletion.
func (d Document) Deleted() bool { return d.Body == nil }

// ItemResult is the index's answer for one document of a bulk request, in
// the request's order.
type ItemResult struct {
	Index  string
	ID     string
	Status int    // HTTP status of the item (200, 201, 404 for a delete of a missing document, 429, 400, ...)
	Error  string // the item's error type and reason, empty when it succeeded
}

// OK reports whether the item reached the index. Deleting a document that
// is not there is success: the index already agrees with the database.
func (r ItemResult) OK(deleted bool) bool {
	if r.Status >= 200 && r.Status < 300 {
		return true
	}
	return deleted && r.Status == 404 && r.Error == ""
}

// Retryable reports whether sending the item again may succeed: the index
// was busy (429) or failed on its side (5xx). A 400 (a mapping conflict, a
// malformed document) fails the same way every time.
func (r ItemResult) Retryable() bool {
	return r.Status == 429 || r.Status >= 500
}

// Hit is one document a search found.
type Hit struct {
	ID     string
	Source json.RawMessage
}

// Index is one search backend. Implementations are safe for concurrent use
// and retry 429s and transport errors with backoff inside Bulk; an error
// from Bulk means the request as a whole failed (every item is then
// undelivered), while per-item failures come back in the results.
type Index interface {
	// Bulk writes and deletes documents through the _bulk API and returns
	// one result per document, in order.
	Bulk(ctx context.Context, docs []Document) ([]ItemResult, error)
	// Get returns a document's source, or found=false.
	Get(ctx context.Context, index, id string) (source json.RawMessage, found bool, err error)
	// Count counts the documents whose field holds value exactly (a term
	// query); an empty field counts every document.
	Count(ctx context.Context, index, field, value string) (int64, error)
	// Search returns the documents whose field holds value exactly (a term
	// query; an empty field matches every document), at most size of
	// them, sorted by the documents' "id" field (a keyword in every
	// mapping ferry creates: sorting on _id is off by default in
	// Elasticsearch 8). after, when not empty, continues after the hit
	// with that id (search_after), so a caller can page through an index.
	Search(ctx context.Context, index, field, value string, size int, after string) ([]Hit, error)
	// EnsureIndex creates an index with a mapping when it does not exist.
	EnsureIndex(ctx context.Context, index string, mapping json.RawMessage) error
	// DeleteIndex drops an index; a missing index is not an error.
	DeleteIndex(ctx context.Context, index string) error
	// Refresh makes recent writes visible to Count and Search.
	Refresh(ctx context.Context, index string) error
}

// ErrUnavailable wraps a failure to reach the index at all (after the
// backend's retries), as opposed to an item the index refused.
var ErrUnavailable = errors.New("search index unavailable")

// Unavailable wraps err as ErrUnavailable.
func Unavailable(err error) error { return fmt.Errorf("%w: %w", ErrUnavailable, err) }
