package registrar

import (
	"context"
	"fmt"
	"sync"

	"github.com/ferrymigrate/ferry/internal/store"
)

// domainFacts are what the load knows about each domain apart from its
// contacts: its statuses and derived state, and its enrichment (escrow
// dates, organisation, senior official, agency). They depend only on the
// scratch tables, so on PostgreSQL they are built on a second connection
// while the load's own transaction pairs domains with e-mails, and the
// server works on both at once. They go into unlogged tables there (a
// temporary table is visible to its own session only), committed before
// the load reads them and dropped by the load's transaction. On SQLite,
// which has one writer, they are temporary tables built in the load's own
// transaction when first needed.
type domainFacts struct {
	status, enrich string // table names
	build          func() error
	once           sync.Once
	err            error
	done           chan struct{} // closed when the side connection is finished; nil on SQLite
	cancel         context.CancelFunc
}

// sideStarted, when set (by a test), is called on the side connection
// before it builds anything: what that connection sees then is what its
// queries are planned with.
var sideStarted func(ctx context.Context, stx *store.Tx, jobID int64) error

// Unlogged tables for the facts built on the side on PostgreSQL. Only one
// load runs at a time (job groups), so fixed names are safe.
const (
	sideStatus = "load_facts_status"
	sideEnrich = "load_facts_enrich"
)

func (s *Service) domainFacts(ctx context.Context, tx *store.Tx, id int64, enrich bool) (*domainFacts, error) {
	d := tx.Dialect()
	if d != store.Postgres {
		f := &domainFacts{status: "ferry_status", enrich: "ferry_enrich"}
		f.build = func() error {
			create := func(name, query string, indexCols ...string) error {
				return tempTable(ctx, tx, id, name, query, nil, indexCols...)
			}
			return buildFacts(d, create, f, enrich, "ferry_pair")
		}
		return f, nil
	}
	f := &domainFacts{status: sideStatus, enrich: sideEnrich, done: make(chan struct{})}
	side, cancel := context.WithCancel(ctx)
	f.cancel = cancel
	var sideErr error
	go func() {
		defer close(f.done)
		sideErr = s.DB.InTx(side, func(stx *store.Tx) error {
			if err := stx.ForBulk(side); err != nil {
				return err
			}
			if sideStarted != nil {
				if err := sideStarted(side, stx, id); err != nil {
					return err
				}
			}
			create := func(name, query string, _ ...string) error {
				if _, err := stx.Exec(side, `DROP TABLE IF EXISTS `+name); err != nil {
					return err
				}
				if _, err := execJob(side, stx, id, `CREATE UNLOGGED TABLE `+name+` AS `+query); err != nil {
					return fmt.Errorf("building %s: %w", name, err)
				}
				return stx.Analyze(side, name)
			}
			return buildFacts(d, create, f, enrich, `load_domain_contact WHERE job_id = @job`)
		})
	}()
	f.build = func() error {
		<-f.done
		return sideErr
	}
	return f, nil
}

// buildFacts creates the status table and, when the enrichment files were
// given, the enrichment table, for the domain names in domains (what
// follows FROM: a table, with a WHERE clause if need be).
func buildFacts(d store.Dialect, create func(name, query string, indexCols ...string) error, f *domainFacts, enrich bool, domains string) error {
	// Statuses: every raw status kept, the state derived by precedence (decision 1).
	if err := create(f.status, `SELECT domain_name, `+d.StringAgg("status")+` AS statuses,
		CASE WHEN max(CASE WHEN status IN ('hold','serverhold','clienthold') THEN 1 ELSE 0 END) = 1 THEN 'on hold'
		     WHEN min(CASE WHEN status = 'unknown' THEN 1 ELSE 0 END) = 1 THEN 'unknown'
		     ELSE 'ready' END AS state
		FROM load_domain_status WHERE job_id = @job GROUP BY domain_name`, "domain_name"); err != nil {
		return err
	}
	if !enrich {
		return nil
	}
	return create(f.enrich, `SELECT dn.domain_name,
		CASE WHEN t.active THEN NULLIF(t.org_type, '') END AS generic_org_type,
		CASE WHEN t.active THEN NULLIF(t.federal_type, '') END AS federal_type,
		NULLIF(o.name, '') AS organization_name,
		CASE WHEN ag.active THEN NULLIF(ag.name, '') END AS federal_agency,
		au.first_name, au.middle_name, au.last_name, au.email, au.phone,
		e.created AS epp_creation_date, e.expires AS epp_expiration_date,
		a.domain_name AS has_additional, e.domain_name AS has_escrow,
		t.type_id AS type_found, t.active AS type_active, ag.active AS agency_active, ag.federal AS agency_federal,
		ag.name AS agency_name
		FROM (SELECT DISTINCT domain_name FROM `+domains+`) dn
		LEFT JOIN `+lastPerKey(d, "load_additional", "domain_name", "domain_name, domain_type_id, authority_id, org_id")+` a ON a.domain_name = dn.domain_name
		LEFT JOIN `+lastPerKey(d, "load_domain_type", "type_id", "type_id, org_type, federal_type, active")+` t ON t.type_id = a.domain_type_id
		LEFT JOIN `+lastPerKey(d, "load_organization", "org_id", "org_id, name")+` o ON o.org_id = a.org_id
		LEFT JOIN `+lastPerKey(d, "load_authority", "authority_id", "authority_id, first_name, middle_name, last_name, email, phone, agency_id")+` au ON au.authority_id = a.authority_id
		LEFT JOIN `+lastPerKey(d, "load_agency", "agency_id", "agency_id, name, active, federal")+` ag ON ag.agency_id = au.agency_id
		LEFT JOIN `+lastPerKey(d, "load_escrow_domain", "domain_name", "domain_name, created, expires")+` e ON e.domain_name = dn.domain_name`,
		"domain_name")
}

// ready makes sure the facts exist: on SQLite it builds them, on
// PostgreSQL it waits for the side connection's commit.
func (f *domainFacts) ready() error {
	f.once.Do(func() { f.err = f.build() })
	return f.err
}

// close stops and waits for the side connection, if any, so that it never
// outlives the load's transaction.
func (f *domainFacts) close() {
	if f.done != nil {
		f.cancel()
		<-f.done
	}
}

// tables are the tables the facts live in, for the load to drop.
func (f *domainFacts) tables() []string { return []string{f.status, f.enrich} }
