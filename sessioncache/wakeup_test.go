package sessioncache_test

import (
	"testing"
	"time"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/internal/testdb"
	"github.com/luciapg/luciapg/sessioncache"
)

// TestRevocationWakesOtherCaches: a revocation through one process's
// cache wakes another process's cache, which reads the log at once: the
// other cache here never reads it on its own (its PollInterval is an
// hour), so it applies the delete only if the wake-up reached it. A write
// that revokes nothing (a new session) sends no wake-up.
func TestRevocationWakesOtherCaches(t *testing.T) {
	t.Parallel()
	url := testdb.NewURL(t)
	revoker := newInstance(t, url)
	notes := newChanges()
	store := luciapg.New(testdb.Pool(t, url, 2))
	sleeper, err := sessioncache.NewWithHooks(t.Context(), store,
		sessioncache.Config{ConnString: url, MaxLag: testMaxLag},
		sessioncache.TestHooks{AfterChange: notes.record, PollInterval: time.Hour, MaxPollGap: 2 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sleeper.Close() })

	ctx := t.Context()
	if _, err := revoker.cache.SetUser(ctx, luciapg.User{ID: "u1"}, nil); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	id := sessionID("revoked")
	if err := revoker.cache.SetSession(ctx, luciapg.Session{ID: id, UserID: "u1",
		ActiveExpires: now.Add(time.Hour).UnixMilli(), IdleExpires: now.Add(2 * time.Hour).UnixMilli()}); err != nil {
		t.Fatal(err)
	}
	if got := revoker.cache.Stats().WakeupsSent; got != 0 {
		t.Fatalf("%d wake-ups sent for a new user and session, want 0", got)
	}
	if err := revoker.cache.DeleteSession(ctx, id); err != nil {
		t.Fatal(err)
	}
	notes.wait(t, sessionPayload(id))
	if s := sleeper.Stats(); s.WakeupsReceived == 0 || s.Polls < 2 {
		t.Fatalf("the sleeping cache applied the delete without a wake-up: %+v", s)
	}
	// Counted once the NOTIFY returns, which may be after the other
	// cache has answered it.
	eventually(t, "the revoking cache counting its wake-up", func() bool { return revoker.cache.Stats().WakeupsSent == 1 })
}
