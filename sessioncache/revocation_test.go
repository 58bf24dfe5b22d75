package sessioncache_test

import (
	"context"
	"errors"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/internal/testdb"
	"github.com/luciapg/luciapg/sessioncache"
)

// instance is one process of an application: its own pool, Store and
// Cache over a database it shares with the others, and the changes its
// cache has applied from the log.
type instance struct {
	cache *sessioncache.Cache
	notes *appliedChanges
}

// newInstance starts a cache over a Store of its own on url, and waits
// until it serves.
func newInstance(t *testing.T, url string) *instance {
	t.Helper()
	in := &instance{notes: newChanges()}
	store := luciapg.New(testdb.Pool(t, url, 4))
	cache, err := sessioncache.NewWithHooks(t.Context(), store, sessioncache.Config{ConnString: url, MaxLag: testMaxLag},
		sessioncache.TestHooks{AfterChange: in.notes.record})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cache.Close() })
	eventually(t, "the new cache serving", func() bool { return cache.Stats().Serving })
	in.cache = cache
	return in
}

// validate reads the session with its user twice, so that the second read
// is served from memory, and fails unless both succeed.
func (in *instance) validate(t *testing.T, sessionID string) {
	t.Helper()
	for range 2 {
		if _, _, err := in.cache.GetSessionAndUser(t.Context(), sessionID); err != nil {
			t.Fatalf("validating a live session: %v", err)
		}
	}
}

// wantRefused fails unless the cache refuses the session.
func (in *instance) wantRefused(t *testing.T, what, sessionID string) {
	t.Helper()
	if _, _, err := in.cache.GetSessionAndUser(t.Context(), sessionID); !errors.Is(err, luciapg.ErrInvalidSessionID) {
		t.Fatalf("%s: the revoked session was served (error %v)", what, err)
	}
}

// wantServed fails unless the cache serves the session.
func (in *instance) wantServed(t *testing.T, what, sessionID string) {
	t.Helper()
	if _, _, err := in.cache.GetSessionAndUser(t.Context(), sessionID); err != nil {
		t.Fatalf("%s: a session not revoked was refused: %v", what, err)
	}
}

// TestRevocationReachesEveryCache: a user's revocation through one
// process's cache is refused by that cache at once, by its own eviction
// (its reading of the log is held still meanwhile), and by another
// process's cache as soon as it has applied the logged deletes (its
// promise: at its next read of the log, never later than MaxLag); the
// sessions the revocation keeps are still served by both.
func TestRevocationReachesEveryCache(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		// revoke revokes through cache as user u1, whose sessions are
		// current, a and b; u2 has other.
		revoke func(ctx context.Context, cache *sessioncache.Cache, current, a, b, other string) error
		// revoked and kept name the sessions by role; localEvictions is
		// how many cached entries the revoking cache drops itself.
		revoked, kept  []string
		localEvictions uint64
	}{
		{
			name: "DeleteUserSession",
			revoke: func(ctx context.Context, cache *sessioncache.Cache, _, a, _, _ string) error {
				return cache.DeleteUserSession(ctx, "u1", a)
			},
			revoked: []string{"a"}, kept: []string{"current", "b", "other"}, localEvictions: 1,
		},
		{
			name: "DeleteOtherUserSessions",
			revoke: func(ctx context.Context, cache *sessioncache.Cache, current, _, _, _ string) error {
				n, err := cache.DeleteOtherUserSessions(ctx, "u1", current)
				if err == nil && n != 2 {
					return errors.New("DeleteOtherUserSessions deleted other than the user's 2 other sessions")
				}
				return err
			},
			// The kept session is evicted too (all of the user's are) and
			// read again on its next use.
			revoked: []string{"a", "b"}, kept: []string{"current", "other"}, localEvictions: 3,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			url := testdb.NewURL(t)
			one, two := newInstance(t, url), newInstance(t, url)
			writer := &cacheEnv{other: testdb.Pool(t, url, 2)}
			ids := map[string]string{"current": sessionID("current"), "a": sessionID("a"), "b": sessionID("b"), "other": sessionID("other")}
			for role, id := range ids {
				user := "u1"
				if role == "other" {
					user = "u2"
				}
				writer.addSession(t, user, id)
				one.validate(t, id)
				two.validate(t, id)
			}
			if one.cache.Stats().Hits != 4 || two.cache.Stats().Hits != 4 {
				t.Fatalf("not every session cached: %+v, %+v", one.cache.Stats(), two.cache.Stats())
			}

			// Hold the revoking cache's reading of the log, so that only
			// its own eviction can make it refuse.
			writer.exec(t, `INSERT INTO auth_user (id) VALUES ('hold')`)
			release := one.notes.holdAfter(t, userPayload("hold"))
			writer.exec(t, `UPDATE auth_user SET nickname = 'held' WHERE id = 'hold'`)
			one.notes.wait(t, userPayload("hold"))

			if err := tc.revoke(t.Context(), one.cache, ids["current"], ids["a"], ids["b"], ids["other"]); err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			for _, role := range tc.revoked {
				one.wantRefused(t, "the revoking cache, at once", ids[role])
			}
			if got := one.cache.Stats().Evictions.LocalWrite; got != tc.localEvictions {
				t.Fatalf("the revoking cache evicted %d entries itself, want %d", got, tc.localEvictions)
			}
			release()
			for _, role := range tc.kept {
				one.wantServed(t, "the revoking cache", ids[role])
			}

			for _, role := range tc.revoked {
				two.notes.wait(t, sessionPayload(ids[role]))
				two.wantRefused(t, "another process's cache, once it has read the log", ids[role])
			}
			if got := two.cache.Stats().Evictions.Logged; got < uint64(len(tc.revoked)) {
				t.Fatalf("the other cache evicted %d entries from the log, want at least %d", got, len(tc.revoked))
			}
			for _, role := range tc.kept {
				two.wantServed(t, "another process's cache", ids[role])
			}
		})
	}
}

// TestCachedValidationMakesNoRoundTrip: a validation the cache answers
// reaches no database, whatever the session's metadata: it is the same
// read as before sessions had any. Round trips are counted as the writes
// of the Store's connections (pgx sends a request in one write).
func TestCachedValidationMakesNoRoundTrip(t *testing.T) {
	t.Parallel()
	url := testdb.NewURL(t)
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	writes := new(atomic.Int64)
	dial := cfg.ConnConfig.DialFunc
	cfg.ConnConfig.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return writeCountingConn{Conn: c, writes: writes}, nil
	}
	pool, err := pgxpool.NewWithConfig(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	cache, err := sessioncache.New(t.Context(), luciapg.New(pool), sessioncache.Config{ConnString: url, MaxLag: testMaxLag})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cache.Close() })
	eventually(t, "the new cache serving", func() bool { return cache.Stats().Serving })

	ctx := t.Context()
	if _, err := cache.SetUser(ctx, luciapg.User{ID: "u1"}, nil); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	session := luciapg.Session{ID: sessionID("with-origin"), UserID: "u1", ActiveExpires: now.Add(time.Hour).UnixMilli(), IdleExpires: now.Add(2 * time.Hour).UnixMilli()}
	origin := luciapg.SessionOrigin{At: now, ClientAddress: "192.0.2.1", UserAgent: "Firefox"}
	if err := cache.SetSession(luciapg.WithSessionOrigin(ctx, origin), session); err != nil {
		t.Fatal(err)
	}
	if _, _, err := cache.GetSessionAndUser(ctx, session.ID); err != nil {
		t.Fatal(err)
	}
	hits, before := cache.Stats().Hits, writes.Load()
	const validations = 100
	for range validations {
		if _, _, err := cache.GetSessionAndUser(ctx, session.ID); err != nil {
			t.Fatal(err)
		}
	}
	if got := writes.Load() - before; got != 0 {
		t.Fatalf("%d cached validations made %d round trips, want none", validations, got)
	}
	if got := cache.Stats().Hits - hits; got != validations {
		t.Fatalf("%d of %d validations were served from memory, want all (stats %+v)", got, validations, cache.Stats())
	}
}

// writeCountingConn counts the writes of a client connection: one per
// round trip.
type writeCountingConn struct {
	net.Conn
	writes *atomic.Int64
}

func (c writeCountingConn) Write(b []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(b)
}
