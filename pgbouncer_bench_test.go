package luciapg_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/internal/pgcluster"
	"github.com/luciapg/luciapg/internal/testdb"
)

// BenchmarkPgBouncer measures the hot operations from 400 goroutines, each
// with its own client connection through PgBouncer (transaction pooling,
// 8 server connections), against the same 400 goroutines sharing a direct
// pgxpool of 8 connections, in each pgx exec mode that works through
// PgBouncer (and pgx's default, directly). It reports ops/s; bench/results/
// pgbouncer.md has the numbers and the command.
func BenchmarkPgBouncer(b *testing.B) {
	directURL := testdb.NewURL(b)
	bouncer := pgcluster.StartPgBouncer(b, testdb.ServerURL(b), pgbouncerServerConns)
	seed := luciapg.New(testdb.Pool(b, directURL, 8))
	ctx := context.Background()
	const users = 1000
	for i := range users {
		id := fmt.Sprintf("bench_u%d", i)
		if _, err := seed.SetUser(ctx, luciapg.User{ID: id}, nil); err != nil {
			b.Fatal(err)
		}
		if err := seed.SetSession(ctx, luciapg.Session{ID: fmt.Sprintf("bench_s%d", i), UserID: id, ActiveExpires: 1 << 50, IdleExpires: 1 << 50}); err != nil {
			b.Fatal(err)
		}
	}
	routes := []struct {
		name, url string
		conns     int32
	}{
		{"direct/cache_statement", directURL, pgbouncerServerConns},
		{"direct/exec", directURL + "&default_query_exec_mode=exec", pgbouncerServerConns},
		{"pgbouncer/exec", bouncer.URL(directURL, "exec"), pgbouncerClients},
		{"pgbouncer/cache_describe", bouncer.URL(directURL, "cache_describe"), pgbouncerClients},
		{"pgbouncer/simple_protocol", bouncer.URL(directURL, "simple_protocol"), pgbouncerClients},
	}
	var fresh atomic.Int64
	ops := []struct {
		name string
		op   func(store *luciapg.Store, i int64) error
	}{
		{"GetSessionAndUser", func(store *luciapg.Store, i int64) error {
			_, _, err := store.GetSessionAndUser(ctx, fmt.Sprintf("bench_s%d", i%users))
			return err
		}},
		{"SetSession", func(store *luciapg.Store, i int64) error {
			n := fresh.Add(1)
			return store.SetSession(ctx, luciapg.Session{ID: fmt.Sprintf("bench_new%d", n), UserID: fmt.Sprintf("bench_u%d", i%users), ActiveExpires: 1, IdleExpires: 2})
		}},
		{"ExtendSession", func(store *luciapg.Store, i int64) error {
			_, err := store.ExtendSession(ctx, fmt.Sprintf("bench_s%d", i%users), 1<<50+i, 1<<50+i)
			return err
		}},
	}
	for _, route := range routes {
		// Each route's pool closes before the next opens: PgBouncer's
		// max_client_conn is 1000.
		cfg, err := pgxpool.ParseConfig(route.url)
		if err != nil {
			b.Fatal(err)
		}
		cfg.MaxConns = route.conns
		pool, err := pgxpool.NewWithConfig(ctx, cfg)
		if err != nil {
			b.Fatal(err)
		}
		warmUp(b, pool, route.conns)
		store := luciapg.New(pool)
		for _, op := range ops {
			b.Run(route.name+"/"+op.name, func(b *testing.B) {
				var next atomic.Int64
				b.SetParallelism(pgbouncerClients / 2) // × GOMAXPROCS 2
				start := time.Now()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if err := op.op(store, next.Add(1)); err != nil {
							b.Error(err)
							return
						}
					}
				})
				b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "ops/s")
			})
		}
		pool.Close()
	}
}

// warmUp opens all n connections of pool, so no measurement pays for
// connecting.
func warmUp(b *testing.B, pool *pgxpool.Pool, n int32) {
	b.Helper()
	conns := make([]*pgxpool.Conn, 0, n)
	for range n {
		c, err := pool.Acquire(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		conns = append(conns, c)
	}
	for _, c := range conns {
		c.Release()
	}
}
