package luciapg_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/internal/testdb"
)

// contextFixture names the rows every method of TestContextEndsEveryMethod
// works on.
type contextFixture struct {
	user, primaryKey, otherKey, session string
}

// contextMethods calls every Store method on existing rows, so each one
// reaches the database.
func contextMethods(f contextFixture) map[string]func(ctx context.Context, s *luciapg.Store) error {
	return map[string]func(ctx context.Context, s *luciapg.Store) error{
		"GetUser": func(ctx context.Context, s *luciapg.Store) error {
			_, err := s.GetUser(ctx, f.user)
			return err
		},
		"SetUser": func(ctx context.Context, s *luciapg.Store) error {
			_, err := s.SetUser(ctx, luciapg.User{ID: randomText(15)}, &luciapg.Key{ID: "k:" + randomText(8)})
			return err
		},
		"UpdateUserAttributes": func(ctx context.Context, s *luciapg.Store) error {
			_, err := s.UpdateUserAttributes(ctx, f.user, map[string]any{"nickname": "changed"})
			return err
		},
		"DeleteUser": func(ctx context.Context, s *luciapg.Store) error {
			return s.DeleteUser(ctx, f.user)
		},
		"GetKey": func(ctx context.Context, s *luciapg.Store) error {
			_, err := s.GetKey(ctx, f.primaryKey)
			return err
		},
		"GetKeysByUserID": func(ctx context.Context, s *luciapg.Store) error {
			_, err := s.GetKeysByUserID(ctx, f.user)
			return err
		},
		"SetKey": func(ctx context.Context, s *luciapg.Store) error {
			return s.SetKey(ctx, luciapg.Key{ID: "k:" + randomText(8), UserID: f.user})
		},
		"UpdateKeyPassword": func(ctx context.Context, s *luciapg.Store) error {
			_, err := s.UpdateKeyPassword(ctx, f.primaryKey, pointerTo("changed"))
			return err
		},
		"DeleteNonPrimaryKey": func(ctx context.Context, s *luciapg.Store) error {
			return s.DeleteNonPrimaryKey(ctx, f.otherKey)
		},
		"ConsumeKey": func(ctx context.Context, s *luciapg.Store) error {
			_, err := s.ConsumeKey(ctx, f.otherKey)
			return err
		},
		"DeleteKeysByUserID": func(ctx context.Context, s *luciapg.Store) error {
			return s.DeleteKeysByUserID(ctx, f.user)
		},
		"GetSession": func(ctx context.Context, s *luciapg.Store) error {
			_, err := s.GetSession(ctx, f.session)
			return err
		},
		"GetSessionsByUserID": func(ctx context.Context, s *luciapg.Store) error {
			_, err := s.GetSessionsByUserID(ctx, f.user)
			return err
		},
		"SetSession": func(ctx context.Context, s *luciapg.Store) error {
			return s.SetSession(ctx, luciapg.Session{ID: randomText(40), UserID: f.user, ActiveExpires: 1, IdleExpires: 2})
		},
		"DeleteSession": func(ctx context.Context, s *luciapg.Store) error {
			return s.DeleteSession(ctx, f.session)
		},
		"DeleteSessionsByUserID": func(ctx context.Context, s *luciapg.Store) error {
			return s.DeleteSessionsByUserID(ctx, f.user)
		},
		"GetSessionAndUser": func(ctx context.Context, s *luciapg.Store) error {
			_, _, err := s.GetSessionAndUser(ctx, f.session)
			return err
		},
	}
}

// contextPool opens a one-connection pool on url, so the test knows which
// backend a call runs on. Its sessions set client_connection_check_interval:
// when pgx abandons a connection whose context ended (its default), the
// backend notices within 20ms and rolls back, instead of holding its locks
// until its blocked statement would have finished. SECURITY.md recommends
// the same setting for production.
func contextPool(t *testing.T, url string) *pgxpool.Pool {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = 1
	cfg.ConnConfig.RuntimeParams["client_connection_check_interval"] = "20ms"
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// TestContextEndsEveryMethod blocks every table with a lock held by
// another transaction, then ends each method's context while its statement
// waits: by deadline and by cancellation. Each call returns an error that
// is the context's; no row changes; the pool keeps working.
func TestContextEndsEveryMethod(t *testing.T) {
	t.Parallel()
	url := testdb.NewURL(t)
	pool := contextPool(t, url)
	store := luciapg.New(pool)
	f := seedContextFixture(t, store)
	before := tableContents(t, pool)

	blocker, _ := beginOn(t, url)
	mustExec(t, blocker, `LOCK TABLE auth_user, auth_session, auth_key IN ACCESS EXCLUSIVE MODE`)
	for name, call := range contextMethods(f) {
		t.Run(name+"/deadline", func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			defer cancel()
			if err := call(ctx, store); !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("got %v, want an error that is context.DeadlineExceeded", err)
			}
		})
		t.Run(name+"/cancel", func(t *testing.T) {
			if err := callCancelledWhileWaiting(t, url, pool, store, call); !errors.Is(err, context.Canceled) {
				t.Fatalf("got %v, want an error that is context.Canceled", err)
			}
		})
	}
	if err := blocker.Rollback(context.Background()); err != nil {
		t.Fatal(err)
	}
	waitForNoLockWaiters(t, url)
	if after := tableContents(t, pool); after != before {
		t.Errorf("rows changed by calls whose context ended:\n before %s\n after  %s", before, after)
	}
	if n := pool.Stat().AcquiredConns(); n != 0 {
		t.Errorf("%d connections still acquired", n)
	}
	wantPoolWorks(t, store)
}

// TestContextEndsDeleteUserMidTransaction ends DeleteUser's context after
// it has locked the user and while its delete waits: the transaction rolls
// back (the user row is free again, every row is still there) and the
// error is the context's.
func TestContextEndsDeleteUserMidTransaction(t *testing.T) {
	t.Parallel()
	for _, ending := range []string{"deadline", "cancel"} {
		t.Run(ending, func(t *testing.T) {
			t.Parallel()
			url := testdb.NewURL(t)
			pool := contextPool(t, url)
			store := luciapg.New(pool)
			f := seedContextFixture(t, store)
			before := tableContents(t, pool)

			// Sessions are locked, users are not: DeleteUser locks the user
			// row, then waits in its delete.
			blocker, _ := beginOn(t, url)
			mustExec(t, blocker, `LOCK TABLE auth_session IN ACCESS EXCLUSIVE MODE`)
			deleteUser := func(ctx context.Context, s *luciapg.Store) error { return s.DeleteUser(ctx, f.user) }
			var err error
			if ending == "deadline" {
				ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
				err = deleteUser(ctx, store)
				cancel()
				if !errors.Is(err, context.DeadlineExceeded) {
					t.Fatalf("got %v, want context.DeadlineExceeded", err)
				}
			} else {
				err = callCancelledWhileWaiting(t, url, pool, store, deleteUser)
				if !errors.Is(err, context.Canceled) {
					t.Fatalf("got %v, want context.Canceled", err)
				}
			}
			// While the sessions are still locked, the user row must come
			// free: DeleteUser's transaction is gone.
			waitUntilUserLockable(t, url, f.user)
			if err := blocker.Rollback(context.Background()); err != nil {
				t.Fatal(err)
			}
			if after := tableContents(t, pool); after != before {
				t.Errorf("rows changed:\n before %s\n after  %s", before, after)
			}
			wantPoolWorks(t, store)
		})
	}
}

func seedContextFixture(t *testing.T, store *luciapg.Store) contextFixture {
	t.Helper()
	ctx := callContext(t)
	f := contextFixture{user: "ctx_" + randomText(8)}
	f.primaryKey, f.otherKey, f.session = "email:"+f.user, "otp:"+f.user, "s_"+f.user
	if _, err := store.SetUser(ctx, luciapg.User{ID: f.user}, &luciapg.Key{ID: f.primaryKey, PrimaryKey: true, HashedPassword: pointerTo("h")}); err != nil {
		t.Fatal(err)
	}
	if err := store.SetKey(ctx, luciapg.Key{ID: f.otherKey, UserID: f.user, Expires: pointerTo(int64(1))}); err != nil {
		t.Fatal(err)
	}
	if err := store.SetSession(ctx, luciapg.Session{ID: f.session, UserID: f.user, ActiveExpires: 1, IdleExpires: 2}); err != nil {
		t.Fatal(err)
	}
	return f
}

// callCancelledWhileWaiting runs call on store (whose pool has a single
// connection) and cancels its context once that connection's backend is
// seen waiting for a lock.
func callCancelledWhileWaiting(t *testing.T, url string, pool *pgxpool.Pool, store *luciapg.Store, call func(context.Context, *luciapg.Store) error) error {
	t.Helper()
	conn, err := pool.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	pid := conn.Conn().PgConn().PID()
	conn.Release()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	result := make(chan error, 1)
	go func() { result <- call(ctx, store) }()
	watcher, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer watcher.Close(context.Background())
	deadline := time.Now().Add(reliabilityTimeout)
	for {
		select {
		case err := <-result:
			t.Fatalf("call returned before its context ended: %v", err)
		default:
		}
		var waiting bool
		err := watcher.QueryRow(context.Background(),
			`SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND wait_event_type = 'Lock')`, int64(pid)).Scan(&waiting)
		if err != nil {
			t.Fatal(err)
		}
		if waiting {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the call's backend never waited for the lock")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	return <-result
}

// waitUntilUserLockable polls until another transaction can lock the user
// row without waiting.
func waitUntilUserLockable(t *testing.T, url, userID string) {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	deadline := time.Now().Add(reliabilityTimeout)
	for {
		_, err := conn.Exec(context.Background(), `SELECT 1 FROM auth_user WHERE id = $1 FOR UPDATE NOWAIT`, userID)
		var pgErr *pgconn.PgError
		switch {
		case err == nil:
			return
		case !errors.As(err, &pgErr) || pgErr.Code != "55P03": // lock_not_available
			t.Fatal(err)
		case time.Now().After(deadline):
			t.Fatal("the user row is still locked: the cancelled transaction did not roll back")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitForNoLockWaiters polls until no backend of url's database waits for
// a lock: abandoned statements have finished.
func waitForNoLockWaiters(t *testing.T, url string) {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	deadline := time.Now().Add(reliabilityTimeout)
	for {
		var waiting int
		err := conn.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting)
		if err != nil {
			t.Fatal(err)
		}
		if waiting == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d backends still wait for a lock", waiting)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// tableContents is every row of the auth tables as text, for comparing
// before and after.
func tableContents(t *testing.T, db luciapg.DB) string {
	t.Helper()
	var s string
	err := db.QueryRow(context.Background(), `SELECT concat_ws(' | ',
		(SELECT string_agg(u::text, ',' ORDER BY u.id) FROM auth_user u),
		(SELECT string_agg(s::text, ',' ORDER BY s.id) FROM auth_session s),
		(SELECT string_agg(k::text, ',' ORDER BY k.id) FROM auth_key k))`).Scan(&s)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
