package auth

import (
	"context"
)

// checkPasswordLength refuses a password longer than MaxPasswordBytes
// before any work is spent on it: normalizing and hashing cost grow with
// the length, and NFKC can make a password 11 times longer.
func (a *Auth) checkPasswordLength(password string) error {
	if len(password) > a.maxPasswordBytes {
		return ErrPasswordTooLong
	}
	return nil
}

// takeHashTurn waits for one of the MaxConcurrentHashes turns at hashing,
// or for ctx to end, and returns the function that gives the turn back.
// Every call of the hasher takes a turn, so that however many requests
// arrive at once, no more than MaxConcurrentHashes scrypt runs (32 MiB
// each) are in memory.
func (a *Auth) takeHashTurn(ctx context.Context) (release func(), err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	select {
	case a.hashTurns <- struct{}{}:
		return func() { <-a.hashTurns }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// hash returns the hasher's hash of password, within the limits.
func (a *Auth) hash(ctx context.Context, password string) (string, error) {
	if err := a.checkPasswordLength(password); err != nil {
		return "", err
	}
	release, err := a.takeHashTurn(ctx)
	if err != nil {
		return "", err
	}
	defer release()
	return a.hasher.Hash(password)
}

// hashSignUp is hash for CreateUser: it first takes one of the
// MaxConcurrentSignUpHashes turns, so that sign-ups never hold every turn
// at hashing and a login always finds one free soon.
func (a *Auth) hashSignUp(ctx context.Context, password string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	select {
	case a.signUpTurns <- struct{}{}:
		defer func() { <-a.signUpTurns }()
	case <-ctx.Done():
		return "", ctx.Err()
	}
	return a.hash(ctx, password)
}

// hashOptional hashes password, or returns nil for an empty one (a key
// without a password).
func (a *Auth) hashOptional(ctx context.Context, password string) (*string, error) {
	if password == "" {
		return nil, nil
	}
	hash, err := a.hash(ctx, password)
	if err != nil {
		return nil, err
	}
	return &hash, nil
}

// verify reports whether password matches hash, within the limits. The
// caller has checked the password's length.
func (a *Auth) verify(ctx context.Context, hash, password string) (bool, error) {
	release, err := a.takeHashTurn(ctx)
	if err != nil {
		return false, err
	}
	defer release()
	return a.hasher.Verify(hash, password)
}

// spendVerification runs one verification whose answer is thrown away,
// against a dummy hash made with the hasher's real parameters. UseKey calls
// it before refusing an unknown key, a key without a password or an empty
// password, so those refusals take as long as a wrong password's and the
// time taken does not tell an attacker which accounts exist or have
// passwords. It returns only errors that stop the request (the context
// ended, the dummy hash could not be made).
func (a *Auth) spendVerification(ctx context.Context, password string) error {
	dummy, err := a.dummy(ctx)
	if err != nil {
		return err
	}
	// Its answer, and any error of the hasher, mean nothing; only an
	// ended context stops the request.
	_, _ = a.verify(ctx, dummy, password)
	return ctx.Err()
}

// dummy returns the dummy hash, making it with the hasher on first use
// when the hasher is not scrypt (whose dummy is the constant
// scryptDummyHash). A failure is not remembered: the next call tries again.
func (a *Auth) dummy(ctx context.Context) (string, error) {
	// A one-token channel rather than a mutex: waiting for the first
	// caller to make the hash must end with the waiter's context.
	select {
	case a.dummyLock <- struct{}{}:
		defer func() { <-a.dummyLock }()
	case <-ctx.Done():
		return "", ctx.Err()
	}
	if a.dummyHash != "" {
		return a.dummyHash, nil
	}
	secret, err := randomString(32)
	if err != nil {
		return "", err
	}
	hash, err := a.hash(ctx, secret)
	if err != nil {
		return "", err
	}
	a.dummyHash = hash
	return hash, nil
}
