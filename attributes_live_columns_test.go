package luciapg_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/internal/testdb"
)

// The tests in this file change auth_user's columns under a running Store,
// as an application's migration does while the previous release still
// serves requests. pgx caches each statement prepared on a connection;
// PostgreSQL refuses to run a cached SELECT * or RETURNING * once the row
// type behind it changed (SQLSTATE 0A000), so every pooled connection that
// had a statement cached would fail its next call.

// liveColumnsPoolSize is the number of connections, each warmed with every
// statement before the columns change.
const liveColumnsPoolSize = 4

// userReturningCall is one call of a Store method that returns a user. It
// makes a new user when it writes, with ids from tag so calls never collide.
type userReturningCall struct {
	name string
	call func(ctx context.Context, store *luciapg.Store, tag string) (luciapg.User, error)
}

// userReturningCalls are every Store method that returns a user row, each
// always with the same statement text (attribute names fixed), so a call
// made after the columns changed hits the statement cached before.
func userReturningCalls() []userReturningCall {
	return []userReturningCall{
		{"GetUser", func(ctx context.Context, store *luciapg.Store, _ string) (luciapg.User, error) {
			return store.GetUser(ctx, "live_owner")
		}},
		{"SetUser", func(ctx context.Context, store *luciapg.Store, tag string) (luciapg.User, error) {
			return store.SetUser(ctx, luciapg.User{ID: "live_u_" + tag, Attributes: map[string]any{"plan": "pro"}}, nil)
		}},
		{"SetUser with a key", func(ctx context.Context, store *luciapg.Store, tag string) (luciapg.User, error) {
			return store.SetUser(ctx, luciapg.User{ID: "live_k_" + tag, Attributes: map[string]any{"plan": "pro"}},
				&luciapg.Key{ID: "live:" + tag, PrimaryKey: true})
		}},
		{"UpdateUserAttributes", func(ctx context.Context, store *luciapg.Store, tag string) (luciapg.User, error) {
			return store.UpdateUserAttributes(ctx, "live_owner", map[string]any{"nickname": tag})
		}},
		{"UpdateUserAttributes with no attributes", func(ctx context.Context, store *luciapg.Store, _ string) (luciapg.User, error) {
			return store.UpdateUserAttributes(ctx, "live_owner", nil)
		}},
		{"GetSessionAndUser", func(ctx context.Context, store *luciapg.Store, _ string) (luciapg.User, error) {
			_, user, err := store.GetSessionAndUser(ctx, "live_session")
			return user, err
		}},
	}
}

// liveColumnsPool returns a pool on a fresh database holding the user and
// session the calls read.
func liveColumnsPool(t *testing.T) *pgxpool.Pool {
	t.Helper()
	pool := testdb.Pool(t, testdb.NewURL(t), liveColumnsPoolSize)
	store := luciapg.New(pool)
	ctx := callContext(t)
	if _, err := store.SetUser(ctx, luciapg.User{ID: "live_owner"}, nil); err != nil {
		t.Fatal(err)
	}
	if err := store.SetSession(ctx, luciapg.Session{ID: "live_session", UserID: "live_owner", ActiveExpires: 1, IdleExpires: 2}); err != nil {
		t.Fatal(err)
	}
	return pool
}

// onEveryConnection holds all the pool's connections at once, so each is a
// different one, and runs fn on each.
func onEveryConnection(t *testing.T, pool *pgxpool.Pool, fn func(i int, conn *pgxpool.Conn)) {
	t.Helper()
	ctx := callContext(t)
	conns := make([]*pgxpool.Conn, liveColumnsPoolSize)
	for i := range conns {
		conn, err := pool.Acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns[i] = conn
	}
	defer func() {
		for _, conn := range conns {
			conn.Release()
		}
	}()
	for i, conn := range conns {
		fn(i, conn)
	}
}

// alterUsers changes auth_user on a connection of its own, outside the pool.
func alterUsers(t *testing.T, pool *pgxpool.Pool, ddl string) {
	t.Helper()
	ctx := callContext(t)
	conn, err := pgx.ConnectConfig(ctx, pool.Config().ConnConfig)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, ddl); err != nil {
		t.Fatalf("%s: %v", ddl, err)
	}
}

// wantColumn fails unless user has (or, with present false, lacks) the
// attribute column.
func wantColumn(t *testing.T, what string, user luciapg.User, column string, present bool) {
	t.Helper()
	if _, ok := user.Attributes[column]; ok != present {
		t.Errorf("%s: attribute %q present=%v, want %v (attributes %v)", what, column, ok, present, user.Attributes)
	}
}

// TestLiveAttributeColumns adds a column to auth_user and then drops it
// while the pool is open and every connection has every user-returning
// statement cached. Every call must succeed and see the current columns.
func TestLiveAttributeColumns(t *testing.T) {
	t.Parallel()
	pool := liveColumnsPool(t)
	calls := userReturningCalls()
	round := 0
	runAll := func(phase string, wantExtra bool) {
		t.Helper()
		round++
		onEveryConnection(t, pool, func(i int, conn *pgxpool.Conn) {
			for j, c := range calls {
				tag := fmt.Sprintf("%d_%d_%d", round, i, j)
				user, err := c.call(callContext(t), luciapg.New(conn), tag)
				if err != nil {
					t.Errorf("%s, connection %d: %s: %v", phase, i, c.name, err)
					continue
				}
				wantColumn(t, fmt.Sprintf("%s, connection %d: %s", phase, i, c.name), user, "live_extra", wantExtra)
			}
		})
	}
	runAll("warming", false)
	alterUsers(t, pool, "ALTER TABLE auth_user ADD COLUMN live_extra text")
	runAll("after ADD COLUMN", true)
	alterUsers(t, pool, "ALTER TABLE auth_user DROP COLUMN live_extra")
	runAll("after DROP COLUMN", false)

	// The Store on the pool itself, as an application holds it.
	alterUsers(t, pool, "ALTER TABLE auth_user ADD COLUMN live_extra text")
	store := luciapg.New(pool)
	for i := range 2 * liveColumnsPoolSize {
		for j, c := range calls {
			user, err := c.call(callContext(t), store, fmt.Sprintf("pool_%d_%d", i, j))
			if err != nil {
				t.Fatalf("on the pool after ADD COLUMN: %s: %v", c.name, err)
			}
			wantColumn(t, "on the pool: "+c.name, user, "live_extra", true)
		}
	}
}

// TestLiveAttributeColumnsInCallersTransaction runs the calls in a
// transaction of the caller's on connections that cached the statements
// before the columns changed. A failed statement would abort the caller's
// whole transaction, so the Store must not fail at all; the transaction
// then commits everything.
func TestLiveAttributeColumnsInCallersTransaction(t *testing.T) {
	t.Parallel()
	pool := liveColumnsPool(t)
	calls := userReturningCalls()
	onEveryConnection(t, pool, func(i int, conn *pgxpool.Conn) {
		for j, c := range calls {
			if _, err := c.call(callContext(t), luciapg.New(conn), fmt.Sprintf("warm_%d_%d", i, j)); err != nil {
				t.Fatalf("warming connection %d: %s: %v", i, c.name, err)
			}
		}
	})
	for step, change := range []struct {
		ddl       string
		wantExtra bool
	}{
		{"ALTER TABLE auth_user ADD COLUMN live_extra text", true},
		{"ALTER TABLE auth_user DROP COLUMN live_extra", false},
	} {
		alterUsers(t, pool, change.ddl)
		onEveryConnection(t, pool, func(i int, conn *pgxpool.Conn) {
			ctx := callContext(t)
			tx, err := conn.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback(ctx) //nolint:errcheck
			store := luciapg.New(tx)
			for j, c := range calls {
				user, err := c.call(ctx, store, fmt.Sprintf("tx_%d_%d_%d", step, i, j))
				if err != nil {
					t.Errorf("%s, in a transaction on connection %d: %s: %v", change.ddl, i, c.name, err)
					continue
				}
				wantColumn(t, fmt.Sprintf("%s, connection %d: %s", change.ddl, i, c.name), user, "live_extra", change.wantExtra)
			}
			if err := tx.Commit(ctx); err != nil {
				t.Errorf("%s: committing the caller's transaction on connection %d: %v", change.ddl, i, err)
			}
		})
	}
}

// TestLiveAttributeColumnsUnderLoad adds and drops a column again and
// again while workers keep calling user-returning methods on the pool, as
// requests do during a deployment. No call may fail.
func TestLiveAttributeColumnsUnderLoad(t *testing.T) {
	t.Parallel()
	pool := liveColumnsPool(t)
	store := luciapg.New(pool)
	ctx, cancel := context.WithCancel(callContext(t))
	defer cancel()
	calls := userReturningCalls()
	succeeded := make(chan struct{}, 1024)
	errs := make(chan error, 64)
	var wg sync.WaitGroup
	for w := range 2 * liveColumnsPoolSize {
		wg.Go(func() {
			for n := 0; ctx.Err() == nil; n++ {
				c := calls[n%len(calls)]
				_, err := c.call(ctx, store, fmt.Sprintf("load_%d_%d", w, n))
				switch {
				case ctx.Err() != nil:
					return
				case err != nil:
					errs <- fmt.Errorf("%s: %w", c.name, err)
					return
				}
				select {
				case succeeded <- struct{}{}:
				default:
				}
			}
		})
	}
	// waitForCalls waits for n more successful calls, or a failure.
	waitForCalls := func(n int) {
		t.Helper()
		for range n {
			select {
			case <-succeeded:
			case err := <-errs:
				t.Fatalf("a call failed while the columns changed: %v", err)
			case <-ctx.Done():
				t.Fatalf("calls stopped: %v", ctx.Err())
			}
		}
	}
	waitForCalls(4 * len(calls))
	for range 5 {
		alterUsers(t, pool, "ALTER TABLE auth_user ADD COLUMN live_extra text")
		waitForCalls(4 * len(calls))
		alterUsers(t, pool, "ALTER TABLE auth_user DROP COLUMN live_extra")
		waitForCalls(4 * len(calls))
	}
	cancel()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("a call failed while the columns changed: %v", err)
	}
}
