package luciapg_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/internal/connerr"
)

// TestAttackConnectionStringPasswordInError (security review, finding 10):
// a password typed into a connection string with a character a URL gives
// a meaning to ('@', '/', '#', '?', ':', a space) must not come back, in
// part or whole, in any error Connect or MigrateConnString returns, nor in
// the one line the session cache logs. pgx splits
// "postgres://bob:pass@word@host" at the first '@', so "word@host" became
// the host, and the message quoted it: "host word@127.0.0.1 not found".
func TestAttackConnectionStringPasswordInError(t *testing.T) {
	t.Parallel()
	// Each password is two halves, either of which would be a leak.
	const a, b = "Kq7SECRETa", "Zx9SECRETb"
	forms := map[string]string{
		"URL, @ in the password":               "postgres://bob:" + a + "@" + b + "@127.0.0.1:5432/app?connect_timeout=5",
		"URL, two @ in the password":           "postgres://bob:" + a + "@" + b + "@x@127.0.0.1:5432/app?connect_timeout=5",
		"URL, @ in the password, no user":      "postgres://" + a + "@" + b + "@127.0.0.1/app?connect_timeout=5",
		"URL, @ in the password, IPv6 host":    "postgres://bob:" + a + "@" + b + "@[::1]:5432/app?connect_timeout=5",
		"URL, @ in the password, two hosts":    "postgresql://bob:" + a + "@" + b + "@localhost,127.0.0.1:5432/app?connect_timeout=5",
		"URL, @ in the password, socket query": "postgres://bob:" + a + "@" + b + "@/app?host=/var/run/postgresql&connect_timeout=5",
		"URL, / in the password":               "postgres://bob:" + a + "/" + b + "@127.0.0.1:5432/app?connect_timeout=5",
		"URL, # in the password":               "postgres://bob:" + a + "#" + b + "@127.0.0.1:5432/app?connect_timeout=5",
		"URL, ? in the password":               "postgres://bob:" + a + "?" + b + "@127.0.0.1:5432/app?connect_timeout=5",
		"URL, : in the password":               "postgres://bob:" + a + ":" + b + "@127.0.0.1:5432/app?connect_timeout=5",
		"URL, space in the password":           "postgres://bob:" + a + " " + b + "@127.0.0.1:5432/app?connect_timeout=5",
		"URL, % in the password":               "postgres://bob:" + a + "%" + b + "@127.0.0.1:5432/app?connect_timeout=5",
		"URL without a scheme":                 "bob:" + a + "@" + b + "@127.0.0.1:5432/app",
		"keyword/value, space unquoted":        "host=127.0.0.1 user=bob password=" + a + " " + b + " dbname=app connect_timeout=5",
		"keyword/value, quote unclosed":        "host=127.0.0.1 user=bob password='" + a + " " + b + " dbname=app connect_timeout=5",
		"keyword/value, URL in host":           "host=bob:" + a + "@" + b + "@127.0.0.1 dbname=app connect_timeout=5",
		"keyword/value, @ in host":             "host=" + a + "@" + b + "@127.0.0.1 dbname=app connect_timeout=5",
	}
	leaks := func(msg string) bool { return strings.Contains(msg, a) || strings.Contains(msg, b) }
	for name, connString := range forms {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			pool, err := luciapg.Connect(ctx, connString)
			if err == nil {
				pool.Close()
				t.Fatal("Connect succeeded") // no server has these roles
			}
			if leaks(err.Error()) {
				t.Errorf("Connect's error carries part of the password: %q", err)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("Connect's error is not one line: %q", err)
			}
			if _, err := luciapg.MigrateConnString(ctx, connString); err == nil {
				t.Error("MigrateConnString succeeded")
			} else if leaks(err.Error()) {
				t.Errorf("MigrateConnString's error carries part of the password: %q", err)
			}
			// A Store over a pool the application opened itself: pgxpool
			// connects at the first query, so the error comes from there.
			if pool, err := pgxpool.New(ctx, connString); err == nil {
				_, err := luciapg.New(pool).GetUser(ctx, "u1")
				pool.Close()
				if err == nil {
					t.Error("GetUser succeeded")
				} else if leaks(err.Error()) {
					t.Errorf("the Store's error carries part of the password: %q", err)
				}
			}
			// What the session cache logs when it cannot reconnect: the
			// raw pgx error, cut to one line.
			if _, err := connectRaw(ctx, connString); err != nil && leaks(connerr.FirstLine(err)) {
				t.Errorf("the log line carries part of the password: %q", connerr.FirstLine(err))
			}
		})
	}
}

// connectRaw connects with pgx alone, for the error pgx itself returns.
func connectRaw(ctx context.Context, connString string) (*pgx.Conn, error) {
	conn, err := pgx.Connect(ctx, connString)
	if err == nil {
		conn.Close(ctx)
	}
	return conn, err
}
