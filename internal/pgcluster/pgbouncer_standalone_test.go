package pgcluster

import (
	"context"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/luciapg/luciapg/internal/testdb"
)

// TestRunPgBouncerServesUntilStopped proves the entry point for programs
// starts a PgBouncer that serves a database, and that Stop leaves nothing
// behind: the port refuses connections and the directory is gone.
func TestRunPgBouncerServesUntilStopped(t *testing.T) {
	b, err := RunPgBouncer(testdb.ServerURL(t), 2)
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			b.Stop()
		}
	})
	ctx := context.Background()
	url := b.URL(testdb.NewURL(t), "exec")
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	var one int
	err = conn.QueryRow(ctx, "SELECT 1").Scan(&one)
	conn.Close(ctx)
	if err != nil || one != 1 {
		t.Fatalf("SELECT 1 through PgBouncer = %d, %v", one, err)
	}

	b.Stop()
	stopped = true
	if conn, err := pgx.Connect(ctx, url); err == nil {
		conn.Close(ctx)
		t.Errorf("PgBouncer still accepts connections on port %d after Stop", b.Port)
	}
	if _, err := os.Stat(b.dir); !os.IsNotExist(err) {
		t.Errorf("PgBouncer's directory %s is still there after Stop (stat: %v)", b.dir, err)
	}
}
