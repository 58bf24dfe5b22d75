package luciapg_test

import (
	"context"
	"net"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/luciapg/luciapg/internal/testdb"
)

// writeCountingConn counts the writes of a client connection. pgx sends
// all the messages of a request in one write and then waits for the reply,
// so each write is one round trip.
type writeCountingConn struct {
	net.Conn
	writes *atomic.Int64
}

func (c writeCountingConn) Write(b []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(b)
}

// roundTripConn returns a connection to a fresh database and a counter of
// the round trips made on it.
func roundTripConn(t *testing.T) (*pgx.Conn, *atomic.Int64) {
	t.Helper()
	ctx := context.Background()
	cfg, err := pgx.ParseConfig(testdb.NewURL(t))
	if err != nil {
		t.Fatal(err)
	}
	writes := new(atomic.Int64)
	dial := cfg.DialFunc
	cfg.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return writeCountingConn{Conn: c, writes: writes}, nil
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	if _, err := conn.Exec(ctx, "INSERT INTO auth_user (id, username) VALUES ('owner', 'owner_name')"); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "INSERT INTO auth_session (id, user_id, active_expires, idle_expires) VALUES ('session', 'owner', 1, 2)"); err != nil {
		t.Fatal(err)
	}
	return conn, writes
}

// roundTrips returns how many round trips call makes, after a first call
// that may also prepare its statement (pgx caches prepared statements per
// connection; preparing is a round trip of its own, once).
func roundTrips(t *testing.T, writes *atomic.Int64, call func(i int) error) int64 {
	t.Helper()
	if err := call(0); err != nil {
		t.Fatal(err)
	}
	before := writes.Load()
	if err := call(1); err != nil {
		t.Fatal(err)
	}
	return writes.Load() - before
}
