package auth

import (
	"errors"
	"fmt"
	"time"

	"github.com/luciapg/luciapg"
)

// Error is a failure of the auth core, identified by its Lucia error code.
// Compare with errors.Is against the sentinel values below; the adapter's
// own errors (luciapg.ErrInvalidSessionID and friends) come through as
// they are.
type Error struct {
	code string
}

// Code returns Lucia's error code, such as "AUTH_INVALID_PASSWORD".
func (e *Error) Code() string { return e.code }

// Error returns the Lucia error code, as Lucia's own errors do.
func (e *Error) Error() string { return e.code }

// The auth core's own failures. None of them carries a password, hash,
// key id or session id. The first two are Lucia v1's; the others, and
// their codes, are luciapg's.
var (
	// ErrInvalidPassword: UseKey with a wrong or empty password, or on a
	// key that has no password; UsePasswordlessKey on a key that has one.
	ErrInvalidPassword = &Error{code: "AUTH_INVALID_PASSWORD"}
	// ErrExpiredKey: UseKey or UsePasswordlessKey of a single-use key past
	// its expiry. The key has been deleted.
	ErrExpiredKey = &Error{code: "AUTH_EXPIRED_KEY"}
	// ErrPasswordTooLong: a password longer than Config.MaxPasswordBytes
	// (HashPassword and VerifyPassword: DefaultMaxPasswordBytes), refused
	// before any hashing, so that its length cannot buy CPU time or memory.
	ErrPasswordTooLong = &Error{code: "AUTH_PASSWORD_TOO_LONG"}
	// ErrTooManyAttempts: an attempt refused, without checking anything,
	// because its key or its client address had too many recent attempts.
	// The error returned is a *TooManyAttemptsError, which says how long
	// to wait; errors.Is matches it with this value.
	ErrTooManyAttempts = &Error{code: "AUTH_TOO_MANY_ATTEMPTS"}
)

// TooManyAttemptsError is the error of an attempt refused by throttling.
// errors.Is(err, ErrTooManyAttempts) reports it; errors.As gives the wait.
type TooManyAttemptsError struct {
	// RetryAfter is how long until the next attempt will be counted.
	RetryAfter time.Duration
}

// Error returns ErrTooManyAttempts' code and the wait in whole seconds,
// rounded up.
func (e *TooManyAttemptsError) Error() string {
	return fmt.Sprintf("%s: retry after %ds", ErrTooManyAttempts.code, RetryAfterSeconds(e.RetryAfter))
}

// Is reports whether target is ErrTooManyAttempts.
func (e *TooManyAttemptsError) Is(target error) bool { return target == ErrTooManyAttempts }

// RetryAfterSeconds returns d in whole seconds, rounded up and at least 1:
// the value of an HTTP Retry-After header, which must not tell a client
// to come back before it will be let in.
func RetryAfterSeconds(d time.Duration) int64 {
	seconds := int64((d + time.Second - 1) / time.Second)
	return max(seconds, 1)
}

// errInvalidProviderID and errEmptyProviderUserID are wrapped with
// luciapg.ErrInvalidInput.
var (
	errInvalidProviderID   = errors.New("provider id is empty or contains ':'")
	errEmptyProviderUserID = errors.New("provider user id is empty")
	errNegativeExpiry      = errors.New("single-use key expiry is negative")
)

func invalidInput(err error) error {
	return fmt.Errorf("%w: %w", luciapg.ErrInvalidInput, err)
}
