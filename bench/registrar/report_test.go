package main

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ferrymigrate/ferry/bench/harness"
)

func ok(name string, secs float64, mb int64) harness.Result {
	return harness.Result{Name: name, Ran: true, Seconds: secs, MaxRSSKiB: mb * 1024}
}

func doc(t *testing.T, s string) jsonDoc {
	t.Helper()
	d, err := parseJSONDoc([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// sampleRun: PostgreSQL with every figure, SQLite whose second floor
// failed its check.
func sampleRun(t *testing.T) *run {
	load := doc(t, `{"rows": {"read": 3000, "created": 2900, "skipped": 20, "rejected": 80}, "duplicates": 20,
		"totalRejected": 150, "agencies": 200, "enriched": true}`)
	transfer := doc(t, `{"domains": {"created": 1000, "skipped": 0}, "invitations": {"created": 2800},
		"domainInformation": {"created": 1000}, "contacts": {"created": 450}, "stagingRowsProcessed": 2900}`)
	tables := tableCounts{2900, 1000, 2800, 1000, 450, 2900}
	floors := func(results ...floorRun) []floorRun {
		for i := range results {
			results[i].floorVariant = floorVariants[i]
		}
		return results
	}
	pg := &engineRun{
		Engine: "postgres", Prefix: "pg",
		Baselines: []baseline{
			{Name: "pg_baseline_logged", Label: `psql \copy, logged tables`, Result: ok("pg_baseline_logged", 2, 13), Rows: 8900, Want: 8900},
			{Name: "pg_baseline_unlogged", Label: `psql \copy, unlogged tables`, Result: ok("pg_baseline_unlogged", 1.6, 12), Rows: 8900, Want: 8900},
		},
		Load: ok("pg_load", 10, 21), Transfer: ok("pg_transfer", 14, 15),
		LoadOut: load, TransferOut: transfer, Tables: tables,
		Floors: floors(
			floorRun{Result: ok("pg_floor_keys", 16, 15)},
			floorRun{Result: ok("pg_floor_nokeys", 12, 15)},
			floorRun{Result: ok("pg_floor_bare", 4, 15)},
		),
	}
	sq := &engineRun{
		Engine: "sqlite", Prefix: "sqlite",
		Baselines: []baseline{{Name: "sqlite_baseline", Label: "sqlite3 .import", Result: ok("sqlite_baseline", 4, 7), Rows: 8900, Want: 8900}},
		Load:      ok("sqlite_load", 20, 83), Transfer: ok("sqlite_transfer", 12, 39),
		LoadOut: load, TransferOut: transfer, Tables: tables,
		Floors: floors(
			floorRun{Result: ok("sqlite_floor_keys", 8, 20)},
			floorRun{Result: ok("sqlite_floor_nokeys", 7, 20), Err: errors.New("foreign_key_check found violations:\ncontact 3")},
			floorRun{Err: errNotRun},
		),
	}
	return &run{
		cfg:     config{Domains: 1000, Seed: 1, Engines: []string{"postgres", "sqlite"}, Floor: true},
		started: time.Date(2026, 11, 21, 19, 17, 0, 0, time.UTC),
		inputs:  inputSet{Lines: 9000, Kept: 8900, DomainLines: 3000},
		engines: []*engineRun{pg, sq},
	}
}

func markdown(t *testing.T, tab harness.Table) string {
	t.Helper()
	var b strings.Builder
	if err := tab.WriteMarkdown(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestTimeTable(t *testing.T) {
	// 24 s of ferry against 2 s and 1.6 s; 9000 lines and 3000
	// domain-contact lines in 24 s and in 32 s.
	want := `| engine | raw bulk load | raw s | ferry load s | ferry transfer s | ferry total s | ferry / raw | rows/s | dc rows/s |
|---|---|--:|--:|--:|--:|--:|--:|--:|
| postgres | psql \copy, logged tables | 2.00 | 10.00 | 14.00 | 24.00 | 12.00 | 375 | 125 |
|  | psql \copy, unlogged tables | 1.60 |  |  |  | 15.00 |  |  |
| sqlite | sqlite3 .import | 4.00 | 20.00 | 12.00 | 32.00 | 8.00 | 281 | 94 |
`
	if got := markdown(t, sampleRun(t).timeTable()); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestFloorTable(t *testing.T) {
	want := `| engine | write floor | s | floor / raw | ferry / floor | rows afterwards |
|---|---|--:|--:|--:|---|
| postgres | with the foreign keys | 16.00 | 8.00 | 1.50 | as ferry wrote them |
|  | without them | 12.00 | 6.00 | 2.00 | as ferry wrote them |
|  | into bare tables | 4.00 | 2.00 | 6.00 | as ferry wrote them |
| sqlite | with the foreign keys | 8.00 | 2.00 | 4.00 | as ferry wrote them |
|  | without them | failed | - | - | failed: foreign_key_check found violations: contact 3 |
|  | into bare tables | - | - | - | not run: an earlier floor failed |
`
	if got := markdown(t, sampleRun(t).floorTable()); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestMemoryTable(t *testing.T) {
	want := `| engine | raw bulk load | ferry load | ferry transfer | ferry peak |
|---|--:|--:|--:|--:|
| postgres | 13 / 12 | 21 | 15 | 21 |
| sqlite | 7 | 83 | 39 | 83 |
`
	if got := markdown(t, sampleRun(t).memoryTable()); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestCountLines(t *testing.T) {
	r := sampleRun(t)
	r.engines[1].Tables[2] = 2799
	want := []string{
		"postgres load:     read 3000 domain-contact rows, created 2900 staging rows, skipped 20 (duplicates 20), rejected 80 (all files: 150), agencies 200, enriched true",
		"postgres transfer: domains created 1000 (skipped 0), invitations 2800, domain information 1000, contacts 450, staging rows processed 2900",
		"postgres tables:   transition_domain=2900 domain=1000 domain_invitation=2800 domain_information=1000 contact=450 processed=2900",
		"postgres check:    the tables hold the rows --json reports",
		"sqlite load:     read 3000 domain-contact rows, created 2900 staging rows, skipped 20 (duplicates 20), rejected 80 (all files: 150), agencies 200, enriched true",
		"sqlite transfer: domains created 1000 (skipped 0), invitations 2800, domain information 1000, contacts 450, staging rows processed 2900",
		"sqlite tables:   transition_domain=2900 domain=1000 domain_invitation=2799 domain_information=1000 contact=450 processed=2900",
		"sqlite MISMATCH: domain_invitation holds 2799 rows, --json says invitations.created = 2800",
		"the engines' table counts DIFFER",
	}
	got := r.countLines()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// A ferry step that timed out: the total, the ratios and the floors are
// left empty, the step shows why.
func TestTimedOutStep(t *testing.T) {
	r := sampleRun(t)
	r.engines = r.engines[:1]
	e := r.engines[0]
	e.Load = harness.Result{Name: "pg_load", Ran: true, Seconds: 600, TimedOut: true, Err: errors.New("stopped")}
	e.Transfer = harness.Result{}
	e.Floors = nil
	wantTime := `| engine | raw bulk load | raw s | ferry load s | ferry transfer s | ferry total s | ferry / raw | rows/s | dc rows/s |
|---|---|--:|--:|--:|--:|--:|--:|--:|
| postgres | psql \copy, logged tables | 2.00 | >600.00 (timeout) | - | failed | - | - | - |
|  | psql \copy, unlogged tables | 1.60 |  |  |  | - |  |  |
`
	if got := markdown(t, r.timeTable()); got != wantTime {
		t.Errorf("got\n%s\nwant\n%s", got, wantTime)
	}
	wantFloor := `| engine | write floor | s | floor / raw | ferry / floor | rows afterwards |
|---|---|--:|--:|--:|---|
| postgres | not measured: the transfer did not succeed |  |  |  |  |
`
	if got := markdown(t, r.floorTable()); got != wantFloor {
		t.Errorf("got\n%s\nwant\n%s", got, wantFloor)
	}
	if err := r.verdict(); err == nil {
		t.Error("a timed-out step should fail the run")
	}
}

func TestVerdict(t *testing.T) {
	r := sampleRun(t)
	// A failed floor is reported but does not fail the run.
	if err := r.verdict(); err != nil {
		t.Errorf("verdict: %v", err)
	}
	r.engines[1].Baselines[0].Rows = 8899
	if err := r.verdict(); err == nil || !strings.Contains(err.Error(), "it loaded 8899 rows, the cleaned files hold 8900") {
		t.Errorf("a short baseline: %v", err)
	}
}

func TestWrap(t *testing.T) {
	got := wrap("load: ", "      ", []string{"aaaa", "bbbb", "cccc"}, 16)
	want := []string{"load: aaaa bbbb", "      cccc"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestReportSections(t *testing.T) {
	r := sampleRun(t)
	r.engines[0].LoadTrace = &harness.Trace{Seconds: 9.5, Statements: []harness.TraceStatement{
		{Statement: "COPY load_contact", Calls: 1, Rows: 4000, Seconds: 3},
	}}
	var text, md strings.Builder
	rep := r.report()
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if err := rep.WriteMarkdown(&md, 2); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"ferry registrar benchmark, 2026-11-21, N=1000\n====", "\nTime\n----\n", "\nWrite floors\n",
		"\nPeak memory\n", "\nCounts\n", "\nWhere pg_load spent its time\n", "9.50 s wall, 1 distinct statements, 3.00 s in all statements"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("the text report lacks %q", want)
		}
	}
	for _, want := range []string{"## ferry registrar benchmark, 2026-11-21, N=1000\n", "\n### Write floors\n", "\n```\ndate:      2026-11-21T19:17:00Z\n"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("the Markdown report lacks %q", want)
		}
	}
}
