package luciapg

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/luciapg/luciapg/dbgen"
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
		return fmt.Errorf("%w: throttle policy: FreeAttempts %d is negative", ErrInvalidInput, p.FreeAttempts)
	case p.BaseDelay < time.Microsecond:
		return fmt.Errorf("%w: throttle policy: BaseDelay %v is under a microsecond", ErrInvalidInput, p.BaseDelay)
	case p.MaxDelay < p.BaseDelay:
		return fmt.Errorf("%w: throttle policy: MaxDelay %v is below BaseDelay %v", ErrInvalidInput, p.MaxDelay, p.BaseDelay)
	case p.Window < p.MaxDelay:
		return fmt.Errorf("%w: throttle policy: Window %v is shorter than MaxDelay %v", ErrInvalidInput, p.Window, p.MaxDelay)
	}
	return nil
}

// CheckThrottleKey refuses a throttle key that could not be stored, like an
// id: empty, longer than MaxIDBytes, or holding a NUL byte or invalid UTF-8.
// Every luciapg AttemptThrottle applies it; it is exported for other
// implementations (memadapter). The error never repeats the key, which may
// hold a client's address or account name.
func CheckThrottleKey(throttleKey string) error {
	return checkID("throttle key", throttleKey)
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
		BaseDelayUs:  policy.BaseDelay.Microseconds(),
		MaxDelayUs:   policy.MaxDelay.Microseconds(),
		WindowUs:     policy.Window.Microseconds(),
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

// ResetAttempts implements AttemptThrottle by deleting the key's row.
func (s *Store) ResetAttempts(ctx context.Context, throttleKey string) error {
	if err := CheckThrottleKey(throttleKey); err != nil {
		return err
	}
	return interpretError(s.queries.ResetAttempts(ctx, throttleKey))
}

// DeleteStaleAttempts deletes the throttle rows whose block and last
// counted attempt both ended before olderThan, batchSize rows per
// statement, and returns how many it deleted. Pass a time at least the
// policy's Window ago: a row older than that would start again from zero
// anyway, so deleting it changes no outcome. Like DeleteDeadSessions, each
// batch commits by itself on a pool, rows being counted right now are
// skipped rather than waited for, and on error the count already deleted
// is returned with it.
func (s *Store) DeleteStaleAttempts(ctx context.Context, olderThan time.Time, batchSize int) (int64, error) {
	if err := checkBatchSize(batchSize); err != nil {
		return 0, err
	}
	cutoff := pgtype.Timestamptz{Time: olderThan, Valid: true}
	var total int64
	for {
		n, err := s.queries.DeleteStaleAttemptsBatch(ctx, dbgen.DeleteStaleAttemptsBatchParams{
			Cutoff:    cutoff,
			BatchSize: int32(batchSize),
		})
		total += n
		if err != nil {
			return total, interpretError(err)
		}
		if n < int64(batchSize) {
			return total, nil
		}
	}
}

// CountStaleAttempts returns how many throttle rows DeleteStaleAttempts
// would delete for olderThan.
func (s *Store) CountStaleAttempts(ctx context.Context, olderThan time.Time) (int64, error) {
	n, err := s.queries.CountStaleAttempts(ctx, pgtype.Timestamptz{Time: olderThan, Valid: true})
	return n, interpretError(err)
}

// checkAttempt refuses the arguments of a CountAttempt that no
// AttemptThrottle can honour.
func checkAttempt(throttleKey string, now time.Time, policy ThrottlePolicy) error {
	if err := CheckThrottleKey(throttleKey); err != nil {
		return err
	}
	if now.IsZero() {
		return fmt.Errorf("%w: the attempt's time is the zero time", ErrInvalidInput)
	}
	return policy.Validate()
}
