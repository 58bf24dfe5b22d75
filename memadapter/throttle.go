package memadapter

import (
	"context"
	"fmt"
	"time"

	"github.com/luciapg/luciapg"
)

var _ luciapg.AttemptThrottle = (*Adapter)(nil)

// attemptRow is a row of luciapg_attempt_throttle: the counted attempts,
// when the latest was counted, and until when the key is blocked.
type attemptRow struct {
	attempts     int64
	lastAttempt  time.Time
	blockedUntil time.Time
}

// CountAttempt implements luciapg.AttemptThrottle with the Store's
// semantics and resolution: times and durations are truncated to the
// microsecond, as PostgreSQL's timestamptz keeps them.
func (a *Adapter) CountAttempt(_ context.Context, throttleKey string, now time.Time, policy luciapg.ThrottlePolicy) (time.Duration, error) {
	if err := luciapg.CheckThrottleKey(throttleKey); err != nil {
		return 0, err
	}
	if now.IsZero() {
		return 0, fmt.Errorf("%w: the attempt's time is the zero time", luciapg.ErrInvalidInput)
	}
	if err := policy.Validate(); err != nil {
		return 0, err
	}
	now = now.Truncate(time.Microsecond)
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.attempts == nil {
		a.attempts = make(map[string]attemptRow)
	}
	row, ok := a.attempts[throttleKey]
	if ok && row.blockedUntil.After(now) {
		return row.blockedUntil.Sub(now), nil
	}
	if !ok || row.lastAttempt.Before(now.Add(-policy.Window.Truncate(time.Microsecond))) {
		row.attempts = 0
	}
	row.attempts++
	row.lastAttempt = now
	row.blockedUntil = now.Add(attemptDelay(row.attempts, policy))
	a.attempts[throttleKey] = row
	return 0, nil
}

// attemptDelay is how long a key stays blocked after its attempts-th
// counted attempt: nothing while attempts are free, then BaseDelay doubled
// per attempt beyond the free ones, at most MaxDelay, without overflow.
func attemptDelay(attempts int64, policy luciapg.ThrottlePolicy) time.Duration {
	if attempts < int64(policy.FreeAttempts) {
		return 0
	}
	limit := policy.MaxDelay.Truncate(time.Microsecond)
	delay := policy.BaseDelay.Truncate(time.Microsecond)
	for range attempts - int64(policy.FreeAttempts) {
		if delay >= limit/2 {
			return limit
		}
		delay *= 2
	}
	return min(delay, limit)
}

// ResetAttempts implements luciapg.AttemptThrottle.
func (a *Adapter) ResetAttempts(_ context.Context, throttleKey string) error {
	if err := luciapg.CheckThrottleKey(throttleKey); err != nil {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.attempts, throttleKey)
	return nil
}
