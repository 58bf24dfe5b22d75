package main

import (
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/luciapg/luciapg/internal/testdb"
)

// TestConnectionErrorsSayWhatToDo: every way DATABASE_URL can lead nowhere
// gets one line saying what is wrong and what to do, without the password.
func TestConnectionErrorsSayWhatToDo(t *testing.T) {
	t.Parallel()
	server, err := url.Parse(testdb.ServerURL(t))
	if err != nil {
		t.Fatal(err)
	}
	refused := closedPort(t)
	noDatabase, noRole := *server, *server
	noDatabase.Path = "/luciapg_no_such_database"
	noRole.User = url.UserPassword("luciapg_no_such_role", "hunter2")
	tests := []struct {
		name, databaseURL string
		want              []string
	}{
		{"refused port", "postgres://admin:hunter2@" + refused + "/app?connect_timeout=5",
			[]string{"server not reachable at " + refused, "start PostgreSQL or set DATABASE_URL"}},
		{"missing database", noDatabase.String(),
			[]string{"database luciapg_no_such_database does not exist", "createdb luciapg_no_such_database"}},
		{"missing role", noRole.String(),
			[]string{"role luciapg_no_such_role does not exist", "createuser luciapg_no_such_role"}},
		{"garbage", "hunter2 is my password",
			[]string{"not a connection string"}},
	}
	for _, tt := range tests {
		for _, args := range [][]string{{"users", "show", "u1"}, {"migrate", "up"}, {"migrate", "status"}} {
			t.Run(tt.name+"/"+strings.Join(args, " "), func(t *testing.T) {
				t.Parallel()
				r := runCLI(t, tt.databaseURL, time.Now(), "", args...).wantCode(t, exitFailure)
				for _, want := range tt.want {
					if !strings.Contains(r.stderr, want) {
						t.Errorf("stderr %q does not say %q", r.stderr, want)
					}
				}
				if strings.Contains(r.stderr, "hunter2") {
					t.Errorf("stderr leaks the password: %q", r.stderr)
				}
			})
		}
	}
}

// TestCommandsOnAnUnmigratedDatabaseSayToMigrate: a database without
// luciapg's tables gets "run luciapg migrate up" from every command that
// reads them, rather than PostgreSQL's bare "relation does not exist".
func TestCommandsOnAnUnmigratedDatabaseSayToMigrate(t *testing.T) {
	t.Parallel()
	empty := testdb.NewEmptyURL(t)
	for _, args := range [][]string{
		{"users", "show", "u1"},
		{"users", "delete", "u1"},
		{"keys", "list", "u1"},
		{"sessions", "list", "u1"},
		{"sessions", "prune", "--dry-run"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			t.Parallel()
			r := runCLI(t, empty, time.Now(), "", args...).wantCode(t, exitFailure)
			if !strings.Contains(r.stderr, "run luciapg migrate up") || !strings.Contains(r.stderr, "does not exist") {
				t.Errorf("stderr %q does not say to run luciapg migrate up", r.stderr)
			}
		})
	}
	// migrate status works on it, and says everything is pending.
	r := runCLI(t, empty, time.Now(), "", "migrate", "status").wantCode(t, exitOK)
	if strings.Contains(r.stdout, "applied") || !strings.Contains(r.stdout, "pending") {
		t.Errorf("migrate status on an empty database:\n%s", r.stdout)
	}
}

// TestMigrateUpAcceptsAnyConnectionString: migrate up with a URL without
// sslmode and with pool_max_conns, then a keyword/value string.
func TestMigrateUpAcceptsAnyConnectionString(t *testing.T) {
	t.Parallel()
	u, err := url.Parse(testdb.NewEmptyURL(t))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Del("sslmode")
	q.Set("pool_max_conns", "2")
	u.RawQuery = q.Encode()
	r := runCLI(t, u.String(), time.Now(), "", "migrate", "up").wantCode(t, exitOK)
	if !strings.Contains(r.stdout, "Applied ") {
		t.Errorf("migrate up printed:\n%s", r.stdout)
	}
	keywords := "host=" + u.Hostname() + " port=" + u.Port() + " user=" + u.User.Username() + " dbname=" + strings.TrimPrefix(u.Path, "/")
	r = runCLI(t, keywords, time.Now(), "", "migrate", "up").wantCode(t, exitOK)
	if r.stdout != "Already up to date.\n" {
		t.Errorf("second migrate up printed:\n%s", r.stdout)
	}
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
