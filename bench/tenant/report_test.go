package main

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/ferrymigrate/ferry/bench/harness"
)

func ok(name string, secs float64, mb int64) harness.Result {
	return harness.Result{Name: name, Ran: true, Seconds: secs, MaxRSSKiB: mb * 1024}
}

func sampleEngines() []*engineRun {
	same := []tableSum{{"sb_user", 100, "a"}, {"sb_content", 20, "b"}}
	pg := &engineRun{Engine: "postgres", Users: 100000,
		Import: ok("pg_import_100000", 40, 60), Merge: ok("pg_merge_100000", 30, 45), Bare: ok("pg_bare_100000", 12, 12),
		MergeOut: mergeOutput{Changes: map[string]int64{"user": 40000, "content": 100}, Outbox: 40001, SourceDeactivated: true},
		State:    stateCheck{Ferry: same, Bare: same},
	}
	pg.MergeOut.Conflicts = append(pg.MergeOut.Conflicts,
		struct {
			Code  string `json:"code"`
			Table string `json:"table"`
		}{"PAGE_NAME_CONFLICT", "page_management"})
	lite := &engineRun{Engine: "sqlite", Users: 100000,
		Import: ok("sqlite_import_100000", 20, 50), Merge: ok("sqlite_merge_100000", 10, 250), Bare: ok("sqlite_bare_100000", 4, 20),
		MergeOut: mergeOutput{Changes: map[string]int64{"user": 40000, "user_lookup": 7}},
		State:    stateCheck{Ferry: same, Bare: []tableSum{{"sb_user", 99, "a"}, {"sb_content", 20, "b"}}},
	}
	failed := &engineRun{Engine: "postgres", Users: 1000000, Import: ok("pg_import_1000000", 400, 70),
		Merge: harness.Result{Name: "pg_merge_1000000", Ran: true, Seconds: 3, Err: errors.New("exit status 1"), ExitCode: 1}}
	return []*engineRun{pg, lite, failed}
}

func tableText(t *testing.T, tb harness.Table) string {
	t.Helper()
	var b strings.Builder
	if err := tb.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestTimeTable(t *testing.T) {
	got := tableText(t, timeTable(sampleEngines()))
	want := `  users  engine    import s  ferry merge s  bare SQL s    ferry / bare  rows changed  same state
 100000  postgres     40.00          30.00       12.00            2.50         40100  yes
 100000  sqlite       20.00          10.00        4.00  2.50 (invalid)         40007  NO
1000000  postgres    400.00         failed           -               -             -  -
`
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestMemory(t *testing.T) {
	engines := sampleEngines()
	got := tableText(t, memoryTable(engines))
	want := `  users  engine    ferry import  ferry merge  bare SQL client
 100000  postgres            60           45               12
 100000  sqlite              50          250               20
1000000  postgres            70            -                -
`
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	// Only the import has a peak at both sizes; the SQLite merge is over
	// the target.
	lines := memoryLines(engines)
	wantLines := []string{
		"postgres import: peak 60 MB at 100000 users, 70 MB at 1000000 users (x1.17 for x10.00 the users)",
		"sqlite_merge_100000: peak 250 MB, OVER the 200 MB target",
	}
	if !reflect.DeepEqual(lines, wantLines) {
		t.Errorf("got  %q\nwant %q", lines, wantLines)
	}
}

func TestChangesTable(t *testing.T) {
	got := tableText(t, changesTable(sampleEngines()))
	want := `table               postgres 100000  sqlite 100000  postgres 1000000
content                         100              0                 -
user                          40000          40000                 -
user_lookup                       0              7                 -
all tables                    40100          40007                 -
conflicts                         1              0                 -
outbox entries                40001              0                 -
source deactivated             true          false                 -
`
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestStateLines(t *testing.T) {
	got := stateLines(sampleEngines())
	want := []string{
		"postgres, 100000 users: the same state: all 2 sb_* tables hold the same rows (120 in all) after both",
		"  conflicts left by the skip policy: PAGE_NAME_CONFLICT 1",
		"sqlite, 100000 users: DIFFERENT STATES: the ratio is not valid",
		"  MISMATCH sb_user: 100 rows after ferry's merge, 99 after the bare SQL",
		"postgres, 1000000 users: not compared: the merge or the bare SQL did not succeed",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestWrap(t *testing.T) {
	got := wrap("load: ", "      ", []string{"aaaa", "bbbb", "cccc"}, 15)
	want := []string{"load: aaaa bbbb", "      cccc"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q", got)
	}
}

func TestCategory(t *testing.T) {
	for stmt, want := range map[string]string{
		"INSERT INTO ferry_journal":                "journal (ferry_journal)",
		"COPY ferry_outbox":                        "outbox (ferry_outbox)",
		"INSERT INTO ferry_outbox":                 "outbox (ferry_outbox)",
		"UPDATE ferry_job SET phase":               "job, checkpoints, progress (ferry_job)",
		"SELECT j.args FROM ferry_job":             "job, checkpoints, progress (ferry_job)",
		"UPDATE sb_user SET rootorgid":             "the rows' changes (UPDATE, INSERT, DELETE of sb_*)",
		"INSERT INTO sb_user_lookup":               "the rows' changes (UPDATE, INSERT, DELETE of sb_*)",
		"DELETE FROM sb_user_organisation WHERE":   "the rows' changes (UPDATE, INSERT, DELETE of sb_*)",
		"SELECT count(*) FROM sb_user_roles":       "plan and progress counts (SELECT count(*) FROM sb_*)",
		"SELECT type, value, CASE":                 "other reads (batch keys, conflicts, notices, orgs)",
		"SELECT sb_user.id, 'same e-mail":          "other reads (batch keys, conflicts, notices, orgs)",
		"CREATE TEMP TABLE x":                      "other statements",
		"WITH o AS MATERIALIZED: UPDATE sb_user":   "batches changed, journalled and queued in one statement (WITH ...: sb_*)",
		"WITH gone AS: DELETE FROM sb_user_lookup": "batches changed, journalled and queued in one statement (WITH ...: sb_*)",
		"WITH RECURSIVE c":                         "other statements",
		"SELECT count(*) FROM ferry_journal WHERE": "journal (ferry_journal)",
	} {
		if got := category(stmt); got != want {
			t.Errorf("category(%q) = %q, want %q", stmt, got, want)
		}
	}
}

func TestCategoryTable(t *testing.T) {
	tr := harness.Trace{Seconds: 12, Statements: []harness.TraceStatement{
		{Statement: "UPDATE sb_user SET rootorgid", Calls: 8, Rows: 400, Seconds: 2},
		{Statement: "INSERT INTO ferry_journal", Calls: 10, Rows: 900, Seconds: 5},
		{Statement: "SELECT id, 1 FROM", Calls: 9, Rows: 0, Seconds: 1},
		{Statement: "DELETE FROM sb_user_org WHERE", Calls: 1, Rows: 100, Seconds: 2},
	}}
	got := tableText(t, categoryTable(tr))
	want := `seconds   share  calls  rows  spent on
  5.000   50.0%     10   900  journal (ferry_journal)
  4.000   40.0%      9   500  the rows' changes (UPDATE, INSERT, DELETE of sb_*)
  1.000   10.0%      9     0  other reads (batch keys, conflicts, notices, orgs)
 10.000  100.0%     28  1400  all statements
  2.000                       wall time outside the traced statements (reading query results, commits, ferry itself)
`
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}
