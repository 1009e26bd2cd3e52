package cli

import (
	"fmt"
	"io"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/ferrymigrate/ferry/internal/engine"
)

func (a *app) jobsCmd() *cobra.Command {
	cmd := group("jobs", "Show the durable record of ferry runs")
	var limit int
	list := &cobra.Command{
		Use:   "list",
		Short: "List recent jobs, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			db, err := a.open(cmd.Context())
			if err != nil {
				return err
			}
			jobs, err := engine.List(cmd.Context(), db, engine.Filter{Limit: limit})
			if err != nil {
				return err
			}
			return a.emit(map[string]any{"jobs": jobs}, func(w io.Writer) {
				for _, j := range jobs {
					fmt.Fprintf(w, "%6d  %-36s %-11s %s  %s\n", j.ID, j.Kind, j.Status, j.StartedAt.Format("2006-01-02 15:04:05"), duration(j))
				}
			})
		},
	}
	list.Flags().IntVar(&limit, "limit", 50, "number of jobs to show")
	show := &cobra.Command{
		Use:   "show ID",
		Short: "Show one job: inputs with checksums, phase, counts, rejects and findings",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil {
				return &UsageError{Msg: fmt.Sprintf("job id must be a number, got %q", args[0])}
			}
			db, err := a.open(cmd.Context())
			if err != nil {
				return err
			}
			j, err := engine.Get(cmd.Context(), db, id)
			if err != nil {
				return err
			}
			rejects, err := engine.Rejects(cmd.Context(), db, id, 100)
			if err != nil {
				return err
			}
			findings, err := engine.FindingCounts(cmd.Context(), db, id)
			if err != nil {
				return err
			}
			out := map[string]any{"job": j, "rejects": rejects, "findings": findings}
			return a.emit(out, func(w io.Writer) {
				fmt.Fprintf(w, "job %d: %s\nstatus: %s (phase %q, attempt %d)\nstarted: %s  %s\n", j.ID, j.Kind, j.Status, j.Phase, j.Attempts,
					j.StartedAt.Format("2006-01-02 15:04:05Z"), duration(j))
				if j.Error != "" {
					fmt.Fprintf(w, "error: %s\n", j.Error)
				}
				fmt.Fprintf(w, "args: %s\n", j.Args)
				for _, in := range j.Inputs {
					fmt.Fprintf(w, "input %s: %s (%d bytes, sha256 %s)\n", in.Role, in.Path, in.Size, in.SHA256)
				}
				fmt.Fprintf(w, "counts: %s\n", j.Counts)
				for k, n := range findings {
					fmt.Fprintf(w, "finding %s: %d\n", k, n)
				}
				for _, r := range rejects {
					fmt.Fprintf(w, "reject %s:%d: %s\n", r.File, r.Line, r.Reason)
				}
			})
		},
	}
	cmd.AddCommand(list, show)
	return cmd
}

func duration(j engine.Job) string {
	if j.FinishedAt == nil {
		return "(not finished)"
	}
	return j.FinishedAt.Sub(j.StartedAt).Round(1e6).String()
}
