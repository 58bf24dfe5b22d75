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

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
	"github.com/luciapg/luciapg/bench/dataset"
	"github.com/luciapg/luciapg/bench/internal/stats"
	"github.com/luciapg/luciapg/sessioncache"
)

// revocationSummary is the revocation measurement over all rounds: the
// spread of each round's latencies and read rate, and the counts summed.
type revocationSummary struct {
	// Sessions are deleted per round.
	Sessions       int          `json:"sessions_per_round"`
	P50Micros      stats.Spread `json:"p50_us"`
	P99Micros      stats.Spread `json:"p99_us"`
	MaxMicros      stats.Spread `json:"max_us"`
	PollsPerSecond stats.Spread `json:"polls_per_second"`
	// The counts of every round, summed.
	RefusedBeforeAck      int   `json:"refused_before_ack"`
	SuccessesAfterRefusal int64 `json:"successes_after_refusal"`
	ServedPastBound       int64 `json:"served_past_bound"`
	Validations           int64 `json:"validations"`
	// Rounds are each round's own result.
	Rounds []revocationResult `json:"rounds"`
}

// Met reports whether the median round's p99 is within the target and no
// round served a deleted session past the cache's bound.
func (s revocationSummary) Met() bool {
	return s.P99Micros.Median <= revocationP99Target && s.ServedPastBound == 0
}

// summarizeRevocation reduces the rounds' results.
func summarizeRevocation(rounds []revocationResult) revocationSummary {
	s := revocationSummary{Rounds: rounds}
	var p50, p99, maxima, polls []float64
	for _, r := range rounds {
		s.Sessions = r.Sessions
		p50, p99, maxima, polls = append(p50, r.P50Micros), append(p99, r.P99Micros), append(maxima, r.MaxMicros), append(polls, r.PollsPerSecond)
		s.RefusedBeforeAck += r.RefusedBeforeAck
		s.SuccessesAfterRefusal += r.SuccessesAfterRefusal
		s.ServedPastBound += r.ServedPastBound
		s.Validations += r.Validations
	}
	s.P50Micros, s.P99Micros, s.MaxMicros, s.PollsPerSecond = stats.SpreadOf(p50), stats.SpreadOf(p99), stats.SpreadOf(maxima), stats.SpreadOf(polls)
	return s
}

// measureRevocations runs the revocation measurement cfg.Rounds times, each
// round on sessions of its own and a SessionCache of its own.
func measureRevocations(ctx context.Context, cfg config, url string, store *luciapg.Store) (revocationSummary, error) {
	var rounds []revocationResult
	for round := range cfg.Rounds {
		r, err := measureRevocation(ctx, cfg, url, store, round)
		if err != nil {
			return revocationSummary{}, fmt.Errorf("round %d: %w", round+1, err)
		}
		rounds = append(rounds, r)
	}
	return summarizeRevocation(rounds), nil
}

// revocationUsers is how many users the revocation rounds' sessions
// belong to: each round deletes the second session of cacheRevoked users
// of its own.
func revocationUsers(rounds int) int { return rounds * cacheRevoked }

// revocationResult is how long a session deleted by another connection
// kept validating in a cached process, in one round.
type revocationResult struct {
	Round    int `json:"round"`
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
	// session had been refused once and still succeeded. A refusal may
	// come from the database (a miss, or a read while the cache lagged)
	// before the cache has read the delete from the log, and the entry is
	// then served until it does, within MaxLag of the delete's commit.
	SuccessesAfterRefusal int64 `json:"successes_after_refusal"`
	// ServedPastBound counts the successes of validations that began more
	// than the cache's MaxLag after the delete was acknowledged: what the
	// cache promises never to do. It must be 0.
	ServedPastBound int64 `json:"served_past_bound"`
	Validations     int64 `json:"validations"`
	// PollsPerSecond is how often the cache read the change log while the
	// sessions were deleted and refused (1 / PollInterval at best).
	PollsPerSecond float64 `json:"polls_per_second"`
}

// measureRevocation caches cacheRevoked sessions, has workers validate
// them through a SessionCache, and deletes them one transaction each on
// another connection, as another process would: the cache sees each
// delete only through the change log. Round (from 0) picks the sessions:
// the second of users round*cacheRevoked on, none of them hot.
func measureRevocation(ctx context.Context, cfg config, url string, store *luciapg.Store, round int) (revocationResult, error) {
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
		ids[i] = dataset.SessionID(round*cacheRevoked+i, 1) // not among the hot sessions
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
		pastBound   atomic.Int64
		ackAt       = make([]atomic.Int64, len(ids)) // unix ns of the delete's ack
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
				began := time.Now().UnixNano()
				_, _, err := a.ValidateSessionUser(ctx, ids[i])
				validations.Add(1)
				switch {
				case err == nil:
					if wasRefused {
						violations.Add(1)
					}
					if acked := ackAt[i].Load(); acked != 0 && time.Duration(began-acked) > cacheMaxLag {
						pastBound.Add(1)
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
	var deleteErr error
	for i, id := range ids {
		if _, deleteErr = deleter.Exec(ctx, "DELETE FROM auth_session WHERE id = $1", id); deleteErr != nil {
			break
		}
		ackAt[i].Store(time.Now().UnixNano())
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
	r := revocationResult{Round: round + 1, Sessions: len(ids), SuccessesAfterRefusal: violations.Load(), ServedPastBound: pastBound.Load(), Validations: validations.Load(), PollsPerSecond: pollsPerSecond}
	lat := make([]time.Duration, len(ids))
	for i := range ids {
		d := time.Duration(refusedAt[i].Load() - ackAt[i].Load())
		if d < 0 {
			r.RefusedBeforeAck++
			d = 0
		}
		lat[i] = d
	}
	slices.Sort(lat)
	r.P50Micros, r.P99Micros, r.MaxMicros = stats.Micros(stats.Percentile(lat, 50)), stats.Micros(stats.Percentile(lat, 99)), stats.Micros(lat[len(lat)-1])
	logf("cache round %d  revocation of %d sessions: p50 %.0f µs, p99 %.0f µs, max %.0f µs; %d refused before the ack; %d successes after a refusal, %d past the bound; %.0f polls/s",
		r.Round, r.Sessions, r.P50Micros, r.P99Micros, r.MaxMicros, r.RefusedBeforeAck, r.SuccessesAfterRefusal, r.ServedPastBound, r.PollsPerSecond)
	return r, nil
}
