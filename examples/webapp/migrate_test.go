package main

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/internal/testdb"
)

// The example's migration runs beside luciapg's, in a table of its own, and
// adds a nullable username column: Lucia v1 apps and the admin CLI can
// still create users without one.
func TestMigrateKeepsItsOwnTableAndRunsOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := testdb.NewEmptyURL(t)
	for range 2 {
		if err := migrate(ctx, url); err != nil {
			t.Fatalf("migrate: %v", err)
		}
	}
	pool := testdb.Pool(t, url, 2)
	var appVersions, luciapgVersions []string
	for table, dst := range map[string]*[]string{appMigrationsTable: &appVersions, luciapg.MigrationsTable: &luciapgVersions} {
		rows, err := pool.Query(ctx, "SELECT version FROM "+pgx.Identifier{table}.Sanitize()+" ORDER BY version")
		if err != nil {
			t.Fatal(err)
		}
		if *dst, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
			t.Fatal(err)
		}
	}
	if len(appVersions) != 1 || appVersions[0] != "20261126120000" {
		t.Errorf("%s holds %v, want the example's one migration", appMigrationsTable, appVersions)
	}
	for _, v := range luciapgVersions {
		if v == "20261126120000" {
			t.Errorf("the example's migration was recorded in %s", luciapg.MigrationsTable)
		}
	}
	var nullable string
	if err := pool.QueryRow(ctx, `SELECT is_nullable FROM information_schema.columns
WHERE table_name = 'auth_user' AND column_name = 'username'`).Scan(&nullable); err != nil {
		t.Fatalf("reading the username column: %v", err)
	}
	if nullable != "YES" {
		t.Errorf("auth_user.username is_nullable = %s, want YES", nullable)
	}
	if _, err := luciapg.New(pool).SetUser(ctx, luciapg.User{ID: "no-username"}, nil); err != nil {
		t.Errorf("a user without a username: %v", err)
	}
}
