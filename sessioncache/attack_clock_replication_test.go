package sessioncache_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/internal/pgcluster"
	"github.com/luciapg/luciapg/internal/testdb"
	"github.com/luciapg/luciapg/sessioncache"
)

// TestAttackServerClockStepHidesRevocation: the database server's wall
// clock steps (an NTP step, a VM resumed, an operator's date -s) by far
// more than any lease measured on it, and a Lucia v1 app then revokes a
// cached session with a plain DELETE. The cache must stop serving the
// session, whichever way the clock went: its knowledge that the triggers
// log changes cannot rest on the server's wall clock. The server runs
// under libfaketime; its monotonic clock is left alone, as a real step
// leaves it.
func TestAttackServerClockStepHidesRevocation(t *testing.T) {
	t.Parallel()
	server, clock := pgcluster.StartServerWith(t, pgcluster.ServerOptions{FakeClock: true})
	url := server.URL("postgres")
	ctx := t.Context()
	if _, err := luciapg.MigrateConnString(ctx, url); err != nil {
		t.Fatal(err)
	}
	app := testdb.Pool(t, url, 2) // the Lucia v1 app
	cache := cacheOnServer(t, url)
	if _, err := app.Exec(ctx, `INSERT INTO auth_user (id) VALUES ('u1')`); err != nil {
		t.Fatal(err)
	}
	for i, step := range []time.Duration{10 * time.Minute, -10 * time.Minute, 20 * time.Minute} {
		t.Run(fmt.Sprintf("step %v", step), func(t *testing.T) {
			id := sessionID(fmt.Sprintf("clock-step-%d", i))
			insertSession(t, app, "u1", id)
			requireCached(t, cache, id)
			// Relative to the real time: the third step goes forward
			// 30 minutes from where the second left the clock.
			clock.Set(t, step)
			var serverNow time.Time
			if err := app.QueryRow(ctx, `SELECT clock_timestamp()`).Scan(&serverNow); err != nil {
				t.Fatal(err)
			}
			if d := time.Until(serverNow); d < step-time.Minute || d > step+time.Minute {
				t.Fatalf("the server's clock is %v from ours; want about %v (is libfaketime working?)", d.Round(time.Second), step)
			}
			revokeAndRequireMiss(t, cache, app, id, func() {})
		})
	}
}

// TestAttackServerClockAheadHidesRevocationOfLiveSession: the database
// server's wall clock runs an hour ahead of the application's, more than
// a session's idle period. A session alive by the application's clock
// (active and idle for another minute) is cached, and a Lucia v1 app then
// revokes it with a plain DELETE. By the server's clock the session is
// already dead, but the cache must stop serving it: what the triggers log
// cannot depend on the server's clock.
func TestAttackServerClockAheadHidesRevocationOfLiveSession(t *testing.T) {
	t.Parallel()
	server, clock := pgcluster.StartServerWith(t, pgcluster.ServerOptions{FakeClock: true})
	url := server.URL("postgres")
	ctx := t.Context()
	if _, err := luciapg.MigrateConnString(ctx, url); err != nil {
		t.Fatal(err)
	}
	const ahead = time.Hour
	clock.Set(t, ahead)
	app := testdb.Pool(t, url, 2) // the Lucia v1 app
	var serverNow time.Time
	if err := app.QueryRow(ctx, `SELECT clock_timestamp()`).Scan(&serverNow); err != nil {
		t.Fatal(err)
	}
	if d := time.Until(serverNow); d < ahead-time.Minute || d > ahead+time.Minute {
		t.Fatalf("the server's clock is %v from ours; want about %v (is libfaketime working?)", d.Round(time.Second), ahead)
	}
	cache := cacheOnServer(t, url)
	if _, err := app.Exec(ctx, `INSERT INTO auth_user (id) VALUES ('u1')`); err != nil {
		t.Fatal(err)
	}
	id := sessionID("server-clock-ahead")
	expires := time.Now().Add(time.Minute).UnixMilli() // both periods, by our clock
	if _, err := app.Exec(ctx, `INSERT INTO auth_session VALUES ($1, 'u1', $2, $2)`, id, expires); err != nil {
		t.Fatal(err)
	}
	requireCached(t, cache, id)
	revokeAndRequireMiss(t, cache, app, id, func() {})
}

// TestAttackLogicalReplicationHidesRevocation: a subscriber of a logical
// replication of auth_user, auth_session and auth_key (the change log
// itself is unlogged and luciapg's own, never published) runs a cache;
// a session is revoked on the publisher. The apply worker runs with
// session_replication_role = replica, where ordinary triggers do not
// fire: the cache must still stop serving the session once the delete
// has been applied on the subscriber.
func TestAttackLogicalReplicationHidesRevocation(t *testing.T) {
	t.Parallel()
	publisher, _ := pgcluster.StartServerWith(t, pgcluster.ServerOptions{Settings: []string{"wal_level=logical"}})
	subscriber := pgcluster.StartServer(t)
	pubURL, subURL := publisher.URL("postgres"), subscriber.URL("postgres")
	ctx := t.Context()
	for _, url := range []string{pubURL, subURL} {
		if _, err := luciapg.MigrateConnString(ctx, url); err != nil {
			t.Fatal(err)
		}
	}
	pub := testdb.Pool(t, pubURL, 2)
	sub := testdb.Pool(t, subURL, 2)
	if _, err := pub.Exec(ctx, `CREATE PUBLICATION luciapg_auth FOR TABLE auth_user, auth_session, auth_key`); err != nil {
		t.Fatal(err)
	}
	if _, err := sub.Exec(ctx, fmt.Sprintf(`CREATE SUBSCRIPTION luciapg_auth
		CONNECTION 'host=127.0.0.1 port=%d user=postgres dbname=postgres' PUBLICATION luciapg_auth`, publisher.Port)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Dropped before the servers stop, or the publisher's shutdown
		// waits for the walsender.
		_, _ = sub.Exec(context.Background(), `DROP SUBSCRIPTION luciapg_auth`)
	})
	if _, err := pub.Exec(ctx, `INSERT INTO auth_user (id) VALUES ('u1')`); err != nil {
		t.Fatal(err)
	}
	id := sessionID("replicated")
	insertSession(t, pub, "u1", id)
	pgcluster.Eventually(t, "the session replicated to the subscriber", func() (bool, error) {
		var n int
		err := sub.QueryRow(ctx, `SELECT count(*) FROM auth_session WHERE id = $1`, id).Scan(&n)
		return n == 1, err
	})
	cache := cacheOnServer(t, subURL)
	requireCached(t, cache, id)
	revokeAndRequireMiss(t, cache, pub, id, func() {
		pgcluster.Eventually(t, "the delete applied on the subscriber", func() (bool, error) {
			var n int
			err := sub.QueryRow(ctx, `SELECT count(*) FROM auth_session WHERE id = $1`, id).Scan(&n)
			return n == 0, err
		})
	})
}

// cacheOnServer is a cache over a Store on url, reading url's change log,
// closed when the test ends.
func cacheOnServer(t *testing.T, url string) *sessioncache.Cache {
	t.Helper()
	cache, err := sessioncache.New(t.Context(), luciapg.New(testdb.Pool(t, url, 2)), sessioncache.Config{ConnString: url, MaxLag: testMaxLag})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cache.Close() })
	return cache
}

// insertSession inserts a session active for an hour and idle for a
// day, by the test's clock, as a Lucia v1 app would.
func insertSession(t *testing.T, pool *pgxpool.Pool, userID, id string) {
	t.Helper()
	now := time.Now()
	if _, err := pool.Exec(t.Context(), `INSERT INTO auth_session VALUES ($1, $2, $3, $4)`,
		id, userID, now.Add(time.Hour).UnixMilli(), now.Add(24*time.Hour).UnixMilli()); err != nil {
		t.Fatal(err)
	}
}

// requireCached reads id until a read is a hit.
func requireCached(t *testing.T, cache *sessioncache.Cache, id string) {
	t.Helper()
	eventually(t, "the session served from memory", func() bool {
		hits := cache.Stats().Hits
		if _, err := cache.GetSession(t.Context(), id); err != nil {
			t.Fatal(err)
		}
		return cache.Stats().Hits > hits
	})
}

// revokeAndRequireMiss deletes id through pool with plain SQL, runs
// applied (which returns once the delete has reached the cache's
// database), lets the cache read its log a few times, and requires every
// read from then on to find the session gone.
func revokeAndRequireMiss(t *testing.T, cache *sessioncache.Cache, pool *pgxpool.Pool, id string, applied func()) {
	t.Helper()
	ctx := t.Context()
	if _, err := pool.Exec(ctx, `DELETE FROM auth_session WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	applied()
	// Three reads of the log that began after the delete was applied: the
	// second began after the first ended, so after the commit.
	polls := cache.Stats().Polls
	eventually(t, "the cache reading its log", func() bool { return cache.Stats().Polls >= polls+3 })
	served := 0
	for range 20 {
		_, err := cache.GetSession(ctx, id)
		switch {
		case err == nil:
			served++
		case !errors.Is(err, luciapg.ErrInvalidSessionID):
			t.Fatal(err)
		}
	}
	if served > 0 {
		t.Fatalf("the revoked session was served %d times out of 20 after the cache read its log 3 times (stats %+v)", served, cache.Stats())
	}
}

// TestSessionCacheStartsOverWhenTransactionsOutrunItsLease: while the
// cache does not read its log, more transactions run than its lease (in
// transaction ids) covers, and a session is then deleted: past the lease
// the triggers log nothing. The cache's next read sees the ids past its
// lease, and it starts over (drops every entry, waits for the transactions
// then running) rather than serve the session. The server is the test's
// own, so that no other test's transactions use up the small lease.
func TestSessionCacheStartsOverWhenTransactionsOutrunItsLease(t *testing.T) {
	t.Parallel()
	server := pgcluster.StartServer(t)
	url := server.URL("postgres")
	ctx := t.Context()
	if _, err := luciapg.MigrateConnString(ctx, url); err != nil {
		t.Fatal(err)
	}
	app := testdb.Pool(t, url, 2)
	var holding atomic.Bool
	held, release := make(chan struct{}), make(chan struct{})
	releaseOnce := sync.OnceFunc(func() { close(release) })
	t.Cleanup(releaseOnce)
	const lease = 1000
	cache, err := sessioncache.NewWithHooks(ctx, luciapg.New(testdb.Pool(t, url, 2)), sessioncache.Config{ConnString: url, MaxLag: testMaxLag},
		sessioncache.TestHooks{LeaseXids: lease, AfterPoll: func() {
			if holding.CompareAndSwap(true, false) {
				held <- struct{}{}
				<-release
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cache.Close() })
	if _, err := app.Exec(ctx, `INSERT INTO auth_user (id) VALUES ('u1')`); err != nil {
		t.Fatal(err)
	}
	id := sessionID("outrun")
	insertSession(t, app, "u1", id)
	requireCached(t, cache, id)
	holding.Store(true)
	<-held
	// Three leases' worth of transactions, each with an id of its own.
	if _, err := app.Exec(ctx, `DO $$ BEGIN FOR i IN 1..3*`+strconv.Itoa(lease)+` LOOP PERFORM pg_current_xact_id(); COMMIT; END LOOP; END $$`); err != nil {
		t.Fatal(err)
	}
	if _, err := app.Exec(ctx, `DELETE FROM auth_session WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	var logged int
	if err := app.QueryRow(ctx, `SELECT count(*) FROM luciapg_session_cache_change`).Scan(&logged); err != nil || logged != 0 {
		t.Fatalf("the log holds %d rows (%v); want none: the delete ran past the lease", logged, err)
	}
	releaseOnce()
	eventually(t, "the cache starting over", func() bool { s := cache.Stats(); return s.Reconnects == 1 && s.Serving })
	revokeAndRequireMiss(t, cache, app, id, func() {})
}
