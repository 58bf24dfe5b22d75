package passkey

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/luciapg/luciapg"
)

// A ceremony's Challenge.Purpose: a ceremony is finished only by the call
// its Begin pairs with.
const (
	purposeRegister     = "register"
	purposeLogin        = "login"
	purposeSecondFactor = "second_factor"
	purposeReauth       = "reauth"
)

// tokenBytes is the entropy of a ceremony's token.
const tokenBytes = 32

// storedCeremony is a ceremony's Challenge.Data.
type storedCeremony struct {
	// WebAuthn is go-webauthn's state of the ceremony: the challenge, the
	// user handle, the credentials allowed and the user verification
	// asked for.
	WebAuthn webauthn.SessionData `json:"webauthn"`
	// Binding is a digest of the session (registration,
	// re-authentication) or pending login (second factor) the ceremony
	// was begun in, so that it finishes in that one only; empty for a
	// passwordless login, which has neither.
	Binding string `json:"binding,omitempty"`
}

// begin stores a ceremony for userID ("" for none) and returns it with
// options, the JSON the browser gets.
func (p *Passkeys) begin(ctx context.Context, purpose, userID, binding string, session *webauthn.SessionData, options any) (Ceremony, error) {
	opts, err := json.Marshal(options)
	if err != nil {
		return Ceremony{}, fmt.Errorf("passkey: encoding the options: %w", err)
	}
	data, err := json.Marshal(storedCeremony{WebAuthn: *session, Binding: binding})
	if err != nil {
		return Ceremony{}, fmt.Errorf("passkey: encoding the ceremony: %w", err)
	}
	raw := make([]byte, tokenBytes)
	_, _ = rand.Read(raw) // crypto/rand.Read never fails (Go 1.24+)
	token := base64.RawURLEncoding.EncodeToString(raw)
	expires := p.cfg.Now().Add(p.cfg.Timeout)
	err = p.factors.SetChallenge(ctx, luciapg.Challenge{
		ID:      digest(token),
		UserID:  userID,
		Purpose: purpose,
		Data:    data,
		Expires: expires,
	})
	if err != nil {
		return Ceremony{}, fmt.Errorf("passkey: storing the ceremony: %w", err)
	}
	return Ceremony{Token: token, Options: opts, Expires: expires}, nil
}

// finish consumes the ceremony named by token, whatever comes next (a
// ceremony is tried once), and returns its go-webauthn state if it was
// begun for purpose, userID and binding.
func (p *Passkeys) finish(ctx context.Context, token, purpose, userID, binding string) (webauthn.SessionData, error) {
	challenge, err := p.factors.ConsumeChallenge(ctx, digest(token), p.cfg.Now())
	if errors.Is(err, luciapg.ErrChallengeNotFound) {
		return webauthn.SessionData{}, fmt.Errorf("%w: %w", ErrInvalidPasskey, err)
	}
	if err != nil {
		return webauthn.SessionData{}, fmt.Errorf("passkey: consuming the ceremony: %w", err)
	}
	if challenge.Purpose != purpose {
		return webauthn.SessionData{}, invalid("the ceremony was begun for another purpose")
	}
	if challenge.UserID != userID {
		return webauthn.SessionData{}, invalid("the ceremony was begun for another user")
	}
	var stored storedCeremony
	if err := json.Unmarshal(challenge.Data, &stored); err != nil {
		return webauthn.SessionData{}, errors.New("passkey: a stored ceremony does not decode")
	}
	if subtle.ConstantTimeCompare([]byte(stored.Binding), []byte(binding)) != 1 {
		return webauthn.SessionData{}, invalid("the ceremony was begun in another session or login")
	}
	return stored.WebAuthn, nil
}

// digest is what the database holds of a secret (a ceremony's token, the
// session or pending login a ceremony is bound to): its SHA-256, in hex.
func digest(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// binding is a ceremony's Binding for a session id or pending-login
// token: a digest of its own, so that it equals no id the database holds.
func binding(kind, secret string) string {
	return digest("luciapg passkey " + kind + "\x00" + secret)
}
