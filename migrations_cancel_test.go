package luciapg_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"testing/fstest"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/luciapg/luciapg/internal/testdb"
)

// waitsOnBlocker is a migration whose second statement waits for the lock
// the test holds on the table blocker.
const waitsOnBlocker = "-- migrate:up%s\nCREATE TABLE created_before_the_wait (id int);\nSELECT count(*) FROM blocker;\n-- migrate:down\n"

// TestMigrateCancelledMidwayLeavesNothingHalfApplied cancels MigrateFS
// while a migration waits inside its up section, after an earlier
// migration of the same call and an earlier statement of the same file
// ran: none of them stays, nothing is recorded, and the next call applies
// everything.
func TestMigrateCancelledMidwayLeavesNothingHalfApplied(t *testing.T) {
	t.Parallel()
	url := testdb.NewEmptyURL(t)
	migrations := fstest.MapFS{
		"1_ok.sql":   {Data: []byte(okMigration)},
		"2_wait.sql": {Data: []byte(fmt.Sprintf(waitsOnBlocker, ""))},
	}
	err := cancelWhileBlocked(t, url, migrations)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("MigrateFS cancelled midway: %v, want context.Canceled", err)
	}
	assertNothingMigrated(t, url, "app_schema_migrations")
	if tableExists(t, url, "created_before_the_wait") {
		t.Error("the cancelled file's first statement stayed")
	}
	if _, err := migrateFS(callContext(t), url, migrations, "app_schema_migrations"); err != nil {
		t.Fatalf("MigrateFS after the cancelled call: %v", err)
	}
	if got := recordedVersions(t, url, "app_schema_migrations"); len(got) != 2 {
		t.Errorf("recorded %v after the second call, want both", got)
	}
}

// TestMigrateCancelledTransactionFalseFile: cancelling a transaction:false
// migration midway undoes its statements and leaves it unrecorded; the
// migration before it, committed in its own transaction, stays recorded.
func TestMigrateCancelledTransactionFalseFile(t *testing.T) {
	t.Parallel()
	url := testdb.NewEmptyURL(t)
	migrations := fstest.MapFS{
		"1_ok.sql":   {Data: []byte(okMigration)},
		"2_wait.sql": {Data: []byte(fmt.Sprintf(waitsOnBlocker, " transaction:false"))},
	}
	err := cancelWhileBlocked(t, url, migrations)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("MigrateFS cancelled midway: %v, want context.Canceled", err)
	}
	if got := recordedVersions(t, url, "app_schema_migrations"); len(got) != 1 || got[0] != "1" {
		t.Errorf("recorded %v, want only 1 (committed before the transaction:false file)", got)
	}
	if tableExists(t, url, "created_before_the_wait") {
		t.Error("the cancelled file's first statement stayed")
	}
	if _, err := migrateFS(callContext(t), url, migrations, "app_schema_migrations"); err != nil {
		t.Fatalf("MigrateFS after the cancelled call: %v", err)
	}
	if got := recordedVersions(t, url, "app_schema_migrations"); len(got) != 2 {
		t.Errorf("recorded %v after the second call, want both", got)
	}
}

// cancelWhileBlocked holds an exclusive lock on a table blocker, runs
// MigrateFS, cancels it once its backend waits for that lock, then frees
// the lock and returns MigrateFS's error.
func cancelWhileBlocked(t *testing.T, url string, migrations fstest.MapFS) error {
	t.Helper()
	ctx := callContext(t)
	holder := connect(t, url)
	if _, err := holder.Exec(ctx, "CREATE TABLE blocker (id int)"); err != nil {
		t.Fatal(err)
	}
	tx, err := holder.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(context.Background()) //nolint:errcheck
	if _, err := tx.Exec(ctx, "LOCK TABLE blocker IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}

	migrateCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- migrateErr(migrateFS(migrateCtx, url, migrations, "app_schema_migrations"))
	}()

	watcher := connect(t, url)
	for {
		var waiting bool
		err := watcher.QueryRow(ctx, `SELECT EXISTS (SELECT FROM pg_stat_activity
WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%FROM blocker%')`).Scan(&waiting)
		if err != nil {
			t.Fatal(err)
		}
		if waiting {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("MigrateFS returned before it waited on the lock: %v", err)
		case <-ctx.Done():
			t.Fatal("MigrateFS never waited on the lock")
		case <-time.After(10 * time.Millisecond): // poll interval
		}
	}
	cancel()
	err = <-done
	if rbErr := tx.Rollback(ctx); rbErr != nil {
		t.Fatal(rbErr)
	}
	return err
}

func tableExists(t *testing.T, url, table string) bool {
	t.Helper()
	var exists bool
	if err := connect(t, url).QueryRow(context.Background(), "SELECT to_regclass($1) IS NOT NULL", table).Scan(&exists); err != nil {
		t.Fatal(err)
	}
	return exists
}

// recordedVersions lists the versions in a migrations table (none when it
// does not exist).
func recordedVersions(t *testing.T, url, table string) []string {
	t.Helper()
	if !tableExists(t, url, table) {
		return nil
	}
	rows, err := connect(t, url).Query(context.Background(), "SELECT version FROM "+pgx.Identifier{table}.Sanitize()+" ORDER BY version")
	if err != nil {
		t.Fatal(err)
	}
	versions, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return versions
}
