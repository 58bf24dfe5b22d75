package input

import (
	"fmt"
	"time"
	"unicode/utf8"
)

// Bounds of what luciapg.FactorAdapter stores, beside MaxIDBytes.
const (
	// MaxCredentialIDBytes is WebAuthn's limit on a credential id.
	MaxCredentialIDBytes = 1023
	// MaxPasskeyNameChars bounds a passkey's label, in characters.
	MaxPasskeyNameChars = 100
	// MaxUserHandleBytes is WebAuthn's limit on a user handle.
	MaxUserHandleBytes = 64
	// MaxBlobBytes bounds the byte strings stored as they are given (a
	// sealed secret, a public key, a ceremony's state): far above any real
	// one, it only stops a runaway caller.
	MaxBlobBytes = 64 << 10
	// aaguidBytes is the length of an authenticator's AAGUID.
	aaguidBytes = 16
)

// Time refuses a time no storage can honour: the zero time (a caller that
// forgot to set it) or one outside the years 1 to 9999.
func Time(field string, t time.Time) error {
	if t.IsZero() || t.Year() < 1 || t.Year() > 9999 {
		return fmt.Errorf("%w: %s is the zero time or outside the years 1 to 9999", ErrInvalidInput, field)
	}
	return nil
}

// blob refuses an empty or oversized byte string.
func blob(field string, b []byte) error {
	if len(b) == 0 {
		return fmt.Errorf("%w: %s is empty", ErrInvalidInput, field)
	}
	if len(b) > MaxBlobBytes {
		return fmt.Errorf("%w: %s is longer than %d bytes", ErrInvalidInput, field, MaxBlobBytes)
	}
	return nil
}

// TOTP is the rule SetTOTP applies.
func TOTP(userID, encryptionKeyID string, encryptedSecret []byte) error {
	if err := UserID(userID); err != nil {
		return err
	}
	if err := ID("encryption key id", encryptionKeyID); err != nil {
		return err
	}
	return blob("encrypted secret", encryptedSecret)
}

// Step refuses a negative TOTP time step: steps count periods since the
// Unix epoch.
func Step(step int64) error {
	if step < 0 {
		return fmt.Errorf("%w: time step is negative", ErrInvalidInput)
	}
	return nil
}

// CodeHashes is the rule SetRecoveryCodes applies: every hash storable like
// an id, none twice (each is a row's key).
func CodeHashes(userID string, hashes []string) error {
	if err := UserID(userID); err != nil {
		return err
	}
	seen := make(map[string]struct{}, len(hashes))
	for _, h := range hashes {
		if err := ID("recovery code hash", h); err != nil {
			return err
		}
		if _, dup := seen[h]; dup {
			return fmt.Errorf("%w: a recovery code hash is given twice", ErrInvalidInput)
		}
		seen[h] = struct{}{}
	}
	return nil
}

// FindableCredentialID reports whether a passkey could have this credential
// id: lookups of others read as "not found" without a round trip.
func FindableCredentialID(id []byte) bool {
	return len(id) > 0 && len(id) <= MaxCredentialIDBytes
}

// CredentialID refuses a credential id WebAuthn would not produce.
func CredentialID(id []byte) error {
	if !FindableCredentialID(id) {
		return fmt.Errorf("%w: credential id is empty or longer than %d bytes", ErrInvalidInput, MaxCredentialIDBytes)
	}
	return nil
}

// PasskeyName refuses a label that is empty, longer than
// MaxPasskeyNameChars characters, or not storable as text.
func PasskeyName(name string) error {
	if !Storable(name) {
		return fmt.Errorf("%w: passkey name contains a NUL byte or invalid UTF-8", ErrInvalidInput)
	}
	if n := utf8.RuneCountInString(name); n == 0 || n > MaxPasskeyNameChars {
		return fmt.Errorf("%w: passkey name is empty or longer than %d characters", ErrInvalidInput, MaxPasskeyNameChars)
	}
	return nil
}

// Passkey is the rule SetPasskey applies.
func Passkey(credentialID []byte, userID, name string, publicKey []byte, attestationType string, transports []string, aaguid []byte) error {
	if err := CredentialID(credentialID); err != nil {
		return err
	}
	if err := UserID(userID); err != nil {
		return err
	}
	if err := PasskeyName(name); err != nil {
		return err
	}
	if err := blob("public key", publicKey); err != nil {
		return err
	}
	// "none" is the usual format; an empty one is let through, a library
	// may leave it so.
	if len(attestationType) > MaxIDBytes || !Storable(attestationType) {
		return fmt.Errorf("%w: attestation type is longer than %d bytes, or contains a NUL byte or invalid UTF-8", ErrInvalidInput, MaxIDBytes)
	}
	for _, t := range transports {
		if err := ID("transport", t); err != nil {
			return err
		}
	}
	if len(aaguid) != 0 && len(aaguid) != aaguidBytes {
		return fmt.Errorf("%w: AAGUID is not %d bytes", ErrInvalidInput, aaguidBytes)
	}
	return nil
}

// FindableUserHandle reports whether a user could have this WebAuthn user
// handle.
func FindableUserHandle(handle []byte) bool {
	return len(handle) > 0 && len(handle) <= MaxUserHandleBytes
}

// UserHandle refuses a user handle WebAuthn would not accept.
func UserHandle(handle []byte) error {
	if !FindableUserHandle(handle) {
		return fmt.Errorf("%w: user handle is empty or longer than %d bytes", ErrInvalidInput, MaxUserHandleBytes)
	}
	return nil
}

// Challenge is the rule SetChallenge applies; userID may be empty (a
// passwordless login).
func Challenge(id, userID, purpose string, data []byte, expires time.Time) error {
	if err := ID("challenge id", id); err != nil {
		return err
	}
	if userID != "" {
		if err := UserID(userID); err != nil {
			return err
		}
	}
	if err := ID("challenge purpose", purpose); err != nil {
		return err
	}
	if err := blob("challenge data", data); err != nil {
		return err
	}
	return Time("challenge expiry", expires)
}

// Factors refuses a list of factor names that is empty or holds a name
// that could not be stored: a session or login proves at least one, and an
// empty list would read back like none recorded.
func Factors(factors []string) error {
	if len(factors) == 0 {
		return fmt.Errorf("%w: factors are empty", ErrInvalidInput)
	}
	for _, f := range factors {
		if err := ID("factor name", f); err != nil {
			return err
		}
	}
	return nil
}

// PendingLogin is the rule SetPendingLogin applies: the key id and its
// hash's digest come together or not at all.
func PendingLogin(id, userID, clientBinding string, factors []string, keyID, keyHashDigest string, expires time.Time) error {
	if err := ID("pending login id", id); err != nil {
		return err
	}
	if err := UserID(userID); err != nil {
		return err
	}
	if err := ID("client binding", clientBinding); err != nil {
		return err
	}
	if err := Factors(factors); err != nil {
		return err
	}
	if (keyID == "") != (keyHashDigest == "") {
		return fmt.Errorf("%w: a pending login's key id and key hash digest must be set together", ErrInvalidInput)
	}
	if keyID != "" {
		if err := ID("key id", keyID); err != nil {
			return err
		}
		if err := ID("key hash digest", keyHashDigest); err != nil {
			return err
		}
	}
	return Time("pending login expiry", expires)
}

// SessionFactors is the rule SetSessionFactors applies.
func SessionFactors(sessionID, userID string, factors []string, authenticatedAt time.Time) error {
	if err := Session(sessionID, userID); err != nil {
		return err
	}
	if err := Factors(factors); err != nil {
		return err
	}
	return Time("authentication time", authenticatedAt)
}

// ErrFactorsNotSession refuses, in CompletePendingLogin, factors whose
// session id or user id is not the session's.
var ErrFactorsNotSession = fmt.Errorf("%w: the factors' session or user id is not the session's", ErrInvalidInput)

// ErrPendingLoginNotSessionUser refuses, in CompletePendingLogin, a session
// for another user than the pending login's.
var ErrPendingLoginNotSessionUser = fmt.Errorf("%w: session.UserID is not the pending login's user", ErrInvalidInput)

// ErrSessionFactorsNotSessionUser refuses, in SetSessionFactors, a record
// whose UserID is not the session's.
var ErrSessionFactorsNotSessionUser = fmt.Errorf("%w: the factors' user id is not the session's", ErrInvalidInput)

// Completion is the rule CompletePendingLogin applies to its arguments:
// a storable session and factor record of the same session and user, and
// a time.
func Completion(now time.Time, sessionID, sessionUserID, factorsSessionID, factorsUserID string, factors []string, authenticatedAt time.Time) error {
	if err := Time("now", now); err != nil {
		return err
	}
	if err := Session(sessionID, sessionUserID); err != nil {
		return err
	}
	if err := SessionFactors(factorsSessionID, factorsUserID, factors, authenticatedAt); err != nil {
		return err
	}
	if factorsSessionID != sessionID || factorsUserID != sessionUserID {
		return ErrFactorsNotSession
	}
	return nil
}
