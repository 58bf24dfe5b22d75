package tokens

import (
	"context"
	"time"

	"github.com/luciapg/luciapg/auth"
	"github.com/luciapg/luciapg/internal/input"
)

// IDTokens issues and validates tokens that identify their user by
// themselves, for links such as email verification or password reset:
// @lucia-auth/tokens' idToken. Each is a single-use key without a password,
// with the id "name:TOKEN", so a Lucia v1 app using idToken with the same
// name reads and writes the same rows. It is safe for concurrent use.
type IDTokens struct {
	core      *auth.Auth
	name      string
	expiresIn time.Duration
	length    int
	generate  func(length int) (string, error)
}

// NewIDTokens returns the ID tokens called name (the keys' provider id,
// such as "email-verification"), stored through core. It refuses a name
// that is empty or contains ':', an ExpiresIn under a millisecond, and a
// Length whose key ids could not be stored.
func NewIDTokens(core *auth.Auth, name string, cfg IDTokenConfig) (*IDTokens, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	if err := checkLifetime(cfg.ExpiresIn); err != nil {
		return nil, err
	}
	length, err := lengthOr(cfg.Length, DefaultIDTokenLength)
	if err != nil {
		return nil, err
	}
	if err := checkLength(name, length, 0); err != nil {
		return nil, err
	}
	generate := cfg.Generate
	if generate == nil {
		generate = func(length int) (string, error) { return randomString(length, idTokenAlphabet) }
	}
	return &IDTokens{core: core, name: name, expiresIn: cfg.ExpiresIn, length: length, generate: generate}, nil
}

// Issue makes a new token for the user, valid for ExpiresIn. An unknown
// user is ErrInvalidUserID.
func (t *IDTokens) Issue(ctx context.Context, userID string) (Token, error) {
	if !input.Findable(userID) {
		return Token{}, ErrInvalidUserID
	}
	value, err := t.generate(t.length)
	if err != nil {
		return Token{}, err
	}
	key, err := t.core.CreateKey(ctx, userID, auth.CreateKeyParams{
		ProviderID:     t.name,
		ProviderUserID: value,
		ExpiresIn:      t.expiresIn,
	})
	if err != nil {
		return Token{}, issueError(err)
	}
	return tokenOf(value, key), nil
}

// Validate uses the token up and returns it, with the user it was issued
// to. Of concurrent calls with one token exactly one succeeds: the key is
// consumed atomically (auth.(*Auth).UsePasswordlessKey). A token that does
// not exist, or was used or invalidated, is ErrInvalidToken; one past its
// expiry is ErrExpiredToken, and is deleted too.
//
// Each attempt is counted per client address when ctx carries one
// (auth.WithClientAddress): a guesser tries a different token each time,
// so the per-key count cannot stop them, but their address can. Once
// throttled, the result is a *auth.TooManyAttemptsError.
func (t *IDTokens) Validate(ctx context.Context, token string) (Token, error) {
	if token == "" || !input.Findable(t.name+":"+token) {
		return Token{}, ErrInvalidToken // no such key can exist: nothing to count or read
	}
	key, err := t.core.UsePasswordlessKey(ctx, t.name, token)
	if err != nil {
		return Token{}, validateError(err)
	}
	if !key.SingleUse() {
		return Token{}, ErrInvalidToken // a persistent key of that provider: left alone, as idToken does
	}
	return tokenOf(token, key), nil
}

// UserTokens returns the user's tokens of this name, expired ones included
// (Token.Expired). An unknown user is ErrInvalidUserID.
func (t *IDTokens) UserTokens(ctx context.Context, userID string) ([]Token, error) {
	keys, err := userKeys(ctx, t.core, userID)
	if err != nil {
		return nil, err
	}
	var tokens []Token
	for _, key := range keys {
		if key.ProviderID == t.name && key.SingleUse() {
			tokens = append(tokens, tokenOf(key.ProviderUserID, key))
		}
	}
	return tokens, nil
}

// Invalidate deletes the token. An unknown token is not an error.
func (t *IDTokens) Invalidate(ctx context.Context, token string) error {
	if token == "" || !input.Findable(t.name+":"+token) {
		return nil
	}
	return t.core.DeleteKey(ctx, t.name, token)
}

// InvalidateAllUserTokens deletes every token of this name the user has.
// An unknown user is not an error.
func (t *IDTokens) InvalidateAllUserTokens(ctx context.Context, userID string) error {
	return invalidateAll(ctx, t.core, t.name, userID)
}
