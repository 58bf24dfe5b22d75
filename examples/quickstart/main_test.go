package main

import (
	"context"
	"net"
	"net/url"
	"strings"
	"testing"

	"github.com/luciapg/luciapg/examples/testdb"
)

// TestQuickstartOnAFreshDatabase runs the whole walk-through on fresh
// databases, named the ways a new user names one in DATABASE_URL — `make
// demo` with DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres among
// them (no sslmode).
func TestQuickstartOnAFreshDatabase(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		connString func(u *url.URL) string
	}{
		{"URL with sslmode=disable", func(u *url.URL) string { return withQuery(u, "sslmode", "disable") }},
		{"URL without sslmode", func(u *url.URL) string { return withQuery(u, "sslmode", "") }},
		{"keyword/value", func(u *url.URL) string {
			return "host=" + u.Hostname() + " port=" + u.Port() + " user=" + u.User.Username() + " dbname=" + strings.TrimPrefix(u.Path, "/")
		}},
		{"URL with pool_max_conns", func(u *url.URL) string { return withQuery(u, "pool_max_conns", "2") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			u, err := url.Parse(testdb.NewEmptyURL(t))
			if err != nil {
				t.Fatal(err)
			}
			var out strings.Builder
			if err := run(context.Background(), &out, tt.connString(u)); err != nil {
				t.Fatalf("quickstart: %v\noutput so far:\n%s", err, out.String())
			}
			for _, step := range []string{
				"Database: database " + strings.TrimPrefix(u.Path, "/") + " on " + u.Host + " as " + u.User.Username() + " (DATABASE_URL)",
				"1. Migrated", "2. Created user", "the password matches it: true", "3. Opened a session", "4. Read the session back",
				"5. A second user with the key", "AUTH_DUPLICATE_KEY_ID",
				"6. Deleted the user", "AUTH_INVALID_SESSION_ID",
			} {
				if !strings.Contains(out.String(), step) {
					t.Errorf("output lacks %q:\n%s", step, out.String())
				}
			}
		})
	}
}

// TestQuickstartExplainsConnectionErrors: a DATABASE_URL that leads
// nowhere gets one line naming the variable, what is wrong and what to do,
// without the password; the walk-through does not start.
func TestQuickstartExplainsConnectionErrors(t *testing.T) {
	t.Parallel()
	server, err := url.Parse(testdb.ServerURL(t))
	if err != nil {
		t.Fatal(err)
	}
	refused := closedPort(t)
	tests := []struct {
		name, databaseURL string
		want              []string
	}{
		{"refused port", "postgres://admin:hunter2@" + refused + "/app?connect_timeout=5",
			[]string{"DATABASE_URL: server not reachable at " + refused + " — start PostgreSQL or set DATABASE_URL"}},
		{"missing database", withPath(server, "/luciapg_no_such_database"),
			[]string{"DATABASE_URL: database luciapg_no_such_database does not exist", "createdb luciapg_no_such_database"}},
		{"missing role", withUser(server, "luciapg_no_such_role", "hunter2"),
			[]string{"DATABASE_URL: role luciapg_no_such_role does not exist"}},
		{"garbage", "hunter2 is my password",
			[]string{"DATABASE_URL: not a connection string"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out strings.Builder
			err := run(context.Background(), &out, tt.databaseURL)
			if err == nil {
				t.Fatalf("quickstart succeeded:\n%s", out.String())
			}
			msg := err.Error()
			for _, want := range tt.want {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q does not say %q", msg, want)
				}
			}
			if strings.Contains(msg, "\n") || strings.Contains(msg, "hunter2") {
				t.Errorf("error is not one line without the password: %q", msg)
			}
			if out.Len() != 0 {
				t.Errorf("quickstart printed before failing:\n%s", out.String())
			}
		})
	}
}

func withQuery(u *url.URL, name, value string) string {
	q := u.Query()
	q.Del(name)
	if value != "" {
		q.Set(name, value)
	}
	out := *u
	out.RawQuery = q.Encode()
	return out.String()
}

func withPath(u *url.URL, path string) string {
	out := *u
	out.Path = path
	return out.String()
}

func withUser(u *url.URL, user, password string) string {
	out := *u
	out.User = url.UserPassword(user, password)
	return out.String()
}

// closedPort returns 127.0.0.1:PORT where nothing listens: a port the
// system just gave out and took back.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

// TestQuickstartNeverPrintsThePassword: the Database line names user,
// server and database, whatever the connection string's form, and never
// its password (trust authentication ignores it, so the run succeeds).
func TestQuickstartNeverPrintsThePassword(t *testing.T) {
	t.Parallel()
	u, err := url.Parse(testdb.NewEmptyURL(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, connString := range []string{
		"host=" + u.Hostname() + " port=" + u.Port() + " user=" + u.User.Username() + " password=hunter2 dbname=" + strings.TrimPrefix(u.Path, "/"),
		withUser(u, u.User.Username(), "hunter2"),
	} {
		var out strings.Builder
		if err := run(context.Background(), &out, connString); err != nil {
			t.Fatalf("quickstart: %v", err)
		}
		if strings.Contains(out.String(), "hunter2") {
			t.Errorf("quickstart printed the password:\n%s", out.String())
		}
	}
}
