package sessioncache_test

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
	"github.com/luciapg/luciapg/internal/testdb"
	"github.com/luciapg/luciapg/sessioncache"
)

// Hot set and concurrency of the target: 8 workers validating
// 10,000 live sessions.
const (
	benchHotSessions = 10_000
	benchWorkers     = 8
)

// BenchmarkSessionCacheValidateSessionUser compares auth's
// ValidateSessionUser on a SessionCache (served from memory) with the same
// call on the Store (GetSessionAndUser, one round trip each).
func BenchmarkSessionCacheValidateSessionUser(b *testing.B) {
	url := testdb.NewURL(b)
	pool := testdb.Pool(b, url, benchWorkers)
	ctx := b.Context()
	now := time.Now()
	for _, step := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO auth_user (id) SELECT 'user-' || g FROM generate_series(1, $1::int / 10) AS g`, []any{benchHotSessions}},
		{`INSERT INTO auth_session (id, user_id, active_expires, idle_expires)
		SELECT lpad(g::text, 40, 'x'), 'user-' || (g % ($1::int / 10) + 1), $2, $3 FROM generate_series(1, $1::int) AS g`,
			[]any{benchHotSessions, now.Add(24 * time.Hour).UnixMilli(), now.Add(48 * time.Hour).UnixMilli()}},
		{`ANALYZE auth_user, auth_session`, nil},
	} {
		if _, err := pool.Exec(ctx, step.sql, step.args...); err != nil {
			b.Fatal(err)
		}
	}
	ids := make([]string, benchHotSessions)
	for i := range ids {
		ids[i] = padX(i + 1)
	}
	store := luciapg.New(pool)
	cache, err := sessioncache.New(ctx, store, sessioncache.Config{ConnString: url})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = cache.Close() })

	for _, bc := range []struct {
		name    string
		adapter luciapg.ThrottlingAdapter
	}{{"cache", cache}, {"store", store}} {
		b.Run(bc.name, func(b *testing.B) {
			a, err := auth.New(bc.adapter, auth.Config{})
			if err != nil {
				b.Fatal(err)
			}
			for _, id := range ids { // warm: every session cached
				if _, _, err := a.ValidateSessionUser(ctx, id); err != nil {
					b.Fatal(err)
				}
			}
			before := cache.Stats().Hits
			var seed atomic.Uint64
			b.SetParallelism((benchWorkers + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				// Random sessions, as requests bring them: consecutive ids
				// would find each other's memory in the CPU's caches.
				rng := rand.New(rand.NewPCG(seed.Add(1), 0))
				for pb.Next() {
					if _, _, err := a.ValidateSessionUser(ctx, ids[rng.IntN(len(ids))]); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.StopTimer()
			if bc.name == "cache" {
				b.ReportMetric(float64(cache.Stats().Hits-before)/float64(b.N), "hits/op")
			}
		})
	}
}

// padX is the id the benchmark's SQL makes for n: lpad(n, 40, 'x').
func padX(n int) string {
	s := fmt.Sprint(n)
	for len(s) < 40 {
		s = "x" + s
	}
	return s
}
