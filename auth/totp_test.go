package auth_test

import (
	"bytes"
	"encoding/base32"
	"errors"
	"image/png"
	"net/url"
	"testing"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
)

// TestTOTPEnrollment: an enrolment is shown once (URI, base32 secret, a
// PNG QR code), is no second factor until a code confirms it, and needs
// sudo mode to begin or to end.
func TestTOTPEnrollment(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
		ctx := t.Context()
		fa := factorAdapter(t, adapter)
		a, c := newMFAAuth(adapter)
		user := signUp(t, a, "ada", "pw")
		session := passwordLogin(t, ctx, a, "ada", "pw")

		_, err := a.BeginTOTPEnrollment(ctx, session, "")
		wantErr(t, "BeginTOTPEnrollment without an account name", err, luciapg.ErrInvalidInput)
		enrolment, err := a.BeginTOTPEnrollment(ctx, session, "ada@example.com")
		wantNoErr(t, "BeginTOTPEnrollment", err)
		img, err := png.Decode(bytes.NewReader(enrolment.QRCode))
		wantNoErr(t, "png.Decode of the QR code", err)
		if b := img.Bounds(); b.Dx() < 100 || b.Dx() != b.Dy() {
			t.Errorf("the QR code is %v", b)
		}
		secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(enrolment.Secret)
		if err != nil || len(secret) != 20 {
			t.Fatalf("the secret is not 20 bytes of base32: %d bytes, %v", len(secret), err)
		}
		uri, err := url.Parse(enrolment.URI)
		wantNoErr(t, "url.Parse of the URI", err)
		q := uri.Query()
		if uri.Scheme != "otpauth" || uri.Host != "totp" || uri.Path != "/Example:ada@example.com" ||
			q.Get("secret") != enrolment.Secret || q.Get("issuer") != "Example" ||
			q.Get("digits") != "6" || q.Get("period") != "30" || q.Get("algorithm") != "SHA1" {
			t.Errorf("URI %s", enrolment.URI)
		}

		// Unconfirmed, it is no second factor.
		factors, err := fa.GetUserFactors(ctx, user.ID)
		wantNoErr(t, "GetUserFactors", err)
		if factors.HasSecondFactor() {
			t.Fatal("an unconfirmed enrolment counts as a second factor")
		}
		passwordLogin(t, ctx, a, "ada", "pw")

		wantErr(t, "a wrong first code", a.ConfirmTOTPEnrollment(ctx, session, "12345"), auth.ErrInvalidCode)
		wantNoErr(t, "ConfirmTOTPEnrollment", a.ConfirmTOTPEnrollment(ctx, session, oathtoolCode(t, enrolment.Secret, c.Now())))
		factors, err = fa.GetUserFactors(ctx, user.ID)
		wantNoErr(t, "GetUserFactors", err)
		if !factors.TOTP {
			t.Fatal("a confirmed enrolment is no second factor")
		}
		record, _, err := a.SessionFactors(ctx, session)
		wantNoErr(t, "SessionFactors", err)
		if len(record.Factors) != 2 || record.Factors[0] != luciapg.FactorPassword || record.Factors[1] != luciapg.FactorTOTP {
			t.Errorf("the enrolling session's factors: %v", record.Factors)
		}
		wantNoErr(t, "RequireSecondFactor", a.RequireSecondFactor(ctx, session))
		wantErr(t, "ConfirmTOTPEnrollment again", a.ConfirmTOTPEnrollment(ctx, session, oathtoolCode(t, enrolment.Secret, c.Now())), luciapg.ErrFactorExists)
		_, err = a.BeginTOTPEnrollment(ctx, session, "ada@example.com")
		wantErr(t, "BeginTOTPEnrollment with a confirmed app", err, luciapg.ErrFactorExists)

		// Out of sudo mode, neither begin nor disable.
		c.Advance(auth.DefaultSudoPeriod + totpPeriod)
		wantErr(t, "DisableTOTP out of sudo mode", a.DisableTOTP(ctx, session), auth.ErrSudoRequired)
		other := signUp(t, a, "bob", "pw")
		otherSession, err := a.CreateSession(ctx, other.ID)
		wantNoErr(t, "CreateSession", err)
		_, err = a.BeginTOTPEnrollment(ctx, otherSession, "bob")
		wantErr(t, "BeginTOTPEnrollment out of sudo mode", err, auth.ErrSudoRequired)

		wantNoErr(t, "ReauthenticateWithTOTP", a.ReauthenticateWithTOTP(ctx, session, oathtoolCode(t, enrolment.Secret, c.Now())))
		wantNoErr(t, "DisableTOTP", a.DisableTOTP(ctx, session))
		wantErr(t, "DisableTOTP again", a.DisableTOTP(ctx, session), luciapg.ErrFactorNotFound)
		passwordLogin(t, ctx, a, "ada", "pw")
	})
}

// TestTOTPWithoutSecretKeys: without Config.SecretKeys there is no
// authenticator app, said by ErrSecondFactorsUnavailable.
func TestTOTPWithoutSecretKeys(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
		ctx := t.Context()
		a, _ := newFastAuth(adapter)
		signUp(t, a, "ada", "pw")
		session := passwordLogin(t, ctx, a, "ada", "pw")
		_, err := a.BeginTOTPEnrollment(ctx, session, "ada")
		wantErr(t, "BeginTOTPEnrollment", err, auth.ErrSecondFactorsUnavailable)
		wantErr(t, "ReauthenticateWithTOTP", a.ReauthenticateWithTOTP(ctx, session, "123456"), auth.ErrSecondFactorsUnavailable)
		// Recovery codes need no key.
		_, err = a.GenerateRecoveryCodes(ctx, session)
		wantNoErr(t, "GenerateRecoveryCodes", err)
	})
}

// TestTOTPKeyRotation: secrets sealed with key A still open once key B is
// put first, and new ones are sealed with B; dropping A ends A's
// enrolments with a clear error, not a wrong code.
func TestTOTPKeyRotation(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
		ctx := t.Context()
		fa := factorAdapter(t, adapter)
		a, c := newMFAAuth(adapter) // key A
		ada, adaSession, adaSecret := userWithTOTP(t, ctx, a, c, "ada", "pw")

		cfg := mfaConfig(c)
		cfg.SecretKeys = []auth.SecretKey{testKeyB, testKeyA}
		rotated := mustAuth(auth.New(adapter, cfg))
		wantNoErr(t, "ReauthenticateWithTOTP under keys B, A", rotated.ReauthenticateWithTOTP(ctx, adaSession, oathtoolCode(t, adaSecret, c.Now())))
		bob, bobSession, bobSecret := userWithTOTP(t, ctx, rotated, c, "bob", "pw")
		for _, u := range []struct {
			id, key string
		}{{ada.ID, "key-a"}, {bob.ID, "key-b"}} {
			row, err := fa.GetTOTP(ctx, u.id)
			wantNoErr(t, "GetTOTP", err)
			if row.EncryptionKeyID != u.key {
				t.Errorf("sealed with %q, want %q", row.EncryptionKeyID, u.key)
			}
		}

		cfg.SecretKeys = []auth.SecretKey{testKeyB}
		onlyB := mustAuth(auth.New(adapter, cfg))
		wantNoErr(t, "ReauthenticateWithTOTP of B's enrolment under B", onlyB.ReauthenticateWithTOTP(ctx, bobSession, oathtoolCode(t, bobSecret, c.Now())))
		err := onlyB.ReauthenticateWithTOTP(ctx, adaSession, oathtoolCode(t, adaSecret, c.Now().Add(totpPeriod)))
		wantErr(t, "A's enrolment without A", err, auth.ErrSecondFactorsUnavailable)
	})
}

// TestTOTPCodeSpelling: a code may be typed with spaces; anything but six
// digits is a wrong code.
func TestTOTPCodeSpelling(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
		ctx := t.Context()
		a, c := newMFAAuth(adapter)
		_, session, secret := userWithTOTP(t, ctx, a, c, "ada", "pw")
		for _, bad := range []string{"", "12345", "1234567", "12345a", "١٢٣٤٥٦"} {
			if err := a.ReauthenticateWithTOTP(ctx, session, bad); !errors.Is(err, auth.ErrInvalidCode) {
				t.Errorf("code %q: %v, want ErrInvalidCode", bad, err)
			}
		}
		// Five wrong codes were free; the next attempt waits a second.
		c.Advance(totpPeriod)
		code := oathtoolCode(t, secret, c.Now())
		wantNoErr(t, "a code with a space", a.ReauthenticateWithTOTP(ctx, session, code[:3]+" "+code[3:]))
	})
}
