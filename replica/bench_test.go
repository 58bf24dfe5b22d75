package replica_test

import (
	"context"
	"testing"
	"time"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/internal/pgcluster"
	"github.com/luciapg/luciapg/internal/testdb"
	"github.com/luciapg/luciapg/replica"
)

// BenchmarkRouterStandbyRead measures a session validation's read
// (GetSessionAndUser) answered by a real streaming standby: through the
// router, and straight from a Store on the standby, the router's floor,
// in turn. The difference is what routing costs a read.
func BenchmarkRouterStandbyRead(b *testing.B) {
	cluster := pgcluster.StartReplicated(b)
	ctx := context.Background()
	if _, err := luciapg.MigrateConnString(ctx, cluster.Primary.URL("postgres")); err != nil {
		b.Fatal(err)
	}
	primaryPool := testdb.Pool(b, cluster.Primary.URL("postgres"), 4)
	standbyPool := testdb.Pool(b, cluster.Standby.URL("postgres"), 4)
	primary, standby := luciapg.New(primaryPool), luciapg.New(standbyPool)
	if _, err := primary.SetUser(ctx, luciapg.User{ID: "u-bench"}, nil); err != nil {
		b.Fatal(err)
	}
	if err := primary.SetSession(ctx, luciapg.Session{ID: "s-bench", UserID: "u-bench", ActiveExpires: 1 << 50, IdleExpires: 1 << 50}); err != nil {
		b.Fatal(err)
	}
	pgcluster.Eventually(b, "the session on the standby", func() (bool, error) {
		_, err := standby.GetSession(ctx, "s-bench")
		return err == nil, nil
	})
	router, err := replica.New(primaryPool, standbyPool, replica.Config{MaxLag: time.Minute, StandbyTimeout: 30 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = router.Close() })
	pgcluster.Eventually(b, "the standby to be usable", func() (bool, error) { return router.Stats().Usable, nil })

	// The two reads alternate, so that a busy machine slows both alike.
	var storeTime, routerTime time.Duration
	before := router.Stats().StandbyReads
	for b.Loop() {
		start := time.Now()
		if _, _, err := standby.GetSessionAndUser(ctx, "s-bench"); err != nil {
			b.Fatal(err)
		}
		mid := time.Now()
		if _, _, err := router.GetSessionAndUser(ctx, "s-bench"); err != nil {
			b.Fatal(err)
		}
		storeTime += mid.Sub(start)
		routerTime += time.Since(mid)
	}
	n := float64(b.N)
	b.ReportMetric(float64(storeTime.Microseconds())/n, "store-µs/read")
	b.ReportMetric(float64(routerTime.Microseconds())/n, "router-µs/read")
	b.ReportMetric(float64(router.Stats().StandbyReads-before)/n, "standby-reads/read")
}
