package registrar

import (
	"github.com/ferrymigrate/ferry/internal/job"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/ferrymigrate/ferry/internal/store"
	"github.com/ferrymigrate/ferry/internal/store/storetest"
)

func dump(t *testing.T, db *store.DB, q string) {
	rows, err := db.Query(t.Context(), q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		rows.Scan(ptrs...)
		for i, v := range vals {
			if b, ok := v.([]byte); ok {
				vals[i] = string(b)
			}
		}
		fmt.Println(vals...)
	}
}

func TestExplore(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		s := New(db)
		files, err := FileSource{Directory: "testdata/escrow"}.Resolve()
		if err != nil {
			t.Fatal(err)
		}
		fmt.Println(files)
		res, err := s.LoadTransitionDomains(t.Context(), LoadOptions{Files: files, MaxRejects: -1, OnReject: func(r job.Reject){fmt.Printf("REJ %s:%d %s\n", r.File, r.Line, r.Reason)}})
		b, _ := json.MarshalIndent(res, "", " ")
		fmt.Println(string(b), err)
		dump(t, db, `SELECT domain_name, username, status, epp_statuses, contact_roles, email_sent, processed, organization_name, generic_org_type, federal_type, federal_agency, first_name, middle_name, last_name, email, phone, epp_creation_date, epp_expiration_date FROM transition_domain ORDER BY domain_name, username`)
		a, err := Analyze(t.Context(), db)
		fmt.Printf("%+v %v\n", a, err)
		tr, err := s.Transfer(t.Context(), TransferOptions{})
		b, _ = json.MarshalIndent(tr, "", " ")
		fmt.Println(string(b), err)
		a, err = Analyze(t.Context(), db)
		fmt.Printf("%+v %v\n", a, err)
		dump(t, db, `SELECT name, state, expiration_date, registry_created_at FROM domain ORDER BY name`)
		dump(t, db, `SELECT d.name, di.organization_name, di.generic_org_type, di.federal_type, di.federal_agency, c.first_name, c.middle_name, c.last_name, c.email, c.phone, u.username FROM domain_information di JOIN domain d ON d.id = di.domain_id LEFT JOIN contact c ON c.id = di.senior_official_id LEFT JOIN registrar_user u ON u.id = di.requester_id ORDER BY d.name`)
		dump(t, db, `SELECT i.email, d.name, i.status FROM domain_invitation i JOIN domain d ON d.id = i.domain_id ORDER BY 1,2`)
		dump(t, db, `SELECT * FROM federal_agency`)
	})
}
