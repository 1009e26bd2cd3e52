package harness

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// Env reads the environment variables that stand in for flags: a flag given
// on the command line wins, then the variable, then the default. Use its
// methods for the flags' default values. A variable that does not parse is
// kept as an error for Err, and the default is used meanwhile.
type Env struct {
	// Lookup reads a variable; nil means os.LookupEnv.
	Lookup func(string) (string, bool)
	errs   []error
}

func (e *Env) get(name string) (string, bool) {
	look := e.Lookup
	if look == nil {
		look = os.LookupEnv
	}
	v, ok := look(name)
	if !ok || strings.TrimSpace(v) == "" {
		return "", false
	}
	return strings.TrimSpace(v), true
}

func (e *Env) fail(name, v string, err error) {
	e.errs = append(e.errs, fmt.Errorf("%s=%q: %w", name, v, err))
}

// String is the variable's value, or def.
func (e *Env) String(name, def string) string {
	if v, ok := e.get(name); ok {
		return v
	}
	return def
}

// Int is the variable as an integer, or def.
func (e *Env) Int(name string, def int) int {
	v, ok := e.get(name)
	if !ok {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		e.fail(name, v, errors.New("not an integer"))
		return def
	}
	return n
}

// Int64 is the variable as an integer, or def.
func (e *Env) Int64(name string, def int64) int64 {
	v, ok := e.get(name)
	if !ok {
		return def
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		e.fail(name, v, errors.New("not an integer"))
		return def
	}
	return n
}

// Bool is the variable as a boolean (1/0, true/false, yes/no), or def.
func (e *Env) Bool(name string, def bool) bool {
	v, ok := e.get(name)
	if !ok {
		return def
	}
	b, err := ParseBool(v)
	if err != nil {
		e.fail(name, v, err)
		return def
	}
	return b
}

// Duration is the variable as a duration (see ParseSeconds), or def.
func (e *Env) Duration(name string, def time.Duration) time.Duration {
	v, ok := e.get(name)
	if !ok {
		return def
	}
	d, err := ParseSeconds(v)
	if err != nil {
		e.fail(name, v, err)
		return def
	}
	return d
}

// Err reports the variables that did not parse.
func (e *Env) Err() error { return errors.Join(e.errs...) }

// ParseBool accepts 1/0, true/false, yes/no and on/off.
func ParseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "1", "true", "yes", "on":
		return true, nil
	case "0", "false", "no", "off":
		return false, nil
	}
	return false, errors.New("not a boolean (use 1 or 0)")
}

// ParseSeconds reads a whole number as seconds ("600"), else a Go
// duration ("10m", "1h30m"). Negative durations are refused.
func ParseSeconds(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n < 0 {
			return 0, errors.New("negative")
		}
		return time.Duration(n) * time.Second, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, errors.New("not a number of seconds or a duration such as 10m")
	}
	if d < 0 {
		return 0, errors.New("negative")
	}
	return d, nil
}

// Seconds is a flag.Value for a duration given as seconds or as a Go
// duration.
type Seconds struct{ D *time.Duration }

func (s Seconds) String() string {
	if s.D == nil {
		return "0s"
	}
	return s.D.String()
}

// Set parses the flag's value.
func (s Seconds) Set(v string) error {
	d, err := ParseSeconds(v)
	if err != nil {
		return err
	}
	*s.D = d
	return nil
}
