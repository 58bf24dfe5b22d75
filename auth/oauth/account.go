package oauth

import (
	"context"
	"errors"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
)

// signIn returns the user owning the key, through UsePasswordlessKey (so
// the attempt is throttled like a password's), or creates the user and the
// key in one atomic CreateUser.
func (f *Flow) signIn(ctx context.Context, providerUserID string) (Result, error) {
	res, err := f.existing(ctx, providerUserID)
	if !errors.Is(err, luciapg.ErrInvalidKeyID) {
		return res, err
	}
	var attrs map[string]any
	if f.cfg.NewUserAttributes != nil {
		if attrs, err = f.cfg.NewUserAttributes(ctx, providerUserID); err != nil {
			return Result{}, err
		}
	}
	user, err := f.auth.CreateUser(ctx, auth.CreateUserParams{
		Key:        &auth.PrimaryKeyParams{ProviderID: f.provider.ID, ProviderUserID: providerUserID},
		Attributes: attrs,
	})
	if errors.Is(err, luciapg.ErrDuplicateKeyID) {
		// A concurrent first sign-in of the same account created it.
		return f.existing(ctx, providerUserID)
	}
	if err != nil {
		return Result{}, err
	}
	return Result{User: user, Key: auth.Key{ProviderID: f.provider.ID, ProviderUserID: providerUserID, UserID: user.ID, Primary: true}, Created: true}, nil
}

func (f *Flow) existing(ctx context.Context, providerUserID string) (Result, error) {
	key, err := f.auth.UsePasswordlessKey(ctx, f.provider.ID, providerUserID)
	if err != nil {
		return Result{}, err
	}
	user, err := f.auth.GetUser(ctx, key.UserID)
	if err != nil {
		return Result{}, err
	}
	return Result{User: user, Key: key}, nil
}

// link adds the key to the signed-in user; a key that is already theirs is
// success, one that is another user's is ErrLinkedToOtherUser.
func (f *Flow) link(ctx context.Context, userID, providerUserID string) (Result, error) {
	user, err := f.auth.GetUser(ctx, userID)
	if err != nil {
		return Result{}, err
	}
	key, err := f.auth.CreateKey(ctx, userID, auth.CreateKeyParams{ProviderID: f.provider.ID, ProviderUserID: providerUserID})
	if errors.Is(err, luciapg.ErrDuplicateKeyID) {
		key, err = f.auth.GetKey(ctx, f.provider.ID, providerUserID)
		if err != nil {
			return Result{}, err
		}
		if key.UserID != userID {
			return Result{}, ErrLinkedToOtherUser
		}
		return Result{User: user, Key: key}, nil
	}
	if err != nil {
		return Result{}, err
	}
	return Result{User: user, Key: key, Linked: true}, nil
}
