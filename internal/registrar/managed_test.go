package registrar

import (
	"testing"

	"github.com/ferrymigrate/ferry/internal/store"
)

// The domains a person manages are those their sign-in turned from
// invitations into manager roles; an unknown subject manages none.
func TestManagedDomains(t *testing.T) {
	t.Parallel()
	files := writeFiles(t, map[string]string{
		KeyDomainContacts: "bb.gov|P|admin\naa.gov|P|tech\ncc.gov|Q|admin\n",
		KeyContacts:       contactLine("P", "pat@example.test") + contactLine("Q", "quinn@example.test"),
		KeyStatuses:       "aa.gov|ok|\nbb.gov|clientHold|\ncc.gov|ok|\n",
	})
	engines(t, func(t *testing.T, db *store.DB) {
		s := newService(t, db)
		mustLoad(t, s, loadOpts(files))
		mustTransfer(t, s, TransferOptions{})
		none, err := s.ManagedDomains(t.Context(), "subject-p")
		if err != nil {
			t.Fatal(err)
		}
		eq(t, "before sign-in", none, []ManagedDomain{})
		if _, err := s.Login(t.Context(), "subject-p", "Pat@example.test"); err != nil {
			t.Fatal(err)
		}
		got, err := s.ManagedDomains(t.Context(), "subject-p")
		if err != nil {
			t.Fatal(err)
		}
		eq(t, "managed", got, []ManagedDomain{{Name: "aa.gov", State: "ready", Role: "manager"}, {Name: "bb.gov", State: "on hold", Role: "manager"}})
	})
}
