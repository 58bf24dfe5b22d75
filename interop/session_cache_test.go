package interop

import (
	"errors"
	"testing"
	"time"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
	"github.com/luciapg/luciapg/sessioncache"
)

// TestLuciaV1WritesReachTheGoSessionCache: a Go service validating
// sessions from a SessionCache sees every change the Lucia v1 app makes
// on the same database: a logout, a renewal (Lucia's validateSession of an
// idle session), the deletion of a user. Lucia v1 knows nothing of the
// cache; the triggers log what it does.
func TestLuciaV1WritesReachTheGoSessionCache(t *testing.T) {
	t.Parallel()
	db := newSharedDatabase(t)
	ctx := t.Context()
	cache, err := sessioncache.New(ctx, luciapg.New(db.pool), sessioncache.Config{ConnString: db.url})
	if err != nil {
		t.Fatal(err)
	}
	defer cache.Close()
	eventually(t, "the cache serving", func() bool { return cache.Stats().Serving })
	goApp, err := auth.New(cache, auth.Config{})
	if err != nil {
		t.Fatal(err)
	}
	// validateUntilCached validates a session until a validation is served from
	// memory. The first read of a session may not be cached when another
	// change is applied while it runs (the cache cannot tell it apart), so
	// this retries rather than expecting the second call to hit.
	validateUntilCached := func(sessionID string) {
		t.Helper()
		eventually(t, "a validation served from memory", func() bool {
			hits := cache.Stats().Hits
			if _, _, err := goApp.ValidateSessionUser(ctx, sessionID); err != nil {
				t.Fatalf("Go validating Lucia's session: %v", err)
			}
			return cache.Stats().Hits > hits
		})
	}
	wantRefused := func(what, sessionID string) {
		t.Helper()
		eventually(t, what, func() bool {
			_, _, err := goApp.ValidateSessionUser(ctx, sessionID)
			return errors.Is(err, luciapg.ErrInvalidSessionID)
		})
	}

	userID := db.lucia.createUser("username", "ada", nil)

	// A logout in the Lucia app.
	loggedOut := db.lucia.createSession(userID)
	validateUntilCached(loggedOut.SessionID)
	db.lucia.invalidateSession(loggedOut.SessionID)
	wantRefused("the Lucia logout seen by the Go cache", loggedOut.SessionID)

	// A session made idle behind both apps' backs, then renewed by the
	// Lucia app (a new session; Lucia v1 leaves the old one to expire).
	// The Go cache must not go on serving the old one as active: Go finds
	// it idle and renews it (in place, as luciapg's auth core does).
	idle := db.lucia.createSession(userID)
	validateUntilCached(idle.SessionID)
	db.makeIdle(t, idle.SessionID)
	renewed, err := db.lucia.validateSession(idle.SessionID)
	if err != nil {
		t.Fatal(err)
	}
	if renewed.SessionID == idle.SessionID {
		t.Fatal("Lucia did not renew the idle session")
	}
	eventually(t, "the Go cache no longer serving the idle session as active", func() bool {
		session, _, err := goApp.ValidateSessionUser(ctx, idle.SessionID)
		if err != nil {
			t.Fatal(err)
		}
		return session.Fresh // renewed by Go: it reached the Store and found it idle
	})
	validateUntilCached(renewed.SessionID)

	// Lucia deletes the user: every one of its sessions goes.
	other := db.lucia.createSession(userID)
	validateUntilCached(other.SessionID)
	db.lucia.deleteUser(userID)
	wantRefused("the Lucia user deletion seen by the Go cache (renewed session)", renewed.SessionID)
	wantRefused("the Lucia user deletion seen by the Go cache (other session)", other.SessionID)
}

// eventually polls cond until it holds, failing the test after 30 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after 30 s, still not: %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
