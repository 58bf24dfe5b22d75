package memadapter

import (
	"context"
	"time"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/internal/input"
)

var _ luciapg.AttemptThrottle = (*Adapter)(nil)

// attemptRow is a row of luciapg_attempt_throttle: the counted attempts,
// when the latest was counted, and until when the key is blocked.
type attemptRow struct {
	attempts     int
	lastAttempt  time.Time
	blockedUntil time.Time
}

// CountAttempt implements luciapg.AttemptThrottle with the Store's
// semantics and resolution: times and durations are truncated to the
// microsecond, as PostgreSQL's timestamptz keeps them.
func (a *Adapter) CountAttempt(_ context.Context, throttleKey string, now time.Time, policy luciapg.ThrottlePolicy) (time.Duration, error) {
	if err := input.Attempt(throttleKey, now); err != nil {
		return 0, err
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
	callerNow := now
	if ok && now.Before(row.lastAttempt) {
		// Attempts reach the row in another order than their clocks were
		// read: as in the Store, now is no earlier than the last counted
		// attempt, so a free attempt's block (until its own now) does not
		// refuse one that read the clock a moment earlier.
		now = row.lastAttempt
	}
	if ok && row.blockedUntil.After(now) {
		return row.blockedUntil.Sub(callerNow), nil
	}
	if !ok || row.lastAttempt.Before(now.Add(-policy.Window.Truncate(time.Microsecond))) {
		row.attempts = 0
	}
	row.attempts++
	row.lastAttempt = now
	row.blockedUntil = now.Add(policy.Delay(row.attempts))
	a.attempts[throttleKey] = row
	return 0, nil
}

// ResetAttempts implements luciapg.AttemptThrottle.
func (a *Adapter) ResetAttempts(_ context.Context, throttleKey string) error {
	if err := input.ThrottleKey(throttleKey); err != nil {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.attempts, throttleKey)
	return nil
}
