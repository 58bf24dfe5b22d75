package tokens

import (
	"fmt"
	"strings"
	"time"

	"github.com/luciapg/luciapg"
)

// The defaults of @lucia-auth/tokens 1.0.2: 43 characters for an ID token
// (about 256 bits), 8 digits for a password token's code.
const (
	DefaultIDTokenLength       = 43
	DefaultPasswordTokenLength = 8
)

// IDTokenConfig adjusts IDTokens, as idToken's options do.
type IDTokenConfig struct {
	// ExpiresIn is how long an issued token stays valid; at least a
	// millisecond (the stored unit). Required, as expiresIn is in
	// @lucia-auth/tokens (which counts it in seconds).
	ExpiresIn time.Duration
	// Length is the length of generated tokens; zero means
	// DefaultIDTokenLength (43). Shorter tokens are easier to guess: only
	// the per-address throttle (auth.WithClientAddress) limits guesses at
	// an ID token, since each guess names a different key.
	Length int
	// Generate makes a token of the given length; nil means Length
	// characters of a-z, A-Z and 0-9 from crypto/rand.
	Generate func(length int) (string, error)
}

// PasswordTokenConfig adjusts PasswordTokens, as passwordToken's options
// do, plus the per-user throttle that makes short codes safe to offer.
type PasswordTokenConfig struct {
	// ExpiresIn is how long an issued code stays valid; at least a
	// millisecond. Required.
	ExpiresIn time.Duration
	// Length is the length of generated codes; zero means
	// DefaultPasswordTokenLength (8).
	Length int
	// Generate makes a code of the given length; nil means Length decimal
	// digits from crypto/rand. A code must not be empty.
	Generate func(length int) (string, error)
	// AttemptThrottle counts guesses at a user's codes. Required: pass the
	// adapter the Auth uses (the Store or memadapter), so every instance
	// sharing the database counts the same guesses.
	AttemptThrottle luciapg.AttemptThrottle
	// UserThrottle limits Validate attempts per user, whatever the code
	// guessed and wherever they come from. Zero fields take the defaults
	// of the auth core's key throttle: 5 free attempts, then a wait of
	// 1 s, doubling up to 15 min, forgotten after 24 h without an attempt
	// or at the user's next success.
	UserThrottle luciapg.ThrottlePolicy
	// Now tells the time for the throttle; nil means time.Now. Give it the
	// same clock as auth.Config.Now.
	Now func() time.Time
}

// defaultUserThrottle is the auth core's default key throttle: each of a
// user's codes is one guessable secret, as a password is.
var defaultUserThrottle = luciapg.ThrottlePolicy{
	FreeAttempts: 5,
	BaseDelay:    time.Second,
	MaxDelay:     15 * time.Minute,
	Window:       24 * time.Hour,
}

// checkName refuses a token name that cannot be a provider id.
func checkName(name string) error {
	if name == "" || strings.Contains(name, ":") {
		return fmt.Errorf("%w: tokens: the token name is empty or contains ':' (it is the keys' provider id)", luciapg.ErrInvalidConfig)
	}
	return nil
}

// checkLifetime refuses an expiry that would not make a single-use key.
func checkLifetime(expiresIn time.Duration) error {
	if expiresIn < time.Millisecond {
		return fmt.Errorf("%w: tokens: ExpiresIn %v is under a millisecond; tokens need an expiry", luciapg.ErrInvalidConfig, expiresIn)
	}
	return nil
}

// checkLength refuses a length whose key ids could not be stored:
// extraBytes is what the key id holds besides the name and the token.
func checkLength(name string, length, extraBytes int) error {
	if len(name)+1+extraBytes+length > luciapg.MaxIDBytes {
		return fmt.Errorf("%w: tokens: Length %d makes key ids longer than %d bytes", luciapg.ErrInvalidConfig, length, luciapg.MaxIDBytes)
	}
	return nil
}

// lengthOr is length, or fallback when it is zero; a negative length is
// refused, never replaced.
func lengthOr(length, fallback int) (int, error) {
	switch {
	case length < 0:
		return 0, fmt.Errorf("%w: tokens: Length %d is negative", luciapg.ErrInvalidConfig, length)
	case length == 0:
		return fallback, nil
	}
	return length, nil
}
