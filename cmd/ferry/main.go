// Command ferry is the command-line entry point. It wires the process
// environment to the cli package, which maps errors to exit codes, and
// makes sure a signal always ends the process.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/ferrymigrate/ferry/internal/cli"
)

// graceAfterSignal is how long a run has, after Ctrl-C or SIGTERM, to stop
// at its next statement or chunk and record itself as interrupted. A run
// blocked on a read that never ends (standard input from a pipe nobody
// writes to) cannot see the cancellation; a second signal, or the end of
// the grace, ends the process, and the database rolls back whatever
// transaction it had open.
const graceAfterSignal = 10 * time.Second

func main() {
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sigs
		cancel()
		select {
		case <-sigs:
		case <-time.After(graceAfterSignal):
		}
		fmt.Fprintln(os.Stderr, "ferry: interrupted, and stopped at once (run the same command again to resume from the last checkpoint)")
		os.Exit(cli.ExitInterrupted)
	}()
	code := cli.Main(ctx, cli.DefaultEnv(), os.Args[1:])
	cancel()
	os.Exit(code)
}
