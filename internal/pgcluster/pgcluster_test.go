package pgcluster_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/luciapg/luciapg/internal/pgcluster"
	"github.com/luciapg/luciapg/internal/testdb"
)

// TestPgBouncerPoolsTransactions proves the helper starts a real PgBouncer
// in transaction mode: a client connection's backend pid is not the one
// PgBouncer announced, since PgBouncer makes up the client's cancel key.
func TestPgBouncerPoolsTransactions(t *testing.T) {
	b := pgcluster.StartPgBouncer(t, testdb.ServerURL(t), 2)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, b.URL(testdb.NewURL(t), "exec"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var mode string
	if err := conn.QueryRow(ctx, "SHOW pool_mode").Scan(&mode); err == nil {
		t.Logf("pool_mode %s", mode)
	}
	var pid uint32
	if err := conn.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&pid); err != nil {
		t.Fatal(err)
	}
	if pid == conn.PgConn().PID() {
		t.Errorf("backend pid %d is the announced one: not behind PgBouncer?", pid)
	}
	t.Logf("%s: announced pid %d, backend %d", b.Version, conn.PgConn().PID(), pid)
}

// TestReplicatedStandbyReplays proves the standby is a hot standby of the
// primary: a row written on the primary shows up on it.
func TestReplicatedStandbyReplays(t *testing.T) {
	r := pgcluster.StartReplicated(t)
	ctx := context.Background()
	p, err := pgx.Connect(ctx, r.Primary.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(ctx)
	s, err := pgx.Connect(ctx, r.Standby.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(ctx)
	var inRecovery bool
	if err := s.QueryRow(ctx, "SELECT pg_is_in_recovery()").Scan(&inRecovery); err != nil || !inRecovery {
		t.Fatalf("standby in recovery: %v, %v", inRecovery, err)
	}
	if _, err := p.Exec(ctx, "CREATE TABLE t (x int); INSERT INTO t VALUES (42)"); err != nil {
		t.Fatal(err)
	}
	pgcluster.Eventually(t, "the row replayed on the standby", func() (bool, error) {
		var n int
		err := s.QueryRow(ctx, "SELECT count(*) FROM t WHERE x = 42").Scan(&n)
		if err != nil {
			return false, nil // the table itself may not have arrived yet
		}
		return n == 1, nil
	})
}
