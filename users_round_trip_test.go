package luciapg_test

import (
	"context"
	"testing"

	"github.com/luciapg/luciapg"
)

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
