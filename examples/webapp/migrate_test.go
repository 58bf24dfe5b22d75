package main

import (
	"context"
	"log/slog"
	"net"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/examples/testdb"
)

// The example's migrations run beside luciapg's, in a table of their own,
// and add a nullable username column, a nullable email and a defaulted
// email_verified: Lucia v1 apps and the admin CLI can still create users
// without any of them.
func TestMigrateKeepsItsOwnTableAndRunsOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := testdb.NewEmptyURL(t)
	pool := testdb.Pool(t, url, 2)
	for range 2 {
		if err := migrate(ctx, pool.Config().ConnConfig); err != nil {
			t.Fatalf("migrate: %v", err)
		}
	}
	var appVersions, luciapgVersions []string
	for table, dst := range map[string]*[]string{appMigrationsTable: &appVersions, luciapg.MigrationsTable: &luciapgVersions} {
		rows, err := pool.Query(ctx, "SELECT version FROM "+pgx.Identifier{table}.Sanitize()+" ORDER BY version")
		if err != nil {
			t.Fatal(err)
		}
		if *dst, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"20261126120000", "20261201190000"}
	if !slices.Equal(appVersions, want) {
		t.Errorf("%s holds %v, want the example's migrations %v", appMigrationsTable, appVersions, want)
	}
	for _, v := range luciapgVersions {
		if slices.Contains(want, v) {
			t.Errorf("the example's migration was recorded in %s", luciapg.MigrationsTable)
		}
	}
	var nullable string
	if err := pool.QueryRow(ctx, `SELECT is_nullable FROM information_schema.columns
WHERE table_name = 'auth_user' AND column_name = 'username'`).Scan(&nullable); err != nil {
		t.Fatalf("reading the username column: %v", err)
	}
	if nullable != "YES" {
		t.Errorf("auth_user.username is_nullable = %s, want YES", nullable)
	}
	if _, err := luciapg.New(pool).SetUser(ctx, luciapg.User{ID: "no-username"}, nil); err != nil {
		t.Errorf("a user without a username: %v", err)
	}
}

// TestOpenDatabaseSaysWhatIsWrong: the web app's start on a DATABASE_URL
// that leads nowhere fails with one line saying what is wrong and what to
// do, without the password.
func TestOpenDatabaseSaysWhatIsWrong(t *testing.T) {
	t.Parallel()
	server, err := url.Parse(testdb.ServerURL(t))
	if err != nil {
		t.Fatal(err)
	}
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := listener.Addr().String()
	if err := listener.Close(); err != nil {
		t.Fatal(err)
	}
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
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pool, err := openDatabase(context.Background(), tt.databaseURL, slog.New(slog.DiscardHandler))
			if err == nil {
				pool.Close()
				t.Fatal("openDatabase succeeded")
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
		})
	}
}

// TestOpenDatabaseWithoutSSLMode: a plain URL, as a new user writes it,
// migrates and serves.
func TestOpenDatabaseWithoutSSLMode(t *testing.T) {
	t.Parallel()
	u, err := url.Parse(testdb.NewEmptyURL(t))
	if err != nil {
		t.Fatal(err)
	}
	u.RawQuery = ""
	pool, err := openDatabase(context.Background(), u.String(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("openDatabase(%s): %v", u.Redacted(), err)
	}
	defer pool.Close()
	if _, err := luciapg.New(pool).SetUser(context.Background(), luciapg.User{ID: "u1", Attributes: map[string]any{"username": "ada"}}, nil); err != nil {
		t.Fatalf("SetUser with the example's username column: %v", err)
	}
}

// Without DATABASE_URL the app says, in one log line, which database it
// uses: host, port and database, never the user or password; with it, it
// says nothing.
func TestDefaultDatabaseIsNamedInTheLog(t *testing.T) {
	t.Parallel()
	var logs strings.Builder
	log := slog.New(slog.NewTextHandler(&logs, nil))
	const fallback = "postgres://admin:hunter2@db.example:6543/appdb?sslmode=disable"
	if got := orDefaultDatabase("", fallback, log); got != fallback {
		t.Errorf("without DATABASE_URL: %q, want the default", got)
	}
	line := logs.String()
	if strings.Count(line, "\n") != 1 || !strings.Contains(line, "DATABASE_URL is not set") || !strings.Contains(line, "database=db.example:6543/appdb") {
		t.Errorf("the log does not name the default database in one line: %q", line)
	}
	if strings.Contains(line, "hunter2") || strings.Contains(line, "admin") {
		t.Errorf("the log names the user or password: %q", line)
	}
	logs.Reset()
	if got := orDefaultDatabase("postgres://x@h/d", fallback, log); got != "postgres://x@h/d" || logs.Len() != 0 {
		t.Errorf("with DATABASE_URL: %q, logged %q", got, logs.String())
	}
	if got := databaseName(localDatabaseURL); got != "127.0.0.1:5432/postgres" {
		t.Errorf("the built-in default is named %q", got)
	}
}
