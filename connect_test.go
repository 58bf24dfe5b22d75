package luciapg_test

import (
	"context"
	"errors"
	neturl "net/url"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/internal/testdb"
)

// TestConnectExplainsWhatIsWrong: each way a connection string can fail
// gives one line saying what is wrong and what to do, without the
// password, and still wraps the cause.
func TestConnectExplainsWhatIsWrong(t *testing.T) {
	t.Parallel()
	server := testdb.ServerURL(t)
	tests := []struct {
		name       string
		connString string
		want       []string
		wantPgCode string // the cause errors.As still finds, when the server answered
	}{
		{"refused port", "postgres://admin:hunter2@" + closedPort(t) + "/app?connect_timeout=5",
			[]string{"server not reachable at " + closedPort(t), "start PostgreSQL or set DATABASE_URL"}, ""},
		{"missing database", withDatabaseName(t, server, "luciapg_no_such_database"),
			[]string{"database luciapg_no_such_database does not exist", "create it with createdb luciapg_no_such_database"}, "3D000"},
		{"missing role", withUser(t, server, "luciapg_no_such_role", "hunter2"),
			[]string{"role luciapg_no_such_role does not exist", "createuser luciapg_no_such_role"}, "28000"},
		{"garbage", "admin hunter2 please",
			[]string{"not a connection string"}, ""},
		{"a URL with a malformed password", "postgres://admin:hunter2%zz@127.0.0.1/app",
			[]string{"not a connection string", "percent-encode"}, ""},
		{"unknown host", "postgres://admin:hunter2@luciapg-no-such-host.invalid/app?connect_timeout=5",
			[]string{"host luciapg-no-such-host.invalid not found"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pool, err := luciapg.Connect(callContext(t), tt.connString)
			if err == nil {
				pool.Close()
				t.Fatal("Connect succeeded")
			}
			msg := err.Error()
			if strings.Contains(msg, "\n") {
				t.Errorf("not one line: %q", msg)
			}
			for _, want := range tt.want {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q does not say %q", msg, want)
				}
			}
			if strings.Contains(msg, "hunter2") {
				t.Errorf("error leaks the password: %q", msg)
			}
			var pgErr *pgconn.PgError
			if tt.wantPgCode != "" && (!errors.As(err, &pgErr) || pgErr.Code != tt.wantPgCode) {
				t.Errorf("errors.As finds %v, want the server's %s", pgErr, tt.wantPgCode)
			}
		})
	}
}

// TestConnectHonoursPoolParameters: pgxpool's pool_* parameters size the
// pool Connect opens, and are not sent to the server.
func TestConnectHonoursPoolParameters(t *testing.T) {
	t.Parallel()
	pool, err := luciapg.Connect(callContext(t), testdb.WithQuery(mustParseURL(t, testdb.ServerURL(t)), "pool_max_conns", "3"))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if got := pool.Config().MaxConns; got != 3 {
		t.Errorf("MaxConns %d, want 3", got)
	}
}

// A cancelled connect still answers errors.Is(err, context.Canceled).
func TestConnectCancelled(t *testing.T) {
	t.Parallel()
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := luciapg.Connect(cancelled, testdb.ServerURL(t))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Connect with a cancelled context: %v, want context.Canceled", err)
	}
}

// withUser returns url with another user and password.
func withUser(t *testing.T, rawURL, user, password string) string {
	t.Helper()
	u := mustParseURL(t, rawURL)
	u.User = neturl.UserPassword(user, password)
	return u.String()
}
