package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/bench/dataset"
	"github.com/luciapg/luciapg/bench/internal/stats"
	"github.com/luciapg/luciapg/sessioncache"
)

// The wake-ups' measurement: wakeupCaches caches share the database, as
// that many processes would; revocations go through the first (which
// wakes the others) or around every cache, through the Store (as a Lucia
// v1 app's would: only the poll tells the caches).
const (
	wakeupCaches   = 4
	wakeupTrials   = 200             // revocations timed, per path
	wakeupStorm    = 2 * time.Second // revocations as fast as they go, per path
	wakeupStormers = 4
	wakeupUsers    = 15_000 // two sessions each: enough for the trials and both storms
)

// wakeupPath is one way of revoking: its latency to another cache and
// what a storm of such revocations costs.
type wakeupPath struct {
	Path string `json:"path"`
	// Latencies run from the delete's return to the first refusal by
	// another cache, which validates the session in a loop.
	P50Micros float64 `json:"p50_us"`
	P99Micros float64 `json:"p99_us"`
	MaxMicros float64 `json:"max_us"`
	// The storm: DeletesPerSecond from wakeupStormers goroutines; per
	// listening cache, reads of the change log and wake-ups received per
	// second; wake-ups sent per second by the revoking cache; transactions
	// committed per second by the whole database (pg_stat_database).
	DeletesPerSecond float64 `json:"deletes_per_second"`
	PollsPerSecond   float64 `json:"polls_per_second_per_cache"`
	WokenPerSecond   float64 `json:"wakeups_received_per_second_per_cache"`
	SentPerSecond    float64 `json:"wakeups_sent_per_second"`
	CommitsPerSecond float64 `json:"commits_per_second"`
	DeleteP50Micros  float64 `json:"delete_p50_us"`
	DeleteP99Micros  float64 `json:"delete_p99_us"`
}

// wakeupResult compares revoking through a cache (wake-ups) with revoking
// around the caches (the poll alone), and gives the idle cost of a cache.
type wakeupResult struct {
	Caches             int          `json:"caches"`
	IdlePollsPerSecond float64      `json:"idle_polls_per_second_per_cache"`
	Paths              []wakeupPath `json:"paths"`
}

// measureWakeups runs the comparison: latency trials of the two paths
// interleaved, then a storm of each.
// Its sessions are those of users first to first+wakeupUsers-1.
func measureWakeups(ctx context.Context, url string, pool *pgxpool.Pool, store *luciapg.Store, first int) (wakeupResult, error) {
	caches := make([]*sessioncache.Cache, wakeupCaches)
	for i := range caches {
		c, err := startSessionCache(ctx, store, sessioncache.Config{ConnString: url})
		if err != nil {
			return wakeupResult{}, err
		}
		defer c.Close()
		caches[i] = c
	}
	next := first * dataset.SessionsPerUser
	last := (first + wakeupUsers) * dataset.SessionsPerUser
	nextSession := func() (string, bool) {
		if next >= last {
			return "", false
		}
		id := dataset.SessionID(next/dataset.SessionsPerUser, next%dataset.SessionsPerUser)
		next++
		return id, true
	}
	paths := []struct {
		name   string
		delete func(context.Context, string) error
	}{
		{"through the Store (poll only)", store.DeleteSession},
		{"through a cache (wake-up)", caches[0].DeleteSession},
	}
	result := wakeupResult{Caches: wakeupCaches, Paths: make([]wakeupPath, len(paths))}

	before := caches[1].Stats().Polls
	time.Sleep(time.Second)
	result.IdlePollsPerSecond = float64(caches[1].Stats().Polls - before)

	latencies := make([][]time.Duration, len(paths))
	for range wakeupTrials {
		for p, path := range paths {
			id, ok := nextSession()
			if !ok {
				return wakeupResult{}, errors.New("wake-ups: out of sessions")
			}
			d, err := revocationLatency(ctx, caches[1], id, path.delete)
			if err != nil {
				return wakeupResult{}, fmt.Errorf("%s: %w", path.name, err)
			}
			latencies[p] = append(latencies[p], d)
		}
	}
	for p, path := range paths {
		lat := latencies[p]
		slices.Sort(lat)
		r := &result.Paths[p]
		r.Path = path.name
		r.P50Micros, r.P99Micros, r.MaxMicros = stats.Micros(stats.Percentile(lat, 50)), stats.Micros(stats.Percentile(lat, 99)), stats.Micros(lat[len(lat)-1])
		if err := revocationStorm(ctx, pool, caches, path.delete, nextSession, r); err != nil {
			return wakeupResult{}, fmt.Errorf("%s: %w", path.name, err)
		}
		logf("cache: revocation %s: p50 %.0f µs, p99 %.0f µs; storm %.0f deletes/s (p99 %.0f µs), per cache %.0f polls/s and %.0f wake-ups/s, %.0f sent/s, %.0f commits/s",
			r.Path, r.P50Micros, r.P99Micros, r.DeletesPerSecond, r.DeleteP99Micros, r.PollsPerSecond, r.WokenPerSecond, r.SentPerSecond, r.CommitsPerSecond)
	}
	return result, nil
}

// revocationLatency caches id in watcher, deletes it with del, and
// returns the time from del's return to watcher's first refusal.
//
// The watcher yields between validations, as a server's request
// goroutines do while they wait on their connections: a loop that never
// yields holds its processor, and the timers due on it (the caches' next
// poll among them) wait for the scheduler to preempt it, up to 10 ms. That
// delay, not the poll, made the poll-only path read 19 ms at p50 where
// the poll alone gives about 7.
func revocationLatency(ctx context.Context, watcher *sessioncache.Cache, id string, del func(context.Context, string) error) (time.Duration, error) {
	for range 2 { // the first read caches it, the second is a hit
		if _, err := watcher.GetSession(ctx, id); err != nil {
			return 0, err
		}
	}
	// At a random point of the watcher's poll cycle: back-to-back trials
	// would each start right after the read that ended the previous one.
	time.Sleep(rand.N(cachePollInterval))
	if err := del(ctx, id); err != nil {
		return 0, err
	}
	acked := time.Now()
	for deadline := acked.Add(10 * time.Second); time.Now().Before(deadline); {
		_, err := watcher.GetSession(ctx, id)
		if errors.Is(err, luciapg.ErrInvalidSessionID) {
			return time.Since(acked), nil
		}
		if err != nil {
			return 0, err
		}
		runtime.Gosched()
	}
	return 0, errors.New("a deleted session was still served 10 s later")
}

// revocationStorm deletes sessions with del from wakeupStormers goroutines
// for wakeupStorm, and fills in what it cost.
func revocationStorm(ctx context.Context, pool *pgxpool.Pool, caches []*sessioncache.Cache, del func(context.Context, string) error, nextSession func() (string, bool), r *wakeupPath) error {
	var (
		mu       sync.Mutex
		lat      []time.Duration
		deletes  atomic.Int64
		failure  error
		wg       sync.WaitGroup
		take     sync.Mutex
		deadline = time.Now().Add(wakeupStorm)
	)
	commits := func() (int64, error) {
		var n int64
		err := pool.QueryRow(ctx, "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()").Scan(&n)
		return n, err
	}
	commitsBefore, err := commits()
	if err != nil {
		return err
	}
	statsBefore := make([]sessioncache.Stats, len(caches))
	for i, c := range caches {
		statsBefore[i] = c.Stats()
	}
	began := time.Now()
	for range wakeupStormers {
		wg.Go(func() {
			var mine []time.Duration
			defer func() {
				mu.Lock()
				lat = append(lat, mine...)
				mu.Unlock()
			}()
			for time.Now().Before(deadline) {
				take.Lock()
				id, ok := nextSession()
				take.Unlock()
				if !ok {
					return
				}
				start := time.Now()
				if err := del(ctx, id); err != nil {
					mu.Lock()
					failure = errors.Join(failure, err)
					mu.Unlock()
					return
				}
				mine = append(mine, time.Since(start))
				deletes.Add(1)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(began).Seconds()
	if failure != nil {
		return failure
	}
	// Let the wake-ups of the last deletes arrive before counting.
	time.Sleep(100 * time.Millisecond)
	commitsAfter, err := commits()
	if err != nil {
		return err
	}
	var polls, woken uint64
	for i, c := range caches[1:] {
		s := c.Stats()
		polls += s.Polls - statsBefore[i+1].Polls
		woken += s.WakeupsReceived - statsBefore[i+1].WakeupsReceived
	}
	listeners := float64(len(caches) - 1)
	slices.Sort(lat)
	r.DeletesPerSecond = float64(deletes.Load()) / elapsed
	r.PollsPerSecond = float64(polls) / listeners / elapsed
	r.WokenPerSecond = float64(woken) / listeners / elapsed
	r.SentPerSecond = float64(caches[0].Stats().WakeupsSent-statsBefore[0].WakeupsSent) / elapsed
	r.CommitsPerSecond = float64(commitsAfter-commitsBefore) / elapsed
	r.DeleteP50Micros, r.DeleteP99Micros = stats.Micros(stats.Percentile(lat, 50)), stats.Micros(stats.Percentile(lat, 99))
	return nil
}
