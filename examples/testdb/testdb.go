// Package testdb gives the examples' tests an empty PostgreSQL database
// each, on the server TEST_DATABASE_URL names or else the local one, and
// drops it when the test ends. It is the examples' own, not the library's
// internal/testdb, so that an example and its tests can be copied into
// another module: nothing here needs more than pgx.
package testdb

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// EnvURL names the variable that points the tests at a server's
// maintenance database, as a role that may create databases.
const EnvURL = "TEST_DATABASE_URL"

// localURL is the server used when EnvURL is unset.
const localURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

var (
	serverOnce sync.Once
	serverURL  string
	serverErr  error
)

// ServerURL returns the URL of the server the tests run against, failing
// the test with what to do when it does not answer.
func ServerURL(tb testing.TB) string {
	tb.Helper()
	serverOnce.Do(func() {
		serverURL = os.Getenv(EnvURL)
		source := EnvURL
		if serverURL == "" {
			serverURL, source = localURL, "the local server ("+EnvURL+" unset)"
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, serverURL)
		if err != nil {
			serverErr = fmt.Errorf("%s does not answer: %w; set %s, start PostgreSQL on 127.0.0.1:5432 (user postgres, trust auth), or run `make test`, which starts one in Docker", source, err, EnvURL)
			return
		}
		_ = conn.Close(ctx)
	})
	if serverErr != nil {
		tb.Fatalf("testdb: %v", serverErr)
	}
	return serverURL
}

// NewEmptyURL creates an empty database (no tables), dropped when the test
// ends, and returns its URL.
func NewEmptyURL(tb testing.TB) string {
	tb.Helper()
	admin := ServerURL(tb)
	ctx := context.Background()
	name := "luciapg_example_" + rand.Text()[:12]
	ident := pgx.Identifier{name}.Sanitize()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		tb.Fatalf("testdb: %v", err)
	}
	defer conn.Close(ctx)
	// template0 never has other sessions on it, so CREATE cannot be refused
	// for a busy template.
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+ident+" TEMPLATE template0"); err != nil {
		tb.Fatalf("testdb: creating a database: %v", err)
	}
	tb.Cleanup(func() {
		conn, err := pgx.Connect(ctx, admin)
		if err != nil {
			tb.Errorf("testdb: dropping %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+ident+" WITH (FORCE)"); err != nil {
			tb.Errorf("testdb: dropping %s: %v", name, err)
		}
	})
	u, err := url.Parse(admin)
	if err != nil {
		tb.Fatalf("testdb: %s must be a postgres:// URL to name a new database in it", EnvURL) // the parse error would quote a password
	}
	u.Path = "/" + name
	return u.String()
}

// Pool opens a pool of maxConns connections (pgxpool's default when 0) on
// url, closed when the test ends.
func Pool(tb testing.TB, url string, maxConns int32) *pgxpool.Pool {
	tb.Helper()
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		tb.Fatalf("testdb: %v", err)
	}
	if maxConns > 0 {
		cfg.MaxConns = maxConns
	}
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		tb.Fatalf("testdb: %v", err)
	}
	tb.Cleanup(pool.Close)
	return pool
}
