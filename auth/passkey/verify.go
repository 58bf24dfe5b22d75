package passkey

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/luciapg/luciapg"
)

// maxResponseBytes bounds a browser's response before it is parsed: a
// registration with an attestation certificate chain takes a few
// kilobytes, an assertion a few hundred bytes.
const maxResponseBytes = 64 << 10

// parseAssertion parses the JSON of a get() ceremony's PublicKeyCredential.
func parseAssertion(response []byte) (*protocol.ParsedCredentialAssertionData, error) {
	if len(response) > maxResponseBytes {
		return nil, invalid("the response is too large")
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(response)
	if err != nil {
		return nil, invalid("the response is malformed")
	}
	return parsed, nil
}

// verifyAssertion checks an assertion against the ceremony's state, for u,
// whose passkeys are the only ones it may be signed with, and records the
// use of the one it was: its new signature counter and backup state, only
// while its counter is still the one read (compare and set), so that of
// two uses of one counter value, one wins. requireUV refuses an assertion
// whose authenticator did not verify the user (a PIN or biometric), for a
// passkey that stands for more than possession.
func (p *Passkeys) verifyAssertion(ctx context.Context, u *user, data webauthn.SessionData, parsed *protocol.ParsedCredentialAssertionData, requireUV bool) (luciapg.Passkey, error) {
	stored, ok := find(u.passkeys, parsed.RawID)
	if !ok {
		return luciapg.Passkey{}, invalid("the credential is not a passkey of the user")
	}
	var credential *webauthn.Credential
	var err error
	if len(data.UserID) == 0 {
		// A discoverable login: the user is u, found by the handle the
		// authenticator returned, which go-webauthn checks again.
		_, credential, err = p.webauthn.ValidatePasskeyLogin(func(_, _ []byte) (webauthn.User, error) { return u, nil }, data, parsed)
	} else {
		credential, err = p.webauthn.ValidateLogin(u, data, parsed)
	}
	if err != nil {
		// go-webauthn's text can quote the challenges it compared.
		return luciapg.Passkey{}, invalid("the response does not verify")
	}
	flags := parsed.Response.AuthenticatorData.Flags
	if requireUV && !flags.HasUserVerified() {
		return luciapg.Passkey{}, invalid("the authenticator did not verify the user")
	}
	// go-webauthn refuses these too; checked here so that the rules do not
	// hang on its version. A credential's backup eligibility is fixed when
	// it is made (WebAuthn §6.1.3), and BS without BE is malformed.
	if flags.HasBackupEligible() != stored.BackupEligible || (flags.HasBackupState() && !flags.HasBackupEligible()) {
		return luciapg.Passkey{}, invalid("the backup flags are inconsistent")
	}
	counter := parsed.Response.AuthenticatorData.Counter
	if credential.Authenticator.CloneWarning || !counterAdvanced(stored.SignCount, counter) {
		return luciapg.Passkey{}, invalid("the signature counter did not increase, as a cloned authenticator's would not")
	}
	now := p.cfg.Now()
	err = p.factors.UpdatePasskeyUse(ctx, stored.CredentialID, stored.SignCount, counter, flags.HasBackupState(), now)
	if errors.Is(err, luciapg.ErrFactorReplayed) || errors.Is(err, luciapg.ErrFactorNotFound) {
		// Another use of this counter value won, or the passkey was
		// removed meanwhile.
		return luciapg.Passkey{}, fmt.Errorf("%w: %w", ErrInvalidPasskey, err)
	}
	if err != nil {
		return luciapg.Passkey{}, fmt.Errorf("passkey: recording the use: %w", err)
	}
	stored.SignCount, stored.BackupState, stored.LastUsedAt = counter, flags.HasBackupState(), now
	return stored, nil
}

// counterAdvanced is WebAuthn's signature-counter rule (§7.2 step 21):
// when either counter is non-zero, the new one must be greater than the
// stored one; else the credential may have been cloned. An authenticator
// that keeps no counter reports 0 every time, which passes.
func counterAdvanced(stored, received uint32) bool {
	if stored == 0 && received == 0 {
		return true
	}
	return received > stored
}
