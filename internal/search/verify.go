package search

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"time"

	"github.com/ferrymigrate/ferry/internal/store"
)

// Both platform APIs acknowledge a sync before they do it (tenant-reference
// §2.5), so a merge is checked by reading the index back: Verify walks a
// tenant's documents in the database and in the index side by side, in id
// order, a page at a time, and holds neither set in memory.

// VerifyReport is what Verify found for one tenant.
type VerifyReport struct {
	Tenant      string                  `json:"tenant"`
	OK          bool                    `json:"ok"`
	Indexes     map[string]*IndexReport `json:"indexes"`
	Differences []Difference            `json:"differences"` // the first ones
	Omitted     int64                   `json:"omitted"`     // differences beyond those listed
}

// IndexReport counts one index's documents for a tenant.
type IndexReport struct {
	Database  int64 `json:"database"`  // documents the database holds for the tenant
	Index     int64 `json:"index"`     // documents the index holds for it
	Missing   int64 `json:"missing"`   // in the database, not in the index
	Stale     int64 `json:"stale"`     // in the index under the tenant, not in the database
	Different int64 `json:"different"` // in both, with different contents
}

// Difference is one document the index and the database disagree on.
type Difference struct {
	Index  string   `json:"index"`
	ID     string   `json:"id"`
	Kind   string   `json:"kind"`             // missing, stale or different
	Fields []string `json:"fields,omitempty"` // the top-level fields that differ
}

const maxDifferences = 100

// pageSize is how many documents Verify reads from the index at a time.
const pageSize = 1000

// Verify compares the index with the database for one tenant.
func Verify(ctx context.Context, db *store.DB, idx Index, src Source, prefix, tenant string) (*VerifyReport, error) {
	rep := &VerifyReport{Tenant: tenant, Indexes: map[string]*IndexReport{}, Differences: []Difference{}}
	for _, spec := range src.Indexes() {
		name := prefix + spec.Name
		ir := &IndexReport{}
		rep.Indexes[spec.Name] = ir
		if err := idx.Refresh(ctx, name); err != nil {
			return nil, fmt.Errorf("refreshing %s: %w", name, err)
		}
		add := func(d Difference) {
			if len(rep.Differences) < maxDifferences {
				rep.Differences = append(rep.Differences, d)
			} else {
				rep.Omitted++
			}
		}
		err := walk(ctx, db, idx, src, spec, name, tenant, func(dbDoc *Document, hit *Hit) error {
			switch {
			case hit == nil:
				ir.Database++
				ir.Missing++
				add(Difference{Index: spec.Name, ID: dbDoc.ID, Kind: "missing"})
			case dbDoc == nil:
				ir.Index++
				ir.Stale++
				add(Difference{Index: spec.Name, ID: hit.ID, Kind: "stale"})
			default:
				ir.Database++
				ir.Index++
				if fields, err := differentFields(dbDoc.Body, hit.Source); err != nil {
					return fmt.Errorf("%s %s: %w", name, hit.ID, err)
				} else if len(fields) > 0 {
					ir.Different++
					add(Difference{Index: spec.Name, ID: hit.ID, Kind: "different", Fields: fields})
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	rep.OK = len(rep.Differences) == 0
	return rep, nil
}

// walk calls fn for every document of the tenant in the database or the
// index, in id order: with both when both hold it, else with the one that
// does. A document the database holds but the index has under another
// tenant (or not at all) is missing; one the index has under this tenant
// but the database does not is stale.
func walk(ctx context.Context, db *store.DB, idx Index, src Source, spec IndexSpec, name, tenant string, fn func(*Document, *Hit) error) error {
	var page []Hit
	after, done := "", false
	next := func() (*Hit, error) {
		if len(page) == 0 && !done {
			hits, err := idx.Search(ctx, name, spec.TenantField, tenant, pageSize, after)
			if err != nil {
				return nil, fmt.Errorf("reading %s: %w", name, err)
			}
			if len(hits) < pageSize {
				done = true
			}
			if len(hits) > 0 {
				after = hits[len(hits)-1].ID
			}
			page = hits
		}
		if len(page) == 0 {
			return nil, nil
		}
		h := page[0]
		page = page[1:]
		return &h, nil
	}
	hit, err := next()
	if err != nil {
		return err
	}
	prev := ""
	err = src.TenantDocuments(ctx, db, tenant, spec.Name, func(d Document) error {
		if prev != "" && d.ID <= prev {
			return fmt.Errorf("the %s documents are not in id order (%q after %q)", spec.Name, d.ID, prev)
		}
		prev = d.ID
		for hit != nil && hit.ID < d.ID {
			if err := fn(nil, hit); err != nil {
				return err
			}
			if hit, err = next(); err != nil {
				return err
			}
		}
		if hit != nil && hit.ID == d.ID {
			if err := fn(&d, hit); err != nil {
				return err
			}
			hit, err = next()
			return err
		}
		return fn(&d, nil)
	})
	if err != nil {
		return err
	}
	for hit != nil {
		if err := fn(nil, hit); err != nil {
			return err
		}
		if hit, err = next(); err != nil {
			return err
		}
	}
	return nil
}

// differentFields lists the top-level fields whose values differ between
// two JSON objects, compared as values (key order and number spelling
// aside).
func differentFields(a, b json.RawMessage) ([]string, error) {
	if bytes.Equal(a, b) {
		return nil, nil
	}
	var x, y map[string]any
	if err := json.Unmarshal(a, &x); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &y); err != nil {
		return nil, err
	}
	var out []string
	for k, v := range x {
		if w, ok := y[k]; !ok || !reflect.DeepEqual(v, w) {
			out = append(out, k)
		}
	}
	for k := range y {
		if _, ok := x[k]; !ok {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out, nil
}

// ReindexReport is what Reindex did for one tenant.
type ReindexReport struct {
	Tenant   string        `json:"tenant"`
	Written  int64         `json:"written"` // documents written from the database
	Deleted  int64         `json:"deleted"` // stale documents deleted
	Failed   int64         `json:"failed"`
	Failures []ItemFailure `json:"failures"`
	Verify   *VerifyReport `json:"verify"` // the check that followed
	Seconds  float64       `json:"seconds"`
}

// Reindex rebuilds one tenant's documents from the database: it writes
// every document the database holds for the tenant, deletes those the
// index holds under the tenant that the database does not, and verifies
// the result. The outbox is left alone: entries still pending are
// delivered later, from the same database, to the same end.
func Reindex(ctx context.Context, db *store.DB, idx Index, src Source, prefix, tenant string, batch int) (*ReindexReport, error) {
	start := time.Now()
	if batch <= 0 {
		batch = 500
	}
	rep := &ReindexReport{Tenant: tenant, Failures: []ItemFailure{}}
	var buf []Document
	flush := func() error {
		if len(buf) == 0 {
			return nil
		}
		res, err := idx.Bulk(ctx, buf)
		if err != nil {
			return err
		}
		if len(res) != len(buf) {
			return fmt.Errorf("the index answered %d items for %d documents", len(res), len(buf))
		}
		for i, r := range res {
			switch {
			case r.OK(buf[i].Deleted()) && buf[i].Deleted():
				rep.Deleted++
			case r.OK(false):
				rep.Written++
			default:
				rep.Failed++
				if len(rep.Failures) < maxReportedFailures {
					rep.Failures = append(rep.Failures, ItemFailure{Entity: buf[i].Index, Key: buf[i].ID, Status: r.Status, Error: r.Error})
				}
			}
		}
		buf = buf[:0]
		return nil
	}
	for _, spec := range src.Indexes() {
		name := prefix + spec.Name
		if err := idx.EnsureIndex(ctx, name, spec.Mapping); err != nil {
			return nil, fmt.Errorf("creating index %s: %w", name, err)
		}
		err := src.TenantDocuments(ctx, db, tenant, spec.Name, func(d Document) error {
			d.Index = name
			buf = append(buf, d)
			if len(buf) >= batch {
				return flush()
			}
			return nil
		})
		if err == nil {
			err = flush()
		}
		if err != nil {
			return nil, fmt.Errorf("writing %s: %w", name, err)
		}
		if err := idx.Refresh(ctx, name); err != nil {
			return nil, err
		}
		// What the index holds under the tenant and the database does
		// not: deleted once the walk is over (deleting during it would
		// move the pages it reads).
		var stale []Document
		err = walk(ctx, db, idx, src, spec, name, tenant, func(d *Document, h *Hit) error {
			if d == nil {
				stale = append(stale, Document{Index: name, ID: h.ID})
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		for len(stale) > 0 {
			n := min(batch, len(stale))
			buf = append(buf, stale[:n]...)
			stale = stale[n:]
			if err := flush(); err != nil {
				return nil, fmt.Errorf("deleting stale %s documents: %w", name, err)
			}
		}
	}
	v, err := Verify(ctx, db, idx, src, prefix, tenant)
	if err != nil {
		return nil, err
	}
	rep.Verify = v
	rep.Seconds = time.Since(start).Seconds()
	if rep.Failed > 0 {
		return rep, &PartialError{Failed: rep.Failed, Delivered: rep.Written + rep.Deleted}
	}
	if !v.OK {
		return rep, errors.New("the index still differs from the database after the reindex")
	}
	return rep, nil
}
