package auth

import (
	"runtime"
	"time"

	"github.com/luciapg/luciapg"
)

// Lucia v1's defaults, which the zero Config gives, and luciapg's bounds on
// password hashing.
const (
	DefaultActivePeriod    = 24 * time.Hour
	DefaultIdlePeriod      = 14 * 24 * time.Hour
	DefaultUserIDLength    = 15
	DefaultSessionIDLength = 40
	// DefaultMaxPasswordBytes bounds a password's length in bytes, as
	// given (before NFKC normalization, which can make it 11 times longer:
	// U+FDFA becomes 33 bytes). A thousand bytes is far beyond any
	// passphrase and keeps one hash's cost small and fixed.
	DefaultMaxPasswordBytes = 1024
)

// Config adjusts an Auth. Its zero value gives Lucia v1's defaults, with
// luciapg's limits on password hashing and guessing.
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
	// sharing the database needs. MaxPasswordBytes and
	// MaxConcurrentHashes apply to it whichever it is.
	PasswordHasher PasswordHasher
	// MaxPasswordBytes bounds every password the Auth hashes or checks, in
	// bytes as given; a longer one is ErrPasswordTooLong, refused before
	// any hashing. Zero means DefaultMaxPasswordBytes (1,024).
	MaxPasswordBytes int
	// MaxConcurrentHashes bounds the password hashes and verifications in
	// progress at once in this Auth; further ones wait for a turn, or for
	// their context to end. Each scrypt run holds 32 MiB, so this bounds
	// the memory that concurrent sign-ups and logins can take. Zero means
	// runtime.GOMAXPROCS(0) when New is called: more could not run faster.
	MaxConcurrentHashes int
	// AttemptThrottle counts attempts to guess a password or a passwordless
	// key (UseKey, UsePasswordlessKey). Nil means the adapter, which must
	// then implement luciapg.AttemptThrottle, as the PostgreSQL Store and
	// memadapter do: the count lives with the data, so every instance of
	// an application sharing the database sees the same one. Without
	// either, those methods return ErrNoAttemptThrottle: an attempt is
	// never silently left unthrottled.
	AttemptThrottle luciapg.AttemptThrottle
	// KeyThrottle limits attempts on one key, whatever their origin. Zero
	// fields take the defaults: 5 free attempts, then a wait of 1 s,
	// doubling with each further attempt up to 15 min, forgotten after 24
	// h without an attempt or at the key's next success.
	KeyThrottle luciapg.ThrottlePolicy
	// AddressThrottle limits attempts from one client address (see
	// WithClientAddress; an IPv6 address counts with its whole /64), on
	// any keys. Zero fields take the defaults: 50 free attempts, then the
	// same waits as KeyThrottle. A success does not reset it: every
	// attempt from the address counts, so a guesser cannot interleave a
	// login of their own.
	AddressThrottle luciapg.ThrottlePolicy
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
// VerifyPassword, with their DefaultMaxPasswordBytes limit.
type ScryptHasher struct{}

// Hash implements PasswordHasher with HashPassword.
func (ScryptHasher) Hash(password string) (string, error) { return HashPassword(password) }

// Verify implements PasswordHasher with VerifyPassword.
func (ScryptHasher) Verify(hash, password string) (bool, error) {
	return VerifyPassword(hash, password)
}

// Auth is Lucia v1's core on top of an adapter. It holds no state of its
// own besides its configuration, its turns at hashing and a dummy hash,
// and is safe for concurrent use when its adapter is.
type Auth struct {
	adapter          luciapg.Adapter
	activePeriod     time.Duration
	idlePeriod       time.Duration
	userIDLength     int
	sessionIDLength  int
	now              func() time.Time
	hasher           PasswordHasher
	maxPasswordBytes int
	// hashTurns holds one token per hash in progress (MaxConcurrentHashes).
	hashTurns       chan struct{}
	throttle        luciapg.AttemptThrottle // nil: ErrNoAttemptThrottle
	keyThrottle     luciapg.ThrottlePolicy
	addressThrottle luciapg.ThrottlePolicy

	// dummyHash is what a refused UseKey verifies against (see
	// spendVerification); made on first use by a custom hasher, under
	// dummyLock (one token).
	dummyLock chan struct{}
	dummyHash string
}

// New returns an Auth storing its data through adapter, usually a
// *luciapg.Store. Zero fields of cfg take the defaults; a negative period,
// length or limit is treated as zero.
func New(adapter luciapg.Adapter, cfg Config) *Auth {
	a := &Auth{
		adapter:          adapter,
		activePeriod:     positiveOr(cfg.ActivePeriod, DefaultActivePeriod),
		idlePeriod:       positiveOr(cfg.IdlePeriod, DefaultIdlePeriod),
		userIDLength:     positiveOr(cfg.UserIDLength, DefaultUserIDLength),
		sessionIDLength:  positiveOr(cfg.SessionIDLength, DefaultSessionIDLength),
		now:              cfg.Now,
		hasher:           cfg.PasswordHasher,
		maxPasswordBytes: positiveOr(cfg.MaxPasswordBytes, DefaultMaxPasswordBytes),
		hashTurns:        make(chan struct{}, positiveOr(cfg.MaxConcurrentHashes, runtime.GOMAXPROCS(0))),
		throttle:         cfg.AttemptThrottle,
		keyThrottle:      withDefaults(cfg.KeyThrottle, defaultKeyThrottle),
		addressThrottle:  withDefaults(cfg.AddressThrottle, defaultAddressThrottle),
		dummyLock:        make(chan struct{}, 1),
	}
	if a.now == nil {
		a.now = time.Now
	}
	switch a.hasher.(type) {
	case nil:
		a.hasher = scryptHasher{}
		a.dummyHash = scryptDummyHash
	case ScryptHasher, *ScryptHasher:
		a.dummyHash = scryptDummyHash
	}
	if a.throttle == nil {
		a.throttle, _ = adapter.(luciapg.AttemptThrottle)
	}
	return a
}

func positiveOr[T time.Duration | int](v, fallback T) T {
	if v > 0 {
		return v
	}
	return fallback
}

// nowMillis is the current time in the unit the tables store.
func (a *Auth) nowMillis() int64 {
	return a.now().UnixMilli()
}
