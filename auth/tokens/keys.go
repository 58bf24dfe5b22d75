package tokens

import (
	"context"
	"errors"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
	"github.com/luciapg/luciapg/internal/input"
)

// What both kinds of token do alike with their keys: list and delete a
// user's, and turn the auth core's errors into the package's.

// userKeys returns the user's keys, with ErrInvalidUserID for an unknown
// user.
func userKeys(ctx context.Context, core *auth.Auth, userID string) ([]auth.Key, error) {
	if !input.Findable(userID) {
		return nil, ErrInvalidUserID
	}
	keys, err := core.GetAllUserKeys(ctx, userID)
	if errors.Is(err, luciapg.ErrInvalidUserID) {
		return nil, ErrInvalidUserID
	}
	return keys, err
}

// invalidateAll deletes the user's non-primary keys whose provider id is
// name, persistent or not, as @lucia-auth/tokens' invalidateAllUserTokens
// does.
func invalidateAll(ctx context.Context, core *auth.Auth, name, userID string) error {
	keys, err := userKeys(ctx, core, userID)
	if errors.Is(err, ErrInvalidUserID) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, key := range keys {
		if key.ProviderID != name {
			continue
		}
		if err := core.DeleteKey(ctx, key.ProviderID, key.ProviderUserID); err != nil {
			return err
		}
	}
	return nil
}

// tokenOf is the Token of a key and the value the user holds.
func tokenOf(value string, key auth.Key) Token {
	return Token{Value: value, UserID: key.UserID, ExpiresAt: key.Expires, Expired: key.Expired}
}

// issueError maps the auth core's errors from creating a token's key to
// the package's.
func issueError(err error) error {
	switch {
	case errors.Is(err, luciapg.ErrInvalidUserID):
		return ErrInvalidUserID
	case errors.Is(err, luciapg.ErrDuplicateKeyID):
		return ErrDuplicateToken
	}
	return err
}

// validateError maps the auth core's errors from using a token's key to
// the package's. A key with a password is no token of this package's.
func validateError(err error) error {
	switch {
	case errors.Is(err, luciapg.ErrInvalidKeyID), errors.Is(err, auth.ErrInvalidPassword):
		return ErrInvalidToken
	case errors.Is(err, auth.ErrExpiredKey):
		return ErrExpiredToken
	}
	return err
}
