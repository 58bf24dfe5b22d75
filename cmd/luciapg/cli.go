package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"regexp"
	"strconv"
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
	// defaultDatabaseURL is the database used when neither --database-url
	// nor DATABASE_URL names one (localDatabaseURL; tests name their
	// own); empty, a command refuses to guess.
	defaultDatabaseURL string
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
	// topic is the command whose help a usage error points to, such as
	// "users create"; empty for the global help.
	topic string
}

func (e *exitError) Error() string { return e.msg }

func usageErrorf(format string, args ...any) error {
	return &exitError{code: exitUsage, msg: fmt.Sprintf(format, args...)}
}

func notFoundf(format string, args ...any) error {
	return &exitError{code: exitNotFound, msg: fmt.Sprintf(format, args...)}
}

// topicError points a usage error at a command's help.
func topicError(topic string, err error) error {
	var ee *exitError
	if errors.As(err, &ee) && ee.topic == "" {
		ee.topic = topic
	}
	return err
}

func refusedf(format string, args ...any) error {
	return &exitError{code: exitRefused, msg: fmt.Sprintf(format, args...)}
}

// cmdContext is what a running command works with.
type cmdContext struct {
	*env
	opts options
}

// connect opens the database. Commands call it after checking their
// arguments, so a usage error never waits on the network. On the default
// database it first says which one it is, on standard error.
func (c *cmdContext) connect(ctx context.Context) (*pgxpool.Pool, error) {
	if c.usingDefaultDatabase() {
		fmt.Fprintf(c.stderr, "luciapg: neither --database-url nor DATABASE_URL is set: using the default database %s\n", databaseName(c.defaultDatabaseURL))
	}
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
	case ctx.Err() != nil:
		// Whatever failed, it failed because of Ctrl-C.
		code = exitInterrupted
		err = errors.New("interrupted")
	}
	msg := "luciapg: " + oneLine(withoutInnerPrefixes(err.Error()))
	if code == exitUsage {
		topic := "help"
		if ee.topic != "" {
			topic = "help " + ee.topic
		}
		msg += " (run 'luciapg " + topic + "' for usage)"
	}
	fmt.Fprintln(e.stderr, msg)
	return code
}

// oneLine joins a multi-line error message (errors.Join, server DETAIL
// lines) into one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", "; ")), " ")
}

// innerPrefix is the "luciapg: " that the library's own errors start with
// (ErrInvalidInput, Migrate's errors), wherever it follows a ": ".
var innerPrefix = regexp.MustCompile(`(^|: )(luciapg: )+`)

// withoutInnerPrefixes drops the library's "luciapg: " prefixes, so the
// line printed says "luciapg: " once.
func withoutInnerPrefixes(msg string) string {
	return innerPrefix.ReplaceAllString(msg, "$1")
}

func dispatch(ctx context.Context, args []string, e *env) error {
	var opts options
	global := newFlagSet("luciapg", &opts)
	showVersion := global.Bool("version", false, "print luciapg's version and exit")
	words, rest, err := commandWords(global, args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return printHelpFor(e.stdout, words)
	case err != nil:
		return err
	case *showVersion || (len(words) == 1 && words[0] == "version"):
		fmt.Fprintln(e.stdout, "luciapg "+version())
		return nil
	case len(words) == 0:
		return usageErrorf("missing command")
	case words[0] == "help":
		return printHelpFor(e.stdout, rest)
	}
	group := words[0]
	cmd, single := singleCommand(group)
	switch {
	case single:
	case len(subcommandsOf(group)) == 0:
		return usageErrorf("unknown command %q", group)
	case len(words) < 2:
		return topicError(group, usageErrorf("%s: missing subcommand (%s)", group, strings.Join(subcommandsOf(group), ", ")))
	default:
		var ok bool
		if cmd, ok = findCommand(group, words[1]); !ok {
			return topicError(group, usageErrorf("%s: unknown subcommand %q (want %s)", group, words[1], strings.Join(subcommandsOf(group), ", ")))
		}
	}
	fs := newFlagSet("luciapg "+cmd.path(), &opts)
	runCmd := cmd.flags(fs)
	positional, err := parseInterleaved(fs, rest)
	if errors.Is(err, flag.ErrHelp) {
		return printCommandHelp(e.stdout, cmd)
	}
	if err != nil {
		return topicError(cmd.path(), unknownUserFlag(err, cmd))
	}
	c := &cmdContext{env: e, opts: opts}
	if c.databaseURL() == "" {
		return usageErrorf("no database: set --database-url or DATABASE_URL")
	}
	err = explainFailure(runCmd(ctx, c, positional))
	var ee *exitError
	if errors.As(err, &ee) {
		return topicError(cmd.path(), err)
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		err = fmt.Errorf("%s: %w", cmd.path(), err)
	}
	return err
}

// commandWords parses the global flags wherever they come before the
// subcommand ("luciapg --json users list", "luciapg users --json list")
// and returns the command's words and the arguments after them. After
// "help" every argument is a word. On flag.ErrHelp, words are those read
// before the help flag, so help can be about them.
func commandWords(global *flag.FlagSet, args []string) (words, rest []string, err error) {
	for len(args) > 0 {
		if err := global.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return words, nil, err
			}
			err = flagUsageError(err, args)
			if len(words) == 1 && len(subcommandsOf(words[0])) > 0 {
				// "luciapg users --key x show": only the flags every
				// command takes may come before the subcommand.
				var ee *exitError
				if errors.As(err, &ee) {
					ee.msg += " (a subcommand's own flags come after it)"
				}
				return words, nil, topicError(words[0], err)
			}
			return words, nil, err
		}
		args = global.Args()
		if len(args) == 0 {
			break
		}
		words = append(words, args[0])
		args = args[1:]
		if words[0] == "help" {
			return words, args, nil
		}
		if len(words) == 2 || len(subcommandsOf(words[0])) == 0 {
			// A command of one word ("audit") takes no subcommand.
			break
		}
	}
	return words, args, nil
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

// localDatabaseURL is the database commands use when neither
// --database-url nor DATABASE_URL names one: the local server's postgres
// database, which the example web app (and so `make webapp`) also uses
// by default.
const localDatabaseURL = "postgres://postgres@127.0.0.1:5432/postgres"

// databaseURL is the database the command works on: --database-url, else
// DATABASE_URL, else the default.
func (c *cmdContext) databaseURL() string {
	if c.opts.databaseURL != "" {
		return c.opts.databaseURL
	}
	if url := c.getenv("DATABASE_URL"); url != "" {
		return url
	}
	return c.defaultDatabaseURL
}

func (c *cmdContext) usingDefaultDatabase() bool {
	return c.opts.databaseURL == "" && c.getenv("DATABASE_URL") == "" && c.defaultDatabaseURL != ""
}

// databaseName is HOST:PORT/DATABASE for a connection string: never its
// user or password.
func databaseName(connString string) string {
	cfg, err := pgconn.ParseConfig(connString)
	if err != nil {
		return "(unreadable connection string)"
	}
	return net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port))) + "/" + cfg.Database
}

// SQLSTATE codes the commands explain.
const (
	// sqlstateUndefinedTable is PostgreSQL's "relation does not exist".
	sqlstateUndefinedTable = "42P01"
	// sqlstateUniqueViolation is what the Store passes through for a
	// UNIQUE attribute column (taken ids and keys are its own errors).
	sqlstateUniqueViolation = "23505"
)

// explainFailure turns the database errors a person can act on into one
// line saying what to do: a missing table means the database is not
// migrated (every table the commands read is one of luciapg's
// migrations); a unique violation is a taken value, refused like a taken
// id (exit code 4).
func explainFailure(err error) error {
	var duplicate *luciapg.Error
	if errors.Is(err, luciapg.ErrDuplicateAttribute) && errors.As(err, &duplicate) {
		return refusedf("the value of column %s is taken by another user", duplicate.Column())
	}
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return err
	}
	switch pgErr.Code {
	case sqlstateUndefinedTable:
		return &missingTablesError{err: err, detail: pgErr.Message}
	case sqlstateUniqueViolation:
		// DETAIL would quote the value; the constraint names the column.
		return refusedf("the value is taken: unique constraint %q of %s refused it", pgErr.ConstraintName, pgErr.TableName)
	}
	return err
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
