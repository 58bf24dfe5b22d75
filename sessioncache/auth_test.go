package sessioncache_test

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
	"github.com/luciapg/luciapg/sessioncache"
)

// TestSessionCacheUnderAuth: auth.New takes the cache like any adapter.
// Validation is served from memory; once the active period is over the
// idle session reaches the Store and is renewed; a logout is seen at once;
// and the attempt throttle is the Store's, found through the cache.
func TestSessionCacheUnderAuth(t *testing.T) {
	t.Parallel()
	var clock atomic.Int64
	clock.Store(time.Now().UnixNano())
	now := func() time.Time { return time.Unix(0, clock.Load()) }
	env := newCacheEnv(t, sessioncache.Config{Now: now})
	a, err := auth.New(env.cache, auth.Config{Now: now, ActivePeriod: time.Hour, IdlePeriod: 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	env.exec(t, `INSERT INTO auth_user (id) VALUES ('u1')`)

	created, err := a.CreateSession(ctx, "u1")
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, user, err := a.ValidateSessionUser(ctx, created.ID); err != nil || user.ID != "u1" {
			t.Fatalf("ValidateSessionUser: %+v, %v", user, err)
		}
	}
	if s := env.cache.Stats(); s.Hits != 1 {
		t.Fatalf("the second validation was not served from memory: %+v", s)
	}

	clock.Add(int64(time.Hour + time.Second)) // idle now
	renewed, _, err := a.ValidateSessionUser(ctx, created.ID)
	if err != nil || !renewed.Fresh || renewed.ID != created.ID {
		t.Fatalf("an idle session was not renewed: %+v, %v", renewed, err)
	}
	stored, err := env.store.GetSession(ctx, created.ID)
	if err != nil || stored.ActiveExpires != renewed.ActiveExpires.UnixMilli() {
		t.Fatalf("the renewal did not reach the database: %+v, %v", stored, err)
	}
	if again, _, err := a.ValidateSessionUser(ctx, created.ID); err != nil || again.Fresh {
		t.Fatalf("after the renewal: %+v, %v", again, err)
	}

	if err := a.InvalidateSession(ctx, created.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := a.ValidateSession(ctx, created.ID); !errors.Is(err, luciapg.ErrInvalidSessionID) {
		t.Fatalf("after logout: %v", err)
	}

	if _, err := a.UseKey(ctx, "username", "nobody", "guess"); !errors.Is(err, luciapg.ErrInvalidKeyID) {
		t.Fatalf("UseKey on an unknown key: %v; want a refusal, counted by the Store's throttle", err)
	}
	var attempts int
	if err := env.pool.QueryRow(ctx, `SELECT count(*) FROM luciapg_attempt_throttle`).Scan(&attempts); err != nil || attempts == 0 {
		t.Fatalf("no attempt counted in the Store (%d, %v)", attempts, err)
	}
}
