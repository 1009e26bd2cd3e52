package tenant

import (
	"encoding/json"
	"strings"

	"github.com/ferrymigrate/ferry/internal/store"
)

// The SQL fragments the steps are built from. Org ids, channels and the
// actor go into statements as quoted literals: they were checked against
// the organisation table before any statement is built, a step's SQL is
// the same for every batch, and it leaves the one bound argument of a
// batch statement for the batch's keys.

// lit quotes s as an SQL string literal.
func lit(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// jsonList is a list of strings as JSON text.
func jsonList(list []string) string {
	if list == nil {
		list = []string{}
	}
	b, _ := json.Marshal(list)
	return string(b)
}

// inList is "col IN (the strings of list)", as one JSON literal.
func inList(d store.Dialect, col string, list []string) string {
	return col + " IN (SELECT v FROM " + d.JSONTextArray(lit(jsonList(list)), "v") + " l)"
}

// image is a row of t as a JSON object of every column (a journal image),
// with the expressions of set in place of the columns they name.
func image(d store.Dialect, t *Table, set map[string]string) string {
	if d == store.Postgres && len(set) == 0 {
		// The row as it is: row_to_json builds it from the tuple in one
		// call, where json_build_object looks at each of its 80 arguments.
		return "CAST(row_to_json(" + t.SQL + ") AS text)"
	}
	kv := make([]string, 0, 2*len(t.Columns)+2)
	for _, c := range t.Columns {
		e := c.Name
		if x, ok := set[c.Name]; ok {
			e = x
		}
		kv = append(kv, c.Name, e)
	}
	kv = append(kv, "extra", "extra")
	return d.JSONObject(kv...)
}

// imageOf is image limited to the columns cols.
func imageOf(d store.Dialect, t *Table, set map[string]string, cols []string) string {
	kv := make([]string, 0, 2*len(cols))
	for _, name := range cols {
		e := name
		if x, ok := set[name]; ok {
			e = x
		}
		kv = append(kv, name, e)
	}
	return d.JSONObject(kv...)
}

// keyJSON is a row's primary key as a JSON array, the journal's key, with
// set's expressions in place of the key columns they name.
func keyJSON(d store.Dialect, t *Table, set map[string]string) string {
	var cols []string
	for _, c := range t.Columns[:t.KeyLen] {
		e := c.Name
		if x, ok := set[c.Name]; ok {
			e = x
		}
		cols = append(cols, e)
	}
	if d == store.Postgres {
		return "CAST(json_build_array(" + strings.Join(cols, ", ") + ") AS text)"
	}
	return "json_array(" + strings.Join(cols, ", ") + ")"
}

// keyCols are t's primary key columns, comma separated.
func keyCols(t *Table) string {
	var cols []string
	for _, c := range t.Columns[:t.KeyLen] {
		cols = append(cols, c.Name)
	}
	return strings.Join(cols, ", ")
}

// batchMark stands, in a step's SQL, for the JSON literal of the batch's
// keys.
const batchMark = "{{batch}}"

// inBatch is "the row's key is one of the batch's", keys being the JSON
// array of key arrays (a bound argument). PostgreSQL estimates a JSON array at
// 100 elements and serves the IN from the primary key's index; a single
// key column is matched against an array, which it does the same way. (An
// extra array match on the first column of a composite key, tried to steer
// it, made it worse where that column is the same in every row, as
// provider is: 51 s instead of 22 s for the journal at 100,000 users.)
func inBatch(d store.Dialect, t *Table, keys string) string {
	var cols []string
	for _, c := range t.Columns[:t.KeyLen] {
		cols = append(cols, c.Name)
	}
	if len(cols) == 1 && d == store.Postgres {
		return firstKeyIn(d, cols[0], keys)
	}
	return "(" + strings.Join(cols, ", ") + ") IN (SELECT " + strings.Join(cols, ", ") + " FROM " + d.JSONTuples(keys, cols...) + " k)"
}

// firstKeyIn is "col is the first element of one of the key arrays in
// keys", in the form each planner serves from an index on col.
func firstKeyIn(d store.Dialect, col, keys string) string {
	if d == store.Postgres {
		return col + " = ANY(ARRAY(SELECT x.e->>0 FROM json_array_elements(CAST(" + keys + " AS json)) AS x(e)))"
	}
	return col + " IN (SELECT json_extract(value, '$[0]') FROM json_each(" + keys + "))"
}

// listHas is "the JSON list of strings in col holds s". The LIKE is a
// cheap filter an index-less scan of a million rows can afford; the JSON
// test makes it exact.
func listHas(d store.Dialect, col, s string) string {
	like := col + " LIKE " + lit("%\""+likeEscape(s)+"\"%") + " ESCAPE '\\'"
	if d == store.Postgres {
		return "(" + like + " AND jsonb_exists(CAST(" + col + " AS jsonb), " + lit(s) + "))"
	}
	return "(" + like + " AND EXISTS (SELECT 1 FROM json_each(" + col + ") WHERE value = " + lit(s) + "))"
}

func likeEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s)
}

// listReplace is the JSON list of strings in col with every src replaced
// by tgt and repeats removed, first occurrence kept (decision 7).
func listReplace(d store.Dialect, col, src, tgt string) string {
	if d == store.Postgres {
		return `(SELECT '[' || string_agg(CAST(to_json(v) AS text), ',' ORDER BY k) || ']' FROM (SELECT CASE WHEN e = ` + lit(src) + ` THEN ` + lit(tgt) +
			` ELSE e END AS v, min(o) AS k FROM json_array_elements_text(CAST(` + col + ` AS json)) WITH ORDINALITY AS x(e, o) GROUP BY 1) s)`
	}
	return `(SELECT json_group_array(v ORDER BY k) FROM (SELECT CASE WHEN value = ` + lit(src) + ` THEN ` + lit(tgt) +
		` ELSE value END AS v, min(key) AS k FROM json_each(` + col + `) GROUP BY 1))`
}

// listDuplicates is "the list in col would lose entries to listReplace":
// it holds src twice, or src beside tgt (a CREATEDFOR_DEDUPED notice).
func listDuplicates(d store.Dialect, col, src, tgt string) string {
	if d == store.Postgres {
		return `((SELECT count(*) FROM json_array_elements_text(CAST(` + col + ` AS json)) e WHERE e IN (` + lit(src) + `, ` + lit(tgt) + `)) > 1)`
	}
	return `((SELECT count(*) FROM json_each(` + col + `) WHERE value IN (` + lit(src) + `, ` + lit(tgt) + `)) > 1)`
}

// listUnion is the JSON list in a followed by the entries of b it lacks,
// without repeats: a merged membership's roles (P4).
func listUnion(d store.Dialect, a, b string) string {
	if d == store.Postgres {
		return `(SELECT '[' || string_agg(CAST(to_json(v) AS text), ',' ORDER BY k) || ']' FROM (SELECT e AS v, min(o) AS k FROM (
			SELECT e, o FROM json_array_elements_text(CAST(coalesce(` + a + `, '[]') AS json)) WITH ORDINALITY AS x(e, o)
			UNION ALL SELECT e, o + 1000000 FROM json_array_elements_text(CAST(coalesce(` + b + `, '[]') AS json)) WITH ORDINALITY AS y(e, o)) u GROUP BY 1) s)`
	}
	return `(SELECT json_group_array(v ORDER BY k) FROM (SELECT value AS v, min(k) AS k FROM (
		SELECT value, key AS k FROM json_each(coalesce(` + a + `, '[]'))
		UNION ALL SELECT value, key + 1000000 FROM json_each(coalesce(` + b + `, '[]'))) GROUP BY 1))`
}

// scopeHas is "the role scope in col (a JSON list of {organisationId})
// names org".
func scopeHas(d store.Dialect, col, org string) string {
	like := col + " LIKE " + lit("%\""+likeEscape(org)+"\"%") + " ESCAPE '\\'"
	if d == store.Postgres {
		return "(" + like + " AND EXISTS (SELECT 1 FROM json_array_elements(CAST(" + col + " AS json)) e WHERE e->>'organisationId' = " + lit(org) + "))"
	}
	return "(" + like + " AND EXISTS (SELECT 1 FROM json_each(" + col + ") WHERE json_extract(value, '$.organisationId') = " + lit(org) + "))"
}

// scopeReplace is the role scope in col with src's entries pointing at
// tgt and repeats removed, first kept (P8). Entries are rewritten in their
// own text, so the scope keeps the platform's formatting.
func scopeReplace(d store.Dialect, col, src, tgt string) string {
	from, to := lit(`"`+src+`"`), lit(`"`+tgt+`"`)
	if d == store.Postgres {
		return `(SELECT '[' || string_agg(v, ',' ORDER BY k) || ']' FROM (SELECT CASE WHEN e->>'organisationId' = ` + lit(src) +
			` THEN replace(CAST(e AS text), ` + from + `, ` + to + `) ELSE CAST(e AS text) END AS v, min(o) AS k
			FROM json_array_elements(CAST(` + col + ` AS json)) WITH ORDINALITY AS x(e, o) GROUP BY 1) s)`
	}
	return `(SELECT '[' || group_concat(v, ',' ORDER BY k) || ']' FROM (SELECT CASE WHEN json_extract(value, '$.organisationId') = ` + lit(src) +
		` THEN replace(json(value), ` + from + `, ` + to + `) ELSE json(value) END AS v, min(key) AS k FROM json_each(` + col + `) GROUP BY 1))`
}

// compactKey writes a key array the way both databases agree on: the
// journal's keys come from json_array on SQLite and json_build_array on
// PostgreSQL, which spaces its output.
func compactKey(s string) string {
	var v []any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return s
	}
	b, err := json.Marshal(v)
	if err != nil {
		return s
	}
	return string(b)
}
