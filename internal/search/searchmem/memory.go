// Package searchmem is an in-memory search.Index for tests of what sits
// above the backends (the sync worker, verify, reindex): it answers as an
// index does, item by item, and can refuse chosen documents or be down.
// The backends themselves are tested over HTTP against searchtest's
// server.
package searchmem

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"

	"github.com/ferrymigrate/ferry/internal/search"
)

// Index is an in-memory index. The zero value is not ready: use New.
type Index struct {
	mu      sync.Mutex
	indexes map[string]map[string]json.RawMessage
	refuse  map[string]int // document id -> item status to answer
	down    bool
	bulkErr bool
	Bulks   int // bulk requests answered
}

// New returns an empty index.
func New() *Index {
	return &Index{indexes: map[string]map[string]json.RawMessage{}, refuse: map[string]int{}}
}

// Refuse makes every write of document id fail with status (0 stops it).
func (x *Index) Refuse(id string, status int) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if status == 0 {
		delete(x.refuse, id)
		return
	}
	x.refuse[id] = status
}

// SetDown makes every call fail as an unreachable index does.
func (x *Index) SetDown(down bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.down = down
}

// SetBulkDown makes bulk requests fail as an unreachable index does,
// while the other calls still answer: an index lost between two calls.
func (x *Index) SetBulkDown(down bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.bulkErr = down
}

// Put stores a document directly, as another writer of the index would.
func (x *Index) Put(index, id string, body string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.ix(index)[id] = json.RawMessage(body)
}

// Exists reports whether an index was created (or written to).
func (x *Index) Exists(index string) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	_, ok := x.indexes[index]
	return ok
}

// Len is the number of documents in an index.
func (x *Index) Len(index string) int {
	x.mu.Lock()
	defer x.mu.Unlock()
	return len(x.indexes[index])
}

func (x *Index) ix(name string) map[string]json.RawMessage {
	m := x.indexes[name]
	if m == nil {
		m = map[string]json.RawMessage{}
		x.indexes[name] = m
	}
	return m
}

var errDown = errors.New("connection refused")

// Bulk implements search.Index.
func (x *Index) Bulk(_ context.Context, docs []search.Document) ([]search.ItemResult, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.down || x.bulkErr {
		return nil, search.Unavailable(errDown)
	}
	x.Bulks++
	out := make([]search.ItemResult, len(docs))
	for i, d := range docs {
		r := search.ItemResult{Index: d.Index, ID: d.ID, Status: 200}
		if st, ok := x.refuse[d.ID]; ok {
			r.Status, r.Error = st, fmt.Sprintf("refused_exception: document %s refused by the test", d.ID)
		} else if d.Deleted() {
			if _, ok := x.ix(d.Index)[d.ID]; !ok {
				r.Status = 404
			}
			delete(x.ix(d.Index), d.ID)
		} else {
			if !json.Valid(d.Body) {
				r.Status, r.Error = 400, "mapper_parsing_exception: failed to parse"
			} else {
				x.ix(d.Index)[d.ID] = append(json.RawMessage(nil), d.Body...)
			}
		}
		out[i] = r
	}
	return out, nil
}

// Get implements search.Index.
func (x *Index) Get(_ context.Context, index, id string) (json.RawMessage, bool, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.down {
		return nil, false, search.Unavailable(errDown)
	}
	b, ok := x.indexes[index][id]
	return b, ok, nil
}

// matches is a term query: the field equals value, or is a list holding it.
func matches(body json.RawMessage, field, value string) bool {
	if field == "" {
		return true
	}
	var m map[string]any
	if json.Unmarshal(body, &m) != nil {
		return false
	}
	switch v := m[field].(type) {
	case string:
		return v == value
	case []any:
		for _, e := range v {
			if s, ok := e.(string); ok && s == value {
				return true
			}
		}
	case float64, bool:
		return fmt.Sprint(v) == value
	}
	return false
}

// Count implements search.Index.
func (x *Index) Count(ctx context.Context, index, field, value string) (int64, error) {
	hits, err := x.Search(ctx, index, field, value, 1<<30, "")
	return int64(len(hits)), err
}

// Search implements search.Index: by id, from after.
func (x *Index) Search(_ context.Context, index, field, value string, size int, after string) ([]search.Hit, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.down {
		return nil, search.Unavailable(errDown)
	}
	var hits []search.Hit
	for id, b := range x.indexes[index] {
		if (after == "" || id > after) && matches(b, field, value) {
			hits = append(hits, search.Hit{ID: id, Source: b})
		}
	}
	sort.Slice(hits, func(i, j int) bool { return hits[i].ID < hits[j].ID })
	if len(hits) > size {
		hits = hits[:size]
	}
	return hits, nil
}

// EnsureIndex implements search.Index.
func (x *Index) EnsureIndex(_ context.Context, index string, _ json.RawMessage) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.down {
		return search.Unavailable(errDown)
	}
	x.ix(index)
	return nil
}

// DeleteIndex implements search.Index.
func (x *Index) DeleteIndex(_ context.Context, index string) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	delete(x.indexes, index)
	return nil
}

// Refresh implements search.Index; writes are visible at once.
func (x *Index) Refresh(context.Context, string) error { return nil }

var _ search.Index = (*Index)(nil)
