package harness

import "testing"

func TestDatabaseURL(t *testing.T) {
	for _, tc := range []struct {
		server, want string
		ok           bool
	}{
		{"postgres://postgres@127.0.0.1:5432/test", "postgres://postgres@127.0.0.1:5432/ferry_bench_x", true},
		{"postgres://u:pw@db.example:6543/other?sslmode=disable", "postgres://u:pw@db.example:6543/ferry_bench_x?sslmode=disable", true},
		{"postgresql://localhost", "postgresql://localhost/ferry_bench_x", true},
		{"host=localhost dbname=test", "", false},
		{"mysql://localhost/test", "", false},
	} {
		got, err := DatabaseURL(tc.server, "ferry_bench_x")
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("DatabaseURL(%q) = %q, %v; want %q, ok=%v", tc.server, got, err, tc.want, tc.ok)
		}
	}
}
