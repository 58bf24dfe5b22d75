package main

import (
	"context"
	"embed"
	"fmt"
	"io"
	"io/fs"
	"net/url"

	"github.com/amacneil/dbmate/v2/pkg/dbmate"
	_ "github.com/amacneil/dbmate/v2/pkg/driver/postgres" // dbmate's PostgreSQL driver

	"github.com/luciapg/luciapg"
)

// appMigrationsTable records the example's own migrations, apart from
// luciapg's (luciapg.MigrationsTable) and from an application's
// schema_migrations.
const appMigrationsTable = "webapp_schema_migrations"

//go:embed migrations/*.sql
var appMigrations embed.FS

// migrate applies luciapg's migrations (the Lucia v1 tables), then the
// example's own (its username column on auth_user).
func migrate(ctx context.Context, databaseURL string) error {
	if err := luciapg.Migrate(ctx, databaseURL); err != nil {
		return err
	}
	u, err := url.Parse(databaseURL)
	if err != nil {
		return fmt.Errorf("the database URL does not parse")
	}
	if u.Query().Get("sslmode") == "" {
		// dbmate's driver would insist on TLS; pgx's default is "prefer".
		q := u.Query()
		q.Set("sslmode", "prefer")
		u.RawQuery = q.Encode()
	}
	migrations, err := fs.Sub(appMigrations, "migrations")
	if err != nil {
		return err
	}
	m := dbmate.New(u)
	m.FS = migrations
	m.MigrationsDir = []string{"."}
	m.MigrationsTableName = appMigrationsTable
	m.AutoDumpSchema = false
	m.Log = io.Discard
	if err := m.Migrate(); err != nil {
		return fmt.Errorf("webapp migrations: %w", err)
	}
	return nil
}
