package tokens

import (
	"context"
	"crypto/sha256"
	"encoding/hex"

	"github.com/luciapg/luciapg/auth"
	"github.com/luciapg/luciapg/internal/input"
)

// userThrottleKey is the throttle key of a user's codes of one name:
// "tokens:NAME:USERID", or, when that could not be stored (too long),
// "tokens#sha256:" and the SHA-256 of "NAME:USERID", which identifies it as
// well. The auth core's per-key count cannot do this job: each guessed
// code is a different key id.
func userThrottleKey(name, userID string) string {
	readable := "tokens:" + name + ":" + userID
	if input.ThrottleKey(readable) == nil {
		return readable
	}
	sum := sha256.Sum256([]byte(name + ":" + userID))
	return "tokens#sha256:" + hex.EncodeToString(sum[:])
}

// countUserAttempt counts an attempt at one of the user's codes, before
// any is checked: a *auth.TooManyAttemptsError when the user is blocked.
func (t *PasswordTokens) countUserAttempt(ctx context.Context, userID string) error {
	retryAfter, err := t.throttle.CountAttempt(ctx, userThrottleKey(t.name, userID), t.now(), t.policy)
	if err != nil {
		return err
	}
	if retryAfter > 0 {
		return &auth.TooManyAttemptsError{RetryAfter: retryAfter}
	}
	return nil
}

// resetUserAttempts forgets the user's count after a right code, so the
// owner's typos from before do not count against them next time.
func (t *PasswordTokens) resetUserAttempts(ctx context.Context, userID string) error {
	return t.throttle.ResetAttempts(ctx, userThrottleKey(t.name, userID))
}
