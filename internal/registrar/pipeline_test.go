package registrar

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/ferrymigrate/ferry/internal/store"
)

// sharedOfficialFiles writes 30 domains whose senior officials share an
// e-mail address under different names, so the contact they end up with
// depends on the order batches create and fill it.
func sharedOfficialFiles(t *testing.T) Files {
	t.Helper()
	var dc, contacts, addl strings.Builder
	addl.WriteString(hdrAdditional)
	for i := range 30 {
		d := fmt.Sprintf("d%02d.gov", i)
		id := fmt.Sprintf("C%02d", i)
		fmt.Fprintf(&dc, "%s|%s|admin\n", d, id)
		contacts.WriteString(contactLine(id, fmt.Sprintf("manager%02d@example.test", i%7)))
		fmt.Fprintf(&addl, "%s|1|%d|1|x@example.test|N|purpose\n", d, (29-i)%3)
	}
	return writeFiles(t, map[string]string{
		KeyDomainContacts: dc.String(),
		KeyContacts:       contacts.String(),
		KeyStatuses:       "",
		KeyAdditional:     addl.String(),
		KeyDomainTypes:    hdrTypes + "1|Federal - Executive|FE|Y\n",
		KeyOrganization:   hdrOrgs + "1|Shared Org|1 Main St|Town|Ohio|43001|US\n",
		KeyAuthority: hdrAuthority + "0|Ann||Alpha|shared@example.test|555-0100|1|x\n" +
			"1|Bea|Q|Beta|Shared@Example.test||1|x\n" + "2|Cy||Gamma|other@example.test|555-0102|1|x\n",
		KeyAgency: hdrAgency + "1|Department of Examples|Y|Y\n",
	})
}

func contactRows(t *testing.T, q store.Querier) []string {
	return queryStrings(t, q, `SELECT migration_key, first_name, middle_name, last_name, email, phone FROM contact ORDER BY migration_key`)
}

// Batches in flight at once end exactly where batches run one after
// another end: same rows, same contacts, same counts.
func TestTransferPipelineMatchesSequential(t *testing.T) {
	t.Parallel()
	files := sharedOfficialFiles(t)
	engines(t, func(t *testing.T, db *store.DB) {
		refDB, want := referenceTransfer(t, db, files, TransferOptions{BatchSize: 4, Workers: 1})

		s := newService(t, db)
		mustLoad(t, s, loadOpts(files))
		got := mustTransfer(t, s, TransferOptions{BatchSize: 4, Workers: 3})
		want.JobID, got.JobID = 0, 0
		wantJSON, _ := json.Marshal(want)
		gotJSON, _ := json.Marshal(got)
		eq(t, "result", string(gotJSON), string(wantJSON))
		eq(t, "domains created", got.Domains.Created, int64(30))
		eq(t, "contacts", contactRows(t, db), contactRows(t, refDB))
		// The first domain by name sets the shared contact; later ones only
		// fill its blanks.
		eq(t, "shared contact", queryStrings(t, db, `SELECT first_name || ' ' || middle_name || ' ' || phone FROM contact
			WHERE migration_key = 'shared@example.test'`), []string{"Bea Q 555-0100"})
		eq(t, "domain information", domainInformation(t, db), domainInformation(t, refDB))
		eq(t, "domain states", domainStates(t, db), domainStates(t, refDB))
		eq(t, "invitations", invitationList(t, db), invitationList(t, refDB))
	})
}

// A batch that fails stops the pipeline: the batches before it commit, the
// ones after it do not, and the checkpoint names the last committed batch.
// The next run does the rest and ends where an unbroken run ends.
func TestTransferPipelineFailure(t *testing.T) {
	t.Parallel()
	files := sharedOfficialFiles(t)
	engines(t, func(t *testing.T, db *store.DB) {
		refDB, _ := referenceTransfer(t, db, files, TransferOptions{BatchSize: 4, Workers: 1})

		s := newService(t, db)
		mustLoad(t, s, loadOpts(files))
		// The fourth batch (d12..d15) fails in its second half.
		inject := map[store.Dialect][]string{
			store.Postgres: {`CREATE FUNCTION ferry_test_fail() RETURNS trigger LANGUAGE plpgsql AS $$
				BEGIN
					IF (SELECT name FROM domain WHERE id = NEW.domain_id) = 'd13.gov' THEN RAISE EXCEPTION 'injected failure'; END IF;
					RETURN NEW;
				END $$`,
				`CREATE TRIGGER ferry_test_fail BEFORE INSERT ON domain_information FOR EACH ROW EXECUTE FUNCTION ferry_test_fail()`},
			store.SQLite: {`CREATE TRIGGER ferry_test_fail BEFORE INSERT ON domain_information
				WHEN (SELECT name FROM domain WHERE id = NEW.domain_id) = 'd13.gov'
				BEGIN SELECT RAISE(ABORT, 'injected failure'); END`},
		}
		for _, q := range inject[db.Dialect()] {
			if _, err := db.Exec(t.Context(), q); err != nil {
				t.Fatal(err)
			}
		}
		first, err := s.Transfer(t.Context(), TransferOptions{BatchSize: 4, Workers: 3})
		if err == nil || !strings.Contains(err.Error(), "injected failure") {
			t.Fatalf("transfer: got %v, want the injected failure", err)
		}
		eq(t, "domains committed", queryStrings(t, db, `SELECT min(name) || '..' || max(name) || ' ' || count(*) FROM domain`),
			[]string{"d00.gov..d11.gov 12"})
		eq(t, "processed", queryInt(t, db, `SELECT count(*) FROM transition_domain WHERE processed`), int64(12))
		var cp transferCheckpoint
		raw := queryStrings(t, db, `SELECT checkpoint FROM ferry_job WHERE id = ?`, first.JobID)
		if err := json.Unmarshal([]byte(raw[0]), &cp); err != nil {
			t.Fatal(err)
		}
		eq(t, "checkpoint", cp.LastDomain, "d11.gov")
		eq(t, "checkpointed domains", cp.Result.Domains.Created, int64(12))

		if _, err := db.Exec(t.Context(), `DROP TRIGGER ferry_test_fail`+map[store.Dialect]string{store.Postgres: ` ON domain_information`}[db.Dialect()]); err != nil {
			t.Fatal(err)
		}
		rest := mustTransfer(t, s, TransferOptions{BatchSize: 4, Workers: 3})
		eq(t, "rest", rest.Domains.Created, int64(18))
		eq(t, "contacts", contactRows(t, db), contactRows(t, refDB))
		eq(t, "domain information", domainInformation(t, db), domainInformation(t, refDB))
		eq(t, "invitations", invitationList(t, db), invitationList(t, refDB))
		eq(t, "analysis", analyze(t, db), analyze(t, refDB))
	})
}

// planBatches cuts the unprocessed domains into batches of exactly the
// size asked, the last one holding the rest, and starts after the
// checkpoint it is given.
func TestPlanBatches(t *testing.T) {
	t.Parallel()
	files := sharedOfficialFiles(t) // d00.gov .. d29.gov
	engines(t, func(t *testing.T, db *store.DB) {
		mustLoad(t, newService(t, db), loadOpts(files))
		cases := []struct {
			after string
			size  int64
			want  []string // "lo..hi n"
		}{
			{"", 30, []string{"..d29.gov 30"}},
			{"", 31, []string{"..d29.gov 30"}},
			{"", 10, []string{"..d09.gov 10", "d09.gov..d19.gov 10", "d19.gov..d29.gov 10"}},
			{"", 12, []string{"..d11.gov 12", "d11.gov..d23.gov 12", "d23.gov..d29.gov 6"}},
			{"d26.gov", 2, []string{"d26.gov..d28.gov 2", "d28.gov..d29.gov 1"}},
			{"d29.gov", 5, nil},
		}
		for _, c := range cases {
			plan, err := planBatches(t.Context(), db, c.after, c.size)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for i, b := range plan {
				eq(t, "batch number", b.no, i+1)
				got = append(got, fmt.Sprintf("%s..%s %d", b.lo, b.hi, b.n))
			}
			eq(t, fmt.Sprintf("plan after %q by %d", c.after, c.size), got, c.want)
		}
	})
}
