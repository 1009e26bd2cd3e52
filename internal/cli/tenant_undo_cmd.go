package cli

import (
	"fmt"
	"io"
	"sort"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/ferrymigrate/ferry/internal/tenant"
)

func jobArg(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, usagef("JOB must be a job id (a positive number), not %q", s)
	}
	return id, nil
}

func (a *app) tenantRollbackCmd() *cobra.Command {
	var opts tenant.RollbackOptions
	var yes bool
	cmd := &cobra.Command{
		Use:   "rollback JOB --yes",
		Short: "Undo a tenant merge from its journal, restoring every row it changed",
		Long: `Restore every row merge job JOB changed, from its journal, newest change
first: updated rows get their before-image back, moved rows return to their
old keys, merged memberships are split again, and the source is active
again. A row someone changed after the merge refuses the rollback, which
then changes nothing; --force overwrites such rows. An interrupted rollback
resumes when run again.`,
		Example: `  ferry tenant rollback 42 --yes
  ferry tenant rollback 42 --yes --force --json`,
		Args: args("JOB"),
		RunE: func(cmd *cobra.Command, argv []string) error {
			id, err := jobArg(argv[0])
			if err != nil {
				return err
			}
			opts.Job = id
			if opts.BatchRows <= 0 {
				return usagef("--batch must be more than 0")
			}
			if err := a.confirm(yes, fmt.Sprintf("Roll back merge job %d, restoring every row it changed?", id)); err != nil {
				return err
			}
			s, err := a.tenantService(cmd)
			if err != nil {
				return err
			}
			res, err := s.Rollback(cmd.Context(), opts)
			if err != nil && len(res.Changed) > 0 {
				if eerr := a.emit(res, func(w io.Writer) { printChanged(w, res) }); eerr != nil {
					return eerr
				}
				return shown(err)
			}
			if err != nil {
				return err
			}
			return a.emit(res, func(w io.Writer) {
				if res.Already != 0 {
					fmt.Fprintf(w, "merge job %d was rolled back by job %d already: nothing to do\n", res.Of, res.Already)
					return
				}
				fmt.Fprintf(w, "tenant rollback: job %d, undoing merge job %d%s\n", res.JobID, res.Of, tags(res.Resumed, false))
				printChanges(w, res.Restored, "RESTORED#")
				if len(res.Changed) > 0 {
					printChanged(w, res)
				}
				fmt.Fprintf(w, "\ndone in %s: %s restored, %s queued for the search index\n", a.elapsed(),
					plural(sum(res.Restored), "row", "rows"), plural(res.Outbox, "entity", "entities"))
			})
		},
	}
	cmd.Flags().BoolVar(&yes, "yes", false, "confirm the rollback without asking (required off a terminal)")
	cmd.Flags().BoolVar(&opts.Force, "force", false, "also restore rows someone changed since the merge, overwriting those changes")
	cmd.Flags().IntVar(&opts.BatchRows, "batch", tenant.DefaultBatchRows, "journal entries undone per transaction")
	return cmd
}

func printChanged(w io.Writer, r tenant.RollbackResult) {
	fmt.Fprintf(w, "changed since the merge: %s\n", num(int64(len(r.Changed))))
	t := newTable(w, "  TABLE", "KEY")
	for _, c := range r.Changed {
		t.row("  "+c.Table, c.Key)
	}
	t.flush()
}

func (a *app) tenantExportCmd() *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "export JOB --out DIR",
		Short: "Write the cqlsh files that apply a finished merge to the platform, and undo it",
		Long: `Write the write-back of merge job JOB into the new folder DIR: apply/
holds a delete.cql of every old key and COPY FROM files of only the changed
columns of each row, undo/ the same for undoing it, and README.md says how
to run them with cqlsh. Ciphertexts are written byte for byte.`,
		Example: `  ferry tenant export 42 --out writeback
  ferry tenant export 42 --out writeback --json`,
		Args: args("JOB"),
		RunE: func(cmd *cobra.Command, argv []string) error {
			id, err := jobArg(argv[0])
			if err != nil {
				return err
			}
			if out == "" {
				return usagef("give --out, a new folder for the files")
			}
			s, err := a.tenantService(cmd)
			if err != nil {
				return err
			}
			res, err := s.Export(cmd.Context(), id, out)
			if err != nil {
				return err
			}
			return a.emit(res, func(w io.Writer) {
				fmt.Fprintf(w, "tenant export: job %d into %s\n", res.Job, res.Dir)
				t := newTable(w, "TABLE", "APPLY#", "UNDO#")
				for _, name := range sortedKeys(res.Apply) {
					t.row(name, res.Apply[name], res.Undo[name])
				}
				t.flush()
				for name, n := range res.Skipped {
					fmt.Fprintf(w, "not written: %s (%s): it is the knowledge platform's\n", name, plural(n, "row", "rows"))
				}
				fmt.Fprintf(w, "\ndone in %s: %s written (%s/README.md says how to run them)\n", a.elapsed(),
					plural(int64(len(res.Files)), "file", "files"), res.Dir)
			})
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "the new folder to write the files into")
	return cmd
}

func sortedKeys(m map[string]int64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
