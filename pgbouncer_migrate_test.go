package luciapg_test

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/jackc/pgx/v5"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/internal/pgcluster"
	"github.com/luciapg/luciapg/internal/testdb"
)

// TestMigrateThroughPgBouncer: luciapg's own migrations, all transactional,
// run through PgBouncer in transaction pooling mode (one transaction under
// pg_advisory_xact_lock), and a second call finds nothing to do.
func TestMigrateThroughPgBouncer(t *testing.T) {
	t.Parallel()
	bouncer := pgcluster.StartPgBouncer(t, testdb.ServerURL(t), 2)
	direct := testdb.NewEmptyURL(t)
	ctx := context.Background()
	for range 2 {
		if _, err := luciapg.MigrateConnString(ctx, bouncer.URL(direct, "")); err != nil {
			t.Fatalf("Migrate through PgBouncer: %v", err)
		}
	}
	if got := tablesOf(t, direct); !strings.Contains(got, "auth_session") || !strings.Contains(got, "luciapg_attempt_throttle") {
		t.Errorf("tables after Migrate through PgBouncer: %s", got)
	}
}

// TestConcurrentMigrateThroughPgBouncer: callers racing through PgBouncer,
// more of them than it has server connections, each apply the migrations
// at most once between them: the transaction-level lock holds on whichever
// server connection runs the transaction.
func TestConcurrentMigrateThroughPgBouncer(t *testing.T) {
	t.Parallel()
	bouncer := pgcluster.StartPgBouncer(t, testdb.ServerURL(t), 2)
	direct := testdb.NewEmptyURL(t)
	migrations := fstest.MapFS{
		"1_counter.sql": {Data: []byte("-- migrate:up\nCREATE TABLE runs (n int);\n-- migrate:down\n")},
		"2_count.sql":   {Data: []byte("-- migrate:up\nINSERT INTO runs VALUES (1);\n-- migrate:down\n")},
	}
	const callers = 6
	errs := make(chan error, callers)
	for range callers {
		go func() {
			errs <- migrateErr(migrateFS(context.Background(), bouncer.URL(direct, ""), migrations, "app_migrations"))
		}()
	}
	for range callers {
		if err := <-errs; err != nil {
			t.Errorf("MigrateFS through PgBouncer: %v", err)
		}
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, direct)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var runs int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM runs").Scan(&runs); err != nil {
		t.Fatal(err)
	}
	if runs != 1 {
		t.Errorf("2_count.sql ran %d times, want once", runs)
	}
}

// TestMigrateTransactionFalseThroughPgBouncerRefused: a transaction:false
// file runs under a session-level advisory lock, which PgBouncer in
// transaction mode would take on one server connection and perhaps
// release on another, leaving it held for good. MigrateFS refuses it with
// one line that says to connect directly, and applies nothing of the call —
// not even the transactional file before it; directly, both apply.
func TestMigrateTransactionFalseThroughPgBouncerRefused(t *testing.T) {
	t.Parallel()
	bouncer := pgcluster.StartPgBouncer(t, testdb.ServerURL(t), 2)
	direct := testdb.NewEmptyURL(t)
	migrations := fstest.MapFS{
		"1_things.sql": {Data: []byte("-- migrate:up\nCREATE TABLE things (name text);\n-- migrate:down\n")},
		"2_index.sql":  {Data: []byte("-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY things_name_idx ON things (name);\n-- migrate:down\n")},
	}
	ctx := context.Background()
	_, err := migrateFS(ctx, bouncer.URL(direct, ""), migrations, "app_migrations")
	if err == nil {
		t.Fatal("MigrateFS with a transaction:false file through PgBouncer succeeded; want a refusal")
	}
	if msg := err.Error(); strings.Contains(msg, "\n") || !strings.Contains(msg, "direct connection") || !strings.Contains(msg, "2_index.sql") {
		t.Errorf("refusal is not one line naming the file and asking for a direct connection: %q", msg)
	}
	if got := tablesOf(t, direct); strings.Contains(got, "things") {
		t.Errorf("the refused call applied something: tables %s", got)
	}
	if _, err := migrateFS(ctx, direct, migrations, "app_migrations"); err != nil {
		t.Fatalf("the same migrations on a direct connection: %v", err)
	}
	if got := tablesOf(t, direct); !strings.Contains(got, "things") {
		t.Errorf("tables after the direct call: %s", got)
	}
	// Once applied, the file is no obstacle through PgBouncer either.
	if _, err := migrateFS(ctx, bouncer.URL(direct, ""), migrations, "app_migrations"); err != nil {
		t.Errorf("MigrateFS through PgBouncer with nothing pending: %v", err)
	}
}

// tablesOf lists the tables of url's public schema, comma-separated.
func tablesOf(t *testing.T, url string) string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var tables string
	if err := conn.QueryRow(ctx, "SELECT coalesce(string_agg(tablename, ',' ORDER BY tablename), '') FROM pg_tables WHERE schemaname = 'public'").Scan(&tables); err != nil {
		t.Fatal(err)
	}
	return tables
}
