package main

import (
	"reflect"
	"testing"
)

func TestJSONDocGet(t *testing.T) {
	doc, err := parseJSONDoc([]byte(`{"rows": {"read": 3064541, "created": 0}, "enriched": true,
		"name": "x", "big": 12345678901234, "none": null, "list": [1]}`))
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		"rows.read":    "3064541",
		"rows.created": "0",
		"enriched":     "true",
		"name":         "x",
		"big":          "12345678901234",
		"none":         "n/a",
		"list":         "n/a",
		"rows.missing": "n/a",
		"name.deeper":  "n/a",
		"missing":      "n/a",
	} {
		if got := doc.Get(path); got != want {
			t.Errorf("Get(%q) = %q, want %q", path, got, want)
		}
	}
	if got := jsonDoc(nil).Get("rows.read"); got != "n/a" {
		t.Errorf("a missing document: %q", got)
	}
}

func TestOutputCountsSQL(t *testing.T) {
	want := "SELECT (SELECT count(*) FROM ferry_bare_transition_domain), (SELECT count(*) FROM ferry_bare_domain), " +
		"(SELECT count(*) FROM ferry_bare_domain_invitation), (SELECT count(*) FROM ferry_bare_domain_information), " +
		"(SELECT count(*) FROM ferry_bare_contact), (SELECT count(*) FROM ferry_bare_transition_domain WHERE processed)"
	if got := outputCountsSQL(sqliteTwin); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestCountSQL(t *testing.T) {
	want := "SELECT (SELECT count(*) FROM s.domain_contacts) + (SELECT count(*) FROM s.contacts) + " +
		"(SELECT count(*) FROM s.statuses) + (SELECT count(*) FROM s.escrow_domains) + (SELECT count(*) FROM s.additional) + " +
		"(SELECT count(*) FROM s.domain_types) + (SELECT count(*) FROM s.organization) + (SELECT count(*) FROM s.authority) + " +
		"(SELECT count(*) FROM s.agency)"
	if got := countSQL("s."); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestCountChecks(t *testing.T) {
	load, _ := parseJSONDoc([]byte(`{"rows": {"created": 10}}`))
	transfer, _ := parseJSONDoc([]byte(`{"domains": {"created": 4}, "invitations": {"created": 9},
		"domainInformation": {"created": 4}, "contacts": {"created": 2}, "stagingRowsProcessed": 10}`))
	e := &engineRun{LoadOut: load, TransferOut: transfer, Tables: tableCounts{10, 4, 9, 4, 2, 10}}
	if got := countChecks(e); got != nil {
		t.Errorf("matching counts: %q", got)
	}
	e.Tables = tableCounts{10, 4, 8, 4, 2, 7}
	want := []string{
		"domain_invitation holds 8 rows, --json says invitations.created = 9",
		"transition_domain WHERE processed holds 7 rows, --json says stagingRowsProcessed = 10",
	}
	if got := countChecks(e); !reflect.DeepEqual(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
	e.TransferOut = nil
	if got := countChecks(e); len(got) != 5 {
		t.Errorf("without the transfer's output: %q", got)
	}
}
