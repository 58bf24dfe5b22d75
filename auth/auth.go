package auth

import (
	"fmt"
	"runtime"
	"time"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/internal/input"
	"github.com/luciapg/luciapg/internal/throttlepolicy"
)

// Lucia v1's defaults, which the zero Config gives, and luciapg's bounds on
// password hashing.
const (
	DefaultActivePeriod    = 24 * time.Hour
	DefaultIdlePeriod      = 14 * 24 * time.Hour
	DefaultUserIDLength    = 15
	DefaultSessionIDLength = 40
	// DefaultPendingLoginPeriod is how long a pending login waits for its
	// second factor: time to open an authenticator app, not to walk away.
	DefaultPendingLoginPeriod = 5 * time.Minute
	// DefaultSudoPeriod is how long after the user last proved who they
	// are a session may do sensitive things (RequireSudo).
	DefaultSudoPeriod = 10 * time.Minute
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
	// Zero means DefaultActivePeriod (24 hours). Attempts to guess a
	// password or a passwordless key (UseKey, UsePasswordlessKey) are
	// counted by the adapter's luciapg.AttemptThrottle, where every
	// instance of an application sharing the database sees the same
	// count.
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
	// KeyThrottle limits attempts on one key, whatever their origin. Zero
	// fields take the defaults; the policy must then pass
	// luciapg.ThrottlePolicy.Validate. The defaults: 5 free attempts, then a wait of 1 s,
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
	// SignUpThrottle limits CreateUser calls from one client address (see
	// WithClientAddress), so that a flood of sign-ups cannot spend the
	// hashing every login needs. It is counted before anything else and
	// never reset. Zero fields take the defaults: 20 free sign-ups, then a
	// wait of 10 s, doubling up to 15 min, forgotten after 24 h without
	// one.
	SignUpThrottle luciapg.ThrottlePolicy
	// MaxConcurrentSignUpHashes bounds the hashes CreateUser runs at once,
	// within MaxConcurrentHashes, so that sign-ups never hold every turn
	// and logins always have some. Zero means half of MaxConcurrentHashes,
	// at least 1; more than MaxConcurrentHashes is an error.
	MaxConcurrentSignUpHashes int
	// IPv6PrefixLength is how many leading bits of an IPv6 client address
	// the throttles count it by (AddressThrottle, SignUpThrottle, and
	// AddressKey for an application's own): one subscriber is usually
	// given a whole /64, so counting single addresses would let one
	// machine use 2^64 of them. Zero means 64; 128 counts each address
	// alone. IPv4 addresses are counted one by one.
	IPv6PrefixLength int

	// SecretKeys seal authenticator-app secrets (AES-256-GCM): the first
	// seals new ones, every one opens those it sealed, so a key is rotated
	// by putting a new one first. Without any, BeginTOTPEnrollment and
	// every TOTP check return ErrSecondFactorsUnavailable.
	SecretKeys []SecretKey
	// TOTPIssuer names the site in authenticator apps; empty means
	// "luciapg". It must not contain ':', which separates it from the
	// account name in the app's label.
	TOTPIssuer string
	// SecondFactorThrottle limits attempts at one user's one-time codes and
	// recovery codes, counted per user with the attempt throttle. Zero
	// fields take the defaults: 5 free attempts, then 1 s doubling up to 15
	// min, forgotten after 24 h without one or at the next success.
	SecondFactorThrottle luciapg.ThrottlePolicy
	// PendingLoginPeriod is how long a pending login waits for its second
	// factor. Zero means DefaultPendingLoginPeriod (5 minutes).
	PendingLoginPeriod time.Duration
	// SudoPeriod is how long after the user last proved who they are in a
	// session its sensitive actions are allowed. Zero means
	// DefaultSudoPeriod (10 minutes).
	SudoPeriod time.Duration

	// LastSeenInterval is how often at most a session's last use is
	// written: validations record it in memory, and a background write
	// stores a batch (within 10 seconds, or the interval if shorter)
	// through the adapter given to New, so a validation the session cache
	// answers still costs no round trip. Zero means
	// DefaultLastSeenInterval (5 minutes). FlushLastSeen writes what is
	// recorded at once.
	LastSeenInterval time.Duration
	// Notifier sends security notices (a sign-in from a new client, a
	// password or email changed, a second factor removed), in the
	// background once the change committed, at most MaxNoticesInFlight
	// at once: sending never delays or fails the action. nil sends none.
	// A sign-in from a new client is told from the audit log, so it needs
	// an adapter that keeps one (luciapg.AuditAdapter), and costs a login
	// one read of it (two when the client is new).
	Notifier Notifier
	// DescribeDevice turns a user agent into plain words ("Firefox on
	// Linux") for notices; nil uses the user agent as it is.
	DescribeDevice func(userAgent string) string
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

// NeedsRehash implements Rehasher: a legacy Lucia v1 hash ("<salt>:<key>",
// scrypt with r=8) needs one; an "s2" hash does not.
func (ScryptHasher) NeedsRehash(hash string) bool { return isLegacyHash(hash) }

// Auth is Lucia v1's core on top of an adapter. It holds no state of its
// own besides its configuration, its turns at hashing and a dummy hash,
// and is safe for concurrent use when its adapter is.
type Auth struct {
	adapter luciapg.ThrottlingAdapter
	// held collects the notices raised through this Auth until the
	// application's transaction ends (HoldNotices); nil sends them at once.
	held *HeldNotices
	// shared is what every Auth made from one New has in common, WithAdapter's included.
	*shared
}

// shared is an Auth's configuration and the limits it enforces: what
// WithAdapter keeps.
type shared struct {
	activePeriod     time.Duration
	idlePeriod       time.Duration
	userIDLength     int
	sessionIDLength  int
	now              func() time.Time
	hasher           PasswordHasher
	maxPasswordBytes int
	// hashTurns holds one token per hash in progress (MaxConcurrentHashes).
	hashTurns chan struct{}
	// signUpTurns holds one token per CreateUser hash in progress
	// (MaxConcurrentSignUpHashes), taken before a hashTurns token.
	signUpTurns      chan struct{}
	keyThrottle      luciapg.ThrottlePolicy
	addressThrottle  luciapg.ThrottlePolicy
	signUpThrottle   luciapg.ThrottlePolicy
	ipv6PrefixLength int

	// secretKeys seal authenticator-app secrets, the first one new ones
	// (Config.SecretKeys); empty means no authenticator apps.
	secretKeys           []secretKey
	totpIssuer           string
	secondFactorThrottle luciapg.ThrottlePolicy
	pendingLoginPeriod   time.Duration
	sudoPeriod           time.Duration

	// dummyHash is what a refused UseKey verifies against (see
	// spendVerification); made on first use by a custom hasher, under
	// dummyLock (one token).
	dummyLock chan struct{}
	dummyHash string

	// notifier sends security notices (Config.Notifier), nil for none;
	// noticeTurns holds one token per notice being sent
	// (MaxNoticesInFlight).
	notifier        Notifier
	deviceDescriber func(userAgent string) string
	noticeTurns     chan struct{}
	// sending counts the notices handed to the Notifier and not yet
	// returned, for WaitNotices.
	sending noticeCount
	// lastSeen records sessions' uses and writes them in batches, through
	// the adapter New was given.
	lastSeen *lastSeen
}

// New returns an Auth storing its data through adapter, usually a
// *luciapg.Store (or a session cache or replica router over one), which
// also counts the attempts to guess a password. Zero fields of cfg take
// the defaults; a negative period, length or limit, a throttle policy
// that luciapg.ThrottlePolicy.Validate refuses, or a SecretKey whose ID is
// not 1 to 32 characters of [A-Za-z0-9_-], is not unique, or whose Key is
// not 32 bytes, is an error wrapping luciapg.ErrInvalidConfig, never
// silently replaced.
func New(adapter luciapg.ThrottlingAdapter, cfg Config) (*Auth, error) {
	if input.IsNil(adapter) {
		return nil, fmt.Errorf("%w: auth: the adapter is nil", luciapg.ErrInvalidConfig)
	}
	for _, f := range []struct {
		name  string
		value int64
	}{
		{"ActivePeriod", int64(cfg.ActivePeriod)}, {"IdlePeriod", int64(cfg.IdlePeriod)},
		{"UserIDLength", int64(cfg.UserIDLength)}, {"SessionIDLength", int64(cfg.SessionIDLength)},
		{"MaxPasswordBytes", int64(cfg.MaxPasswordBytes)}, {"MaxConcurrentHashes", int64(cfg.MaxConcurrentHashes)},
		{"MaxConcurrentSignUpHashes", int64(cfg.MaxConcurrentSignUpHashes)}, {"IPv6PrefixLength", int64(cfg.IPv6PrefixLength)},
		{"PendingLoginPeriod", int64(cfg.PendingLoginPeriod)}, {"SudoPeriod", int64(cfg.SudoPeriod)},
		{"LastSeenInterval", int64(cfg.LastSeenInterval)},
	} {
		if f.value < 0 {
			return nil, fmt.Errorf("%w: auth: %s is negative", luciapg.ErrInvalidConfig, f.name)
		}
	}
	hashTurns := positiveOr(cfg.MaxConcurrentHashes, runtime.GOMAXPROCS(0))
	signUpTurns := positiveOr(cfg.MaxConcurrentSignUpHashes, max(1, hashTurns/2))
	if signUpTurns > hashTurns {
		return nil, fmt.Errorf("%w: auth: MaxConcurrentSignUpHashes (%d) is above MaxConcurrentHashes (%d)", luciapg.ErrInvalidConfig, signUpTurns, hashTurns)
	}
	if cfg.IPv6PrefixLength > 128 {
		return nil, fmt.Errorf("%w: auth: IPv6PrefixLength (%d) is above 128", luciapg.ErrInvalidConfig, cfg.IPv6PrefixLength)
	}
	s := &shared{
		activePeriod:     positiveOr(cfg.ActivePeriod, DefaultActivePeriod),
		idlePeriod:       positiveOr(cfg.IdlePeriod, DefaultIdlePeriod),
		userIDLength:     positiveOr(cfg.UserIDLength, DefaultUserIDLength),
		sessionIDLength:  positiveOr(cfg.SessionIDLength, DefaultSessionIDLength),
		now:              cfg.Now,
		hasher:           cfg.PasswordHasher,
		maxPasswordBytes: positiveOr(cfg.MaxPasswordBytes, DefaultMaxPasswordBytes),
		hashTurns:        make(chan struct{}, hashTurns),
		signUpTurns:      make(chan struct{}, signUpTurns),
		ipv6PrefixLength: positiveOr(cfg.IPv6PrefixLength, 64),
		dummyLock:        make(chan struct{}, 1),

		totpIssuer:         cfg.TOTPIssuer,
		pendingLoginPeriod: positiveOr(cfg.PendingLoginPeriod, DefaultPendingLoginPeriod),
		sudoPeriod:         positiveOr(cfg.SudoPeriod, DefaultSudoPeriod),

		notifier:        cfg.Notifier,
		deviceDescriber: cfg.DescribeDevice,
		noticeTurns:     make(chan struct{}, MaxNoticesInFlight),
	}
	var err error
	if s.secretKeys, err = newSecretKeys(cfg.SecretKeys); err != nil {
		return nil, err
	}
	if s.totpIssuer, err = totpIssuer(cfg.TOTPIssuer); err != nil {
		return nil, err
	}
	if s.secondFactorThrottle, err = throttlepolicy.WithDefaults("auth: SecondFactorThrottle", cfg.SecondFactorThrottle, defaultSecondFactorThrottle); err != nil {
		return nil, err
	}
	if s.keyThrottle, err = throttlepolicy.WithDefaults("auth: KeyThrottle", cfg.KeyThrottle, defaultKeyThrottle); err != nil {
		return nil, err
	}
	if s.addressThrottle, err = throttlepolicy.WithDefaults("auth: AddressThrottle", cfg.AddressThrottle, defaultAddressThrottle); err != nil {
		return nil, err
	}
	if s.signUpThrottle, err = throttlepolicy.WithDefaults("auth: SignUpThrottle", cfg.SignUpThrottle, defaultSignUpThrottle); err != nil {
		return nil, err
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.lastSeen = newLastSeen(adapter, positiveOr(cfg.LastSeenInterval, DefaultLastSeenInterval), s.now)
	switch s.hasher.(type) {
	case nil:
		s.hasher = scryptHasher{}
		s.dummyHash = scryptDummyHash
	case ScryptHasher, *ScryptHasher:
		s.dummyHash = scryptDummyHash
	}
	return &Auth{adapter: adapter, shared: s}, nil
}

// WithAdapter returns the same core over another adapter: the same
// configuration, and the same limits (its hashes take turns with this
// Auth's, so MaxConcurrentHashes bounds both together). Use it to work
// inside a transaction, with a Store on it:
//
//	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
//		user, err := core.WithAdapter(luciapg.New(tx)).CreateUser(ctx, params)
//		// ... rows of the application's own, in the same transaction
//	})
func (a *Auth) WithAdapter(adapter luciapg.ThrottlingAdapter) *Auth {
	return &Auth{adapter: adapter, shared: a.shared, held: a.held}
}

func positiveOr[T time.Duration | int](v, fallback T) T {
	if v > 0 {
		return v
	}
	return fallback
}

// nowMillis is the current time in the unit the tables store.
func (a *shared) nowMillis() int64 {
	return a.now().UnixMilli()
}
