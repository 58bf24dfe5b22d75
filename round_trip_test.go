package luciapg_test

import (
	"context"
	"net"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/luciapg/luciapg"
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

func TestSetUserWithKeyIsOneRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	hash := "HASHED"
	setUser := func(store *luciapg.Store, prefix string) func(i int) error {
		return func(i int) error {
			id := prefix + string(rune('a'+i))
			_, err := store.SetUser(ctx,
				luciapg.User{ID: id, Attributes: map[string]any{"username": id, "nickname": nil}},
				&luciapg.Key{ID: "email:" + id, PrimaryKey: true, HashedPassword: &hash})
			return err
		}
	}

	t.Run("on a connection", func(t *testing.T) {
		t.Parallel()
		conn, writes := roundTripConn(t)
		if n := roundTrips(t, writes, setUser(luciapg.New(conn), "conn_user_")); n != 1 {
			t.Errorf("SetUser with a key took %d round trips, want 1", n)
		}
	})
	t.Run("in a caller's transaction", func(t *testing.T) {
		t.Parallel()
		conn, writes := roundTripConn(t)
		tx, err := conn.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback(ctx) //nolint:errcheck
		if n := roundTrips(t, writes, setUser(luciapg.New(tx), "tx_user_")); n != 1 {
			t.Errorf("SetUser with a key in a transaction took %d round trips, want 1", n)
		}
		if err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		var keys int
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM auth_key WHERE starts_with(id, 'email:tx_user_')").Scan(&keys); err != nil {
			t.Fatal(err)
		}
		if keys != 2 {
			t.Errorf("%d keys committed, want 2", keys)
		}
	})
}

func TestHotReadsAreOneRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	conn, writes := roundTripConn(t)
	store := luciapg.New(conn)
	// The counter itself: two statements sent one after the other are two
	// round trips.
	twoStatements := func(int) error {
		if _, err := conn.Exec(ctx, "SELECT 1"); err != nil {
			return err
		}
		_, err := conn.Exec(ctx, "SELECT 2")
		return err
	}
	if n := roundTrips(t, writes, twoStatements); n != 2 {
		t.Fatalf("two statements counted as %d round trips", n)
	}
	for name, call := range map[string]func(int) error{
		"GetSessionAndUser": func(int) error { _, _, err := store.GetSessionAndUser(ctx, "session"); return err },
		"GetSession":        func(int) error { _, err := store.GetSession(ctx, "session"); return err },
		"GetUser":           func(int) error { _, err := store.GetUser(ctx, "owner"); return err },
		"GetSessionsByUserID": func(int) error {
			_, err := store.GetSessionsByUserID(ctx, "owner")
			return err
		},
	} {
		if n := roundTrips(t, writes, call); n != 1 {
			t.Errorf("%s took %d round trips, want 1", name, n)
		}
	}
}
