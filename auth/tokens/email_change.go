package tokens

import (
	"context"
	"errors"
	"time"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
)

// DefaultEmailChangeExpiresIn is how long a pending email change waits for
// its confirmation.
const DefaultEmailChangeExpiresIn = time.Hour

// EmailChangeConfig configures EmailChanges.
type EmailChangeConfig struct {
	// Column is the auth_user column that holds the user's email address
	// (required).
	Column string
	// VerifiedColumn, when set, is a boolean auth_user column set to true
	// with the change: the new address has just been proven.
	VerifiedColumn string
	// ExpiresIn is how long a change waits for its confirmation; zero
	// means DefaultEmailChangeExpiresIn (1 hour).
	ExpiresIn time.Duration
}

// EmailChanges changes a user's email address only once the new address
// has proven it receives mail: Begin (in sudo mode) stores the change and
// issues a single-use token for a link to the new address, and notifies
// the old one; Confirm with that token applies it. One change per user is
// pending at most; a new Begin replaces it.
type EmailChanges struct {
	core *auth.Auth
	cfg  EmailChangeConfig
}

var errNotYet = errors.New("tokens: not implemented yet")

// NewEmailChanges returns EmailChanges over core, whose adapter must be a
// luciapg.EmailChangeAdapter.
func NewEmailChanges(core *auth.Auth, cfg EmailChangeConfig) (*EmailChanges, error) {
	return &EmailChanges{core: core, cfg: cfg}, nil
}

// Begin asks to change the email address of session's user to newEmail:
// it requires sudo mode (auth.ErrSudoRequired), stores the pending change,
// records an email_change_requested event, sends a notice to the current
// address, and returns the token for the confirmation link to mail to
// newEmail.
func (e *EmailChanges) Begin(ctx context.Context, session auth.Session, newEmail string) (Token, error) {
	return Token{}, errNotYet
}

// Pending returns the user's pending change, or
// luciapg.ErrEmailChangeNotFound.
func (e *EmailChanges) Pending(ctx context.Context, userID string) (luciapg.EmailChange, error) {
	return luciapg.EmailChange{}, errNotYet
}

// Confirm applies the change the token confirms, once, before it expires
// (ErrInvalidToken or ErrExpiredToken otherwise), records an
// email_changed event in the same transaction as the change, notifies the
// old address, and returns the user as changed.
func (e *EmailChanges) Confirm(ctx context.Context, token string) (luciapg.User, error) {
	return luciapg.User{}, errNotYet
}

// Cancel drops the user's pending change and its token; none is a no-op.
func (e *EmailChanges) Cancel(ctx context.Context, userID string) error {
	return errNotYet
}
