package auth

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/base32"
	"errors"
	"fmt"
	"image/png"
	"strings"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"

	"github.com/luciapg/luciapg"
)

// The authenticator-app parameters: RFC 6238's defaults, the only ones
// every app reads from a QR code (some ignore the others silently and
// then show wrong codes).
const (
	totpPeriod      = 30 // seconds per step
	totpDigits      = otp.DigitsSix
	totpSecretBytes = 20 // 160 bits, RFC 4226's recommendation for SHA-1
	// totpSkew is how many steps before and after the current one a code
	// may be of: a phone's clock a little off, a code typed as it turned.
	totpSkew = 1
	// qrCodePixels is the QR code's width and height.
	qrCodePixels = 256
)

// DefaultTOTPIssuer names the site in authenticator apps when
// Config.TOTPIssuer is empty.
const DefaultTOTPIssuer = "luciapg"

var errEmptyAccountName = errors.New("the authenticator app's account name is empty")

// TOTPEnrollment is an authenticator-app enrolment to show the user once.
type TOTPEnrollment struct {
	// URI is the otpauth:// URI an authenticator app reads.
	URI string
	// Secret is the secret in base32, for typing in by hand.
	Secret string
	// QRCode is a PNG image of URI.
	QRCode []byte
}

// totpIssuer checks Config.TOTPIssuer: the app's label is
// "issuer:account", so a ':' in the issuer would move part of it into the
// account name.
func totpIssuer(issuer string) (string, error) {
	if strings.Contains(issuer, ":") {
		return "", fmt.Errorf("%w: auth: TOTPIssuer must not contain ':'", luciapg.ErrInvalidConfig)
	}
	if issuer == "" {
		return DefaultTOTPIssuer, nil
	}
	return issuer, nil
}

// BeginTOTPEnrollment (sudo) makes a new secret for the session's user and
// stores it sealed and unconfirmed, replacing an unconfirmed one.
// accountName labels it in the app (an email or username). Show the result
// once, then have the user type a code: ConfirmTOTPEnrollment. A user who
// already has a confirmed app gets luciapg.ErrFactorExists (DisableTOTP
// first). Without Config.SecretKeys it is ErrSecondFactorsUnavailable.
func (a *Auth) BeginTOTPEnrollment(ctx context.Context, session Session, accountName string) (TOTPEnrollment, error) {
	fa, err := a.factors()
	if err != nil {
		return TOTPEnrollment{}, err
	}
	key, err := a.sealingKey()
	if err != nil {
		return TOTPEnrollment{}, err
	}
	if accountName == "" {
		return TOTPEnrollment{}, invalidInput(errEmptyAccountName)
	}
	if err := a.RequireSudo(ctx, session); err != nil {
		return TOTPEnrollment{}, err
	}
	secret, err := randomBytes(totpSecretBytes)
	if err != nil {
		return TOTPEnrollment{}, err
	}
	otpKey, err := totp.Generate(totp.GenerateOpts{
		Issuer:      a.totpIssuer,
		AccountName: accountName,
		Period:      totpPeriod,
		Secret:      secret,
		Digits:      totpDigits,
		Algorithm:   otp.AlgorithmSHA1,
	})
	if err != nil {
		return TOTPEnrollment{}, fmt.Errorf("auth: making the authenticator app's URI: %w", err)
	}
	img, err := otpKey.Image(qrCodePixels, qrCodePixels)
	if err != nil {
		return TOTPEnrollment{}, fmt.Errorf("auth: making the QR code: %w", err)
	}
	var qr bytes.Buffer
	if err := png.Encode(&qr, img); err != nil {
		return TOTPEnrollment{}, fmt.Errorf("auth: encoding the QR code: %w", err)
	}
	sealed, err := key.seal(session.UserID, secret)
	if err != nil {
		return TOTPEnrollment{}, err
	}
	err = fa.SetTOTP(ctx, luciapg.TOTP{UserID: session.UserID, EncryptionKeyID: key.id, EncryptedSecret: sealed})
	if err != nil {
		return TOTPEnrollment{}, err
	}
	return TOTPEnrollment{URI: otpKey.URL(), Secret: otpKey.Secret(), QRCode: qr.Bytes()}, nil
}

// ConfirmTOTPEnrollment activates the enrolment with a first correct code,
// counted as every code is (Config.SecondFactorThrottle), and records the
// authenticator app as proven now in the session, and a
// second_factor_added event in the audit log. Without an enrolment in
// progress it is luciapg.ErrFactorNotFound; with a confirmed one,
// luciapg.ErrFactorExists.
func (a *Auth) ConfirmTOTPEnrollment(ctx context.Context, session Session, code string) error {
	fa, err := a.factors()
	if err != nil {
		return err
	}
	if len(a.secretKeys) == 0 {
		return errNoSecretKeys
	}
	if err := a.countSecondFactor(ctx, session.UserID); err != nil {
		return err
	}
	row, err := fa.GetTOTP(ctx, session.UserID)
	switch {
	case err != nil:
		return err
	case row.Confirmed:
		return luciapg.ErrFactorExists
	}
	secret, err := a.openSecret(row)
	if err != nil {
		return err
	}
	step, ok := matchTOTP(secret, code, a.now().Unix(), 0)
	if !ok {
		return ErrInvalidCode
	}
	wctx := a.withAuditEvent(ctx, luciapg.AuditSecondFactorAdded, session.UserID, session.ID, luciapg.FactorTOTP)
	if err := fa.ConfirmTOTP(wctx, session.UserID, step); err != nil {
		return err
	}
	if err := a.resetSecondFactor(ctx, session.UserID); err != nil {
		return err
	}
	return a.reauthenticated(ctx, session, luciapg.FactorTOTP)
}

// DisableTOTP (sudo) removes the user's authenticator app, confirmed or
// not; luciapg.ErrFactorNotFound when there is none. The recovery codes
// stay. Removing a confirmed app is recorded as a second_factor_removed
// event in the delete's transaction, and the user is sent a notice.
func (a *Auth) DisableTOTP(ctx context.Context, session Session) error {
	fa, err := a.factors()
	if err != nil {
		return err
	}
	if err := a.RequireSudo(ctx, session); err != nil {
		return err
	}
	row, err := fa.GetTOTP(ctx, session.UserID)
	if err != nil {
		return err
	}
	if !row.Confirmed {
		// An enrolment never finished protected nothing: no event, no notice.
		return fa.DeleteTOTP(ctx, session.UserID)
	}
	wctx := a.withAuditEvent(ctx, luciapg.AuditSecondFactorRemoved, session.UserID, session.ID, luciapg.FactorTOTP)
	if err := fa.DeleteTOTP(wctx, session.UserID); err != nil {
		return err
	}
	a.Notify(ctx, Notice{Kind: NoticeSecondFactorRemoved, UserID: session.UserID, Detail: luciapg.FactorTOTP})
	return nil
}

// verifyTOTP checks a code of the user's confirmed authenticator app: it
// counts the attempt, accepts a code of the current step or the one
// before or after it, and only of a step after the last one accepted, and
// records that step (so the code, or an older one, never works again).
// A wrong, malformed or used code, or a user without a confirmed app, is
// ErrInvalidCode.
func (a *Auth) verifyTOTP(ctx context.Context, userID, code string) error {
	fa, err := a.factors()
	if err != nil {
		return err
	}
	if len(a.secretKeys) == 0 {
		return errNoSecretKeys
	}
	if err := a.countSecondFactor(ctx, userID); err != nil {
		a.recordIfThrottled(ctx, userID, err)
		return err
	}
	row, err := fa.GetTOTP(ctx, userID)
	switch {
	case errors.Is(err, luciapg.ErrFactorNotFound):
		return a.refuseCode(ctx, userID, failedTOTP)
	case err != nil:
		return err
	case !row.Confirmed:
		return a.refuseCode(ctx, userID, failedTOTP)
	}
	secret, err := a.openSecret(row)
	if err != nil {
		return err
	}
	step, ok := matchTOTP(secret, code, a.now().Unix(), row.LastStep)
	if !ok {
		return a.refuseCode(ctx, userID, failedTOTP)
	}
	// The storage's check is the one that counts: of two requests with
	// the same code, both may pass the check above, one wins here.
	err = fa.UseTOTPStep(ctx, userID, step)
	switch {
	case errors.Is(err, luciapg.ErrFactorReplayed), errors.Is(err, luciapg.ErrFactorNotFound):
		return a.refuseCode(ctx, userID, failedTOTP)
	case err != nil:
		return err
	}
	return a.resetSecondFactor(ctx, userID)
}

// matchTOTP returns the latest step within totpSkew of now (Unix seconds),
// and after lastStep, whose code is code (spaces ignored). Every candidate
// is computed and compared in constant time, matched or not.
func matchTOTP(secret []byte, code string, now, lastStep int64) (int64, bool) {
	code = strings.ReplaceAll(code, " ", "")
	if len(code) != totpDigits.Length() || strings.Trim(code, "0123456789") != "" {
		return 0, false
	}
	encoded := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(secret)
	current := now / totpPeriod
	matched, ok := int64(0), false
	for step := current - totpSkew; step <= current+totpSkew; step++ {
		want, err := hotp.GenerateCodeCustom(encoded, uint64(step), hotp.ValidateOpts{Digits: totpDigits, Algorithm: otp.AlgorithmSHA1})
		if err != nil {
			return 0, false
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 && step > lastStep {
			matched, ok = step, true
		}
	}
	return matched, ok
}
