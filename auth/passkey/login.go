package passkey

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
)

// BeginLogin begins a passwordless login: no user is named, the browser
// offers the passkeys it has for this site, and the one chosen names its
// user. User verification is required: a passkey alone stands for a
// password and a second factor only when its authenticator checked a PIN
// or biometric. It stores a ceremony for anyone who asks, so rate-limit it
// per client like any unauthenticated write.
func (p *Passkeys) BeginLogin(ctx context.Context) (Ceremony, error) {
	assertion, data, err := p.webauthn.BeginDiscoverableLogin(webauthn.WithUserVerification(protocol.VerificationRequired))
	if err != nil {
		return Ceremony{}, fmt.Errorf("passkey: beginning a login: %s", oneLine(err.Error()))
	}
	return p.begin(ctx, purposeLogin, "", "", data, assertion)
}

// FinishLogin finishes a passwordless login begun by BeginLogin: the
// response (the JSON of the PublicKeyCredential navigator.credentials.get
// returned) must be signed by a passkey of the user its user handle names,
// with user verification. It then creates a session recording
// luciapg.FactorPasskey. Any refusal is ErrInvalidPasskey.
func (p *Passkeys) FinishLogin(ctx context.Context, ceremonyToken string, response []byte) (auth.Session, error) {
	data, err := p.finish(ctx, ceremonyToken, purposeLogin, "", "")
	if err != nil {
		return auth.Session{}, err
	}
	parsed, err := parseAssertion(response)
	if err != nil {
		return auth.Session{}, err
	}
	handle := parsed.Response.UserHandle
	if len(handle) == 0 {
		return auth.Session{}, invalid("the authenticator named no user (not a discoverable passkey)")
	}
	userID, err := p.factors.GetUserIDByPasskeyHandle(ctx, handle)
	if errors.Is(err, luciapg.ErrInvalidUserID) {
		return auth.Session{}, invalid("no user has this passkey")
	}
	if err != nil {
		return auth.Session{}, fmt.Errorf("passkey: finding the user: %w", err)
	}
	passkeys, err := p.passkeys(ctx, userID)
	if errors.Is(err, luciapg.ErrFactorNotFound) {
		return auth.Session{}, invalid("no user has this passkey")
	}
	if err != nil {
		return auth.Session{}, err
	}
	if _, err := p.verifyAssertion(ctx, &user{handle: handle, passkeys: passkeys}, data, parsed, true); err != nil {
		return auth.Session{}, err
	}
	return p.auth.CreateSessionWithFactors(ctx, userID, luciapg.FactorPasskey)
}
