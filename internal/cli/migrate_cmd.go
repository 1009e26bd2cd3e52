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
DomainInformation, then print the table analysis. It is one job, with the
load and the transfer as jobs inside it. Every step is safe to rerun: a
second run changes nothing and says so, and an interrupted run resumes.
--dry-run does all of it and rolls it back. No e-mail is sent.`,
		Example: `  ferry registrar migrate --directory examples/registrar --yes
  ferry registrar migrate --directory export --dry-run
  ferry --db postgres://ferry@db.example/ferry registrar migrate --directory export --rejects rejects.tsv`,
		Args: args(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkLimits(f.limit, f.maxRejects); err != nil {
				return err
			}
			if f.directory == "" && f.manifest == "" {
				return usagef("migrate needs --directory (and optionally --manifest)")
			}
			files, err := f.source(nil).Resolve()
			if err != nil {
				return err
			}
			if err := files.RequireCore(); err != nil {
				return err
			}
			load, rep, err := a.loadOptions(f, files)
			if err != nil {
				return err
			}
			s, err := a.service(cmd)
			if err != nil {
				return rep.close(err, 0)
			}
			res, err := s.Migrate(cmd.Context(), load)
			if err := rep.close(err, res.JobID); err != nil {
				return err
			}
			return a.emit(res, func(w io.Writer) {
				fmt.Fprintf(w, "migrate: job %d%s\n\n", res.JobID, tags(false, res.DryRun))
				printLoad(w, res.Load)
				fmt.Fprintln(w)
				printTransfer(w, res.Transfer)
				fmt.Fprintln(w)
				printAnalysis(w, res.Analysis)
				if !res.Changed {
					fmt.Fprintln(w, "\nmigrate: already up to date; nothing changed")
				}
				t := res.Transfer
				what := fmt.Sprintf("%s, %s and %s", plural(res.Load.Rows.Created, "staging row", "staging rows"),
					plural(t.Domains.Created, "domain", "domains"), plural(t.Invitations.Created, "invitation", "invitations"))
				if res.DryRun {
					fmt.Fprintf(w, "\ndry run in %s (job %d): would create %s; nothing was changed\n", a.elapsed(), res.JobID, what)
				} else {
					fmt.Fprintf(w, "\ndone in %s (job %d): created %s; %s; no e-mail was sent\n", a.elapsed(), res.JobID, what,
						plural(res.Load.TotalRejected, "row rejected", "rows rejected"))
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
		Long: `Write a synthetic escrow export in the legacy registry's layout, nine files
and a migrationFilepaths.json, with realistic shapes and a few per cent of
deliberately malformed rows. The same seed gives the same files.`,
		Example: "  ferry registrar generate --domains 1000 --out /tmp/export\n  ferry registrar generate --domains 1000000 --seed 7 --bad-rate 0 --out big",
		Args:    args(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return usagef("generate needs --out DIR")
			}
			if opts.Domains <= 0 {
				return usagef("generate needs --domains N with N > 0")
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
