package main

import (
	"context"
	"os"
	"os/signal"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], &env{
		stdin:                os.Stdin,
		stdout:               os.Stdout,
		stderr:               os.Stderr,
		getenv:               os.Getenv,
		now:                  time.Now,
		stdinIsTerminal:      isTerminal(os.Stdin),
		stderrIsTerminal:     isTerminal(os.Stderr),
		readTerminalPassword: readTerminalPassword,
		defaultDatabaseURL:   localDatabaseURL,
	})
	stop()
	os.Exit(code)
}
