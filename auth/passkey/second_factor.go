package passkey

import (
	"context"
	"fmt"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
)

// BeginSecondFactor begins the second step of a login that auth's
// BeginLogin or BeginLoginForUser left pending: the browser is asked for
// an assertion by one of the pending login's user's passkeys. The pending
// login is checked as auth's GetPendingLogin does (auth.ErrInvalidPendingLogin);
// a user without a passkey is an error wrapping luciapg.ErrFactorNotFound.
// User verification is only preferred: the password, or the provider's
// sign-in, was the first factor.
func (p *Passkeys) BeginSecondFactor(ctx context.Context, pendingToken string) (Ceremony, error) {
	pending, err := p.auth.GetPendingLogin(ctx, pendingToken)
	if err != nil {
		return Ceremony{}, err
	}
	u, err := p.signer(ctx, pending.UserID)
	if err != nil {
		return Ceremony{}, err
	}
	assertion, data, err := p.webauthn.BeginLogin(u, webauthn.WithUserVerification(protocol.VerificationPreferred))
	if err != nil {
		return Ceremony{}, fmt.Errorf("passkey: beginning a second factor: %s", oneLine(err.Error()))
	}
	return p.begin(ctx, purposeSecondFactor, pending.UserID, binding("pending", pendingToken), data, assertion)
}

// FinishSecondFactor completes the pending login with the assertion of the
// ceremony BeginSecondFactor began for it, through auth's
// CompleteLoginWith: the session it returns records luciapg.FactorPasskey.
// A response that does not verify is ErrInvalidPasskey; what auth refuses
// (auth.ErrInvalidPendingLogin) comes as auth returns it.
func (p *Passkeys) FinishSecondFactor(ctx context.Context, pendingToken, ceremonyToken string, response []byte) (auth.Session, error) {
	return p.auth.CompleteLoginWith(ctx, pendingToken, luciapg.FactorPasskey, func(ctx context.Context, userID string) error {
		return p.verifyUser(ctx, userID, ceremonyToken, purposeSecondFactor, binding("pending", pendingToken), response, false)
	})
}

// verifyUser consumes the ceremony and verifies the response as an
// assertion by one of userID's passkeys, recording its use.
func (p *Passkeys) verifyUser(ctx context.Context, userID, ceremonyToken, purpose, binding string, response []byte, requireUV bool) error {
	data, err := p.finish(ctx, ceremonyToken, purpose, userID, binding)
	if err != nil {
		return err
	}
	parsed, err := parseAssertion(response)
	if err != nil {
		return err
	}
	u, err := p.signer(ctx, userID)
	if err != nil {
		return err
	}
	_, err = p.verifyAssertion(ctx, u, data, parsed, requireUV)
	return err
}
