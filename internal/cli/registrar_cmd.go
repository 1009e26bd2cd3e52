package cli

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/ferrymigrate/ferry/internal/registrar"
)

func (a *app) registrarCmd() *cobra.Command {
	cmd := group("registrar", "Registrar data migration: escrow export to Domains, invitations and manager roles",
		"  ferry registrar migrate --directory examples/registrar --yes\n  ferry registrar analyze")
	cmd.Long = `The registrar data migration: a legacy registry's escrow export is loaded
into the TransitionDomain staging table, transferred to Domains,
DomainInvitations and DomainInformation, and each person's invitations
become manager roles when they first sign in.`
	cmd.AddCommand(a.loadTransitionCmd(), a.transferCmd(), a.migrateCmd(), a.analyzeCmd(), a.domainsCmd(),
		a.loginCmd(), a.loadDomainsCmd(), a.loadInvitationsCmd(), a.loadOrgDataCmd(), a.generateCmd())
	return cmd
}

func (a *app) service(cmd *cobra.Command) (*registrar.Service, error) {
	if _, err := a.open(cmd.Context()); err != nil {
		return nil, err
	}
	s := registrar.New(a.eng)
	s.Debug = a.debug
	return s, nil
}

// sepFlag is a one-character separator.
type sepFlag rune

func (s *sepFlag) String() string { return string(rune(*s)) }
func (s *sepFlag) Type() string   { return "char" }
func (s *sepFlag) Set(v string) error {
	if utf8.RuneCountInString(v) != 1 || v == "\n" || v == "\r" || v == `"` {
		return fmt.Errorf("separator must be one character other than a quote or newline, got %q", v)
	}
	r, _ := utf8.DecodeRuneInString(v)
	*s = sepFlag(r)
	return nil
}

// fileFlags are the kebab-case flags naming each input file; the manifest
// keys (domain_contacts_filename ...) are their hidden aliases.
var fileFlags = map[string]string{
	registrar.KeyDomainContacts: "domain-contacts",
	registrar.KeyContacts:       "contacts",
	registrar.KeyStatuses:       "domain-statuses",
	registrar.KeyEscrow:         "escrow-domains",
	registrar.KeyAdditional:     "domain-additional-data",
	registrar.KeyDomainTypes:    "domain-types",
	registrar.KeyOrganization:   "organizations",
	registrar.KeyAuthority:      "authorities",
	registrar.KeyAgency:         "agencies",
}

// manifestFlags are the --directory/--manifest form shared by several commands.
type manifestFlags struct {
	directory, manifest string
	override            map[string]*string
}

func addManifestFlags(cmd *cobra.Command, m *manifestFlags) {
	fl := cmd.Flags()
	fl.StringVar(&m.directory, "directory", "", "directory holding the export's files (overrides the manifest's directory key)")
	fl.StringVar(&m.manifest, "manifest", "", "migrationFilepaths.json-style manifest, looked up in --directory unless it is a path")
	m.override = map[string]*string{}
	for _, k := range registrar.ManifestKeys {
		v := new(string)
		m.override[k] = v
		fl.StringVar(v, fileFlags[k], "", "the "+registrar.Describe(k)+" file, instead of the manifest's "+k)
		alias(fl, fileFlags[k], k)
	}
}

func (m *manifestFlags) source(positional map[string]string) registrar.FileSource {
	src := registrar.FileSource{Directory: m.directory, Manifest: m.manifest, Override: map[string]string{}}
	for k, v := range m.override {
		if *v != "" {
			src.Override[k] = *v
		}
	}
	for k, v := range positional {
		src.Override[k] = v
	}
	return src
}

type loadFlags struct {
	sep             sepFlag
	limit           int64
	reset, yes, dry bool
	rejects         string
	maxRejects      int64
	manifestFlags
}

func addLoadFlags(cmd *cobra.Command, f *loadFlags) {
	fl := cmd.Flags()
	fl.Var(&f.sep, "sep", "field separator of every file read")
	fl.Int64Var(&f.limit, "limit", 0, "read at most N rows of the domain contacts file (0 = all)")
	alias(fl, "limit", "limitParse")
	fl.BoolVar(&f.reset, "reset", false, "delete every staging row first (asks on a terminal; needs --yes otherwise)")
	alias(fl, "reset", "resetTable")
	fl.BoolVar(&f.yes, "yes", false, "confirm destructive actions without asking")
	fl.BoolVar(&f.dry, "dry-run", false, "do everything and report it, then roll it back: nothing changes")
	addRejectFlags(cmd, &f.rejects, &f.maxRejects)
	addManifestFlags(cmd, &f.manifestFlags)
}

func addRejectFlags(cmd *cobra.Command, rejects *string, maxRejects *int64) {
	cmd.Flags().StringVar(rejects, "rejects", "", "write every rejected row (file, line, reason, raw line) to this file")
	cmd.Flags().Int64Var(maxRejects, "max-rejects", -1, "fail, applying nothing, when more than N rows are rejected (-1 = no limit)")
}

func checkLimits(limit, maxRejects int64) error {
	if limit < 0 {
		return usagef("--limit must be 0 (all) or more, not %d", limit)
	}
	if maxRejects < -1 {
		return usagef("--max-rejects must be -1 (no limit) or more, not %d", maxRejects)
	}
	return nil
}

// loadOptions confirms --reset and opens the --rejects file; done closes it.
func (a *app) loadOptions(f *loadFlags, files registrar.Files) (registrar.LoadOptions, *rejectReport, error) {
	if f.reset && !f.dry {
		if err := a.confirm(f.yes, "Resetting deletes every TransitionDomain staging row. Continue?"); err != nil {
			return registrar.LoadOptions{}, nil, err
		}
	}
	rep, err := a.openRejects(f.rejects, files)
	if err != nil {
		return registrar.LoadOptions{}, nil, err
	}
	opts := registrar.LoadOptions{Files: files, Sep: rune(f.sep), Limit: f.limit, Reset: f.reset, MaxRejects: f.maxRejects,
		OnReject: rep.add, Stdin: a.env.Stdin, DryRun: f.dry}
	return opts, rep, nil
}

func (a *app) loadTransitionCmd() *cobra.Command {
	f := &loadFlags{sep: '|'}
	cmd := &cobra.Command{
		Use:   "load-transition-domains [flags] [DOMAIN_CONTACTS CONTACTS STATUSES]",
		Short: "Load the escrow files into the TransitionDomain staging table",
		Long: `Load the escrow files into the TransitionDomain staging table, one row per
domain and e-mail address. Name the three core files as arguments, or use
--directory with a manifest; the enrichment files the manifest names
(escrow dates, domain types, organisations, senior officials, agencies)
are used when present. Rerunning with the same files changes nothing, and
an interrupted load resumes where it stopped.`,
		Example: `  ferry registrar load-transition-domains --directory examples/registrar
  ferry registrar load-transition-domains contacts-links.txt contacts.txt statuses.txt --rejects rejects.tsv
  ferry registrar load-transition-domains --directory export --reset --yes --max-rejects 100`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkLimits(f.limit, f.maxRejects); err != nil {
				return err
			}
			if len(args) != 0 && len(args) != 3 {
				return usagef("load-transition-domains takes DOMAIN_CONTACTS CONTACTS STATUSES, or none with --directory")
			}
			if len(args) == 0 && f.directory == "" && f.manifest == "" {
				return usagef("name DOMAIN_CONTACTS CONTACTS STATUSES, or give --directory (and --manifest)")
			}
			pos := map[string]string{}
			if len(args) == 3 {
				pos = map[string]string{registrar.KeyDomainContacts: args[0], registrar.KeyContacts: args[1], registrar.KeyStatuses: args[2]}
			}
			files, err := f.source(pos).Resolve()
			if err != nil {
				return err
			}
			opts, rep, err := a.loadOptions(f, files)
			if err != nil {
				return err
			}
			s, err := a.service(cmd)
			if err != nil {
				rep.close(err, 0)
				return err
			}
			res, err := s.LoadTransitionDomains(cmd.Context(), opts)
			if err := rep.close(err, res.JobID); err != nil {
				return err
			}
			return a.emit(res, func(w io.Writer) {
				printLoad(w, res)
				fmt.Fprintf(w, "\n%s\n", a.loadStatus(res))
			})
		},
	}
	addLoadFlags(cmd, f)
	return cmd
}

// loadStatus is the final line of a load.
func (a *app) loadStatus(r registrar.LoadResult) string {
	c := r.Rows
	if r.DryRun {
		return fmt.Sprintf("dry run in %s: would create %s, update %s; nothing was changed",
			a.elapsed(), plural(c.Created, "staging row", "staging rows"), num(c.Updated))
	}
	line := fmt.Sprintf("done in %s: %s created, %s updated, %s", a.elapsed(),
		plural(c.Created, "staging row", "staging rows"), num(c.Updated), plural(r.TotalRejected, "row rejected", "rows rejected"))
	if r.TotalRejected > 0 {
		line += fmt.Sprintf(" (ferry jobs show %d lists them)", r.JobID)
	}
	return line
}

func printFiles(w io.Writer, files []registrar.FileStats) {
	t := newTable(w, "FILE", "LINES#", "RECORDS#", "REJECTED#", "PATH")
	for _, f := range files {
		t.row(registrar.Describe(f.Key), f.Lines, f.Records, f.Rejected, f.Path)
	}
	t.flush()
}

func printLoad(w io.Writer, r registrar.LoadResult) {
	fmt.Fprintf(w, "load-transition-domains: job %d%s\n", r.JobID, tags(r.Resumed, r.DryRun))
	if r.Reset > 0 {
		verb := "deleted"
		if r.DryRun {
			verb = "would be deleted"
		}
		fmt.Fprintf(w, "  reset: %s %s\n", plural(r.Reset, "staging row", "staging rows"), verb)
	}
	printFiles(w, r.Files)
	c := r.Rows
	verbs := pick(r.DryRun, "would be created, %s would be updated", "created, %s updated")
	fmt.Fprintf(w, "domain contacts: %s rows read: %s "+verbs+", %s skipped, %s rejected\n",
		num(c.Read), num(c.Created), num(c.Updated), num(c.Skipped), num(c.Rejected))
	fmt.Fprintf(w, "  skipped: %s, %s unchanged, %s already transferred\n",
		plural(r.Duplicates, "duplicate (domain, e-mail) row", "duplicate (domain, e-mail) rows"), num(r.Unchanged), num(r.Processed))
	if c.Created == 0 && c.Updated == 0 {
		fmt.Fprintln(w, "  nothing changed")
	}
	printRejects(w, r.JobID, r.TotalRejected, r.Rejects)
	printReport(w, r.Report)
}

// tags marks a result's header: resumed, dry run.
func tags(resumed, dryRun bool) string {
	s := ""
	if resumed {
		s += " (resumed)"
	}
	if dryRun {
		s += " (dry run: nothing was changed)"
	}
	return s
}

func printReport(w io.Writer, rep registrar.Report) {
	kinds := make([]string, 0, len(rep))
	for k := range rep {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		item := rep[k]
		fmt.Fprintf(w, "%s: %s\n", strings.ReplaceAll(k, "_", " "), num(item.Count))
		for _, s := range item.Samples {
			if s.Detail != "" {
				fmt.Fprintf(w, "  %s (%s)\n", s.Subject, s.Detail)
			} else {
				fmt.Fprintf(w, "  %s\n", s.Subject)
			}
		}
		if int64(len(item.Samples)) < item.Count {
			fmt.Fprintf(w, "  ... and %s more\n", num(item.Count-int64(len(item.Samples))))
		}
	}
}

func (a *app) transferCmd() *cobra.Command {
	var opts registrar.TransferOptions
	cmd := &cobra.Command{
		Use:   "transfer",
		Short: "Create Domains, DomainInvitations and DomainInformation from the staging rows",
		Long: `Turn every unprocessed staging row into its Domain (state, dates), one
DomainInvitation per lower-cased e-mail address and domain, the senior
official's Contact and the DomainInformation, in batches, each committed
with its checkpoint, and mark the rows processed. No invitation is sent.
Rerunning finds nothing left and changes nothing; an interrupted transfer
resumes from its last batch.`,
		Example: `  ferry registrar transfer
  ferry registrar transfer --dry-run
  ferry registrar transfer --limit 1000 --batch 500`,
		Args: args(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.Limit < 0 || opts.BatchSize <= 0 || opts.Workers <= 0 {
				return usagef("--limit must be 0 (all) or more, and --batch and --workers more than 0")
			}
			s, err := a.service(cmd)
			if err != nil {
				return err
			}
			res, err := s.Transfer(cmd.Context(), opts)
			if err != nil {
				return err
			}
			return a.emit(res, func(w io.Writer) {
				printTransfer(w, res)
				fmt.Fprintf(w, "\n%s\n", a.transferStatus(res))
			})
		},
	}
	fl := cmd.Flags()
	fl.Int64Var(&opts.Limit, "limit", 0, "transfer at most N domains (0 = all)")
	alias(fl, "limit", "limitParse")
	fl.BoolVar(&opts.DryRun, "dry-run", false, "do everything and report it, then roll it back: nothing changes")
	fl.IntVar(&opts.BatchSize, "batch", registrar.DefaultTransferBatch, "domains per transaction")
	fl.IntVar(&opts.Workers, "workers", registrar.DefaultTransferWorkers, "batches in flight at once on PostgreSQL (SQLite, --limit and --dry-run use 1)")
	return cmd
}

func (a *app) transferStatus(r registrar.TransferResult) string {
	if r.DryRun {
		return fmt.Sprintf("dry run in %s: would create %s and %s; nothing was changed", a.elapsed(),
			plural(r.Domains.Created, "domain", "domains"), plural(r.Invitations.Created, "invitation", "invitations"))
	}
	return fmt.Sprintf("done in %s: %s created, %s updated, %s created; no invitation was sent", a.elapsed(),
		plural(r.Domains.Created, "domain", "domains"), num(r.Domains.Updated), plural(r.Invitations.Created, "invitation", "invitations"))
}

func printTransfer(w io.Writer, r registrar.TransferResult) {
	fmt.Fprintf(w, "transfer: job %d%s\n", r.JobID, tags(r.Resumed, r.DryRun))
	created, updated := "CREATED#", "UPDATED#"
	if r.DryRun {
		created, updated = "WOULD CREATE#", "WOULD UPDATE#"
	}
	t := newTable(w, "OBJECT", created, updated, "UNCHANGED#", "SKIPPED#")
	t.row("domains", r.Domains.Created, r.Domains.Updated, r.Domains.Unchanged, r.Domains.Skipped)
	t.row("domain invitations", r.Invitations.Created, "-", r.Invitations.Existing, "-")
	t.row("domain information", r.DomainInformation.Created, r.DomainInformation.Updated, r.DomainInformation.Unchanged, "-")
	t.row("senior-official contacts", r.Contacts.Created, r.Contacts.Updated, "-", "-")
	t.flush()
	verb := "marked processed"
	if r.DryRun {
		verb = "would be marked processed"
	}
	fmt.Fprintf(w, "staging rows %s: %s\n", verb, num(r.StagingProcessed))
	if r.Domains.Created+r.Domains.Updated+r.Invitations.Created+r.DomainInformation.Created+r.DomainInformation.Updated == 0 {
		fmt.Fprintln(w, "nothing to change")
	}
	printReport(w, r.Report)
}

func (a *app) analyzeCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "analyze",
		Short: "Compare the staging table with Domains, DomainInformation and invitations",
		Long: `Count the staging rows, Domains, DomainInformation and invitations, and the
staging rows whose domain, DomainInformation or invitation is missing, or
whose domain is duplicated, counted per staging row as the registrar's
own migration analysis counts them. It refuses a database that does not
exist.`,
		Example: "  ferry registrar analyze\n  ferry registrar analyze --json",
		Args:    args(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if _, err := a.openRead(cmd.Context()); err != nil {
				return err
			}
			s := registrar.New(a.eng)
			an, err := s.Analyze(cmd.Context())
			if err != nil {
				return err
			}
			return a.emit(an, func(w io.Writer) { printAnalysis(w, an) })
		},
	}
}

func printAnalysis(w io.Writer, an registrar.Analysis) {
	t := newTable(w, "TABLE", "ROWS#")
	t.row("transition domains", an.TransitionDomains)
	t.row("domains", an.Domains)
	t.row("domain information", an.DomainInformation)
	t.row("domain invitations", an.DomainInvitations)
	t.flush()
	fmt.Fprintf(w, "missing domains: %s, duplicate domains: %s, missing domain information: %s, missing invitations: %s\n",
		num(an.MissingDomains), num(an.DuplicateDomains), num(an.MissingDomainInformation), num(an.MissingInvitations))
}

func (a *app) domainsCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "domains",
		Short:   "List the domains, with state, expiration date and invitation count",
		Example: "  ferry registrar domains\n  ferry registrar domains --json",
		Args:    args(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := a.openRead(cmd.Context())
			if err != nil {
				return err
			}
			w := a.env.Stdout
			if a.json {
				// Streamed by hand so a million domains never sit in memory.
				io.WriteString(w, `{"domains":[`)
				first := true
				err = registrar.ListDomains(cmd.Context(), db, func(r registrar.DomainRow) error {
					if !first {
						io.WriteString(w, ",")
					}
					first = false
					return writeJSON(w, r)
				})
				io.WriteString(w, "]}\n")
				return err
			}
			return registrar.ListDomains(cmd.Context(), db, func(r registrar.DomainRow) error {
				exp := "-"
				if r.ExpirationDate != nil {
					exp = *r.ExpirationDate
				}
				_, err := fmt.Fprintf(w, "%-40s %-9s %-10s %d\n", r.Name, r.State, exp, r.Invitations)
				return err
			})
		},
	}
}

func (a *app) loginCmd() *cobra.Command {
	var subject, email string
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "login --subject SUB --email EMAIL",
		Short: "Do what sign-in does for a verified person: create the user, retrieve invitations",
		Long: `Do what the sign-in callback does once the identity provider has verified a
person: find or create the user by subject, and turn every pending
invitation for the e-mail address (in any case) into a manager role.
A person whose verified address changed keeps their account; the change
is journalled and reported. An address another account holds is refused.`,
		Example: "  ferry registrar login --subject 6f1c-a2 --email someone@example.gov\n  ferry registrar login --subject 6f1c-a2 --email someone@example.gov --dry-run",
		Args:    args(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := a.service(cmd)
			if err != nil {
				return err
			}
			login := s.Login
			if dryRun {
				login = s.LoginDryRun
			}
			res, err := login(cmd.Context(), subject, email)
			if err != nil {
				return err
			}
			return a.emit(res, func(w io.Writer) {
				verb := "existing"
				if res.UserCreated {
					verb = "new"
				}
				if res.DryRun {
					fmt.Fprintf(w, "dry run: %s user %d: %d invitations would be retrieved; would manage %d domains; nothing was changed\n",
						verb, res.UserID, res.Retrieved, len(res.Domains))
				} else {
					fmt.Fprintf(w, "%s user %d: %d invitations retrieved; manages %d domains\n", verb, res.UserID, res.Retrieved, len(res.Domains))
				}
				if res.EmailChanged {
					fmt.Fprintln(w, "  the verified e-mail address changed since the last sign-in; the change is journalled")
				}
				for _, d := range res.Domains {
					fmt.Fprintf(w, "  %s\n", d)
				}
			})
		},
	}
	cmd.Flags().StringVar(&subject, "subject", "", "the identity provider's subject (user id)")
	cmd.Flags().StringVar(&email, "email", "", "the verified e-mail address")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "show what the sign-in would do, and change nothing")
	cmd.MarkFlagRequired("subject")
	cmd.MarkFlagRequired("email")
	return cmd
}
