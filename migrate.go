package luciapg

import (
	"context"
	"embed"
	"fmt"
	"io"
	"io/fs"
	"net/url"

	"github.com/amacneil/dbmate/v2/pkg/dbmate"
	_ "github.com/amacneil/dbmate/v2/pkg/driver/postgres" // dbmate's PostgreSQL driver
	"github.com/jackc/pgx/v5"
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

// migrationLockKey is the advisory lock that serializes concurrent Migrate
// calls on one database ("luciapg" in ASCII).
const migrationLockKey int64 = 0x6c7563696170_67

// Migrate applies luciapg's pending migrations to the database at
// databaseURL (a postgres:// URL) and records them in MigrationsTable. It
// creates no database and writes no schema file. Processes that call it at
// once are serialized by an advisory lock, so each migration runs once.
//
// Tables that a Lucia v1 app already created are kept as they are.
func Migrate(ctx context.Context, databaseURL string) error {
	return MigrateFS(ctx, databaseURL, MigrationsFS(), MigrationsTable)
}

// MigrateFS applies an application's own dbmate migrations — the files at
// the root of migrations, such as those adding its user attribute columns —
// with Migrate's guarantees: recorded in table (keep it apart from
// MigrationsTable), no database created, no schema file written, and
// serialized with Migrate and every other MigrateFS call on the database by
// the same advisory lock. Call Migrate first: its tables come before yours.
func MigrateFS(ctx context.Context, databaseURL string, migrations fs.FS, table string) error {
	u, err := url.Parse(databaseURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return fmt.Errorf("luciapg: migrate: database URL must be a postgres:// URL")
	}
	if table == "" {
		return fmt.Errorf("%w: migrations table name is empty", ErrInvalidInput)
	}
	lockConn, err := pgx.Connect(ctx, databaseURL)
	if err != nil {
		return fmt.Errorf("luciapg: migrate: %w", err)
	}
	defer lockConn.Close(context.WithoutCancel(ctx))
	if _, err := lockConn.Exec(ctx, "SELECT pg_advisory_lock($1)", migrationLockKey); err != nil {
		return fmt.Errorf("luciapg: migrate: waiting for the migration lock: %w", err)
	}
	// Closing the connection releases the lock too; unlocking first keeps
	// waiting processes from waiting on the close.
	defer lockConn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", migrationLockKey) //nolint:errcheck

	migrator := dbmate.New(withDefaultSSLMode(u))
	migrator.FS = migrations
	migrator.MigrationsDir = []string{"."}
	migrator.MigrationsTableName = table
	migrator.AutoDumpSchema = false
	migrator.Log = io.Discard
	if err := migrator.Migrate(); err != nil {
		return fmt.Errorf("luciapg: migrate: %w", err)
	}
	return nil
}

// withDefaultSSLMode gives dbmate's driver (lib/pq, which otherwise insists
// on TLS) the same default as pgx: use TLS when the server offers it.
func withDefaultSSLMode(u *url.URL) *url.URL {
	q := u.Query()
	if q.Get("sslmode") != "" {
		return u
	}
	q.Set("sslmode", "prefer")
	out := *u
	out.RawQuery = q.Encode()
	return &out
}
