package luciapg

import (
	"context"
	"time"
)

// User is a row of auth_user.
type User struct {
	// ID is the user's id (Lucia generates 15 random alphanumerics; any
	// non-empty text is accepted).
	ID string
	// Attributes holds every auth_user column other than id, keyed by column
	// name, with the value pgx decodes for its type. Applications add these
	// columns with migrations of their own.
	Attributes map[string]any
}

// Session is a row of auth_session. Expiries are milliseconds since the
// Unix epoch.
type Session struct {
	ID     string
	UserID string
	// ActiveExpires ends the active period.
	ActiveExpires int64
	// IdleExpires ends the idle period; after it the session is dead.
	IdleExpires int64
}

// Key is a row of auth_key: a way for a user to authenticate, such as an
// email and password or an OAuth account.
type Key struct {
	// ID is "providerID:providerUserID"; the part after the first colon may
	// itself contain colons.
	ID     string
	UserID string
	// PrimaryKey is true only for the key created together with its user.
	PrimaryKey bool
	// HashedPassword is nil for keys without a password.
	HashedPassword *string
	// Expires is nil for a persistent key; for a single-use key it is the
	// expiry in milliseconds since the Unix epoch.
	Expires *int64
}

// UserAdapter is the half of Lucia's adapter contract that stores users and
// their keys.
type UserAdapter interface {
	// GetUser returns the user, or ErrInvalidUserID.
	GetUser(ctx context.Context, userID string) (User, error)
	// SetUser inserts the user and, when key is not nil, the key, atomically,
	// and returns the stored row with database defaults filled in.
	SetUser(ctx context.Context, user User, key *Key) (User, error)
	// UpdateUserAttributes sets the given attribute columns (nil stores NULL)
	// and returns the row; an empty map changes nothing.
	UpdateUserAttributes(ctx context.Context, userID string, attributes map[string]any) (User, error)
	// DeleteUser deletes the user with its sessions and keys, atomically. An
	// unknown user is a no-op.
	DeleteUser(ctx context.Context, userID string) error
	// GetKey returns the key, or ErrInvalidKeyID.
	GetKey(ctx context.Context, keyID string) (Key, error)
	// GetKeysByUserID returns all keys of the user, primary included.
	GetKeysByUserID(ctx context.Context, userID string) ([]Key, error)
	// SetKey inserts a key.
	SetKey(ctx context.Context, key Key) error
	// UpdateKeyPassword sets (or, with nil, clears) the key's password hash
	// and returns the key.
	UpdateKeyPassword(ctx context.Context, keyID string, hashedPassword *string) (Key, error)
	// DeleteNonPrimaryKey deletes the key unless it is a primary key.
	DeleteNonPrimaryKey(ctx context.Context, keyID string) error
	// DeleteKeysByUserID deletes every key of the user.
	DeleteKeysByUserID(ctx context.Context, userID string) error

	// ConsumeKey deletes a non-primary key and returns the row it deleted,
	// or ErrInvalidKeyID when there was none to delete: no such key, a
	// primary key, or a key a concurrent call consumed first. It is
	// luciapg's one addition to Lucia's contract: DeleteNonPrimaryKey cannot
	// tell its caller whether it deleted anything, so two requests could
	// both use the same single-use key.
	ConsumeKey(ctx context.Context, keyID string) (Key, error)
}

// SessionAdapter is the half of Lucia's adapter contract that stores
// sessions.
type SessionAdapter interface {
	// GetSession returns the session, dead or alive, or ErrInvalidSessionID.
	GetSession(ctx context.Context, sessionID string) (Session, error)
	// GetSessionsByUserID returns all sessions of the user, dead ones included.
	GetSessionsByUserID(ctx context.Context, userID string) ([]Session, error)
	// SetSession inserts a session.
	SetSession(ctx context.Context, session Session) error
	// DeleteSession deletes the session; an unknown id is a no-op.
	DeleteSession(ctx context.Context, sessionID string) error
	// DeleteSessionsByUserID deletes every session of the user.
	DeleteSessionsByUserID(ctx context.Context, userID string) error

	// ExtendSession sets the expiries of an existing session in place, in
	// one statement, and returns the updated row, or ErrInvalidSessionID
	// when there is no such session (it was deleted concurrently). It is
	// how the auth core renews an idle session without minting a new id
	// (Lucia v3's choice): a luciapg addition to Lucia v1's contract.
	ExtendSession(ctx context.Context, sessionID string, activeExpires, idleExpires int64) (Session, error)
	// SetSessionForKey inserts a session opened by a password login, only
	// while the key keyID still holds checkedHash, the hash the login
	// verified the password against. When rehash is not nil it first
	// replaces that hash with rehash (the same password, hashed with
	// current parameters). Check, rehash and insert are one transaction,
	// and the check waits for a change of the key in progress: if the key
	// is gone or holds another hash, nothing is written and the error is
	// ErrKeyChanged. So a login whose password was checked just before a
	// reset never leaves a session behind it, as long as the reset changes
	// the key before it ends the sessions (Lucia v1's documented reset
	// does, and so do luciapg's). A luciapg addition to the contract.
	SetSessionForKey(ctx context.Context, session Session, keyID, checkedHash string, rehash *string) error
}

// Adapter is Lucia's whole adapter contract: users, keys, sessions, and the
// session with its user read together.
type Adapter interface {
	UserAdapter
	SessionAdapter
	// GetSessionAndUser returns the session and its user in one round trip,
	// or ErrInvalidSessionID.
	GetSessionAndUser(ctx context.Context, sessionID string) (Session, User, error)
}

// ThrottlePolicy says how many attempts on one throttle key are free and how
// long each further attempt must wait: BaseDelay after the FreeAttempts-th
// counted attempt, then doubling with each further one, never more than
// MaxDelay. A key whose last counted attempt is older than Window starts
// again from zero.
//
// With FreeAttempts 5, BaseDelay 1 s and MaxDelay 15 minutes, five attempts
// pass at once, the 6th must come at least 1 s after the 5th, the 7th 2 s
// after the 6th, then 4 s, 8 s … up to 15 minutes. [ThrottlePolicy.Delay]
// computes the delays and [ThrottlePolicy.Validate] lists what a policy
// must satisfy.
type ThrottlePolicy struct {
	// FreeAttempts is how many counted attempts pass without waiting. The
	// first attempt always passes: with 0, it already blocks the key, for
	// 2 × BaseDelay.
	FreeAttempts int
	// BaseDelay is the first delay; at least a microsecond.
	BaseDelay time.Duration
	// MaxDelay caps the doubling; at least BaseDelay.
	MaxDelay time.Duration
	// Window is how long a key's count lasts after its last counted
	// attempt; at least MaxDelay, so no block outlasts the count behind it.
	Window time.Duration
}

// AttemptThrottle records attempts to guess a secret (a password, a
// one-time code) per throttle key, such as "key:username:bob" or
// "addr:192.0.2.1", so that every process sharing the storage sees the same
// count. The Store keeps it in luciapg's own table luciapg_attempt_throttle,
// never in Lucia's three tables; memadapter keeps it in memory.
type AttemptThrottle interface {
	// CountAttempt is called before a secret is checked. When the key is
	// blocked at now it returns how long the caller must wait and counts
	// nothing. Otherwise it counts the attempt, in one atomic statement
	// (concurrent attempts are all counted), blocks the key for the next
	// delay of policy once the free attempts are used up, and returns zero.
	CountAttempt(ctx context.Context, throttleKey string, now time.Time, policy ThrottlePolicy) (retryAfter time.Duration, err error)
	// ResetAttempts forgets the key's attempts, after a success.
	ResetAttempts(ctx context.Context, throttleKey string) error
}

// ThrottlingAdapter is an Adapter that also throttles attempts: what the
// auth core, the session cache and the replica router take and are. The
// Store, memadapter, sessioncache.Cache and replica.Router all are. To pair
// an adapter with a throttle kept elsewhere, embed both:
//
//	struct {
//		luciapg.Adapter
//		luciapg.AttemptThrottle
//	}{adapter, throttle}
type ThrottlingAdapter interface {
	Adapter
	AttemptThrottle
}

// StaleReader is an optional capability of an adapter whose reads may miss
// writes committed a moment ago, such as replica.Router reading from a
// standby. A layer that caches what it reads (sessioncache) asks its next
// adapter for it, so that a read served from behind a change it has
// already seen is never kept.
type StaleReader interface {
	// MaxStaleness is the longest a read may lag behind a committed write.
	MaxStaleness() time.Duration
}
