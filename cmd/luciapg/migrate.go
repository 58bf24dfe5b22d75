package main

import (
	"context"
	"flag"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/luciapg/luciapg"
)

// migration is one of luciapg's migration files and whether the database
// has applied it.
type migration struct {
	Version string `json:"version"`
	File    string `json:"file"`
	Applied bool   `json:"applied"`
}

func migrateStatusFlags(*flag.FlagSet) func(context.Context, *cmdContext, []string) error {
	return func(ctx context.Context, c *cmdContext, args []string) error {
		if err := wantArgs(args); err != nil {
			return err
		}
		pool, err := c.connect(ctx)
		if err != nil {
			return err
		}
		defer pool.Close()
		migrations, err := migrationStatus(ctx, pool)
		if err != nil {
			return err
		}
		if c.opts.json {
			return printJSON(c.stdout, map[string]any{"migrations": migrations})
		}
		rows := make([][]string, len(migrations))
		for i, m := range migrations {
			status := "pending"
			if m.Applied {
				status = "applied"
			}
			rows[i] = []string{m.Version, m.File, status}
		}
		return printTable(c.stdout, []string{"VERSION", "FILE", "STATUS"}, rows)
	}
}

func migrateUpFlags(*flag.FlagSet) func(context.Context, *cmdContext, []string) error {
	return func(ctx context.Context, c *cmdContext, args []string) error {
		if err := wantArgs(args); err != nil {
			return err
		}
		pool, err := c.connect(ctx)
		if err != nil {
			return err
		}
		defer pool.Close()
		// The pool's own configuration: what connected it migrates.
		applied, err := luciapg.Migrate(ctx, pool.Config().ConnConfig)
		if err != nil {
			return migrateError{err}
		}
		if applied == nil {
			applied = []string{}
		}
		if c.opts.json {
			return printJSON(c.stdout, map[string]any{"applied": applied})
		}
		if len(applied) == 0 {
			fmt.Fprintln(c.stdout, "Already up to date.")
			return nil
		}
		for _, file := range applied {
			fmt.Fprintf(c.stdout, "Applied %s\n", file)
		}
		return nil
	}
}

// migrationStatus lists luciapg's migrations in order with whether each is
// recorded in luciapg.MigrationsTable (absent table: none is).
func migrationStatus(ctx context.Context, pool *pgxpool.Pool) ([]migration, error) {
	entries, err := fs.ReadDir(luciapg.MigrationsFS(), ".")
	if err != nil {
		return nil, err
	}
	var tableExists bool
	if err := pool.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", luciapg.MigrationsTable).Scan(&tableExists); err != nil {
		return nil, fmt.Errorf("reading the migrations table: %w", err)
	}
	var applied []string
	if tableExists {
		rows, err := pool.Query(ctx, "SELECT version FROM "+pgx.Identifier{luciapg.MigrationsTable}.Sanitize())
		if err != nil {
			return nil, fmt.Errorf("reading the migrations table: %w", err)
		}
		applied, err = pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return nil, fmt.Errorf("reading the migrations table: %w", err)
		}
	}
	var migrations []migration
	for _, entry := range entries {
		name := entry.Name()
		if entry.IsDir() || !strings.HasSuffix(name, ".sql") {
			continue
		}
		version, _, _ := strings.Cut(name, "_")
		migrations = append(migrations, migration{Version: version, File: name, Applied: slices.Contains(applied, version)})
	}
	return migrations, nil
}

// migrateError is luciapg.Migrate's error without its "luciapg: migrate: "
// prefix, which the command's own "luciapg: migrate up: " already says.
type migrateError struct{ err error }

func (e migrateError) Error() string { return strings.TrimPrefix(e.err.Error(), "luciapg: migrate: ") }
func (e migrateError) Unwrap() error { return e.err }
