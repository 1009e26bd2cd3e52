package cli

import (
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Configuration comes from flags, then FERRY_* variables, then defaults.
// Every flag's variable is FERRY_ and its name in capitals with _ for -,
// except --db, whose variable is FERRY_DATABASE_URL, as is usual. Hidden
// flags (the reference's spellings, kept as aliases) have none.

// envName is the variable that sets a flag.
func envName(flag string) string {
	if flag == "db" {
		return "FERRY_DATABASE_URL"
	}
	return "FERRY_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// parseBool reads a boolean as people write them in the environment.
func parseBool(v string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "1", "t", "true", "y", "yes", "on":
		return true, nil
	case "0", "f", "false", "n", "no", "off":
		return false, nil
	}
	return false, fmt.Errorf("want 1/0, true/false or yes/no")
}

// applyEnv fills every flag the user did not set from its variable.
func applyEnv(cmd *cobra.Command, getenv func(string) string) error {
	var err error
	// An alias shares its flag's value: set through either name, the
	// value came from the command line.
	changed := map[pflag.Value]bool{}
	mark := func(f *pflag.Flag) {
		if f.Changed {
			changed[f.Value] = true
		}
	}
	cmd.Flags().VisitAll(mark)
	cmd.InheritedFlags().VisitAll(mark)
	apply := func(f *pflag.Flag) {
		if err != nil || changed[f.Value] || f.Hidden {
			return
		}
		name := envName(f.Name)
		v := getenv(name)
		if v == "" {
			return
		}
		if f.Value.Type() == "bool" {
			b, perr := parseBool(v)
			if perr != nil {
				err = usagef("%s=%q: %v", name, v, perr)
				return
			}
			v = fmt.Sprint(b)
		}
		if e := f.Value.Set(v); e != nil {
			err = usagef("%s=%q: %v", name, v, e)
		}
	}
	cmd.Flags().VisitAll(apply)
	cmd.InheritedFlags().VisitAll(apply)
	return err
}

// alias adds a hidden second name for a flag.
func alias(fs *pflag.FlagSet, name, aliasName string) {
	f := fs.Lookup(name)
	fs.AddFlag(&pflag.Flag{Name: aliasName, Usage: "alias of --" + name, Value: f.Value, DefValue: f.DefValue,
		NoOptDefVal: f.NoOptDefVal, Hidden: true})
}

// finishTree names each flag's variable in its help, once the tree is built.
func finishTree(root *cobra.Command) {
	seen := map[*pflag.Flag]bool{}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		mark := func(f *pflag.Flag) {
			if f.Hidden || seen[f] || f.Name == "help" || f.Name == "version" {
				return
			}
			seen[f] = true
			f.Usage += " [" + envName(f.Name) + "]"
		}
		c.PersistentFlags().VisitAll(mark)
		c.LocalNonPersistentFlags().VisitAll(mark)
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

// group is a command that only holds subcommands. Cobra would print help and
// succeed on a mistyped subcommand; a script must see that as a usage error.
func group(use, short, example string) *cobra.Command {
	return &cobra.Command{
		Use:     use,
		Short:   short,
		Example: example,
		Args:    cobra.ArbitraryArgs,
		// A mistyped subcommand followed by its flags is a mistyped
		// command, not an unknown flag of the group.
		FParseErrWhitelist:         cobra.FParseErrWhitelist{UnknownFlags: true},
		SuggestionsMinimumDistance: 2,
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, a := range args {
				if !strings.HasPrefix(a, "-") {
					return unknownCommand(cmd, a)
				}
			}
			if len(args) > 0 {
				return usagef("%s needs a subcommand before %s", pathOf(cmd), args[0])
			}
			cmd.SetOut(cmd.ErrOrStderr())
			cmd.Help()
			return usagef("%s needs a subcommand", pathOf(cmd))
		},
	}
}

func unknownCommand(cmd *cobra.Command, name string) error {
	msg := fmt.Sprintf("unknown command %q for %q", name, cmd.CommandPath())
	if s := cmd.SuggestionsFor(name); len(s) > 0 {
		msg += "; did you mean " + strings.Join(s, " or ") + "?"
	}
	return &UsageError{Msg: msg}
}

// flagError turns pflag's errors into one clean line, with the nearest
// flag's name when a flag is unknown.
func flagError(c *cobra.Command, err error) error {
	msg := err.Error()
	name := ""
	switch {
	case strings.HasPrefix(msg, "unknown flag: --"):
		name = strings.TrimPrefix(msg, "unknown flag: --")
	case strings.HasPrefix(msg, "unknown shorthand flag: "):
		return usagef("%s for %q", msg, c.CommandPath())
	default:
		return usagef("%s", msg)
	}
	name, _, _ = strings.Cut(name, "=")
	msg = fmt.Sprintf("unknown flag --%s for %q", name, c.CommandPath())
	if s := nearestFlags(c, name); len(s) > 0 {
		msg += "; did you mean --" + strings.Join(s, " or --") + "?"
	}
	return &UsageError{Msg: msg}
}

// nearestFlags are the visible flags of c within a small edit distance of
// name, nearest first.
func nearestFlags(c *cobra.Command, name string) []string {
	type cand struct {
		name string
		d    int
	}
	var cs []cand
	visit := func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		d := distance(name, f.Name)
		if d <= max(2, len(name)/3) || strings.HasPrefix(f.Name, name) {
			cs = append(cs, cand{f.Name, d})
		}
	}
	c.Flags().VisitAll(visit)
	c.InheritedFlags().VisitAll(visit)
	sort.Slice(cs, func(i, j int) bool { return cs[i].d < cs[j].d || cs[i].d == cs[j].d && cs[i].name < cs[j].name })
	var out []string
	for _, x := range cs {
		if len(out) < 2 && (len(out) == 0 || out[len(out)-1] != x.name) {
			out = append(out, x.name)
		}
	}
	return out
}

// distance is the Levenshtein distance between two short strings.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// isCobraUsage recognises cobra's own argument errors, which it returns as
// plain errors.
func isCobraUsage(err error) bool {
	msg := err.Error()
	for _, s := range []string{"unknown command", "accepts ", "requires at least", "unknown flag", "unknown shorthand", "invalid argument", "flag needs an argument", "required flag"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// cleanCobraError rewrites cobra's messages into ferry's one-line style.
func cleanCobraError(root *cobra.Command, err error) error {
	msg := err.Error()
	if strings.HasPrefix(msg, "unknown command ") {
		// `unknown command "x" for "ferry"` plus cobra's own suggestions.
		var name, path string
		if _, e := fmt.Sscanf(msg, "unknown command %q for %q", &name, &path); e == nil {
			c := root
			if found, _, ferr := root.Find(strings.Fields(path)[1:]); ferr == nil {
				c = found
			}
			return unknownCommand(c, name)
		}
	}
	if strings.HasPrefix(msg, "required flag(s) ") {
		var names []string
		for i, part := range strings.Split(msg, `"`) {
			if i%2 == 1 {
				names = append(names, "--"+part)
			}
		}
		return usagef("missing %s", strings.Join(names, " and "))
	}
	first, _, _ := strings.Cut(msg, "\n")
	return &UsageError{Msg: first}
}

// args checks a command's arguments and names what is missing, instead of
// cobra's "accepts 1 arg(s), received 0".
func args(names ...string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, got []string) error {
		switch {
		case len(got) < len(names):
			return usagef("%s needs %s", pathOf(cmd), strings.Join(names[len(got):], " "))
		case len(got) > len(names):
			if len(names) == 0 {
				return usagef("%s takes no arguments, got %q", pathOf(cmd), strings.Join(got, " "))
			}
			return usagef("%s takes %s, got %d arguments", pathOf(cmd), strings.Join(names, " "), len(got))
		}
		return nil
	}
}

// pathOf is a command's path without the program's name: "jobs show".
func pathOf(cmd *cobra.Command) string {
	return strings.TrimPrefix(cmd.CommandPath(), cmd.Root().Name()+" ")
}
