package tenant

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/ferrymigrate/ferry"
	"github.com/ferrymigrate/ferry/internal/engine"
	"github.com/ferrymigrate/ferry/internal/store"
)

// scanAbove is the number of rows a step changes in a table beyond which
// its batches read the table in key order (see batchKeys).
const scanAbove = 20000

// DefaultBatchRows is how many rows one merge transaction changes: a
// batch journals, queues and rewrites them, then checkpoints.
const DefaultBatchRows = 5000

// MigrateOptions configures Migrate.
type MigrateOptions struct {
	Request
	// BatchRows is the number of rows per transaction; 0 means
	// DefaultBatchRows.
	BatchRows int
	// Throttle pauses this long between batches, for a live database.
	Throttle time.Duration
	// Claim is the queued background job this merge runs as (Submit); 0
	// records a job of its own.
	Claim int64
	// scanAll has every step read its table by pages, as the steps of a
	// large tenant do, so that tests cover that path on small data.
	scanAll bool
	// at, when set, is the merge's time (the touched rows' dates), so
	// that tests can compare two merges row for row.
	at time.Time
	// afterBatch, when set, is called after each committed batch (tests
	// interrupt a merge with it).
	afterBatch func()
}

// MigrateResult is a merge's report.
type MigrateResult struct {
	JobID   int64 `json:"job"`
	Resumed bool  `json:"resumed"`
	// Changes counts, per table, the rows the merge wrote (a re-keyed or
	// merged row once). It equals the plan's for the same request.
	Changes           map[string]int64 `json:"changes"`
	Conflicts         []Conflict       `json:"conflicts"`
	Notices           []Notice         `json:"notices"`
	NotMigrated       []NotMigrated    `json:"notMigrated"`
	Skipped           int64            `json:"skipped"`
	SourceDeactivated bool             `json:"sourceDeactivated"`
	Outbox            int64            `json:"outbox"`
	Duration          float64          `json:"durationSeconds"`
}

// mergeCheckpoint is a merge's durable state. The plan is taken once,
// before the first change, and kept: its notices describe the data as it
// was, and a resumed run must report them as the first run saw them.
type mergeCheckpoint struct {
	At time.Time `json:"at"`
	// Planned says the plan is stored (sb_merge_plan); Plan is read from
	// there, not kept in the checkpoint.
	Planned bool  `json:"planned"`
	Plan    *Plan `json:"-"`
	// Closure and TgtClosure are the child orgs of the source and the
	// target, stored beside the plan (closures); the checkpoints of
	// earlier versions carry them here.
	Closure    []string `json:"closure,omitempty"`
	TgtClosure []string `json:"targetClosure,omitempty"`
	Step       int      `json:"step"`
	// StepRows are the plan's counts per step, in step order (absent from
	// the checkpoints of earlier versions).
	StepRows []int64          `json:"stepRows,omitempty"`
	Changes  map[string]int64 `json:"changes"`
	Outbox   int64            `json:"outbox"`
	Finished bool             `json:"finished"`
}

// Migrate merges the source tenant into the target: it validates and
// plans the request, refuses it when the plan is not valid or has
// conflicts under the fail policy (changing nothing), then runs the
// steps in batches, each batch journalled, queued in the outbox and
// checkpointed in its own transaction. An interrupted merge resumes when
// the same request is run again.
func (s *Service) Migrate(ctx context.Context, opts MigrateOptions) (res MigrateResult, err error) {
	started := time.Now()
	req := opts.Request.normalised()
	batch := opts.BatchRows
	if batch <= 0 {
		batch = DefaultBatchRows
	}
	if req.Source == "" || req.Target == "" {
		_, err := s.Plan(ctx, req)
		return res, err
	}
	run, err := s.Engine.Start(ctx, migrateSpec(req, opts.Claim))
	if err != nil {
		return res, err
	}
	res.JobID, res.Resumed = run.Job.ID, run.Resumed
	var cp mergeCheckpoint
	defer func() {
		res.Duration = time.Since(started).Seconds()
		var counts any = res
		if cp.Plan == nil {
			counts = map[string]any{"error": "refused before any change"}
		}
		if ferr := run.Finish(ctx, counts, err); ferr != nil && err == nil {
			err = ferr
		}
	}()
	if err := s.noImportRunning(ctx); err != nil {
		return res, err
	}
	if err := run.LoadCheckpoint(&cp); err != nil {
		return res, err
	}
	var closures mergeClosures
	if cp.Planned {
		if cp.Plan, closures, err = loadPlan(ctx, s.DB, run.Job.ID); err != nil {
			return res, err
		}
	}
	var m *mergeCtx
	if cp.Plan == nil {
		var p *Plan
		err := s.DB.InTx(ctx, func(tx *store.Tx) error {
			var err error
			at := opts.at
			if at.IsZero() {
				at = time.Now()
			}
			if m, p, err = s.prepare(ctx, tx, req, at); err != nil || m == nil {
				return err
			}
			if err := computePlan(ctx, tx, m, p); err != nil {
				return err
			}
			if len(p.Conflicts) > 0 && req.OnConflict == OnConflictFail {
				return nil
			}
			cp = mergeCheckpoint{At: m.at, Planned: true, Plan: p, StepRows: p.stepRows, Changes: map[string]int64{}}
			closures := mergeClosures{Source: m.closure, Target: m.tgtClosure}
			if _, err := tx.Exec(ctx, `INSERT INTO sb_merge_plan (job_id, plan, closures) VALUES (?, ?, ?)`, run.Job.ID, string(mustJSON(p)), string(mustJSON(closures))); err != nil {
				return err
			}
			return run.Checkpoint(ctx, tx, "planned", cp, nil)
		})
		if err != nil {
			return res, err
		}
		res.fromPlan(p)
		if !p.Valid {
			return res, &PlanError{Plan: p, Code: ErrInvalidRequest}
		}
		if cp.Plan == nil {
			return res, &PlanError{Plan: p, Code: ferry.ECONFLICT}
		}
	} else {
		if len(cp.Closure) > 0 || len(cp.TgtClosure) > 0 {
			closures = mergeClosures{Source: cp.Closure, Target: cp.TgtClosure}
		}
		if m, err = s.resume(ctx, req, &cp, closures); err != nil {
			return res, err
		}
	}
	res.fromPlan(cp.Plan)
	steps := m.steps()
	run.PlanSteps(len(phases(steps)) + 1)
	if err := s.runSteps(ctx, run, m, steps, &cp, batch, opts); err != nil {
		res.Changes, res.Outbox = cp.Changes, cp.Outbox
		return res, engine.AsInterruption(ctx, err)
	}
	if err := s.finishSource(ctx, run, m, &cp); err != nil {
		return res, engine.AsInterruption(ctx, err)
	}
	res.Changes, res.Outbox = nonZero(cp.Changes), cp.Outbox
	res.SourceDeactivated = cp.Finished
	return res, nil
}

func (r *MigrateResult) fromPlan(p *Plan) {
	r.Conflicts, r.Notices, r.NotMigrated, r.Skipped = p.Conflicts, p.Notices, p.NotMigrated, p.Skipped
	r.Changes = map[string]int64{}
}

func nonZero(m map[string]int64) map[string]int64 {
	out := map[string]int64{}
	for k, v := range m {
		if v != 0 {
			out[k] = v
		}
	}
	return out
}

// resume rebuilds an interrupted merge's steps from its checkpoint. The
// request is not validated again: its users may already be the target's.
func (s *Service) resume(ctx context.Context, req Request, cp *mergeCheckpoint, closures mergeClosures) (*mergeCtx, error) {
	g, err := loadOrgs(ctx, s.DB)
	if err != nil {
		return nil, err
	}
	src, tgt := g.byID[req.Source], g.byID[req.Target]
	if src == nil || tgt == nil {
		return nil, ferry.Errorf(ferry.ECONFLICT, "an organisation of the interrupted merge is gone: it cannot be resumed")
	}
	m := &mergeCtx{d: s.DB.Dialect(), req: req, src: src, tgt: tgt, at: cp.At, closure: closures.Source, tgtClosure: closures.Target}
	m.srcHash, m.tgtHash = hashtag(ctx, s.DB, src), hashtag(ctx, s.DB, tgt)
	if cp.Changes == nil {
		cp.Changes = map[string]int64{}
	}
	return m, nil
}

// noImportRunning refuses a merge while an import may be rewriting the
// tables it reads.
func (s *Service) noImportRunning(ctx context.Context) error {
	jobs, err := engine.List(ctx, s.DB, engine.Filter{Kind: "tenant.import", Status: engine.Running})
	if err != nil {
		return err
	}
	if len(jobs) > 0 {
		return &ferry.Error{Code: ferry.EBUSY, Message: fmt.Sprintf("tenant import job %d is running", jobs[0].ID),
			Hint: "wait for it to finish, then run the merge again"}
	}
	return nil
}

// phases lists the distinct progress phases of steps, in order.
func phases(steps []*step) []string {
	var out []string
	for _, st := range steps {
		if len(out) == 0 || out[len(out)-1] != st.phase {
			out = append(out, st.phase)
		}
	}
	return out
}

// runSteps runs the steps from the checkpoint's, batch by batch.
func (s *Service) runSteps(ctx context.Context, run *engine.Run, m *mergeCtx, steps []*step, cp *mergeCheckpoint, batch int, opts MigrateOptions) error {
	throttle := opts.Throttle
	var tr *engine.Tracker
	phase := ""
	var done int64
	for i, st := range steps {
		if st.phase != phase {
			if tr != nil {
				tr.End(nil)
			}
			phase, done = st.phase, 0
			tr = run.Phase(phase, "rows", s.phaseTotal(steps, phase, cp))
		}
		if i < cp.Step {
			continue
		}
		if cp.stepRows(i, st) > scanAbove || opts.scanAll {
			// So many of the step's rows change that reading its table once
			// in key order is cheaper than finding them by their index batch
			// after batch: the planner sorted the 400,000 remaining
			// memberships of a million-user tenant again for each batch
			// (40 s). Decided per step: the memberships that fold into the
			// target's (1,678 at 100,000 users) are found by their index, not
			// by reading the table's 136,000 rows again (1.7 s).
			st.scan = true
		}
		var cursor []string
		for {
			n, more, err := s.runBatch(ctx, run, m, st, cp, batch, i, &cursor)
			if err != nil {
				tr.End(err)
				return fmt.Errorf("%s (%s): %w", st.phase, st.table.Name, err)
			}
			done += n
			tr.Update(done, done)
			if opts.afterBatch != nil {
				opts.afterBatch()
			}
			if !more {
				break
			}
			if throttle > 0 {
				select {
				case <-ctx.Done():
					tr.End(ctx.Err())
					return ctx.Err()
				case <-time.After(throttle):
				}
			}
		}
		// The step is done: the next run starts at the next one.
		err := s.DB.InTx(ctx, func(tx *store.Tx) error {
			cp.Step = i + 1
			return run.Checkpoint(ctx, tx, st.phase, cp, nil)
		})
		if err != nil {
			tr.End(err)
			return err
		}
	}
	if tr != nil {
		tr.End(nil)
	}
	return nil
}

// stepRows is how many rows the plan counted for step i: its own count
// when the checkpoint has one, its table's otherwise.
func (cp *mergeCheckpoint) stepRows(i int, st *step) int64 {
	if len(cp.StepRows) > i {
		return cp.StepRows[i]
	}
	if cp.Plan != nil {
		return cp.Plan.Changes[st.table.Name]
	}
	return 0
}

// phaseTotal is how many rows a phase has left, for its progress bar: the
// plan counted them before the first change (counting them again cost 3 s
// of a 100,000-user merge).
func (s *Service) phaseTotal(steps []*step, phase string, cp *mergeCheckpoint) int64 {
	seen := map[string]bool{}
	var total int64
	for _, st := range steps {
		if st.phase != phase || seen[st.table.Name] {
			continue
		}
		seen[st.table.Name] = true
		if cp.Plan != nil {
			total += max(0, cp.Plan.Changes[st.table.Name]-cp.Changes[st.table.Name])
		}
	}
	return total
}

// runBatch changes up to batch rows of st in one transaction, with their
// journal, outbox entries and the checkpoint, and says how many.
func (s *Service) runBatch(ctx context.Context, run *engine.Run, m *mergeCtx, st *step, cp *mergeCheckpoint, batch, index int, cursor *[]string) (int64, bool, error) {
	var n, nDone int64
	var last []string
	more := false
	outbox := cp.Outbox
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		d := tx.Dialect()
		if st.scan && d == store.Postgres && st.kind != merge {
			// The statement finds the batch's rows itself, in the range of
			// pages it reads, instead of having their keys sent out and back
			// (one round trip and 5,000 keys encoded and decoded a batch),
			// and changes them by their tuple ids (see rangeStatement).
			from, to, next, err := pageRange(ctx, tx, st.table, batch, *cursor)
			if err != nil {
				return err
			}
			last, more = next, next != nil
			if from == to {
				return nil
			}
			if err := tx.CommitLazily(ctx); err != nil {
				return err
			}
			t := st.table
			changed := setColumns(t, st)
			var n int64
			var skipped string
			if err := tx.QueryRow(ctx, rangeStatement(d, run, st, changed), tid(from), tid(to)).Scan(&n, &skipped); err != nil {
				return err
			}
			if skipped != "" {
				// Rows another transaction changed under the statement: done
				// again by key, locked, as they are now, if they are still
				// the step's.
				var again int64
				if err := tx.QueryRow(ctx, batchStatement(d, run, st, changed, inBatch(d, t, "?")), skipped).Scan(&again); err != nil {
					return err
				}
				n += again
			}
			if n == 0 {
				return nil // nothing of the step's in these pages: no checkpoint
			}
			if st.outbox != "" {
				cp.Outbox += n
			}
			return finishBatch(ctx, tx, run, st, cp, index, n, &nDone)
		}
		find := batchKeys
		if st.scan && d == store.Postgres {
			find = pageKeys
		}
		keys, next, err := find(ctx, tx, st, batch, *cursor)
		if err != nil {
			return err
		}
		last, more = next, next != nil
		if len(keys) == 0 {
			return nil
		}
		// The keys are one bound JSON argument, the same statement text
		// for every batch: with the keys written into it, each batch's
		// statements were new to the driver's statement cache, which held
		// hundreds of them (peak memory 251 MB at a million users).
		// The batch is atomic with its checkpoint: if the database server
		// crashed before it reached the disk, the merge would redo it. The
		// source's deactivation and the job's end commit as usual, which
		// makes every batch before them durable.
		if err := tx.CommitLazily(ctx); err != nil {
			return err
		}
		arg := string(mustJSON(keys))
		t, in := st.table, inBatch(d, st.table, "?")
		name := lit(t.Name)
		// An update journals only the key and the columns it sets, before
		// and after: enough to restore them, to see whether someone changed
		// them since, and to write them back, at a fraction of a whole
		// row's image (a user row's is 3.7 kB, its change 0.2 kB).
		changed := setColumns(t, st)
		if d == store.Postgres && st.kind != merge {
			// One statement changes, journals and queues the batch, reading
			// each row once (see batchStatement).
			var n int64
			if err := tx.QueryRow(ctx, batchStatement(d, run, st, changed, in), arg).Scan(&n); err != nil {
				return err
			}
			if st.outbox != "" {
				cp.Outbox += n
			}
			return finishBatch(ctx, tx, run, st, cp, index, int64(len(keys)), &nDone)
		}
		if st.outbox != "" {
			// Queued before the change: the key columns it reads do not move.
			o, err := run.OutboxFrom(ctx, tx, `SELECT `+lit(st.outbox)+`, `+st.outboxKey+` FROM `+t.SQL+` WHERE `+in, arg)
			if err != nil {
				return err
			}
			cp.Outbox += o
		}
		switch st.kind {
		case update:
			if _, err := run.JournalFrom(ctx, tx, `SELECT `+name+`, `+keyJSON(d, t, nil)+`, 'update', `+imageOf(d, t, nil, changed)+`, `+imageOf(d, t, st.set, changed)+
				` FROM `+t.SQL+` WHERE `+in, arg); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE `+t.SQL+` SET `+assignments(st)+` WHERE `+in, arg); err != nil {
				return err
			}
		case rekey:
			if _, err := run.JournalFrom(ctx, tx, `SELECT `+name+`, `+keyJSON(d, t, nil)+`, 'move', `+image(d, t, nil)+`, `+imageOf(d, t, st.set, changed)+
				` FROM `+t.SQL+` WHERE `+in, arg); err != nil {
				return err
			}
			cols, exprs := insertColumns(t, st.set)
			if _, err := tx.Exec(ctx, `INSERT INTO `+t.SQL+` (`+cols+`) SELECT `+exprs+` FROM `+t.SQL+` WHERE `+in, arg); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `DELETE FROM `+t.SQL+` WHERE `+in+` AND NOT (`+newKeyEqualsOld(t, st.set)+`)`, arg); err != nil {
				return err
			}
		case merge:
			into := strings.ReplaceAll(st.into, batchMark, "?")
			if _, err := run.JournalFrom(ctx, tx, `SELECT `+name+`, `+keyJSON(d, t, nil)+`, 'update', `+imageOf(d, t, nil, changed)+`, `+imageOf(d, t, st.set, changed)+`
				FROM `+t.SQL+` WHERE `+into+` UNION ALL SELECT `+name+`, `+keyJSON(d, t, nil)+`, 'delete', `+image(d, t, nil)+`, ''
				FROM `+t.SQL+` WHERE `+in, arg, arg); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE `+t.SQL+` SET `+assignments(st)+` WHERE `+into, arg); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `DELETE FROM `+t.SQL+` WHERE `+in, arg); err != nil {
				return err
			}
		}
		return finishBatch(ctx, tx, run, st, cp, index, int64(len(keys)), &nDone)
	})
	n = nDone
	if err != nil {
		// The transaction rolled back: so did the counts it added.
		if n > 0 {
			cp.Changes[st.table.Name] -= n
		}
		cp.Outbox = outbox
		return 0, false, err
	}
	if last != nil {
		*cursor = last
	}
	return n, more, nil
}

// finishBatch counts a batch's rows and writes its checkpoint.
func finishBatch(ctx context.Context, tx *store.Tx, run *engine.Run, st *step, cp *mergeCheckpoint, index int, n int64, done *int64) error {
	*done = n
	cp.Changes[st.table.Name] += n
	cp.Step = index
	return run.Checkpoint(ctx, tx, st.phase, cp, nil)
}

// pageRange is the next range of pages, [from, to), that a step reading its
// whole table on PostgreSQL visits, and the cursor after it (nil when the
// range is the last). Its batches walk the table in its physical order (a
// TID range scan), where reading it in key order fetched every row from a
// page of its own (6.6 million random reads of the 7.8 million rows of a
// million-user tenant). The cursor is the next page, the last page to read
// and the pages per batch, fixed when the step starts: what the step writes
// behind it (re-keyed copies, new row versions) no longer matches it.
func pageRange(ctx context.Context, tx *store.Tx, t *Table, batch int, cursor []string) (from, to int64, next []string, err error) {
	var end, per int64
	if cursor == nil {
		var pages int64
		var tuples float64
		if err := tx.QueryRow(ctx, `SELECT pg_relation_size(?::regclass) / current_setting('block_size')::bigint, c.reltuples, c.relpages
			FROM pg_class c WHERE c.oid = ?::regclass`, t.SQL, t.SQL).Scan(&end, &tuples, &pages); err != nil {
			return 0, 0, nil, fmt.Errorf("the size of %s: %w", t.SQL, err)
		}
		per = 1
		if tuples > 0 && pages > 0 {
			per = max(1, int64(float64(batch)*float64(pages)/tuples))
		}
	} else if _, err := fmt.Sscan(strings.Join(cursor, " "), &from, &end, &per); err != nil {
		return 0, 0, nil, fmt.Errorf("a page cursor %q: %w", cursor, err)
	}
	if from >= end {
		return from, from, nil, nil
	}
	to = min(from+per, end)
	if to < end {
		next = []string{fmt.Sprint(to), fmt.Sprint(end), fmt.Sprint(per)}
	}
	return from, to, next, nil
}

// tid is the first tuple of a page, as PostgreSQL writes it.
func tid(page int64) string { return fmt.Sprintf("(%d,0)", page) }

// pageKeys is batchKeys for a merge step that reads its whole table, on
// PostgreSQL, a range of pages at a time (pageRange).
func pageKeys(ctx context.Context, tx *store.Tx, st *step, batch int, cursor []string) (keys [][]string, next []string, err error) {
	t := st.table
	from, to, next, err := pageRange(ctx, tx, t, batch, cursor)
	if err != nil || from == to {
		return nil, nil, err
	}
	rows, err := tx.Query(ctx, `SELECT `+keyCols(t)+` FROM `+t.SQL+` WHERE ctid >= CAST(? AS tid) AND ctid < CAST(? AS tid) AND `+st.where()+
		` ORDER BY `+keyCols(t), tid(from), tid(to))
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	for rows.Next() {
		k := make([]string, t.KeyLen)
		ptrs := make([]any, len(k))
		for i := range k {
			ptrs[i] = &k[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, nil, err
		}
		keys = append(keys, k)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	return keys, next, nil
}

// batchKeys selects the keys of the next batch of st's rows.
//
// The batches of a step walk its table in key order from a cursor, the
// last key of the batch before: rows a step leaves where they are (a
// conflict) and rows its WHERE clause cannot find by an index (a lookup's
// value ending in @source) would otherwise be scanned again by every batch,
// which made a step quadratic (0.45 s per batch at 100,000 lookups). A
// resumed run starts from the beginning, which is only slower.
func batchKeys(ctx context.Context, tx *store.Tx, st *step, batch int, after []string) (keys [][]string, next []string, err error) {
	t := st.table
	from, args := `(SELECT * FROM `+t.SQL, []any{}
	if after != nil {
		marks := strings.TrimSuffix(strings.Repeat("?, ", len(after)), ", ")
		from = `(SELECT * FROM ` + t.SQL + ` WHERE (` + keyCols(t) + `) > (` + marks + `)`
		for _, a := range after {
			args = append(args, a)
		}
	}
	var q string
	if st.scan {
		// No index finds the step's rows: read the table in windows of
		// batch rows in key order, and take the ones that match. The
		// window keeps the table's name, which the step's SQL uses.
		q = `SELECT ` + keyCols(t) + `, CASE WHEN ` + st.where() + ` THEN 1 ELSE 0 END FROM ` + from +
			` ORDER BY ` + keyCols(t) + fmt.Sprintf(` LIMIT %d) AS `, batch) + t.SQL + ` ORDER BY ` + keyCols(t)
	} else {
		q = `SELECT ` + keyCols(t) + `, 1 FROM ` + from + `) AS ` + t.SQL + ` WHERE ` + st.where() + ` ORDER BY ` + keyCols(t) + fmt.Sprintf(` LIMIT %d`, batch)
	}
	rows, err := tx.Query(ctx, q, args...)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	seen := 0
	for rows.Next() {
		k := make([]string, t.KeyLen)
		var match int
		ptrs := make([]any, len(k)+1)
		for i := range k {
			ptrs[i] = &k[i]
		}
		ptrs[len(k)] = &match
		if err := rows.Scan(ptrs...); err != nil {
			return nil, nil, err
		}
		seen++
		next = k
		if match == 1 {
			keys = append(keys, k)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	if seen < batch {
		next = nil // the table, or the step's rows, are done
	}
	return keys, next, nil
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func assignments(st *step) string {
	var parts []string
	for _, c := range st.order {
		parts = append(parts, c+" = "+st.set[c])
	}
	return strings.Join(parts, ", ")
}

// insertColumns lists every column of t, and the expressions of a row's
// re-keyed copy: set's where it names the column, the column otherwise.
func insertColumns(t *Table, set map[string]string) (cols, exprs string) {
	var cs, es []string
	for _, c := range t.Columns {
		cs = append(cs, c.Name)
		if x, ok := set[c.Name]; ok {
			es = append(es, x)
		} else {
			es = append(es, c.Name)
		}
	}
	cs, es = append(cs, "extra"), append(es, "extra")
	return strings.Join(cs, ", "), strings.Join(es, ", ")
}

// newKeyEqualsOld is "the re-keyed copy has this row's key", which no
// step produces (the source and target differ), kept as a guard: the
// delete must never remove the copy it just inserted.
func newKeyEqualsOld(t *Table, set map[string]string) string {
	var parts []string
	for _, c := range t.Columns[:t.KeyLen] {
		if x, ok := set[c.Name]; ok {
			parts = append(parts, c.Name+" = "+x)
		}
	}
	if len(parts) == 0 {
		return "1 = 1"
	}
	return strings.Join(parts, " AND ")
}

// finishSource sets the source INACTIVE when nothing of it is left
// (decisions 8 and 15), journalled like every other change.
func (s *Service) finishSource(ctx context.Context, run *engine.Run, m *mergeCtx, cp *mergeCheckpoint) error {
	tr := run.Phase("source inactive", "orgs", 1)
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		if cp.Finished {
			return nil
		}
		d, t, S := tx.Dialect(), tbl("organisation"), lit(m.src.ID)
		if d == store.Postgres {
			// The statistics still count the source's users and memberships
			// as they were before the merge, so the planner reads whole
			// tables to find one that is left, where the indexes answer at
			// once: 5.2 s instead of 0.96 s at a million users.
			if _, err := tx.Exec(ctx, `SET LOCAL enable_seqscan = off`); err != nil {
				return err
			}
		}
		set := map[string]string{"status": fmt.Sprint(StatusInactive), "updatedby": m.actor(), "updateddate": m.touchText()}
		cols := []string{"id", "status", "updatedby", "updateddate"}
		where := `id = ` + S + ` AND coalesce(status, -1) <> ` + fmt.Sprint(StatusInactive) + ` AND ` + sourceDone(S)
		n, err := run.JournalFrom(ctx, tx, `SELECT 'organisation', `+keyJSON(d, t, nil)+`, 'update', `+imageOf(d, t, nil, cols)+`, `+imageOf(d, t, set, cols)+
			` FROM sb_organisation WHERE `+where)
		if err != nil || n == 0 {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE sb_organisation SET status = `+set["status"]+`, updatedby = `+set["updatedby"]+`, updateddate = `+set["updateddate"]+
			` WHERE id = `+S); err != nil {
			return err
		}
		if err := run.Outbox(ctx, tx, "organisation", m.src.ID); err != nil {
			return err
		}
		cp.Outbox++
		cp.Changes["organisation"]++
		cp.Finished = true
		return run.Checkpoint(ctx, tx, "source inactive", cp, nil)
	})
	if err != nil && cp.Finished {
		cp.Finished = false
		cp.Changes["organisation"]--
		cp.Outbox--
	}
	tr.End(err)
	return err
}

// migrateSpec is the job a merge runs as, from the command line or queued.
func migrateSpec(req Request, claim int64) engine.Spec {
	return engine.Spec{Kind: "tenant.migrate", Locks: tenantLocks(req.Source, req.Target), Args: req, Resumable: true, Claim: claim}
}

// tenantLocks are the locks a job touching both tenants takes (decision
// 5): one per tenant, so that two merges sharing either cannot both run.
func tenantLocks(source, target string) []string {
	if source == target {
		return []string{"tenant:" + source}
	}
	return []string{"tenant:" + source, "tenant:" + target}
}

// setColumns are the key of t and the columns st sets, in table order.
func setColumns(t *Table, st *step) []string {
	var cols []string
	for i, c := range t.Columns {
		if _, ok := st.set[c.Name]; ok || i < t.KeyLen {
			cols = append(cols, c.Name)
		}
	}
	return cols
}

// mergeClosures are the child orgs a merge found before its first change.
type mergeClosures struct {
	Source []string `json:"source"`
	Target []string `json:"target"`
}

// loadPlan reads the plan a merge job stored before its first change, and
// the child orgs stored with it (none for a job of an earlier version,
// whose checkpoint has them), in one read of its row.
func loadPlan(ctx context.Context, q store.Querier, job int64) (*Plan, mergeClosures, error) {
	var c mergeClosures
	var text, closures string
	if err := q.QueryRow(ctx, `SELECT plan, closures FROM sb_merge_plan WHERE job_id = ?`, job).Scan(&text, &closures); err != nil {
		return nil, c, fmt.Errorf("the plan of merge job %d: %w", job, err)
	}
	p := &Plan{}
	if err := json.Unmarshal([]byte(text), p); err != nil {
		return nil, c, fmt.Errorf("the plan of merge job %d: %w", job, err)
	}
	if closures != "" {
		if err := json.Unmarshal([]byte(closures), &c); err != nil {
			return nil, c, fmt.Errorf("the child orgs of merge job %d: %w", job, err)
		}
	}
	return p, c, nil
}
