package registrar

import (
	"context"

	"github.com/ferrymigrate/ferry/internal/engine"
	"github.com/ferrymigrate/ferry/internal/store"
)

// OrgDataResult is the outcome of LoadOrganizationData.
type OrgDataResult struct {
	JobSummary
	// StagingUpdated counts staging rows whose address changed.
	StagingUpdated int64 `json:"stagingRowsUpdated"`
	// DomainInformation counts per domain.
	InformationUpdated   int64 `json:"domainInformationUpdated"`
	InformationUnchanged int64 `json:"domainInformationUnchanged"`
	UserEdited           int64 `json:"userEdited"`
	NoOrganizationData   int64 `json:"noOrganizationData"`
	MissingInformation   int64 `json:"missingDomainInformation"`
	UnmappableStates     int64 `json:"unmappableStates"`
}

// OrgDataOptions configures LoadOrganizationData.
type OrgDataOptions struct {
	// Files needs the domain additional data and organisation files.
	Files      Files
	Sep        rune
	MaxRejects int64
	OnReject   func(engine.Reject)
	DryRun     bool
}

// LoadOrganizationData backfills organisation addresses onto the staging
// rows and onto DomainInformation whose address is still entirely empty; an
// address a user entered is never touched. Full state names become USPS
// codes; a value that maps to no code is reported and left out, never
// truncated (decision 4).
func (s *Service) LoadOrganizationData(ctx context.Context, opts OrgDataOptions) (res OrgDataResult, err error) {
	files := Files{KeyAdditional: opts.Files[KeyAdditional], KeyOrganization: opts.Files[KeyOrganization]}
	if files[KeyAdditional] == "" || files[KeyOrganization] == "" {
		return res, inputErr("loading organisation data needs the %q and %q files (from the manifest, or named one by one)", KeyAdditional, KeyOrganization)
	}
	if err := files.checkExist(); err != nil {
		return res, err
	}
	if err := validLimits(0, opts.MaxRejects); err != nil {
		return res, err
	}
	lj := loadJob{
		kind: "registrar.load-organization-data", files: files, sep: opts.Sep, maxRejects: opts.MaxRejects, onReject: opts.OnReject,
		dryRun: opts.DryRun, args: map[string]any{"maxRejects": opts.MaxRejects}, apply: s.applyOrgData,
	}
	err = s.runLoad(ctx, lj, &res, &res.JobSummary, func() any { return &res })
	return res, err
}

func (s *Service) applyOrgData(ctx context.Context, tx *store.Tx, run *engine.Run, _ []FileStats) (any, error) {
	id := run.Job.ID
	d := tx.Dialect()
	var r OrgDataResult
	// The address of each domain: additional data → organisation. A zip
	// code too long for the 10-character column is reported like a state.
	err := tempTable(ctx, tx, id, "ferry_orgaddr", `SELECT a.domain_name, o.street, o.city, o.state_code, o.state_raw,
		CASE WHEN length(o.zip) <= 10 THEN o.zip END AS zip, o.zip AS zip_raw
		FROM `+lastPerKey(tx.Dialect(), "load_additional", "domain_name", "domain_name, org_id")+` a
		JOIN `+lastPerKey(tx.Dialect(), "load_organization", "org_id", "org_id, street, city, state_code, state_raw, zip")+` o ON o.org_id = a.org_id`,
		nil, "domain_name")
	if err != nil {
		return r, err
	}
	r.StagingUpdated, err = execJob(ctx, tx, id, `UPDATE transition_domain SET address_line = o.street, city = o.city,
		state_territory = o.state_code, zipcode = o.zip, updated_at = @now
		FROM ferry_orgaddr o WHERE transition_domain.domain_name = o.domain_name
		AND (transition_domain.address_line IS DISTINCT FROM o.street OR transition_domain.city IS DISTINCT FROM o.city
		  OR transition_domain.state_territory IS DISTINCT FROM o.state_code OR transition_domain.zipcode IS DISTINCT FROM o.zip)`)
	if err != nil {
		return r, err
	}

	// Per domain in staging: its DomainInformation and the address on offer.
	err = tempTable(ctx, tx, id, "ferry_addrdi", `SELECT t.domain_name, di.id AS info_id,
		di.address_line1, di.city, di.state_territory, di.zipcode,
		o.street, o.city AS new_city, o.state_code, o.zip,
		CASE WHEN di.id IS NULL THEN 'missing'
		     WHEN COALESCE(o.street, '') = '' AND COALESCE(o.city, '') = '' AND o.state_code IS NULL AND COALESCE(o.zip, '') = '' THEN 'no_data'
		     WHEN COALESCE(di.address_line1, '') = '' AND COALESCE(di.city, '') = '' AND COALESCE(di.state_territory, '') = '' AND COALESCE(di.zipcode, '') = '' THEN 'fill'
		     WHEN di.address_line1 IS NOT DISTINCT FROM o.street AND di.city IS NOT DISTINCT FROM o.city
		      AND di.state_territory IS NOT DISTINCT FROM o.state_code AND di.zipcode IS NOT DISTINCT FROM o.zip THEN 'same'
		     ELSE 'user_edited' END AS action
		FROM (SELECT DISTINCT domain_name FROM transition_domain) t
		LEFT JOIN ferry_orgaddr o ON o.domain_name = t.domain_name
		LEFT JOIN domain dm ON dm.name = t.domain_name
		LEFT JOIN domain_information di ON di.domain_id = dm.id`, nil, "info_id")
	if err != nil {
		return r, err
	}
	if _, err := addJournal(ctx, tx, run, `SELECT 'domain_information', domain_name, 'update',
		`+d.JSONObject("addressLine1", "address_line1", "city", "city", "stateTerritory", "state_territory", "zipcode", "zipcode")+`,
		`+d.JSONObject("addressLine1", "street", "city", "new_city", "stateTerritory", "state_code", "zipcode", "zip")+`
		FROM ferry_addrdi WHERE action = 'fill'`); err != nil {
		return r, err
	}
	r.InformationUpdated, err = execJob(ctx, tx, id, `UPDATE domain_information SET address_line1 = a.street, city = a.new_city,
		state_territory = a.state_code, zipcode = a.zip, updated_at = @now
		FROM ferry_addrdi a WHERE domain_information.id = a.info_id AND a.action = 'fill'`)
	if err != nil {
		return r, err
	}
	counts := []struct {
		query string
		n     *int64
	}{
		{`SELECT 'address_user_edited', domain_name, '' FROM ferry_addrdi WHERE action = 'user_edited'`, &r.UserEdited},
		{`SELECT 'no_organization_data', domain_name, '' FROM ferry_addrdi WHERE action = 'no_data'`, &r.NoOrganizationData},
		{`SELECT 'missing_domain_information', domain_name, '' FROM ferry_addrdi WHERE action = 'missing'`, &r.MissingInformation},
		{`SELECT 'unmappable_state', domain_name, state_raw FROM ferry_orgaddr WHERE state_code IS NULL AND state_raw <> ''
			AND domain_name IN (SELECT domain_name FROM transition_domain)`, &r.UnmappableStates},
		{`SELECT 'zip_too_long', domain_name, zip_raw FROM ferry_orgaddr WHERE zip IS NULL AND zip_raw IS NOT NULL
			AND domain_name IN (SELECT domain_name FROM transition_domain)`, new(int64)},
	}
	for _, c := range counts {
		if *c.n, err = addFindings(ctx, tx, run, c.query); err != nil {
			return r, err
		}
	}
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM ferry_addrdi WHERE action = 'same'`).Scan(&r.InformationUnchanged); err != nil {
		return r, err
	}
	return r, dropTemps(ctx, tx, "ferry_orgaddr", "ferry_addrdi")
}
