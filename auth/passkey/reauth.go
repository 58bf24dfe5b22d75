package passkey

import (
	"context"
	"fmt"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
)

// BeginReauthentication begins a re-authentication (sudo mode, step-up)
// with one of the session's user's passkeys; the error wraps
// luciapg.ErrFactorNotFound for a user without one. User verification is
// required: the passkey stands for the password here.
func (p *Passkeys) BeginReauthentication(ctx context.Context, session auth.Session) (Ceremony, error) {
	u, err := p.signer(ctx, session.UserID)
	if err != nil {
		return Ceremony{}, err
	}
	assertion, data, err := p.webauthn.BeginLogin(u, webauthn.WithUserVerification(protocol.VerificationRequired))
	if err != nil {
		return Ceremony{}, fmt.Errorf("passkey: beginning a re-authentication: %s", oneLine(err.Error()))
	}
	return p.begin(ctx, purposeReauth, session.UserID, binding("session", session.ID), data, assertion)
}

// FinishReauthentication checks the assertion of the ceremony
// BeginReauthentication began in this session and marks the session
// freshly authenticated with luciapg.FactorPasskey (auth's
// Reauthenticated). A response that does not verify is ErrInvalidPasskey.
func (p *Passkeys) FinishReauthentication(ctx context.Context, session auth.Session, ceremonyToken string, response []byte) error {
	if err := p.verifyUser(ctx, session.UserID, ceremonyToken, purposeReauth, binding("session", session.ID), response, true); err != nil {
		return err
	}
	return p.auth.Reauthenticated(ctx, session, luciapg.FactorPasskey)
}
