package storebench_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/bench/dataset"
	"github.com/luciapg/luciapg/bench/internal/cputime"
	"github.com/luciapg/luciapg/bench/rawpgx"
	"github.com/luciapg/luciapg/internal/testdb"
)

// These benchmarks run each Store method on one connection at a time, next
// to its hand-written pgx twin (package rawpgx) where the method is on a hot
// path, so that time and allocations per operation compare directly:
//
//	go test -run '^$' -bench . -benchmem .
//
// Throughput under concurrency is the load generator's job (go run ./bench).

// benchUsers is the size of the seeded data set; large enough that rows
// come from index scans, small enough to seed in a blink.
const benchUsers = 1000

type benchFixture struct {
	pool  *pgxpool.Pool
	store *luciapg.Store
}

func newBenchFixture(b *testing.B) benchFixture {
	b.Helper()
	pool := testdb.Pool(b, testdb.NewURL(b), 2)
	if err := dataset.Seed(context.Background(), pool, benchUsers); err != nil {
		b.Fatal(err)
	}
	// Set hint bits and the visibility map now, so that whichever
	// sub-benchmark runs first does not pay for it.
	if _, err := pool.Exec(context.Background(), "VACUUM ANALYZE"); err != nil {
		b.Fatal(err)
	}
	return benchFixture{pool: pool, store: luciapg.New(pool)}
}

// ids returns n ids made by id from 0 on, cycling through the seeded users,
// computed before the timer starts so that formatting them is not measured.
func ids(n int, id func(i int) string) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = id(i % benchUsers)
	}
	return out
}

// freshIDs returns n ids never used before in this process.
func freshIDs(n int, prefix string) []string {
	base := freshCounter.Add(int64(n)) - int64(n)
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%d", prefix, base+int64(i))
	}
	return out
}

var freshCounter atomic.Int64

func sessionIDs0(i int) string { return dataset.SessionID(i, 0) }

// run times op over b.N operations, failing the benchmark on any error. It
// reports the client's CPU time per operation too (cpu-ns/op), which the
// machine's other load disturbs far less than wall time.
func run(b *testing.B, op func(ctx context.Context, i int) error) {
	b.Helper()
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	cpuBefore := cputime.Process()
	for i := range b.N {
		if err := op(ctx, i); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cputime.Process()-cpuBefore)/float64(b.N), "cpu-ns/op")
}

func BenchmarkGetSessionAndUser(b *testing.B) {
	f := newBenchFixture(b)
	b.Run("store", func(b *testing.B) {
		id := ids(b.N, sessionIDs0)
		run(b, func(ctx context.Context, i int) error { _, _, err := f.store.GetSessionAndUser(ctx, id[i]); return err })
	})
	b.Run("raw", func(b *testing.B) {
		id := ids(b.N, sessionIDs0)
		run(b, func(ctx context.Context, i int) error {
			_, _, err := rawpgx.GetSessionAndUser(ctx, f.pool, id[i])
			return err
		})
	})
}

func BenchmarkGetSession(b *testing.B) {
	f := newBenchFixture(b)
	b.Run("store", func(b *testing.B) {
		id := ids(b.N, sessionIDs0)
		run(b, func(ctx context.Context, i int) error { _, err := f.store.GetSession(ctx, id[i]); return err })
	})
	b.Run("raw", func(b *testing.B) {
		id := ids(b.N, sessionIDs0)
		run(b, func(ctx context.Context, i int) error { _, err := rawpgx.GetSession(ctx, f.pool, id[i]); return err })
	})
}

func BenchmarkGetKey(b *testing.B) {
	f := newBenchFixture(b)
	b.Run("store", func(b *testing.B) {
		id := ids(b.N, dataset.KeyID)
		run(b, func(ctx context.Context, i int) error { _, err := f.store.GetKey(ctx, id[i]); return err })
	})
	b.Run("raw", func(b *testing.B) {
		id := ids(b.N, dataset.KeyID)
		run(b, func(ctx context.Context, i int) error { _, err := rawpgx.GetKey(ctx, f.pool, id[i]); return err })
	})
}

func BenchmarkGetUser(b *testing.B) {
	f := newBenchFixture(b)
	b.Run("store", func(b *testing.B) {
		id := ids(b.N, dataset.UserID)
		run(b, func(ctx context.Context, i int) error { _, err := f.store.GetUser(ctx, id[i]); return err })
	})
	b.Run("raw", func(b *testing.B) {
		id := ids(b.N, dataset.UserID)
		run(b, func(ctx context.Context, i int) error { _, err := rawpgx.GetUser(ctx, f.pool, id[i]); return err })
	})
}

func BenchmarkGetSessionsByUserID(b *testing.B) {
	f := newBenchFixture(b)
	b.Run("store", func(b *testing.B) {
		id := ids(b.N, dataset.UserID)
		run(b, func(ctx context.Context, i int) error { _, err := f.store.GetSessionsByUserID(ctx, id[i]); return err })
	})
	b.Run("raw", func(b *testing.B) {
		id := ids(b.N, dataset.UserID)
		run(b, func(ctx context.Context, i int) error {
			_, err := rawpgx.GetSessionsByUserID(ctx, f.pool, id[i])
			return err
		})
	})
}

func BenchmarkGetKeysByUserID(b *testing.B) {
	f := newBenchFixture(b)
	b.Run("store", func(b *testing.B) {
		id := ids(b.N, dataset.UserID)
		run(b, func(ctx context.Context, i int) error { _, err := f.store.GetKeysByUserID(ctx, id[i]); return err })
	})
	b.Run("raw", func(b *testing.B) {
		id := ids(b.N, dataset.UserID)
		run(b, func(ctx context.Context, i int) error {
			_, err := rawpgx.GetKeysByUserID(ctx, f.pool, id[i])
			return err
		})
	})
}

func BenchmarkSetSession(b *testing.B) {
	f := newBenchFixture(b)
	session := func(id string, i int) luciapg.Session {
		return luciapg.Session{ID: id, UserID: dataset.UserID(i % benchUsers), ActiveExpires: dataset.LiveExpires, IdleExpires: dataset.LiveExpires}
	}
	b.Run("store", func(b *testing.B) {
		id := freshIDs(b.N, "new_session_")
		run(b, func(ctx context.Context, i int) error { return f.store.SetSession(ctx, session(id[i], i)) })
	})
	b.Run("raw", func(b *testing.B) {
		id := freshIDs(b.N, "new_session_")
		run(b, func(ctx context.Context, i int) error { return rawpgx.SetSession(ctx, f.pool, session(id[i], i)) })
	})
}

// seedSessionsToDelete inserts n sessions (for the seeded users, round
// robin) and returns their ids.
func seedSessionsToDelete(b *testing.B, pool *pgxpool.Pool, n int) []string {
	b.Helper()
	id := freshIDs(n, "doomed_session_")
	_, err := pool.Exec(context.Background(), `INSERT INTO auth_session (id, user_id, active_expires, idle_expires)
SELECT s.id, 'u' || lpad(((s.n - 1) % $2::int)::text, 14, '0'), 0, 0 FROM unnest($1::text[]) WITH ORDINALITY AS s(id, n)`, id, benchUsers)
	if err != nil {
		b.Fatal(err)
	}
	return id
}

func BenchmarkDeleteSession(b *testing.B) {
	f := newBenchFixture(b)
	b.Run("store", func(b *testing.B) {
		id := seedSessionsToDelete(b, f.pool, b.N)
		run(b, func(ctx context.Context, i int) error { return f.store.DeleteSession(ctx, id[i]) })
	})
	b.Run("raw", func(b *testing.B) {
		id := seedSessionsToDelete(b, f.pool, b.N)
		run(b, func(ctx context.Context, i int) error { return rawpgx.DeleteSession(ctx, f.pool, id[i]) })
	})
}

// seedUsersWithSessions inserts n users with two sessions each and returns
// their ids.
func seedUsersWithSessions(b *testing.B, pool *pgxpool.Pool, n int) []string {
	b.Helper()
	id := freshIDs(n, "doomed_user_")
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `INSERT INTO auth_user (id) SELECT unnest($1::text[])`, id); err != nil {
		b.Fatal(err)
	}
	_, err := pool.Exec(ctx, `INSERT INTO auth_session (id, user_id, active_expires, idle_expires)
SELECT u.id || '_' || j, u.id, 0, 0 FROM unnest($1::text[]) AS u(id), generate_series(1, 2) AS j`, id)
	if err != nil {
		b.Fatal(err)
	}
	return id
}

func BenchmarkDeleteSessionsByUserID(b *testing.B) {
	f := newBenchFixture(b)
	b.Run("store", func(b *testing.B) {
		id := seedUsersWithSessions(b, f.pool, b.N)
		run(b, func(ctx context.Context, i int) error { return f.store.DeleteSessionsByUserID(ctx, id[i]) })
	})
	b.Run("raw", func(b *testing.B) {
		id := seedUsersWithSessions(b, f.pool, b.N)
		run(b, func(ctx context.Context, i int) error { return rawpgx.DeleteSessionsByUserID(ctx, f.pool, id[i]) })
	})
}

func BenchmarkUpdateKeyPassword(b *testing.B) {
	f := newBenchFixture(b)
	hash := dataset.PasswordHash
	b.Run("store", func(b *testing.B) {
		id := ids(b.N, dataset.KeyID)
		run(b, func(ctx context.Context, i int) error {
			_, err := f.store.UpdateKeyPassword(ctx, id[i], &hash)
			return err
		})
	})
	b.Run("raw", func(b *testing.B) {
		id := ids(b.N, dataset.KeyID)
		run(b, func(ctx context.Context, i int) error {
			_, err := rawpgx.UpdateKeyPassword(ctx, f.pool, id[i], &hash)
			return err
		})
	})
}

// BenchmarkSetUser inserts a user with a username and a primary key, on the
// pool and inside a caller's transaction (BEGIN, the insert, COMMIT).
func BenchmarkSetUser(b *testing.B) {
	f := newBenchFixture(b)
	hash := dataset.PasswordHash
	key := func(userID string) luciapg.Key {
		return luciapg.Key{ID: "email:" + userID, UserID: userID, PrimaryKey: true, HashedPassword: &hash}
	}
	storeSetUser := func(ctx context.Context, db luciapg.DB, userID string) error {
		k := key(userID)
		_, err := luciapg.New(db).SetUser(ctx, luciapg.User{ID: userID, Attributes: map[string]any{"username": userID}}, &k)
		return err
	}
	rawSetUser := func(ctx context.Context, db luciapg.DB, userID string) error {
		_, err := rawpgx.SetUserWithKey(ctx, db, userID, userID, key(userID))
		return err
	}
	inTx := func(set func(context.Context, luciapg.DB, string) error) func(context.Context, luciapg.DB, string) error {
		return func(ctx context.Context, db luciapg.DB, userID string) error {
			tx, err := db.Begin(ctx)
			if err != nil {
				return err
			}
			defer tx.Rollback(ctx) //nolint:errcheck
			if err := set(ctx, tx, userID); err != nil {
				return err
			}
			return tx.Commit(ctx)
		}
	}
	for _, variant := range []struct {
		name string
		set  func(context.Context, luciapg.DB, string) error
	}{
		{"store", storeSetUser},
		{"raw", rawSetUser},
		{"store_in_tx", inTx(storeSetUser)},
		{"raw_in_tx", inTx(rawSetUser)},
	} {
		b.Run(variant.name, func(b *testing.B) {
			id := freshIDs(b.N, "new_user_")
			run(b, func(ctx context.Context, i int) error { return variant.set(ctx, f.pool, id[i]) })
		})
	}
}

// The remaining methods are not on a request's hot path; they are measured
// on their own for their allocations.

func BenchmarkStoreSetUserWithoutKey(b *testing.B) {
	f := newBenchFixture(b)
	id := freshIDs(b.N, "keyless_user_")
	run(b, func(ctx context.Context, i int) error {
		_, err := f.store.SetUser(ctx, luciapg.User{ID: id[i], Attributes: map[string]any{"username": id[i]}}, nil)
		return err
	})
}

func BenchmarkStoreUpdateUserAttributes(b *testing.B) {
	f := newBenchFixture(b)
	id := ids(b.N, dataset.UserID)
	attributes := map[string]any{"nickname": "nick", "plan": "pro"}
	run(b, func(ctx context.Context, i int) error {
		_, err := f.store.UpdateUserAttributes(ctx, id[i], attributes)
		return err
	})
}

func BenchmarkStoreDeleteUser(b *testing.B) {
	f := newBenchFixture(b)
	id := seedUsersWithSessions(b, f.pool, b.N)
	run(b, func(ctx context.Context, i int) error { return f.store.DeleteUser(ctx, id[i]) })
}

func BenchmarkStoreSetKey(b *testing.B) {
	f := newBenchFixture(b)
	id := freshIDs(b.N, "github:")
	run(b, func(ctx context.Context, i int) error {
		return f.store.SetKey(ctx, luciapg.Key{ID: id[i], UserID: dataset.UserID(i % benchUsers)})
	})
}

// seedKeysToDelete inserts n non-primary keys (for the seeded users, round
// robin) and returns their ids.
func seedKeysToDelete(b *testing.B, pool *pgxpool.Pool, n int) []string {
	b.Helper()
	id := freshIDs(n, "otp:")
	_, err := pool.Exec(context.Background(), `INSERT INTO auth_key (id, user_id, primary_key, expires)
SELECT k.id, 'u' || lpad(((k.n - 1) % $2::int)::text, 14, '0'), false, 0 FROM unnest($1::text[]) WITH ORDINALITY AS k(id, n)`, id, benchUsers)
	if err != nil {
		b.Fatal(err)
	}
	return id
}

func BenchmarkStoreDeleteNonPrimaryKey(b *testing.B) {
	f := newBenchFixture(b)
	id := seedKeysToDelete(b, f.pool, b.N)
	run(b, func(ctx context.Context, i int) error { return f.store.DeleteNonPrimaryKey(ctx, id[i]) })
}

func BenchmarkStoreConsumeKey(b *testing.B) {
	f := newBenchFixture(b)
	id := seedKeysToDelete(b, f.pool, b.N)
	run(b, func(ctx context.Context, i int) error { _, err := f.store.ConsumeKey(ctx, id[i]); return err })
}

func BenchmarkStoreDeleteKeysByUserID(b *testing.B) {
	f := newBenchFixture(b)
	id := seedUsersWithSessions(b, f.pool, b.N) // users without keys: the statement's cost is the lookup
	run(b, func(ctx context.Context, i int) error { return f.store.DeleteKeysByUserID(ctx, id[i]) })
}

// BenchmarkStorePurgeDeadSessions purges 1000 dead sessions per operation,
// in batches of 100; ns/op divided by 1000 is the cost per session.
func BenchmarkStorePurgeDeadSessions(b *testing.B) {
	f := newBenchFixture(b)
	ctx := context.Background()
	const perOp, batchSize = 1000, 100
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		if err := dataset.SeedDeadSessions(ctx, f.pool, perOp, benchUsers, 1); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		deleted, err := f.store.PurgeDeadSessions(ctx, time.UnixMilli(2), luciapg.PurgeOptions{BatchSize: batchSize})
		if err != nil || deleted != perOp {
			b.Fatalf("PurgeDeadSessions = %d, %v; want %d, nil", deleted, err, perOp)
		}
	}
}
