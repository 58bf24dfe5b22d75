package auth

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"strings"
	"unicode"

	"github.com/luciapg/luciapg"
)

const (
	// recoveryCodesDetail names recovery codes in audit events and notices.
	recoveryCodesDetail = "recovery_codes"
	// recoveryCodeCount is how many codes a set holds.
	recoveryCodeCount = 10
	// recoveryCodeBytes is each code's randomness: 80 bits, beyond any
	// guessing through a throttled login, and 16 base32 characters.
	recoveryCodeBytes = 10
)

// recoveryCodeEncoding is lowercase base32 without padding: no 0/O or 1/l
// to confuse, and nothing to shift on a phone's keyboard.
var recoveryCodeEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// GenerateRecoveryCodes (sudo) replaces the user's recovery codes with ten
// new ones, returned once, as xxxx-xxxx-xxxx-xxxx. Only a hash of each is
// stored, so show them now: they cannot be read again. The old codes, used
// or not, stop working. A second_factor_added event ("recovery_codes")
// goes in the audit log with them.
func (a *Auth) GenerateRecoveryCodes(ctx context.Context, session Session) ([]string, error) {
	fa, err := a.factors()
	if err != nil {
		return nil, err
	}
	if err := a.RequireSudo(ctx, session); err != nil {
		return nil, err
	}
	codes := make([]string, recoveryCodeCount)
	hashes := make([]string, recoveryCodeCount)
	for i := range codes {
		b, err := randomBytes(recoveryCodeBytes)
		if err != nil {
			return nil, err
		}
		plain := recoveryCodeEncoding.EncodeToString(b)
		codes[i] = plain[0:4] + "-" + plain[4:8] + "-" + plain[8:12] + "-" + plain[12:16]
		hashes[i] = recoveryCodeHash(session.UserID, plain)
	}
	wctx := a.withAuditEvent(ctx, luciapg.AuditSecondFactorAdded, session.UserID, session.ID, recoveryCodesDetail)
	if err := fa.SetRecoveryCodes(wctx, session.UserID, hashes); err != nil {
		return nil, err
	}
	return codes, nil
}

// useRecoveryCode counts an attempt at the user's codes (the same count as
// their one-time codes), then uses the code up: ErrInvalidCode when it is
// malformed, wrong or already used. Of two uses of one code at once, one
// wins.
func (a *Auth) useRecoveryCode(ctx context.Context, userID, code string) error {
	fa, err := a.factors()
	if err != nil {
		return err
	}
	if err := a.countSecondFactor(ctx, userID); err != nil {
		a.recordIfThrottled(ctx, userID, err)
		return err
	}
	plain := normalizeRecoveryCode(code)
	if b, err := recoveryCodeEncoding.DecodeString(plain); err != nil || len(b) != recoveryCodeBytes {
		return a.refuseCode(ctx, userID, failedRecoveryCode)
	}
	err = fa.UseRecoveryCode(ctx, userID, recoveryCodeHash(userID, plain))
	switch {
	case errors.Is(err, luciapg.ErrFactorNotFound):
		return a.refuseCode(ctx, userID, failedRecoveryCode)
	case err != nil:
		return err
	}
	return a.resetSecondFactor(ctx, userID)
}

// normalizeRecoveryCode drops the spaces and hyphens people type or copy
// with a code, and lowercases it.
func normalizeRecoveryCode(code string) string {
	return strings.ToLower(strings.Map(func(r rune) rune {
		if r == '-' || unicode.IsSpace(r) {
			return -1
		}
		return r
	}, code))
}

// recoveryCodeHash is what is stored of a code: the SHA-256 (hex) of the
// user's id, a 0 byte and the normalized code. The user id makes one
// user's hash useless for any other's row; 80 random bits make a fast
// hash enough (there is no dictionary to try).
func recoveryCodeHash(userID, normalizedCode string) string {
	sum := sha256.Sum256([]byte(userID + "\x00" + normalizedCode))
	return hex.EncodeToString(sum[:])
}
