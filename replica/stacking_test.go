package replica_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/adaptertest"
	"github.com/luciapg/luciapg/auth"
	"github.com/luciapg/luciapg/internal/pgcluster"
	"github.com/luciapg/luciapg/internal/testdb"
	"github.com/luciapg/luciapg/replica"
	"github.com/luciapg/luciapg/sessioncache"
)

// TestCacheOverRouterConformance runs the conformance suite through the
// whole stack, a session cache over a router over a Store, with the
// primary as its own standby: every call reaches the database and comes
// back as a Store's would.
func TestCacheOverRouterConformance(t *testing.T) {
	t.Parallel()
	adaptertest.Run(t, adaptertest.Harness{
		New: func(t *testing.T) (luciapg.Adapter, adaptertest.Storage) {
			url := testdb.NewURL(t)
			pool := testdb.Pool(t, url, conformancePoolSize)
			router := newRouter(t, pool, pool, replica.Config{})
			cache, err := sessioncache.New(t.Context(), router, sessioncache.Config{ConnString: url, MaxLag: 5 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = cache.Close() })
			return cache, adaptertest.SQLStorage(pool)
		},
		Concurrency: 8 * conformancePoolSize,
	})
}

// TestCacheOverRouterOverStandby stacks a session cache over a router over
// a real primary and streaming standby. A standby whose replay is paused
// still holds a session revoked on the primary, and the router may read it
// there for as long as its lag bound allows (10 s here). The cache must
// never keep that stale read: once it has seen the revocation, a read the
// standby answers with the revoked session is passed on (the router's
// bound) but never cached, so the cache does not serve it again.
func TestCacheOverRouterOverStandby(t *testing.T) {
	t.Parallel()
	r := newReplicated(t)
	ctx := context.Background()
	// 10 s: long enough that the paused standby stays in use for the whole
	// check on a loaded machine. The cache keeps nothing it read in the
	// first 10 s, nor a session or user in the 10 s after it changed.
	router := r.router(t, 10*time.Second)
	cache, err := sessioncache.New(ctx, router, sessioncache.Config{
		ConnString: r.cluster.Primary.URL("postgres"),
		MaxLag:     5 * time.Second, // a busy CI machine polls late; not what this test is about
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cache.Close() })
	pgcluster.Eventually(t, "the cache serving", func() (bool, error) { return cache.Stats().Serving, nil })
	a, err := auth.New(cache, auth.Config{})
	if err != nil {
		t.Fatal(err)
	}

	// A fresh session validates through the whole stack and is then
	// served from memory.
	t.Run("ValidatesAndCaches", func(t *testing.T) {
		user, err := a.CreateUser(ctx, auth.CreateUserParams{})
		if err != nil {
			t.Fatal(err)
		}
		session, err := a.CreateSession(ctx, user.ID)
		if err != nil {
			t.Fatal(err)
		}
		validateUntilCached(t, cache, a, session.ID)
	})

	for _, revoke := range []struct {
		name string
		// revoke deletes the session, and waitSeen returns once the cache
		// has seen it.
		revoke func(t *testing.T, sessionID string)
	}{
		{"RevokedThroughTheCache", func(t *testing.T, sessionID string) {
			if err := a.InvalidateSession(ctx, sessionID); err != nil {
				t.Fatal(err)
			}
		}},
		// A user's own revocations (issue 23), through the cache: each
		// evicts locally as InvalidateSession does.
		{"RevokedByDeleteUserSession", func(t *testing.T, sessionID string) {
			if err := cache.DeleteUserSession(ctx, "u-"+sessionID, sessionID); err != nil {
				t.Fatal(err)
			}
		}},
		{"RevokedByDeleteOtherUserSessions", func(t *testing.T, sessionID string) {
			if n, err := cache.DeleteOtherUserSessions(ctx, "u-"+sessionID, ""); err != nil || n != 1 {
				t.Fatalf("DeleteOtherUserSessions = %d, %v; want the user's 1 session deleted", n, err)
			}
		}},
		{"RevokedByAnotherProcess", func(t *testing.T, sessionID string) {
			logged := cache.Stats().Evictions.Logged
			if err := r.primary.DeleteSession(ctx, sessionID); err != nil {
				t.Fatal(err)
			}
			pgcluster.Eventually(t, "the cache to read the revocation from the change log", func() (bool, error) {
				return cache.Stats().Evictions.Logged > logged, nil
			})
		}},
	} {
		t.Run(revoke.name, func(t *testing.T) {
			id := (revoke.name + strings.Repeat("x", 40))[:40] // the auth core's length
			r.newSession(t, "u-"+id, id)
			validateUntilCached(t, cache, a, id)
			r.pauseReplay(t)
			revoke.revoke(t, id)

			// The paused standby still has the session: the router, within
			// its bound, answers the cache's miss with it.
			standbyReads := router.Stats().StandbyReads
			if _, err := cache.GetSession(ctx, id); err != nil {
				t.Fatalf("the first read after the revocation was refused (%v): the standby is not stale, the test proves nothing", err)
			}
			if router.Stats().StandbyReads == standbyReads {
				t.Fatal("the read after the revocation did not come from the standby: the test proves nothing")
			}
			// The cache did not keep it: every further read misses and
			// goes down the stack again.
			hits := cache.Stats().Hits
			for range 20 {
				if _, _, err := cache.GetSessionAndUser(ctx, id); err != nil && !errors.Is(err, luciapg.ErrInvalidSessionID) {
					t.Fatal(err)
				}
			}
			if got := cache.Stats().Hits - hits; got != 0 {
				t.Fatalf("the cache served the revoked session from memory %d times after seeing its revocation", got)
			}
		})
	}
}

// validateUntilCached validates sessionID through a until a validation is
// served from memory. A read that ran while the cache applied another
// change is rightly not cached, so it retries rather than expecting the
// second call to hit.
func validateUntilCached(t *testing.T, cache *sessioncache.Cache, a *auth.Auth, sessionID string) {
	t.Helper()
	pgcluster.Eventually(t, "a validation served from memory", func() (bool, error) {
		hits := cache.Stats().Hits
		if _, _, err := a.ValidateSessionUser(context.Background(), sessionID); err != nil {
			return false, err
		}
		return cache.Stats().Hits > hits, nil
	})
}
