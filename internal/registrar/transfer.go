package registrar

import (
	"context"
	"fmt"

	"github.com/ferrymigrate/ferry/internal/engine"
	"github.com/ferrymigrate/ferry/internal/store"
)

// TransferOptions configures Transfer.
type TransferOptions struct {
	// Limit transfers at most this many domains (with all their staging rows); 0 = all.
	Limit int64
	// DryRun does all the work in a transaction that is rolled back.
	DryRun bool
	// BatchSize is the number of domains per transaction; 0 = default.
	BatchSize int
	// Workers is how many batches may be in flight at once on PostgreSQL;
	// 0 = DefaultTransferWorkers. SQLite, --limit and dry runs use one.
	Workers int
}

// DefaultTransferBatch is the number of domains one transfer transaction
// carries: large enough for set-based SQL to pay off, small enough that a
// checkpoint is never far behind and that batches overlap well in the
// pipeline (runBatches). At 1M domains on PostgreSQL with two workers,
// 100,000 took 84 s, 50,000 took 98 s and 250,000 took 91 s.
const DefaultTransferBatch = 100_000

// TransferResult is the outcome of Transfer.
type TransferResult struct {
	JobID             int64        `json:"jobId"`
	Resumed           bool         `json:"resumed"`
	DryRun            bool         `json:"dryRun"`
	Domains           DomainCounts `json:"domains"`
	Invitations       InviteCounts `json:"invitations"`
	DomainInformation ObjectCounts `json:"domainInformation"`
	Contacts          ObjectCounts `json:"contacts"`
	StagingProcessed  int64        `json:"stagingRowsProcessed"`
	Report            Report       `json:"report"`
}

// add sums another batch's counts into r.
func (r *TransferResult) add(o TransferResult) {
	r.Domains.Created += o.Domains.Created
	r.Domains.Updated += o.Domains.Updated
	r.Domains.Unchanged += o.Domains.Unchanged
	r.Domains.Skipped += o.Domains.Skipped
	r.Invitations.Created += o.Invitations.Created
	r.Invitations.Existing += o.Invitations.Existing
	r.DomainInformation.add(o.DomainInformation)
	r.Contacts.add(o.Contacts)
	r.StagingProcessed += o.StagingProcessed
}

// DomainCounts counts domains by outcome. Skipped domains could not take the
// staged state; their staging rows stay unprocessed for a later run.
type DomainCounts struct {
	Created   int64 `json:"created"`
	Updated   int64 `json:"updated"`
	Unchanged int64 `json:"unchanged"`
	Skipped   int64 `json:"skipped"`
}

// InviteCounts counts invitations.
type InviteCounts struct {
	Created  int64 `json:"created"`
	Existing int64 `json:"existing"`
}

// ObjectCounts counts created and updated objects.
type ObjectCounts struct {
	Created   int64 `json:"created"`
	Updated   int64 `json:"updated"`
	Unchanged int64 `json:"unchanged"`
}

func (c *ObjectCounts) add(o ObjectCounts) {
	c.Created += o.Created
	c.Updated += o.Updated
	c.Unchanged += o.Unchanged
}

type transferCheckpoint struct {
	LastDomain string          `json:"lastDomain"`
	Result     *TransferResult `json:"result"`
}

// Transfer turns unprocessed staging rows into Domains, DomainInvitations,
// senior-official Contacts and DomainInformation, batch by batch, and marks
// the rows processed. Rerunning it finds nothing left and changes nothing.
func (s *Service) Transfer(ctx context.Context, opts TransferOptions) (res TransferResult, err error) {
	return s.transfer(ctx, nil, opts)
}

// startTransfer starts (or resumes) the transfer's job.
func (s *Service) startTransfer(ctx context.Context, parent *engine.Run, opts TransferOptions) (*engine.Run, error) {
	if opts.Limit < 0 || opts.BatchSize < 0 || opts.Workers < 0 {
		return nil, invalidf("the transfer's domain limit, batch size and workers must not be negative")
	}
	return s.Engine.Start(ctx, engine.Spec{
		Kind: "registrar.transfer", Group: jobGroup, Parent: parent, Resumable: !opts.DryRun, DryRun: opts.DryRun,
		Args: map[string]any{"limit": opts.Limit, "dryRun": opts.DryRun},
	})
}

// transferSteps is how many progress steps a transfer takes.
const transferSteps = 2

func (s *Service) transfer(ctx context.Context, parent *engine.Run, opts TransferOptions) (res TransferResult, err error) {
	if opts.BatchSize <= 0 {
		opts.BatchSize = DefaultTransferBatch
	}
	run, err := s.startTransfer(ctx, parent, opts)
	if err != nil {
		return res, err
	}
	run.PlanSteps(transferSteps)
	defer func() {
		if ferr := run.Finish(ctx, res, err); ferr != nil && err == nil {
			err = ferr
		}
	}()
	if opts.DryRun {
		err = run.DryRun(ctx, func(tx *store.Tx) error {
			var err error
			res, err = s.transferIn(ctx, tx, run, opts)
			return err
		})
		return res, err
	}
	res.JobID, res.Resumed = run.Job.ID, run.Resumed
	var cp transferCheckpoint
	if err := run.LoadCheckpoint(&cp); err != nil {
		return res, err
	}
	if cp.Result != nil {
		res = *cp.Result
		res.JobID, res.Resumed, res.DryRun = run.Job.ID, true, false
	}

	// The staging table was just bulk-loaded; fresh statistics keep the
	// batch queries on their indexes.
	if err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		return tx.Analyze(ctx, append([]string{"transition_domain"}, transferTargets...)...)
	}); err != nil {
		return res, err
	}
	if err := run.SetPhase(ctx, "plan"); err != nil {
		return res, err
	}
	plan := run.Phase("plan batches", "", 0)
	batches, err := newBatcher(ctx, s.DB, opts, cp.LastDomain)
	plan.End(err)
	if err != nil {
		return res, err
	}
	if err := run.SetPhase(ctx, "transfer"); err != nil {
		return res, err
	}
	tracker := run.Phase("transfer domains", "domains", batches.total)
	err = s.runBatches(ctx, run, opts, batches, &res, tracker)
	tracker.End(err)
	if err != nil {
		return res, engine.AsInterruption(ctx, err)
	}
	res.Report, err = loadReport(ctx, s.DB, run.Job.ID)
	return res, err
}

// transferTargets are the tables the transfer fills.
var transferTargets = []string{"domain", "domain_invitation", "domain_information", "contact"}

// analyzeAfterFirst refreshes the targets' statistics once the first batch
// has filled them. Tables that were empty at the start are not any more;
// the planner scales statistics by a table's current size, so one sample
// with rows in it keeps every later batch's plans sound.
func analyzeAfterFirst(ctx context.Context, tx *store.Tx, b batchRange) error {
	if b.no != 1 {
		return nil
	}
	return tx.Analyze(ctx, transferTargets...)
}

// transferIn does the whole transfer, every batch, in tx, for a dry run:
// the caller rolls it back. Everything it did goes, its findings included;
// they are reported from inside the transaction first.
func (s *Service) transferIn(ctx context.Context, tx *store.Tx, run *engine.Run, opts TransferOptions) (res TransferResult, err error) {
	if opts.BatchSize <= 0 {
		opts.BatchSize = DefaultTransferBatch
	}
	res.JobID, res.DryRun = run.Job.ID, true
	if err := tx.ForBulk(ctx); err != nil {
		return res, err
	}
	if err := tx.Analyze(ctx, append([]string{"transition_domain"}, transferTargets...)...); err != nil {
		return res, err
	}
	plan := run.Phase("plan batches", "", 0)
	batches, err := newBatcherIn(ctx, tx, opts, "")
	plan.End(err)
	if err != nil {
		return res, err
	}
	tracker := run.Phase("transfer domains", "domains", batches.total)
	var done int64
	for {
		b, err := batches.next(ctx, tx, done)
		if err != nil {
			tracker.End(err)
			return res, engine.AsInterruption(ctx, err)
		}
		if b.n == 0 {
			break
		}
		moved, err := s.transferBatch(ctx, tx, run, b, &res, nil)
		if err == nil {
			err = analyzeAfterFirst(ctx, tx, b)
		}
		if err != nil {
			tracker.End(err)
			return res, engine.AsInterruption(ctx, err)
		}
		done += moved
		tracker.Update(done, done)
	}
	tracker.End(nil)
	res.Report, err = loadReport(ctx, tx, run.Job.ID)
	return res, err
}

// batchDomains is one row per domain of the batch (lo, hi]: the newest
// load's status, the non-empty value max() picks for the rest, and how
// many of its rows carry an e-mail. PostgreSQL numbers each domain's rows
// with a window function. SQLite's window functions sort the rows again although the
// index already delivers them by domain; a bare column beside max(),
// which SQLite documents to come from the row holding the maximum, finds
// the newest row with a plain GROUP BY instead.
func batchDomains(d store.Dialect, lo, hi string) (string, []any) {
	const others = `max(epp_expiration_date) AS exp, max(epp_creation_date) AS created,
		max(organization_name) AS organization_name, max(generic_org_type) AS generic_org_type,
		max(federal_type) AS federal_type, max(federal_agency) AS federal_agency,
		max(first_name) AS first_name, max(middle_name) AS middle_name, max(last_name) AS last_name,
		max(email) AS email, max(phone) AS phone, count(CASE WHEN username <> '' THEN 1 END) AS with_email`
	const rows = `FROM transition_domain WHERE NOT processed AND domain_name > ? AND domain_name <= ?`
	if d == store.SQLite {
		return `(SELECT a.domain_name, n.status, a.exp, a.created, a.organization_name, a.generic_org_type, a.federal_type,
			a.federal_agency, a.first_name, a.middle_name, a.last_name, a.email, a.phone, a.with_email
			FROM (SELECT domain_name, ` + others + ` ` + rows + ` GROUP BY domain_name) a
			JOIN (SELECT domain_name, status, max(COALESCE(job_id, 0) * 4294967296 + id) AS newest ` + rows + ` GROUP BY domain_name) n
			ON n.domain_name = a.domain_name)`, []any{lo, hi, lo, hi}
	}
	return `(SELECT domain_name, max(CASE WHEN rn = 1 THEN status END) AS status, ` + others + `
		FROM (SELECT domain_name, status, epp_expiration_date, epp_creation_date, organization_name, generic_org_type,
			federal_type, federal_agency, first_name, middle_name, last_name, email, phone, username,
			row_number() OVER (PARTITION BY domain_name ORDER BY job_id DESC, id DESC) AS rn
			` + rows + `) r
		GROUP BY domain_name)`, []any{lo, hi}
}

// orgTypeSQL maps the staging organisation type to DomainInformation's
// (section 4.2: exact, case-sensitive; anything else stays unset).
const orgTypeSQL = `CASE x.generic_org_type WHEN 'Federal' THEN 'federal' WHEN 'Interstate' THEN 'interstate'
	WHEN 'State' THEN 'state_or_territory' WHEN 'Tribal' THEN 'tribal' WHEN 'County' THEN 'county'
	WHEN 'City' THEN 'city' WHEN 'Independent Intrastate' THEN 'special_district' END`

const federalTypeSQL = `CASE x.federal_type WHEN 'Executive' THEN 'executive' WHEN 'Judicial' THEN 'judicial'
	WHEN 'Legislative' THEN 'legislative' END`

// transferBatch transfers the domains of one batch and returns how many it
// moved (the rest were skipped). Its first half touches only the batch's
// own domains; before the second half, which creates and fills contacts
// that batches share, it calls wait, if set (see runBatches).
func (s *Service) transferBatch(ctx context.Context, tx *store.Tx, run *engine.Run, b batchRange, res *TransferResult, wait func() error) (moved int64, err error) {
	d := tx.Dialect()
	jobID := run.Job.ID
	// The staging rows of one domain share its status and enrichment; if
	// rows from different loads disagree, the newest load's status wins and
	// max() picks a non-empty value for the rest.
	// A domain the registrar already has keeps its state when the staged
	// status is "unknown" (decision 5); a domain in a state the hold
	// transitions cannot leave (dns needed, deleted) is skipped and its rows
	// stay unprocessed, as in the reference.
	lo, hi, n := b.lo, b.hi, b.n
	domains, domainArgs := batchDomains(d, lo, hi)
	// A domain to create gets its id here, so nothing has to read the ids
	// back after the insert.
	newID, err := tx.NewIDs(ctx, "domain", "id")
	if err != nil {
		return 0, err
	}
	err = tempTable(ctx, tx, jobID, "ferry_xfer", `SELECT b.*, CASE WHEN dm.id IS NULL THEN `+newID+` ELSE dm.id END AS domain_id, dm.state AS old_state,
		dm.expiration_date AS old_exp, dm.registry_created_at AS old_created,
		CASE WHEN dm.id IS NULL THEN 'create'
		     WHEN b.status = dm.state THEN 'keep'
		     WHEN b.status = 'unknown' THEN 'keep_unknown'
		     WHEN dm.state IN ('ready', 'on hold', 'unknown') THEN 'transition'
		     ELSE 'blocked' END AS action
		FROM `+domains+` b
		LEFT JOIN domain dm ON dm.name = b.domain_name`, domainArgs, "domain_name", "domain_id")
	if err != nil {
		return 0, err
	}

	// Domains. The new values are computed once, in SQL, and compared with
	// the old ones so that "updated" counts only real changes.
	newState := `CASE WHEN action = 'transition' THEN status ELSE old_state END`
	changed := `action IN ('keep', 'keep_unknown', 'transition') AND (` + newState + ` <> old_state
		OR COALESCE(exp, old_exp) IS DISTINCT FROM old_exp OR COALESCE(created, old_created) IS DISTINCT FROM old_created)`
	if _, err := addJournal(ctx, tx, run, `SELECT 'domain', domain_name, 'update',
		`+d.JSONObject("state", "old_state", "expirationDate", "old_exp", "registryCreatedAt", "old_created")+`,
		`+d.JSONObject("state", newState, "expirationDate", "COALESCE(exp, old_exp)", "registryCreatedAt", "COALESCE(created, old_created)")+`
		FROM ferry_xfer WHERE `+changed); err != nil {
		return 0, err
	}
	updated, err := execJob(ctx, tx, jobID, `UPDATE domain SET state = CASE WHEN x.action = 'transition' THEN x.status ELSE x.old_state END,
		expiration_date = COALESCE(x.exp, x.old_exp), registry_created_at = COALESCE(x.created, x.old_created), updated_at = @now
		FROM ferry_xfer x WHERE domain.id = x.domain_id AND x.action IN ('keep', 'keep_unknown', 'transition')
		AND (CASE WHEN x.action = 'transition' THEN x.status ELSE x.old_state END <> x.old_state
		  OR COALESCE(x.exp, x.old_exp) IS DISTINCT FROM x.old_exp OR COALESCE(x.created, x.old_created) IS DISTINCT FROM x.old_created)`)
	if err != nil {
		return 0, err
	}
	created, err := execJob(ctx, tx, jobID, `INSERT INTO domain (id, name, state, expiration_date, registry_created_at, job_id, created_at, updated_at)
		`+d.OverridingSystemValue()+` SELECT domain_id, domain_name, status, exp, created, @job, @now, @now FROM ferry_xfer WHERE action = 'create'`)
	if err != nil {
		return 0, err
	}
	var blocked, existing int64
	if err := tx.QueryRow(ctx, `SELECT count(CASE WHEN action = 'blocked' THEN 1 END),
		count(CASE WHEN action NOT IN ('create', 'blocked') THEN 1 END) FROM ferry_xfer`).Scan(&blocked, &existing); err != nil {
		return 0, err
	}
	res.Domains.Created += created
	res.Domains.Updated += updated
	res.Domains.Skipped += blocked
	res.Domains.Unchanged += n - created - updated - blocked

	// Invitations: one per lowercased e-mail and domain, existing domains included.
	pairsOf := `FROM transition_domain t JOIN ferry_xfer x ON x.domain_name = t.domain_name
		WHERE t.domain_name > ? AND t.domain_name <= ? AND NOT t.processed AND t.username <> '' AND x.action <> 'blocked'`
	const insertInvites = `INSERT INTO domain_invitation (email, domain_id, status, job_id, created_at, updated_at) `
	if existing == 0 {
		// Every domain the batch moves is new (a first migration; blocked
		// domains are left alone): none has an invitation yet, so the pairs
		// go straight into the table, with no intermediate copy and no
		// lookup. The GROUP BY removes duplicates and sorts in one pass.
		invited, err := execJob(ctx, tx, jobID, insertInvites+`SELECT `+d.Lower("t.username")+`, x.domain_id, 'invited', @job, @now, @now
			`+pairsOf+` GROUP BY `+d.Lower("t.username")+`, x.domain_id ORDER BY `+d.Lower("t.username")+`, x.domain_id`, lo, hi)
		if err != nil {
			return 0, fmt.Errorf("creating invitations: %w", err)
		}
		res.Invitations.Created += invited
	} else {
		// Existing invitations are found first, so the insert needs neither
		// conflict handling nor an anti-join against the table it fills.
		// Only the domains that existed before the batch are looked up.
		if err := tempTable(ctx, tx, jobID, "ferry_invite", `SELECT p.email, p.domain_id,
			CASE WHEN p.existed THEN (SELECT i.id FROM domain_invitation i WHERE i.email = p.email AND i.domain_id = p.domain_id) END AS invitation_id
			FROM (SELECT DISTINCT `+d.Lower("t.username")+` AS email, x.domain_id, x.action <> 'create' AS existed `+pairsOf+`) p`, []any{lo, hi}); err != nil {
			return 0, err
		}
		var pairCount int64
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM ferry_invite`).Scan(&pairCount); err != nil {
			return 0, err
		}
		invited, err := execJob(ctx, tx, jobID, insertInvites+`SELECT email, domain_id, 'invited', @job, @now, @now
			FROM ferry_invite WHERE invitation_id IS NULL ORDER BY email, domain_id`)
		if err != nil {
			return 0, fmt.Errorf("creating invitations: %w", err)
		}
		res.Invitations.Created += invited
		res.Invitations.Existing += pairCount - invited
	}

	if wait != nil {
		if err := wait(); err != nil {
			return 0, err
		}
	}
	if err := s.transferInformation(ctx, tx, run, existing == 0, res); err != nil {
		return 0, err
	}

	if _, err := addFindings(ctx, tx, run, `SELECT CASE action WHEN 'blocked' THEN 'transition_not_allowed' ELSE 'unknown_status_kept' END,
		domain_name, old_state || ' -> ' || status FROM ferry_xfer WHERE action IN ('blocked', 'keep_unknown')`); err != nil {
		return 0, err
	}
	// A domain with an e-mail among its staging rows in this batch has an
	// invitation now, and one created by this batch has none otherwise;
	// only the other existing domains need a look at the invitation table.
	if _, err := addFindings(ctx, tx, run, `SELECT 'domain_without_invitation', x.domain_name, '' FROM ferry_xfer x
		WHERE x.action <> 'blocked' AND x.with_email = 0
		AND (x.action = 'create' OR NOT EXISTS (SELECT 1 FROM domain_invitation i WHERE i.domain_id = x.domain_id))`); err != nil {
		return 0, err
	}
	// Every unprocessed row of the range belongs to a domain of the batch;
	// only the blocked ones stay unprocessed.
	unblocked := ``
	if blocked > 0 {
		unblocked = `AND domain_name IN (SELECT domain_name FROM ferry_xfer WHERE action <> 'blocked')`
	}
	processed, err := execJob(ctx, tx, jobID, `UPDATE transition_domain SET processed = true, updated_at = @now
		WHERE domain_name > ? AND domain_name <= ? AND NOT processed `+unblocked, lo, hi)
	if err != nil {
		return 0, err
	}
	res.StagingProcessed += processed
	return n - blocked, dropTemps(ctx, tx, "ferry_xfer", "ferry_invite", "ferry_so", "ferry_info")
}

// transferInformation creates or fills each domain's senior-official
// Contact and DomainInformation. Existing values are never overwritten, and
// never with a blank (decision 6).
func (s *Service) transferInformation(ctx context.Context, tx *store.Tx, run *engine.Run, allNew bool, res *TransferResult) error {
	d := tx.Dialect()
	jobID := run.Job.ID
	if _, err := execJob(ctx, tx, jobID, `INSERT INTO registrar_user (username, email, created_at)
		SELECT ?, '', @now WHERE NOT EXISTS (SELECT 1 FROM registrar_user WHERE username = ?)`, systemUsername, systemUsername); err != nil {
		return err
	}
	var systemID int64
	if err := tx.QueryRow(ctx, `SELECT id FROM registrar_user WHERE username = ?`, systemUsername).Scan(&systemID); err != nil {
		return err
	}

	// Contacts are matched by e-mail, as in the reference; a senior official
	// without one gets a contact of its own domain.
	soKey := `CASE WHEN COALESCE(email, '') <> '' THEN ` + d.Lower("email") + ` ELSE 'domain:' || domain_name END`
	err := tempTable(ctx, tx, jobID, "ferry_so", `SELECT k.key, k.first_name, k.middle_name, k.last_name, k.email, k.phone, c.id AS contact_id FROM (
		SELECT `+soKey+` AS key, COALESCE(first_name, '') AS first_name, COALESCE(middle_name, '') AS middle_name,
		COALESCE(last_name, '') AS last_name, COALESCE(email, '') AS email, COALESCE(phone, '') AS phone,
		row_number() OVER (PARTITION BY `+soKey+` ORDER BY domain_name) AS rn
		FROM ferry_xfer WHERE action <> 'blocked'
		AND (COALESCE(first_name, '') <> '' OR COALESCE(last_name, '') <> '' OR COALESCE(email, '') <> '' OR COALESCE(phone, '') <> '')) k
		LEFT JOIN contact c ON c.migration_key = k.key
		WHERE k.rn = 1`, nil, "key")
	if err != nil {
		return err
	}
	created, err := execJob(ctx, tx, jobID, `INSERT INTO contact (first_name, middle_name, last_name, email, phone, migration_key, job_id, created_at, updated_at)
		SELECT first_name, middle_name, last_name, email, phone, key, @job, @now, @now FROM ferry_so
		WHERE contact_id IS NULL`)
	if err != nil {
		return err
	}
	fill := func(col string) string {
		return col + ` = CASE WHEN contact.` + col + ` = '' THEN so.` + col + ` ELSE contact.` + col + ` END`
	}
	fillable := func(col string) string { return `(contact.` + col + ` = '' AND so.` + col + ` <> '')` }
	updated, err := execJob(ctx, tx, jobID, `UPDATE contact SET `+fill("first_name")+`, `+fill("middle_name")+`, `+fill("last_name")+`, `+fill("phone")+`, updated_at = @now
		FROM ferry_so so WHERE contact.id = so.contact_id
		AND (`+fillable("first_name")+` OR `+fillable("middle_name")+` OR `+fillable("last_name")+` OR `+fillable("phone")+`)`)
	if err != nil {
		return err
	}
	res.Contacts.Created += created
	res.Contacts.Updated += updated

	// Target DomainInformation per domain. The agency is matched by name,
	// case-insensitively, against the agency file, and only an active
	// federal agency is a "federal agency" (decision 7).
	info := `SELECT x.domain_id, NULLIF(x.organization_name, '') AS organization_name,
		` + orgTypeSQL + ` AS generic_org_type, ` + federalTypeSQL + ` AS federal_type,
		fa.name AS federal_agency, c.id AS senior_official_id,
		CASE WHEN x.action <> 'create' THEN (SELECT di.id FROM domain_information di WHERE di.domain_id = x.domain_id) END AS info_id
		FROM ferry_xfer x
		LEFT JOIN federal_agency fa ON lower(fa.name) = lower(x.federal_agency) AND fa.active AND fa.federal
		LEFT JOIN contact c ON c.migration_key = CASE WHEN COALESCE(x.email, '') <> '' THEN ` + d.Lower("x.email") + ` ELSE 'domain:' || x.domain_name END
		WHERE x.action <> 'blocked'`
	const insertInfo = `INSERT INTO domain_information (domain_id, requester_id, senior_official_id,
		organization_name, generic_org_type, federal_type, federal_agency, job_id, created_at, updated_at)
		SELECT i.domain_id, CAST(? AS bigint), i.senior_official_id, i.organization_name, i.generic_org_type, i.federal_type, i.federal_agency, @job, @now, @now
		FROM `
	if allNew {
		// Domains created by this batch have no DomainInformation to fill:
		// the rows go straight in, with no intermediate copy.
		infoCreated, err := execJob(ctx, tx, jobID, insertInfo+`(`+info+`) i ORDER BY i.domain_id`, systemID)
		res.DomainInformation.Created += infoCreated
		return err
	}
	if err := tempTable(ctx, tx, jobID, "ferry_info", info, nil, "domain_id"); err != nil {
		return err
	}
	infoCreated, err := execJob(ctx, tx, jobID, insertInfo+`ferry_info i WHERE i.info_id IS NULL ORDER BY i.domain_id`, systemID)
	if err != nil {
		return err
	}
	empty := func(col string) string { return `COALESCE(di.` + col + `, '') = ''` }
	gaps := `((` + empty("organization_name") + ` AND i.organization_name IS NOT NULL)
		OR (` + empty("generic_org_type") + ` AND i.generic_org_type IS NOT NULL)
		OR (` + empty("federal_type") + ` AND i.federal_type IS NOT NULL)
		OR (` + empty("federal_agency") + ` AND i.federal_agency IS NOT NULL)
		OR (di.senior_official_id IS NULL AND i.senior_official_id IS NOT NULL))`
	if _, err := addJournal(ctx, tx, run, `SELECT 'domain_information', dm.name, 'update',
		`+d.JSONObject("organizationName", "di.organization_name", "genericOrgType", "di.generic_org_type", "federalType", "di.federal_type", "federalAgency", "di.federal_agency", "seniorOfficialId", "di.senior_official_id")+`,
		`+d.JSONObject("organizationName", "COALESCE(NULLIF(di.organization_name, ''), i.organization_name)", "genericOrgType", "COALESCE(NULLIF(di.generic_org_type, ''), i.generic_org_type)",
		"federalType", "COALESCE(NULLIF(di.federal_type, ''), i.federal_type)", "federalAgency", "COALESCE(NULLIF(di.federal_agency, ''), i.federal_agency)",
		"seniorOfficialId", "COALESCE(di.senior_official_id, i.senior_official_id)")+`
		FROM domain_information di JOIN ferry_info i ON i.domain_id = di.domain_id JOIN domain dm ON dm.id = di.domain_id
		WHERE di.job_id IS DISTINCT FROM @job AND `+gaps); err != nil {
		return err
	}
	set := func(col string) string { return col + ` = COALESCE(NULLIF(di.` + col + `, ''), i.` + col + `)` }
	infoUpdated, err := execJob(ctx, tx, jobID, `UPDATE domain_information AS di SET `+set("organization_name")+`, `+set("generic_org_type")+`,
		`+set("federal_type")+`, `+set("federal_agency")+`, senior_official_id = COALESCE(di.senior_official_id, i.senior_official_id), updated_at = @now
		FROM ferry_info i WHERE di.domain_id = i.domain_id AND di.job_id IS DISTINCT FROM @job AND `+gaps)
	if err != nil {
		return err
	}
	var infos int64
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM ferry_info`).Scan(&infos); err != nil {
		return err
	}
	res.DomainInformation.Created += infoCreated
	res.DomainInformation.Updated += infoUpdated
	res.DomainInformation.Unchanged += infos - infoCreated - infoUpdated
	return nil
}
