package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/ferrymigrate/ferry/internal/tenant"
)

// The bundled example's two tenants (examples/tenant/README.md).
const exampleSource, exampleTarget = "0111", "0222"

// examplesCmd runs both example migrations on the bundled data, each step
// through the same command a user would type, in this process.
func (a *app) examplesCmd() *cobra.Command {
	var dir string
	var yes bool
	cmd := &cobra.Command{
		Use:   "examples --yes",
		Short: "Run both example migrations on the bundled sample data",
		Long: `Run the registrar migration of examples/registrar and a tenant merge of
examples/tenant (import, plan, merge with the skip policy, verify) into the
database, printing each step's summary as the commands themselves print it.
Each step is the command of the same name, so a rerun is safe: it reports
that nothing changed.`,
		Example: `  ferry examples --yes
  ferry examples --yes --db demo.db --json`,
		Args: args(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := a.confirm(yes, "Run both example migrations into "+a.dbURL+"?"); err != nil {
				return err
			}
			if _, err := os.Stat(filepath.Join(dir, "registrar")); err != nil {
				return usagef("no examples in %s: run this from a checkout of ferry, or give --dir", dir)
			}
			steps := []struct {
				name string
				args []string
			}{
				{"registrar", []string{"registrar", "migrate", "--directory", filepath.Join(dir, "registrar"), "--yes"}},
				{"tenantImport", []string{"tenant", "import", filepath.Join(dir, "tenant")}},
				{"tenantPlan", []string{"tenant", "plan", "--source", exampleSource, "--target", exampleTarget, "--on-conflict", "skip"}},
				{"tenantMerge", []string{"tenant", "migrate", "--source", exampleSource, "--target", exampleTarget, "--on-conflict", "skip", "--yes"}},
				{"tenantVerify", []string{"tenant", "verify", "--source", exampleSource, "--target", exampleTarget}},
			}
			results := map[string]json.RawMessage{}
			for _, st := range steps {
				argv := append([]string{"--db", a.dbURL}, st.args...)
				if a.json {
					argv = append(argv, "--json")
				}
				var out bytes.Buffer
				env := a.env
				env.Stdout = &out
				if !a.json {
					fmt.Fprintf(a.env.Stdout, "$ ferry %s\n", joinArgs(st.args))
					env.Stdout = io.MultiWriter(a.env.Stdout, &out)
				}
				err := Run(cmd.Context(), env, argv)
				if st.name == "tenantImport" && errors.Is(err, tenant.ErrMergedSinceImport) {
					// A rerun: the example was merged already, and the merge
					// below finds nothing left to do.
					fmt.Fprintf(a.env.Stderr, "ferry: the tenant example is imported and merged already; not importing it again\n")
					continue
				}
				if err != nil {
					return fmt.Errorf("example step ferry %s: %w", joinArgs(st.args), err)
				}
				if a.json {
					results[st.name] = json.RawMessage(bytes.TrimSpace(out.Bytes()))
				} else {
					fmt.Fprintln(a.env.Stdout)
				}
			}
			if a.json {
				return a.emit(results, nil)
			}
			fmt.Fprintf(a.env.Stdout, "both example migrations done in %s; run again to see that nothing changes\n", a.elapsed())
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "examples", "the folder holding the registrar/ and tenant/ examples")
	cmd.Flags().BoolVar(&yes, "yes", false, "run without asking (required off a terminal)")
	return cmd
}

func joinArgs(args []string) string {
	var b bytes.Buffer
	for i, s := range args {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(s)
	}
	return b.String()
}
