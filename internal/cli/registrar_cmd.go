package cli

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/ferrymigrate/ferry/internal/engine"
	"github.com/ferrymigrate/ferry/internal/registrar"
)

func (a *app) registrarCmd() *cobra.Command {
	cmd := group("registrar", "Registrar data migration (design note 1)")
	cmd.AddCommand(a.loadTransitionCmd(), a.transferCmd(), a.migrateCmd(), a.analyzeCmd(), a.domainsCmd(),
		a.loginCmd(), a.loadDomainsCmd(), a.loadInvitationsCmd(), a.loadOrgDataCmd(), a.generateCmd())
	return cmd
}

func (a *app) service(cmd *cobra.Command) (*registrar.Service, error) {
	db, err := a.open(cmd.Context())
	if err != nil {
		return nil, err
	}
	_ = db
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

// manifestFlags are the --directory/--manifest form shared by several commands.
type manifestFlags struct {
	directory, manifest string
	override            map[string]*string
}

func addManifestFlags(cmd *cobra.Command, m *manifestFlags) {
	cmd.Flags().StringVar(&m.directory, "directory", "", "directory holding the escrow files (overrides the manifest's directory key)")
	cmd.Flags().StringVar(&m.manifest, "manifest", "", "migrationFilepaths.json-style manifest, looked up in --directory unless it is a path")
	m.override = map[string]*string{}
	for _, k := range registrar.ManifestKeys {
		v := new(string)
		m.override[k] = v
		cmd.Flags().StringVar(v, k, "", "file for manifest key "+k+" (overrides the manifest)")
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

// rejectSink opens the --rejects file, if one is asked for: onReject writes
// each rejected row as it is found, done closes the file and returns the
// first error, the command's own first.
func rejectSink(path string) (onReject func(engine.Reject), done func(error) error, err error) {
	if path == "" {
		return nil, func(err error) error { return err }, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: --rejects %s: %v", registrar.ErrInput, path, err)
	}
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, "file\tline\treason\traw")
	onReject = func(r engine.Reject) {
		fmt.Fprintf(w, "%s\t%d\t%s\t%s\n", r.File, r.Line, r.Reason, strings.ReplaceAll(r.Raw, "\t", " "))
	}
	done = func(err error) error {
		werr := w.Flush()
		if cerr := f.Close(); werr == nil {
			werr = cerr
		}
		if err != nil {
			return err
		}
		if werr != nil {
			return fmt.Errorf("writing --rejects %s: %w", path, werr)
		}
		return nil
	}
	return onReject, done, nil
}

type loadFlags struct {
	sep        sepFlag
	limit      int64
	reset, yes bool
	rejects    string
	maxRejects int64
	manifestFlags
}

func (a *app) loadTransitionCmd() *cobra.Command {
	f := &loadFlags{sep: '|'}
	cmd := &cobra.Command{
		Use:   "load-transition-domains [flags] [DOMAIN_CONTACTS CONTACTS STATUSES]",
		Short: "Load the escrow files into the TransitionDomain staging table",
		Long: `Load the escrow files into the TransitionDomain staging table (the reference's
load_transition_domain). Name the three core files as arguments, or use
--directory with a manifest; enrichment files named in the manifest are used
when present. Rerunning with the same files changes nothing.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.limit < 0 {
				return &UsageError{Msg: "--limit must be 0 (all) or more"}
			}
			if len(args) != 0 && len(args) != 3 {
				return &UsageError{Msg: "load-transition-domains takes DOMAIN_CONTACTS CONTACTS STATUSES, or none with --directory"}
			}
			if len(args) == 0 && f.directory == "" && f.manifest == "" {
				return &UsageError{Msg: "name DOMAIN_CONTACTS CONTACTS STATUSES, or give --directory (and --manifest)"}
			}
			pos := map[string]string{}
			if len(args) == 3 {
				pos = map[string]string{registrar.KeyDomainContacts: args[0], registrar.KeyContacts: args[1], registrar.KeyStatuses: args[2]}
			}
			files, err := f.source(pos).Resolve()
			if err != nil {
				return err
			}
			opts, done, err := a.loadOptions(cmd, f, files)
			if err != nil {
				return err
			}
			s, err := a.service(cmd)
			if err != nil {
				return err
			}
			res, err := s.LoadTransitionDomains(cmd.Context(), opts)
			if err := done(err); err != nil {
				return err
			}
			return a.emit(res, func(w io.Writer) { printLoad(w, res) })
		},
	}
	addLoadFlags(cmd, f)
	return cmd
}

func addLoadFlags(cmd *cobra.Command, f *loadFlags) {
	fl := cmd.Flags()
	fl.Var(&f.sep, "sep", "field separator of every file read")
	fl.Int64Var(&f.limit, "limit", 0, "read at most N rows of the domain contacts file (0 = all)")
	fl.Int64Var(&f.limit, "limitParse", 0, "alias of --limit")
	fl.BoolVar(&f.reset, "reset", false, "delete every staging row first (asks on a terminal; needs --yes otherwise)")
	fl.BoolVar(&f.reset, "resetTable", false, "alias of --reset")
	fl.BoolVar(&f.yes, "yes", false, "confirm destructive actions without asking")
	fl.StringVar(&f.rejects, "rejects", "", "write every rejected row (file, line, reason, raw) to this file")
	fl.Int64Var(&f.maxRejects, "max-rejects", -1, "fail, applying nothing, when more than N rows are rejected (-1 = no limit)")
	addManifestFlags(cmd, &f.manifestFlags)
}

// loadOptions confirms --reset and opens the --rejects file; done closes it.
func (a *app) loadOptions(cmd *cobra.Command, f *loadFlags, files registrar.Files) (registrar.LoadOptions, func(error) error, error) {
	if f.reset {
		if err := a.confirm(f.yes, "Resetting deletes every TransitionDomain staging row. Continue?"); err != nil {
			return registrar.LoadOptions{}, nil, err
		}
	}
	onReject, done, err := rejectSink(f.rejects)
	if err != nil {
		return registrar.LoadOptions{}, nil, err
	}
	opts := registrar.LoadOptions{Files: files, Sep: rune(f.sep), Limit: f.limit, Reset: f.reset, MaxRejects: f.maxRejects, OnReject: onReject, Stdin: a.env.Stdin}
	return opts, done, nil
}

func printLoad(w io.Writer, r registrar.LoadResult) {
	resumed := ""
	if r.Resumed {
		resumed = " (resumed)"
	}
	fmt.Fprintf(w, "load-transition-domains: job %d%s\n", r.JobID, resumed)
	if r.Reset > 0 {
		fmt.Fprintf(w, "  reset: %d staging rows deleted\n", r.Reset)
	}
	for _, f := range r.Files {
		fmt.Fprintf(w, "  %-26s %9d records  %6d rejected  (%s)\n", f.Key, f.Records, f.Rejected, f.Path)
	}
	c := r.Rows
	fmt.Fprintf(w, "domain contacts: %d rows read: %d created, %d updated, %d skipped, %d rejected\n",
		c.Read, c.Created, c.Updated, c.Skipped, c.Rejected)
	fmt.Fprintf(w, "  skipped: %d duplicate (domain, e-mail) rows, %d unchanged, %d already transferred\n", r.Duplicates, r.Unchanged, r.Processed)
	if c.Created == 0 && c.Updated == 0 {
		fmt.Fprintln(w, "  nothing changed")
	}
	if r.TotalRejected > 0 {
		fmt.Fprintf(w, "rejected rows in all files: %d\n", r.TotalRejected)
		for _, rj := range r.Rejects {
			fmt.Fprintf(w, "  %s:%d: %s\n", rj.File, rj.Line, rj.Reason)
		}
		if int64(len(r.Rejects)) < r.TotalRejected {
			fmt.Fprintf(w, "  ... see --rejects FILE or 'ferry jobs show %d'\n", r.JobID)
		}
	}
	printReport(w, r.Report)
}

func printReport(w io.Writer, rep registrar.Report) {
	kinds := make([]string, 0, len(rep))
	for k := range rep {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		item := rep[k]
		fmt.Fprintf(w, "%s: %d\n", strings.ReplaceAll(k, "_", " "), item.Count)
		for _, s := range item.Samples {
			if s.Detail != "" {
				fmt.Fprintf(w, "  %s (%s)\n", s.Subject, s.Detail)
			} else {
				fmt.Fprintf(w, "  %s\n", s.Subject)
			}
		}
		if int64(len(item.Samples)) < item.Count {
			fmt.Fprintf(w, "  ... and %d more\n", item.Count-int64(len(item.Samples)))
		}
	}
}

func (a *app) transferCmd() *cobra.Command {
	var opts registrar.TransferOptions
	cmd := &cobra.Command{
		Use:   "transfer",
		Short: "Create Domains, DomainInvitations and DomainInformation from the staging rows",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Limit < 0 || opts.BatchSize <= 0 || opts.Workers <= 0 {
				return &UsageError{Msg: "--limit must be 0 (all) or more, and --batch and --workers more than 0"}
			}
			s, err := a.service(cmd)
			if err != nil {
				return err
			}
			res, err := s.Transfer(cmd.Context(), opts)
			if err != nil {
				return err
			}
			return a.emit(res, func(w io.Writer) { printTransfer(w, res) })
		},
	}
	cmd.Flags().Int64Var(&opts.Limit, "limit", 0, "transfer at most N domains (0 = all)")
	cmd.Flags().Int64Var(&opts.Limit, "limitParse", 0, "alias of --limit")
	cmd.Flags().BoolVar(&opts.DryRun, "dry-run", false, "report what would change and change nothing")
	cmd.Flags().IntVar(&opts.BatchSize, "batch", registrar.DefaultTransferBatch, "domains per transaction")
	cmd.Flags().IntVar(&opts.Workers, "workers", registrar.DefaultTransferWorkers, "batches in flight at once on PostgreSQL (SQLite, --limit and --dry-run use 1)")
	return cmd
}

func printTransfer(w io.Writer, r registrar.TransferResult) {
	head := "transfer"
	if r.DryRun {
		head = "transfer (dry run: nothing was changed)"
	}
	fmt.Fprintf(w, "%s: job %d\n", head, r.JobID)
	fmt.Fprintf(w, "domains: %d created, %d updated, %d unchanged, %d skipped\n", r.Domains.Created, r.Domains.Updated, r.Domains.Unchanged, r.Domains.Skipped)
	fmt.Fprintf(w, "domain invitations: %d created, %d already existed (no invitations are sent)\n", r.Invitations.Created, r.Invitations.Existing)
	fmt.Fprintf(w, "domain information: %d created, %d updated, %d unchanged\n", r.DomainInformation.Created, r.DomainInformation.Updated, r.DomainInformation.Unchanged)
	fmt.Fprintf(w, "senior-official contacts: %d created, %d updated\n", r.Contacts.Created, r.Contacts.Updated)
	fmt.Fprintf(w, "staging rows marked processed: %d\n", r.StagingProcessed)
	if r.Domains.Created+r.Domains.Updated+r.Invitations.Created+r.DomainInformation.Created+r.DomainInformation.Updated == 0 {
		fmt.Fprintln(w, "nothing to change")
	}
	printReport(w, r.Report)
}

func (a *app) analyzeCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "analyze",
		Short: "Compare the staging table with Domains, DomainInformation and invitations",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := a.service(cmd)
			if err != nil {
				return err
			}
			an, err := s.Analyze(cmd.Context())
			if err != nil {
				return err
			}
			return a.emit(an, func(w io.Writer) { printAnalysis(w, an) })
		},
	}
}

func printAnalysis(w io.Writer, an registrar.Analysis) {
	fmt.Fprintf(w, "transition domains:  %d\ndomains:             %d\ndomain information:  %d\ndomain invitations:  %d\n",
		an.TransitionDomains, an.Domains, an.DomainInformation, an.DomainInvitations)
	fmt.Fprintf(w, "missing domains: %d, duplicate domains: %d, missing domain information: %d, missing invitations: %d\n",
		an.MissingDomains, an.DuplicateDomains, an.MissingDomainInformation, an.MissingInvitations)
}

func (a *app) domainsCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "domains",
		Short: "List the domains",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			db, err := a.open(cmd.Context())
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
	cmd := &cobra.Command{
		Use:   "login --subject SUB --email EMAIL",
		Short: "Do what sign-in does for a verified person: create the user, retrieve invitations",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := a.service(cmd)
			if err != nil {
				return err
			}
			res, err := s.Login(cmd.Context(), subject, email)
			if err != nil {
				return err
			}
			return a.emit(res, func(w io.Writer) {
				verb := "existing"
				if res.UserCreated {
					verb = "new"
				}
				fmt.Fprintf(w, "%s user %d: %d invitations retrieved; manages %d domains\n", verb, res.UserID, res.Retrieved, len(res.Domains))
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
	cmd.MarkFlagRequired("subject")
	cmd.MarkFlagRequired("email")
	return cmd
}
