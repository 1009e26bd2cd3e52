package escrow

import (
	"strings"
	"testing"
	"time"
)

func TestNormalizeDomain(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"TestDomain.gov", "testdomain.gov"},
		{"  FakeWebsite2.GOV. ", "fakewebsite2.gov"},
		{"example.gov...", "example.gov"},
		{"...", ""},
		{"", ""},
		{"FakeWebsite1", "fakewebsite1"},
	} {
		if got := NormalizeDomain(tc.in); got != tc.want {
			t.Errorf("NormalizeDomain(%q) = %q, want %q", tc.in, got, tc.want)
		}
		// The readers' byte path must agree with the public function.
		var c conv
		if got := c.domain([]byte(strings.TrimSpace(tc.in))); got != tc.want {
			t.Errorf("conv.domain(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestConvLower(t *testing.T) {
	var c conv
	for _, tc := range []struct{ in, want string }{
		{"serverHold", "serverhold"},
		{"ok", "ok"},
		{"ÉCOLE", "école"},
		{"", ""},
	} {
		if got := c.lower([]byte(tc.in)); got != tc.want {
			t.Errorf("lower(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	// The returned string must not share the reused buffer.
	a := c.lower([]byte("ABC"))
	c.lower([]byte("XYZ"))
	if a != "abc" {
		t.Errorf("earlier result changed to %q", a)
	}
}

func TestValidDomain(t *testing.T) {
	label63 := strings.Repeat("a", 63)
	long := strings.Repeat(label63+".", 4) // 256 characters
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"testdomain.gov", true},
		{"TestDomain.GOV.", true},
		{"fakewebsite1", true},
		{"xn--bcher-kva.gov", true},
		{"a-b.c-d.gov", true},
		{"123.gov", true},
		{label63 + ".gov", true},
		{label63 + "a.gov", false},
		{long[:253], true},
		{long[:254] + "a", false},
		{"", false},
		{".", false},
		{".gov", false},
		{"a..gov", false},
		{"-a.gov", false},
		{"a-.gov", false},
		{"under_score.gov", false},
		{"sp ace.gov", false},
		{"bücher.gov", false},
		{"a.gov/x", false},
	} {
		if got := ValidDomain(tc.in); got != tc.want {
			t.Errorf("ValidDomain(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestValidEmail(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"testuser@gmail.com", true},
		{"Reginald.Ratcliff4@Test.COM", true},
		{"a+tag@sub.example.gov", true},
		{"o'brien@test.com", true},
		{"jörg@test.de", true},
		{strings.Repeat("a", 64) + "@test.com", true},
		{strings.Repeat("a", 65) + "@test.com", false},
		{"a@" + strings.Repeat("b", 250) + ".com", false},
		{"", false},
		{"plain", false},
		{"@test.com", false},
		{"a@", false},
		{"a@localhost", false},
		{"a@@test.com", false},
		{"a@b@test.com", false},
		{"a b@test.com", false},
		{"a@test.com ", false},
		{"a\t@test.com", false},
		{"a\x7f@test.com", false},
		{"Jane <jane@test.com>", false},
		{"a,b@test.com", false},
		{"a;b@test.com", false},
		{`"a"@test.com`, false},
		{".a@test.com", false},
		{"a.@test.com", false},
		{"a..b@test.com", false},
		{"a@.test.com", false},
		{"a@test.com.", false},
		{"a@test..com", false},
		{"a@-test.com", false},
		{"a@test\xff.com", false},
	} {
		if got := ValidEmail(tc.in); got != tc.want {
			t.Errorf("ValidEmail(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestParseDate(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string
		ok   bool
	}{
		{"2014-03-15T15:45:05Z", "2014-03-15", true},
		{"2014-03-15", "2014-03-15", true},
		{" 2014-03-15 ", "2014-03-15", true},
		{"", "", true},
		{"2020-06-14T16:30:06.123Z", "2020-06-14", true},
		{"2020-06-14T23:30:00-05:00", "2020-06-15", true},
		{"2020-06-14T01:00:00+02:00", "2020-06-13", true},
		{"2024-02-29", "2024-02-29", true},
		{"2023-02-29", "", false},
		{"2020-13-01T00:00:00Z", "", false},
		{"2020-01-01T24:00:00Z", "", false},
		{"2020-01-01T00:00:00", "", false},
		{"2020-1-1", "", false},
		{"01/02/2020", "", false},
		{"0000-01-01", "", false},
		{"9999-12-31T23:00:00-05:00", "", false},
		{"yesterday", "", false},
	} {
		d, ok := ParseDate(tc.in)
		if ok != tc.ok || d.String() != tc.want {
			t.Errorf("ParseDate(%q) = %q, %v; want %q, %v", tc.in, d, ok, tc.want, tc.ok)
		}
		if ok && tc.want != "" && !d.Valid {
			t.Errorf("ParseDate(%q): Valid = false", tc.in)
		}
	}
}

func TestDateTime(t *testing.T) {
	d := Date{Y: 2023, M: time.March, D: 15, Valid: true}
	if got := d.Time(); !got.Equal(time.Date(2023, 3, 15, 0, 0, 0, 0, time.UTC)) || got.Location() != time.UTC {
		t.Errorf("Time() = %v", got)
	}
	if !(Date{}).Time().IsZero() {
		t.Error("unset Date must give the zero time")
	}
	if s := (Date{}).String(); s != "" {
		t.Errorf("unset String() = %q", s)
	}
}
