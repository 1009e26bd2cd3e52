package cli

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ferrymigrate/ferry/internal/engine"
)

func (a *app) jobsCmd() *cobra.Command {
	cmd := group("jobs", "Show the durable record of ferry runs", "  ferry jobs list\n  ferry jobs show 12")
	var f engine.Filter
	var status string
	list := &cobra.Command{
		Use:   "list",
		Short: "List recent jobs, newest first",
		Example: `  ferry jobs list
  ferry jobs list --kind registrar --status failed
  ferry jobs list --kind registrar.transfer --limit 5 --json`,
		Args: args(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.Limit < 0 {
				return usagef("--limit must be 0 (the default 50) or more")
			}
			f.Status = engine.Status(status)
			switch f.Status {
			case "", engine.Running, engine.Succeeded, engine.Failed, engine.Interrupted, engine.Abandoned:
			default:
				return usagef("--status must be running, succeeded, failed, interrupted or abandoned, not %q", status)
			}
			db, err := a.openRead(cmd.Context())
			if err != nil {
				return err
			}
			jobs, err := engine.List(cmd.Context(), db, f)
			if err != nil {
				return err
			}
			return a.emit(map[string]any{"jobs": jobs}, func(w io.Writer) {
				if len(jobs) == 0 {
					fmt.Fprintln(w, "no jobs")
					return
				}
				t := newTable(w, "ID#", "KIND", "STATUS", "STARTED", "DURATION", "PARENT", "NOTE")
				for _, j := range jobs {
					parent := ""
					if j.ParentID != nil {
						parent = strconv.FormatInt(*j.ParentID, 10)
					}
					note := ""
					if j.Status == engine.Running || j.Status == engine.Interrupted {
						note = "phase " + j.Phase
					}
					if j.Error != "" {
						note = firstLine(j.Error)
					}
					if j.DryRun {
						note = strings.TrimSpace("dry run " + note)
					}
					t.row(j.ID, j.Kind, string(j.Status), j.StartedAt.Format("2006-01-02 15:04:05"), duration(j), parent, note)
				}
				t.flush()
			})
		},
	}
	list.Flags().IntVar(&f.Limit, "limit", 50, "number of jobs to show")
	list.Flags().StringVar(&f.Kind, "kind", "", "only jobs of this kind, or of every kind under it (registrar, registrar.transfer)")
	list.Flags().StringVar(&status, "status", "", "only jobs in this state: running, succeeded, failed, interrupted or abandoned")

	var rejectsFile, findingsFile string
	show := &cobra.Command{
		Use:   "show JOB_ID",
		Short: "Show one job whole: inputs with checksums, counts, every reject and every finding",
		Long: `Show one job's full record: its inputs with their checksums, its phase and
counts, the jobs it ran inside it, and every rejected row and every
finding, in a stable order (rejects by file and line, findings by kind,
subject and detail). On a terminal the record goes through $PAGER.
--rejects FILE and --findings FILE write all of them as CSV as well.`,
		Example: `  ferry jobs show 12
  ferry jobs show 12 --rejects rejects.csv --findings findings.csv
  ferry --json jobs show 12`,
		Args: args("JOB_ID"),
		RunE: func(cmd *cobra.Command, argv []string) error {
			id, err := strconv.ParseInt(argv[0], 10, 64)
			if err != nil || id <= 0 {
				return usagef("a job id is a positive number, not %q", argv[0])
			}
			db, err := a.openRead(cmd.Context())
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			j, err := engine.Get(ctx, db, id)
			if err != nil {
				return err
			}
			children, err := engine.List(ctx, db, engine.Filter{Parent: id, Limit: 1000})
			if err != nil {
				return err
			}
			counts, err := engine.FindingCounts(ctx, db, id)
			if err != nil {
				return err
			}
			nRejects, err := engine.CountRejects(ctx, db, id)
			if err != nil {
				return err
			}
			if rejectsFile != "" {
				if err := writeCSV(rejectsFile, []string{"file", "line", "reason", "raw"}, func(row func(...string) error) error {
					return engine.EachReject(ctx, db, id, engine.Page{}, func(r engine.Reject) error {
						return row(r.File, strconv.FormatInt(r.Line, 10), r.Reason, r.Raw)
					})
				}); err != nil {
					return err
				}
			}
			if findingsFile != "" {
				if err := writeCSV(findingsFile, []string{"kind", "subject", "detail"}, func(row func(...string) error) error {
					return engine.EachFinding(ctx, db, id, "", engine.Page{}, func(f engine.Finding) error {
						return row(f.Kind, f.Subject, f.Detail)
					})
				}); err != nil {
					return err
				}
			}
			if a.json {
				return showJSON(ctx, a, j, children, nRejects, counts)
			}
			w, done := a.pager()
			defer done()
			phase := ""
			if j.Phase != "" {
				phase = fmt.Sprintf("phase %q, ", j.Phase)
			}
			fmt.Fprintf(w, "job %d: %s\nstatus: %s (%sattempt %d)\nstarted: %s  %s\n", j.ID, j.Kind, j.Status, phase, j.Attempts,
				j.StartedAt.Format("2006-01-02 15:04:05Z"), duration(j))
			if j.ParentID != nil {
				fmt.Fprintf(w, "inside job %d\n", *j.ParentID)
			}
			if j.DryRun {
				fmt.Fprintln(w, "dry run: nothing it did was kept")
			}
			if j.Error != "" {
				fmt.Fprintf(w, "error: %s\n", j.Error)
			}
			fmt.Fprintf(w, "args: %s\n", j.Args)
			if len(j.Inputs) > 0 {
				fmt.Fprintln(w)
				t := newTable(w, "INPUT", "BYTES#", "SHA-256", "PATH")
				for _, in := range j.Inputs {
					t.row(in.Role, in.Size, in.SHA256, in.Path)
				}
				t.flush()
			}
			if len(children) > 0 {
				fmt.Fprintln(w)
				t := newTable(w, "STEP JOB#", "KIND", "STATUS", "DURATION")
				for i := len(children) - 1; i >= 0; i-- {
					c := children[i]
					t.row(c.ID, c.Kind, string(c.Status), duration(c))
				}
				t.flush()
			}
			fmt.Fprintf(w, "\ncounts: %s\n", compactCounts(j.Counts))
			if len(counts) > 0 {
				fmt.Fprintln(w)
				kinds := make([]string, 0, len(counts))
				for k := range counts {
					kinds = append(kinds, k)
				}
				sort.Strings(kinds)
				t := newTable(w, "FINDING", "COUNT#")
				for _, k := range kinds {
					t.row(k, counts[k])
				}
				t.flush()
				fmt.Fprintln(w)
				err := engine.EachFinding(ctx, db, id, "", engine.Page{}, func(f engine.Finding) error {
					if f.Detail != "" {
						_, err := fmt.Fprintf(w, "finding %s: %s (%s)\n", f.Kind, f.Subject, f.Detail)
						return err
					}
					_, err := fmt.Fprintf(w, "finding %s: %s\n", f.Kind, f.Subject)
					return err
				})
				if err != nil {
					return err
				}
			}
			if nRejects > 0 {
				fmt.Fprintf(w, "\n%s:\n", plural(nRejects, "rejected row", "rejected rows"))
				err := engine.EachReject(ctx, db, id, engine.Page{}, func(r engine.Reject) error {
					_, err := fmt.Fprintf(w, "reject %s:%d: %s\n", r.File, r.Line, r.Reason)
					return err
				})
				if err != nil {
					return err
				}
			}
			return nil
		},
	}
	show.Flags().StringVar(&rejectsFile, "rejects", "", "also write every rejected row (file, line, reason, raw line) to this CSV file")
	show.Flags().StringVar(&findingsFile, "findings", "", "also write every finding (kind, subject, detail) to this CSV file")
	cmd.AddCommand(list, show)
	return cmd
}

// showJSON streams a job's whole record as one JSON object, so that a job
// with a million rejects never sits in memory.
func showJSON(ctx context.Context, a *app, j engine.Job, children []engine.Job, nRejects int64, counts map[string]int64) error {
	w := a.env.Stdout
	head, err := json.Marshal(map[string]any{"job": j, "children": children, "rejectCount": nRejects, "findingCounts": counts})
	if err != nil {
		return err
	}
	// The head object, reopened to append the two streamed arrays.
	head = bytes.TrimSuffix(head, []byte("}"))
	if _, err := w.Write(head); err != nil {
		return err
	}
	stream := func(name string, each func(func(v any) error) error) error {
		fmt.Fprintf(w, `,%q:[`, name)
		first := true
		err := each(func(v any) error {
			if !first {
				io.WriteString(w, ",")
			}
			first = false
			return writeJSON(w, v)
		})
		io.WriteString(w, "]")
		return err
	}
	db := a.db
	if err := stream("rejects", func(emit func(v any) error) error {
		return engine.EachReject(ctx, db, j.ID, engine.Page{}, func(r engine.Reject) error { return emit(r) })
	}); err != nil {
		return err
	}
	if err := stream("findings", func(emit func(v any) error) error {
		return engine.EachFinding(ctx, db, j.ID, "", engine.Page{}, func(f engine.Finding) error { return emit(f) })
	}); err != nil {
		return err
	}
	_, err = io.WriteString(w, "}\n")
	return err
}

// writeCSV writes a header and the rows fill gives it to a new file.
func writeCSV(path string, header []string, fill func(row func(...string) error) error) error {
	f, err := os.Create(path)
	if err != nil {
		return usagef("cannot write %s: %v", path, err)
	}
	w := csv.NewWriter(f)
	err = w.Write(header)
	if err == nil {
		err = fill(func(cells ...string) error { return w.Write(cells) })
	}
	w.Flush()
	if err == nil {
		err = w.Error()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

func duration(j engine.Job) string {
	if j.FinishedAt == nil {
		return "(not finished)"
	}
	return j.FinishedAt.Sub(j.StartedAt).Round(time.Millisecond).String()
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	if len(line) > 80 {
		line = line[:77] + "..."
	}
	return line
}

// compactCounts is a job's counts without what the record shows anyway
// (its files, findings and rejects, and its steps' own), for people.
func compactCounts(raw json.RawMessage) string {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return string(raw)
	}
	var prune func(v any) any
	prune = func(v any) any {
		m, ok := v.(map[string]any)
		if !ok {
			return v
		}
		for _, k := range []string{"files", "report", "rejects", "jobId", "resumed"} {
			delete(m, k)
		}
		for k, x := range m {
			m[k] = prune(x)
		}
		return m
	}
	b, err := json.Marshal(prune(v))
	if err != nil {
		return string(raw)
	}
	return string(b)
}
