package luciapg_test

import (
	"context"
	"testing"

	"github.com/luciapg/luciapg"
)

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
