package cli

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ferrymigrate/ferry/internal/tenant"
)

func (a *app) tenantCmd() *cobra.Command {
	cmd := group("tenant", "Tenant merge: move one root organisation of a learning platform into another",
		"  ferry tenant import examples/tenant\n  ferry tenant plan --source 0124 --target 0126\n  ferry tenant migrate --source 0124 --target 0126 --on-conflict skip --yes")
	cmd.Long = `The tenant merge: a platform's tables, exported with cqlsh COPY TO, are
imported into ferry's database; a merge of one tenant (root organisation)
into another is planned, run as a resumable job that journals every change
and queues every changed user, organisation and batch for the search
index, verified, and can be rolled back.`
	cmd.AddCommand(a.tenantImportCmd(), a.tenantGenerateCmd(), a.tenantPlanCmd(), a.tenantMigrateCmd(), a.tenantVerifyCmd(), a.tenantRollbackCmd(), a.tenantExportCmd())
	return cmd
}

func (a *app) tenantService(cmd *cobra.Command) (*tenant.Service, error) {
	if _, err := a.open(cmd.Context()); err != nil {
		return nil, err
	}
	return tenant.New(a.eng), nil
}

func (a *app) tenantImportCmd() *cobra.Command {
	var rejects string
	var opts tenant.ImportOptions
	cmd := &cobra.Command{
		Use:   "import DIR",
		Short: "Import a cqlsh COPY TO export of the platform's tables",
		Long: `Import a folder of cqlsh COPY TO files (sunbird/<table>.csv and
sunbird_courses/course_batch.csv, or the same files flat, split files
t.csv.1, t.csv.2 ... included) into ferry's tenant tables. Each header is
checked against the platform's schema; a malformed row is rejected with its
file, line and reason. Importing the same export again changes nothing, and
an interrupted import resumes.`,
		Example: `  ferry tenant import examples/tenant
  ferry tenant import export/ --rejects rejects.tsv --max-rejects 100
  ferry tenant import export/ --dry-run --json`,
		Args: args("DIR"),
		RunE: func(cmd *cobra.Command, argv []string) error {
			if opts.MaxRejects < -1 {
				return usagef("--max-rejects must be -1 (no limit) or more, not %d", opts.MaxRejects)
			}
			opts.Dir = argv[0]
			rep, err := a.openRejectsFor(rejects, nil)
			if err != nil {
				return err
			}
			opts.OnReject = rep.add
			s, err := a.tenantService(cmd)
			if err != nil {
				rep.close(err, 0)
				return err
			}
			res, err := s.Import(cmd.Context(), opts)
			if err := rep.close(err, res.JobID); err != nil {
				return err
			}
			return a.emit(res, func(w io.Writer) { a.printImport(w, res) })
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&rejects, "rejects", "", "write every rejected row (file, line, reason, raw line) to this file")
	fl.Int64Var(&opts.MaxRejects, "max-rejects", -1, "fail, applying nothing, when more than N rows are rejected (-1 = no limit)")
	fl.BoolVar(&opts.DryRun, "dry-run", false, "do everything and report it, then roll it back: nothing changes")
	return cmd
}

func (a *app) printImport(w io.Writer, r tenant.ImportResult) {
	fmt.Fprintf(w, "tenant import: job %d%s\n", r.JobID, tags(r.Resumed, r.DryRun))
	t := newTable(w, "TABLE", "FILES#", "ROWS#", "INSERTED#", "UPDATED#", "UNCHANGED#", "HEADER")
	var ins, upd int64
	for _, ti := range r.Tables {
		var h []string
		if len(ti.Missing) > 0 {
			h = append(h, "missing "+strings.Join(ti.Missing, ","))
		}
		if len(ti.Extra) > 0 {
			h = append(h, "extra "+strings.Join(ti.Extra, ","))
		}
		t.row(ti.Table, ti.Files, ti.Rows, ti.Inserted, ti.Updated, ti.Same, strings.Join(h, "; "))
		ins, upd = ins+ti.Inserted, upd+ti.Updated
	}
	t.flush()
	for _, u := range r.Unknown {
		fmt.Fprintf(w, "not imported: %s is not a table ferry knows\n", u)
	}
	printRejects(w, r.JobID, r.Rejected, r.Rejects)
	verb := pick(r.DryRun, "would insert %s rows and update %s; nothing was changed", "%s rows inserted, %s updated")
	fmt.Fprintf(w, "\n%s in %s: "+verb+", %s\n", pick(r.DryRun, "dry run", "done"), a.elapsed(), num(ins), num(upd),
		plural(r.Rejected, "row rejected", "rows rejected"))
}

// requestFlags are the flags of a merge request, shared by plan and migrate.
type requestFlags struct {
	req      tenant.Request
	entities string
	users    string
}

func addRequestFlags(cmd *cobra.Command, f *requestFlags) {
	fl := cmd.Flags()
	fl.StringVar(&f.req.Source, "source", "", "the root org id of the tenant to merge away")
	fl.StringVar(&f.req.Target, "target", "", "the root org id of the tenant to merge into")
	alias(fl, "source", "sourceRootOrgId")
	alias(fl, "target", "targetRootOrgId")
	fl.StringVar(&f.entities, "entities", "", "what to merge, comma separated: user, org, content (empty = all)")
	fl.StringVar(&f.users, "users", "", "merge only these users of the source, comma separated ids (empty = all)")
	alias(fl, "users", "userIds")
	fl.StringVar(&f.req.OnConflict, "on-conflict", tenant.OnConflictFail, "fail: change nothing when a row cannot move; skip: leave those rows and move the rest")
	fl.StringVar(&f.req.Actor, "actor", tenant.DefaultActor, "who the merge is done for, written to updatedby")
}

func (f *requestFlags) request() (tenant.Request, error) {
	r := f.req
	r.Entities, r.Users = splitList(f.entities), splitList(f.users)
	if r.Source == "" || r.Target == "" {
		return r, usagef("give both --source and --target")
	}
	return r, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func (a *app) tenantPlanCmd() *cobra.Command {
	f := &requestFlags{}
	cmd := &cobra.Command{
		Use:   "plan --source ID --target ID",
		Short: "Validate a tenant merge and show what it would change, changing nothing",
		Long: `Validate a merge request against the imported data and print its plan: per
table how many rows would change, every conflict (a row whose new key or
name is taken), the notices, and what is not migrated. A request that
cannot run lists every reason at once and exits with status 10.`,
		Example: `  ferry tenant plan --source 01241408242723225614 --target 01246375399411712074
  ferry tenant plan --source 0124 --target 0126 --entities user --users u1,u2 --json`,
		Args: args(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			req, err := f.request()
			if err != nil {
				return err
			}
			s, err := a.tenantService(cmd)
			if err != nil {
				return err
			}
			p, err := s.Plan(cmd.Context(), req)
			var pe *tenant.PlanError
			if err != nil && !errors.As(err, &pe) {
				return err
			}
			if eerr := a.emit(planJSON(p), func(w io.Writer) { a.printPlan(w, p) }); eerr != nil {
				return eerr
			}
			return shown(err)
		},
	}
	addRequestFlags(cmd, f)
	return cmd
}

// planView is the plan as --json prints it.
type planView struct {
	Valid             bool                 `json:"valid"`
	Errors            []tenant.Problem     `json:"errors"`
	Changes           map[string]int64     `json:"changes"`
	Conflicts         []tenant.Conflict    `json:"conflicts"`
	Notices           []tenant.Notice      `json:"notices"`
	NotMigrated       []tenant.NotMigrated `json:"notMigrated"`
	Skipped           int64                `json:"skipped"`
	SourceDeactivated bool                 `json:"sourceDeactivated"`
}

func planJSON(p *tenant.Plan) planView {
	return planView{Valid: p.Valid, Errors: p.Errors, Changes: p.Changes, Conflicts: p.Conflicts, Notices: p.Notices,
		NotMigrated: p.NotMigrated, Skipped: p.Skipped, SourceDeactivated: p.SourceDeactivated}
}

func (a *app) printPlan(w io.Writer, p *tenant.Plan) {
	if !p.Valid {
		fmt.Fprintf(w, "the request is not valid: %d reason(s)\n", len(p.Errors))
		for _, e := range p.Errors {
			fmt.Fprintf(w, "  %s: %s\n", e.Code, e.Message)
		}
		return
	}
	fmt.Fprintf(w, "plan: merge %s into %s\n", p.Request.Source, p.Request.Target)
	printChanges(w, p.Changes, "WOULD CHANGE#")
	printConflicts(w, p.Conflicts, p.Request.OnConflict)
	printNotices(w, p.Notices)
	for _, n := range p.NotMigrated {
		fmt.Fprintf(w, "not migrated: %s: %s\n", n.What, n.Reason)
	}
	state := "stays ACTIVE: some of it is left"
	if p.SourceDeactivated {
		state = "would be set INACTIVE"
	}
	fmt.Fprintf(w, "source: %s\n", state)
	fmt.Fprintf(w, "\nplan in %s: %s would change, %s; nothing was changed\n", a.elapsed(), plural(sum(p.Changes), "row", "rows"),
		plural(int64(len(p.Conflicts)), "conflict", "conflicts"))
}

func printChanges(w io.Writer, changes map[string]int64, head string) {
	names := make([]string, 0, len(changes))
	for k := range changes {
		names = append(names, k)
	}
	sort.Strings(names)
	t := newTable(w, "TABLE", head)
	for _, k := range names {
		t.row(k, changes[k])
	}
	t.flush()
}

func printConflicts(w io.Writer, cs []tenant.Conflict, policy string) {
	if len(cs) == 0 {
		return
	}
	fate := "block the merge (policy fail)"
	if policy == tenant.OnConflictSkip {
		fate = "stay where they are (policy skip)"
	}
	fmt.Fprintf(w, "conflicts: %s, which %s\n", num(int64(len(cs))), fate)
	t := newTable(w, "  CODE", "TABLE", "KEY", "DETAIL")
	for _, c := range cs {
		t.row("  "+c.Code, c.Table, c.Key, c.Detail)
	}
	t.flush()
}

func printNotices(w io.Writer, ns []tenant.Notice) {
	if len(ns) == 0 {
		return
	}
	fmt.Fprintf(w, "notices: %s\n", num(int64(len(ns))))
	t := newTable(w, "  CODE", "SUBJECT", "DETAIL")
	for _, n := range ns {
		t.row("  "+n.Code, n.Subject, n.Detail)
	}
	t.flush()
}

func sum(m map[string]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}

func (a *app) tenantMigrateCmd() *cobra.Command {
	f := &requestFlags{}
	var yes bool
	var opts tenant.MigrateOptions
	cmd := &cobra.Command{
		Use:   "migrate --source ID --target ID --yes",
		Short: "Merge one tenant into another, as a resumable, journalled job",
		Long: `Merge the source tenant into the target: validate and plan the request,
then run its steps (child orgs, users, memberships, external ids and
lookups, roles and consents, course batches, org records, content channel)
in batches, each journalled with its before-image, queued for the search
index and checkpointed in one transaction. With --on-conflict fail (the
default) a merge with any conflict changes nothing. The source is set
INACTIVE when nothing of it is left. An interrupted merge resumes when the
same command runs again; ferry tenant rollback undoes one.`,
		Example: `  ferry tenant migrate --source 01241408242723225614 --target 01246375399411712074 --yes
  ferry tenant migrate --source 0124 --target 0126 --on-conflict skip --yes --json
  ferry tenant migrate --source 0124 --target 0126 --entities user --users u1,u2 --yes`,
		Args: args(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			req, err := f.request()
			if err != nil {
				return err
			}
			if opts.BatchRows <= 0 {
				return usagef("--batch must be more than 0")
			}
			if err := a.confirm(yes, fmt.Sprintf("Merge tenant %s into %s?", req.Source, req.Target)); err != nil {
				return err
			}
			s, err := a.tenantService(cmd)
			if err != nil {
				return err
			}
			opts.Request = req
			res, err := s.Migrate(cmd.Context(), opts)
			var pe *tenant.PlanError
			if errors.As(err, &pe) {
				if eerr := a.emit(migrateJSON(res, pe), func(w io.Writer) { a.printRefused(w, pe) }); eerr != nil {
					return eerr
				}
				return shown(err)
			}
			if err != nil {
				return err
			}
			return a.emit(migrateJSON(res, nil), func(w io.Writer) { a.printMigrate(w, res) })
		},
	}
	addRequestFlags(cmd, f)
	cmd.Flags().BoolVar(&yes, "yes", false, "confirm the merge without asking (required off a terminal)")
	cmd.Flags().IntVar(&opts.BatchRows, "batch", tenant.DefaultBatchRows, "rows per transaction")
	cmd.Flags().DurationVar(&opts.Throttle, "throttle", 0, "pause between batches, e.g. 100ms, to spare a live database")
	return cmd
}

// migrateView is a merge's report as --json prints it.
type migrateView struct {
	Job               int64                `json:"job"`
	Resumed           bool                 `json:"resumed"`
	Valid             bool                 `json:"valid"`
	Errors            []tenant.Problem     `json:"errors,omitempty"`
	Changes           map[string]int64     `json:"changes"`
	Conflicts         []tenant.Conflict    `json:"conflicts"`
	Notices           []tenant.Notice      `json:"notices"`
	NotMigrated       []tenant.NotMigrated `json:"notMigrated"`
	Skipped           int64                `json:"skipped"`
	SourceDeactivated bool                 `json:"sourceDeactivated"`
	Outbox            int64                `json:"outbox"`
	Duration          float64              `json:"durationSeconds"`
}

func migrateJSON(r tenant.MigrateResult, pe *tenant.PlanError) migrateView {
	v := migrateView{Job: r.JobID, Resumed: r.Resumed, Valid: true, Changes: r.Changes, Conflicts: r.Conflicts, Notices: r.Notices,
		NotMigrated: r.NotMigrated, Skipped: r.Skipped, SourceDeactivated: r.SourceDeactivated, Outbox: r.Outbox, Duration: r.Duration}
	if pe != nil {
		p := pe.Plan
		v.Valid, v.Errors, v.Conflicts, v.Notices, v.NotMigrated, v.Skipped = p.Valid, p.Errors, p.Conflicts, p.Notices, p.NotMigrated, p.Skipped
		v.Changes = map[string]int64{}
	}
	if v.Changes == nil {
		v.Changes = map[string]int64{}
	}
	if v.Conflicts == nil {
		v.Conflicts = []tenant.Conflict{}
	}
	if v.Notices == nil {
		v.Notices = []tenant.Notice{}
	}
	return v
}

func (a *app) printRefused(w io.Writer, pe *tenant.PlanError) {
	a.printPlan(w, pe.Plan)
	if pe.Plan.Valid {
		fmt.Fprintf(w, "refused: %s\n", pe.Error())
	}
}

func (a *app) printMigrate(w io.Writer, r tenant.MigrateResult) {
	fmt.Fprintf(w, "tenant migrate: job %d%s\n", r.JobID, tags(r.Resumed, false))
	printChanges(w, r.Changes, "CHANGED#")
	printConflicts(w, r.Conflicts, tenant.OnConflictSkip)
	printNotices(w, r.Notices)
	state := "stays ACTIVE: some of it is left"
	if r.SourceDeactivated {
		state = "set INACTIVE"
	}
	fmt.Fprintf(w, "source: %s; %s queued for the search index\n", state, plural(r.Outbox, "entity", "entities"))
	fmt.Fprintf(w, "\ndone in %s: %s changed, %s skipped (ferry tenant verify checks the result; ferry tenant rollback %d undoes it)\n",
		a.elapsed(), plural(sum(r.Changes), "row", "rows"), num(r.Skipped), r.JobID)
}

func (a *app) tenantVerifyCmd() *cobra.Command {
	var source, target string
	cmd := &cobra.Command{
		Use:   "verify --source ID --target ID",
		Short: "Count what still points at the source after a merge",
		Long: `Count every reference to the source left in every table, separate those
kept on purpose (the source row itself, revoked consents, telemetry maps,
rows a skip left with their conflict) from the rest, and check the target's
totals against the last merge's plan. Exits 9 when anything is wrong.`,
		Example: `  ferry tenant verify --source 01241408242723225614 --target 01246375399411712074
  ferry tenant verify --source 0124 --target 0126 --json`,
		Args: args(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if source == "" || target == "" {
				return usagef("give both --source and --target")
			}
			s, err := a.tenantService(cmd)
			if err != nil {
				return err
			}
			res, err := s.Verify(cmd.Context(), source, target)
			if err != nil {
				return err
			}
			if err := a.emit(res, func(w io.Writer) { a.printVerify(w, res) }); err != nil {
				return err
			}
			if !res.OK {
				return shown(conflictf("the merge is not complete: %s left, %d issue(s)", plural(res.Remaining, "reference", "references"), len(res.Issues)))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&source, "source", "", "the merged-away tenant's root org id")
	cmd.Flags().StringVar(&target, "target", "", "the tenant it was merged into")
	return cmd
}

func (a *app) printVerify(w io.Writer, r *tenant.VerifyResult) {
	if len(r.ByTable) > 0 {
		printChanges(w, r.ByTable, "REMAINING#")
	}
	if len(r.Kept) > 0 {
		fmt.Fprintf(w, "kept on purpose: %s\n", num(int64(len(r.Kept))))
		t := newTable(w, "  TABLE", "KEY", "REASON")
		for _, k := range r.Kept {
			t.row("  "+k.Table, k.Key, k.Reason)
		}
		t.flush()
	}
	for _, tt := range r.Totals {
		fmt.Fprintf(w, "target %s rows: %s (expected %s)\n", tt.What, num(tt.Actual), num(tt.Expected))
	}
	for _, i := range r.Issues {
		fmt.Fprintf(w, "%s: %s\n", i.Code, i.Message)
	}
	status := "ok: nothing of the source is left but what is kept on purpose"
	if !r.OK {
		status = fmt.Sprintf("not ok: %s left", plural(r.Remaining, "reference", "references"))
	}
	fmt.Fprintf(w, "\n%s (source %s)\n", status, r.SourceStatus)
}
