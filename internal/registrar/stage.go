package registrar

import (
	"context"
	"fmt"
	"strings"

	"github.com/ferrymigrate/ferry/internal/engine"
	"github.com/ferrymigrate/ferry/internal/store"
)

// The staging build is a handful of set-based statements over the scratch
// tables. Temporary tables hold the intermediate sets so each statement
// stays simple and both engines plan it well.

// recognisedStatuses are the EPP statuses with a defined mapping (section
// 4.1); anything else is an outlier (decision 1).
const recognisedStatuses = `('hold','serverhold','clienthold','created','ok','unknown')`

// lastPerKey selects, per key, the row read last: in the reference the
// header files become maps, so a repeated id means the last row wins.
// Each engine gets the form it runs fastest: PostgreSQL's DISTINCT ON is
// one sort and is estimated from the key's statistics (a row_number() = 1
// filter is guessed at 0.5% of the rows); SQLite documents that a bare
// column beside max() comes from the row holding the maximum, which needs
// no window function at all.
func lastPerKey(d store.Dialect, table, key, cols string) string {
	if d == store.SQLite {
		return `(SELECT ` + cols + ` FROM (SELECT ` + cols + `, max(line) AS last_line FROM ` + table + `
		WHERE job_id = @job GROUP BY ` + key + `))`
	}
	return `(SELECT DISTINCT ON (` + key + `) ` + cols + ` FROM ` + table + ` WHERE job_id = @job ORDER BY ` + key + `, line DESC)`
}

// bindJob turns each @job into a placeholder bound to the job id, and each
// @now into the database's current time, keeping the other arguments in
// their textual order. The id is cast because PostgreSQL cannot infer the
// type of a parameter in a select list.
func bindJob(d store.Dialect, q string, jobID int64, args []any) (string, []any) {
	var b strings.Builder
	all := make([]any, 0, len(args)+4)
	next := 0
	for i := 0; i < len(q); i++ {
		switch {
		case strings.HasPrefix(q[i:], "@job"):
			b.WriteString("CAST(? AS bigint)")
			all = append(all, jobID)
			i += len("@job") - 1
		case strings.HasPrefix(q[i:], "@now"):
			b.WriteString(d.Now())
			i += len("@now") - 1
		case q[i] == '?':
			b.WriteByte('?')
			if next < len(args) {
				all = append(all, args[next])
				next++
			}
		default:
			b.WriteByte(q[i])
		}
	}
	return b.String(), all
}

// execJob runs a statement with @job standing for the job id.
func execJob(ctx context.Context, tx *store.Tx, jobID int64, q string, args ...any) (int64, error) {
	bound, all := bindJob(tx.Dialect(), q, jobID, args)
	n, err := tx.Exec(ctx, bound, all...)
	if err != nil {
		return n, fmt.Errorf("%s: %w", store.StatementName(q), err)
	}
	return n, nil
}

// addFindings records the findings q selects (kind, subject, detail), with
// @job and @now bound as in execJob.
func addFindings(ctx context.Context, tx *store.Tx, run *engine.Run, q string, args ...any) (int64, error) {
	bound, all := bindJob(tx.Dialect(), q, run.Job.ID, args)
	n, err := run.AddFindings(ctx, tx, bound, all...)
	if err != nil {
		return n, fmt.Errorf("%s: %w", store.StatementName(q), err)
	}
	return n, nil
}

// addJournal records the changes q selects (entity, key, action, before,
// after) before the statement that makes them.
func addJournal(ctx context.Context, tx *store.Tx, run *engine.Run, q string, args ...any) (int64, error) {
	bound, all := bindJob(tx.Dialect(), q, run.Job.ID, args)
	n, err := run.JournalFrom(ctx, tx, bound, all...)
	if err != nil {
		return n, fmt.Errorf("%s: %w", store.StatementName(q), err)
	}
	return n, nil
}

func tempTable(ctx context.Context, tx *store.Tx, jobID int64, name, query string, args []any, indexCols ...string) error {
	if _, err := tx.Exec(ctx, `DROP TABLE IF EXISTS `+name); err != nil {
		return err
	}
	if _, err := execJob(ctx, tx, jobID, `CREATE TEMP TABLE `+name+` AS `+query, args...); err != nil {
		return fmt.Errorf("building %s: %w", name, err)
	}
	if tx.Dialect() == store.SQLite {
		// SQLite has no hash join; an index turns the later joins from
		// quadratic scans into lookups.
		for i, c := range indexCols {
			if _, err := tx.Exec(ctx, `CREATE INDEX `+name+`_i`+string(rune('0'+i))+` ON `+name+` (`+c+`)`); err != nil {
				return err
			}
		}
	} else {
		if _, err := tx.Exec(ctx, `ANALYZE `+name); err != nil {
			return err
		}
	}
	return nil
}

func dropTemps(ctx context.Context, tx *store.Tx, names ...string) error {
	for _, n := range names {
		if _, err := tx.Exec(ctx, `DROP TABLE IF EXISTS `+n); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) applyStaging(ctx context.Context, tx *store.Tx, run *engine.Run, files Files, res *LoadResult) error {
	d := tx.Dialect()
	id := run.Job.ID
	if d == store.SQLite {
		for _, ix := range []string{
			`CREATE INDEX IF NOT EXISTS load_contact_i ON load_contact (job_id, contact_id)`,
			`CREATE INDEX IF NOT EXISTS load_domain_status_i ON load_domain_status (job_id, domain_name)`,
		} {
			if _, err := tx.Exec(ctx, ix); err != nil {
				return err
			}
		}
	}
	// Contacts: id → e-mail, last row wins. On SQLite the index covers the
	// e-mail too, so the joins below never visit the table itself.
	run.Note("contacts")
	if err := tempTable(ctx, tx, id, "ferry_contact", `SELECT * FROM `+lastPerKey(d, "load_contact", "contact_id", "contact_id, email")+` c`, nil, "contact_id, email"); err != nil {
		return err
	}
	enrich := files[KeyEscrow] != "" || files[KeyAdditional] != ""
	res.Enriched = enrich
	facts, err := s.domainFacts(ctx, tx, id, enrich)
	if err != nil {
		return err
	}
	// However this transaction ends, the side connection is done with first.
	defer facts.close()
	// One staging row per distinct (domain, e-mail); roles and contact ids kept for audit.
	run.Note("pairing e-mails")
	if err := tempTable(ctx, tx, id, "ferry_pair", `SELECT dc.domain_name, COALESCE(c.email, '') AS username,
		COALESCE(`+d.StringAgg("NULLIF(dc.role, '')")+`, '') AS roles,
		`+d.StringAgg("dc.contact_id")+` AS contact_ids, count(*) AS nrows
		FROM load_domain_contact dc LEFT JOIN ferry_contact c ON c.contact_id = dc.contact_id
		WHERE dc.job_id = @job
		GROUP BY dc.domain_name, COALESCE(c.email, '')`, nil, "domain_name, username"); err != nil {
		return err
	}
	run.Note("statuses, enrichment")
	if err := facts.ready(); err != nil {
		return err
	}
	enrichCols := `NULL AS generic_org_type, NULL AS federal_type, NULL AS organization_name, NULL AS federal_agency,
		NULL AS first_name, NULL AS middle_name, NULL AS last_name, NULL AS email, NULL AS phone,
		` + d.Date("NULL") + ` AS epp_creation_date, ` + d.Date("NULL") + ` AS epp_expiration_date`
	enrichJoin := ``
	if enrich {
		enrichCols = `en.generic_org_type, en.federal_type, en.organization_name, en.federal_agency,
			en.first_name, en.middle_name, en.last_name, en.email, en.phone,
			` + d.Date("en.epp_creation_date") + ` AS epp_creation_date, ` + d.Date("en.epp_expiration_date") + ` AS epp_expiration_date`
		enrichJoin = `LEFT JOIN ` + facts.enrich + ` en ON en.domain_name = p.domain_name`
	}
	stageCols := `p.domain_name, p.username, p.roles, p.nrows,
		COALESCE(st.state, 'ready') AS status, COALESCE(st.statuses, '') AS epp_statuses, ` + enrichCols
	stageFrom := `ferry_pair p LEFT JOIN ` + facts.status + ` st ON st.domain_name = p.domain_name ` + enrichJoin
	var staged, pairs, rows, updated int64
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM (SELECT 1 FROM transition_domain LIMIT 1) x`).Scan(&staged); err != nil {
		return err
	}
	// Enrichment values only ever fill or replace with a value: a load
	// without the enrichment files keeps what an earlier load found.
	enrichSet := []string{"generic_org_type", "federal_type", "organization_name", "federal_agency",
		"first_name", "middle_name", "last_name", "email", "phone", "epp_creation_date", "epp_expiration_date"}
	stage := "ferry_stage"
	if staged == 0 {
		// A first load (or one after --reset) has nothing to compare with:
		// the rows go from the join straight into the staging table, with
		// no intermediate copy of them all.
		stage = `(SELECT ` + stageCols + `, NULL AS td_id FROM ` + stageFrom + `)`
		if err := tx.QueryRow(ctx, `SELECT count(*), COALESCE(sum(nrows), 0) FROM ferry_pair`).Scan(&pairs, &rows); err != nil {
			return err
		}
	} else {
		// td_id and td_processed say whether the pair is staged already, so
		// the insert below needs no conflict handling and no anti-join
		// against the table it fills (which PostgreSQL can plan as a rescan
		// per row).
		if err := tempTable(ctx, tx, id, "ferry_stage", `SELECT `+stageCols+`, td.id AS td_id, td.processed AS td_processed
			FROM `+stageFrom+`
			LEFT JOIN transition_domain td ON td.domain_name = p.domain_name AND td.username = p.username`,
			nil, "domain_name, username"); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `SELECT count(*), COALESCE(sum(nrows), 0), count(CASE WHEN td_processed THEN 1 END) FROM ferry_stage`).Scan(&pairs, &rows, &res.Processed); err != nil {
			return err
		}
		keep := func(c string) string { return `COALESCE(s.` + c + `, t.` + c + `)` }
		var set, differs []string
		for _, c := range enrichSet {
			set = append(set, c+` = `+keep(c))
			differs = append(differs, `t.`+c+` IS DISTINCT FROM `+keep(c))
		}
		var err error
		updated, err = execJob(ctx, tx, id, `UPDATE transition_domain AS t SET
			status = s.status, epp_statuses = s.epp_statuses, contact_roles = s.roles,
			`+strings.Join(set, ", ")+`, job_id = @job, updated_at = @now
			FROM ferry_stage AS s
			WHERE t.domain_name = s.domain_name AND t.username = s.username AND NOT t.processed
			AND (t.status <> s.status OR t.epp_statuses <> s.epp_statuses OR t.contact_roles <> s.roles OR
			`+strings.Join(differs, " OR ")+`)`)
		if err != nil {
			return err
		}
	}
	run.Note("staging rows")
	created, err := execJob(ctx, tx, id, `INSERT INTO transition_domain (username, domain_name, status, epp_statuses, contact_roles,
		email_sent, processed, `+strings.Join(enrichSet, ", ")+`, job_id, created_at, updated_at)
		SELECT s.username, s.domain_name, s.status, s.epp_statuses, s.roles, false, false, s.`+strings.Join(enrichSet, ", s.")+`, @job, @now, @now
		FROM `+stage+` s WHERE s.td_id IS NULL ORDER BY s.domain_name, s.username`)
	if err != nil {
		return err
	}
	var dcRejected int64
	for _, f := range res.Files {
		if f.Key == KeyDomainContacts {
			dcRejected = f.Rejected
		}
	}
	res.Duplicates = rows - pairs
	res.Unchanged = pairs - created - updated - res.Processed
	res.Rows = Counts{Read: rows + dcRejected, Created: created, Updated: updated,
		Skipped: res.Duplicates + res.Unchanged + res.Processed, Rejected: dcRejected}

	if files[KeyAgency] != "" {
		if res.Agencies, err = upsertAgencies(ctx, tx, id); err != nil {
			return err
		}
	}
	run.Note("findings")
	if err := s.stageFindings(ctx, tx, run, enrich, facts); err != nil {
		return err
	}
	return dropTemps(ctx, tx, append([]string{"ferry_contact", "ferry_pair", "ferry_stage"}, facts.tables()...)...)
}

// upsertAgencies keeps the agency file so the transfer can match agency
// names against it (decision 7).
func upsertAgencies(ctx context.Context, tx *store.Tx, id int64) (int64, error) {
	src := `(SELECT name, active, federal FROM (SELECT name, active, federal,
		row_number() OVER (PARTITION BY lower(name) ORDER BY line DESC) AS rn FROM load_agency WHERE job_id = @job AND name <> '') x WHERE rn = 1)`
	n, err := execJob(ctx, tx, id, `UPDATE federal_agency SET active = a.active, federal = a.federal
		FROM `+src+` a WHERE lower(federal_agency.name) = lower(a.name)
		AND (federal_agency.active <> a.active OR federal_agency.federal <> a.federal)`)
	if err != nil {
		return 0, err
	}
	m, err := execJob(ctx, tx, id, `INSERT INTO federal_agency (name, active, federal)
		SELECT a.name, a.active, a.federal FROM `+src+` a
		WHERE NOT EXISTS (SELECT 1 FROM federal_agency f WHERE lower(f.name) = lower(a.name))`)
	return n + m, err
}

// stageFindings records what the load noticed, per domain, without refusing it.
func (s *Service) stageFindings(ctx context.Context, tx *store.Tx, run *engine.Run, enrich bool, facts *domainFacts) error {
	qs := []string{
		// Decision 2: a contact without an e-mail keeps its row and is
		// reported, as is one missing from the contacts file: both from one
		// pass over the domain-contact rows. Only domains with a blank
		// e-mail pair can have either, so only their rows look the contact up.
		`SELECT DISTINCT CASE WHEN c.contact_id IS NULL THEN 'contact_missing' ELSE 'contact_without_email' END,
			dc.domain_name, dc.contact_id FROM load_domain_contact dc
			LEFT JOIN ferry_contact c ON c.contact_id = dc.contact_id WHERE dc.job_id = @job
			AND dc.domain_name IN (SELECT domain_name FROM ferry_pair WHERE username = '')
			AND (c.contact_id IS NULL OR c.email = '')`,
		`SELECT 'duplicate_contact', domain_name, contact_ids FROM ferry_pair WHERE nrows > 1`,
		// Decision 1: unrecognised statuses are reported, never dropped.
		// The unary plus keeps SQLite off the (job_id, domain_name) index,
		// which matches every row and would visit them in random order.
		`SELECT DISTINCT 'outlier_status', domain_name, status FROM load_domain_status
			WHERE +job_id = @job AND status NOT IN ` + recognisedStatuses,
		`SELECT DISTINCT 'domain_without_status', p.domain_name, '' FROM ferry_pair p
			LEFT JOIN ` + facts.status + ` st ON st.domain_name = p.domain_name WHERE st.domain_name IS NULL`,
	}
	if enrich {
		qs = append(qs,
			`SELECT 'missing_additional_data', domain_name, '' FROM `+facts.enrich+` WHERE has_additional IS NULL`,
			`SELECT 'missing_escrow_dates', domain_name, '' FROM `+facts.enrich+` WHERE has_escrow IS NULL`,
			`SELECT 'inactive_domain_type', domain_name, type_found FROM `+facts.enrich+` WHERE type_found IS NOT NULL AND NOT type_active`,
			`SELECT 'inactive_agency', domain_name, agency_name FROM `+facts.enrich+` WHERE agency_active IS NOT NULL AND NOT agency_active`,
			`SELECT 'non_federal_agency', domain_name, agency_name FROM `+facts.enrich+` WHERE agency_active AND NOT agency_federal`,
		)
	}
	for _, q := range qs {
		if _, err := addFindings(ctx, tx, run, q); err != nil {
			return err
		}
	}
	return nil
}

// loadReport summarises a job's findings: counts and the first samples.
func loadReport(ctx context.Context, q store.Querier, jobID int64) (Report, error) {
	counts, err := engine.FindingCounts(ctx, q, jobID)
	if err != nil {
		return nil, err
	}
	rep := Report{}
	for kind, n := range counts {
		samples, err := engine.Findings(ctx, q, jobID, kind, reportSamples)
		if err != nil {
			return nil, err
		}
		rep[kind] = ReportItem{Count: n, Samples: samples}
	}
	return rep, nil
}
