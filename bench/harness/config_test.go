package harness

import (
	"testing"
	"time"
)

func envOf(m map[string]string) *Env {
	return &Env{Lookup: func(k string) (string, bool) { v, ok := m[k]; return v, ok }}
}

func TestEnv(t *testing.T) {
	e := envOf(map[string]string{
		"N": "42", "BIG": "9000000000", "S": " text ", "B1": "1", "B0": "false", "T": "90", "T2": "2m30s",
		"BLANK": "  ", "BADN": "x", "BADB": "maybe", "BADT": "soon",
	})
	if got := e.Int("N", 1); got != 42 {
		t.Errorf("Int = %d", got)
	}
	if got := e.Int("MISSING", 7); got != 7 {
		t.Errorf("Int default = %d", got)
	}
	if got := e.Int64("BIG", 1); got != 9000000000 {
		t.Errorf("Int64 = %d", got)
	}
	if got := e.String("S", "d"); got != "text" {
		t.Errorf("String = %q", got)
	}
	if got := e.String("BLANK", "d"); got != "d" {
		t.Errorf("a blank variable should give the default, got %q", got)
	}
	if !e.Bool("B1", false) || e.Bool("B0", true) || !e.Bool("MISSING", true) {
		t.Error("Bool")
	}
	if got := e.Duration("T", 0); got != 90*time.Second {
		t.Errorf("Duration = %v", got)
	}
	if got := e.Duration("T2", 0); got != 150*time.Second {
		t.Errorf("Duration = %v", got)
	}
	if e.Err() != nil {
		t.Fatalf("no error expected yet: %v", e.Err())
	}
	if e.Int("BADN", 3) != 3 || e.Bool("BADB", true) != true || e.Duration("BADT", time.Second) != time.Second {
		t.Error("a bad value should give the default")
	}
	if e.Err() == nil {
		t.Error("bad values should be reported")
	}
}

func TestParseSeconds(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"0", 0, true},
		{"600", 10 * time.Minute, true},
		{"10m", 10 * time.Minute, true},
		{"1.5s", 1500 * time.Millisecond, true},
		{"-1", 0, false},
		{"-5s", 0, false},
		{"ten", 0, false},
		{"", 0, false},
	} {
		got, err := ParseSeconds(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseSeconds(%q) = %v, %v; want %v, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
	var d time.Duration
	s := Seconds{D: &d}
	if err := s.Set("45"); err != nil || d != 45*time.Second || s.String() != "45s" {
		t.Errorf("Seconds.Set: %v, %v", d, err)
	}
}
