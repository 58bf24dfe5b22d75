package tokens

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
	"github.com/luciapg/luciapg/internal/input"
	"github.com/luciapg/luciapg/internal/throttlepolicy"
)

// PasswordTokens issues and validates one-time codes that are checked
// together with their user's id, such as an 8-digit code sent by email or
// SMS: @lucia-auth/tokens' passwordToken. Each is a single-use key without
// a password, with the id "name:USERID.CODE", so a Lucia v1 app using
// passwordToken with the same name reads and writes the same rows. It is
// safe for concurrent use.
//
// An 8-digit code has only 10^8 values, so Validate also throttles each
// user's attempts, whatever code they guess (PasswordTokenConfig.UserThrottle).
type PasswordTokens struct {
	core      *auth.Auth
	name      string
	expiresIn time.Duration
	length    int
	generate  func(length int) (string, error)
	throttle  luciapg.AttemptThrottle
	policy    luciapg.ThrottlePolicy
	now       func() time.Time
}

// NewPasswordTokens returns the password tokens called name (the keys'
// provider id, such as "email-code"), stored through core. It refuses a
// name that is empty or contains ':', an ExpiresIn under a millisecond, a
// nil AttemptThrottle, and a UserThrottle that luciapg.ThrottlePolicy's
// Validate refuses.
func NewPasswordTokens(core *auth.Auth, name string, cfg PasswordTokenConfig) (*PasswordTokens, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	if err := checkLifetime(cfg.ExpiresIn); err != nil {
		return nil, err
	}
	if cfg.AttemptThrottle == nil {
		return nil, fmt.Errorf("%w: tokens: PasswordTokenConfig.AttemptThrottle is nil; pass the adapter the Auth uses (the Store or memadapter)", luciapg.ErrInvalidConfig)
	}
	policy, err := throttlepolicy.WithDefaults("tokens: UserThrottle", cfg.UserThrottle, defaultUserThrottle)
	if err != nil {
		return nil, err
	}
	generate := cfg.Generate
	if generate == nil {
		generate = func(length int) (string, error) { return randomString(length, codeAlphabet) }
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	length, err := lengthOr(cfg.Length, DefaultPasswordTokenLength)
	if err != nil {
		return nil, err
	}
	return &PasswordTokens{
		core:      core,
		name:      name,
		expiresIn: cfg.ExpiresIn,
		length:    length,
		generate:  generate,
		throttle:  cfg.AttemptThrottle,
		policy:    policy,
		now:       now,
	}, nil
}

// keyUserID is the provider user id of a user's code: "USERID.CODE".
func keyUserID(userID, code string) string {
	return userID + "." + code
}

// Issue makes a new code for the user, valid for ExpiresIn. An unknown
// user is ErrInvalidUserID; a code the user already holds is
// ErrDuplicateToken (issue again).
func (t *PasswordTokens) Issue(ctx context.Context, userID string) (Token, error) {
	if !input.Findable(userID) {
		return Token{}, ErrInvalidUserID
	}
	code, err := t.generate(t.length)
	if err != nil {
		return Token{}, err
	}
	if code == "" {
		return Token{}, errors.New("tokens: PasswordTokenConfig.Generate returned an empty code")
	}
	key, err := t.core.CreateKey(ctx, userID, auth.CreateKeyParams{
		ProviderID:     t.name,
		ProviderUserID: keyUserID(userID, code),
		ExpiresIn:      t.expiresIn,
	})
	if err != nil {
		return Token{}, issueError(err)
	}
	return tokenOf(code, key), nil
}

// Validate uses up the user's code and returns it. Of concurrent calls with
// one code exactly one succeeds (auth.(*Auth).UsePasswordlessKey consumes
// the key atomically). A code the user does not hold, or has used, is
// ErrInvalidToken; one past its expiry is ErrExpiredToken, and is deleted.
//
// Before anything is read, the attempt is counted against the user (and,
// by the auth core, against the client address in ctx, if any). Once the
// user has had too many (PasswordTokenConfig.UserThrottle), the result is
// a *auth.TooManyAttemptsError and no code is checked; a success forgets
// the user's count.
func (t *PasswordTokens) Validate(ctx context.Context, userID, code string) (Token, error) {
	if !input.Findable(userID) || code == "" || !input.Findable(t.name+":"+keyUserID(userID, code)) {
		return Token{}, ErrInvalidToken // no such key can exist: nothing to count or read
	}
	if err := t.countUserAttempt(ctx, userID); err != nil {
		return Token{}, err
	}
	key, err := t.core.UsePasswordlessKey(ctx, t.name, keyUserID(userID, code))
	if err != nil {
		return Token{}, validateError(err)
	}
	if !key.SingleUse() {
		return Token{}, ErrInvalidToken // a persistent key of this name: left alone, as passwordToken does
	}
	// The code was right, and is now used up.
	if err := t.resetUserAttempts(ctx, userID); err != nil {
		return Token{}, err
	}
	return tokenOf(code, key), nil
}

// UserTokens returns the user's codes of this name, expired ones included
// (Token.Expired). An unknown user is ErrInvalidUserID.
func (t *PasswordTokens) UserTokens(ctx context.Context, userID string) ([]Token, error) {
	keys, err := userKeys(ctx, t.core, userID)
	if err != nil {
		return nil, err
	}
	var tokens []Token
	for _, key := range keys {
		if key.ProviderID != t.name || !key.SingleUse() {
			continue
		}
		// passwordToken splits at the first '.', which misreads a user id
		// that contains one; the prefix is the user's id, so cut it.
		if code, ok := strings.CutPrefix(key.ProviderUserID, userID+"."); ok && code != "" {
			tokens = append(tokens, tokenOf(code, key))
		}
	}
	return tokens, nil
}

// InvalidateAllUserTokens deletes every code of this name the user has. An
// unknown user is not an error.
func (t *PasswordTokens) InvalidateAllUserTokens(ctx context.Context, userID string) error {
	return invalidateAll(ctx, t.core, t.name, userID)
}
