package main

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// A signal always ends ferry, even when the run is blocked on a read that
// never returns (standard input from a pipe nobody writes to): the first
// Ctrl-C asks the run to stop at its next step, a second one ends the
// process at once. (Once a FIFO or /dev/zero as input hung ferry and it
// ignored SIGINT and SIGTERM.)
func TestSignalsAlwaysEndTheProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "ferry")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building ferry: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "--db", filepath.Join(dir, "ferry.db"), "registrar", "load-domains", "-")
	stdin, err := cmd.StdinPipe() // never written to, never closed until the end
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	time.Sleep(1500 * time.Millisecond) // the load is now waiting on standard input
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		if err := cmd.Process.Signal(sig); err != nil {
			t.Fatal(err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	select {
	case err := <-done:
		ee, ok := err.(*exec.ExitError)
		if !ok || ee.ExitCode() != 130 {
			t.Fatalf("ferry ended with %v, want exit status 130; stderr: %s", err, stderr.String())
		}
	case <-time.After(5 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("ferry still ran 5 s after two signals; stderr: %s", stderr.String())
	}
}
