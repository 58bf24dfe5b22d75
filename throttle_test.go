package luciapg_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/dbgen"
	"github.com/luciapg/luciapg/internal/testdb"
	"github.com/luciapg/luciapg/memadapter"
)

// throttleT0 is the fake clock's start: CountAttempt takes the time from
// its caller, so no test waits for the real one.
var throttleT0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// throttleRow is a row of luciapg_attempt_throttle, read directly.
type throttleRow struct {
	attempts, refused         int64
	lastAttempt, blockedUntil time.Time
}

func readThrottleRow(t *testing.T, pool *pgxpool.Pool, key string) throttleRow {
	t.Helper()
	var r throttleRow
	err := pool.QueryRow(context.Background(), `
SELECT attempts, refused_attempts, last_attempt_at, blocked_until
FROM luciapg_attempt_throttle WHERE throttle_key = $1`, key).Scan(&r.attempts, &r.refused, &r.lastAttempt, &r.blockedUntil)
	if err != nil {
		t.Fatalf("reading the throttle row: %v", err)
	}
	return r
}

func countAttempt(t *testing.T, store *luciapg.Store, key string, now time.Time, p luciapg.ThrottlePolicy) time.Duration {
	t.Helper()
	retry, err := store.CountAttempt(context.Background(), key, now, p)
	if err != nil {
		t.Fatalf("CountAttempt: %v", err)
	}
	return retry
}

// TestThrottleSharedByStoresOnOneDatabase: two application instances (two
// Stores, two pools) see one count per key, so an attacker gains nothing
// by spreading guesses over instances.
func TestThrottleSharedByStoresOnOneDatabase(t *testing.T) {
	t.Parallel()
	url := testdb.NewURL(t)
	poolA, poolB := testdb.Pool(t, url, 4), testdb.Pool(t, url, 4)
	a, b := luciapg.New(poolA), luciapg.New(poolB)
	p := luciapg.ThrottlePolicy{FreeAttempts: 3, BaseDelay: time.Second, MaxDelay: time.Minute, Window: time.Hour}
	const key = "key:username:ada"
	for i, store := range []*luciapg.Store{a, b, a} {
		if got := countAttempt(t, store, key, throttleT0, p); got != 0 {
			t.Fatalf("free attempt %d: retry after %v", i+1, got)
		}
	}
	for _, store := range []*luciapg.Store{a, b} {
		if got := countAttempt(t, store, key, throttleT0, p); got != time.Second {
			t.Fatalf("attempt after three free ones on two instances: retry after %v, want 1s", got)
		}
	}
	if err := b.ResetAttempts(context.Background(), key); err != nil {
		t.Fatal(err)
	}
	if got := countAttempt(t, a, key, throttleT0, p); got != 0 {
		t.Fatalf("attempt after a reset on the other instance: retry after %v, want 0", got)
	}
}

// TestThrottleCountsConcurrentAttemptsFromTwoStores: 50 attempts at once,
// alternating between two pools, are all counted; at one instant with five
// free attempts exactly five pass and the 45 refused ones are recorded as
// refused, not counted.
func TestThrottleCountsConcurrentAttemptsFromTwoStores(t *testing.T) {
	t.Parallel()
	url := testdb.NewURL(t)
	poolA, poolB := testdb.Pool(t, url, 8), testdb.Pool(t, url, 8)
	stores := []*luciapg.Store{luciapg.New(poolA), luciapg.New(poolB)}
	const n = 50
	attempt := func(key string, p luciapg.ThrottlePolicy) []time.Duration {
		retries, errs := make([]time.Duration, n), make([]error, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				<-start
				retries[i], errs[i] = stores[i%2].CountAttempt(context.Background(), key, throttleT0, p)
			})
		}
		close(start)
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
		return retries
	}

	generous := luciapg.ThrottlePolicy{FreeAttempts: 1000, BaseDelay: time.Second, MaxDelay: time.Minute, Window: time.Hour}
	attempt("addr:192.0.2.1", generous)
	if r := readThrottleRow(t, poolA, "addr:192.0.2.1"); r.attempts != n || r.refused != 0 {
		t.Fatalf("after %d concurrent free attempts the row holds %d counted, %d refused", n, r.attempts, r.refused)
	}

	strict := luciapg.ThrottlePolicy{FreeAttempts: 5, BaseDelay: time.Second, MaxDelay: time.Minute, Window: time.Hour}
	passed := 0
	for _, retry := range attempt("addr:192.0.2.2", strict) {
		switch retry {
		case 0:
			passed++
		case time.Second:
		default:
			t.Fatalf("a concurrent attempt returned retry after %v, want 0 or 1s", retry)
		}
	}
	r := readThrottleRow(t, poolB, "addr:192.0.2.2")
	if passed != 5 || r.attempts != 5 || r.refused != n-5 {
		t.Fatalf("%d of %d concurrent attempts passed; the row holds %d counted, %d refused; want 5, 5, %d", passed, n, r.attempts, r.refused, n-5)
	}
	if !r.blockedUntil.Equal(throttleT0.Add(time.Second)) || !r.lastAttempt.Equal(throttleT0) {
		t.Fatalf("row: last attempt %v, blocked until %v; want %v and a second later", r.lastAttempt, r.blockedUntil, throttleT0)
	}
}

// TestCountAttemptIsOneStatement: counting is one round trip, so no
// interleaving between a read and a write can lose an attempt; refused
// input never reaches the database.
func TestCountAttemptIsOneStatement(t *testing.T) {
	t.Parallel()
	pool, counter := countedPool(t, testdb.NewURL(t), 2)
	store := luciapg.New(pool)
	p := luciapg.ThrottlePolicy{FreeAttempts: 1, BaseDelay: time.Second, MaxDelay: time.Minute, Window: time.Hour}
	for _, want := range []time.Duration{0, time.Second} {
		before := counter.n.Load()
		if got := countAttempt(t, store, "key:one-statement", throttleT0, p); got != want {
			t.Fatalf("retry after %v, want %v", got, want)
		}
		if sent := counter.n.Load() - before; sent != 1 {
			t.Fatalf("CountAttempt sent %d statements, want 1", sent)
		}
	}
	before := counter.n.Load()
	for _, key := range []string{"", "a\x00b", "\xff", strings.Repeat("k", luciapg.MaxIDBytes+1)} {
		if _, err := store.CountAttempt(context.Background(), key, throttleT0, p); !errors.Is(err, luciapg.ErrInvalidInput) {
			t.Fatalf("CountAttempt with a bad key: %v, want ErrInvalidInput", err)
		}
		if err := store.ResetAttempts(context.Background(), key); !errors.Is(err, luciapg.ErrInvalidInput) {
			t.Fatalf("ResetAttempts with a bad key: %v, want ErrInvalidInput", err)
		}
	}
	if _, err := store.CountAttempt(context.Background(), "key:x", throttleT0, luciapg.ThrottlePolicy{}); !errors.Is(err, luciapg.ErrInvalidConfig) {
		t.Fatalf("CountAttempt with the zero policy: %v, want ErrInvalidConfig", err)
	}
	if sent := counter.n.Load() - before; sent != 0 {
		t.Fatalf("refused calls sent %d statements, want none", sent)
	}
}

// TestCountAttemptStoresTheRow: the row holds what the contract says,
// readable by an operator: counted attempts, the last one's time, the end
// of the block, and how many attempts were refused since.
func TestCountAttemptStoresTheRow(t *testing.T) {
	t.Parallel()
	pool := testdb.Pool(t, testdb.NewURL(t), 2)
	store := luciapg.New(pool)
	p := luciapg.ThrottlePolicy{FreeAttempts: 2, BaseDelay: 3 * time.Second, MaxDelay: time.Minute, Window: time.Hour}
	const key = "key:row"
	countAttempt(t, store, key, throttleT0, p)
	if r := readThrottleRow(t, pool, key); r.attempts != 1 || r.refused != 0 || !r.lastAttempt.Equal(throttleT0) || !r.blockedUntil.Equal(throttleT0) {
		t.Fatalf("after one free attempt: %+v", r)
	}
	at := throttleT0.Add(time.Minute)
	countAttempt(t, store, key, at, p)
	countAttempt(t, store, key, at.Add(time.Second), p)
	countAttempt(t, store, key, at.Add(2*time.Second), p)
	if r := readThrottleRow(t, pool, key); r.attempts != 2 || r.refused != 2 || !r.lastAttempt.Equal(at) || !r.blockedUntil.Equal(at.Add(3*time.Second)) {
		t.Fatalf("after the second attempt and two refused: %+v", r)
	}
	if err := store.ResetAttempts(context.Background(), key); err != nil {
		t.Fatal(err)
	}
	var rows int
	if err := pool.QueryRow(context.Background(), "SELECT count(*) FROM luciapg_attempt_throttle").Scan(&rows); err != nil || rows != 0 {
		t.Fatalf("after ResetAttempts %d rows remain (%v), want none", rows, err)
	}
}

// TestPurgeStaleAttempts: the purge deletes, batch by batch, the rows
// whose block and last attempt both ended before the cutoff, and keeps a
// row still blocked past it and a row counted after it.
func TestPurgeStaleAttempts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testdb.Pool(t, testdb.NewURL(t), 2)
	store := luciapg.New(pool)
	p := luciapg.ThrottlePolicy{FreeAttempts: 1, BaseDelay: 48 * time.Hour, MaxDelay: 48 * time.Hour, Window: 48 * time.Hour}
	free := luciapg.ThrottlePolicy{FreeAttempts: 100, BaseDelay: time.Second, MaxDelay: time.Second, Window: time.Second}
	cutoff := throttleT0
	stale := []string{"addr:1", "addr:2", "addr:3", "addr:4", "addr:5"}
	for i, key := range stale {
		countAttempt(t, store, key, cutoff.Add(-time.Duration(i+1)*time.Hour), free)
	}
	// Last attempt before the cutoff, but blocked until two days later.
	countAttempt(t, store, "addr:blocked", cutoff.Add(-time.Hour), p)
	countAttempt(t, store, "addr:fresh", cutoff, free)
	if n, err := store.CountStaleAttempts(ctx, cutoff); err != nil || n != int64(len(stale)) {
		t.Fatalf("CountStaleAttempts: %d, %v; want %d", n, err, len(stale))
	}
	batches := 0
	deleted, err := store.PurgeStaleAttempts(ctx, cutoff, luciapg.PurgeOptions{BatchSize: 2, AfterBatch: func(_ int64, n int) { batches = n }})
	if err != nil || deleted != int64(len(stale)) || batches != 3 {
		t.Fatalf("PurgeStaleAttempts: %d in %d batches, %v; want %d deleted in 3 batches", deleted, batches, err, len(stale))
	}
	rows, err := pool.Query(ctx, "SELECT throttle_key FROM luciapg_attempt_throttle ORDER BY throttle_key")
	if err != nil {
		t.Fatal(err)
	}
	var kept []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			t.Fatal(err)
		}
		kept = append(kept, k)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if strings.Join(kept, " ") != "addr:blocked addr:fresh" {
		t.Fatalf("after the purge the rows are %v, want addr:blocked and addr:fresh", kept)
	}
	// The blocked key is still blocked: the purge lost no count that mattered.
	if got := countAttempt(t, store, "addr:blocked", cutoff, p); got != 47*time.Hour {
		t.Fatalf("the blocked key after the purge: retry after %v, want 47h", got)
	}
	for _, bad := range []int{-1, 1 << 31} {
		if _, err := store.PurgeStaleAttempts(ctx, cutoff, luciapg.PurgeOptions{BatchSize: bad}); !errors.Is(err, luciapg.ErrInvalidInput) {
			t.Fatalf("PurgeStaleAttempts with batch size %d: %v, want ErrInvalidInput", bad, err)
		}
	}
}

// TestPurgeStaleAttemptsUsesTheIndex: the purge's batch can walk the
// blocked_until index rather than scan the table, which stays cheap however
// many rows a flood of distinct keys (client addresses) leaves.
func TestPurgeStaleAttemptsUsesTheIndex(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testdb.Pool(t, testdb.NewURL(t), 1)
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "SET LOCAL enable_seqscan = off"); err != nil {
		t.Fatal(err)
	}
	var plan strings.Builder
	rows, err := tx.Query(ctx, "EXPLAIN "+strings.Replace(strings.Replace(dbgen.DeleteStaleAttemptsBatch, "$1", "now()", -1), "$2", "100", -1))
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		plan.WriteString(line + "\n")
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(plan.String(), "luciapg_attempt_throttle_blocked_until_idx") {
		t.Fatalf("the purge's plan does not use the blocked_until index:\n%s", plan.String())
	}
}

// TestThrottlePolicyDelay: the contract's example policy gives five free
// attempts, then 1 s, 2 s, 4 s … capped; extreme policies neither overflow
// nor lose the cap.
func TestThrottlePolicyDelay(t *testing.T) {
	t.Parallel()
	p := luciapg.ThrottlePolicy{FreeAttempts: 5, BaseDelay: time.Second, MaxDelay: 15 * time.Minute, Window: time.Hour}
	want := map[int]time.Duration{
		0: 0, 1: 0, 4: 0, 5: time.Second, 6: 2 * time.Second, 7: 4 * time.Second, 8: 8 * time.Second,
		14: 512 * time.Second, 15: 15 * time.Minute, 100: 15 * time.Minute, math.MaxInt: 15 * time.Minute,
	}
	for attempts, delay := range want {
		if got := p.Delay(attempts); got != delay {
			t.Errorf("Delay(%d) = %v, want %v", attempts, got, delay)
		}
	}
	longest := time.Duration(math.MaxInt64)
	extreme := luciapg.ThrottlePolicy{FreeAttempts: 0, BaseDelay: time.Microsecond, MaxDelay: longest, Window: longest}
	previous := time.Duration(0)
	for attempts := range 100 {
		got := extreme.Delay(attempts)
		if got < previous || got > longest || got%time.Microsecond != 0 {
			t.Fatalf("Delay(%d) = %v after %v: not growing, over MaxDelay, or finer than a microsecond", attempts, got, previous)
		}
		previous = got
	}
	if previous != longest.Truncate(time.Microsecond) {
		t.Fatalf("Delay(99) = %v, want MaxDelay to the microsecond", previous)
	}
	fine := luciapg.ThrottlePolicy{FreeAttempts: 1, BaseDelay: time.Second + 999*time.Nanosecond, MaxDelay: time.Hour, Window: time.Hour}
	if got := fine.Delay(2); got != 2*time.Second {
		t.Fatalf("Delay with a BaseDelay finer than a microsecond = %v, want 2s", got)
	}
}

// TestThrottlePolicyValidate: each way a policy can be wrong is refused
// with ErrInvalidInput and a message naming the field.
func TestThrottlePolicyValidate(t *testing.T) {
	t.Parallel()
	good := luciapg.ThrottlePolicy{FreeAttempts: 5, BaseDelay: time.Second, MaxDelay: 15 * time.Minute, Window: time.Hour}
	if err := good.Validate(); err != nil {
		t.Fatalf("the contract's example policy: %v", err)
	}
	edge := luciapg.ThrottlePolicy{FreeAttempts: 0, BaseDelay: time.Microsecond, MaxDelay: time.Microsecond, Window: time.Microsecond}
	if err := edge.Validate(); err != nil {
		t.Fatalf("the smallest policy: %v", err)
	}
	for field, bad := range map[string]luciapg.ThrottlePolicy{
		"FreeAttempts": {FreeAttempts: -1, BaseDelay: time.Second, MaxDelay: time.Minute, Window: time.Hour},
		"BaseDelay":    {FreeAttempts: 5, BaseDelay: 999 * time.Nanosecond, MaxDelay: time.Minute, Window: time.Hour},
		"MaxDelay":     {FreeAttempts: 5, BaseDelay: time.Minute, MaxDelay: time.Second, Window: time.Hour},
		"Window":       {FreeAttempts: 5, BaseDelay: time.Second, MaxDelay: time.Hour, Window: time.Hour - 1},
	} {
		err := bad.Validate()
		if !errors.Is(err, luciapg.ErrInvalidConfig) || !strings.Contains(err.Error(), field) {
			t.Errorf("a bad %s: %v, want ErrInvalidConfig naming it", field, err)
		}
	}
}

// TestThrottleStoreAgreesWithMemadapter: a long random run of attempts,
// waits and resets on a few keys under a few policies gets the same answer
// from the Store and from memadapter at every step, so tests of an
// application on memadapter hold on PostgreSQL.
func TestThrottleStoreAgreesWithMemadapter(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := luciapg.New(testdb.Pool(t, testdb.NewURL(t), 2))
	mem := memadapter.New()
	policies := []luciapg.ThrottlePolicy{
		{FreeAttempts: 3, BaseDelay: 500 * time.Millisecond, MaxDelay: 10 * time.Second, Window: time.Minute},
		{FreeAttempts: 0, BaseDelay: 1500 * time.Microsecond, MaxDelay: 5 * time.Second, Window: 5 * time.Second},
		{FreeAttempts: 1, BaseDelay: time.Second, MaxDelay: time.Second, Window: 30 * time.Second},
	}
	keys := []string{"key:a", "key:b", "addr:192.0.2.9"}
	rng := rand.New(rand.NewPCG(1, 2))
	now := throttleT0
	refused, counted := 0, 0
	for step := range 600 {
		key := keys[rng.IntN(len(keys))]
		p := policies[slices.Index(keys, key)]
		switch op := rng.IntN(20); {
		case op == 0:
			for _, th := range []luciapg.AttemptThrottle{store, mem} {
				if err := th.ResetAttempts(ctx, key); err != nil {
					t.Fatal(err)
				}
			}
		default:
			// Waits of up to a second, to the nanosecond; one step in
			// twenty waits a minute more, past every policy's window.
			now = now.Add(time.Duration(rng.Int64N(int64(time.Second))))
			if op == 1 {
				now = now.Add(time.Minute)
			}
			fromStore, err := store.CountAttempt(ctx, key, now, p)
			if err != nil {
				t.Fatal(err)
			}
			fromMem, err := mem.CountAttempt(ctx, key, now, p)
			if err != nil {
				t.Fatal(err)
			}
			if fromStore != fromMem {
				t.Fatalf("step %d, %s at %v: the Store says retry after %v, memadapter %v", step, key, now, fromStore, fromMem)
			}
			if fromStore > 0 {
				refused++
			} else {
				counted++
			}
		}
	}
	// The run compared both outcomes, not one kind only.
	if refused < 100 || counted < 100 {
		t.Fatalf("the run had %d refused and %d counted attempts; too few of one kind to compare", refused, counted)
	}
}

// BenchmarkCountAttempt measures one counted attempt: on a fresh key each
// time (an insert) and on one key hammered while blocked (a refused
// attempt, the path an attacker drives).
func BenchmarkCountAttempt(b *testing.B) {
	ctx := context.Background()
	store := luciapg.New(testdb.Pool(b, testdb.NewURL(b), 4))
	p := luciapg.ThrottlePolicy{FreeAttempts: 5, BaseDelay: time.Second, MaxDelay: 15 * time.Minute, Window: time.Hour}
	b.Run("fresh key", func(b *testing.B) {
		i := 0
		for b.Loop() {
			i++
			if _, err := store.CountAttempt(ctx, fmt.Sprintf("addr:bench-%d", i), throttleT0, p); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("blocked key", func(b *testing.B) {
		for b.Loop() {
			if _, err := store.CountAttempt(ctx, "key:bench", throttleT0, p); err != nil {
				b.Fatal(err)
			}
		}
	})
}
