package cli

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/ferrymigrate/ferry/internal/synth"
)

func (a *app) migrateCmd() *cobra.Command {
	f := &loadFlags{sep: '|'}
	cmd := &cobra.Command{
		Use:   "migrate --directory DIR [--manifest FILE] [--yes]",
		Short: "Load, transfer and analyse in one run, without prompts",
		Long: `Run the whole registrar migration: load the escrow files named by the
manifest into the staging table, transfer them to Domains, invitations and
DomainInformation, then print the table analysis. Every step is idempotent:
a second run changes nothing and says so. No e-mail is sent.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.limit < 0 {
				return &UsageError{Msg: "--limit must be 0 (all) or more"}
			}
			if f.directory == "" && f.manifest == "" {
				return &UsageError{Msg: "migrate needs --directory (and optionally --manifest)"}
			}
			files, err := f.source(nil).Resolve()
			if err != nil {
				return err
			}
			if err := files.RequireCore(); err != nil {
				return err
			}
			load, done, err := a.loadOptions(cmd, f, files)
			if err != nil {
				return err
			}
			s, err := a.service(cmd)
			if err != nil {
				return err
			}
			res, err := s.Migrate(cmd.Context(), load)
			if err := done(err); err != nil {
				return err
			}
			return a.emit(res, func(w io.Writer) {
				printLoad(w, res.Load)
				fmt.Fprintln(w)
				printTransfer(w, res.Transfer)
				fmt.Fprintln(w)
				printAnalysis(w, res.Analysis)
				if !res.Changed {
					fmt.Fprintln(w, "\nmigrate: already up to date; nothing changed")
				}
			})
		},
	}
	addLoadFlags(cmd, f)
	return cmd
}

func (a *app) generateCmd() *cobra.Command {
	var opts synth.Options
	var out string
	cmd := &cobra.Command{
		Use:   "generate --domains N --out DIR",
		Short: "Write a synthetic escrow export (for trials and benchmarks)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return &UsageError{Msg: "generate needs --out DIR"}
			}
			if opts.Domains <= 0 {
				return &UsageError{Msg: "generate needs --domains N with N > 0"}
			}
			sum, err := synth.Generate(cmd.Context(), out, opts)
			if err != nil {
				return err
			}
			return a.emit(sum, func(w io.Writer) {
				fmt.Fprintf(w, "wrote %d domains, %d contacts, %d domain-contact rows, %d status rows, %d deliberately bad rows to %s\n",
					sum.Domains, sum.Contacts, sum.DomainContacts, sum.Statuses, sum.BadRows, out)
			})
		},
	}
	cmd.Flags().IntVar(&opts.Domains, "domains", 0, "number of distinct domains")
	cmd.Flags().StringVar(&out, "out", "", "directory to write the files and migrationFilepaths.json into")
	cmd.Flags().Int64Var(&opts.Seed, "seed", 1, "data set seed; the same seed gives the same files")
	cmd.Flags().Float64Var(&opts.BadRate, "bad-rate", synth.DefaultBadRate, "fraction of deliberately malformed rows")
	return cmd
}
