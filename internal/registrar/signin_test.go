package registrar

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ferrymigrate/ferry"
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

// A sign-in's job record and result never hold the e-mail address: both
// are printed by default (the result used to carry it, and with it the
// job's stored counts).
func TestSignInRecordHasNoEmail(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, db *store.DB) {
		s := newService(t, db)
		res, err := s.Login(t.Context(), "subject-9", "someone@example.test")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(res)
		if strings.Contains(string(b), "@") {
			t.Errorf("result %s holds the address", b)
		}
		for _, row := range queryStrings(t, db, `SELECT args, counts, inputs, checkpoint, progress FROM ferry_job`) {
			if strings.Contains(row, "@") {
				t.Errorf("job record holds the address: %s", row)
			}
		}
	})
}

// The subject is the person; the e-mail is where invitations were sent.
// A person whose verified address changed keeps their account and their
// domains, gets the invitations sent to the new address, and the change is
// journalled and reported, never silent. An address another account holds
// is refused with a clear error and changes nothing.
func TestSignInWithChangedEmail(t *testing.T) {
	t.Parallel()
	files := writeFiles(t, map[string]string{
		KeyDomainContacts: "one.gov|A|admin\ntwo.gov|B|admin\nthree.gov|C|admin\n",
		KeyContacts:       contactLine("A", "first@example.test") + contactLine("B", "second@example.test") + contactLine("C", "third@example.test"),
		KeyStatuses:       "one.gov|ok|\ntwo.gov|ok|\nthree.gov|ok|\n",
	})
	engines(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		s := newService(t, db)
		mustLoad(t, s, loadOpts(files))
		mustTransfer(t, s, TransferOptions{})
		first, err := s.Login(ctx, "person-1", "first@example.test")
		if err != nil {
			t.Fatal(err)
		}
		eq(t, "first sign-in", []any{first.UserCreated, first.EmailChanged, first.Domains}, []any{true, false, []string{"one.gov"}})
		moved, err := s.Login(ctx, "person-1", "Second@Example.test")
		if err != nil {
			t.Fatal(err)
		}
		eq(t, "same user", moved.UserID, first.UserID)
		eq(t, "changed", moved.EmailChanged, true)
		eq(t, "domains", moved.Domains, []string{"one.gov", "two.gov"})
		eq(t, "journal", queryStrings(t, db, `SELECT entity, entity_key, action, before, after FROM ferry_journal WHERE action = 'update' ORDER BY id`),
			[]string{fmt.Sprintf(`registrar_user | %d | update | {"email":"first@example.test"} | {"email":"Second@Example.test"}`, first.UserID)})

		// Someone else signs in with the second address: refused, nothing changes.
		third, err := s.Login(ctx, "person-3", "third@example.test")
		if err != nil {
			t.Fatal(err)
		}
		before := invitationList(t, db)
		_, err = s.Login(ctx, "person-3", "second@example.test")
		if !errors.Is(err, ErrEmailTaken) || ferry.ErrorCode(err) != ferry.ECONFLICT {
			t.Fatalf("an address held by another account: got %v, want ErrEmailTaken", err)
		}
		eq(t, "invitations unchanged", invitationList(t, db), before)
		eq(t, "third's address unchanged", queryStrings(t, db, `SELECT email FROM registrar_user WHERE id = ?`, third.UserID), []string{"third@example.test"})
	})
}

// The System user owns migrated records; signing in as it is refused with a
// clear error, not a unique-constraint failure.
func TestSignInAsSystemRefused(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, db *store.DB) {
		s := newService(t, db)
		mustLoad(t, s, loadOpts(ownFiles(t)))
		mustTransfer(t, s, TransferOptions{})
		_, err := s.Login(t.Context(), "System", "someone@example.test")
		if ferry.ErrorCode(err) != ferry.EINVALID || !strings.Contains(err.Error(), "reserved") {
			t.Fatalf("signing in as System: got %v (%s), want a clear invalid-request error", err, ferry.ErrorCode(err))
		}
	})
}
