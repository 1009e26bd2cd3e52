package main

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func sampleVars() bareVars {
	v := bareVars{Source: "0124", Target: "0126", SourceChannel: "PilotRaj", TargetChannel: "RJ",
		TargetName: "Raj's State", Actor: "ferry"}
	v.stamp(time.Date(2024, 1, 2, 3, 4, 5, 678900000, time.FixedZone("IST", 5*3600+1800)))
	return v
}

func TestStamp(t *testing.T) {
	v := sampleVars()
	// In UTC, to the millisecond, as ferry writes both kinds of dates.
	if v.TouchText != "2024-01-01 21:34:05:678+0000" || v.TouchTS != "2024-01-01 21:34:05.678+0000" {
		t.Errorf("touch = %q, %q", v.TouchText, v.TouchTS)
	}
}

func TestSubstitute(t *testing.T) {
	script := "UPDATE t SET a = :'tgt', n = :'tgt_name', p = :'tgt_chan', c = :'tgt_channel'\n" +
		" WHERE a = :'src' AND p = :'src_chan' AND x = 'it'':''s' AND d = :'touch_text' AND e = :'touch_ts' AND by = :'actor';"
	got, err := substitute(script, sampleVars())
	if err != nil {
		t.Fatal(err)
	}
	want := "UPDATE t SET a = '0126', n = 'Raj''s State', p = 'rj', c = 'RJ'\n" +
		" WHERE a = '0124' AND p = 'pilotraj' AND x = 'it'':''s' AND d = '2024-01-01 21:34:05:678+0000' AND e = '2024-01-01 21:34:05.678+0000' AND by = 'ferry';"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestSubstituteUnknown(t *testing.T) {
	_, err := substitute("SELECT :'src', :'sorce', :'tgt_nmae', :'sorce';", sampleVars())
	if err == nil || !strings.Contains(err.Error(), "sorce, tgt_nmae") {
		t.Errorf("err = %v, want the two unknown names once each", err)
	}
}

// Both embedded scripts name only variables the bench gives them, and the
// SQLite one is left with no placeholder.
func TestEmbeddedScripts(t *testing.T) {
	vals := sampleVars().values()
	for name, script := range map[string]string{"bare-postgres.sql": barePostgres, "bare-sqlite.sql": bareSQLite} {
		if !strings.Contains(script, "BEGIN;") || !strings.Contains(script, "COMMIT;") {
			t.Errorf("%s is not one transaction", name)
		}
		for _, m := range placeholder.FindAllStringSubmatch(script, -1) {
			if _, ok := vals[m[1]]; !ok {
				t.Errorf("%s names :'%s', which has no value", name, m[1])
			}
		}
	}
	out, err := substitute(bareSQLite, sampleVars())
	if err != nil {
		t.Fatal(err)
	}
	if placeholder.MatchString(out) {
		t.Errorf("a placeholder is left: %q", placeholder.FindString(out))
	}
}

func TestPsqlArgs(t *testing.T) {
	got := psqlArgs("postgres://h/db", "/logs/bare.sql", sampleVars())
	want := []string{"postgres://h/db", "-X",
		"-v", "actor=ferry", "-v", "src=0124", "-v", "src_chan=pilotraj", "-v", "tgt=0126",
		"-v", "tgt_chan=rj", "-v", "tgt_channel=RJ", "-v", "tgt_name=Raj's State",
		"-v", "touch_text=2024-01-01 21:34:05:678+0000", "-v", "touch_ts=2024-01-01 21:34:05.678+0000",
		"-f", "/logs/bare.sql"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestReadBareVars(t *testing.T) {
	orgs := map[string][2]string{"S": {"PilotRaj", "ETB Pilot"}, "T": {"rj", "Rajasthan"}}
	read := func(id string) (string, string, error) {
		o, ok := orgs[id]
		if !ok {
			return "", "", errors.New("no rows")
		}
		return o[0], o[1], nil
	}
	v, err := readBareVars(generated{Source: "S", Target: "T"}, read)
	if err != nil {
		t.Fatal(err)
	}
	want := bareVars{Source: "S", Target: "T", SourceChannel: "PilotRaj", TargetChannel: "rj", TargetName: "Rajasthan", Actor: "ferry"}
	if v != want {
		t.Errorf("got %+v, want %+v", v, want)
	}
	if _, err := readBareVars(generated{Source: "S", Target: "X"}, read); err == nil || !strings.Contains(err.Error(), "target organisation X") {
		t.Errorf("err = %v", err)
	}
}
