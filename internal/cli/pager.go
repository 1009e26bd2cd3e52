package cli

import (
	"io"
	"os"
	"os/exec"
	"strings"
)

// pager returns where a long record goes: through $FERRY_PAGER or $PAGER
// (less by default, which leaves a short record on the screen) when stdout
// is a terminal, straight to stdout otherwise. done waits for the pager.
func (a *app) pager() (w io.Writer, done func()) {
	out, ok := a.env.Stdout.(*os.File)
	if !a.env.Terminal || !ok {
		return a.env.Stdout, func() {}
	}
	spec := a.env.Getenv("FERRY_PAGER")
	if spec == "" {
		spec = a.env.Getenv("PAGER")
	}
	if spec == "" {
		spec = "less -FRX"
	}
	fields := strings.Fields(spec)
	if len(fields) == 0 || fields[0] == "cat" {
		return a.env.Stdout, func() {}
	}
	cmd := exec.Command(fields[0], fields[1:]...)
	cmd.Stdout, cmd.Stderr = out, a.env.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return a.env.Stdout, func() {}
	}
	if err := cmd.Start(); err != nil {
		return a.env.Stdout, func() {}
	}
	return in, func() {
		in.Close()
		_ = cmd.Wait()
	}
}
