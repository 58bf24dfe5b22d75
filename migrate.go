package luciapg

import (
	"context"
	"embed"
	"fmt"
	"io/fs"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/luciapg/luciapg/internal/connerr"
	"github.com/luciapg/luciapg/internal/migrate"
)

// MigrationsTable is the table in which luciapg records its applied
// migrations. It is not dbmate's default schema_migrations, which the host
// application's own migrations may use. Pass it to the dbmate CLI as
// --migrations-table when running MigrationsFS's files by hand.
const MigrationsTable = "luciapg_schema_migrations"

//go:embed db/migrations/*.sql
var embeddedMigrations embed.FS

// MigrationsFS returns luciapg's migrations as dbmate files at the root of
// the file system, for teams that apply migrations with their own tooling.
func MigrationsFS() fs.FS {
	migrations, err := fs.Sub(embeddedMigrations, "db/migrations")
	if err != nil {
		panic(err) // the directory is embedded at build time
	}
	return migrations
}

// Migrate applies luciapg's pending migrations over one connection made
// from connConfig, and returns the
// names of the files it applied, in order (none when the database was up
// to date). It creates no database and writes no schema file. Tables that
// a Lucia v1 app already created are kept as they are.
//
// connConfig is what the application's own connections are made from, so
// a custom TLS config, dialer or token-based password (a BeforeConnect
// hook of a *pgxpool.Config is not used: give its ConnConfig a password
// of its own) works for migrations too: pass a *pgxpool.Config's
// ConnConfig, or the result of pgx.ParseConfig. It is copied, never
// changed.
//
// The files and the table are dbmate's, so the dbmate CLI and Migrate see
// each other's work. All pending migrations run in one transaction under
// an advisory lock, so concurrent calls apply each once and a failure
// leaves nothing applied; it works through PgBouncer in transaction mode,
// except a "transaction:false" migration, which needs a direct connection
// and is refused, before anything is applied, through a pooler. A
// cancelled ctx rolls back. Every error is one line that names the file or
// the problem, never the password. docs/operations.md says more.
func Migrate(ctx context.Context, connConfig *pgx.ConnConfig) ([]string, error) {
	return migrate.Run(ctx, connConfig, MigrationsFS(), MigrationsTable)
}

// MigrateFS applies an application's own dbmate migration files, those at
// the root of migrations (adding its user attribute columns, say), with
// Migrate's runner, recording them in table: a table of the application's
// own, apart from MigrationsTable (dbmate's default is schema_migrations).
// Apply luciapg's migrations first: its tables come before yours. It
// returns the names of the files it applied.
func MigrateFS(ctx context.Context, connConfig *pgx.ConnConfig, migrations fs.FS, table string) ([]string, error) {
	return migrate.Run(ctx, connConfig, migrations, table)
}

// MigrateConnString is Migrate on a connection string, for a program that
// has nothing else to build its connections from: anything
// pgxpool.ParseConfig accepts (a postgres:// URL with or without sslmode, a
// keyword/value string such as "host=db dbname=app", PG* environment
// variables); pgxpool's pool_* parameters are ignored.
func MigrateConnString(ctx context.Context, connString string) ([]string, error) {
	// pgxpool's parser, which drops the pool_* parameters that
	// pgx.ParseConfig would send to the server.
	cfg, err := pgxpool.ParseConfig(connString)
	if err != nil {
		return nil, fmt.Errorf("luciapg: migrate: %w", connerr.Explain(err))
	}
	return Migrate(ctx, cfg.ConnConfig)
}
