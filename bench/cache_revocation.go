package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
	"github.com/luciapg/luciapg/bench/dataset"
	"github.com/luciapg/luciapg/bench/internal/stats"
	"github.com/luciapg/luciapg/sessioncache"
)

// revocationResult is how long a session deleted by another connection
// kept validating in a cached process.
type revocationResult struct {
	Sessions int `json:"sessions"`
	// Latencies run from the moment the deleting DELETE's autocommit was
	// acknowledged to the first refusal any worker saw; a refusal seen
	// before the acknowledgement arrived counts as 0. The cache learns of
	// a delete at its first read of the change log after the commit, so
	// the latency is about PollInterval at most, plus that read.
	P50Micros float64 `json:"p50_us"`
	P99Micros float64 `json:"p99_us"`
	MaxMicros float64 `json:"max_us"`
	// RefusedBeforeAck counts sessions refused before their delete's
	// acknowledgement reached the deleter.
	RefusedBeforeAck int `json:"refused_before_ack"`
	// SuccessesAfterRefusal counts validations that began after their
	// session had been refused once and still succeeded: a deletion the
	// cache had read from the log, served anyway. It must be 0.
	SuccessesAfterRefusal int64 `json:"successes_after_refusal"`
	Validations           int64 `json:"validations"`
	// PollsPerSecond is how often the cache read the change log while the
	// sessions were deleted and refused (1 / PollInterval at best).
	PollsPerSecond float64 `json:"polls_per_second"`
}

// measureRevocation caches cacheRevoked sessions, has workers validate
// them through a SessionCache, and deletes them one transaction each on
// another connection, as another process would: the cache sees each
// delete only through the change log.
func measureRevocation(ctx context.Context, cfg config, url string, pool *pgxpool.Pool, store *luciapg.Store) (revocationResult, error) {
	cache, err := startSessionCache(ctx, store, sessioncache.Config{ConnString: url})
	if err != nil {
		return revocationResult{}, err
	}
	defer cache.Close()
	a, err := auth.New(cache, auth.Config{})
	if err != nil {
		return revocationResult{}, err
	}
	ids := make([]string, cacheRevoked)
	for i := range ids {
		ids[i] = dataset.SessionID(i, 1) // not among the hot sessions
		if _, _, err := a.ValidateSessionUser(ctx, ids[i]); err != nil {
			return revocationResult{}, err
		}
	}
	deleter, err := pgx.Connect(ctx, url)
	if err != nil {
		return revocationResult{}, err
	}
	defer deleter.Close(context.WithoutCancel(ctx))

	var (
		refusedAt   = make([]atomic.Int64, len(ids)) // unix ns of the first refusal
		refused     atomic.Int64
		violations  atomic.Int64
		validations atomic.Int64
		stop        = make(chan struct{})
		failure     = make(chan error, cfg.Workers)
		wg          sync.WaitGroup
	)
	for w := range cfg.Workers {
		rng := rand.New(rand.NewPCG(uint64(w), 99))
		wg.Go(func() {
			for !closed(stop) {
				i := rng.IntN(len(ids))
				// A refused session is checked again one time in 32, so the
				// workers' time goes to the sessions still to be refused.
				wasRefused := refusedAt[i].Load() != 0
				if wasRefused && rng.IntN(32) != 0 {
					continue
				}
				_, _, err := a.ValidateSessionUser(ctx, ids[i])
				validations.Add(1)
				switch {
				case err == nil:
					if wasRefused {
						violations.Add(1)
					}
				case errors.Is(err, luciapg.ErrInvalidSessionID):
					if refusedAt[i].CompareAndSwap(0, time.Now().UnixNano()) {
						refused.Add(1)
					}
				default:
					failure <- err
					return
				}
			}
		})
	}
	pollsBefore, began := cache.Stats().Polls, time.Now()
	ackAt := make([]int64, len(ids))
	var deleteErr error
	for i, id := range ids {
		if _, deleteErr = deleter.Exec(ctx, "DELETE FROM auth_session WHERE id = $1", id); deleteErr != nil {
			break
		}
		ackAt[i] = time.Now().UnixNano()
	}
	deadline := time.Now().Add(30 * time.Second)
	for deleteErr == nil && refused.Load() < int64(len(ids)) && time.Now().Before(deadline) && len(failure) == 0 {
		time.Sleep(time.Millisecond) // a benchmark's poll, not a test's
	}
	pollsPerSecond := float64(cache.Stats().Polls-pollsBefore) / time.Since(began).Seconds()
	// Let the workers re-check refused sessions a little longer.
	time.Sleep(200 * time.Millisecond)
	close(stop)
	wg.Wait()
	select {
	case err := <-failure:
		return revocationResult{}, err
	default:
	}
	if deleteErr != nil {
		return revocationResult{}, deleteErr
	}
	if n := refused.Load(); n < int64(len(ids)) {
		return revocationResult{}, fmt.Errorf("only %d of %d deleted sessions were refused within 30 s", n, len(ids))
	}
	r := revocationResult{Sessions: len(ids), SuccessesAfterRefusal: violations.Load(), Validations: validations.Load(), PollsPerSecond: pollsPerSecond}
	lat := make([]time.Duration, len(ids))
	for i := range ids {
		d := time.Duration(refusedAt[i].Load() - ackAt[i])
		if d < 0 {
			r.RefusedBeforeAck++
			d = 0
		}
		lat[i] = d
	}
	slices.Sort(lat)
	r.P50Micros, r.P99Micros, r.MaxMicros = stats.Micros(stats.Percentile(lat, 50)), stats.Micros(stats.Percentile(lat, 99)), stats.Micros(lat[len(lat)-1])
	logf("cache: revocation of %d sessions: p50 %.0f µs, p99 %.0f µs, max %.0f µs; %d refused before the ack; %d successes after a refusal; %.0f polls/s",
		r.Sessions, r.P50Micros, r.P99Micros, r.MaxMicros, r.RefusedBeforeAck, r.SuccessesAfterRefusal, r.PollsPerSecond)
	return r, nil
}
