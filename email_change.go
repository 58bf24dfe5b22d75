package luciapg

import (
	"context"
	"time"
)

// EmailChange is a user's pending change of email address, a row of
// luciapg_email_change: it applies only when the link sent to NewEmail is
// followed before Expires.
type EmailChange struct {
	UserID string
	// NewEmail is the address asked for, at most 254 bytes.
	NewEmail string
	// TokenID names the single-use token (a tokens.IDTokens key) the
	// confirmation must present; the token itself is never stored here.
	TokenID string
	// Expires ends the change.
	Expires time.Time
	// CreatedAt is when it was asked for; set by the storage.
	CreatedAt time.Time
}

// EmailChangeAdapter stores pending email changes, one per user at most.
// The Store, memadapter, sessioncache.Cache and replica.Router implement it
// (the Cache passing every call on, the Router to the primary).
type EmailChangeAdapter interface {
	// SetEmailChange stores change as the user's pending change, replacing
	// any other; ErrInvalidUserID when there is no such user.
	SetEmailChange(ctx context.Context, change EmailChange) error
	// GetEmailChange returns the user's pending change, or
	// ErrEmailChangeNotFound when there is none or it expired before now.
	GetEmailChange(ctx context.Context, userID string, now time.Time) (EmailChange, error)
	// ConsumeEmailChange deletes the user's pending change with this token
	// id and returns it, at once for all callers (of two concurrent calls,
	// one wins), or returns ErrEmailChangeNotFound when there is none, it
	// names another token, or it expired before now.
	ConsumeEmailChange(ctx context.Context, userID, tokenID string, now time.Time) (EmailChange, error)
	// DeleteEmailChange removes the user's pending change; none is a no-op.
	DeleteEmailChange(ctx context.Context, userID string) error
	// PurgeExpiredEmailChanges deletes the changes that expired before
	// before, and returns how many.
	PurgeExpiredEmailChanges(ctx context.Context, before time.Time) (int64, error)
}
