package auth

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/luciapg/luciapg"
)

// Key is a way for a user to authenticate, as the auth core sees it.
type Key struct {
	// ProviderID and ProviderUserID make the key's id,
	// "providerID:providerUserID".
	ProviderID     string
	ProviderUserID string
	// UserID is the id of the user the key belongs to.
	UserID string
	// Primary is true for the key created with its user; DeleteKey never
	// deletes it.
	Primary bool
	// PasswordDefined reports whether the key has a password.
	PasswordDefined bool
	// Expires is zero for a persistent key and the expiry of a single-use
	// key.
	Expires time.Time
	// Expired is true for a single-use key past its expiry when it was read.
	Expired bool
}

// SingleUse reports whether the key is deleted by its first successful
// UseKey.
func (k Key) SingleUse() bool { return !k.Expires.IsZero() }

// CreateKeyParams describes a key for CreateKey.
type CreateKeyParams struct {
	// ProviderID must not be empty or contain ':'.
	ProviderID string
	// ProviderUserID must not be empty; it may contain ':'.
	ProviderUserID string
	// Password is hashed and stored with the key; empty means none (a key
	// for UsePasswordlessKey). At most Config.MaxPasswordBytes.
	Password string
	// ExpiresIn, when positive, makes a single-use key that expires this
	// long after its creation; zero makes a persistent key.
	ExpiresIn time.Duration
}

// makeKeyID returns "providerID:providerUserID". A provider id with a colon
// would make the split ambiguous, so it is refused; the provider user id is
// everything after the first colon.
func makeKeyID(providerID, providerUserID string) (string, error) {
	if providerID == "" || strings.Contains(providerID, ":") {
		return "", invalidInput(errInvalidProviderID)
	}
	if providerUserID == "" {
		return "", invalidInput(errEmptyProviderUserID)
	}
	return providerID + ":" + providerUserID, nil
}

func (a *Auth) keyFromRow(row luciapg.Key) Key {
	providerID, providerUserID, _ := strings.Cut(row.ID, ":")
	key := Key{
		ProviderID:      providerID,
		ProviderUserID:  providerUserID,
		UserID:          row.UserID,
		Primary:         row.PrimaryKey,
		PasswordDefined: row.HashedPassword != nil,
	}
	if row.Expires != nil {
		key.Expires = time.UnixMilli(*row.Expires)
		key.Expired = a.nowMillis() > *row.Expires
	}
	return key
}

// CreateKey adds a key to an existing user: persistent, or single-use when
// params.ExpiresIn is positive. The password is hashed before the adapter
// is called. A persistent key is recorded as a key_linked event (its
// detail the provider id) in the insert's transaction; a single-use key
// (a token's) is not. An unknown user is luciapg.ErrInvalidUserID, a taken key id
// luciapg.ErrDuplicateKeyID.
func (a *Auth) CreateKey(ctx context.Context, userID string, params CreateKeyParams) (Key, error) {
	keyID, err := makeKeyID(params.ProviderID, params.ProviderUserID)
	if err != nil {
		return Key{}, err
	}
	if params.ExpiresIn < 0 {
		return Key{}, invalidInput(errNegativeExpiry)
	}
	hashedPassword, err := a.hashOptional(ctx, params.Password)
	if err != nil {
		return Key{}, err
	}
	row := luciapg.Key{ID: keyID, UserID: userID, HashedPassword: hashedPassword}
	wctx := ctx
	if params.ExpiresIn > 0 {
		expires := a.nowMillis() + params.ExpiresIn.Milliseconds()
		row.Expires = &expires
	} else {
		// A way to sign in was added; a single-use key is a token's, not.
		wctx = a.withAuditEvent(ctx, luciapg.AuditKeyLinked, userID, "", params.ProviderID)
	}
	if err := a.adapter.SetKey(wctx, row); err != nil {
		return Key{}, err
	}
	return a.keyFromRow(row), nil
}

// GetKey returns the key, or luciapg.ErrInvalidKeyID. It does not use up a
// single-use key.
func (a *Auth) GetKey(ctx context.Context, providerID, providerUserID string) (Key, error) {
	keyID, err := makeKeyID(providerID, providerUserID)
	if err != nil {
		return Key{}, err
	}
	row, err := a.adapter.GetKey(ctx, keyID)
	if err != nil {
		return Key{}, err
	}
	return a.keyFromRow(row), nil
}

// GetAllUserKeys returns every key of the user, primary included. A user
// with none is checked to exist: luciapg.ErrInvalidUserID if not.
func (a *Auth) GetAllUserKeys(ctx context.Context, userID string) ([]Key, error) {
	rows, err := a.adapter.GetKeysByUserID(ctx, userID)
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		if _, err := a.adapter.GetUser(ctx, userID); err != nil {
			return nil, err
		}
	}
	keys := make([]Key, len(rows))
	for i, row := range rows {
		keys[i] = a.keyFromRow(row)
	}
	return keys, nil
}

// UpdateKeyPassword sets the key's password; an empty password removes it,
// making the key one for UsePasswordlessKey. The new password is hashed
// before the adapter is called; one longer than Config.MaxPasswordBytes is
// ErrPasswordTooLong. An unknown key
// is luciapg.ErrInvalidKeyID.
//
// The change of a persistent key's password is recorded as a
// password_changed event in the update's transaction (the key is read
// first, to know its user), unless ctx carries an event already: an
// application that completes a password reset passes its own
// (AuditContext with luciapg.AuditPasswordResetCompleted), which is
// recorded instead. The user is then sent a notice (Config.Notifier).
func (a *Auth) UpdateKeyPassword(ctx context.Context, providerID, providerUserID, password string) (Key, error) {
	keyID, err := makeKeyID(providerID, providerUserID)
	if err != nil {
		return Key{}, err
	}
	hashedPassword, err := a.hashOptional(ctx, password)
	if err != nil {
		return Key{}, err
	}
	wctx := ctx
	if _, ok := a.audits(); ok && !hasAuditEvent(ctx) {
		current, err := a.adapter.GetKey(ctx, keyID)
		if err != nil {
			return Key{}, err
		}
		if current.Expires == nil {
			wctx = a.withAuditEvent(ctx, luciapg.AuditPasswordChanged, current.UserID, "", passwordChangeDetail(password))
		}
	}
	row, err := a.adapter.UpdateKeyPassword(wctx, keyID, hashedPassword)
	if err != nil {
		return Key{}, err
	}
	if row.Expires == nil {
		a.Notify(ctx, Notice{Kind: NoticePasswordChanged, UserID: row.UserID, Detail: passwordChangeDetail(password)})
	}
	return a.keyFromRow(row), nil
}

// passwordChangeDetail is the detail of a password change: "removed" when
// the key is left without one.
func passwordChangeDetail(password string) string {
	if password == "" {
		return "removed"
	}
	return ""
}

// DeleteKey deletes a key that is not a primary key. As in Lucia v1, a
// primary key or an unknown key is left alone without an error: a user's
// primary key goes only with the user (DeleteUser). Deleting a persistent
// key is recorded as a key_unlinked event (its detail the provider id) in
// the delete's transaction; the key is read first, to know its user and
// kind, when the adapter keeps a log.
func (a *Auth) DeleteKey(ctx context.Context, providerID, providerUserID string) error {
	keyID, err := makeKeyID(providerID, providerUserID)
	if err != nil {
		return err
	}
	wctx := ctx
	if _, ok := a.audits(); ok && !hasAuditEvent(ctx) {
		current, err := a.adapter.GetKey(ctx, keyID)
		switch {
		case errors.Is(err, luciapg.ErrInvalidKeyID):
		case err != nil:
			return err
		case !current.PrimaryKey && current.Expires == nil:
			wctx = a.withAuditEvent(ctx, luciapg.AuditKeyUnlinked, current.UserID, "", providerID)
		}
	}
	return a.adapter.DeleteNonPrimaryKey(wctx, keyID)
}
