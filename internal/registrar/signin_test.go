package registrar

import (
	"testing"

	"github.com/ferrymigrate/ferry/internal/store"
)

// E-mail addresses are lower-cased by Unicode's rules on both engines: an
// address written in two cases, with letters beyond ASCII, is one
// invitation, and a sign-in in yet another case retrieves it. (SQLite's
// lower() is ASCII-only: the load made two invitations there and one on
// PostgreSQL, and the sign-in retrieved nothing on SQLite.)
func TestNonASCIIEmailsLowerCasedAlike(t *testing.T) {
	t.Parallel()
	files := writeFiles(t, map[string]string{
		KeyDomainContacts: "aa.gov|UP|admin\naa.gov|LOW|tech\nbb.gov|GR|admin\n",
		KeyContacts:       contactLine("UP", "ÄNNE.Ørsted@Example.test") + contactLine("LOW", "änne.ørsted@example.test") + contactLine("GR", "ΣΟΦΊΑ@example.test"),
		KeyStatuses:       "aa.gov|ok|\nbb.gov|ok|\n",
	})
	engines(t, func(t *testing.T, db *store.DB) {
		s := newService(t, db)
		res := mustLoad(t, s, loadOpts(files))
		// Staging keeps each address as written.
		eq(t, "staging rows", res.Rows.Created, int64(3))
		tr := mustTransfer(t, s, TransferOptions{})
		eq(t, "invitations", tr.Invitations, InviteCounts{Created: 2})
		eq(t, "invitation list", invitationList(t, db), []string{
			"änne.ørsted@example.test | aa.gov | invited",
			"σοφία@example.test | bb.gov | invited",
		})
		eq(t, "missing invitations", analyze(t, db).MissingInvitations, int64(0))
		in, err := s.Login(t.Context(), "subject-1", "Änne.ØRSTED@EXAMPLE.TEST")
		if err != nil {
			t.Fatal(err)
		}
		eq(t, "retrieved", in.Retrieved, int64(1))
		eq(t, "domains", in.Domains, []string{"aa.gov"})
		gr, err := s.Login(t.Context(), "subject-2", "σοφία@EXAMPLE.test")
		if err != nil {
			t.Fatal(err)
		}
		eq(t, "domains", gr.Domains, []string{"bb.gov"})
	})
}
