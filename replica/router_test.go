package replica_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/adaptertest"
	"github.com/luciapg/luciapg/auth"
	"github.com/luciapg/luciapg/internal/pgcluster"
	"github.com/luciapg/luciapg/internal/testdb"
	"github.com/luciapg/luciapg/replica"
)

// conformancePoolSize is kept small so the concurrency case makes several
// times more calls than there are connections.
const conformancePoolSize = 4

// TestRouterConformance runs the conformance suite on a router whose
// standby is the primary itself: every method reaches the right Store and
// returns what a Store returns.
func TestRouterConformance(t *testing.T) {
	t.Parallel()
	adaptertest.Run(t, adaptertest.Harness{
		New: func(t *testing.T) (luciapg.Adapter, adaptertest.Storage) {
			pool := testdb.Pool(t, testdb.NewURL(t), conformancePoolSize)
			return newRouter(t, pool, pool, replica.Config{}), adaptertest.SQLStorage(pool)
		},
		Concurrency: 8 * conformancePoolSize,
	})
}

// newRouter is replica.New, failing t on an error and closing the router
// when the test ends.
func newRouter(t *testing.T, primary, standby *pgxpool.Pool, cfg replica.Config) *replica.Router {
	t.Helper()
	router, err := replica.New(primary, standby, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = router.Close() })
	return router
}

// TestConfigRefused: a lag check slower than the lag bound would let a
// standby turn stale between two checks unnoticed; negative durations mean
// nothing. Each is refused, never clamped.
func TestConfigRefused(t *testing.T) {
	t.Parallel()
	pool := testdb.New(t)
	for _, cfg := range []replica.Config{
		{MaxLag: time.Second, CheckInterval: 2 * time.Second},
		{MaxLag: time.Second, CheckInterval: time.Second},
		{MaxLag: -time.Second},
		{CheckInterval: -time.Second},
		{StandbyTimeout: -1},
		{RetryAfter: -1},
	} {
		if _, err := replica.New(pool, pool, cfg); !errors.Is(err, luciapg.ErrInvalidConfig) {
			t.Errorf("%+v: %v, want ErrInvalidConfig", cfg, err)
		}
	}
	if _, err := replica.New(pool, nil, replica.Config{}); !errors.Is(err, luciapg.ErrInvalidConfig) {
		t.Errorf("nil standby: %v, want ErrInvalidConfig", err)
	}
}

// replicated is a primary and a streaming standby with luciapg's tables,
// with a pool and a Store on each.
type replicated struct {
	cluster                  *pgcluster.Replicated
	primaryPool, standbyPool *pgxpool.Pool
	primary, standby         *luciapg.Store
}

func newReplicated(t *testing.T) *replicated {
	t.Helper()
	cluster := pgcluster.StartReplicated(t)
	ctx := context.Background()
	if _, err := luciapg.MigrateConnString(ctx, cluster.Primary.URL("postgres")); err != nil {
		t.Fatal(err)
	}
	primaryPool := testdb.Pool(t, cluster.Primary.URL("postgres"), 4)
	standbyPool := testdb.Pool(t, cluster.Standby.URL("postgres"), 4)
	r := &replicated{cluster: cluster, primaryPool: primaryPool, standbyPool: standbyPool,
		primary: luciapg.New(primaryPool), standby: luciapg.New(standbyPool)}
	pgcluster.Eventually(t, "the migrations on the standby", func() (bool, error) {
		_, err := r.standby.GetSession(ctx, "none")
		return errors.Is(err, luciapg.ErrInvalidSessionID), nil
	})
	return r
}

// router returns a router on r with the given lag bound, checking often,
// once it has measured the standby as usable.
func (r *replicated) router(t *testing.T, maxLag time.Duration) *replica.Router {
	t.Helper()
	// A generous StandbyTimeout: on a busy test machine a slow lag check
	// must not rest the standby and send a read the test expects on the
	// standby to the primary.
	router := newRouter(t, r.primaryPool, r.standbyPool, replica.Config{
		MaxLag: maxLag, CheckInterval: 50 * time.Millisecond, StandbyTimeout: 30 * time.Second,
	})
	pgcluster.Eventually(t, "the standby to be usable", func() (bool, error) { return router.Stats().Usable, nil })
	return router
}

// pauseReplay pauses WAL replay on the standby until the test ends.
func (r *replicated) pauseReplay(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	if _, err := r.standbyPool.Exec(ctx, "SELECT pg_wal_replay_pause()"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := r.standbyPool.Exec(context.Background(), "SELECT pg_wal_replay_resume()"); err != nil {
			t.Errorf("resuming replay: %v", err)
		}
	})
	pgcluster.Eventually(t, "replay to pause", func() (bool, error) {
		var state string
		err := r.standbyPool.QueryRow(ctx, "SELECT pg_get_wal_replay_pause_state()").Scan(&state)
		return state == "paused", err
	})
}

// newSession creates a user and a session on the primary and waits until
// the standby has both.
func (r *replicated) newSession(t *testing.T, userID, sessionID string) luciapg.Session {
	t.Helper()
	ctx := context.Background()
	session := luciapg.Session{ID: sessionID, UserID: userID, ActiveExpires: 1 << 50, IdleExpires: 1 << 50}
	if _, err := r.primary.SetUser(ctx, luciapg.User{ID: userID}, nil); err != nil {
		t.Fatal(err)
	}
	if err := r.primary.SetSession(ctx, session); err != nil {
		t.Fatal(err)
	}
	pgcluster.Eventually(t, "the session on the standby", func() (bool, error) {
		_, err := r.standby.GetSession(ctx, sessionID)
		return err == nil, nil
	})
	return session
}

// TestReplicaRouter runs the router against a real streaming standby; the
// subtests share one primary and standby, so they run in turn.
func TestReplicaRouter(t *testing.T) {
	t.Parallel()
	r := newReplicated(t)
	ctx := context.Background()

	// The replica serves the reads it can while it is fresh.
	t.Run("ReadsGoToTheReplica", func(t *testing.T) {
		router := r.router(t, time.Minute)
		r.newSession(t, "u-reads", "s-reads")
		if _, _, err := router.GetSessionAndUser(ctx, "s-reads"); err != nil {
			t.Fatal(err)
		}
		if _, err := router.GetUser(ctx, "u-reads"); err != nil {
			t.Fatal(err)
		}
		if st := router.Stats(); st.StandbyReads != 2 || st.PrimaryReads+st.StandbyMisses+st.Fallbacks != 0 {
			t.Errorf("stats %+v, want both reads answered by the replica", st)
		}
	})

	// A session created a moment ago, not yet on the replica (replay is
	// paused), validates at once: the replica's miss is asked of the
	// primary. Through auth.New, as an application uses it.
	t.Run("FreshSessionFallsBackToPrimary", func(t *testing.T) {
		router := r.router(t, time.Minute) // the paused replica stays "fresh" for a minute
		r.pauseReplay(t)
		a, err := auth.New(router, auth.Config{})
		if err != nil {
			t.Fatal(err)
		}
		user, err := a.CreateUser(ctx, auth.CreateUserParams{})
		if err != nil {
			t.Fatal(err)
		}
		session, err := a.CreateSession(ctx, user.ID)
		if err != nil {
			t.Fatal(err)
		}
		got, gotUser, err := a.ValidateSessionUser(ctx, session.ID)
		if err != nil || got.ID != session.ID || gotUser.ID != user.ID {
			t.Fatalf("ValidateSessionUser of a fresh session: %v, %v, %v", got.ID == session.ID, gotUser.ID == user.ID, err)
		}
		if _, err := r.standby.GetSession(ctx, session.ID); !errors.Is(err, luciapg.ErrInvalidSessionID) {
			t.Fatalf("the paused replica has the new session (%v): the test proves nothing", err)
		}
		if st := router.Stats(); st.StandbyMisses == 0 {
			t.Errorf("stats %+v: no replica miss answered by the primary", st)
		}
	})

	// A deleted session stays on a replica whose replay is paused. A
	// router that ignored the lag would accept it for as long as the pause
	// lasts (the loose router below does); with MaxLag it is refused once
	// the bound has passed, and stays refused.
	t.Run("DeletedSessionRefusedOnceLagBoundPasses", func(t *testing.T) {
		r.newSession(t, "u-deleted", "s-deleted")
		loose := r.router(t, time.Hour)
		tight := r.router(t, 300*time.Millisecond)
		r.pauseReplay(t)
		if err := tight.DeleteSession(ctx, "s-deleted"); err != nil {
			t.Fatal(err)
		}
		if _, err := loose.GetSession(ctx, "s-deleted"); err != nil {
			t.Fatalf("the loose router refused the deleted session (%v): the replica is not stale, the test proves nothing", err)
		}
		pgcluster.Eventually(t, "the tight router to refuse the deleted session", func() (bool, error) {
			_, err := tight.GetSession(ctx, "s-deleted")
			if err != nil && !errors.Is(err, luciapg.ErrInvalidSessionID) {
				return false, err
			}
			return err != nil, nil
		})
		for range 20 {
			if _, _, err := tight.GetSessionAndUser(ctx, "s-deleted"); !errors.Is(err, luciapg.ErrInvalidSessionID) {
				t.Fatalf("the deleted session was accepted again: %v", err)
			}
		}
		if st := tight.Stats(); st.Usable || st.PrimaryReads == 0 {
			t.Errorf("stats %+v: want the stale replica unused and the reads on the primary", st)
		}
	})

	// The standby stops: reads go on, answered by the primary, with no
	// error; once it is back, the router uses it again.
	t.Run("StoppedReplicaSkipped", func(t *testing.T) {
		r.newSession(t, "u-stopped", "s-stopped")
		router := r.router(t, time.Hour)
		r.cluster.Standby.Stop()
		for i := range 20 {
			session, user, err := router.GetSessionAndUser(ctx, "s-stopped")
			if err != nil || session.ID != "s-stopped" || user.ID != "u-stopped" {
				t.Fatalf("read %d with the replica stopped: %q %q %v", i, session.ID, user.ID, err)
			}
		}
		if st := router.Stats(); st.StandbyReads != 0 || st.Fallbacks+st.PrimaryReads != 20 {
			t.Errorf("stats %+v: want every read answered by the primary", st)
		}
		r.cluster.Standby.Start(t)
		pgcluster.Eventually(t, "the router to use the restarted replica", func() (bool, error) {
			before := router.Stats().StandbyReads
			_, err := router.GetSession(ctx, "s-stopped")
			return router.Stats().StandbyReads > before, err
		})
	})
}
