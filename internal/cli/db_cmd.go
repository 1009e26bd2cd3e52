package cli

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/ferrymigrate/ferry/internal/store"
)

func (a *app) dbCmd() *cobra.Command {
	cmd := group("db", "The database's schema: what is applied and what is pending", "  ferry db status\n  ferry db migrate")
	status := &cobra.Command{
		Use:   "status",
		Short: "Show the schema version of each part of ferry and what is pending",
		Long: `Show, for each part of ferry that keeps tables (the engine, each migration),
the schema version the database is at, the newest this ferry knows, and
every migration with the time it was applied. It changes nothing, and
refuses a database that does not exist.`,
		Example: "  ferry db status\n  ferry --db postgres://ferry@db.example/ferry db status --json",
		Args:    args(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := store.OpenExisting(cmd.Context(), a.dbURL)
			if err != nil {
				return err
			}
			defer db.Close()
			st, err := db.MigrationStatus(cmd.Context(), migrationSets...)
			if err != nil {
				return err
			}
			return a.emit(map[string]any{"database": db.String(), "schemas": st}, func(w io.Writer) {
				t := newTable(w, "SCHEMA", "VERSION#", "LATEST#", "PENDING#")
				for _, s := range st {
					t.row(s.Name, s.Version, s.Latest, s.Pending)
				}
				t.flush()
				fmt.Fprintln(w)
				m := newTable(w, "SCHEMA", "MIGRATION", "APPLIED AT")
				for _, s := range st {
					for _, ms := range s.Migrations {
						at := "pending"
						if ms.AppliedAt != nil {
							at = ms.AppliedAt.Format("2006-01-02 15:04:05Z")
						}
						m.row(s.Name, ms.File, at)
					}
				}
				m.flush()
				pending := 0
				for _, s := range st {
					pending += s.Pending
				}
				if pending == 0 {
					fmt.Fprintln(w, "\nthe schema is up to date")
				} else {
					fmt.Fprintf(w, "\n%s pending; any command that writes applies them, or ferry db migrate\n", plural(int64(pending), "migration", "migrations"))
				}
			})
		},
	}
	migrate := &cobra.Command{
		Use:     "migrate",
		Short:   "Apply the pending schema migrations (every command that writes does so too)",
		Example: "  ferry db migrate\n  ferry --db postgres://ferry@db.example/ferry db migrate",
		Args:    args(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := a.open(cmd.Context())
			if err != nil {
				return err
			}
			st, err := db.MigrationStatus(cmd.Context(), migrationSets...)
			if err != nil {
				return err
			}
			return a.emit(map[string]any{"database": db.String(), "schemas": st}, func(w io.Writer) {
				for _, s := range st {
					fmt.Fprintf(w, "%s schema at version %d\n", s.Name, s.Version)
				}
			})
		},
	}
	cmd.AddCommand(status, migrate)
	return cmd
}
