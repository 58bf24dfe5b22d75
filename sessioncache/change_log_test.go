package sessioncache_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/dbgen"
	"github.com/luciapg/luciapg/internal/pgcluster"
	"github.com/luciapg/luciapg/internal/testdb"
	"github.com/luciapg/luciapg/sessioncache"
)

// TestSessionCacheWaitsForTransactionsThatMissedIt: a transaction that
// changed a session before any cache ran logged nothing. A cache started
// while it is still open must not serve until it ends: otherwise it would
// cache the row as it was and serve it after the commit, forever unlogged.
func TestSessionCacheWaitsForTransactionsThatMissedIt(t *testing.T) {
	t.Parallel()
	url := testdb.NewURL(t)
	ctx := t.Context()
	pool := testdb.Pool(t, url, 2)
	id := sessionID("s1")
	now := time.Now()
	if _, err := pool.Exec(ctx, `INSERT INTO auth_user (id) VALUES ('u1')`); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO auth_session VALUES ($1, 'u1', $2, $3)`, id, now.Add(time.Hour).UnixMilli(), now.Add(2*time.Hour).UnixMilli()); err != nil {
		t.Fatal(err)
	}
	early, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer early.Close(context.Background())
	tx, err := early.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(context.Background())
	if _, err := tx.Exec(ctx, `DELETE FROM auth_session WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}

	var polls atomic.Int64
	cache, err := sessioncache.NewWithHooks(ctx, luciapg.New(pool), sessioncache.Config{ConnString: url, MaxLag: testMaxLag},
		sessioncache.TestHooks{AfterPoll: func() { polls.Add(1) }})
	if err != nil {
		t.Fatal(err)
	}
	defer cache.Close()
	eventually(t, "ten reads of the log", func() bool { return polls.Load() >= 10 })
	for range 3 {
		if _, err := cache.GetSession(ctx, id); err != nil {
			t.Fatalf("before the delete commits: %v", err)
		}
	}
	if s := cache.Stats(); s.Serving || s.Hits != 0 || s.Entries != 0 {
		t.Fatalf("stats %+v; want not serving while the early transaction is open", s)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	eventually(t, "serving once it committed", func() bool { return cache.Stats().Serving })
	for range 2 {
		if _, err := cache.GetSession(ctx, id); !errors.Is(err, luciapg.ErrInvalidSessionID) {
			t.Fatalf("after the unlogged delete committed: %v; want ErrInvalidSessionID", err)
		}
	}
}

// TestSessionCacheDeletesOnlyReadRows: caches delete the log's rows once
// every cache has read them, and the row of a transaction that stays open
// across many deletions is still there, and read, when it commits.
func TestSessionCacheDeletesOnlyReadRows(t *testing.T) {
	t.Parallel()
	env := newCacheEnv(t, sessioncache.Config{PollInterval: 5 * time.Millisecond},
		sessioncache.TestHooks{Retention: 100 * time.Millisecond, Cleanup: 50 * time.Millisecond})
	ctx := t.Context()
	slow, fast := sessionID("slow"), sessionID("fast")
	env.addSession(t, "u1", slow)
	env.addSession(t, "u2", fast)
	for _, id := range []string{slow, fast, slow, fast} {
		if _, err := env.cache.GetSession(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	logged := func() int {
		var n int
		if err := env.other.QueryRow(ctx, `SELECT count(*) FROM luciapg_session_cache_change`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	env.exec(t, `DELETE FROM auth_session WHERE id = $1`, fast)
	env.notes.wait(t, sessionPayload(fast))
	eventually(t, "the read row deleted", func() bool { return logged() == 0 })

	tx, err := env.other.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(context.Background())
	if _, err := tx.Exec(ctx, `DELETE FROM auth_session WHERE id = $1`, slow); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // several cleanups while tx is open
	if _, err := env.cache.GetSession(ctx, slow); err != nil {
		t.Fatalf("before the slow delete commits: %v", err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	env.notes.wait(t, sessionPayload(slow))
	if _, err := env.cache.GetSession(ctx, slow); !errors.Is(err, luciapg.ErrInvalidSessionID) {
		t.Fatalf("after the slow delete committed: %v", err)
	}
	eventually(t, "the slow row deleted once read", func() bool { return logged() == 0 })
}

// TestSessionCacheStopsServingWhenReadsStall: when the log has not been
// read for longer than the gap allowed (the process stalled), nothing is
// served from memory, and the cache starts over once it reads again.
func TestSessionCacheStopsServingWhenReadsStall(t *testing.T) {
	t.Parallel()
	var stall atomic.Bool
	resume := make(chan struct{})
	resumeOnce := sync.OnceFunc(func() { close(resume) })
	env := newCacheEnv(t, sessioncache.Config{}, sessioncache.TestHooks{
		MaxPollGap: 200 * time.Millisecond,
		AfterPoll: func() {
			if stall.CompareAndSwap(true, false) {
				<-resume
			}
		},
	})
	// Registered after the cache's Close, so it runs before it: a failed
	// check must not leave Close waiting for a held read.
	t.Cleanup(resumeOnce)
	ctx := t.Context()
	id := sessionID("s1")
	env.addSession(t, "u1", id)
	for range 2 {
		if _, err := env.cache.GetSession(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	stall.Store(true)
	eventually(t, "the reads stalled", func() bool { return !stall.Load() })
	time.Sleep(300 * time.Millisecond) // past the gap
	before := env.cache.Stats()
	if _, err := env.cache.GetSession(ctx, id); err != nil {
		t.Fatal(err)
	}
	// Lagged: past MaxLag (50 ms) the read goes to the Store before the
	// cache notices, at its next read, that the gap forces a start over.
	if s := env.cache.Stats(); s.Hits != before.Hits || s.Bypassed+s.Lagged != before.Bypassed+before.Lagged+1 || s.Serving {
		t.Fatalf("stats %+v; want the read sent to the Store while the log is not read", s)
	}
	resumeOnce()
	eventually(t, "serving after starting over", func() bool { s := env.cache.Stats(); return s.Serving && s.Reconnects == 1 })
}

// TestSessionCacheLogsChangesOfRolesWithoutAccessToTheLog: a Lucia v1 app
// may connect as a role allowed only its three tables; its changes are
// still logged, and its search_path cannot redirect the trigger.
func TestSessionCacheLogsChangesOfRolesWithoutAccessToTheLog(t *testing.T) {
	t.Parallel()
	env := newCacheEnv(t, sessioncache.Config{})
	ctx := t.Context()
	id := sessionID("s1")
	env.addSession(t, "u1", id)
	if _, err := env.cache.GetSession(ctx, id); err != nil {
		t.Fatal(err)
	}
	role := "lucia_app_" + strings.ToLower(strings.ReplaceAll(databaseOf(t, env.url), "-", "_"))
	admin := connectAdmin(t)
	if _, err := admin.Exec(ctx, `CREATE ROLE `+pgx.Identifier{role}.Sanitize()+` LOGIN`); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = env.other.Exec(context.Background(), `DROP OWNED BY `+pgx.Identifier{role}.Sanitize())
		_, _ = admin.Exec(context.Background(), `DROP ROLE `+pgx.Identifier{role}.Sanitize())
	})
	env.exec(t, `GRANT SELECT, INSERT, UPDATE, DELETE ON auth_user, auth_session, auth_key TO `+pgx.Identifier{role}.Sanitize())
	env.exec(t, `CREATE SCHEMA shadow AUTHORIZATION `+pgx.Identifier{role}.Sanitize())
	cfg, err := pgx.ParseConfig(env.url)
	if err != nil {
		t.Fatal(err)
	}
	cfg.User = role
	app, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close(context.Background())
	if _, err := app.Exec(ctx, `SELECT count(*) FROM luciapg_session_cache_change`); err == nil {
		t.Fatal("the app's role may read the change log; the test needs one that may not")
	}
	// A table of the same name earlier in its search_path must not catch
	// the trigger's insert.
	if _, err := app.Exec(ctx, `CREATE TABLE shadow.luciapg_session_cache_change (xid xid8, payload text);
		SET search_path = shadow, public`); err != nil {
		t.Fatal(err)
	}
	if _, err := app.Exec(ctx, `DELETE FROM public.auth_session WHERE id = $1`, id); err != nil {
		t.Fatalf("a delete by the app's role: %v", err)
	}
	env.notes.wait(t, sessionPayload(id))
	if _, err := env.cache.GetSession(ctx, id); !errors.Is(err, luciapg.ErrInvalidSessionID) {
		t.Fatalf("after the app's delete: %v", err)
	}
}

// TestSessionCacheThroughPgBouncer: the change log is read through
// PgBouncer in transaction mode, with pgx's default exec mode in the
// connection string, two caches sharing one server connection. A
// revocation through one is sent as a wake-up, which neither listens for
// through a pooler (a LISTEN would stay on a shared server connection):
// the other sees the delete at its next poll.
func TestSessionCacheThroughPgBouncer(t *testing.T) {
	t.Parallel()
	bouncer := pgcluster.StartPgBouncer(t, testdb.ServerURL(t), 1)
	url := testdb.NewURL(t)
	ctx := t.Context()
	pool := testdb.Pool(t, bouncer.URL(url, "exec"), 2)
	var caches []*sessioncache.Cache
	for range 2 {
		cache, err := sessioncache.New(ctx, luciapg.New(pool), sessioncache.Config{ConnString: bouncer.URL(url, ""), MaxLag: testMaxLag})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cache.Close() })
		caches = append(caches, cache)
	}
	id := sessionID("s1")
	now := time.Now()
	if _, err := pool.Exec(ctx, `INSERT INTO auth_user (id) VALUES ('u1')`); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO auth_session VALUES ($1, 'u1', $2, $3)`, id, now.Add(time.Hour).UnixMilli(), now.Add(2*time.Hour).UnixMilli()); err != nil {
		t.Fatal(err)
	}
	for _, cache := range caches {
		eventually(t, "serving through PgBouncer", func() bool { return cache.Stats().Serving })
		for range 2 {
			if _, err := cache.GetSession(ctx, id); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := caches[0].DeleteSession(ctx, id); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the wake-up sent through PgBouncer", func() bool { return caches[0].Stats().WakeupsSent == 1 })
	for _, cache := range caches {
		eventually(t, "the delete seen through PgBouncer", func() bool {
			_, err := cache.GetSession(ctx, id)
			return errors.Is(err, luciapg.ErrInvalidSessionID)
		})
		if s := cache.Stats(); s.Hits == 0 || s.Reconnects != 0 || !s.Serving || s.WakeupsReceived != 0 {
			t.Fatalf("stats %+v; want hits, no reconnect, serving, no wake-up received", s)
		}
	}
}

// TestSessionCacheStaysWithinMaxEntries: however the entries spread over
// the cache's locks, there are never more than MaxEntries, and the ones
// pushed out are counted.
func TestSessionCacheStaysWithinMaxEntries(t *testing.T) {
	t.Parallel()
	for _, maxEntries := range []int{1, 3, 17, 40} {
		env := newCacheEnv(t, sessioncache.Config{MaxEntries: maxEntries})
		ctx := t.Context()
		const sessions = 60
		for i := range sessions {
			id := sessionID("s" + strconv.Itoa(i))
			env.addSession(t, "u1", id)
			if _, err := env.cache.GetSession(ctx, id); err != nil {
				t.Fatal(err)
			}
			if s := env.cache.Stats(); s.Entries > maxEntries {
				t.Fatalf("MaxEntries %d: %d entries", maxEntries, s.Entries)
			}
		}
		s := env.cache.Stats()
		if s.Entries == 0 || s.Evictions.Capacity != uint64(sessions-s.Entries) {
			t.Fatalf("MaxEntries %d: stats %+v; want every session beyond the entries held counted as a capacity eviction", maxEntries, s)
		}
	}
}

// TestSessionCacheAcrossServerRestartAndCrash: a server of the test's own
// is restarted, then crashed (which empties the unlogged change log).
// Each time the cache bypasses its memory while the server is away, serves
// again with every entry dropped once it is back, and still sees changes.
func TestSessionCacheAcrossServerRestartAndCrash(t *testing.T) {
	t.Parallel()
	server := pgcluster.StartServer(t)
	url := server.URL("postgres")
	ctx := t.Context()
	if _, err := luciapg.MigrateConnString(ctx, url); err != nil {
		t.Fatal(err)
	}
	pool := testdb.Pool(t, url, 2)
	cache, err := sessioncache.New(ctx, luciapg.New(pool), sessioncache.Config{ConnString: url, MaxLag: testMaxLag})
	if err != nil {
		t.Fatal(err)
	}
	defer cache.Close()
	if _, err := pool.Exec(ctx, `INSERT INTO auth_user (id) VALUES ('u1')`); err != nil {
		t.Fatal(err)
	}
	for round, stop := range []func(){server.Stop, server.Crash} {
		id := sessionID("s" + strconv.Itoa(round))
		now := time.Now()
		if _, err := pool.Exec(ctx, `INSERT INTO auth_session VALUES ($1, 'u1', $2, $3)`, id, now.Add(time.Hour).UnixMilli(), now.Add(2*time.Hour).UnixMilli()); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if _, err := cache.GetSession(ctx, id); err != nil {
				t.Fatal(err)
			}
		}
		if s := cache.Stats(); s.Entries != 1 || !s.Serving {
			t.Fatalf("round %d: stats %+v; want the session cached", round, s)
		}
		stop()
		eventually(t, "bypassing while the server is away", func() bool { return !cache.Stats().Serving })
		if _, err := cache.GetSession(ctx, id); err == nil {
			t.Fatalf("round %d: a read while the server is away was answered", round)
		}
		server.Start(t)
		eventually(t, "serving again", func() bool { s := cache.Stats(); return s.Serving && s.Reconnects == uint64(round+1) })
		if s := cache.Stats(); s.Entries != 0 {
			t.Fatalf("round %d: stats %+v; want every entry dropped", round, s)
		}
		for range 2 {
			if _, err := cache.GetSession(ctx, id); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := pool.Exec(ctx, `DELETE FROM auth_session WHERE id = $1`, id); err != nil {
			t.Fatal(err)
		}
		eventually(t, "the delete seen after the server came back", func() bool {
			_, err := cache.GetSession(ctx, id)
			return errors.Is(err, luciapg.ErrInvalidSessionID)
		})
	}
}

// TestPollReadsTheLogByIndex: a read of the change log costs the same
// whatever the log holds: its plan scans the xid index, never the table
// (an OR of its two conditions once read all of it, 22 ms a poll at
// 60,000 rows). The log holds 50,000 rows a cache has read already: their
// xids are all below the snapshot the poll starts from, whatever other
// transactions run on the server meanwhile (xids made relative to the
// inserting transaction's own could lie above an xmin that a concurrent
// test holds back, and the planner would rightly scan them all).
func TestPollReadsTheLogByIndex(t *testing.T) {
	t.Parallel()
	pool := testdb.New(t)
	ctx := t.Context()
	var snapshot string
	var xmin int64
	if err := pool.QueryRow(ctx, `SELECT s::text, pg_snapshot_xmin(s)::text::bigint FROM pg_current_snapshot() AS s`).Scan(&snapshot, &xmin); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO luciapg_session_cache_change (xid, payload)
		SELECT (3 + g % greatest($1::bigint - 3, 1))::text::xid8, 's:' || g FROM generate_series(1, 50000) AS g`, xmin); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `ANALYZE luciapg_session_cache_change`); err != nil {
		t.Fatal(err)
	}
	rows, err := pool.Query(ctx, "EXPLAIN "+dbgen.PollSessionCacheChanges, 10_001, snapshot, snapshot)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(plan, "\n")
	if strings.Contains(text, "Seq Scan") || strings.Count(text, "luciapg_session_cache_change_xid_idx") < 2 {
		t.Fatalf("the poll does not read the log by its xid index:\n%s", text)
	}
}

// TestSessionCacheNeverServesPastMaxLag: while the change log goes unread
// (here the reader is held inside a change it applies; in a process whose
// cores are all busy, its goroutine waiting to be scheduled), a session
// deleted by another process is refused once MaxLag has passed since the
// last read began, not after the 5 s that make the cache start over, and
// the entries stay for when the reads catch up.
func TestSessionCacheNeverServesPastMaxLag(t *testing.T) {
	t.Parallel()
	const maxLag = 100 * time.Millisecond
	env := newCacheEnv(t, sessioncache.Config{MaxLag: maxLag})
	ctx := t.Context()
	deleted, kept := sessionID("deleted"), sessionID("kept")
	env.addSession(t, "u1", deleted)
	env.addSession(t, "u1", kept)
	env.exec(t, `INSERT INTO auth_user (id) VALUES ('marker')`)
	servedFromMemory := func(id string) bool {
		before := env.cache.Stats().Hits
		if _, err := env.cache.GetSession(ctx, id); err != nil {
			t.Fatal(err)
		}
		return env.cache.Stats().Hits > before
	}
	for _, id := range []string{deleted, kept} {
		eventually(t, "the session served from memory", func() bool { return servedFromMemory(id) })
	}
	release := env.notes.holdAfter(t, userPayload("marker"))
	env.exec(t, `UPDATE auth_user SET nickname = 'held' WHERE id = 'marker'`)
	env.notes.wait(t, userPayload("marker")) // the reader is now held
	env.exec(t, `DELETE FROM auth_session WHERE id = $1`, deleted)
	time.Sleep(4 * maxLag) // however slow the machine, past MaxLag
	if s, err := env.cache.GetSession(ctx, deleted); !errors.Is(err, luciapg.ErrInvalidSessionID) {
		t.Fatalf("%v after its delete committed, with the log unread, GetSession = %+v, %v; want ErrInvalidSessionID", 4*maxLag, s, err)
	}
	s := env.cache.Stats()
	if s.Serving || s.Lagged == 0 || s.Entries != 2 {
		t.Fatalf("stats %+v; want not serving, the read counted as lagged, both entries kept", s)
	}
	release()
	eventually(t, "the kept session served from memory again", func() bool { return servedFromMemory(kept) })
	if _, err := env.cache.GetSession(ctx, deleted); !errors.Is(err, luciapg.ErrInvalidSessionID) {
		t.Fatalf("after the reads caught up, the deleted session: %v", err)
	}
	if s := env.cache.Stats(); s.Reconnects != 0 || s.Evictions.Flushed != 0 {
		t.Fatalf("stats %+v after catching up; want no start over", s)
	}
}

// TestSessionCachePurgeThroughPgBouncerLeavesNoSetting: the Store's purge
// runs through PgBouncer in transaction mode, all on one server
// connection, and logs nothing; a dead session then deleted with plain SQL
// by another client of that server connection is logged: the purge's
// setting ended with each batch's transaction.
func TestSessionCachePurgeThroughPgBouncerLeavesNoSetting(t *testing.T) {
	t.Parallel()
	bouncer := pgcluster.StartPgBouncer(t, testdb.ServerURL(t), 1)
	url := testdb.NewURL(t)
	ctx := t.Context()
	cache, err := sessioncache.New(ctx, luciapg.New(testdb.Pool(t, url, 1)), sessioncache.Config{ConnString: url})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cache.Close() })
	purger := testdb.Pool(t, bouncer.URL(url, "exec"), 1)
	app := testdb.Pool(t, bouncer.URL(url, "simple_protocol"), 1) // a Lucia v1 app
	dead := time.Now().Add(-time.Minute).UnixMilli()
	if _, err := app.Exec(ctx, `INSERT INTO auth_user (id) VALUES ('u1')`); err != nil {
		t.Fatal(err)
	}
	if _, err := app.Exec(ctx, `INSERT INTO auth_session SELECT 'dead-' || g, 'u1', $1, $1 FROM generate_series(1, 10) AS g`, dead); err != nil {
		t.Fatal(err)
	}
	purged, err := luciapg.New(purger).PurgeDeadSessions(ctx, time.Now(), luciapg.PurgeOptions{BatchSize: 3})
	if err != nil || purged != 10 {
		t.Fatalf("PurgeDeadSessions deleted %d sessions (%v); want 10", purged, err)
	}
	id := sessionID("dead-after-purge")
	if _, err := app.Exec(ctx, `INSERT INTO auth_session VALUES ($1, 'u1', $2, $2)`, id, dead); err != nil {
		t.Fatal(err)
	}
	if _, err := app.Exec(ctx, `DELETE FROM auth_session WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	var logged []string
	if err := app.QueryRow(ctx, `SELECT coalesce(array_agg(payload), '{}') FROM luciapg_session_cache_change`).Scan(&logged); err != nil {
		t.Fatal(err)
	}
	if len(logged) != 1 || logged[0] != sessionPayload(id) {
		t.Fatalf("logged %q; want only %q", logged, sessionPayload(id))
	}
}
