package auth

import (
	"errors"
	"fmt"
	"time"

	"github.com/luciapg/luciapg"
)

// Lucia v1's defaults, which the zero Config gives.
const (
	DefaultActivePeriod    = 24 * time.Hour
	DefaultIdlePeriod      = 14 * 24 * time.Hour
	DefaultUserIDLength    = 15
	DefaultSessionIDLength = 40
)

// Config adjusts an Auth. Its zero value gives Lucia v1's defaults.
type Config struct {
	// ActivePeriod is how long a new or renewed session is active.
	// Zero means DefaultActivePeriod (24 hours).
	ActivePeriod time.Duration
	// IdlePeriod is how long a session stays idle, and can be renewed,
	// after its active period. Zero means DefaultIdlePeriod (14 days).
	IdlePeriod time.Duration
	// UserIDLength is the length of generated user ids. Zero means
	// DefaultUserIDLength (15).
	UserIDLength int
	// SessionIDLength is the length of generated session ids, and the only
	// length ValidateSession accepts. Zero means DefaultSessionIDLength
	// (40, as Lucia v1 makes them).
	SessionIDLength int
	// Now tells the time; nil means time.Now. Tests set it to move a clock.
	Now func() time.Time
	// PasswordHasher makes and checks password hashes; nil means Lucia v1's
	// scrypt (HashPassword and VerifyPassword), which a Lucia v1 app
	// sharing the database needs.
	PasswordHasher PasswordHasher
}

// PasswordHasher makes and checks password hashes, like Lucia v1's
// passwordHash option.
type PasswordHasher interface {
	// Hash returns the hash to store for password.
	Hash(password string) (string, error)
	// Verify reports whether password matches hash.
	Verify(hash, password string) (bool, error)
}

// ScryptHasher is the PasswordHasher of Lucia v1: HashPassword and
// VerifyPassword.
type ScryptHasher struct{}

// Hash implements PasswordHasher with HashPassword.
func (ScryptHasher) Hash(password string) (string, error) { return HashPassword(password) }

// Verify implements PasswordHasher with VerifyPassword.
func (ScryptHasher) Verify(hash, password string) (bool, error) {
	return VerifyPassword(hash, password)
}

// Auth is Lucia v1's core on top of an adapter. It holds no state of its
// own besides its configuration and is safe for concurrent use when its
// adapter is.
type Auth struct {
	adapter         luciapg.Adapter
	activePeriod    time.Duration
	idlePeriod      time.Duration
	userIDLength    int
	sessionIDLength int
	now             func() time.Time
	hasher          PasswordHasher
}

// New returns an Auth storing its data through adapter, usually a
// *luciapg.Store. Zero fields of cfg take Lucia v1's defaults; a negative
// period or length is treated as zero.
func New(adapter luciapg.Adapter, cfg Config) *Auth {
	a := &Auth{
		adapter:         adapter,
		activePeriod:    positiveOr(cfg.ActivePeriod, DefaultActivePeriod),
		idlePeriod:      positiveOr(cfg.IdlePeriod, DefaultIdlePeriod),
		userIDLength:    positiveOr(cfg.UserIDLength, DefaultUserIDLength),
		sessionIDLength: positiveOr(cfg.SessionIDLength, DefaultSessionIDLength),
		now:             cfg.Now,
		hasher:          cfg.PasswordHasher,
	}
	if a.now == nil {
		a.now = time.Now
	}
	if a.hasher == nil {
		a.hasher = ScryptHasher{}
	}
	return a
}

func positiveOr[T time.Duration | int](v, fallback T) T {
	if v > 0 {
		return v
	}
	return fallback
}

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
// key id or session id.
var (
	// ErrInvalidPassword: UseKey with a wrong password, without a password
	// for a key that has one, or with a password for a key that has none.
	ErrInvalidPassword = &Error{code: "AUTH_INVALID_PASSWORD"}
	// ErrExpiredKey: UseKey of a single-use key past its expiry. The key
	// has been deleted.
	ErrExpiredKey = &Error{code: "AUTH_EXPIRED_KEY"}
)

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

// nowMillis is the current time in the unit the tables store.
func (a *Auth) nowMillis() int64 {
	return a.now().UnixMilli()
}
