package tenant

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/ferrymigrate/ferry"
	"github.com/ferrymigrate/ferry/internal/cqlcsv"
	"github.com/ferrymigrate/ferry/internal/engine"
	"github.com/ferrymigrate/ferry/internal/store"
)

// RollbackOptions configures Rollback.
type RollbackOptions struct {
	Job int64
	// Force restores rows that someone changed since the merge too,
	// overwriting those changes.
	Force bool
	// BatchRows is the number of journal entries undone per transaction.
	BatchRows int
	// Claim is the queued background job this rollback runs as
	// (SubmitRollback); 0 records a job of its own.
	Claim int64
}

// RollbackResult is a rollback's report.
type RollbackResult struct {
	JobID    int64            `json:"job"`
	Of       int64            `json:"rolledBack"`
	Resumed  bool             `json:"resumed"`
	Restored map[string]int64 `json:"restored"`
	// Changed lists the rows someone changed after the merge; without
	// Force they refuse the rollback, with it they are overwritten.
	Changed []Changed `json:"changedSince"`
	Outbox  int64     `json:"outbox"`
	// Already is the rollback job that undid the merge before, when one
	// did: running a finished rollback again changes nothing.
	Already int64 `json:"alreadyRolledBackBy,omitempty"`
}

// Changed is a row that no longer holds what the merge left in it.
type Changed struct {
	Table string `json:"table"`
	Key   string `json:"key"`
}

// mergeJob loads merge job id and the request it ran.
func mergeJob(ctx context.Context, q store.Querier, id int64) (engine.Job, Request, error) {
	var req Request
	merge, err := engine.Get(ctx, q, id)
	if err != nil {
		return merge, req, err
	}
	if merge.Kind != "tenant.migrate" {
		return merge, req, ferry.Errorf(ferry.EINVALID, "job %d is a %s job, not a tenant merge", merge.ID, merge.Kind)
	}
	err = json.Unmarshal(merge.Args, &req)
	return merge, req, err
}

// rollbackArgs are a rollback job's arguments, in the order that keeps
// the fingerprints of earlier versions' jobs (a map's keys, sorted).
type rollbackArgs struct {
	Force bool  `json:"force"`
	Job   int64 `json:"job"`
}

// rollbackSpec is the job a rollback of merge job runs as.
func rollbackSpec(req Request, job int64, force bool, claim int64) engine.Spec {
	return engine.Spec{Kind: "tenant.rollback", Locks: tenantLocks(req.Source, req.Target),
		Args: rollbackArgs{Job: job, Force: force}, Resumable: true, Claim: claim}
}

type rollbackCheckpoint struct {
	// Below is the journal id the rollback has undone down to: entries
	// with an id below it are left to do.
	Below    int64            `json:"below"`
	Restored map[string]int64 `json:"restored"`
	Outbox   int64            `json:"outbox"`
	Checked  bool             `json:"checked"`
}

// Rollback restores every row a merge job changed, from its journal, in
// reverse order, and so re-activates the source. It refuses, changing
// nothing, when a row was changed by someone else since, unless Force.
// The rollback is itself a resumable job and journals what it restores.
func (s *Service) Rollback(ctx context.Context, opts RollbackOptions) (res RollbackResult, err error) {
	merge, req, err := mergeJob(ctx, s.DB, opts.Job)
	if err != nil {
		return res, err
	}
	if merge.Status == engine.Running {
		return res, ferry.Errorf(ferry.EBUSY, "merge job %d is running", merge.ID)
	}
	batch := opts.BatchRows
	if batch <= 0 {
		batch = DefaultBatchRows
	}
	if done, err := rolledBackBy(ctx, s.DB, merge.ID); err != nil || done != 0 {
		return RollbackResult{Of: merge.ID, Already: done, Restored: map[string]int64{}, Changed: []Changed{}}, err
	}
	run, err := s.Engine.Start(ctx, rollbackSpec(req, merge.ID, opts.Force, opts.Claim))
	if err != nil {
		return res, err
	}
	res.JobID, res.Of, res.Resumed, res.Changed = run.Job.ID, merge.ID, run.Resumed, []Changed{}
	cp := rollbackCheckpoint{Restored: map[string]int64{}}
	defer func() {
		res.Restored, res.Outbox = nonZero(cp.Restored), cp.Outbox
		if ferr := run.Finish(ctx, res, err); ferr != nil && err == nil {
			err = ferr
		}
	}()
	if err := run.LoadCheckpoint(&cp); err != nil {
		return res, err
	}
	if cp.Restored == nil {
		cp.Restored = map[string]int64{}
	}
	if cp.Below == 0 {
		if err := s.DB.QueryRow(ctx, `SELECT coalesce(max(id), 0) + 1 FROM ferry_journal WHERE job_id = ?`, merge.ID).Scan(&cp.Below); err != nil {
			return res, err
		}
	}
	if !cp.Checked {
		if res.Changed, err = s.changedSince(ctx, merge.ID, cp.Below); err != nil {
			return res, err
		}
		if len(res.Changed) > 0 && !opts.Force {
			return res, &ferry.Error{Code: ferry.ECONFLICT,
				Message: fmt.Sprintf("%d row(s) changed since merge job %d; nothing was rolled back", len(res.Changed), merge.ID),
				Hint:    "review them (they are listed in the report) and pass the force option to overwrite them"}
		}
		cp.Checked = true
	}
	total := int64(0)
	_ = s.DB.QueryRow(ctx, `SELECT count(*) FROM ferry_journal WHERE job_id = ? AND id < ?`, merge.ID, cp.Below).Scan(&total)
	run.PlanSteps(1)
	tr := run.Phase("restore", "rows", total)
	var done int64
	for {
		var n int
		err := s.DB.InTx(ctx, func(tx *store.Tx) error {
			var err error
			n, err = s.undoBatch(ctx, tx, run, merge.ID, batch, &cp)
			if err != nil {
				return err
			}
			return run.Checkpoint(ctx, tx, "restore", cp, nil)
		})
		if err != nil {
			tr.End(err)
			return res, engine.AsInterruption(ctx, err)
		}
		done += int64(n)
		tr.Update(done, done)
		if n < batch {
			break
		}
	}
	tr.End(nil)
	return res, nil
}

// changedSince lists the rows whose current state is not what the merge's
// journal left in them (the last image per row).
func (s *Service) changedSince(ctx context.Context, job, below int64) ([]Changed, error) {
	out := []Changed{}
	// The journal is read whole before any row is: SQLite lends one
	// connection, which an open cursor holds.
	type last struct {
		t        *Table
		key, img string
	}
	var lasts []last
	seen := map[string]bool{}
	err := engine.EachChange(ctx, s.DB, job, true, func(c engine.Change) error {
		if c.ID >= below {
			return nil
		}
		id := c.Entity + "\x00" + compactKey(c.Key)
		if seen[id] {
			return nil
		}
		seen[id] = true
		t := TableNamed(c.Entity)
		if t == nil {
			return fmt.Errorf("journal entry %d names an unknown table %q", c.ID, c.Entity)
		}
		key := c.Key
		if c.Action == engine.ActionMove {
			// A moved row is checked where it went.
			var err error
			if key, err = newKey(t, c.After); err != nil {
				return err
			}
		}
		lasts = append(lasts, last{t: t, key: key, img: c.After})
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, l := range lasts {
		cur, err := currentImage(ctx, s.DB, l.t, l.key)
		if err != nil {
			return nil, err
		}
		if !sameImage(l.t, cur, l.img) {
			out = append(out, Changed{Table: l.t.Name, Key: compactKey(l.key)})
		}
	}
	return out, nil
}

// undoBatch undoes up to batch journal entries below the checkpoint, the
// newest first.
func (s *Service) undoBatch(ctx context.Context, tx *store.Tx, run *engine.Run, job int64, batch int, cp *rollbackCheckpoint) (int, error) {
	rows, err := tx.Query(ctx, `SELECT id, entity, entity_key, action, before, after FROM ferry_journal WHERE job_id = ? AND id < ? ORDER BY id DESC LIMIT ?`,
		job, cp.Below, batch)
	if err != nil {
		return 0, err
	}
	var changes []engine.Change
	for rows.Next() {
		var c engine.Change
		if err := rows.Scan(&c.ID, &c.Entity, &c.Key, &c.Action, &c.Before, &c.After); err != nil {
			rows.Close()
			return 0, err
		}
		changes = append(changes, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	for _, c := range changes {
		t := TableNamed(c.Entity)
		if t == nil {
			return 0, fmt.Errorf("journal entry %d names an unknown table %q", c.ID, c.Entity)
		}
		if err := s.undo(ctx, tx, run, t, c); err != nil {
			return 0, fmt.Errorf("undoing journal entry %d (%s %s): %w", c.ID, c.Entity, c.Key, err)
		}
		cp.Restored[c.Entity]++
		if entity, key := outboxOf(t, c); entity != "" {
			if err := run.Outbox(ctx, tx, entity, key); err != nil {
				return 0, err
			}
			cp.Outbox++
		}
		cp.Below = c.ID
	}
	return len(changes), nil
}

// undo reverses one journal entry, journalling the restore in the
// rollback's own journal.
func (s *Service) undo(ctx context.Context, tx *store.Tx, run *engine.Run, t *Table, c engine.Change) error {
	key, err := keyValues(c.Key)
	if err != nil {
		return err
	}
	cur, err := currentImage(ctx, tx, t, c.Key)
	if err != nil {
		return err
	}
	where, wargs := keyWhere(t, key)
	switch c.Action {
	case engine.ActionUpdate:
		// An update's images hold the key and the columns it set: those
		// are put back, the others are not the merge's.
		cols, vals, err := presentValues(t, c.Before)
		if err != nil {
			return err
		}
		var sets []string
		var args []any
		for i, col := range cols {
			if t.Col(col) >= 0 && t.Col(col) < t.KeyLen {
				continue
			}
			sets = append(sets, col+" = ?")
			args = append(args, vals[i])
		}
		if len(sets) > 0 {
			n, err := tx.Exec(ctx, `UPDATE `+t.SQL+` SET `+strings.Join(sets, ", ")+` WHERE `+where, append(args, wargs...)...)
			if err != nil {
				return err
			}
			if n == 0 {
				return ferry.Errorf(ferry.ECONFLICT, "%s %s no longer exists: its columns cannot be restored", t.Name, c.Key)
			}
		}
		cur = partialOf(t, cur, cols)
	case engine.ActionInsert:
		if _, err := tx.Exec(ctx, `DELETE FROM `+t.SQL+` WHERE `+where, wargs...); err != nil {
			return err
		}
	case engine.ActionMove:
		// Back from its new key to its old one, whole.
		nk, err := newKey(t, c.After)
		if err != nil {
			return err
		}
		moved, err := currentImage(ctx, tx, t, nk)
		if err != nil {
			return err
		}
		nkv, _ := keyValues(nk)
		nwhere, nargs := keyWhere(t, nkv)
		if _, err := tx.Exec(ctx, `DELETE FROM `+t.SQL+` WHERE `+nwhere, nargs...); err != nil {
			return err
		}
		if cur != "" {
			if _, err := tx.Exec(ctx, `DELETE FROM `+t.SQL+` WHERE `+where, wargs...); err != nil {
				return err
			}
		}
		cols, vals, err := imageValues(t, c.Before)
		if err != nil {
			return err
		}
		marks := strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ")
		if _, err := tx.Exec(ctx, `INSERT INTO `+t.SQL+` (`+strings.Join(cols, ", ")+`) VALUES (`+marks+`)`, vals...); err != nil {
			return err
		}
		return run.Journal(ctx, tx,
			engine.Change{Entity: c.Entity, Key: nk, Action: engine.ActionDelete, Before: moved},
			engine.Change{Entity: c.Entity, Key: c.Key, Action: engine.ActionInsert, After: c.Before})
	case engine.ActionDelete:
		if cur != "" {
			// Forced over a row that took the key since: the journal's row wins.
			if _, err := tx.Exec(ctx, `DELETE FROM `+t.SQL+` WHERE `+where, wargs...); err != nil {
				return err
			}
		}
		cols, vals, err := imageValues(t, c.Before)
		if err != nil {
			return err
		}
		marks := strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ")
		if _, err := tx.Exec(ctx, `INSERT INTO `+t.SQL+` (`+strings.Join(cols, ", ")+`) VALUES (`+marks+`)`, vals...); err != nil {
			return err
		}
	}
	action := map[string]string{engine.ActionUpdate: engine.ActionUpdate, engine.ActionInsert: engine.ActionDelete, engine.ActionDelete: engine.ActionInsert}[c.Action]
	after := c.Before
	if c.Action == engine.ActionInsert {
		after = ""
	}
	return run.Journal(ctx, tx, engine.Change{Entity: c.Entity, Key: c.Key, Action: action, Before: cur, After: after})
}

// outboxOf is the search-index entity a restored row of t belongs to.
func outboxOf(t *Table, c engine.Change) (string, string) {
	key, err := keyValues(c.Key)
	if err != nil || len(key) == 0 {
		return "", ""
	}
	switch t.Name {
	case "user", "organisation", "sunbird.course_batch":
		return t.Name, fmt.Sprint(key[0])
	case "course_batch":
		if len(key) > 1 {
			return t.Name, fmt.Sprint(key[1])
		}
	}
	return "", ""
}

func keyValues(key string) ([]any, error) {
	var v []any
	if err := json.Unmarshal([]byte(key), &v); err != nil {
		return nil, fmt.Errorf("journal key %q: %w", key, err)
	}
	return v, nil
}

func keyWhere(t *Table, key []any) (string, []any) {
	var parts []string
	for _, c := range t.Columns[:t.KeyLen] {
		parts = append(parts, c.Name+" = ?")
	}
	return strings.Join(parts, " AND "), key
}

// currentImage is the row of t at key as a journal image, "" when there
// is none.
func currentImage(ctx context.Context, q store.Querier, t *Table, key string) (string, error) {
	k, err := keyValues(key)
	if err != nil {
		return "", err
	}
	where, args := keyWhere(t, k)
	var img string
	err = q.QueryRow(ctx, `SELECT `+image(q.Dialect(), t, nil)+` FROM `+t.SQL+` WHERE `+where, args...).Scan(&img)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return img, err
}

// imageValues decodes a journal image into columns and values to bind,
// typed as the catalog says: the two databases write booleans as 0/1 and
// true/false, and numbers as JSON numbers.
func imageValues(t *Table, img string) ([]string, []any, error) {
	m, err := decodeImage(img)
	if err != nil {
		return nil, nil, err
	}
	var cols []string
	var vals []any
	for _, c := range t.Columns {
		cols = append(cols, c.Name)
		vals = append(vals, typed(c.Type, m[c.Name]))
	}
	cols = append(cols, "extra")
	vals = append(vals, typed(cqlcsv.Type{Kind: cqlcsv.Text}, m["extra"]))
	return cols, vals, nil
}

func decodeImage(img string) (map[string]any, error) {
	m := map[string]any{}
	if img == "" {
		return m, nil
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(img)))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("journal image: %w", err)
	}
	return m, nil
}

func typed(t cqlcsv.Type, v any) any {
	if v == nil {
		return nil
	}
	switch t.Kind {
	case cqlcsv.Int:
		if n, ok := v.(json.Number); ok {
			i, err := n.Int64()
			if err == nil {
				return i
			}
		}
	case cqlcsv.Boolean:
		switch b := v.(type) {
		case bool:
			return b
		case json.Number:
			return b.String() != "0"
		}
	}
	if s, ok := v.(string); ok {
		return s
	}
	return fmt.Sprint(v)
}

// sameImage reports whether the row's current image cur holds what the
// journal's image want says, by value whatever the database that wrote
// them: every column of want (an update's image holds only its columns).
func sameImage(t *Table, cur, want string) bool {
	if cur == "" || want == "" {
		return cur == want
	}
	cols, vw, err := presentValues(t, want)
	if err != nil {
		return false
	}
	m, err := decodeImage(cur)
	if err != nil {
		return false
	}
	for i, col := range cols {
		typ := cqlcsv.Type{Kind: cqlcsv.Text}
		if j := t.Col(col); j >= 0 {
			typ = t.Columns[j].Type
		}
		vc := typed(typ, m[col])
		if fmt.Sprint(vc) != fmt.Sprint(vw[i]) || (vc == nil) != (vw[i] == nil) {
			return false
		}
	}
	return true
}

// presentValues decodes the columns an image holds, typed, in table order.
func presentValues(t *Table, img string) ([]string, []any, error) {
	m, err := decodeImage(img)
	if err != nil {
		return nil, nil, err
	}
	var cols []string
	var vals []any
	for _, c := range t.Columns {
		if v, ok := m[c.Name]; ok {
			cols = append(cols, c.Name)
			vals = append(vals, typed(c.Type, v))
		}
	}
	if v, ok := m["extra"]; ok {
		cols = append(cols, "extra")
		vals = append(vals, typed(cqlcsv.Type{Kind: cqlcsv.Text}, v))
	}
	return cols, vals, nil
}

// partialOf cuts a full image down to cols, for the rollback's journal.
func partialOf(t *Table, img string, cols []string) string {
	m, err := decodeImage(img)
	if err != nil || img == "" {
		return img
	}
	out := map[string]any{}
	for _, c := range cols {
		out[c] = m[c]
	}
	b, err := json.Marshal(out)
	if err != nil {
		return img
	}
	return string(b)
}

// rolledBackBy is the finished rollback job of merge job id, or 0.
func rolledBackBy(ctx context.Context, q store.Querier, id int64) (int64, error) {
	jobs, err := engine.List(ctx, q, engine.Filter{Kind: "tenant.rollback", Status: engine.Succeeded, Limit: 1000})
	if err != nil {
		return 0, err
	}
	for _, j := range jobs {
		var args struct {
			Job int64 `json:"job"`
		}
		if json.Unmarshal(j.Args, &args) == nil && args.Job == id {
			return j.ID, nil
		}
	}
	return 0, nil
}

// newKey is the key a moved row went to: its key columns in the move's
// after-image, as a JSON array.
func newKey(t *Table, after string) (string, error) {
	m, err := decodeImage(after)
	if err != nil {
		return "", err
	}
	key := make([]any, t.KeyLen)
	for i, c := range t.Columns[:t.KeyLen] {
		v, ok := m[c.Name]
		if !ok {
			return "", fmt.Errorf("a move of %s lacks its new %s", t.Name, c.Name)
		}
		key[i] = typed(c.Type, v)
	}
	return string(mustJSON(key)), nil
}

// overlay is the whole row after a move or an update: the before-image
// with the after-image's columns over it.
func overlay(t *Table, before, after string) ([]any, error) {
	row, err := rowOf(t, before)
	if err != nil {
		return nil, err
	}
	cols, vals, err := presentValues(t, after)
	if err != nil {
		return nil, err
	}
	for i, c := range cols {
		if j := t.Col(c); j >= 0 {
			row[j] = vals[i]
		}
	}
	return row, nil
}
