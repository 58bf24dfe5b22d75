package tokens

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
	"github.com/luciapg/luciapg/internal/input"
)

// DefaultEmailChangeExpiresIn is how long a pending email change waits for
// its confirmation.
const DefaultEmailChangeExpiresIn = time.Hour

// EmailChangeTokenName is the name (the keys' provider id) of the ID
// tokens EmailChanges issues for its confirmation links.
const EmailChangeTokenName = "email-change"

// maxEmailBytes bounds an email address: RFC 5321's limit on a path.
const maxEmailBytes = 254

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
//
// Only the Column (and VerifiedColumn) change: an application whose key
// ids hold the address (an "email" key for password logins) moves that
// key itself once Confirm returns.
type EmailChanges struct {
	core    *auth.Auth
	cfg     EmailChangeConfig
	tokens  *IDTokens
	changes luciapg.EmailChangeAdapter
}

// NewEmailChanges returns EmailChanges over core, whose adapter must be a
// luciapg.EmailChangeAdapter (the Store and memadapter are). A missing or
// impossible Column, a VerifiedColumn that is impossible or the Column, a
// negative ExpiresIn, or an adapter that stores no email changes is an
// error wrapping luciapg.ErrInvalidConfig.
func NewEmailChanges(core *auth.Auth, cfg EmailChangeConfig) (*EmailChanges, error) {
	if core == nil {
		return nil, fmt.Errorf("%w: tokens: the auth core is nil", luciapg.ErrInvalidConfig)
	}
	if cfg.Column == "" {
		return nil, fmt.Errorf("%w: tokens: EmailChangeConfig.Column (the email address's auth_user column) is required", luciapg.ErrInvalidConfig)
	}
	columns := map[string]any{cfg.Column: nil}
	if cfg.VerifiedColumn != "" {
		if cfg.VerifiedColumn == cfg.Column {
			return nil, fmt.Errorf("%w: tokens: EmailChangeConfig.VerifiedColumn is the Column itself", luciapg.ErrInvalidConfig)
		}
		columns[cfg.VerifiedColumn] = nil
	}
	if _, err := input.AttributeNames(columns); err != nil {
		return nil, fmt.Errorf("%w: tokens: EmailChangeConfig: %w", luciapg.ErrInvalidConfig, err)
	}
	if cfg.ExpiresIn < 0 {
		return nil, fmt.Errorf("%w: tokens: EmailChangeConfig.ExpiresIn is negative", luciapg.ErrInvalidConfig)
	}
	if cfg.ExpiresIn == 0 {
		cfg.ExpiresIn = DefaultEmailChangeExpiresIn
	}
	changes, ok := core.EmailChangeAdapter()
	if !ok {
		return nil, fmt.Errorf("%w: tokens: the auth core's adapter is no luciapg.EmailChangeAdapter", luciapg.ErrInvalidConfig)
	}
	ids, err := NewIDTokens(core, EmailChangeTokenName, IDTokenConfig{ExpiresIn: cfg.ExpiresIn})
	if err != nil {
		return nil, err
	}
	return &EmailChanges{core: core, cfg: cfg, tokens: ids, changes: changes}, nil
}

// Errors of Begin's new address, wrapped with luciapg.ErrInvalidInput;
// none quotes the address.
var (
	errNotAnAddress   = errors.New("tokens: the new email address is not an address (name@domain, without a display name)")
	errAddressTooLong = fmt.Errorf("tokens: the new email address is longer than %d bytes", maxEmailBytes)
	errSameAddress    = errors.New("tokens: the new email address is the current one")
)

// Begin asks to change the email address of session's user to newEmail:
// it requires sudo mode (auth.ErrSudoRequired), stores the pending change,
// records an email_change_requested event, sends a notice to the current
// address, and returns the token for the confirmation link to mail to
// newEmail.
//
// newEmail must be a bare address (name@domain: no display name, no
// angle brackets) of at most 254 bytes, other than the current one
// (compared without case): an error wrapping luciapg.ErrInvalidInput
// otherwise. A pending change is replaced, its token invalidated. Only a
// SHA-256 of the token is stored with the change; the token itself is a
// single-use key (EmailChangeTokenName) that expires with the change.
func (e *EmailChanges) Begin(ctx context.Context, session auth.Session, newEmail string) (Token, error) {
	if err := e.core.RequireSudo(ctx, session); err != nil {
		return Token{}, err
	}
	if err := checkAddress(newEmail); err != nil {
		return Token{}, err
	}
	old, err := e.currentAddress(ctx, session.UserID)
	if err != nil {
		return Token{}, err
	}
	if strings.EqualFold(old, newEmail) {
		return Token{}, fmt.Errorf("%w: %w", luciapg.ErrInvalidInput, errSameAddress)
	}
	if err := e.tokens.InvalidateAllUserTokens(ctx, session.UserID); err != nil {
		return Token{}, err
	}
	token, err := e.tokens.Issue(ctx, session.UserID)
	if err != nil {
		return Token{}, err
	}
	change := luciapg.EmailChange{UserID: session.UserID, NewEmail: newEmail, TokenID: tokenID(token.Value), Expires: token.ExpiresAt}
	wctx := e.core.AuditContext(ctx, luciapg.AuditEmailChangeRequested, session.UserID, session.ID, "")
	if err := e.changes.SetEmailChange(wctx, change); err != nil {
		// No change names the token: take it back rather than leave a
		// link that confirms nothing.
		return Token{}, errors.Join(err, e.tokens.Invalidate(context.WithoutCancel(ctx), token.Value))
	}
	if old != "" {
		e.core.Notify(ctx, auth.Notice{Kind: auth.NoticeEmailChangeRequested, UserID: session.UserID, To: old})
	}
	return token, nil
}

// Pending returns the user's pending change, or
// luciapg.ErrEmailChangeNotFound (also once it expired).
func (e *EmailChanges) Pending(ctx context.Context, userID string) (luciapg.EmailChange, error) {
	return e.changes.GetEmailChange(ctx, userID, e.core.Now())
}

// Confirm applies the change the token confirms, once, before it expires
// (ErrInvalidToken or ErrExpiredToken otherwise), records an
// email_changed event in the same transaction as the change, notifies the
// old address, and returns the user as changed.
//
// The token is used up first (of two confirmations at once, one gets on),
// then the change it names is taken: a token whose change was replaced or
// cancelled is ErrInvalidToken. An address another user took meanwhile is
// the storage's error for the column (luciapg.ErrDuplicateAttribute for a
// UNIQUE one), and the change is gone: Begin again.
func (e *EmailChanges) Confirm(ctx context.Context, token string) (luciapg.User, error) {
	t, err := e.tokens.Validate(ctx, token)
	if err != nil {
		return luciapg.User{}, err
	}
	change, err := e.changes.ConsumeEmailChange(ctx, t.UserID, tokenID(token), e.core.Now())
	switch {
	case errors.Is(err, luciapg.ErrEmailChangeNotFound):
		return luciapg.User{}, ErrInvalidToken
	case err != nil:
		return luciapg.User{}, err
	}
	old, err := e.currentAddress(ctx, change.UserID)
	if err != nil {
		return luciapg.User{}, err
	}
	attributes := map[string]any{e.cfg.Column: change.NewEmail}
	if e.cfg.VerifiedColumn != "" {
		attributes[e.cfg.VerifiedColumn] = true
	}
	wctx := e.core.AuditContext(ctx, luciapg.AuditEmailChanged, change.UserID, "", "")
	user, err := e.core.UpdateUserAttributes(wctx, change.UserID, attributes)
	if err != nil {
		return luciapg.User{}, err
	}
	if old != "" {
		e.core.Notify(ctx, auth.Notice{Kind: auth.NoticeEmailChanged, UserID: change.UserID, To: old})
	}
	return user, nil
}

// Cancel drops the user's pending change and its token; none is a no-op.
func (e *EmailChanges) Cancel(ctx context.Context, userID string) error {
	if err := e.changes.DeleteEmailChange(ctx, userID); err != nil {
		return err
	}
	return e.tokens.InvalidateAllUserTokens(ctx, userID)
}

// currentAddress is the user's address in Column, "" when it holds none.
func (e *EmailChanges) currentAddress(ctx context.Context, userID string) (string, error) {
	user, err := e.core.GetUser(ctx, userID)
	if err != nil {
		return "", err
	}
	old, _ := user.Attributes[e.cfg.Column].(string)
	return old, nil
}

// checkAddress accepts a bare address of at most maxEmailBytes.
func checkAddress(address string) error {
	if len(address) > maxEmailBytes {
		return fmt.Errorf("%w: %w", luciapg.ErrInvalidInput, errAddressTooLong)
	}
	parsed, err := mail.ParseAddress(address)
	if err != nil || parsed.Name != "" || parsed.Address != address {
		return fmt.Errorf("%w: %w", luciapg.ErrInvalidInput, errNotAnAddress)
	}
	return nil
}

// tokenID is what a change stores of its token: the SHA-256 (hex) of the
// token, which names it without being it.
func tokenID(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
