package main

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/luciapg/luciapg"
)

// localDatabaseURL is the database used when DATABASE_URL is unset: the
// local server a developer machine runs, trust authentication on the
// loopback interface.
const localDatabaseURL = "postgres://postgres@127.0.0.1:5432/postgres"

// openDatabase connects to the database at connString (any connection
// string pgx accepts; localDatabaseURL when empty, which it logs),
// migrates it, and returns a pool on it. A database that cannot be
// reached fails with one line saying what to do (luciapg.Connect), never
// with the string itself.
func openDatabase(ctx context.Context, connString string, log *slog.Logger) (*pgxpool.Pool, error) {
	connString = orDefaultDatabase(connString, localDatabaseURL, log)
	pool, err := luciapg.Connect(ctx, connString)
	if err != nil {
		return nil, err
	}
	if err := migrate(ctx, pool.Config().ConnConfig); err != nil {
		pool.Close()
		return nil, err
	}
	return pool, nil
}

// orDefaultDatabase returns connString, or fallback when it is empty,
// saying so in one log line that names the server and database, never
// the user or a password: someone who forgot DATABASE_URL learns where
// the app writes before it migrates that database.
func orDefaultDatabase(connString, fallback string, log *slog.Logger) string {
	if connString != "" {
		return connString
	}
	log.Info("DATABASE_URL is not set: using the default database; set DATABASE_URL to use another", "database", databaseName(fallback))
	return fallback
}

// databaseName is HOST:PORT/DATABASE for a connection string.
func databaseName(connString string) string {
	cfg, err := pgconn.ParseConfig(connString)
	if err != nil {
		return "(unreadable connection string)"
	}
	return net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port))) + "/" + cfg.Database
}

// appMigrationsTable records the example's own migrations, apart from
// luciapg's (luciapg.MigrationsTable) and from an application's
// schema_migrations.
const appMigrationsTable = "webapp_schema_migrations"

//go:embed migrations/*.sql
var appMigrations embed.FS

// migrate applies luciapg's migrations (the Lucia v1 tables), then the
// example's own (its username column on auth_user), over connections made
// as the app's pool makes them.
func migrate(ctx context.Context, connConfig *pgx.ConnConfig) error {
	if _, err := luciapg.Migrate(ctx, connConfig); err != nil {
		return err
	}
	migrations, err := fs.Sub(appMigrations, "migrations")
	if err != nil {
		return err
	}
	if _, err := luciapg.MigrateFS(ctx, connConfig, migrations, appMigrationsTable); err != nil {
		return fmt.Errorf("webapp migrations: %w", err)
	}
	return nil
}
