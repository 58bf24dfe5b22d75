package passkey

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
)

// MaxNameLength bounds a passkey's name, in characters after trimming.
const MaxNameLength = 100

// BeginRegistration begins adding a passkey for the session's user (session
// being what auth's ValidateSession returned). It needs sudo mode
// (auth.ErrSudoRequired otherwise). The options ask for a discoverable
// credential (residentKey "required"), so the passkey also signs the user
// in without a password, with user verification "preferred", no
// attestation, and the user's passkeys excluded, so that an authenticator
// holding one already says so instead of making a second.
func (p *Passkeys) BeginRegistration(ctx context.Context, session auth.Session) (Ceremony, error) {
	if err := p.auth.RequireSudo(ctx, session); err != nil {
		return Ceremony{}, err
	}
	passkeys, err := p.factors.GetPasskeysByUserID(ctx, session.UserID)
	if err != nil {
		return Ceremony{}, fmt.Errorf("passkey: reading the user's passkeys: %w", err)
	}
	handle, err := p.handle(ctx, session.UserID)
	if err != nil {
		return Ceremony{}, err
	}
	name, displayName, err := p.cfg.UserName(ctx, session.UserID)
	if err != nil {
		return Ceremony{}, fmt.Errorf("passkey: Config.UserName: %w", err)
	}
	if name == "" {
		name = session.UserID
	}
	if displayName == "" {
		displayName = name
	}
	u := &user{handle: handle, name: name, displayName: displayName, passkeys: passkeys}
	required := true
	creation, data, err := p.webauthn.BeginRegistration(u,
		webauthn.WithExclusions(descriptors(passkeys)),
		webauthn.WithAuthenticatorSelection(protocol.AuthenticatorSelection{
			RequireResidentKey: &required,
			ResidentKey:        protocol.ResidentKeyRequirementRequired,
			UserVerification:   protocol.VerificationPreferred,
		}),
		webauthn.WithConveyancePreference(protocol.PreferNoAttestation),
	)
	if err != nil {
		return Ceremony{}, fmt.Errorf("passkey: beginning a registration: %s", oneLine(err.Error()))
	}
	return p.begin(ctx, purposeRegister, session.UserID, binding("session", session.ID), data, creation)
}

// FinishRegistration stores the passkey the browser made in the ceremony
// named by ceremonyToken, begun by BeginRegistration in this session, under
// name (1 to MaxNameLength characters once trimmed: an error wrapping
// luciapg.ErrInvalidInput otherwise, checked before the ceremony is used
// up). It needs sudo mode still. response is the JSON of the
// PublicKeyCredential navigator.credentials.create returned (its toJSON()).
// A response that does not verify is ErrInvalidPasskey; a credential
// registered already, by this user or another, wraps
// luciapg.ErrFactorExists. The session's factor record then counts the
// passkey as proven, so the session that adds a user's first passkey goes
// on without a second step. A second_factor_added event ("passkey") goes
// in the audit log with the passkey, in the same transaction.
func (p *Passkeys) FinishRegistration(ctx context.Context, session auth.Session, ceremonyToken, name string, response []byte) (luciapg.Passkey, error) {
	name, err := checkName(name)
	if err != nil {
		return luciapg.Passkey{}, err
	}
	if err := p.auth.RequireSudo(ctx, session); err != nil {
		return luciapg.Passkey{}, err
	}
	data, err := p.finish(ctx, ceremonyToken, purposeRegister, session.UserID, binding("session", session.ID))
	if err != nil {
		return luciapg.Passkey{}, err
	}
	if len(response) > maxResponseBytes {
		return luciapg.Passkey{}, invalid("the response is too large")
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(response)
	if err != nil {
		return luciapg.Passkey{}, invalid("the response is malformed")
	}
	handle, err := p.handle(ctx, session.UserID)
	if err != nil {
		return luciapg.Passkey{}, err
	}
	// go-webauthn compares the handle with the ceremony's, and needs no
	// names or passkeys to verify a registration.
	credential, err := p.webauthn.CreateCredential(&user{handle: handle}, data, parsed)
	if err != nil {
		return luciapg.Passkey{}, invalid("the response does not verify")
	}
	passkey := passkeyOf(session.UserID, name, credential)
	wctx := p.auth.AuditContext(ctx, luciapg.AuditSecondFactorAdded, session.UserID, session.ID, luciapg.FactorPasskey)
	if err := p.factors.SetPasskey(wctx, passkey); err != nil {
		if errors.Is(err, luciapg.ErrFactorExists) {
			return luciapg.Passkey{}, fmt.Errorf("%w: passkey: the credential is registered already", luciapg.ErrFactorExists)
		}
		return luciapg.Passkey{}, fmt.Errorf("passkey: storing the passkey: %w", err)
	}
	// The user may now have a second factor, which this session has just
	// shown it holds (as confirming an authenticator app records it):
	// otherwise the session that added a user's first passkey would be
	// asked for a second factor at once.
	if err := p.auth.Reauthenticated(ctx, session, luciapg.FactorPasskey); err != nil {
		return luciapg.Passkey{}, fmt.Errorf("passkey: recording the passkey in the session: %w", err)
	}
	stored, err := p.factors.GetPasskey(ctx, passkey.CredentialID)
	if err != nil {
		return luciapg.Passkey{}, fmt.Errorf("passkey: reading the passkey stored: %w", err)
	}
	return stored, nil
}

// checkName returns name trimmed, or an error wrapping
// luciapg.ErrInvalidInput that never quotes it.
func checkName(name string) (string, error) {
	name = strings.TrimSpace(name)
	n := utf8.RuneCountInString(name)
	if n == 0 || n > MaxNameLength || !utf8.ValidString(name) || strings.ContainsFunc(name, unicode.IsControl) {
		return "", fmt.Errorf("%w: passkey: the name must be 1 to %d characters, without control characters", luciapg.ErrInvalidInput, MaxNameLength)
	}
	return name, nil
}
