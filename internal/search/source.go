package search

import (
	"context"
	"encoding/json"

	"github.com/ferrymigrate/ferry/internal/store"
)

// Source builds search documents from the database: a migration's view of
// what its entities look like in the index. Documents are always rebuilt
// from the current rows, never from what a job wrote, so delivering an
// outbox entry late, twice or out of order still leaves the index equal to
// the database.
type Source interface {
	// Entities are the outbox entities the source builds documents for.
	Entities() []string
	// Documents returns the current document of each key of entity, one
	// per key and in the keys' order; an entity that no longer exists
	// yields a deletion (a Document with a nil Body).
	Documents(ctx context.Context, q store.Querier, entity string, keys []string) ([]Document, error)
	// Indexes lists the indexes the source writes, with their mappings.
	Indexes() []IndexSpec
	// TenantDocuments yields every document the database holds for a
	// tenant in one index, in ascending byte order of ID (the order of a
	// keyword sort, which Verify walks beside the index).
	TenantDocuments(ctx context.Context, q store.Querier, tenant, index string, yield func(Document) error) error
}

// IndexSpec is one index a source writes: its name (without the Syncer's
// prefix), its mapping, and the field whose exact value names the tenant
// a document belongs to (how Verify and Reindex find a tenant's documents
// in the index).
type IndexSpec struct {
	Name        string
	Mapping     json.RawMessage
	TenantField string
}
