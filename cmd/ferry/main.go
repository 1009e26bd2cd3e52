// Command ferry is the command-line entry point. It wires the process
// environment to the cli package and turns errors into exit codes.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/ferrymigrate/ferry/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := cli.Run(ctx, cli.DefaultEnv(), os.Args[1:])
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "ferry: "+cli.Message(err))
	}
	os.Exit(cli.ExitCode(err))
}
