package main

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/luciapg/luciapg/internal/testdb"
)

// runWithDefault runs the command with no DATABASE_URL and defaultURL as
// the built-in default.
func runWithDefault(t *testing.T, defaultURL string, args ...string) cliResult {
	t.Helper()
	var stdout, stderr strings.Builder
	code := run(context.Background(), args, &env{
		stdin:              strings.NewReader(""),
		stdout:             &stdout,
		stderr:             &stderr,
		getenv:             func(string) string { return "" },
		now:                time.Now,
		defaultDatabaseURL: defaultURL,
	})
	return cliResult{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// Without --database-url and DATABASE_URL a command uses the default
// database and says which, in one line on stderr naming HOST:PORT/DATABASE
// and never the user or password; given a database, or not connecting,
// it says nothing.
func TestDefaultDatabaseIsNamed(t *testing.T) {
	t.Parallel()
	u, err := url.Parse(testdb.NewURL(t))
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(u.User.Username(), "hunter2") // trust auth ignores it
	name := u.Host + u.Path
	want := "luciapg: neither --database-url nor DATABASE_URL is set: using the default database " + name + "\n"

	r := runWithDefault(t, u.String(), "migrate", "status")
	if r.code != exitOK || r.stderr != want || !strings.Contains(r.stdout, "applied") {
		t.Errorf("migrate status on the default: exit %d, stderr %q (want %q), stdout:\n%s", r.code, r.stderr, want, r.stdout)
	}
	// --json keeps stdout one JSON document.
	r = runWithDefault(t, u.String(), "--json", "sessions", "prune", "--dry-run")
	if r.code != exitOK || r.stderr != want || !strings.HasPrefix(r.stdout, "{") {
		t.Errorf("--json on the default: exit %d, stderr %q, stdout:\n%s", r.code, r.stderr, r.stdout)
	}

	// A default that does not answer: the notice, then the error line,
	// neither with the password.
	refused := "postgres://admin:hunter2@" + closedPort(t) + "/appdb?connect_timeout=5"
	r = runWithDefault(t, refused, "users", "show", "u1")
	lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
	if r.code != exitFailure || len(lines) != 2 || !strings.HasSuffix(lines[0], "/appdb") ||
		!strings.Contains(lines[1], "server not reachable") || strings.Contains(r.stderr, "hunter2") || strings.Contains(r.stderr, "admin") {
		t.Errorf("an unreachable default: exit %d, stderr:\n%s", r.code, r.stderr)
	}

	// No notice when the command never connects, nor when a database is
	// named.
	for _, args := range [][]string{{"help"}, {"users", "show"}, {"sessions", "prune", "--batch-size", "0"}} {
		if r := runWithDefault(t, u.String(), args...); strings.Contains(r.stderr, "default database") {
			t.Errorf("%v: stderr %q", args, r.stderr)
		}
	}
	r = runWithDefault(t, refused, "--database-url", testdb.NewURL(t), "migrate", "status").wantCode(t, exitOK)
	if r.stderr != "" {
		t.Errorf("with --database-url: stderr %q", r.stderr)
	}
	if got := databaseName(localDatabaseURL); got != "127.0.0.1:5432/postgres" {
		t.Errorf("the built-in default is named %q", got)
	}
}
