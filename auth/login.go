package auth

import (
	"context"
	"errors"

	"github.com/luciapg/luciapg"
)

// maxLoginRetries bounds how often Login checks the password again after
// the key changed under it (each check costs a verification).
const maxLoginRetries = 2

// Login is a password login: UseKey, then a new session for the key's
// user, written only while the key still holds the password hash that
// UseKey verified (luciapg's SetSessionForKey). It returns UseKey's errors,
// and the session otherwise.
//
// UseKey followed by CreateSession races a password change: a reset that
// commits while the password is being checked ends the user's sessions
// before the login writes its own, which would then outlive the reset.
// Login's session is written in one transaction with a check of the key
// that waits for a change in progress, so it never outlives a change of
// the key that began after the password was checked. When the key did
// change, the password is checked again against what it holds now (the
// change may have been another login's rehash, below): the login goes on
// if it still matches, and is ErrInvalidPassword otherwise.
//
// A hash made with outdated parameters (a legacy Lucia v1 scrypt hash
// without the "s2" prefix, or any hash for which a PasswordHasher that is a
// Rehasher says so) is replaced by a hash of the same password made now, in
// the same transaction as the session. If making that hash fails, the
// login goes on with the old one.
//
// A single-use key is consumed by UseKey; its session is then created as
// CreateSession does, since no later change can reach a deleted key.
//
// A user with a second factor (an authenticator app or a passkey) is
// refused with ErrSecondFactorRequired once the password is checked, and
// nothing is written: code that calls Login cannot skip the second step.
// Use BeginLogin, which returns a pending login for such a user.
func (a *Auth) Login(ctx context.Context, providerID, providerUserID, password string) (Session, error) {
	key, checked, err := a.useKey(ctx, providerID, providerUserID, password)
	if err != nil {
		return Session{}, err
	}
	if err := a.refuseSecondFactorUser(ctx, key.UserID); err != nil {
		return Session{}, err
	}
	row, err := a.sessionForKey(ctx, key, checked, password)
	if err != nil {
		return Session{}, err
	}
	return sessionFromRow(row, SessionActive, true), nil
}

// refuseSecondFactorUser is ErrSecondFactorRequired for a user with a
// second factor: Login, which knows nothing of a second step, must never
// open a session that skips it (BeginLogin does the two steps). An adapter
// that is no luciapg.FactorAdapter stores no second factors, so it has
// none to check.
func (a *Auth) refuseSecondFactorUser(ctx context.Context, userID string) error {
	fa, err := a.factors()
	if err != nil {
		return nil
	}
	factors, err := fa.GetUserFactors(ctx, userID)
	if err != nil {
		return err
	}
	if factors.HasSecondFactor() {
		return ErrSecondFactorRequired
	}
	return nil
}

// sessionForKey writes a new session for the user of key, whose password
// was just checked against the hash checked: only while the key still
// holds it, rehashing it if needed, and checking the password again when
// the key changed (see Login).
//
// The session is written with its origin and login event (see
// CreateSession), and a login from a new client is notified once written.
func (a *Auth) sessionForKey(ctx context.Context, key Key, checked, password string) (luciapg.Session, error) {
	factors := []string{luciapg.FactorPassword}
	login := a.checkNewClient(ctx, key.UserID)
	if key.SingleUse() {
		row, err := a.newSessionRow(key.UserID)
		if err != nil {
			return luciapg.Session{}, err
		}
		if err := a.adapter.SetSession(a.sessionContext(ctx, row, factors), row); err != nil {
			return luciapg.Session{}, err
		}
		a.loggedInFrom(ctx, login)
		return row, nil
	}
	keyID := key.ProviderID + ":" + key.ProviderUserID
	for retries := 0; ; retries++ {
		row, err := a.newSessionRow(key.UserID)
		if err != nil {
			return luciapg.Session{}, err
		}
		rehash := a.rehash(ctx, checked, password)
		wctx := a.sessionContext(ctx, row, factors)
		err = a.adapter.SetSessionForKey(wctx, row, keyID, checked, rehash)
		if err != nil && rehash != nil && !errors.Is(err, luciapg.ErrKeyChanged) && ctx.Err() == nil {
			// Never let the rehash cost the login: try without it. The
			// failed write recorded nothing, so the event goes with this one.
			err = a.adapter.SetSessionForKey(wctx, row, keyID, checked, nil)
		}
		switch {
		case err == nil:
			a.loggedInFrom(ctx, login)
			return row, nil
		case !errors.Is(err, luciapg.ErrKeyChanged):
			return luciapg.Session{}, err
		case retries == maxLoginRetries:
			return luciapg.Session{}, ErrInvalidPassword
		}
		current, err := a.adapter.GetKey(ctx, keyID)
		switch {
		case errors.Is(err, luciapg.ErrInvalidKeyID):
			return luciapg.Session{}, ErrInvalidPassword
		case err != nil:
			return luciapg.Session{}, err
		case current.HashedPassword == nil:
			return luciapg.Session{}, ErrInvalidPassword
		}
		if err := a.checkPassword(ctx, *current.HashedPassword, password); err != nil {
			return luciapg.Session{}, err
		}
		checked = *current.HashedPassword
	}
}

// Rehasher is a PasswordHasher that can tell a hash made with parameters
// it no longer uses. Login replaces such a hash, after a successful check,
// with one made now. ScryptHasher is one: it rehashes Lucia v1's legacy
// hashes (scrypt with r=8, without the "s2" prefix).
type Rehasher interface {
	PasswordHasher
	// NeedsRehash reports whether hash should be replaced by a new hash of
	// the same password.
	NeedsRehash(hash string) bool
}

// rehash returns a new hash of password when the hasher says checked
// needs one, and nil otherwise or when hashing fails.
func (a *Auth) rehash(ctx context.Context, checked, password string) *string {
	r, ok := a.hasher.(Rehasher)
	if !ok || !r.NeedsRehash(checked) {
		return nil
	}
	hash, err := a.hash(ctx, password)
	if err != nil {
		return nil
	}
	return &hash
}
