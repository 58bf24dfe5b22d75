package main

import (
	"context"
	"embed"
	"fmt"
	"io/fs"

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
	migrations, err := fs.Sub(appMigrations, "migrations")
	if err != nil {
		return err
	}
	if err := luciapg.MigrateFS(ctx, databaseURL, migrations, appMigrationsTable); err != nil {
		return fmt.Errorf("webapp migrations: %w", err)
	}
	return nil
}
