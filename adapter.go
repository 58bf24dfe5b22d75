package luciapg

import "context"

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
