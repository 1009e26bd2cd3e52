package main

import (
	"io"
	"reflect"
	"testing"
	"time"

	"github.com/ferrymigrate/ferry/bench/harness"
)

func envOf(m map[string]string) *harness.Env {
	return &harness.Env{Lookup: func(k string) (string, bool) { v, ok := m[k]; return v, ok }}
}

func TestParseConfigDefaults(t *testing.T) {
	c, err := parseConfig(nil, envOf(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := config{
		Sizes: []int{1000000}, Seed: 1, Overlap: 2, PGURL: "postgres://postgres@127.0.0.1:5432/test",
		Engines: []string{"postgres", "sqlite"},
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("got %+v\nwant %+v", c, want)
	}
}

func TestParseConfigPrecedence(t *testing.T) {
	env := envOf(map[string]string{
		"FERRY_BENCH_USERS": "5000", "FERRY_BENCH_SEED": "9", "FERRY_BENCH_ENGINES": "sqlite",
		"FERRY_BENCH_STEP_TIMEOUT": "120", "FERRY_BENCH_KEEP": "1", "FERRY_BENCH_OVERLAP": "0",
		"FERRY_BENCH_MD": "env.md", "FERRY_BENCH_REF": "HEAD",
	})
	// Flags win over the environment, which wins over the defaults.
	c, err := parseConfig([]string{"-users", "20000", "-engines", "sqlite,postgres", "-step-timeout", "10m", "-md", "flag.md"}, env, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := config{
		Sizes: []int{20000}, Seed: 9, Overlap: 0, PGURL: "postgres://postgres@127.0.0.1:5432/test",
		Engines: []string{"postgres", "sqlite"}, Keep: true, StepTimeout: 10 * time.Minute,
		Ref: "HEAD", MD: "flag.md",
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("got %+v\nwant %+v", c, want)
	}
}

func TestParseConfigSizes(t *testing.T) {
	// -sizes overrides -users, from the flag or the environment.
	c, err := parseConfig([]string{"-users", "5", "-sizes", "1000000, 100000,100000"}, envOf(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{100000, 1000000}; !reflect.DeepEqual(c.Sizes, want) {
		t.Errorf("sizes = %v, want %v", c.Sizes, want)
	}
	c, err = parseConfig(nil, envOf(map[string]string{"FERRY_BENCH_SIZES": "2000 100_000", "FERRY_BENCH_USERS": "7"}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{2000, 100000}; !reflect.DeepEqual(c.Sizes, want) {
		t.Errorf("sizes = %v, want %v", c.Sizes, want)
	}
}

func TestParseConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
	}{
		{"bad environment value", nil, map[string]string{"FERRY_BENCH_USERS": "many"}},
		{"unknown engine", []string{"-engines", "mysql"}, nil},
		{"no engine", []string{"-engines", " , "}, nil},
		{"one user", []string{"-users", "1"}, nil},
		{"bad size", []string{"-sizes", "1000,lots"}, nil},
		{"size too small", []string{"-sizes", "1"}, nil},
		{"no size", []string{"-sizes", ","}, nil},
		{"bad overlap", []string{"-overlap", "101"}, nil},
		{"overlap not a number", []string{"-overlap", "some"}, nil},
		{"stray argument", []string{"now"}, nil},
		{"bad timeout", []string{"-step-timeout", "soon"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := parseConfig(tc.args, envOf(tc.env), io.Discard); err == nil {
				t.Error("accepted")
			}
		})
	}
}

func TestParseEngines(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"postgres sqlite", []string{"postgres", "sqlite"}},
		{"sqlite postgres", []string{"postgres", "sqlite"}},
		{"sqlite", []string{"sqlite"}},
		{" postgres,postgres ", []string{"postgres"}},
	} {
		got, err := parseEngines(tc.in)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("parseEngines(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}
