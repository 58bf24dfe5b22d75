package luciapg

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/luciapg/luciapg/dbgen"
	"github.com/luciapg/luciapg/internal/input"
)

var _ AttemptThrottle = (*Store)(nil)

// Validate refuses a policy that cannot mean what it says: FreeAttempts
// below zero, a BaseDelay under a microsecond (the Store's resolution), a
// MaxDelay below BaseDelay, or a Window shorter than MaxDelay, with which a
// key would start again from zero, free attempts included, before its
// longest block ended. Every luciapg AttemptThrottle checks its policy with
// it; call it when configuring, to fail at start-up rather than at the
// first attempt.
func (p ThrottlePolicy) Validate() error {
	switch {
	case p.FreeAttempts < 0:
		return fmt.Errorf("%w: throttle policy: FreeAttempts %d is negative", ErrInvalidConfig, p.FreeAttempts)
	case p.BaseDelay < time.Microsecond:
		return fmt.Errorf("%w: throttle policy: BaseDelay %v is under a microsecond", ErrInvalidConfig, p.BaseDelay)
	case p.MaxDelay < p.BaseDelay:
		return fmt.Errorf("%w: throttle policy: MaxDelay %v is below BaseDelay %v", ErrInvalidConfig, p.MaxDelay, p.BaseDelay)
	case p.Window < p.MaxDelay:
		return fmt.Errorf("%w: throttle policy: Window %v is shorter than MaxDelay %v", ErrInvalidConfig, p.Window, p.MaxDelay)
	}
	return nil
}

// Delay is how long a key stays blocked after its attempts-th counted
// attempt: nothing below FreeAttempts, then BaseDelay × 2^(attempts −
// FreeAttempts), never more than MaxDelay, with BaseDelay and MaxDelay
// truncated to the microsecond (the Store's resolution). It never
// overflows, however many the attempts. It assumes a policy Validate
// accepts.
func (p ThrottlePolicy) Delay(attempts int) time.Duration {
	if attempts < p.FreeAttempts {
		return 0
	}
	limit := p.MaxDelay.Truncate(time.Microsecond)
	delay := min(p.BaseDelay.Truncate(time.Microsecond), limit)
	if delay <= 0 {
		return 0 // a policy Validate refuses; no doubling would end
	}
	for range attempts - p.FreeAttempts {
		if delay > limit/2 {
			return limit
		}
		delay *= 2
	}
	return delay
}

// CountAttempt implements AttemptThrottle in one INSERT ... ON CONFLICT DO
// UPDATE on luciapg_attempt_throttle: concurrent attempts, from any number
// of processes sharing the database, queue on the key's row and are all
// counted. now is truncated to the microsecond, the resolution of
// PostgreSQL's timestamptz; the server's clock is never read.
func (s *Store) CountAttempt(ctx context.Context, throttleKey string, now time.Time, policy ThrottlePolicy) (time.Duration, error) {
	if err := checkAttempt(throttleKey, now, policy); err != nil {
		return 0, err
	}
	now = now.Truncate(time.Microsecond)
	row, err := s.queries.CountAttempt(ctx, dbgen.CountAttemptParams{
		ThrottleKey:  throttleKey,
		Now:          pgtype.Timestamptz{Time: now, Valid: true},
		FreeAttempts: int64(policy.FreeAttempts),
		Delays:       delaySteps(policy),
		CountWindow:  interval(policy.Window),
	})
	if err != nil {
		return 0, interpretError(err)
	}
	if !row.Refused {
		return 0, nil
	}
	// A refused attempt found blocked_until after now, so this is positive.
	return row.BlockedUntil.Time.Sub(now), nil
}

// delaySteps lists the policy's delays from the first block on, up to and
// including the first that reaches MaxDelay: at most 64, since each
// doubles the one before. CountAttempt's SQL indexes it by the number of
// attempts beyond the free ones, taking the last beyond its end.
func delaySteps(policy ThrottlePolicy) []pgtype.Interval {
	limit := policy.Delay(math.MaxInt)
	var steps []pgtype.Interval
	for n := policy.FreeAttempts; ; n++ {
		delay := policy.Delay(n)
		steps = append(steps, interval(delay))
		if delay >= limit {
			return steps
		}
	}
}

// interval is d, to the microsecond, as a PostgreSQL interval: exact,
// where multiplying an interval by a number goes through a float.
func interval(d time.Duration) pgtype.Interval {
	return pgtype.Interval{Microseconds: d.Microseconds(), Valid: true}
}

// ResetAttempts implements AttemptThrottle by deleting the key's row.
func (s *Store) ResetAttempts(ctx context.Context, throttleKey string) error {
	if err := input.ThrottleKey(throttleKey); err != nil {
		return err
	}
	return interpretError(s.queries.ResetAttempts(ctx, throttleKey))
}

// PurgeStaleAttempts deletes the throttle rows whose block and last counted
// attempt both ended before olderThan, in batches as opts says, and returns
// how many it deleted. Pass a time at least the policy's Window ago: a row
// older than that would start again from zero anyway, so deleting it
// changes no outcome. Like PurgeDeadSessions, each batch commits by itself
// on a pool, rows being counted right now are skipped rather than waited
// for, and on error what was already deleted is returned with it.
func (s *Store) PurgeStaleAttempts(ctx context.Context, olderThan time.Time, opts PurgeOptions) (int64, error) {
	cutoff := pgtype.Timestamptz{Time: olderThan, Valid: true}
	return purgeInBatches(ctx, opts, func(ctx context.Context, batchSize int32) (int64, error) {
		n, err := s.queries.DeleteStaleAttemptsBatch(ctx, dbgen.DeleteStaleAttemptsBatchParams{
			Cutoff:    cutoff,
			BatchSize: batchSize,
		})
		return n, interpretError(err)
	})
}

// CountStaleAttempts returns how many throttle rows PurgeStaleAttempts
// would delete for olderThan.
func (s *Store) CountStaleAttempts(ctx context.Context, olderThan time.Time) (int64, error) {
	n, err := s.queries.CountStaleAttempts(ctx, pgtype.Timestamptz{Time: olderThan, Valid: true})
	return n, interpretError(err)
}

// checkAttempt refuses the arguments of a CountAttempt that no
// AttemptThrottle can honour: a key or time input.Attempt refuses, or a
// policy Validate refuses.
func checkAttempt(throttleKey string, now time.Time, policy ThrottlePolicy) error {
	if err := input.Attempt(throttleKey, now); err != nil {
		return err
	}
	return policy.Validate()
}
