package cli

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/ferrymigrate/ferry/internal/registrar"
)

// rejectFlags are the reject-handling flags every loader accepts.
type rejectFlags struct {
	sep        sepFlag
	rejects    string
	maxRejects int64
	dry        bool
}

func addRejectAndSepFlags(cmd *cobra.Command, f *rejectFlags) {
	f.sep = '|'
	cmd.Flags().Var(&f.sep, "sep", "field separator")
	cmd.Flags().BoolVar(&f.dry, "dry-run", false, "do everything and report it, then roll it back: nothing changes")
	addRejectFlags(cmd, &f.rejects, &f.maxRejects)
}

// options opens the --rejects file; the caller closes it.
func (a *app) prototypeOptions(f *rejectFlags, files registrar.Files) (registrar.PrototypeOptions, *rejectReport, error) {
	if err := checkLimits(0, f.maxRejects); err != nil {
		return registrar.PrototypeOptions{}, nil, err
	}
	rep, err := a.openRejects(f.rejects, files)
	if err != nil {
		return registrar.PrototypeOptions{}, nil, err
	}
	return registrar.PrototypeOptions{Files: files, Sep: rune(f.sep), MaxRejects: f.maxRejects, OnReject: rep.add,
		Stdin: a.env.Stdin, DryRun: f.dry}, rep, nil
}

// pick is a or b, for the wording of a dry run and a real one.
func pick(cond bool, a, b string) string {
	if cond {
		return a
	}
	return b
}

// done is the final line of a load: how long it took and whether it was real.
func (a *app) done(dryRun bool, what string) string {
	if dryRun {
		return fmt.Sprintf("dry run in %s: %s; nothing was changed", a.elapsed(), what)
	}
	return fmt.Sprintf("done in %s: %s", a.elapsed(), what)
}

func (a *app) loadDomainsCmd() *cobra.Command {
	var f rejectFlags
	cmd := &cobra.Command{
		Use:   "load-domains [--sep C] [FILE]",
		Short: "Create a Domain for each name in an escrow domains file (or standard input)",
		Long: `Create a Domain, in state "unknown", for every name in an escrow domains file
that the registrar does not have yet, with its escrow dates; existing
domains are left alone. It is the first, simpler loader of the migration,
kept and made safe to rerun; migrate does all of this and more.`,
		Example: `  ferry registrar load-domains escrow_domains.daily.dotgov.GOV.txt
  cat escrow_domains.daily.dotgov.GOV.txt | ferry registrar load-domains`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := "-"
			if len(args) == 1 {
				path = args[0]
			}
			opts, rep, err := a.prototypeOptions(&f, registrar.Files{registrar.KeyEscrow: path})
			if err != nil {
				return err
			}
			s, err := a.service(cmd)
			if err != nil {
				return rep.close(err, 0)
			}
			res, err := s.LoadDomains(cmd.Context(), opts)
			if err = rep.close(err, res.JobID); err != nil {
				return err
			}
			return a.emit(res, func(w io.Writer) {
				c := res.Rows
				created := pick(res.DryRun, "domains would be created", "domains created")
				fmt.Fprintf(w, "load-domains: job %d%s: %s rows read: %s %s, %s skipped (already present or repeated), %s rejected\n",
					res.JobID, tags(res.Resumed, res.DryRun), num(c.Read), num(c.Created), created, num(c.Skipped), num(c.Rejected))
				printRejects(w, res.JobID, c.Rejected, res.Rejects)
				fmt.Fprintf(w, "\n%s\n", a.done(res.DryRun, plural(c.Created, "domain", "domains")+" "+pick(res.DryRun, "would be created", "created")))
			})
		},
	}
	addRejectAndSepFlags(cmd, &f)
	return cmd
}

func (a *app) loadInvitationsCmd() *cobra.Command {
	var f rejectFlags
	cmd := &cobra.Command{
		Use:   "load-invitations [--sep C] DOMAIN_CONTACTS CONTACTS",
		Short: "Create a DomainInvitation per contact e-mail and existing domain",
		Long: `Create one DomainInvitation per lower-cased contact e-mail address and
existing domain, straight from the domain-contacts and contacts files, and
report the contacts no domain links to and the domains the registrar does
not have. It is the second of the first, simpler loaders, kept and made
safe to rerun; migrate does all of this and more. No invitation is sent.`,
		Example: "  ferry registrar load-invitations escrow_domain_contacts.daily.dotgov.GOV.txt escrow_contacts.daily.dotgov.GOV.txt",
		Args:    args("DOMAIN_CONTACTS", "CONTACTS"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts, rep, err := a.prototypeOptions(&f, registrar.Files{registrar.KeyDomainContacts: args[0], registrar.KeyContacts: args[1]})
			if err != nil {
				return err
			}
			s, err := a.service(cmd)
			if err != nil {
				return rep.close(err, 0)
			}
			res, err := s.LoadInvitations(cmd.Context(), opts)
			if err = rep.close(err, res.JobID); err != nil {
				return err
			}
			return a.emit(res, func(w io.Writer) {
				verb := "invitations created"
				if res.DryRun {
					verb = "invitations would be created"
				}
				fmt.Fprintf(w, "load-invitations: job %d%s: %s %s, %s already existed\n", res.JobID, tags(res.Resumed, res.DryRun), num(res.Created), verb, num(res.Existing))
				printFiles(w, res.Files)
				fmt.Fprintf(w, "ignored contacts (linked to no domain): %s\ndomains not found: %s\n", num(res.IgnoredContacts), num(res.MissingDomains))
				fmt.Fprintf(w, "linked contacts without e-mail: %s, linked contacts not in the contacts file: %s\n", num(res.ContactsNoEmail), num(res.ContactsNotFound))
				printRejects(w, res.JobID, res.TotalRejected, res.Rejects)
				printReport(w, res.Report)
				fmt.Fprintf(w, "\n%s\n", a.done(res.DryRun, plural(res.Created, "invitation", "invitations")+" "+pick(res.DryRun, "would be created", "created; none was sent")))
			})
		},
	}
	addRejectAndSepFlags(cmd, &f)
	return cmd
}

func (a *app) loadOrgDataCmd() *cobra.Command {
	var f rejectFlags
	var m manifestFlags
	cmd := &cobra.Command{
		Use:   "load-organization-data --directory DIR [--manifest FILE]",
		Short: "Backfill organisation addresses onto staging rows and DomainInformation",
		Long: `Backfill organisation addresses from the domain additional data and
organisation files onto the staging rows, and onto DomainInformation whose
address is still entirely empty; an address a user entered is never
touched. Full state names become two-letter codes; a value that maps to
none is reported and left out, never truncated.`,
		Example: "  ferry registrar load-organization-data --directory examples/registrar\n  ferry registrar load-organization-data --directory export --dry-run",
		Args:    args(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if m.directory == "" && m.manifest == "" {
				return usagef("load-organization-data needs --directory (and optionally --manifest)")
			}
			files, err := m.source(nil).Resolve()
			if err != nil {
				return err
			}
			if err := checkLimits(0, f.maxRejects); err != nil {
				return err
			}
			rep, err := a.openRejects(f.rejects, files)
			if err != nil {
				return err
			}
			s, err := a.service(cmd)
			if err != nil {
				return rep.close(err, 0)
			}
			res, err := s.LoadOrganizationData(cmd.Context(), registrar.OrgDataOptions{Files: files, Sep: rune(f.sep), MaxRejects: f.maxRejects,
				OnReject: rep.add, DryRun: f.dry})
			if err := rep.close(err, res.JobID); err != nil {
				return err
			}
			return a.emit(res, func(w io.Writer) {
				would := pick(res.DryRun, " (would be)", "")
				fmt.Fprintf(w, "load-organization-data: job %d%s\n", res.JobID, tags(res.Resumed, res.DryRun))
				printFiles(w, res.Files)
				fmt.Fprintf(w, "staging rows updated%s: %s\n", would, num(res.StagingUpdated))
				t := newTable(w, "DOMAIN INFORMATION", "DOMAINS#")
				t.row("addresses filled"+would, res.InformationUpdated)
				t.row("already up to date", res.InformationUnchanged)
				t.row("edited by a user (left alone)", res.UserEdited)
				t.row("without organisation data", res.NoOrganizationData)
				t.row("without domain information", res.MissingInformation)
				t.flush()
				printRejects(w, res.JobID, res.TotalRejected, res.Rejects)
				printReport(w, res.Report)
				fmt.Fprintf(w, "\n%s\n", a.done(res.DryRun, plural(res.InformationUpdated, "address", "addresses")+" filled"))
			})
		},
	}
	addRejectAndSepFlags(cmd, &f)
	addManifestFlags(cmd, &m)
	return cmd
}
