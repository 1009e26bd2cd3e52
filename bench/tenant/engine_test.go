package main

import (
	"reflect"
	"testing"
)

func TestParseGenerated(t *testing.T) {
	g, err := parseGenerated([]byte(`{"source":"0124","target":"0126","rows":{"user":2000,"content":400}}`))
	if err != nil {
		t.Fatal(err)
	}
	if g.Source != "0124" || g.Target != "0126" || g.TotalRows() != 2400 {
		t.Errorf("got %+v", g)
	}
	for _, bad := range []string{`{"rows":{}}`, `not json`} {
		if _, err := parseGenerated([]byte(bad)); err == nil {
			t.Errorf("parseGenerated(%q) accepted", bad)
		}
	}
}

func TestParseMergeOutput(t *testing.T) {
	m, err := parseMergeOutput([]byte(`{"job":1,"changes":{"user":800,"user_roles":838},
		"conflicts":[{"code":"EXTERNAL_ID_TAKEN","table":"usr_external_identity","key":"k","detail":"d"},
		{"code":"PAGE_NAME_CONFLICT","table":"page_management"},{"code":"EXTERNAL_ID_TAKEN","table":"user_lookup"}],
		"skipped":3,"sourceDeactivated":true,"outbox":819,"durationSeconds":1.5}`))
	if err != nil {
		t.Fatal(err)
	}
	if m.TotalChanges() != 1638 || m.Skipped != 3 || !m.SourceDeactivated || m.Outbox != 819 || m.Duration != 1.5 {
		t.Errorf("got %+v", m)
	}
	if got, want := m.ConflictCounts(), []string{"EXTERNAL_ID_TAKEN 2", "PAGE_NAME_CONFLICT 1"}; !reflect.DeepEqual(got, want) {
		t.Errorf("conflicts = %q, want %q", got, want)
	}
}
