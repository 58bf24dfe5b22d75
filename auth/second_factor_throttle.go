package auth

import (
	"context"
	"time"

	"github.com/luciapg/luciapg"
)

// defaultSecondFactorThrottle is Config.SecondFactorThrottle's default:
// five typos are free, then each attempt waits twice as long as the one
// before, up to 15 minutes. A guesser of six-digit codes then gets about a
// hundred tries a day, each with three codes in its window: one chance in
// about 3,000 per day, where an unthrottled one would need minutes.
var defaultSecondFactorThrottle = luciapg.ThrottlePolicy{
	FreeAttempts: 5,
	BaseDelay:    time.Second,
	MaxDelay:     15 * time.Minute,
	Window:       24 * time.Hour,
}

// secondFactorThrottleKey is the throttle key of a user's one-time codes
// and recovery codes: one count for both, so that switching between them
// buys a guesser nothing, and one for every login, pending or not, so
// that starting a new pending login does not either.
func secondFactorThrottleKey(userID string) string {
	return throttleKey("2fa", userID)
}

// countSecondFactor counts an attempt at a code of the user, from the
// client address in ctx if any (Config.AddressThrottle, as logins are) and
// on the user (Config.SecondFactorThrottle), before anything is checked;
// a *TooManyAttemptsError when either is blocked.
func (a *Auth) countSecondFactor(ctx context.Context, userID string) error {
	if addr, ok := ClientAddress(ctx); ok {
		if err := a.countOn(ctx, throttleKey("addr", a.AddressKey(addr)), a.addressThrottle); err != nil {
			return err
		}
	}
	return a.countOn(ctx, secondFactorThrottleKey(userID), a.secondFactorThrottle)
}

// resetSecondFactor forgets the user's attempts after a right code.
func (a *Auth) resetSecondFactor(ctx context.Context, userID string) error {
	return a.adapter.ResetAttempts(ctx, secondFactorThrottleKey(userID))
}
