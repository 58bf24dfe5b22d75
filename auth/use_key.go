package auth

import (
	"context"
	"errors"

	"github.com/luciapg/luciapg"
)

// UseKey authenticates with a key's password: it returns the key when
// password is right for it, and uses up a single-use key.
//
//   - A password longer than Config.MaxPasswordBytes is ErrPasswordTooLong,
//     before anything else.
//   - The attempt is then counted against the key and, when ctx carries
//     one (WithClientAddress), the client's address. Once either has had
//     too many (Config.KeyThrottle, Config.AddressThrottle), the result is
//     a *TooManyAttemptsError (errors.Is ErrTooManyAttempts) saying how
//     long to wait, and nothing is checked or hashed. A success forgets the
//     key's count.
//   - An unknown key is luciapg.ErrInvalidKeyID. A wrong or empty password
//     is ErrInvalidPassword, and so is any password for a key that has
//     none: such a key (OAuth, a magic link) is used with
//     UsePasswordlessKey, so a password login can never open it. Lucia v1
//     let an empty password, or any password, open it.
//   - Each refusal costs one password verification, against a dummy hash
//     when there is no real one to check, so that the time taken does not
//     tell whether the key exists or has a password.
//   - A refusal (a wrong password, an unknown key, a throttled attempt)
//     is recorded in the audit log as a login_failed event, with the key's
//     user when known and never the key id or the password.
//   - The password is verified before anything is written, and no
//     connection is held while it is (scrypt takes tens of milliseconds).
//     At most Config.MaxConcurrentHashes verifications run at once; the
//     others wait, or fail when ctx ends.
//   - A single-use key is then deleted atomically (luciapg's ConsumeKey):
//     of concurrent UseKey calls on it, exactly one succeeds and the others
//     get luciapg.ErrInvalidKeyID. If it had expired, it is still deleted
//     and the result is ErrExpiredKey.
//
// A stored hash in no known format is an error wrapping ErrMalformedHash.
func (a *Auth) UseKey(ctx context.Context, providerID, providerUserID, password string) (Key, error) {
	key, _, err := a.useKey(ctx, providerID, providerUserID, password)
	return key, err
}

// useKey is UseKey, also returning the hash the password was verified
// against.
func (a *Auth) useKey(ctx context.Context, providerID, providerUserID, password string) (Key, string, error) {
	keyID, err := makeKeyID(providerID, providerUserID)
	if err != nil {
		return Key{}, "", err
	}
	if err := a.checkPasswordLength(password); err != nil {
		return Key{}, "", err
	}
	if err := a.countAttempt(ctx, keyThrottleKey(keyID)); err != nil {
		if errors.Is(err, ErrTooManyAttempts) {
			a.recordLoginFailure(ctx, "", failedThrottled)
		}
		return Key{}, "", err
	}
	row, err := a.adapter.GetKey(ctx, keyID)
	switch {
	case errors.Is(err, luciapg.ErrInvalidKeyID):
		return Key{}, "", a.refuseLogin(ctx, "", password, err)
	case err != nil:
		return Key{}, "", err
	case row.HashedPassword == nil || password == "":
		return Key{}, "", a.refuseLogin(ctx, row.UserID, password, ErrInvalidPassword)
	}
	if err := a.checkPassword(ctx, *row.HashedPassword, password); err != nil {
		if errors.Is(err, ErrInvalidPassword) {
			a.recordLoginFailure(ctx, row.UserID, failedPassword)
		}
		return Key{}, "", err
	}
	if err := a.resetKeyAttempts(ctx, keyThrottleKey(keyID)); err != nil {
		return Key{}, "", err
	}
	if row.Expires == nil {
		return a.keyFromRow(row), *row.HashedPassword, nil
	}
	consumed, err := a.adapter.ConsumeKey(ctx, keyID)
	if err != nil {
		return Key{}, "", err
	}
	if !samePointee(consumed.HashedPassword, row.HashedPassword) {
		// The password changed between the read and the delete: the key
		// is gone either way, but only the password it had when deleted
		// may open it.
		if consumed.HashedPassword == nil {
			return Key{}, "", ErrInvalidPassword
		}
		if err := a.checkPassword(ctx, *consumed.HashedPassword, password); err != nil {
			return Key{}, "", err
		}
	}
	key, err := a.consumedKey(consumed)
	if err != nil {
		return Key{}, "", err
	}
	return key, *consumed.HashedPassword, nil
}

// UsePasswordlessKey authenticates with a key that by design has no
// password: an OAuth account the application has just verified with its
// provider, or a one-time token or code that is itself the secret (the
// provider user id). It returns the key and uses up a single-use key.
//
// The attempt is counted and throttled as UseKey's are, per key and per
// client address, since a guessed token is a guessed secret; a success
// forgets the key's count. An unknown key is luciapg.ErrInvalidKeyID; a key
// with a password is ErrInvalidPassword (use UseKey). A single-use key is
// consumed atomically as in UseKey: of concurrent calls exactly one
// succeeds, and an expired key is deleted with ErrExpiredKey.
func (a *Auth) UsePasswordlessKey(ctx context.Context, providerID, providerUserID string) (Key, error) {
	keyID, err := makeKeyID(providerID, providerUserID)
	if err != nil {
		return Key{}, err
	}
	if err := a.countAttempt(ctx, keyThrottleKey(keyID)); err != nil {
		return Key{}, err
	}
	row, err := a.adapter.GetKey(ctx, keyID)
	if err != nil {
		return Key{}, err
	}
	if row.HashedPassword != nil {
		return Key{}, ErrInvalidPassword
	}
	if err := a.resetKeyAttempts(ctx, keyThrottleKey(keyID)); err != nil {
		return Key{}, err
	}
	if row.Expires == nil {
		return a.keyFromRow(row), nil
	}
	consumed, err := a.adapter.ConsumeKey(ctx, keyID)
	if err != nil {
		return Key{}, err
	}
	if consumed.HashedPassword != nil {
		// A password was set between the read and the delete.
		return Key{}, ErrInvalidPassword
	}
	return a.consumedKey(consumed)
}

// consumedKey is the result of using a single-use key that ConsumeKey
// deleted: the key, or ErrExpiredKey if it had expired.
func (a *Auth) consumedKey(row luciapg.Key) (Key, error) {
	key := a.keyFromRow(row)
	if key.Expired {
		return Key{}, ErrExpiredKey
	}
	return key, nil
}

// checkPassword verifies password against a stored hash: nil when it
// matches, ErrInvalidPassword when not.
func (a *Auth) checkPassword(ctx context.Context, hashedPassword, password string) error {
	ok, err := a.verify(ctx, hashedPassword, password)
	if err != nil {
		return err
	}
	if !ok {
		return ErrInvalidPassword
	}
	return nil
}

// refuseLogin is refuse, recording the failed login (of userID, "" when
// the key is unknown) once the verification is spent: an unknown and a
// known key cost the same work and the same write.
func (a *Auth) refuseLogin(ctx context.Context, userID, password string, refusal error) error {
	err := a.refuse(ctx, password, refusal)
	if err == refusal {
		a.recordLoginFailure(ctx, userID, failedPassword)
	}
	return err
}

// refuse returns refusal after spending one verification on password (see
// spendVerification), or the error that stopped that verification.
func (a *Auth) refuse(ctx context.Context, password string, refusal error) error {
	if err := a.spendVerification(ctx, password); err != nil {
		return err
	}
	return refusal
}

func samePointee[T comparable](a, b *T) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}
