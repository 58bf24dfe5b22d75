package luciapg_test

import (
	"context"
	"errors"
	"io/fs"
	"net"
	"slices"
	"sync/atomic"
	"testing"
	"testing/fstest"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/internal/testdb"
)

func connect(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func appliedMigrations(t *testing.T, conn *pgx.Conn) []string {
	t.Helper()
	rows, err := conn.Query(context.Background(), "SELECT version FROM "+luciapg.MigrationsTable+" ORDER BY version")
	if err != nil {
		t.Fatal(err)
	}
	versions, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return versions
}

func embeddedMigrationCount(t *testing.T) int {
	t.Helper()
	files, err := fs.Glob(luciapg.MigrationsFS(), "*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("MigrationsFS has no .sql files (%v)", err)
	}
	return len(files)
}

func TestMigrateFreshDatabase(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := testdb.NewEmptyURL(t)
	applied, err := luciapg.MigrateConnString(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	if want := migrationFileNames(t); !slices.Equal(applied, want) {
		t.Fatalf("the first Migrate applied %q, want every file in order: %q", applied, want)
	}
	// Running again is a no-op, and says so.
	if applied, err := luciapg.MigrateConnString(ctx, url); err != nil || len(applied) != 0 {
		t.Fatalf("second Migrate: applied %q, %v; want nothing", applied, err)
	}
	conn := connect(t, url)
	if got, want := len(appliedMigrations(t, conn)), embeddedMigrationCount(t); got != want {
		t.Fatalf("%d migrations recorded, want %d", got, want)
	}
	rows, err := conn.Query(ctx, "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
	if err != nil {
		t.Fatal(err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"auth_key", "auth_session", "auth_user", luciapg.MigrationsTable} {
		if !slices.Contains(tables, want) {
			t.Errorf("tables %v lack %s", tables, want)
		}
	}
	if slices.Contains(tables, "schema_migrations") {
		t.Errorf("tables %v include schema_migrations: that name is the application's", tables)
	}
	// The store works on the migrated database.
	pool := testdb.Pool(t, url, 2)
	if _, err := luciapg.New(pool).SetUser(ctx, luciapg.User{ID: "u1"}, &luciapg.Key{ID: "email:u1"}); err != nil {
		t.Fatal(err)
	}
}

// TestMigrateAdoptsLuciaDatabase: a database whose tables a Lucia v1 app
// created (the seed's DDL, no indexes) keeps its rows and gains the indexes.
func TestMigrateAdoptsLuciaDatabase(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := testdb.NewEmptyURL(t)
	conn := connect(t, url)
	_, err := conn.Exec(ctx, `
CREATE TABLE auth_user (id TEXT PRIMARY KEY, username TEXT);
CREATE TABLE auth_session (
    id TEXT PRIMARY KEY,
    user_id TEXT REFERENCES auth_user(id) NOT NULL,
    active_expires BIGINT NOT NULL,
    idle_expires BIGINT NOT NULL
);
CREATE TABLE auth_key (
    id TEXT PRIMARY KEY,
    user_id TEXT REFERENCES auth_user(id) NOT NULL,
    primary_key BOOLEAN NOT NULL,
    hashed_password TEXT,
    expires BIGINT
);
INSERT INTO auth_user VALUES ('lucia-user', 'ada');
INSERT INTO auth_key VALUES ('username:ada', 'lucia-user', true, 's2:salt:hash', NULL);`)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := luciapg.MigrateConnString(ctx, url); err != nil {
		t.Fatal(err)
	}
	var indexes int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM pg_indexes WHERE indexname IN ('auth_session_user_id_idx', 'auth_key_user_id_idx', 'auth_session_idle_expires_idx')").Scan(&indexes); err != nil {
		t.Fatal(err)
	}
	if indexes != 3 {
		t.Fatalf("%d of the 3 indexes exist", indexes)
	}
	user, err := luciapg.New(conn).GetUser(ctx, "lucia-user")
	if err != nil || user.Attributes["username"] != "ada" {
		t.Fatalf("the Lucia app's user after Migrate: %+v, %v", user, err)
	}
}

// TestMigrateFSAppliesAnApplicationsMigrations: an application's own
// migrations (here, an attribute column) run after luciapg's, recorded in
// their own table.
func TestMigrateFSAppliesAnApplicationsMigrations(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := testdb.NewEmptyURL(t)
	app := fstest.MapFS{"20270101000000_add_email.sql": {Data: []byte(
		"-- migrate:up\nALTER TABLE auth_user ADD COLUMN email TEXT;\n-- migrate:down\nALTER TABLE auth_user DROP COLUMN email;\n")}}
	if _, err := luciapg.MigrateConnString(ctx, url); err != nil {
		t.Fatal(err)
	}
	for range 2 { // the second run is a no-op
		if _, err := migrateFS(ctx, url, app, "app_schema_migrations"); err != nil {
			t.Fatal(err)
		}
	}
	conn := connect(t, url)
	var recorded int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM app_schema_migrations WHERE version = '20270101000000'").Scan(&recorded); err != nil || recorded != 1 {
		t.Fatalf("app migration recorded %d times (%v), want once", recorded, err)
	}
	if got, want := len(appliedMigrations(t, conn)), embeddedMigrationCount(t); got != want {
		t.Fatalf("luciapg's table records %d migrations, want its own %d", got, want)
	}
	user, err := luciapg.New(conn).SetUser(ctx, luciapg.User{ID: "u1", Attributes: map[string]any{"email": "a@example.com"}}, nil)
	if err != nil || user.Attributes["email"] != "a@example.com" {
		t.Fatalf("SetUser with the migrated column: %+v, %v", user, err)
	}
	if _, err := migrateFS(ctx, url, app, ""); !errors.Is(err, luciapg.ErrInvalidInput) {
		t.Fatalf("MigrateFS with no table name: %v, want ErrInvalidInput", err)
	}
}

// migrateErr is the error of a Migrate call, for a channel of errors.
func migrateErr(_ []string, err error) error { return err }

// migrateFS is luciapg.MigrateFS on a connection string.
func migrateFS(ctx context.Context, connString string, migrations fs.FS, table string) ([]string, error) {
	cfg, err := pgx.ParseConfig(connString)
	if err != nil {
		return nil, err
	}
	return luciapg.MigrateFS(ctx, cfg, migrations, table)
}

// migrationFileNames lists luciapg's migration files in the order they
// apply.
func migrationFileNames(t *testing.T) []string {
	t.Helper()
	files, err := fs.Glob(luciapg.MigrationsFS(), "*.sql")
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(files)
	return files
}

// Migrate connects with the configuration it is given, the one the
// application's pool was built from, so whatever that carries (a dialer, a
// TLS config, a password fetched for the occasion) serves the migration
// too; the caller's configuration is not changed.
func TestMigrateUsesTheCallersConnConfig(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cfg, err := pgxpool.ParseConfig(testdb.NewEmptyURL(t))
	if err != nil {
		t.Fatal(err)
	}
	var dials atomic.Int32
	dialer := &net.Dialer{}
	cfg.ConnConfig.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
		dials.Add(1)
		return dialer.DialContext(ctx, network, addr)
	}
	mode := cfg.ConnConfig.DefaultQueryExecMode
	applied, err := luciapg.Migrate(ctx, cfg.ConnConfig)
	if err != nil {
		t.Fatal(err)
	}
	if dials.Load() == 0 {
		t.Fatal("Migrate did not connect through the config's DialFunc")
	}
	if len(applied) != embeddedMigrationCount(t) {
		t.Fatalf("applied %q, want all %d migrations", applied, embeddedMigrationCount(t))
	}
	if cfg.ConnConfig.DefaultQueryExecMode != mode {
		t.Fatal("Migrate changed the caller's ConnConfig")
	}
	// The pool built from the same config finds the tables.
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if _, err := luciapg.New(pool).SetUser(ctx, luciapg.User{ID: "u1"}, nil); err != nil {
		t.Fatalf("SetUser after Migrate: %v", err)
	}
	if _, err := luciapg.Migrate(ctx, nil); !errors.Is(err, luciapg.ErrInvalidInput) {
		t.Fatalf("Migrate(nil): %v, want ErrInvalidInput", err)
	}
}
