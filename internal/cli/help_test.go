package cli

import (
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Every command's help is for people who have never read ferry's source:
// examples on every command, no references to documents or code they
// cannot follow, kebab-case flags, and each flag naming the variable that
// sets it.
func TestHelpIsForNewUsers(t *testing.T) {
	root := NewRoot(Env{Getenv: func(string) string { return "" }})
	internal := regexp.MustCompile(`(?i)design note|the reference's [a-z_]+\b|load_transition_domain|transfer_transition|master_domain|decision \d+`)
	kebab := regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)
	var walk func(c *cobra.Command)
	commands := 0
	walk = func(c *cobra.Command) {
		if c.Hidden || c.Name() == "help" || c.Name() == "completion" {
			return
		}
		commands++
		if strings.TrimSpace(c.Example) == "" {
			t.Errorf("%s has no examples", c.CommandPath())
		}
		for _, text := range []string{c.Short, c.Long, c.Example} {
			if m := internal.FindString(text); m != "" {
				t.Errorf("%s's help refers to %q, which a user cannot follow", c.CommandPath(), m)
			}
		}
		c.LocalFlags().VisitAll(func(f *pflag.Flag) {
			if f.Hidden || f.Name == "help" || f.Name == "version" {
				return
			}
			if !kebab.MatchString(f.Name) {
				t.Errorf("%s --%s is not kebab-case", c.CommandPath(), f.Name)
			}
			if !strings.Contains(f.Usage, "["+envName(f.Name)+"]") {
				t.Errorf("%s --%s's help does not name %s: %q", c.CommandPath(), f.Name, envName(f.Name), f.Usage)
			}
			if m := internal.FindString(f.Usage); m != "" {
				t.Errorf("%s --%s's help refers to %q", c.CommandPath(), f.Name, m)
			}
		})
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	if commands < 15 {
		t.Fatalf("only %d commands walked; the test proves nothing", commands)
	}
}

// The reference's spellings stay, hidden, as aliases of the kebab-case flags.
func TestReferenceFlagNamesAreHiddenAliases(t *testing.T) {
	root := NewRoot(Env{Getenv: func(string) string { return "" }})
	migrate, _, err := root.Find([]string{"registrar", "migrate"})
	if err != nil {
		t.Fatal(err)
	}
	for alias, flag := range map[string]string{"limitParse": "limit", "resetTable": "reset", "domain_contacts_filename": "domain-contacts", "agency_adhoc_filename": "agencies"} {
		a, f := migrate.Flags().Lookup(alias), migrate.Flags().Lookup(flag)
		if a == nil || f == nil {
			t.Errorf("--%s or --%s missing", alias, flag)
			continue
		}
		if !a.Hidden || f.Hidden || a.Value != f.Value {
			t.Errorf("--%s should be a hidden alias of --%s", alias, flag)
		}
	}
}

func TestParseBool(t *testing.T) {
	for in, want := range map[string]bool{"1": true, "0": false, "true": true, "FALSE": false, "yes": true, "No": false, " on ": true, "off": false} {
		got, err := parseBool(in)
		if err != nil || got != want {
			t.Errorf("parseBool(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := parseBool("maybe"); err == nil {
		t.Error("parseBool accepted maybe")
	}
}

func TestNumAndDistance(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 43524: "43,524", 1234567: "1,234,567", -1000: "-1,000"} {
		if got := num(n); got != want {
			t.Errorf("num(%d) = %q, want %q", n, got, want)
		}
	}
	for _, tt := range []struct {
		a, b string
		want int
	}{{"limt", "limit", 1}, {"lsit", "list", 2}, {"", "abc", 3}, {"dirctory", "directory", 1}} {
		if got := distance(tt.a, tt.b); got != tt.want {
			t.Errorf("distance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}
