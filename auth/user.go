package auth

import (
	"context"
	"errors"

	"github.com/luciapg/luciapg"
)

// CreateUserParams describes a user for CreateUser.
type CreateUserParams struct {
	// UserID is the new user's id; empty means a random one of
	// Config.UserIDLength characters.
	UserID string
	// Key, when not nil, is created with the user as its primary key.
	Key *PrimaryKeyParams
	// Attributes are values for the application's auth_user columns.
	Attributes map[string]any
}

// PrimaryKeyParams describes the key CreateUser creates with a user.
type PrimaryKeyParams struct {
	// ProviderID names how the user authenticates, such as "email" or
	// "github". It must not be empty or contain ':'.
	ProviderID string
	// ProviderUserID is the user's id with that provider, such as an email
	// address. It must not be empty and may contain ':'.
	ProviderUserID string
	// Password is hashed and stored with the key; empty means the key has
	// no password.
	Password string
}

// CreateUser creates a user and, with params.Key, its primary key, in one
// atomic adapter call: on error neither exists. The password is hashed
// before the adapter is called, so no connection is held while scrypt
// runs; one longer than Config.MaxPasswordBytes is ErrPasswordTooLong. A taken key id is luciapg.ErrDuplicateKeyID, a taken user id
// luciapg.ErrDuplicateUserID.
//
// It is a sign-up, and guarded as one, since anyone may call it through
// an application's form:
//   - when ctx carries a client address (WithClientAddress), the call is
//     first counted against it (Config.SignUpThrottle): past the free
//     ones it is a *TooManyAttemptsError, before anything is hashed;
//   - a key id that is taken is ErrDuplicateKeyID before the password is
//     hashed (the insert still refuses a key taken meanwhile);
//   - its hashing takes one of Config.MaxConcurrentSignUpHashes turns, so
//     a flood of sign-ups leaves logins turns of their own.
//
// A signup event (its detail the key's provider id) goes in the audit log
// in the insert's transaction, with the client in ctx (WithClient): the
// client a later login is compared with for a new sign-in notice.
func (a *Auth) CreateUser(ctx context.Context, params CreateUserParams) (luciapg.User, error) {
	if err := a.countSignUp(ctx); err != nil {
		return luciapg.User{}, err
	}
	userID := params.UserID
	if userID == "" {
		var err error
		if userID, err = randomString(a.userIDLength); err != nil {
			return luciapg.User{}, err
		}
	}
	user := luciapg.User{ID: userID, Attributes: params.Attributes}
	if params.Key == nil {
		return a.adapter.SetUser(a.withAuditEvent(ctx, luciapg.AuditSignUp, userID, "", ""), user, nil)
	}
	keyID, err := makeKeyID(params.Key.ProviderID, params.Key.ProviderUserID)
	if err != nil {
		return luciapg.User{}, err
	}
	var hashedPassword *string
	if params.Key.Password != "" {
		if err := a.checkPasswordLength(params.Key.Password); err != nil {
			return luciapg.User{}, err
		}
		switch _, err := a.adapter.GetKey(ctx, keyID); {
		case err == nil:
			return luciapg.User{}, luciapg.ErrDuplicateKeyID
		case !errors.Is(err, luciapg.ErrInvalidKeyID):
			return luciapg.User{}, err
		}
		hash, err := a.hashSignUp(ctx, params.Key.Password)
		if err != nil {
			return luciapg.User{}, err
		}
		hashedPassword = &hash
	}
	wctx := a.withAuditEvent(ctx, luciapg.AuditSignUp, userID, "", params.Key.ProviderID)
	return a.adapter.SetUser(wctx, user, &luciapg.Key{
		ID:             keyID,
		UserID:         userID,
		PrimaryKey:     true,
		HashedPassword: hashedPassword,
	})
}

// GetUser returns the user, or luciapg.ErrInvalidUserID.
func (a *Auth) GetUser(ctx context.Context, userID string) (luciapg.User, error) {
	return a.adapter.GetUser(ctx, userID)
}

// UpdateUserAttributes sets the given attribute columns (nil stores NULL)
// and returns the updated user, or luciapg.ErrInvalidUserID.
func (a *Auth) UpdateUserAttributes(ctx context.Context, userID string, attributes map[string]any) (luciapg.User, error) {
	return a.adapter.UpdateUserAttributes(ctx, userID, attributes)
}

// DeleteUser deletes the user with all its sessions and keys. An unknown
// user is not an error.
func (a *Auth) DeleteUser(ctx context.Context, userID string) error {
	return a.adapter.DeleteUser(ctx, userID)
}
