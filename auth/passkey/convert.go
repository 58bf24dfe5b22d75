package passkey

import (
	"bytes"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/luciapg/luciapg"
)

// This file is the one place that converts between luciapg's rows and
// go-webauthn's types.

// credentialOf is go-webauthn's view of a stored passkey: what it needs to
// verify an assertion (the public key, the counter and the backup
// eligibility it checks for change) and to list it in allowCredentials or
// excludeCredentials.
func credentialOf(p luciapg.Passkey) webauthn.Credential {
	var flags protocol.AuthenticatorFlags
	if p.BackupEligible {
		flags |= protocol.FlagBackupEligible
	}
	if p.BackupState {
		flags |= protocol.FlagBackupState
	}
	var transports []protocol.AuthenticatorTransport
	for _, t := range p.Transports {
		transports = append(transports, protocol.AuthenticatorTransport(t))
	}
	return webauthn.Credential{
		ID:                bytes.Clone(p.CredentialID),
		PublicKey:         bytes.Clone(p.PublicKey),
		AttestationFormat: p.AttestationType,
		Transport:         transports,
		Flags:             webauthn.NewCredentialFlags(flags),
		Authenticator: webauthn.Authenticator{
			AAGUID:    bytes.Clone(p.AAGUID),
			SignCount: p.SignCount,
		},
	}
}

// passkeyOf is the row to store for a credential just registered by
// userID under name. CreatedAt is the storage's to set.
func passkeyOf(userID, name string, c *webauthn.Credential) luciapg.Passkey {
	var transports []string
	for _, t := range c.Transport {
		transports = append(transports, string(t))
	}
	aaguid := bytes.Clone(c.Authenticator.AAGUID)
	if len(aaguid) != 16 || bytes.Equal(aaguid, make([]byte, 16)) {
		// All zeros is what an authenticator sends to say nothing of its
		// model (and what "none" attestation leaves): store no AAGUID.
		aaguid = nil
	}
	return luciapg.Passkey{
		CredentialID:    bytes.Clone(c.ID),
		UserID:          userID,
		Name:            name,
		PublicKey:       bytes.Clone(c.PublicKey),
		AttestationType: c.AttestationFormat,
		Transports:      transports,
		AAGUID:          aaguid,
		SignCount:       c.Authenticator.SignCount,
		BackupEligible:  c.Flags.BackupEligible,
		BackupState:     c.Flags.BackupState,
	}
}

// descriptors lists passkeys for allowCredentials or excludeCredentials.
func descriptors(passkeys []luciapg.Passkey) []protocol.CredentialDescriptor {
	out := make([]protocol.CredentialDescriptor, 0, len(passkeys))
	for _, p := range passkeys {
		c := credentialOf(p)
		out = append(out, c.Descriptor())
	}
	return out
}

// user is a user as go-webauthn sees one: the WebAuthn user handle (never
// the user id: the handle is stored on authenticators and shown to any
// site that asks for a discoverable credential), the names for the
// authenticator's account picker, and the passkeys a ceremony may use.
type user struct {
	handle      []byte
	name        string
	displayName string
	passkeys    []luciapg.Passkey
}

// WebAuthnID returns the user handle.
func (u *user) WebAuthnID() []byte { return u.handle }

// WebAuthnName returns the account name.
func (u *user) WebAuthnName() string { return u.name }

// WebAuthnDisplayName returns the display name.
func (u *user) WebAuthnDisplayName() string { return u.displayName }

// WebAuthnCredentials returns the passkeys as go-webauthn credentials.
func (u *user) WebAuthnCredentials() []webauthn.Credential {
	out := make([]webauthn.Credential, 0, len(u.passkeys))
	for _, p := range u.passkeys {
		out = append(out, credentialOf(p))
	}
	return out
}
