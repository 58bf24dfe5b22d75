package sessioncache_test

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/internal/testdb"
	"github.com/luciapg/luciapg/sessioncache"
)

// TestSessionCacheServesFromMemory: the second read of a session, and of a
// session with its user, is a hit, and returns what the Store returned.
func TestSessionCacheServesFromMemory(t *testing.T) {
	t.Parallel()
	env := newCacheEnv(t, sessioncache.Config{})
	want := env.addSession(t, "u1", sessionID("s1"))
	ctx := t.Context()
	for range 2 {
		got, err := env.cache.GetSession(ctx, want.ID)
		if err != nil || got != want {
			t.Fatalf("GetSession = %+v, %v; want %+v", got, err, want)
		}
	}
	for range 2 {
		got, user, err := env.cache.GetSessionAndUser(ctx, want.ID)
		if err != nil || got != want || user.ID != "u1" || user.Attributes["nickname"] != "v0" {
			t.Fatalf("GetSessionAndUser = %+v, %+v, %v", got, user, err)
		}
		// The caller's map is its own: changing it changes no cached entry.
		user.Attributes["nickname"] = "changed by the caller"
	}
	_, user, _ := env.cache.GetSessionAndUser(ctx, want.ID)
	if user.Attributes["nickname"] != "v0" {
		t.Fatalf("a caller's change to Attributes reached the cache: %v", user.Attributes["nickname"])
	}
	// GetSession miss, hit; GetSessionAndUser miss (no user cached yet), hit, hit.
	s := env.cache.Stats()
	if s.Hits != 3 || s.Misses != 2 || !s.Serving || s.Entries != 1 {
		t.Fatalf("stats %+v; want 3 hits, 2 misses, serving, 1 entry", s)
	}
}

// TestSessionCacheOtherWritersEvict: a change made behind the cache's back
// (another process, a Lucia v1 app, psql) is seen as soon as its
// logged change has been applied, for every kind of change the triggers
// cover.
func TestSessionCacheOtherWritersEvict(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		sql     string
		payload func(sessionID string) string
		check   func(t *testing.T, session luciapg.Session, user luciapg.User, err error)
	}{
		{"delete session", `DELETE FROM auth_session WHERE id = $1`, sessionPayload, wantInvalid},
		{"update session", `UPDATE auth_session SET active_expires = active_expires + 1 WHERE id = $1`, sessionPayload,
			func(t *testing.T, session luciapg.Session, _ luciapg.User, err error) {
				if err != nil || session.ActiveExpires != session.IdleExpires-time.Hour.Milliseconds()+1 {
					t.Fatalf("after the update: %+v, %v", session, err)
				}
			}},
		{"update user", `UPDATE auth_user SET nickname = 'v1' WHERE id = (SELECT user_id FROM auth_session WHERE id = $1)`,
			func(string) string { return userPayload("u1") },
			func(t *testing.T, _ luciapg.Session, user luciapg.User, err error) {
				if err != nil || user.Attributes["nickname"] != "v1" {
					t.Fatalf("after the update: %+v, %v", user, err)
				}
			}},
		{"delete user", `WITH s AS (DELETE FROM auth_session WHERE user_id = 'u1' AND $1::text IS NOT NULL) DELETE FROM auth_user WHERE id = 'u1'`,
			func(string) string { return userPayload("u1") }, wantInvalid},
		// CASCADE: luciapg's second-factor tables reference auth_user and
		// auth_session (migration 20261207000000).
		{"truncate", `TRUNCATE auth_session, auth_key, auth_user CASCADE -- $1`, func(string) string { return "*" }, wantInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := newCacheEnv(t, sessioncache.Config{})
			id := sessionID("s1")
			env.addSession(t, "u1", id)
			ctx := t.Context()
			for range 2 {
				if _, _, err := env.cache.GetSessionAndUser(ctx, id); err != nil {
					t.Fatal(err)
				}
			}
			if env.cache.Stats().Hits != 1 {
				t.Fatalf("not cached: %+v", env.cache.Stats())
			}
			sql := tc.sql
			args := []any{id}
			if strings.Contains(sql, "-- $1") {
				args = nil
			}
			env.exec(t, sql, args...)
			env.notes.wait(t, tc.payload(id))
			session, user, err := env.cache.GetSessionAndUser(ctx, id)
			tc.check(t, session, user, err)
			if s := env.cache.Stats(); s.Evictions.Logged+s.Evictions.Flushed == 0 {
				t.Fatalf("no eviction counted: %+v", s)
			}
		})
	}
}

func wantInvalid(t *testing.T, session luciapg.Session, _ luciapg.User, err error) {
	t.Helper()
	if !errors.Is(err, luciapg.ErrInvalidSessionID) {
		t.Fatalf("after the change: %+v, %v; want ErrInvalidSessionID", session, err)
	}
}

// TestSessionCacheLocalWritesEvict: a write through the cache is seen by
// the next read at once. The log's reader is held still throughout, so no
// logged change can do the evicting.
func TestSessionCacheLocalWritesEvict(t *testing.T) {
	t.Parallel()
	env := newCacheEnv(t, sessioncache.Config{})
	ctx := t.Context()
	env.exec(t, `INSERT INTO auth_user (id) VALUES ('hold')`)
	release := env.notes.holdAfter(t, userPayload("hold"))
	env.exec(t, `UPDATE auth_user SET nickname = 'held' WHERE id = 'hold'`)
	env.notes.wait(t, userPayload("hold"))
	defer release()
	cached := func(id string) {
		t.Helper()
		for range 2 {
			if _, _, err := env.cache.GetSessionAndUser(ctx, id); err != nil {
				t.Fatal(err)
			}
		}
	}
	a, b, c := sessionID("a"), sessionID("b"), sessionID("c")
	env.addSession(t, "u1", a)
	env.addSession(t, "u1", b)
	env.addSession(t, "u2", c)

	cached(a)
	extended, err := env.cache.ExtendSession(ctx, a, time.Now().Add(3*time.Hour).UnixMilli(), time.Now().Add(4*time.Hour).UnixMilli())
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := env.cache.GetSession(ctx, a); got != extended {
		t.Fatalf("after ExtendSession: %+v; want %+v", got, extended)
	}

	cached(a)
	if _, err := env.cache.UpdateUserAttributes(ctx, "u1", map[string]any{"nickname": "v9"}); err != nil {
		t.Fatal(err)
	}
	if _, user, _ := env.cache.GetSessionAndUser(ctx, a); user.Attributes["nickname"] != "v9" {
		t.Fatalf("after UpdateUserAttributes: %v", user.Attributes)
	}

	cached(a)
	if err := env.cache.DeleteSession(ctx, a); err != nil {
		t.Fatal(err)
	}
	if _, err := env.cache.GetSession(ctx, a); !errors.Is(err, luciapg.ErrInvalidSessionID) {
		t.Fatalf("after DeleteSession: %v", err)
	}

	cached(b)
	if err := env.cache.DeleteSessionsByUserID(ctx, "u1"); err != nil {
		t.Fatal(err)
	}
	if _, err := env.cache.GetSession(ctx, b); !errors.Is(err, luciapg.ErrInvalidSessionID) {
		t.Fatalf("after DeleteSessionsByUserID: %v", err)
	}

	cached(c)
	if err := env.cache.DeleteUser(ctx, "u2"); err != nil {
		t.Fatal(err)
	}
	if _, err := env.cache.GetSession(ctx, c); !errors.Is(err, luciapg.ErrInvalidSessionID) {
		t.Fatalf("after DeleteUser: %v", err)
	}
	if s := env.cache.Stats(); s.Evictions.LocalWrite != 5 || s.Evictions.Logged != 0 {
		t.Fatalf("stats %+v; want the 5 entries evicted by the local writes", s)
	}
}

// TestSessionCacheRefusesAReadThatRacedAChange: the classic race. A read
// fetches the row, the row is deleted (or its user changed) and the
// logged change applied, and only then would the read cache what it
// fetched. The epoch check refuses it, so the next read goes to the Store.
func TestSessionCacheRefusesAReadThatRacedAChange(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, sql string
		payload   string
		check     func(t *testing.T, session luciapg.Session, user luciapg.User, err error)
	}{
		{"delete", `DELETE FROM auth_session WHERE id = $1`, sessionPayload(sessionID("s1")), wantInvalid},
		{"user update", `UPDATE auth_user SET nickname = 'v1' WHERE id = 'u1' AND $1::text IS NOT NULL`, userPayload("u1"),
			func(t *testing.T, _ luciapg.Session, user luciapg.User, err error) {
				if err != nil || user.Attributes["nickname"] != "v1" {
					t.Fatalf("served the user as read before the update: %+v, %v", user, err)
				}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			id := sessionID("s1")
			var env *cacheEnv
			var raced atomic.Bool
			env = newCacheEnv(t, sessioncache.Config{}, sessioncache.TestHooks{BeforeInsert: func() {
				if raced.CompareAndSwap(false, true) {
					env.exec(t, tc.sql, id)
					env.notes.wait(t, tc.payload)
				}
			}})
			env.addSession(t, "u1", id)
			ctx := t.Context()
			// This read began before the change: what it returns was true then.
			if _, _, err := env.cache.GetSessionAndUser(ctx, id); err != nil {
				t.Fatal(err)
			}
			session, user, err := env.cache.GetSessionAndUser(ctx, id)
			tc.check(t, session, user, err)
			if s := env.cache.Stats(); s.InsertsRefused != 1 || s.Hits != 0 {
				t.Fatalf("stats %+v; want 1 refused insert and no hit", s)
			}
		})
	}
}

// TestSessionCacheEntryEndsWithActivePeriodAndStaleness: an entry is not
// served once its session's active period is over (the idle session must
// reach the Store to be renewed), nor after MaxStaleness.
func TestSessionCacheEntryEndsWithActivePeriodAndStaleness(t *testing.T) {
	t.Parallel()
	var clock atomic.Int64
	start := time.Now()
	clock.Store(start.UnixNano())
	now := func() time.Time { return time.Unix(0, clock.Load()) }
	env := newCacheEnv(t, sessioncache.Config{MaxStaleness: 10 * time.Minute, Now: now})
	ctx := t.Context()

	short := sessionID("short")
	env.exec(t, `INSERT INTO auth_user (id) VALUES ('u1')`)
	env.exec(t, `INSERT INTO auth_session VALUES ($1, 'u1', $2, $3)`, short,
		start.Add(time.Minute).UnixMilli(), start.Add(time.Hour).UnixMilli())
	long := env.addSession(t, "u1", sessionID("long"))

	read := func(id string) {
		t.Helper()
		if _, err := env.cache.GetSession(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	read(short)
	read(short)
	read(long.ID)
	read(long.ID)
	if s := env.cache.Stats(); s.Hits != 2 {
		t.Fatalf("not cached: %+v", s)
	}

	clock.Store(start.Add(time.Minute).UnixNano()) // short's active period ends
	read(short)
	read(short)
	read(long.ID)
	if s := env.cache.Stats(); s.Hits != 3 || s.Evictions.Expired != 1 {
		t.Fatalf("stats %+v; want short's entry expired and never cached again, long's still served", s)
	}

	clock.Store(start.Add(10 * time.Minute).UnixNano()) // MaxStaleness after long was read
	read(long.ID)
	if s := env.cache.Stats(); s.Hits != 3 || s.Evictions.Expired != 2 {
		t.Fatalf("stats %+v; want long's entry expired by MaxStaleness", s)
	}
}

// TestSessionCacheConnectionLoss: while the change log's connection is gone
// (terminated, and the server refusing connections as during a restart)
// nothing is served from memory; when the log is read again every entry
// is gone, including one whose delete was made in the gap.
func TestSessionCacheConnectionLoss(t *testing.T) {
	t.Parallel()
	env := newCacheEnv(t, sessioncache.Config{})
	ctx := t.Context()
	deleted, kept := sessionID("deleted"), sessionID("kept")
	env.addSession(t, "u1", deleted)
	env.addSession(t, "u1", kept)
	for _, id := range []string{deleted, kept, deleted, kept} {
		if _, err := env.cache.GetSession(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	if s := env.cache.Stats(); s.Hits != 2 {
		t.Fatalf("not cached: %+v", s)
	}

	database := databaseOf(t, env.url)
	admin := connectAdmin(t)
	db := pgx.Identifier{database}.Sanitize()
	// The writer and the Store keep the connections they have; the
	// cache gets none until the "restart" is over.
	writer, err := pgx.Connect(ctx, env.url)
	if err != nil {
		t.Fatal(err)
	}
	defer writer.Close(context.Background())
	if _, err := admin.Exec(ctx, "ALTER DATABASE "+db+" ALLOW_CONNECTIONS false"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = admin.Exec(context.Background(), "ALTER DATABASE "+db+" ALLOW_CONNECTIONS true") })
	terminateLogReader(t, admin, database)
	eventually(t, "bypassing after the termination", func() bool { return !env.cache.Stats().Serving })

	// Made while the cache cannot read the log.
	if _, err := writer.Exec(ctx, `DELETE FROM auth_session WHERE id = $1`, deleted); err != nil {
		t.Fatal(err)
	}
	if _, err := env.cache.GetSession(ctx, deleted); !errors.Is(err, luciapg.ErrInvalidSessionID) {
		t.Fatalf("while bypassing, the deleted session: %v", err)
	}
	if _, err := env.cache.GetSession(ctx, kept); err != nil {
		t.Fatal(err)
	}
	if s := env.cache.Stats(); s.Hits != 2 || s.Bypassed != 2 || s.Entries != 0 {
		t.Fatalf("stats while bypassing %+v; want no new hit, 2 bypassed reads, no entries", s)
	}

	if _, err := admin.Exec(ctx, "ALTER DATABASE "+db+" ALLOW_CONNECTIONS true"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "serving again", func() bool { s := env.cache.Stats(); return s.Serving && s.Reconnects == 1 })
	if _, err := env.cache.GetSession(ctx, deleted); !errors.Is(err, luciapg.ErrInvalidSessionID) {
		t.Fatalf("after reconnecting, the session deleted in the gap: %v", err)
	}
	before := env.cache.Stats()
	if _, err := env.cache.GetSession(ctx, kept); err != nil {
		t.Fatal(err)
	}
	if after := env.cache.Stats(); after.Misses != before.Misses+1 || after.Evictions.Flushed < 2 {
		t.Fatalf("stats after reconnecting %+v; want kept's read a miss and both entries flushed", after)
	}

	// A plain termination, the server accepting at once: back to serving.
	terminateLogReader(t, admin, database)
	eventually(t, "serving after a second termination", func() bool { s := env.cache.Stats(); return s.Serving && s.Reconnects == 2 })
	if _, err := writer.Exec(ctx, `DELETE FROM auth_session WHERE id = $1`, kept); err != nil {
		t.Fatal(err)
	}
	env.notes.wait(t, sessionPayload(kept))
	if _, err := env.cache.GetSession(ctx, kept); !errors.Is(err, luciapg.ErrInvalidSessionID) {
		t.Fatalf("after the second reconnection, a logged delete: %v", err)
	}
}

// TestSessionCacheChangeLogHoldsNoSessionID: the log names a changed
// session by the SHA-256 of its id, never the id (a bearer secret); the
// Store's purge of ten thousand dead sessions logs nothing, while any other
// delete is logged, a dead session's included (whether it is dead is not
// the server's clock's to say); and with no cache running nothing is logged
// at all.
func TestSessionCacheChangeLogHoldsNoSessionID(t *testing.T) {
	t.Parallel()
	live, deadID := sessionID("live"), sessionID("dead")
	for _, tc := range []struct {
		name      string
		withCache bool
		want      []string
	}{
		{"a cache reads the log", true, []string{sessionPayload(deadID), sessionPayload(live)}},
		{"no cache", false, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			url := testdb.NewURL(t)
			if tc.withCache {
				cache, err := sessioncache.New(t.Context(), luciapg.New(testdb.Pool(t, url, 1)), sessioncache.Config{ConnString: url})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = cache.Close() })
			}
			writer := testdb.Pool(t, url, 1)
			changeLivingAndDeadSessions(t, writer, live)
			var logged []string
			if err := writer.QueryRow(t.Context(), `SELECT coalesce(array_agg(payload), '{}') FROM luciapg_session_cache_change`).Scan(&logged); err != nil {
				t.Fatal(err)
			}
			slices.Sort(logged)
			want := slices.Sorted(slices.Values(tc.want))
			if !slices.Equal(logged, want) {
				t.Fatalf("logged %d rows, %.3q...; want %q", len(logged), logged, want)
			}
			for _, payload := range logged {
				if strings.Contains(payload, strings.TrimSpace(live)) {
					t.Fatalf("payload %q holds the session id", payload)
				}
			}
		})
	}
}

// changeLivingAndDeadSessions makes one live and 10,001 dead sessions,
// deletes a dead one with plain SQL, purges the dead ones with
// Store.PurgeDeadSessions and deletes the live one.
func changeLivingAndDeadSessions(t *testing.T, writer *pgxpool.Pool, live string) {
	t.Helper()
	now := time.Now()
	dead := sessionID("dead")
	for _, step := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO auth_user (id) VALUES ('u1')`, nil},
		{`INSERT INTO auth_session VALUES ($1, 'u1', $2, $2)`, []any{dead, now.Add(-time.Minute).UnixMilli()}},
		{`INSERT INTO auth_session SELECT 'dead-' || g, 'u1', $1, $1 FROM generate_series(1, 10000) AS g`, []any{now.Add(-time.Minute).UnixMilli()}},
		{`INSERT INTO auth_session VALUES ($1, 'u1', $2, $2)`, []any{live, now.Add(time.Hour).UnixMilli()}},
		{`DELETE FROM auth_session WHERE id = $1`, []any{dead}},
	} {
		if _, err := writer.Exec(t.Context(), step.sql, step.args...); err != nil {
			t.Fatalf("%s: %v", step.sql, err)
		}
	}
	purged, err := luciapg.New(writer).PurgeDeadSessions(t.Context(), now, luciapg.PurgeOptions{})
	if err != nil || purged != 10000 {
		t.Fatalf("PurgeDeadSessions deleted %d sessions (%v); want 10000", purged, err)
	}
	if _, err := writer.Exec(t.Context(), `DELETE FROM auth_session WHERE id = $1`, live); err != nil {
		t.Fatal(err)
	}
}

// TestSessionCacheStress: readers, deletes (through the cache and behind
// its back) and user updates all at once. No read that begins after a
// delete's logged change was applied (or a delete through the cache
// returned) returns the session, and none that begins after an update's
// logged change was applied returns an older user.
func TestSessionCacheStress(t *testing.T) {
	t.Parallel()
	const users, perUser, readers, updates = 6, 20, 4, 12
	env := newCacheEnv(t, sessioncache.Config{})
	ctx := t.Context()
	var ids []string
	owner := map[string]int{}
	for u := range users {
		for s := range perUser {
			id := sessionID(strings.Repeat(string(rune('a'+u)), 2) + string(rune('a'+s)))
			env.addSession(t, userName(u), id)
			ids = append(ids, id)
			owner[id] = u
		}
	}
	deleted := make([]atomic.Bool, len(ids))
	version := make([]atomic.Int64, users) // the newest nickname a read must show

	var writers sync.WaitGroup
	writers.Add(2 + users)
	go func() { // deletes behind the cache's back: the even sessions, a third of them
		defer writers.Done()
		for i := 0; i < len(ids); i += 6 {
			if _, err := env.other.Exec(ctx, `DELETE FROM auth_session WHERE id = $1`, ids[i]); err != nil {
				t.Error(err)
				return
			}
			if err := env.notes.waitErr(sessionPayload(ids[i])); err != nil {
				t.Error(err)
				return
			}
			deleted[i].Store(true)
		}
	}()
	go func() { // deletes through the cache: evicted before they return
		defer writers.Done()
		for i := 3; i < len(ids); i += 6 {
			if err := env.cache.DeleteSession(ctx, ids[i]); err != nil {
				t.Error(err)
				return
			}
			deleted[i].Store(true)
		}
	}()
	for u := range users {
		go func() { // one updater per user, so each waits for its own logged changes
			defer writers.Done()
			for v := int64(1); v <= updates; v++ {
				if _, err := env.other.Exec(ctx, `UPDATE auth_user SET nickname = $1 WHERE id = $2`, nickname(v), userName(u)); err != nil {
					t.Error(err)
					return
				}
				if err := env.notes.waitErr(userPayload(userName(u))); err != nil {
					t.Error(err)
					return
				}
				version[u].Store(v)
			}
		}()
	}
	var done atomic.Bool
	go func() { writers.Wait(); done.Store(true) }()

	var readersDone sync.WaitGroup
	var served atomic.Int64
	for r := range readers {
		readersDone.Add(1)
		go func() {
			defer readersDone.Done()
			for n := r; !done.Load() || n < 2000; n++ {
				i := (n * 7919) % len(ids)
				id := ids[i]
				wasDeleted := deleted[i].Load()
				minVersion := version[owner[id]].Load()
				_, user, err := env.cache.GetSessionAndUser(ctx, id)
				if errors.Is(err, luciapg.ErrInvalidSessionID) {
					continue
				}
				if err != nil {
					t.Error(err)
					return
				}
				served.Add(1)
				if wasDeleted {
					t.Errorf("served session %d after its logged delete was applied", i)
				}
				got, _ := user.Attributes["nickname"].(string)
				if v, err := strconv.ParseInt(strings.TrimPrefix(got, "v"), 10, 64); err != nil || v < minVersion {
					t.Errorf("served user %s with %q after %s was applied", user.ID, got, nickname(minVersion))
				}
			}
		}()
	}
	readersDone.Wait()
	s := env.cache.Stats()
	t.Logf("%d reads served; stats %+v", served.Load(), s)
	if s.Hits == 0 || s.Evictions.Logged == 0 {
		t.Fatalf("the stress never hit the cache or never evicted on a logged change: %+v", s)
	}
}

func userName(u int) string { return "user-" + string(rune('a'+u)) }

// nickname is the attribute value of a user's version v; addSession
// stores version 0.
func nickname(v int64) string { return "v" + strconv.FormatInt(v, 10) }

// TestSessionCacheKeepsReadingTheLog: the change log is read every
// PollInterval on one connection, and changes still arrive after many
// empty reads.
func TestSessionCacheKeepsReadingTheLog(t *testing.T) {
	t.Parallel()
	polls := make(chan struct{}, 100)
	env := newCacheEnv(t, sessioncache.Config{PollInterval: 5 * time.Millisecond}, sessioncache.TestHooks{AfterPoll: func() {
		select {
		case polls <- struct{}{}:
		default:
		}
	}})
	id := sessionID("s1")
	env.addSession(t, "u1", id)
	ctx := t.Context()
	if _, err := env.cache.GetSession(ctx, id); err != nil {
		t.Fatal(err)
	}
	deadline := time.After(30 * time.Second)
	for range 20 {
		select {
		case <-polls:
		case <-deadline:
			t.Fatal("fewer than 20 reads of the log in 30 s")
		}
	}
	env.exec(t, `DELETE FROM auth_session WHERE id = $1`, id)
	env.notes.wait(t, sessionPayload(id))
	if _, err := env.cache.GetSession(ctx, id); !errors.Is(err, luciapg.ErrInvalidSessionID) {
		t.Fatalf("after the delete: %v", err)
	}
	if s := env.cache.Stats(); s.Reconnects != 0 || !s.Serving || s.Polls < 20 {
		t.Fatalf("stats %+v; want still serving on the first connection after 20 reads", s)
	}
}

// TestSessionCacheSurvivesForgedChanges: a role that may write the change
// log may write anything into it. A payload the cache does not understand
// (too long, not hex, unknown kind) drops every entry, the safe answer,
// and the cache keeps serving.
func TestSessionCacheSurvivesForgedChanges(t *testing.T) {
	t.Parallel()
	env := newCacheEnv(t, sessioncache.Config{})
	id := sessionID("s1")
	env.addSession(t, "u1", id)
	ctx := t.Context()
	for _, payload := range []string{
		"s:" + strings.Repeat("ab", 100),
		"u:" + strings.Repeat("zz", 32),
		"x:" + hexSHA256(id),
		"",
	} {
		for range 2 {
			if _, err := env.cache.GetSession(ctx, id); err != nil {
				t.Fatal(err)
			}
		}
		before := env.cache.Stats()
		env.exec(t, `INSERT INTO luciapg_session_cache_change (payload) VALUES ($1)`, payload)
		env.notes.wait(t, payload)
		if s := env.cache.Stats(); !s.Serving || s.Reconnects != 0 || s.Evictions.Flushed != before.Evictions.Flushed+1 {
			t.Fatalf("after payload %.20q: stats %+v; want still serving, the entry flushed", payload, s)
		}
	}
}

// TestSessionCacheShareAttributes: with ShareAttributes every hit returns
// the cached map itself, the read that fills the entry returns a map of its
// own, and a change to the user puts a new map in a new entry without
// touching the one handed out.
func TestSessionCacheShareAttributes(t *testing.T) {
	t.Parallel()
	env := newCacheEnv(t, sessioncache.Config{ShareAttributes: true})
	session := env.addSession(t, "u1", sessionID("s1"))
	ctx := t.Context()
	read := func() map[string]any {
		t.Helper()
		_, user, err := env.cache.GetSessionAndUser(ctx, session.ID)
		if err != nil {
			t.Fatal(err)
		}
		return user.Attributes
	}
	filled := read() // a miss: the Store's map, not the entry's
	filled["nickname"] = "changed by the first caller"
	first, second := read(), read()
	if reflect.ValueOf(first).UnsafePointer() != reflect.ValueOf(second).UnsafePointer() {
		t.Fatal("two hits returned two maps; want the cached map itself")
	}
	if first["nickname"] != "v0" {
		t.Fatalf("the entry holds nickname %v; the map returned by the read that filled it reached it", first["nickname"])
	}
	env.exec(t, `UPDATE auth_user SET nickname = 'v1' WHERE id = 'u1'`)
	env.notes.wait(t, userPayload("u1"))
	if got := read(); got["nickname"] != "v1" {
		t.Fatalf("after the update, nickname %v; want v1", got["nickname"])
	}
	if first["nickname"] != "v0" {
		t.Fatalf("the map handed out before the update now holds %v: the cache wrote into it", first["nickname"])
	}
	if s := env.cache.Stats(); s.Hits != 2 || s.Misses != 2 {
		t.Fatalf("stats %+v; want 2 hits and 2 misses", s)
	}
}

// TestSessionCachePurgeLeavesOnlyItsOwnDeadUnlogged: the Store's purge
// leaves unlogged only the sessions it deletes that were dead by the
// earlier of its now and the process's clock. A purge told a now in the
// future logs the live sessions it deletes; a purge inside a caller's
// transaction leaves that transaction's later deletes logged.
func TestSessionCachePurgeLeavesOnlyItsOwnDeadUnlogged(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	url := testdb.NewURL(t)
	cache, err := sessioncache.New(ctx, luciapg.New(testdb.Pool(t, url, 1)), sessioncache.Config{ConnString: url})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cache.Close() })
	writer := testdb.Pool(t, url, 1)
	now := time.Now()
	dead, live, late := sessionID("purged-dead"), sessionID("purged-live"), sessionID("dead-after-purge")
	for _, step := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO auth_user (id) VALUES ('u1')`, nil},
		{`INSERT INTO auth_session VALUES ($1, 'u1', $2, $2)`, []any{dead, now.Add(-time.Minute).UnixMilli()}},
		{`INSERT INTO auth_session VALUES ($1, 'u1', $2, $2)`, []any{live, now.Add(time.Hour).UnixMilli()}},
	} {
		if _, err := writer.Exec(ctx, step.sql, step.args...); err != nil {
			t.Fatalf("%s: %v", step.sql, err)
		}
	}
	tx, err := writer.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(context.Background()) }()
	purged, err := luciapg.New(tx).PurgeDeadSessions(ctx, now.Add(2*time.Hour), luciapg.PurgeOptions{BatchSize: 1})
	if err != nil || purged != 2 {
		t.Fatalf("PurgeDeadSessions deleted %d sessions (%v); want 2", purged, err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO auth_session VALUES ($1, 'u1', $2, $2)`, late, now.Add(-time.Minute).UnixMilli()); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM auth_session WHERE id = $1`, late); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	var logged []string
	if err := writer.QueryRow(ctx, `SELECT coalesce(array_agg(payload ORDER BY payload), '{}') FROM luciapg_session_cache_change`).Scan(&logged); err != nil {
		t.Fatal(err)
	}
	want := slices.Sorted(slices.Values([]string{sessionPayload(live), sessionPayload(late)}))
	if !slices.Equal(logged, want) {
		t.Fatalf("logged %q; want %q (the live session the purge deleted, and the delete after it)", logged, want)
	}
}
