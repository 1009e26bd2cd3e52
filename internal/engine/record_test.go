package engine_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/ferrymigrate/ferry/internal/engine"
	"github.com/ferrymigrate/ferry/internal/store"
)

// A rejected line is kept byte for byte, whatever it holds: PostgreSQL
// refuses invalid UTF-8 and NUL in text, and one such line used to abort
// the whole load with no file or line named.
func TestRejectKeepsRawBytes(t *testing.T) {
	engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		run := mustStart(t, newEngine(t, db), engine.Spec{Kind: "load"})
		raws := []string{"b\xffc.gov|ok", "d.gov|o\x00k", "plain|line", ""}
		var in []engine.Reject
		for i, r := range raws {
			in = append(in, engine.Reject{File: "f.txt", Line: int64(i + 2), Reason: "bad", Raw: r})
		}
		if err := db.InTx(ctx, func(tx *store.Tx) error { return run.SaveRejects(ctx, tx, in) }); err != nil {
			t.Fatalf("saving rejects with invalid bytes: %v", err)
		}
		got, err := engine.Rejects(ctx, db, run.Job.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(raws) {
			t.Fatalf("%d rejects back, want %d", len(got), len(raws))
		}
		for i, r := range got {
			if r.Raw != raws[i] || r.Line != int64(i+2) {
				t.Errorf("reject %d: line %d raw %q, want line %d raw %q", i, r.Line, r.Raw, i+2, raws[i])
			}
		}
	})
}

func TestRedact(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{`invalid date "someone@example.test"`, `invalid date "<e-mail>"`},
		{`invalid status "(802) 555-0141"`, `invalid status "<phone>"`},
		{`bad CrDate "202-555-0199x"`, `bad CrDate "202-555-0199x"`},
		{`contact CT2000001`, `contact CT2000001`},
		{`ids 2000001_CONTACT, (802) 555-0141 and 802.555.0199`, `ids 2000001_CONTACT, <phone> and <phone>`},
		{`802-555-0141,802-555-0142`, `<phone>,<phone>`},
		{`zip 20500-0001`, `zip 20500-0001`},
		{`phone +1 802 555 0141 here`, `phone <phone> here`},
		{`bad CrDate "2011-02-30T10:30:00Z"`, `bad CrDate "2011-02-30T10:30:00Z"`},
		{`date 20231106 kept`, `date 20231106 kept`},
		{`date 11/06/2023 kept`, `date 11/06/2023 kept`},
		{`wrong column count: got 12, want 3`, `wrong column count: got 12, want 3`},
		{`contact CT402`, `contact CT402`},
		{`id 20101_CONTACT`, `id 20101_CONTACT`},
		{`offset 1234567 is not at the start of a line`, `offset <phone> is not at the start of a line`},
	} {
		if got := engine.Redact(tt.in); got != tt.want {
			t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// Findings and reject reasons never carry an e-mail address or a phone
// number that sat in the wrong column; the raw line keeps it, for the
// report the operator asks for.
func TestRecordsAreRedacted(t *testing.T) {
	engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		run := mustStart(t, newEngine(t, db), engine.Spec{Kind: "load"})
		err := db.InTx(ctx, func(tx *store.Tx) error {
			if err := run.SaveRejects(ctx, tx, []engine.Reject{{File: "f", Line: 1, Reason: `invalid date "a@b.test"`, Raw: "x|a@b.test"}}); err != nil {
				return err
			}
			if _, err := run.AddFindings(ctx, tx, `SELECT 'outlier_status', 'x.gov', 'call 802-555-0141' UNION ALL
				SELECT 'outlier_status', 'y.gov', 'pendingdelete' UNION ALL SELECT 'inactive_agency', 'z@x.test', 'Board'`); err != nil {
				return err
			}
			return run.AddFinding(ctx, tx, engine.Finding{Kind: "k", Subject: "w.gov", Detail: "m@x.test"})
		})
		if err != nil {
			t.Fatal(err)
		}
		rejects, _ := engine.Rejects(ctx, db, run.Job.ID, 0)
		if rejects[0].Reason != `invalid date "<e-mail>"` || rejects[0].Raw != "x|a@b.test" {
			t.Errorf("reject: %+v", rejects[0])
		}
		var all []string
		if err := engine.EachFinding(ctx, db, run.Job.ID, "", engine.Page{}, func(f engine.Finding) error {
			all = append(all, f.Kind+" "+f.Subject+" "+f.Detail)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		want := "inactive_agency <e-mail> Board|k w.gov <e-mail>|outlier_status x.gov call <phone>|outlier_status y.gov pendingdelete"
		if got := strings.Join(all, "|"); got != want {
			t.Errorf("findings:\n got  %s\n want %s", got, want)
		}
	})
}

func TestPagedRejects(t *testing.T) {
	engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		run := mustStart(t, newEngine(t, db), engine.Spec{Kind: "load"})
		var in []engine.Reject
		for i := range 250 {
			in = append(in, engine.Reject{File: fmt.Sprintf("f%d.txt", i%2), Line: int64(i), Reason: "r"})
		}
		if err := db.InTx(ctx, func(tx *store.Tx) error { return run.SaveRejects(ctx, tx, in) }); err != nil {
			t.Fatal(err)
		}
		var lines []string
		for off := int64(0); ; off += 100 {
			n := 0
			err := engine.EachReject(ctx, db, run.Job.ID, engine.Page{Offset: off, Limit: 100}, func(r engine.Reject) error {
				n++
				lines = append(lines, fmt.Sprintf("%s:%d", r.File, r.Line))
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				break
			}
		}
		if len(lines) != 250 || lines[0] != "f0.txt:0" || lines[124] != "f0.txt:248" || lines[125] != "f1.txt:1" {
			t.Fatalf("paged rejects: %d, first %v, around the file change %v", len(lines), lines[0], lines[123:127])
		}
		if n, _ := engine.CountRejects(ctx, db, run.Job.ID); n != 250 {
			t.Fatalf("count %d", n)
		}
	})
}

// The journal is written in the transaction of the change: rolled back
// with it, committed with it, and read back in order.
func TestJournalInTheChangesTransaction(t *testing.T) {
	engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		run := mustStart(t, newEngine(t, db), engine.Spec{Kind: "merge"})
		change := engine.Change{Entity: "user", Key: "u1", Action: engine.ActionUpdate, Before: `{"org":"a"}`, After: `{"org":"b"}`}
		tx, err := db.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := run.Journal(ctx, tx, change); err != nil {
			t.Fatal(err)
		}
		tx.Rollback()
		if n := queryInt(t, db, `SELECT count(*) FROM ferry_journal`); n != 0 {
			t.Fatalf("%d journal rows survived a rollback", n)
		}
		err = db.InTx(ctx, func(tx *store.Tx) error {
			if err := run.Journal(ctx, tx, change); err != nil {
				return err
			}
			_, err := run.JournalFrom(ctx, tx, `SELECT 'user', 'u2', 'insert', '', '{"org":"b"}' UNION ALL SELECT 'org', 'o1', 'delete', '{"id":"o1"}', ''`)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, reverse := range []bool{false, true} {
			if err := engine.EachChange(ctx, db, run.Job.ID, reverse, func(c engine.Change) error {
				got = append(got, c.Action+" "+c.Entity+":"+c.Key+" "+c.Before+"->"+c.After)
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		}
		if len(got) != 6 || got[0] != `update user:u1 {"org":"a"}->{"org":"b"}` || got[5] != got[0] || got[3] != got[2] {
			t.Fatalf("journal in order then reversed:\n%s", strings.Join(got, "\n"))
		}
		counts, err := engine.CountChanges(ctx, db, run.Job.ID)
		if err != nil || counts["user"] != 2 || counts["org"] != 1 {
			t.Fatalf("counts %v, %v", counts, err)
		}
	})
}

func TestOutbox(t *testing.T) {
	engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		run := mustStart(t, newEngine(t, db), engine.Spec{Kind: "merge"})
		err := db.InTx(ctx, func(tx *store.Tx) error {
			if err := run.Outbox(ctx, tx, "user", "u1", "u2"); err != nil {
				return err
			}
			_, err := run.OutboxFrom(ctx, tx, `SELECT 'org', 'o1'`)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		pending, err := engine.PendingOutbox(ctx, db, 10)
		if err != nil || len(pending) != 3 {
			t.Fatalf("pending %v, %v", pending, err)
		}
		if pending[0].Entity != "user" || pending[0].Key != "u1" || pending[2].Key != "o1" || *pending[0].JobID != run.Job.ID {
			t.Fatalf("pending in order: %+v", pending)
		}
		if err := engine.MarkFailed(ctx, db, "429 from a@b.test", 0, pending[1].ID); err != nil {
			t.Fatal(err)
		}
		if err := engine.MarkDelivered(ctx, db, pending[0].ID, pending[2].ID); err != nil {
			t.Fatal(err)
		}
		left, _ := engine.PendingOutbox(ctx, db, 10)
		if len(left) != 1 || left[0].Key != "u2" || left[0].Attempts != 1 || left[0].LastError != "429 from <e-mail>" {
			t.Fatalf("left: %+v", left)
		}
		if n, _ := engine.OutboxDepth(ctx, db); n != 1 {
			t.Fatalf("depth %d", n)
		}
	})
}
