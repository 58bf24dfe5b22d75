package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/luciapg/luciapg"
)

// Exit codes, documented in doc.go.
const (
	exitOK          = 0
	exitFailure     = 1
	exitUsage       = 2
	exitNotFound    = 3
	exitRefused     = 4
	exitInterrupted = 130
)

// env is everything a command reads from or writes to the outside world,
// so tests can run commands in-process.
type env struct {
	stdin            io.Reader
	stdout           io.Writer
	stderr           io.Writer
	getenv           func(string) string
	now              func() time.Time
	stdinIsTerminal  bool
	stderrIsTerminal bool
	// readTerminalPassword reads a password without echo from a terminal
	// on standard input.
	readTerminalPassword func() (string, error)
}

// options are the flags every command accepts.
type options struct {
	databaseURL string
	json        bool
}

// exitError carries the exit code for an error. Its message is the one
// line printed on standard error.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

func usageErrorf(format string, args ...any) error {
	return &exitError{code: exitUsage, msg: fmt.Sprintf(format, args...)}
}

func notFoundf(format string, args ...any) error {
	return &exitError{code: exitNotFound, msg: fmt.Sprintf(format, args...)}
}

func refusedf(format string, args ...any) error {
	return &exitError{code: exitRefused, msg: fmt.Sprintf(format, args...)}
}

// command is one "<group> <name>" subcommand.
type command struct {
	group, name string
	args        string // synopsis of flags and arguments, for usage
	summary     string
	// flags declares the command's own flags on fs; it returns the
	// function that runs the command with the remaining arguments.
	flags func(fs *flag.FlagSet) func(ctx context.Context, c *cmdContext, args []string) error
}

var commands = []command{
	{"migrate", "up", "", "apply luciapg's pending migrations", migrateUpFlags},
	{"migrate", "status", "", "list luciapg's migrations, applied or pending", migrateStatusFlags},
	{"users", "create", "[--id ID] [--key PROVIDER:USER] [--password-stdin] [--attr NAME=VALUE]...", "create a user", usersCreateFlags},
	{"users", "show", "(USER_ID | --key KEY_ID)", "show a user with their keys and sessions", usersShowFlags},
	{"users", "delete", "USER_ID", "delete a user with their keys and sessions", usersDeleteFlags},
	{"keys", "list", "USER_ID", "list a user's keys", keysListFlags},
	{"keys", "set-password", "[--keep-sessions] KEY_ID", "set a key's password, read from standard input, and end its user's sessions", keysSetPasswordFlags},
	{"keys", "delete", "KEY_ID", "delete a key that is not a primary key", keysDeleteFlags},
	{"sessions", "list", "USER_ID", "list a user's sessions", sessionsListFlags},
	{"sessions", "revoke", "SESSION_ID", "delete one session", sessionsRevokeFlags},
	{"sessions", "revoke-all", "USER_ID", "delete every session of a user", sessionsRevokeAllFlags},
	{"sessions", "prune", "[--batch-size N] [--dry-run]", "delete dead sessions in batches", sessionsPruneFlags},
}

// cmdContext is what a running command works with.
type cmdContext struct {
	*env
	opts options
}

// connect opens the database. Commands call it after checking their
// arguments, so a usage error never waits on the network.
func (c *cmdContext) connect(ctx context.Context) (*pgxpool.Pool, error) {
	return connect(ctx, c.databaseURL())
}

// store opens the database and returns a Store on it.
func (c *cmdContext) store(ctx context.Context) (*luciapg.Store, *pgxpool.Pool, error) {
	pool, err := c.connect(ctx)
	if err != nil {
		return nil, nil, err
	}
	return luciapg.New(pool), pool, nil
}

// storeForUser checks that args is one USER_ID naming an existing user, and
// opens the store; the caller closes the returned pool.
func (c *cmdContext) storeForUser(ctx context.Context, args []string) (*luciapg.Store, *pgxpool.Pool, error) {
	if err := wantArgs(args, "USER_ID"); err != nil {
		return nil, nil, err
	}
	store, pool, err := c.store(ctx)
	if err != nil {
		return nil, nil, err
	}
	if err := requireUser(ctx, store, args[0]); err != nil {
		pool.Close()
		return nil, nil, err
	}
	return store, pool, nil
}

// run runs the command line args and returns the process's exit code.
func run(ctx context.Context, args []string, e *env) int {
	err := dispatch(ctx, args, e)
	if err == nil {
		return exitOK
	}
	code := exitFailure
	var ee *exitError
	switch {
	case errors.As(err, &ee):
		code = ee.code
	case errors.Is(err, flag.ErrHelp):
		printUsage(e.stdout)
		return exitOK
	case ctx.Err() != nil:
		// Whatever failed, it failed because of Ctrl-C.
		code = exitInterrupted
		err = errors.New("interrupted")
	}
	msg := "luciapg: " + oneLine(err.Error())
	if code == exitUsage {
		msg += " (run 'luciapg help' for usage)"
	}
	fmt.Fprintln(e.stderr, msg)
	return code
}

// oneLine joins a multi-line error message (errors.Join, server DETAIL
// lines) into one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", "; ")), " ")
}

func dispatch(ctx context.Context, args []string, e *env) error {
	var opts options
	global := newFlagSet("luciapg", &opts)
	if err := global.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageErrorf("%v", err)
	}
	args = global.Args()
	if len(args) == 0 || args[0] == "help" {
		printUsage(e.stdout)
		if len(args) == 0 {
			return usageErrorf("missing command")
		}
		return nil
	}
	if len(args) < 2 {
		return usageErrorf("%s: missing subcommand (%s)", args[0], strings.Join(subcommandsOf(args[0]), ", "))
	}
	cmd, ok := findCommand(args[0], args[1])
	if !ok {
		if len(subcommandsOf(args[0])) == 0 {
			return usageErrorf("unknown command %q", args[0])
		}
		return usageErrorf("%s: unknown subcommand %q (want %s)", args[0], args[1], strings.Join(subcommandsOf(args[0]), ", "))
	}
	fs := newFlagSet("luciapg "+cmd.group+" "+cmd.name, &opts)
	runCmd := cmd.flags(fs)
	rest, err := parseInterleaved(fs, args[2:])
	if err != nil {
		return err
	}
	c := &cmdContext{env: e, opts: opts}
	if c.databaseURL() == "" {
		return usageErrorf("no database: set --database-url or DATABASE_URL")
	}
	err = explainMissingTables(runCmd(ctx, c, rest))
	var ee *exitError
	if err != nil && !errors.As(err, &ee) && !errors.Is(err, context.Canceled) {
		err = fmt.Errorf("%s %s: %w", cmd.group, cmd.name, err)
	}
	return err
}

func (c *cmdContext) databaseURL() string {
	if c.opts.databaseURL != "" {
		return c.opts.databaseURL
	}
	return c.getenv("DATABASE_URL")
}

// newFlagSet returns a flag set with the flags every command accepts.
// Parse errors are returned, not printed with the whole usage.
func newFlagSet(name string, opts *options) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&opts.databaseURL, "database-url", opts.databaseURL, "PostgreSQL connection string, a postgres:// URL or host=... dbname=... (default $DATABASE_URL)")
	fs.BoolVar(&opts.json, "json", opts.json, "print JSON instead of a table")
	return fs
}

// parseInterleaved parses flags that may come before, between or after the
// positional arguments, which it returns in order.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usageErrorf("%s: %v", fs.Name(), err)
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		if args[0] == "--" {
			return append(positional, args[1:]...), nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

// wantArgs checks the number of positional arguments.
func wantArgs(args []string, names ...string) error {
	if len(args) < len(names) {
		return usageErrorf("missing %s", names[len(args)])
	}
	if len(args) > len(names) {
		return usageErrorf("unexpected argument %q", args[len(names)])
	}
	return nil
}

func findCommand(group, name string) (command, bool) {
	for _, c := range commands {
		if c.group == group && c.name == name {
			return c, true
		}
	}
	return command{}, false
}

func subcommandsOf(group string) []string {
	var names []string
	for _, c := range commands {
		if c.group == group {
			names = append(names, c.name)
		}
	}
	return names
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "Usage: luciapg [--database-url URL] [--json] <command> <subcommand> [flags] [arguments]")
	fmt.Fprintln(w)
	tw := newTabWriter(w)
	for _, c := range commands {
		fmt.Fprintf(tw, "  %s %s %s\t%s\n", c.group, c.name, c.args, c.summary)
	}
	tw.Flush()
	fmt.Fprintln(w)
	fmt.Fprintln(w, "The database is --database-url, else $DATABASE_URL. Exit codes: 0 ok, 1 failure,")
	fmt.Fprintln(w, "2 usage error, 3 not found, 4 refused (taken id or primary key), 130 interrupted.")
}

// connect opens a pool and checks that the server answers, so a bad
// connection string, an absent server, a missing database or role fails
// here with one line saying what to do (luciapg.Connect) rather than
// inside a command.
func connect(ctx context.Context, databaseURL string) (*pgxpool.Pool, error) {
	pool, err := luciapg.Connect(ctx, databaseURL)
	if err != nil {
		return nil, fmt.Errorf("connecting to the database: %w", err)
	}
	return pool, nil
}

// sqlstateUndefinedTable is PostgreSQL's "relation does not exist".
const sqlstateUndefinedTable = "42P01"

// explainMissingTables tells the user to migrate when a command failed on
// a table that does not exist: every table the commands read is one of
// luciapg's migrations.
func explainMissingTables(err error) error {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != sqlstateUndefinedTable {
		return err
	}
	return &missingTablesError{err: err, detail: pgErr.Message}
}

// missingTablesError is a command's failure on a missing table.
type missingTablesError struct {
	err    error
	detail string
}

func (e *missingTablesError) Error() string {
	return "the database lacks luciapg's tables (" + e.detail + "): run luciapg migrate up"
}

func (e *missingTablesError) Unwrap() error { return e.err }
