package escrow

import "testing"

func TestStateCode(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string
		ok   bool
	}{
		{"Ohio", "OH", true},
		{"Florida", "FL", true},
		{"Louisiana", "LA", true},
		{"Texas", "TX", true},
		{"  new   YORK ", "NY", true},
		{"NEW HAMPSHIRE", "NH", true},
		{"District of Columbia", "DC", true},
		{"Washington, D.C.", "DC", true},
		{"Washington DC", "DC", true},
		{"D.C.", "DC", true},
		{"Washington", "WA", true},
		{"Puerto Rico", "PR", true},
		{"Commonwealth of Puerto Rico", "PR", true},
		{"Guam", "GU", true},
		{"U.S. Virgin Islands", "VI", true},
		{"Virgin Islands, U.S.", "VI", true},
		{"American Samoa", "AS", true},
		{"Northern Mariana Islands", "MP", true},
		{"Commonwealth of the Northern Mariana Islands", "MP", true},
		{"Commonwealth of Massachusetts", "MA", true},
		{"State of Ohio", "OH", true},
		{"oh", "OH", true},
		{"Tx", "TX", true},
		{" ca ", "CA", true},
		{"", "", false},
		{"Oh", "OH", true},
		{"Te", "", false},
		{"Lo", "", false},
		{"XX", "", false},
		{"Ontario", "", false},
		{"Ohio State", "", false},
		{"Texass", "", false},
	} {
		code, ok := StateCode(tc.in)
		if code != tc.want || ok != tc.ok {
			t.Errorf("StateCode(%q) = %q, %v; want %q, %v", tc.in, code, ok, tc.want, tc.ok)
		}
	}
}

// Every name in the table must map back to its own code, and there must be
// exactly the 50 states, DC and the five inhabited territories.
func TestStateTable(t *testing.T) {
	if len(stateCodes) != 56 {
		t.Errorf("%d codes, want 56", len(stateCodes))
	}
	for code, name := range stateCodes {
		if got, ok := StateCode(name); !ok || got != code {
			t.Errorf("StateCode(%q) = %q, %v; want %q", name, got, ok, code)
		}
		if got, ok := StateCode(code); !ok || got != code {
			t.Errorf("StateCode(%q) = %q, %v", code, got, ok)
		}
	}
	for name, code := range stateVariants {
		if _, known := stateCodes[code]; !known {
			t.Errorf("variant %q maps to unknown code %q", name, code)
		}
	}
}
