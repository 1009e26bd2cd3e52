package main

import (
	_ "embed"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/ferrymigrate/ferry/bench/harness"
)

// The bare SQL: the merge's end state by set-based statements in one
// transaction. The files stay plain psql and sqlite3 scripts that can be
// run by hand on a copy of an imported database.
var (
	//go:embed bare-postgres.sql
	barePostgres string
	//go:embed bare-sqlite.sql
	bareSQLite string
)

// bareVars are the values the bare scripts take.
type bareVars struct {
	Source, Target string // root org ids
	// SourceChannel and TargetChannel are the orgs' channels as stored;
	// the scripts get them lower-cased too (providers are).
	SourceChannel, TargetChannel string
	TargetName                   string
	Actor                        string // updatedby
	// TouchText and TouchTS are the merge time as Sunbird's text dates
	// (yyyy-MM-dd HH:mm:ss:SSS+0000) and as ferry stores timestamps.
	TouchText, TouchTS string
}

// readBareVars fills the values from the dataset and its two orgs, which
// org reads (channel and name) from the imported database.
func readBareVars(g generated, org func(id string) (channel, name string, err error)) (bareVars, error) {
	v := bareVars{Source: g.Source, Target: g.Target, Actor: "ferry"}
	var err error
	if v.SourceChannel, _, err = org(g.Source); err != nil {
		return v, fmt.Errorf("reading the source organisation %s: %w", g.Source, err)
	}
	if v.TargetChannel, v.TargetName, err = org(g.Target); err != nil {
		return v, fmt.Errorf("reading the target organisation %s: %w", g.Target, err)
	}
	return v, nil
}

// stamp sets the touch time, in the two formats ferry writes it.
func (v *bareVars) stamp(t time.Time) {
	s := t.UTC().Truncate(time.Millisecond).Format("2006-01-02 15:04:05.000-0700")
	v.TouchTS = s
	v.TouchText = s[:19] + ":" + s[20:]
}

// values maps each script variable to its value.
func (v bareVars) values() map[string]string {
	return map[string]string{
		"src":         v.Source,
		"tgt":         v.Target,
		"src_chan":    strings.ToLower(v.SourceChannel),
		"tgt_chan":    strings.ToLower(v.TargetChannel),
		"tgt_channel": v.TargetChannel,
		"tgt_name":    v.TargetName,
		"actor":       v.Actor,
		"touch_text":  v.TouchText,
		"touch_ts":    v.TouchTS,
	}
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// psqlArgs runs the PostgreSQL script on dbURL with the values as psql
// variables, which the script quotes itself (:'name'). The command tags
// (UPDATE n) go to the step's log.
func psqlArgs(dbURL, script string, v bareVars) []string {
	args := []string{dbURL, "-X"}
	vals := v.values()
	for _, k := range sortedKeys(vals) {
		args = append(args, "-v", k+"="+vals[k])
	}
	return append(args, "-f", script)
}

// placeholder is a psql-style quoted variable, :'name'.
var placeholder = regexp.MustCompile(`:'([A-Za-z_][A-Za-z0-9_]*)'`)

// substitute replaces each :'name' of the script by the value as an SQL
// string literal, for the sqlite3 shell, which has no variables. A name
// it has no value for is an error, so a typo in the script cannot run.
func substitute(script string, v bareVars) (string, error) {
	vals := v.values()
	unknown := map[string]bool{}
	out := placeholder.ReplaceAllStringFunc(script, func(m string) string {
		name := placeholder.FindStringSubmatch(m)[1]
		val, ok := vals[name]
		if !ok {
			unknown[name] = true
			return m
		}
		return harness.SQLString(val)
	})
	if len(unknown) > 0 {
		var names []string
		for n := range unknown {
			names = append(names, n)
		}
		sort.Strings(names)
		return "", fmt.Errorf("the script names variables with no value: %s", strings.Join(names, ", "))
	}
	return out, nil
}
