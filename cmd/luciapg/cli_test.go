package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/internal/testdb"
)

// cliResult is what one run of the command printed and returned.
type cliResult struct {
	code           int
	stdout, stderr string
}

// runCLI runs the command in-process against databaseURL (as
// DATABASE_URL), with stdin as standard input and the clock at now.
func runCLI(t *testing.T, databaseURL string, now time.Time, stdin string, args ...string) cliResult {
	t.Helper()
	var stdout, stderr strings.Builder
	code := run(context.Background(), args, &env{
		stdin:  strings.NewReader(stdin),
		stdout: &stdout,
		stderr: &stderr,
		getenv: func(name string) string {
			if name == "DATABASE_URL" {
				return databaseURL
			}
			return ""
		},
		now: func() time.Time { return now },
	})
	return cliResult{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// wantCode fails the test unless the run exited with code; a failing run
// must have printed exactly one line on standard error.
func (r cliResult) wantCode(t *testing.T, code int) cliResult {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, code, r.stdout, r.stderr)
	}
	if code != exitOK {
		if lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n"); len(lines) != 1 || !strings.HasPrefix(lines[0], "luciapg: ") {
			t.Fatalf("stderr is not one 'luciapg: ' line:\n%s", r.stderr)
		}
	}
	return r
}

// seedUser stores a user with a username attribute, a primary key
// "username:<name>" with a password hash, and the given sessions.
func seedUser(t *testing.T, store *luciapg.Store, id, name, hash string, sessions ...luciapg.Session) {
	t.Helper()
	ctx := context.Background()
	if _, err := store.SetUser(ctx, luciapg.User{ID: id, Attributes: map[string]any{"username": name}},
		&luciapg.Key{ID: "username:" + name, PrimaryKey: true, HashedPassword: &hash}); err != nil {
		t.Fatal(err)
	}
	for _, s := range sessions {
		s.UserID = id
		if err := store.SetSession(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
}

// session returns a session whose active and idle periods end at the given
// offsets from now.
func session(id string, now time.Time, active, idle time.Duration) luciapg.Session {
	return luciapg.Session{ID: id, ActiveExpires: now.Add(active).UnixMilli(), IdleExpires: now.Add(idle).UnixMilli()}
}

func TestUsageErrors(t *testing.T) {
	t.Parallel()
	url := testdb.NewURL(t)
	now := time.Now()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no command", nil, "missing command"},
		{"unknown command", []string{"frobnicate", "x"}, `unknown command "frobnicate"`},
		{"unknown subcommand", []string{"users", "frob"}, `unknown subcommand "frob"`},
		{"missing subcommand", []string{"sessions"}, "missing subcommand"},
		{"missing argument", []string{"users", "show"}, "missing USER_ID"},
		{"extra argument", []string{"keys", "list", "a", "b"}, `unexpected argument "b"`},
		{"unknown flag", []string{"sessions", "prune", "--fast"}, "flag provided but not defined: --fast"},
		{"unknown global flag", []string{"--verbose", "users", "show", "u1"}, "flag provided but not defined: --verbose"},
		{"bad batch size", []string{"sessions", "prune", "--batch-size", "0"}, "--batch-size must be between"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := runCLI(t, url, now, "", tt.args...).wantCode(t, exitUsage)
			if !strings.Contains(r.stderr, tt.want) {
				t.Errorf("stderr %q does not say %q", r.stderr, tt.want)
			}
		})
	}
}

func TestDatabaseErrors(t *testing.T) {
	t.Parallel()
	now := time.Now()

	r := runCLI(t, "", now, "", "users", "show", "u1").wantCode(t, exitUsage)
	if !strings.Contains(r.stderr, "set --database-url or DATABASE_URL") {
		t.Errorf("stderr %q does not say how to name the database", r.stderr)
	}

	r = runCLI(t, "not a url\x00://secret", now, "", "users", "show", "u1").wantCode(t, exitFailure)
	if strings.Contains(r.stderr, "secret") {
		t.Errorf("stderr repeats the URL: %q", r.stderr)
	}

	// Port 1 on the loopback interface refuses connections.
	r = runCLI(t, "postgres://admin:hunter2@127.0.0.1:1/db?sslmode=disable&connect_timeout=5", now, "",
		"users", "show", "u1").wantCode(t, exitFailure)
	if !strings.Contains(r.stderr, "connecting to the database") || strings.Contains(r.stderr, "hunter2") {
		t.Errorf("stderr %q: want a connection error without the password", r.stderr)
	}
}

func TestHelp(t *testing.T) {
	t.Parallel()
	r := runCLI(t, "", time.Now(), "", "help").wantCode(t, exitOK)
	for _, c := range commands {
		if !strings.Contains(r.stdout, c.group+" "+c.name) {
			t.Errorf("help does not list %s %s", c.group, c.name)
		}
	}
	r = runCLI(t, "", time.Now(), "", "sessions", "prune", "--help").wantCode(t, exitOK)
	if !strings.Contains(r.stdout, "--dry-run") || r.stderr != "" {
		t.Errorf("prune --help printed stdout %q, stderr %q", r.stdout, r.stderr)
	}
}
