package luciapg_test

import (
	"context"
	"io/fs"
	"net"
	neturl "net/url"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/jackc/pgx/v5"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/internal/testdb"
)

// okMigration creates a table: when a later migration of the same call
// fails, that table must not exist.
const okMigration = "-- migrate:up\nCREATE TABLE created_by_ok (id int);\n-- migrate:down\nDROP TABLE created_by_ok;\n"

// TestMigrateFSErrors: each bad input (a file, or the connection string
// of MigrateConnString) gives one line naming the file or the problem,
// never the connection string, and nothing is recorded.
func TestMigrateFSErrors(t *testing.T) {
	t.Parallel()
	fresh := testdb.NewEmptyURL(t)
	const table = "app_schema_migrations"
	tests := []struct {
		name       string
		connString string
		migrations fs.FS
		want       []string
	}{
		{
			name:       "no migrate:up line",
			connString: fresh,
			migrations: fstest.MapFS{
				"1_ok.sql":  {Data: []byte(okMigration)},
				"2_bad.sql": {Data: []byte("CREATE TABLE nope (id int);\n-- migrate:down\n")},
			},
			want: []string{"2_bad.sql", "no '-- migrate:up' line"},
		},
		{
			name:       "no migrate:down line",
			connString: fresh,
			migrations: fstest.MapFS{"1_bad.sql": {Data: []byte("-- migrate:up\nCREATE TABLE nope (id int);\n")}},
			want:       []string{"1_bad.sql", "no '-- migrate:down' line"},
		},
		{
			name:       "unreadable file",
			connString: fresh,
			migrations: unreadableFS{MapFS: fstest.MapFS{
				"1_ok.sql":         {Data: []byte(okMigration)},
				"2_unreadable.sql": {Data: []byte(okMigration)},
			}, bad: "2_unreadable.sql"},
			want: []string{"2_unreadable.sql", "permission denied"},
		},
		{
			name:       "unreadable directory",
			connString: fresh,
			migrations: unreadableFS{MapFS: fstest.MapFS{"1_ok.sql": {Data: []byte(okMigration)}}, bad: "."},
			want:       []string{"reading the migrations directory", "permission denied"},
		},
		{
			name:       "no migration files",
			connString: fresh,
			migrations: fstest.MapFS{"README.md": {Data: []byte("notes")}},
			want:       []string{"no migration files"},
		},
		{
			name:       "two files with one version",
			connString: fresh,
			migrations: fstest.MapFS{
				"1_a.sql": {Data: []byte(okMigration)},
				"1_b.sql": {Data: []byte(okMigration)},
			},
			want: []string{"1_a.sql and 1_b.sql have the same version 1"},
		},
		{
			name:       "a failing migration rolls back the whole call",
			connString: fresh,
			migrations: fstest.MapFS{
				"1_ok.sql":   {Data: []byte(okMigration)},
				"2_fail.sql": {Data: []byte("-- migrate:up\n-- a comment\n\nSELECT * FROM no_such_table;\n-- migrate:down\n")},
			},
			want: []string{"2_fail.sql line 4", `relation "no_such_table" does not exist`, "42P01", "rolled back with it: 1_ok.sql"},
		},
		{
			name:       "garbage instead of a connection string",
			connString: "this is not a connection string",
			want:       []string{"not a connection string"},
		},
		{
			name:       "a malformed URL with a password",
			connString: "postgres://admin:hunter2%zz@127.0.0.1/app",
			want:       []string{"not a connection string"},
		},
		{
			name:       "unreachable server",
			connString: "postgres://admin:hunter2@" + closedPort(t) + "/app?connect_timeout=5",
			want:       []string{"server not reachable at " + closedPort(t), "start PostgreSQL"},
		},
		{
			name:       "missing database",
			connString: withDatabaseName(t, fresh, "luciapg_no_such_database"),
			want:       []string{"database luciapg_no_such_database does not exist", "createdb luciapg_no_such_database"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			if tt.migrations == nil {
				// A bad connection string: MigrateConnString explains it.
				_, err = luciapg.MigrateConnString(callContext(t), tt.connString)
			} else {
				_, err = migrateFS(callContext(t), tt.connString, tt.migrations, table)
			}
			if err == nil {
				t.Fatal("the migration succeeded")
			}
			msg := err.Error()
			if strings.Contains(msg, "\n") || !strings.HasPrefix(msg, "luciapg: migrate: ") {
				t.Errorf("not one 'luciapg: migrate: ' line: %q", msg)
			}
			for _, want := range tt.want {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q does not say %q", msg, want)
				}
			}
			if strings.Contains(msg, "hunter2") || strings.Contains(msg, "admin") {
				t.Errorf("error repeats the connection string: %q", msg)
			}
			assertNothingMigrated(t, fresh, table)
		})
	}
}

// assertNothingMigrated fails unless the database at url has neither the
// migrations table nor the table okMigration creates.
func assertNothingMigrated(t *testing.T, url, table string) {
	t.Helper()
	var tables []string
	rows, err := connect(t, url).Query(context.Background(),
		"SELECT tablename FROM pg_tables WHERE tablename = ANY($1)", []string{table, "created_by_ok"})
	if err == nil {
		tables, err = pgx.CollectRows(rows, pgx.RowTo[string])
	}
	if err != nil {
		t.Fatal(err)
	}
	if len(tables) != 0 {
		t.Errorf("the failed call left tables %v", tables)
	}
}

// unreadableFS fails to open one name (a file, or "." for the directory).
type unreadableFS struct {
	fstest.MapFS
	bad string
}

func (f unreadableFS) Open(name string) (fs.File, error) {
	if name == f.bad {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrPermission}
	}
	return f.MapFS.Open(name)
}

func (f unreadableFS) ReadDir(name string) ([]fs.DirEntry, error) {
	if name == f.bad {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrPermission}
	}
	return f.MapFS.ReadDir(name)
}

func (f unreadableFS) ReadFile(name string) ([]byte, error) {
	if name == f.bad {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrPermission}
	}
	return f.MapFS.ReadFile(name)
}

// closedPort returns 127.0.0.1:PORT where nothing listens: a port the
// system just gave out and took back.
func closedPort(t *testing.T) string {
	t.Helper()
	closedPortOnce.Do(func() {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			closedPortErr = err
			return
		}
		closedPortAddr = l.Addr().String()
		closedPortErr = l.Close()
	})
	if closedPortErr != nil {
		t.Fatal(closedPortErr)
	}
	return closedPortAddr
}

var (
	closedPortOnce sync.Once
	closedPortAddr string
	closedPortErr  error
)

// withDatabaseName returns url naming another database on its server.
func withDatabaseName(t *testing.T, rawURL, name string) string {
	t.Helper()
	u, err := neturl.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}
