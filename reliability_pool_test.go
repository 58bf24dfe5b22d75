package luciapg_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/internal/testdb"
)

// TestManyMoreCallsThanConnections mixes SetUser-with-key (a third of them
// on taken key ids), DeleteUser and reads on a pool of two connections. The
// reference adapter leaked a connection per SetUser and hung.
func TestManyMoreCallsThanConnections(t *testing.T) {
	t.Parallel()
	const poolSize, calls = 2, 60
	pool := testdb.Pool(t, testdb.NewURL(t), poolSize)
	store := luciapg.New(pool)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	errs := make([]error, calls)
	var wg sync.WaitGroup
	for i := range calls {
		wg.Go(func() {
			id := fmt.Sprintf("user%d", i)
			key := &luciapg.Key{ID: fmt.Sprintf("email:%d", i%(2*calls/3)), PrimaryKey: true}
			if _, errs[i] = store.SetUser(ctx, luciapg.User{ID: id}, key); errs[i] != nil {
				return
			}
			if _, err := store.GetKeysByUserID(ctx, id); err != nil {
				errs[i] = err
				return
			}
			// Only users whose key no other call wants are deleted: a
			// deleted user's key is free again, and a later call for it
			// would then succeed instead of being refused as a duplicate
			// (the count below went 19 in about one run in five).
			if keyShared := i < calls/3 || i >= 2*calls/3; i%5 == 0 && !keyShared {
				errs[i] = store.DeleteUser(ctx, id)
			}
		})
	}
	wg.Wait()
	if ctx.Err() != nil {
		t.Fatalf("calls did not finish in time: %v", ctx.Err())
	}
	duplicates := 0
	for i, err := range errs {
		switch {
		case errors.Is(err, luciapg.ErrDuplicateKeyID):
			duplicates++
		case err != nil:
			t.Errorf("call %d: %v", i, err)
		}
	}
	if want := calls - 2*calls/3; duplicates != want {
		t.Errorf("%d calls refused as duplicate keys, want %d", duplicates, want)
	}
	wantAllReleased(t, pool)
	orphans := countRows(t, pool, "SELECT count(*) FROM auth_key k WHERE NOT EXISTS (SELECT 1 FROM auth_user u WHERE u.id = k.user_id)")
	usersWithoutKey := countRows(t, pool, "SELECT count(*) FROM auth_user u WHERE NOT EXISTS (SELECT 1 FROM auth_key k WHERE k.user_id = u.id)")
	if orphans != 0 || usersWithoutKey != 0 {
		t.Fatalf("%d keys without user, %d users without key", orphans, usersWithoutKey)
	}
}

// wantAllReleased fails unless every connection goes back to the pool.
// pgxpool destroys a broken connection in the background, so a connection
// may count as acquired for a moment after the call that used it returned:
// poll, with a deadline.
func wantAllReleased(t *testing.T, pool *pgxpool.Pool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for pool.Stat().AcquiredConns() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d connections still acquired after every call returned", pool.Stat().AcquiredConns())
		}
		time.Sleep(10 * time.Millisecond)
	}
}
