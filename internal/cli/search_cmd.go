package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ferrymigrate/ferry"
	"github.com/ferrymigrate/ferry/internal/search"
	"github.com/ferrymigrate/ferry/internal/search/elastic"
	"github.com/ferrymigrate/ferry/internal/search/opensearch"
	"github.com/ferrymigrate/ferry/internal/store"
	"github.com/ferrymigrate/ferry/internal/tenant"
)

// searchFlags say how to reach the index; ferry search and ferry serve
// share them.
type searchFlags struct {
	backend             backendFlag
	url, prefix, apiKey string
	username, password  string
	retries             int
}

// The search backends, as --search-backend names them.
const (
	backendElasticsearch = "elasticsearch"
	backendOpenSearch    = "opensearch"
)

// backendFlag is --search-backend: a name it does not know is refused as
// the flag (or FERRY_SEARCH_BACKEND) is read.
type backendFlag string

func (b *backendFlag) String() string { return string(*b) }
func (b *backendFlag) Type() string   { return "backend" }
func (b *backendFlag) Set(v string) error {
	switch v {
	case backendElasticsearch, backendOpenSearch:
		*b = backendFlag(v)
		return nil
	}
	return fmt.Errorf("the search backend is %s or %s, got %q", backendElasticsearch, backendOpenSearch, v)
}

func (f *searchFlags) add(cmd *cobra.Command) {
	f.backend = backendElasticsearch
	cmd.Flags().Var(&f.backend, "search-backend", "the search cluster's kind: elasticsearch (8/9) or opensearch (2)")
	cmd.Flags().StringVar(&f.url, "search-url", "", "the search cluster, e.g. http://127.0.0.1:9200; user:password@ in the URL for basic authentication")
	cmd.Flags().StringVar(&f.prefix, "search-prefix", "", "put before every index name, e.g. ferry- (indexes: user, org, course-batch, legacy-course-batch)")
	cmd.Flags().StringVar(&f.apiKey, "search-api-key", "", "an API key for the cluster (Elasticsearch only)")
	cmd.Flags().StringVar(&f.username, "search-username", "", "the user for basic authentication")
	cmd.Flags().StringVar(&f.password, "search-password", "", "the password for basic authentication")
	cmd.Flags().IntVar(&f.retries, "search-retries", 5, "times a request is sent again after a 429, a 502-504 or a transport error, waiting 0.25 s, then twice as long each time")
}

func (f *searchFlags) open() (search.Index, error) {
	if f.url == "" {
		return nil, usagef("give --search-url (or FERRY_SEARCH_URL)")
	}
	cl := search.Cluster{URLs: strings.Split(f.url, ","), Username: f.username, Password: f.password, Retries: f.retries}
	var ix search.Index
	var err error
	switch f.backend {
	case backendOpenSearch:
		if f.apiKey != "" {
			return nil, usagef("--search-api-key is for Elasticsearch: OpenSearch takes --search-username and --search-password (or user:password@ in --search-url)")
		}
		ix, err = opensearch.New(opensearch.Config{Cluster: cl})
	default:
		ix, err = elastic.New(elastic.Config{Cluster: cl, APIKey: f.apiKey})
	}
	if err != nil {
		return nil, ferry.Errorf(ferry.EINVALID, "the search URL: %v", err)
	}
	return ix, nil
}

// closeIndex releases what an index holds in the background, for the
// backends whose client has any.
func closeIndex(ix search.Index) {
	if c, ok := ix.(io.Closer); ok {
		_ = c.Close()
	}
}

// indexError gives a failure to reach the index its code.
func indexError(err error) error {
	if errors.Is(err, search.ErrUnavailable) {
		if strings.Contains(err.Error(), "server is not Elasticsearch") {
			// The Elasticsearch client refuses a server without its
			// product header, as OpenSearch is.
			return ferry.Errorf(ferry.EINDEX, "%v (for an OpenSearch cluster, give --search-backend opensearch)", err)
		}
		return ferry.Errorf(ferry.EINDEX, "%v", err)
	}
	var partial *search.PartialError
	if errors.As(err, &partial) {
		return conflictf("%v", err)
	}
	return err
}

func (a *app) searchCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "search",
		Short: "Keep the search index in step with the database",
		Long: `Every change a migration makes puts its user, organisation or course batch
in the outbox, in the change's transaction. ferry search sync delivers the
outbox to the index (ferry serve --search-url does it continuously);
verify compares a tenant's documents in the index with the database, and
reindex rebuilds them.`,
		Example: `  ferry search sync --search-url http://127.0.0.1:9200
  ferry search verify --tenant 01246375399411712074 --search-url http://127.0.0.1:9200
  ferry search sync --search-backend opensearch --search-url https://admin:PASSWORD@127.0.0.1:9200
  ferry serve --search-url http://127.0.0.1:9200`,
	}
	cmd.AddCommand(a.searchSyncCmd(), a.searchVerifyCmd(), a.searchReindexCmd())
	return cmd
}

// searchTenant checks a per-tenant search command's flags and opens the
// index and the database.
func (a *app) searchTenant(cmd *cobra.Command, sf *searchFlags, tenantID string) (search.Index, *store.DB, error) {
	if tenantID == "" {
		return nil, nil, usagef("give --tenant")
	}
	ix, err := sf.open()
	if err != nil {
		return nil, nil, err
	}
	db, err := a.open(cmd.Context())
	if err != nil {
		closeIndex(ix)
	}
	return ix, db, err
}

func (a *app) searchSyncCmd() *cobra.Command {
	var sf searchFlags
	var batch int
	var lease time.Duration
	cmd := &cobra.Command{
		Use:   "sync",
		Short: "Deliver the outbox to the search index, then stop",
		Long: `Claim the outbox's pending entries, build each entity's document from the
database once however often it was queued, and send them through the _bulk
API. An entry is marked delivered only after its item succeeded; one the
index refused stays pending with the reason and is tried again after a
backoff. Several syncs (and servers) may run at once: each takes other
entries. Exits 9 when the index refused items, 11 when it cannot be reached.`,
		Example: `  ferry search sync --search-url http://127.0.0.1:9200
  FERRY_SEARCH_URL=http://127.0.0.1:9200 ferry search sync --json`,
		Args: args(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ix, err := sf.open()
			if err != nil {
				return err
			}
			defer closeIndex(ix)
			db, err := a.open(cmd.Context())
			if err != nil {
				return err
			}
			sy := &search.Syncer{DB: db, Index: ix, Source: tenant.Documents{}, Prefix: sf.prefix, Batch: batch, Lease: lease, Log: a.log}
			st, err := sy.Drain(cmd.Context())
			if st.Failures == nil {
				st.Failures = []search.ItemFailure{}
			}
			if eerr := a.emit(st, func(w io.Writer) { printSync(w, st) }); eerr != nil {
				return eerr
			}
			if err != nil {
				return shown(indexError(err))
			}
			return nil
		},
	}
	sf.add(cmd)
	cmd.Flags().IntVar(&batch, "batch", 500, "outbox entries per bulk request")
	cmd.Flags().DurationVar(&lease, "lease", 2*time.Minute, "how long claimed entries stay this process's")
	return cmd
}

func printSync(w io.Writer, st search.SyncStats) {
	fmt.Fprintf(w, "delivered %s of %s outbox entries in %s bulk requests (%s documents, %s deletions), %s failed, in %.1f s\n",
		num(st.Delivered), num(st.Entries), num(st.Batches), num(st.Documents), num(st.Deleted), num(st.Failed), st.Seconds)
	if len(st.Failures) > 0 {
		t := newTable(w, "ENTITY", "KEY", "STATUS", "ERROR")
		for _, f := range st.Failures {
			t.row(f.Entity, f.Key, fmt.Sprint(f.Status), f.Error)
		}
		t.flush()
	}
}

func (a *app) searchVerifyCmd() *cobra.Command {
	var sf searchFlags
	var tenantID string
	cmd := &cobra.Command{
		Use:   "verify --tenant ID",
		Short: "Compare a tenant's documents in the index with the database",
		Long: `Walk the tenant's users, organisations and course batches in the database
and in the index side by side, in id order, and print the differences:
documents missing from the index, documents the index holds under the
tenant that the database does not (stale), and documents whose fields
differ. Exits 9 when there is any difference. Entries still in the outbox
show as differences until they are synced.`,
		Example: `  ferry search verify --tenant 01246375399411712074 --search-url http://127.0.0.1:9200`,
		Args:    args(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ix, db, err := a.searchTenant(cmd, &sf, tenantID)
			if err != nil {
				return err
			}
			defer closeIndex(ix)
			rep, err := search.Verify(cmd.Context(), db, ix, tenant.Documents{}, sf.prefix, tenantID)
			if err != nil {
				return indexError(err)
			}
			if err := a.emit(rep, func(w io.Writer) { printSearchVerify(w, rep) }); err != nil {
				return err
			}
			if !rep.OK {
				return shown(conflictf("the index differs from the database for tenant %s", tenantID))
			}
			return nil
		},
	}
	sf.add(cmd)
	cmd.Flags().StringVar(&tenantID, "tenant", "", "the tenant's root org id")
	return cmd
}

func printSearchVerify(w io.Writer, rep *search.VerifyReport) {
	t := newTable(w, "INDEX", "DATABASE#", "INDEX#", "MISSING#", "STALE#", "DIFFERENT#")
	for _, spec := range (tenant.Documents{}).Indexes() {
		if r := rep.Indexes[spec.Name]; r != nil {
			t.row(spec.Name, num(r.Database), num(r.Index), num(r.Missing), num(r.Stale), num(r.Different))
		}
	}
	t.flush()
	for _, d := range rep.Differences {
		fmt.Fprintf(w, "%s %s %s %s\n", d.Kind, d.Index, d.ID, strings.Join(d.Fields, ","))
	}
	if rep.Omitted > 0 {
		fmt.Fprintf(w, "and %s more differences\n", num(rep.Omitted))
	}
	if rep.OK {
		fmt.Fprintln(w, "ok: the index agrees with the database")
	} else {
		fmt.Fprintln(w, "not ok: the index differs from the database")
	}
}

func (a *app) searchReindexCmd() *cobra.Command {
	var sf searchFlags
	var tenantID string
	var batch int
	cmd := &cobra.Command{
		Use:   "reindex --tenant ID",
		Short: "Rebuild a tenant's documents in the index from the database",
		Long: `Write every document the database holds for the tenant, delete the ones the
index holds under the tenant that the database does not, then verify. The
database is only read; the outbox is left alone.`,
		Example: `  ferry search reindex --tenant 01246375399411712074 --search-url http://127.0.0.1:9200`,
		Args:    args(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ix, db, err := a.searchTenant(cmd, &sf, tenantID)
			if err != nil {
				return err
			}
			defer closeIndex(ix)
			rep, err := search.Reindex(cmd.Context(), db, ix, tenant.Documents{}, sf.prefix, tenantID, batch)
			if rep == nil {
				return indexError(err)
			}
			if eerr := a.emit(rep, func(w io.Writer) {
				fmt.Fprintf(w, "wrote %s documents, deleted %s stale ones, %s failed, in %.1f s\n", num(rep.Written), num(rep.Deleted), num(rep.Failed), rep.Seconds)
				if rep.Verify != nil {
					printSearchVerify(w, rep.Verify)
				}
			}); eerr != nil {
				return eerr
			}
			if err != nil {
				return shown(indexError(err))
			}
			return nil
		},
	}
	sf.add(cmd)
	cmd.Flags().StringVar(&tenantID, "tenant", "", "the tenant's root org id")
	cmd.Flags().IntVar(&batch, "batch", 500, "documents per bulk request")
	return cmd
}
