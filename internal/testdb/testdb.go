// Package testdb gives each test its own PostgreSQL database, cloned from a
// migrated template, so tests can run with t.Parallel() and never see each
// other's rows.
//
// Cloning a small template with CREATE DATABASE ... TEMPLATE costs tens of
// milliseconds and gives a test a whole database (pools, concurrent
// transactions, DeleteUser's own transaction) — which a rolled-back
// transaction per test cannot. Tests that only need isolation inside one
// transaction can use Tx instead, which is cheaper still.
package testdb

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/adaptertest"
)

// EnvURL names the variable that points tests at a server. CI sets it, and
// `make test` sets it to a Docker PostgreSQL when no local server answers.
const EnvURL = "TEST_DATABASE_URL"

// localURLs are the servers a developer machine is expected to run when
// EnvURL is unset: trust authentication on the loopback interface, then on
// the Unix sockets of Debian's and upstream's builds.
var localURLs = []string{
	"postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable",
	"postgres://postgres@/postgres?host=/var/run/postgresql",
	"postgres://postgres@/postgres?host=/tmp",
}

var (
	serverOnce sync.Once
	serverURL  string
	serverErr  error

	templateOnce sync.Once
	templateName string
	templateErr  error
)

// ServerURL returns the URL of the server tests run against, failing the
// test with instructions when there is none.
func ServerURL(tb testing.TB) string {
	tb.Helper()
	url, err := findServer()
	if err != nil {
		tb.Fatalf("testdb: %v", err)
	}
	return url
}

// findServer returns EnvURL's server when EnvURL is set (failing if it does
// not answer: an explicit choice is never silently replaced), else the
// first local server that answers. Starting a server is not its job: the
// library's tests need nothing but pgx, and `make test` provides a Docker
// PostgreSQL through EnvURL when there is no local one.
func findServer() (string, error) {
	serverOnce.Do(func() {
		if explicit := os.Getenv(EnvURL); explicit != "" {
			if err := ping(explicit); err != nil {
				serverErr = fmt.Errorf("%s: %w", EnvURL, err)
				return
			}
			serverURL = explicit
			return
		}
		var firstErr error
		for _, u := range localURLs {
			err := ping(u)
			if err == nil {
				serverURL = u
				return
			}
			if firstErr == nil {
				firstErr = err
			}
		}
		serverErr = fmt.Errorf("no PostgreSQL server: set %s to a connection string, start PostgreSQL on 127.0.0.1:5432 (user postgres, trust auth), or run `make test`, which starts one in Docker when neither is there (local server: %v)", EnvURL, firstErr)
	})
	return serverURL, serverErr
}

// ping connects to connString and checks that the server answers. Its
// error is luciapg's one-line explanation, the same the library and the CLI
// give.
func ping(connString string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	pool, err := luciapg.Connect(ctx, connString)
	if err != nil {
		return err
	}
	pool.Close()
	return nil
}

// Main runs a test binary's tests (call it from TestMain) with envVar set
// to the URL of a fresh, empty database, which example tests can use the
// way an application uses DATABASE_URL. It drops the database afterwards
// and returns the exit code.
func Main(m *testing.M, envVar string) int {
	admin, err := findServer()
	if err != nil {
		fmt.Fprintf(os.Stderr, "testdb: %v\n", err)
		return 1
	}
	url, drop, err := create(admin, "template0")
	if err != nil {
		fmt.Fprintf(os.Stderr, "testdb: creating a database: %v\n", err)
		return 1
	}
	if err := os.Setenv(envVar, url); err != nil {
		fmt.Fprintf(os.Stderr, "testdb: %v\n", err)
		return 1
	}
	code := m.Run()
	if err := drop(); err != nil {
		fmt.Fprintf(os.Stderr, "testdb: %v\n", err)
	}
	return code
}

// NewURL creates a database cloned from the migrated template (luciapg's
// tables plus adaptertest.AttributeColumns), drops it when the test ends, and returns
// its URL.
func NewURL(tb testing.TB) string {
	tb.Helper()
	admin := ServerURL(tb)
	templateOnce.Do(func() { templateName, templateErr = ensureTemplate(admin) })
	if templateErr != nil {
		tb.Fatalf("testdb: preparing the template database: %v", templateErr)
	}
	return createDatabase(tb, admin, templateName)
}

// NewEmptyURL creates an empty database (no tables), dropped when the test
// ends, and returns its URL.
func NewEmptyURL(tb testing.TB) string {
	tb.Helper()
	return createDatabase(tb, ServerURL(tb), "template0")
}

// New returns a pool on a fresh database cloned from the template, closed
// and dropped when the test ends.
func New(tb testing.TB) *pgxpool.Pool {
	tb.Helper()
	return Pool(tb, NewURL(tb), 0)
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

// Tx returns a transaction on a fresh template clone that is rolled back
// when the test ends.
func Tx(tb testing.TB) pgx.Tx {
	tb.Helper()
	tx, err := New(tb).Begin(context.Background())
	if err != nil {
		tb.Fatalf("testdb: %v", err)
	}
	tb.Cleanup(func() { _ = tx.Rollback(context.Background()) })
	return tx
}

func createDatabase(tb testing.TB, adminURL, template string) string {
	tb.Helper()
	url, drop, err := create(adminURL, template)
	if err != nil {
		tb.Fatalf("testdb: creating a database from %s: %v", template, err)
	}
	tb.Cleanup(func() {
		if err := drop(); err != nil {
			tb.Errorf("testdb: %v", err)
		}
	})
	return url
}

// create makes a database from template and returns its URL and the
// function that drops it (disconnecting whoever is still on it).
func create(adminURL, template string) (url string, drop func() error, err error) {
	ctx := context.Background()
	name := "luciapg_test_" + randomSuffix()
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return "", nil, err
	}
	defer conn.Close(ctx)
	if err := cloneDatabase(ctx, conn, name, template); err != nil {
		return "", nil, err
	}
	drop = func() error {
		conn, err := pgx.Connect(ctx, adminURL)
		if err != nil {
			return fmt.Errorf("dropping %s: %w", name, err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			return fmt.Errorf("dropping %s: %w", name, err)
		}
		return nil
	}
	return withDatabase(adminURL, name), drop, nil
}

// cloneDatabase creates name from template. PostgreSQL refuses while any
// session is connected to the template, and a backend that has just closed
// may linger for a moment, so that one error is retried until a deadline.
func cloneDatabase(ctx context.Context, conn *pgx.Conn, name, template string) error {
	sql := "CREATE DATABASE " + pgx.Identifier{name}.Sanitize() + " TEMPLATE " + pgx.Identifier{template}.Sanitize()
	if serverMajorVersion(conn) >= 15 {
		// Copying files is much faster than WAL-logging every block of a
		// small template (the default since PostgreSQL 15).
		sql += " STRATEGY FILE_COPY"
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := conn.Exec(ctx, sql)
		var pgErr *pgconn.PgError
		if err == nil || !errors.As(err, &pgErr) || pgErr.Code != "55006" || time.Now().After(deadline) {
			return err
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ensureTemplate creates (once per server, whichever test process comes
// first) a template database with the migrations applied and the test
// attribute columns added. Its name carries a hash of both, so a changed
// migration gets a new template rather than a stale one.
func ensureTemplate(adminURL string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	name, err := templateNameFor()
	if err != nil {
		return "", err
	}
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	// Test binaries of several packages run at once; one builds, the others wait.
	const lockKey = 0x6c75636961_7464 // "luciatd"
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", int64(lockKey)); err != nil {
		return "", err
	}
	defer conn.Exec(context.Background(), "SELECT pg_advisory_unlock($1)", int64(lockKey)) //nolint:errcheck

	var ready bool
	err = conn.QueryRow(ctx, "SELECT datistemplate FROM pg_database WHERE datname = $1", name).Scan(&ready)
	if err == nil && ready {
		return name, nil
	}
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return "", err
	}
	ident := pgx.Identifier{name}.Sanitize()
	// A template left half-built by an interrupted run is rebuilt.
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+ident+" WITH (FORCE)"); err != nil {
		return "", err
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+ident+" TEMPLATE template0"); err != nil {
		return "", err
	}
	url := withDatabase(adminURL, name)
	if _, err := luciapg.MigrateConnString(ctx, url); err != nil {
		return "", err
	}
	tconn, err := pgx.Connect(ctx, url)
	if err != nil {
		return "", err
	}
	_, err = tconn.Exec(ctx, adaptertest.AttributeColumns)
	tconn.Close(ctx)
	if err != nil {
		return "", err
	}
	if _, err := conn.Exec(ctx, "ALTER DATABASE "+ident+" IS_TEMPLATE true"); err != nil {
		return "", err
	}
	return name, nil
}

func templateNameFor() (string, error) {
	h := sha256.New()
	err := fs.WalkDir(luciapg.MigrationsFS(), ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(luciapg.MigrationsFS(), path)
		h.Write([]byte(path))
		h.Write(b)
		return err
	})
	if err != nil {
		return "", err
	}
	h.Write([]byte(adaptertest.AttributeColumns))
	return "luciapg_template_" + hex.EncodeToString(h.Sum(nil))[:12], nil
}

func withDatabase(serverURL, name string) string {
	u, err := url.Parse(serverURL)
	if err != nil {
		panic(fmt.Sprintf("testdb: server URL does not parse: %v", err)) // checked by the ping that found it
	}
	u.Path = "/" + name
	return u.String()
}

func serverMajorVersion(conn *pgx.Conn) int {
	v := conn.PgConn().ParameterStatus("server_version")
	if i := strings.IndexAny(v, ". "); i >= 0 {
		v = v[:i]
	}
	major, _ := strconv.Atoi(v)
	return major
}

func randomSuffix() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// WithQuery returns u with the query parameter name set to value, or
// removed when value is empty: a connection string in another form than
// the tests' own.
func WithQuery(u *url.URL, name, value string) string {
	q := u.Query()
	q.Del(name)
	if value != "" {
		q.Set(name, value)
	}
	out := *u
	out.RawQuery = q.Encode()
	return out.String()
}
