package passkey

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"

	"github.com/luciapg/luciapg"
)

// userHandleBytes is the length of a new user handle: random, so that it
// tells nothing of the user, and within WebAuthn's 64 bytes.
const userHandleBytes = 32

// handle returns the user's WebAuthn user handle, making one the first
// time.
func (p *Passkeys) handle(ctx context.Context, userID string) ([]byte, error) {
	candidate := make([]byte, userHandleBytes)
	_, _ = rand.Read(candidate) // crypto/rand.Read never fails (Go 1.24+)
	handle, err := p.factors.PasskeyUserHandle(ctx, userID, candidate)
	if err != nil {
		return nil, fmt.Errorf("passkey: the user handle: %w", err)
	}
	return handle, nil
}

// passkeys returns the user's passkeys, or an error wrapping
// luciapg.ErrFactorNotFound when there is none.
func (p *Passkeys) passkeys(ctx context.Context, userID string) ([]luciapg.Passkey, error) {
	passkeys, err := p.factors.GetPasskeysByUserID(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("passkey: reading the user's passkeys: %w", err)
	}
	if len(passkeys) == 0 {
		return nil, fmt.Errorf("%w: passkey: the user has no passkey", luciapg.ErrFactorNotFound)
	}
	return passkeys, nil
}

// signer returns the user, as go-webauthn sees one, who is to sign an
// assertion with one of their passkeys; the error wraps
// luciapg.ErrFactorNotFound when they have none.
func (p *Passkeys) signer(ctx context.Context, userID string) (*user, error) {
	// Passkeys first: a user with none gets no handle written.
	passkeys, err := p.passkeys(ctx, userID)
	if err != nil {
		return nil, err
	}
	handle, err := p.handle(ctx, userID)
	if err != nil {
		return nil, err
	}
	return &user{handle: handle, passkeys: passkeys}, nil
}

// find returns the passkey with this credential id.
func find(passkeys []luciapg.Passkey, credentialID []byte) (luciapg.Passkey, bool) {
	for _, p := range passkeys {
		if bytes.Equal(p.CredentialID, credentialID) {
			return p, true
		}
	}
	return luciapg.Passkey{}, false
}
