package main

import (
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/internal/testdb"
)

// docs/webapp-and-cli.md promises that flags may come before or after arguments: any
// global or command flag is accepted anywhere after "luciapg", including
// between the command and its subcommand.
func TestFlagsBeforeBetweenAndAfterArguments(t *testing.T) {
	t.Parallel()
	url := testdb.NewURL(t)
	now := time.Now()
	seedUser(t, luciapg.New(testdb.Pool(t, url, 1)), "user1", "alice", luciaHash)
	for _, args := range [][]string{
		{"--json", "users", "show", "user1"},
		{"users", "--json", "show", "user1"},
		{"users", "show", "--json", "user1"},
		{"users", "show", "user1", "--json"},
		{"users", "show", "user1", "-json"},
		{"users", "show", "user1", "--json=true"},
		{"users", "--database-url", url, "show", "user1", "--json"},
		{"keys", "list", "user1", "--json", "--database-url=" + url},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			t.Parallel()
			r := runCLI(t, url, now, "", args...).wantCode(t, exitOK)
			if !strings.HasPrefix(r.stdout, "{") {
				t.Errorf("--json was not applied:\n%s", r.stdout)
			}
		})
	}
	// "--" ends the flags: what follows is an argument even if it looks
	// like a flag.
	r := runCLI(t, url, now, "", "users", "show", "--", "--json").wantCode(t, exitNotFound)
	if !strings.Contains(r.stderr, `no user "--json"`) {
		t.Errorf("after --: %q", r.stderr)
	}
}

func TestVersion(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"--version"}, {"-version"}, {"version"}} {
		// No database is needed to ask for the version.
		r := runCLI(t, "", time.Now(), "", args...).wantCode(t, exitOK)
		if !regexp.MustCompile(`^luciapg \S+`).MatchString(r.stdout) || strings.Count(r.stdout, "\n") != 1 || r.stderr != "" {
			t.Errorf("%v printed stdout %q, stderr %q; want one line 'luciapg VERSION'", args, r.stdout, r.stderr)
		}
	}
}

// helpOutputs runs every way of asking for help and returns what each
// printed, keyed by its command line.
func helpOutputs(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	ask := func(args ...string) {
		r := runCLI(t, "", time.Now(), "", args...).wantCode(t, exitOK)
		if r.stderr != "" {
			t.Errorf("%v wrote to stderr: %q", args, r.stderr)
		}
		out[strings.Join(args, " ")] = r.stdout
	}
	ask("help")
	ask("--help")
	ask("-h")
	for _, group := range groupNames() {
		ask(group, "--help")
		ask("help", group)
	}
	for _, c := range commands {
		ask(c.group, c.name, "--help")
		ask(c.group, c.name, "-h")
		ask("help", c.group, c.name)
	}
	return out
}

func TestPerCommandHelp(t *testing.T) {
	t.Parallel()
	help := helpOutputs(t)

	users := help["users --help"]
	for _, want := range []string{"Usage: luciapg users <subcommand>", "create", "show", "delete", "list"} {
		if !strings.Contains(users, want) {
			t.Errorf("users --help lacks %q:\n%s", want, users)
		}
	}
	if strings.Contains(users, "migrate") || strings.Contains(users, "revoke") {
		t.Errorf("users --help lists other commands:\n%s", users)
	}
	create := help["users create --help"]
	for _, want := range []string{"Usage: luciapg users create [flags]", "--password-stdin", "--attr NAME=VALUE", "--key PROVIDER:USER", "--database-url", "--json"} {
		if !strings.Contains(create, want) {
			t.Errorf("users create --help lacks %q:\n%s", want, create)
		}
	}
	if strings.Contains(create, "sessions prune") {
		t.Errorf("users create --help prints the whole command list:\n%s", create)
	}
	if help["help users create"] != create || help["users create -h"] != create {
		t.Errorf("help users create, users create -h and users create --help differ")
	}
	if !strings.Contains(help["sessions prune --help"], "--batch-size N") || !strings.Contains(help["sessions prune --help"], "(default 1000)") {
		t.Errorf("sessions prune --help:\n%s", help["sessions prune --help"])
	}
	for _, c := range commands {
		if !strings.Contains(help["help"], c.group+" "+c.name) {
			t.Errorf("help does not list %s %s", c.group, c.name)
		}
	}
	if !strings.Contains(help["help"], "Exit codes") {
		t.Errorf("help does not explain the exit codes:\n%s", help["help"])
	}
}

func TestHelpFitsIn80Columns(t *testing.T) {
	t.Parallel()
	for args, text := range helpOutputs(t) {
		for line := range strings.SplitSeq(text, "\n") {
			if n := utf8.RuneCountInString(line); n > 80 {
				t.Errorf("luciapg %s: a line of %d columns:\n%s", args, n, line)
			}
		}
	}
}

// A bad flag is named as the user spelled it (Go's flag package accepts
// -flag and --flag but always answers -flag), and no message repeats the
// "luciapg" prefix.
func TestUsageErrorsEchoTheFlagAsTyped(t *testing.T) {
	t.Parallel()
	url := testdb.NewURL(t)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"sessions", "prune", "--fast"}, "flag provided but not defined: --fast"},
		{[]string{"sessions", "prune", "-fast"}, "flag provided but not defined: -fast"},
		{[]string{"--verbose", "users", "show", "u1"}, "flag provided but not defined: --verbose"},
		{[]string{"sessions", "prune", "--batch-size"}, "flag needs an argument: --batch-size"},
		{[]string{"sessions", "prune", "--batch-size=x"}, `invalid value "x" for flag --batch-size`},
		{[]string{"sessions", "prune", "-batch-size", "x"}, `invalid value "x" for flag -batch-size`},
		{[]string{"users", "create", "--attr", "novalue"}, `--attr has no "=": want --attr NAME=VALUE`},
		{[]string{"users", "show", "--json=maybe", "u1"}, `invalid boolean value "maybe" for --json`},
		{[]string{"users", "--key", "username:alice", "show"}, "flag provided but not defined: --key (a subcommand's own flags come after it)"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			r := runCLI(t, url, time.Now(), "", tt.args...).wantCode(t, exitUsage)
			if !strings.Contains(r.stderr, tt.want) {
				t.Errorf("stderr %q does not say %q", r.stderr, tt.want)
			}
			if strings.Count(r.stderr, "luciapg") != 2 || !strings.Contains(r.stderr, "(run 'luciapg help") {
				t.Errorf("stderr %q: want one 'luciapg: ' prefix and the pointer to help", r.stderr)
			}
		})
	}
}

// Errors from the library carry their own "luciapg: " prefix; the command
// line prints it once.
func TestErrorsHaveOnePrefix(t *testing.T) {
	t.Parallel()
	url := testdb.NewURL(t)
	empty := testdb.NewEmptyURL(t)
	for _, tt := range []struct {
		url  string
		args []string
		code int
	}{
		{url, []string{"users", "create", "--attr", "id=x"}, exitUsage},
		{url, []string{"users", "create", "--id", "bad\xffid"}, exitUsage},
		{"host=127.0.0.1 port=1 connect_timeout=5", []string{"migrate", "up"}, exitFailure},
		{empty, []string{"users", "show", "u1"}, exitFailure},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			r := runCLI(t, tt.url, time.Now(), "", tt.args...).wantCode(t, tt.code)
			if n := strings.Count(r.stderr, "luciapg: "); n != 1 {
				t.Errorf("stderr has %d 'luciapg: ' prefixes: %q", n, r.stderr)
			}
		})
	}
}

// Help shows each flag's own default, never a value given on the command
// line: a --database-url may carry a password.
func TestHelpNeverPrintsTheGivenDatabaseURL(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"--database-url", "postgres://admin:hunter2@db.example/app", "users", "create", "--help"},
		{"users", "create", "--database-url=postgres://admin:hunter2@db.example/app", "-h"},
		{"--database-url", "postgres://admin:hunter2@db.example/app", "users", "--help"},
		{"--database-url", "postgres://admin:hunter2@db.example/app", "help", "sessions", "prune"},
	} {
		r := runCLI(t, "", time.Now(), "", args...).wantCode(t, exitOK)
		if strings.Contains(r.stdout+r.stderr, "hunter2") {
			t.Errorf("%v prints the password:\n%s", args, r.stdout)
		}
	}
}
