package luciapg_test

import (
	"context"
	neturl "net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/internal/testdb"
)

var (
	dbmateOnce sync.Once
	dbmatePath string
	dbmateErr  error
)

// dbmateCLI builds the dbmate CLI pinned in tools/go.mod (cached by the Go
// build cache; .ci/run builds it first) and returns its path.
func dbmateCLI(t *testing.T) string {
	t.Helper()
	dbmateOnce.Do(func() {
		dir, err := os.MkdirTemp("", "luciapg-dbmate-")
		if err != nil {
			dbmateErr = err
			return
		}
		dbmatePath = filepath.Join(dir, "dbmate")
		build := exec.Command("go", "build", "-modfile=tools/go.mod", "-o", dbmatePath, "github.com/amacneil/dbmate/v2")
		// -modfile cannot be used in workspace mode, and tools/go.mod is
		// not part of the workspace (go.work).
		build.Env = append(os.Environ(), "GOWORK=off")
		out, err := build.CombinedOutput()
		if err != nil {
			dbmateErr = err
			dbmatePath = string(out)
		}
	})
	if dbmateErr != nil {
		t.Fatalf("building the dbmate CLI from tools/go.mod (needs the Go toolchain and its module cache): %v\n%s", dbmateErr, dbmatePath)
	}
	return dbmatePath
}

// runDbmate runs the dbmate CLI on luciapg's migrations and table, as
// `make migrate` does, and returns its output.
func runDbmate(t *testing.T, url string, args ...string) string {
	t.Helper()
	// dbmate's driver is lib/pq, which insists on TLS unless told.
	u := testdb.WithQuery(mustParseURL(t, url), "sslmode", "disable")
	args = append([]string{"--url", u, "--migrations-dir", "db/migrations", "--migrations-table", luciapg.MigrationsTable, "--no-dump-schema"}, args...)
	out, err := exec.Command(dbmateCLI(t), args...).CombinedOutput()
	if err != nil {
		t.Fatalf("dbmate %s: %v\n%s", strings.Join(args[6:], " "), err, out)
	}
	return string(out)
}

// TestDbmateCLIAndMigrateSeeEachOthersWork: migrations applied by the
// dbmate CLI (`make migrate`) are not run again by Migrate, and those
// applied by Migrate are reported applied by `dbmate status`.
func TestDbmateCLIAndMigrateSeeEachOthersWork(t *testing.T) {
	t.Parallel()
	wantVersions, wantIndexes := migrationFiles(t)
	dbmateCLI(t) // built before the clock starts: a cold build takes a while
	ctx := callContext(t)

	t.Run("dbmate up, then Migrate", func(t *testing.T) {
		url := testdb.NewEmptyURL(t)
		conn := connect(t, url)
		if _, err := conn.Exec(ctx, ddlWitness); err != nil {
			t.Fatal(err)
		}
		runDbmate(t, url, "up")
		if _, err := luciapg.MigrateConnString(ctx, url); err != nil {
			t.Fatalf("Migrate after dbmate up: %v", err)
		}
		var indexRuns int
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM ddl_witness WHERE tag = 'CREATE INDEX'`).Scan(&indexRuns); err != nil {
			t.Fatal(err)
		}
		if indexRuns != wantIndexes {
			t.Errorf("CREATE INDEX ran %d times, want %d: Migrate ran dbmate's migrations again", indexRuns, wantIndexes)
		}
		if got := appliedMigrations(t, conn); strings.Join(got, ",") != strings.Join(wantVersions, ",") {
			t.Errorf("recorded %v, want %v", got, wantVersions)
		}
	})

	t.Run("Migrate, then dbmate status", func(t *testing.T) {
		url := testdb.NewEmptyURL(t)
		if _, err := luciapg.MigrateConnString(ctx, url); err != nil {
			t.Fatal(err)
		}
		out := runDbmate(t, url, "status", "--exit-code") // exits 1 when a migration is pending
		if !strings.Contains(out, "Pending: 0") {
			t.Errorf("dbmate status after Migrate:\n%s", out)
		}
		for _, v := range wantVersions {
			if !strings.Contains(out, "[X] "+v) {
				t.Errorf("dbmate status does not list %s as applied:\n%s", v, out)
			}
		}
		// And dbmate's up has nothing left to do.
		if out := runDbmate(t, url, "up"); strings.Contains(out, "Applying") {
			t.Errorf("dbmate up after Migrate applied again:\n%s", out)
		}
	})

	t.Run("the migrations table is dbmate's", func(t *testing.T) {
		byMigrate, byDbmate := testdb.NewEmptyURL(t), testdb.NewEmptyURL(t)
		if _, err := luciapg.MigrateConnString(ctx, byMigrate); err != nil {
			t.Fatal(err)
		}
		runDbmate(t, byDbmate, "up")
		if a, b := columnsOf(t, byMigrate, luciapg.MigrationsTable), columnsOf(t, byDbmate, luciapg.MigrationsTable); a != b {
			t.Errorf("Migrate's table has %s, dbmate's %s", a, b)
		}
	})
}

// columnsOf describes a table's columns and constraints, for comparison.
func columnsOf(t *testing.T, url, table string) string {
	t.Helper()
	var desc string
	err := connect(t, url).QueryRow(context.Background(), `
SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END, ', ' ORDER BY a.attnum)
  || ' | ' || (SELECT string_agg(pg_get_constraintdef(c.oid), ', ') FROM pg_constraint c WHERE c.conrelid = $1::regclass)
FROM pg_attribute a WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped`, table).Scan(&desc)
	if err != nil {
		t.Fatal(err)
	}
	return desc
}

func mustParseURL(t *testing.T, raw string) *neturl.URL {
	t.Helper()
	u, err := neturl.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
