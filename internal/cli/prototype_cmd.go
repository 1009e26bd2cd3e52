package cli

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/ferrymigrate/ferry/internal/engine"
	"github.com/ferrymigrate/ferry/internal/registrar"
)

// rejectFlags are the reject-handling flags every loader accepts.
type rejectFlags struct {
	sep        sepFlag
	rejects    string
	maxRejects int64
}

func addRejectFlags(cmd *cobra.Command, f *rejectFlags) {
	f.sep = '|'
	cmd.Flags().Var(&f.sep, "sep", "field separator")
	cmd.Flags().StringVar(&f.rejects, "rejects", "", "write every rejected row (file, line, reason, raw) to this file")
	cmd.Flags().Int64Var(&f.maxRejects, "max-rejects", -1, "fail, applying nothing, when more than N rows are rejected (-1 = no limit)")
}

// options opens the --rejects file; the caller closes it with done.
func (f *rejectFlags) options(files registrar.Files) (registrar.PrototypeOptions, func(error) error, error) {
	onReject, done, err := rejectSink(f.rejects)
	if err != nil {
		return registrar.PrototypeOptions{}, nil, err
	}
	return registrar.PrototypeOptions{Files: files, Sep: rune(f.sep), MaxRejects: f.maxRejects, OnReject: onReject}, done, nil
}

func printRejects(w io.Writer, jobID, total int64, samples []engine.Reject) {
	if total == 0 {
		return
	}
	fmt.Fprintf(w, "rejected rows: %d\n", total)
	for _, r := range samples {
		fmt.Fprintf(w, "  %s:%d: %s\n", r.File, r.Line, r.Reason)
	}
	if int64(len(samples)) < total {
		fmt.Fprintf(w, "  ... see --rejects FILE or 'ferry jobs show %d'\n", jobID)
	}
}

func (a *app) loadDomainsCmd() *cobra.Command {
	var f rejectFlags
	cmd := &cobra.Command{
		Use:   "load-domains [--sep C] [FILE]",
		Short: "Create a Domain for each name in an escrow domains file (or standard input)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := "-"
			if len(args) == 1 {
				path = args[0]
			}
			s, err := a.service(cmd)
			if err != nil {
				return err
			}
			opts, done, err := f.options(registrar.Files{registrar.KeyEscrow: path})
			if err != nil {
				return err
			}
			opts.Stdin = a.env.Stdin
			res, err := s.LoadDomains(cmd.Context(), opts)
			if err = done(err); err != nil {
				return err
			}
			return a.emit(res, func(w io.Writer) {
				c := res.Rows
				fmt.Fprintf(w, "load-domains: job %d: %d rows read: %d domains created, %d skipped (already present or repeated), %d rejected\n",
					res.JobID, c.Read, c.Created, c.Skipped, c.Rejected)
				printRejects(w, res.JobID, c.Rejected, res.Rejects)
			})
		},
	}
	addRejectFlags(cmd, &f)
	return cmd
}

func (a *app) loadInvitationsCmd() *cobra.Command {
	var f rejectFlags
	cmd := &cobra.Command{
		Use:   "load-invitations [--sep C] DOMAIN_CONTACTS CONTACTS",
		Short: "Create a DomainInvitation per contact e-mail and existing domain",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := a.service(cmd)
			if err != nil {
				return err
			}
			opts, done, err := f.options(registrar.Files{registrar.KeyDomainContacts: args[0], registrar.KeyContacts: args[1]})
			if err != nil {
				return err
			}
			res, err := s.LoadInvitations(cmd.Context(), opts)
			if err = done(err); err != nil {
				return err
			}
			return a.emit(res, func(w io.Writer) {
				fmt.Fprintf(w, "load-invitations: job %d: %d invitations created, %d already existed\n", res.JobID, res.Created, res.Existing)
				fmt.Fprintf(w, "ignored contacts (linked to no domain): %d\ndomains not found: %d\n", res.IgnoredContacts, res.MissingDomains)
				fmt.Fprintf(w, "linked contacts without e-mail: %d, linked contacts not in the contacts file: %d\n", res.ContactsNoEmail, res.ContactsNotFound)
				printRejects(w, res.JobID, res.TotalRejected, res.Rejects)
				printReport(w, res.Report)
			})
		},
	}
	addRejectFlags(cmd, &f)
	return cmd
}

func (a *app) loadOrgDataCmd() *cobra.Command {
	var f rejectFlags
	var m manifestFlags
	cmd := &cobra.Command{
		Use:   "load-organization-data --directory DIR [--manifest FILE]",
		Short: "Backfill organisation addresses onto staging rows and DomainInformation",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if m.directory == "" && m.manifest == "" {
				return &UsageError{Msg: "load-organization-data needs --directory (and optionally --manifest)"}
			}
			files, err := m.source(nil).Resolve()
			if err != nil {
				return err
			}
			s, err := a.service(cmd)
			if err != nil {
				return err
			}
			onReject, done, err := rejectSink(f.rejects)
			if err != nil {
				return err
			}
			res, err := s.LoadOrganizationData(cmd.Context(), registrar.OrgDataOptions{Files: files, Sep: rune(f.sep), MaxRejects: f.maxRejects, OnReject: onReject})
			if err := done(err); err != nil {
				return err
			}
			return a.emit(res, func(w io.Writer) {
				fmt.Fprintf(w, "load-organization-data: job %d\nstaging rows updated: %d\n", res.JobID, res.StagingUpdated)
				fmt.Fprintf(w, "domain information: %d addresses filled, %d already up to date, %d edited by a user (left alone), %d without organisation data, %d domains without domain information\n",
					res.InformationUpdated, res.InformationUnchanged, res.UserEdited, res.NoOrganizationData, res.MissingInformation)
				printRejects(w, res.JobID, res.TotalRejected, res.Rejects)
				printReport(w, res.Report)
			})
		},
	}
	addRejectFlags(cmd, &f)
	addManifestFlags(cmd, &m)
	return cmd
}
