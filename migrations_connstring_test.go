package luciapg_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/internal/testdb"
)

// TestMigrateAcceptsEveryConnectionString: Migrate takes what pgx takes —
// a URL with or without sslmode, a keyword/value string, PG* environment
// variables, pgxpool's pool_* parameters — and migrates fresh databases
// through each. Not parallel: one case sets PG* variables.
func TestMigrateAcceptsEveryConnectionString(t *testing.T) {
	tests := []struct {
		name string
		// connString turns a fresh database's URL into the string to pass.
		connString func(t *testing.T, u *url.URL) string
	}{
		{"URL without sslmode", func(t *testing.T, u *url.URL) string {
			return testdb.WithQuery(u, "sslmode", "")
		}},
		{"URL with sslmode=disable", func(t *testing.T, u *url.URL) string {
			return testdb.WithQuery(u, "sslmode", "disable")
		}},
		{"keyword/value", func(t *testing.T, u *url.URL) string {
			return "host=" + u.Hostname() + " port=" + u.Port() + " user=" + u.User.Username() +
				" dbname=" + strings.TrimPrefix(u.Path, "/") + " sslmode=disable"
		}},
		{"postgres:///db with PGHOST, PGPORT, PGUSER", func(t *testing.T, u *url.URL) string {
			t.Setenv("PGHOST", u.Hostname())
			t.Setenv("PGPORT", u.Port())
			t.Setenv("PGUSER", u.User.Username())
			return "postgres://" + u.Path
		}},
		{"URL with pool_max_conns", func(t *testing.T, u *url.URL) string {
			return testdb.WithQuery(u, "pool_max_conns", "3")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fresh := testdb.NewEmptyURL(t)
			u, err := url.Parse(fresh)
			if err != nil {
				t.Fatal(err)
			}
			connString := tt.connString(t, u)
			ctx := callContext(t)
			if _, err := luciapg.MigrateConnString(ctx, connString); err != nil {
				t.Fatalf("Migrate(%q): %v", connString, err)
			}
			if got, want := len(appliedMigrations(t, connect(t, fresh))), embeddedMigrationCount(t); got != want {
				t.Fatalf("%d migrations recorded, want %d", got, want)
			}
			pool, err := luciapg.Connect(ctx, connString)
			if err != nil {
				t.Fatalf("Connect(%q): %v", connString, err)
			}
			defer pool.Close()
			if _, err := luciapg.New(pool).SetUser(ctx, luciapg.User{ID: "u1"}, nil); err != nil {
				t.Fatalf("SetUser on the migrated database: %v", err)
			}
		})
	}
}
