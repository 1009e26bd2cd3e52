package cli

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/ferrymigrate/ferry/internal/auth"
)

func (a *app) tokenCmd() *cobra.Command {
	cmd := group("token", "Manage the API tokens of ferry serve",
		"  ferry token create --role admin --name deploy\n  ferry token list\n  ferry token revoke 3")
	cmd.Long = `Manage the API tokens of ferry serve. A token is printed once, when it is
made; the database keeps only its SHA-256. An admin token may migrate,
cancel and roll back; a viewer token may read jobs.`
	var role, name string
	create := &cobra.Command{
		Use:   "create --role admin|viewer [--name N]",
		Short: "Make a token and print it, once",
		Example: `  ferry token create --role admin --name deploy
  TOKEN=$(ferry --json token create --role viewer | jq -r .token)`,
		Args: args(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			r, err := auth.ParseRole(role)
			if err != nil {
				return usagef("--role must be admin or viewer, not %q", role)
			}
			db, err := a.open(cmd.Context())
			if err != nil {
				return err
			}
			secret, t, err := auth.Create(cmd.Context(), db, r, name)
			if err != nil {
				return err
			}
			return a.emit(map[string]any{"token": secret, "id": t.ID, "name": t.Name, "role": t.Role}, func(w io.Writer) {
				fmt.Fprintln(w, secret)
				fmt.Fprintf(a.env.Stderr, "token %d (%s) made; it is shown only this once: keep it somewhere safe\n", t.ID, t.Role)
			})
		},
	}
	create.Flags().StringVar(&role, "role", "", "admin or viewer (required)")
	create.Flags().StringVar(&name, "name", "", "what the token is for, shown by token list")
	list := &cobra.Command{
		Use:     "list",
		Short:   "List the tokens, without their secrets",
		Example: "  ferry token list\n  ferry --json token list",
		Args:    args(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := a.openRead(cmd.Context())
			if err != nil {
				return err
			}
			tokens, err := auth.List(cmd.Context(), db)
			if err != nil {
				return err
			}
			return a.emit(map[string]any{"tokens": tokens}, func(w io.Writer) {
				if len(tokens) == 0 {
					fmt.Fprintln(w, "no tokens")
					return
				}
				t := newTable(w, "ID#", "ROLE", "NAME", "CREATED", "LAST USED", "REVOKED")
				for _, tok := range tokens {
					t.row(tok.ID, string(tok.Role), tok.Name, stamp(&tok.CreatedAt), stamp(tok.LastUsedAt), stamp(tok.RevokedAt))
				}
				t.flush()
			})
		},
	}
	revoke := &cobra.Command{
		Use:     "revoke ID",
		Short:   "Stop a token from working",
		Example: "  ferry token revoke 3",
		Args:    args("ID"),
		RunE: func(cmd *cobra.Command, argv []string) error {
			id, err := strconv.ParseInt(argv[0], 10, 64)
			if err != nil || id <= 0 {
				return usagef("token id %q is not a positive number", argv[0])
			}
			db, err := a.open(cmd.Context())
			if err != nil {
				return err
			}
			t, err := auth.Revoke(cmd.Context(), db, id)
			if err != nil {
				return err
			}
			return a.emit(t, func(w io.Writer) { fmt.Fprintf(w, "token %d (%s) revoked\n", t.ID, t.Role) })
		},
	}
	cmd.AddCommand(create, list, revoke)
	return cmd
}

func stamp(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04:05")
}
