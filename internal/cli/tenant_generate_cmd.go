package cli

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/spf13/cobra"

	"github.com/ferrymigrate/ferry/internal/tenant"
)

func (a *app) tenantGenerateCmd() *cobra.Command {
	opts := tenant.GenerateOptions{Overlap: tenant.DefaultOverlap, Seed: 1}
	cmd := &cobra.Command{
		Use:   "generate --users N --out DIR",
		Short: "Write a synthetic two-tenant export (for trials and benchmarks)",
		Long: `Write a synthetic export of two tenants in the platform's own form:
DIR/sunbird/<table>.csv, DIR/sunbird_courses/course_batch.csv and
DIR/content.csv, as cqlsh COPY TO writes them, ready for ferry tenant
import. The users are split 40/60 between a source and a target tenant,
with child orgs (some nested), memberships in several orgs, role scopes,
consents, external ids, lookups and encrypted e-mails and phones, course
batches and org-scoped rows; an inactive tenant and a non-root org of the
target give the validation cases.

--overlap is the percentage of source users who also have an account in
the target, half by the same e-mail and half by the same external id; any
overlap also adds one taken org external id, page name and preference
key, and --overlap 0 gives a merge without conflicts. --split-rows splits
user_lookup as cqlsh's MAXOUTPUTSIZE does. The same seed, users and
overlap give byte-identical files. DIR must be new or empty.`,
		Example: `  ferry tenant generate --users 1000 --out tenants
  ferry tenant generate --users 1000000 --overlap 0 --seed 7 --out big
  ferry tenant generate --users 500 --overlap 10 --split-rows 200 --out gen --json`,
		Args: args(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch {
			case opts.Out == "":
				return usagef("generate needs --out DIR")
			case opts.Users < 2:
				return usagef("generate needs --users N with N of 2 or more (one user per tenant at least)")
			case math.IsNaN(opts.Overlap) || opts.Overlap < 0 || opts.Overlap > 100:
				return usagef("--overlap is a percentage from 0 to 100, not %v", opts.Overlap)
			case opts.SplitRows < 0:
				return usagef("--split-rows must be 0 (no split) or more, not %d", opts.SplitRows)
			}
			if err := emptyOrNew(opts.Out); err != nil {
				return err
			}
			res, err := tenant.Generate(cmd.Context(), opts)
			if err != nil {
				return err
			}
			return a.emit(res, func(w io.Writer) { a.printGenerate(w, opts, res) })
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&opts.Users, "users", 0, "number of users, split 40/60 between the source and the target")
	fl.Float64Var(&opts.Overlap, "overlap", tenant.DefaultOverlap, "percentage of source users who also have an account in the target (0 = a merge without conflicts)")
	fl.Int64Var(&opts.Seed, "seed", 1, "dataset seed; the same seed gives the same files")
	fl.StringVar(&opts.Out, "out", "", "new or empty folder to write the dataset into")
	fl.IntVar(&opts.SplitRows, "split-rows", 0, "split user_lookup into files of N rows, as cqlsh's MAXOUTPUTSIZE does (0 = one file)")
	return cmd
}

// emptyOrNew refuses an --out that holds anything.
func emptyOrNew(dir string) error {
	st, err := os.Stat(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if !st.IsDir() {
		return usagef("--out %s is a file: give a new or empty folder", dir)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	if len(entries) > 0 {
		return usagef("--out %s is not empty: give a new or empty folder (a dataset is never written over another)", dir)
	}
	return nil
}

func (a *app) printGenerate(w io.Writer, opts tenant.GenerateOptions, r tenant.GenerateResult) {
	fmt.Fprintf(w, "tenant generate: %s into %s\n", plural(int64(opts.Users), "user", "users"), opts.Out)
	fmt.Fprintf(w, "  source %s\n  target %s\n", r.Source, r.Target)
	t := newTable(w, "TABLE", "ROWS#")
	var total int64
	for _, tb := range tenant.Tables() {
		if n, ok := r.Rows[tb.Name]; ok {
			t.row(tb.Name, n)
			total += n
		}
	}
	t.flush()
	fmt.Fprintf(w, "\ndone in %s: %s in %s; import with: ferry tenant import %s\n", a.elapsed(),
		plural(total, "row", "rows"), plural(int64(len(r.Rows)), "table", "tables"), opts.Out)
}
