package auth_test

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
)

// TestBeginLoginWithoutSecondFactor: for a user without a second factor,
// BeginLogin is Login with a record saying a password made the session,
// now; BeginLoginForUser records the application's factor.
func TestBeginLoginWithoutSecondFactor(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
		ctx := t.Context()
		a, c := newMFAAuth(adapter)
		user := signUp(t, a, "ada", "pw")
		_, err := a.BeginLogin(ctx, "username", "ada", "wrong")
		wantErr(t, "BeginLogin with a wrong password", err, auth.ErrInvalidPassword)

		session := passwordLogin(t, ctx, a, "ada", "pw")
		if !session.Fresh || session.UserID != user.ID {
			t.Fatalf("BeginLogin's session: %+v", session)
		}
		_, err = a.ValidateSession(ctx, session.ID)
		wantNoErr(t, "ValidateSession", err)
		record, _, err := a.SessionFactors(ctx, session)
		wantNoErr(t, "SessionFactors", err)
		if !slices.Equal(record.Factors, []string{luciapg.FactorPassword}) || !record.AuthenticatedAt.Equal(c.Now()) {
			t.Errorf("record %v at %v", record.Factors, record.AuthenticatedAt)
		}
		wantNoErr(t, "RequireSecondFactor", a.RequireSecondFactor(ctx, session))

		result, err := a.BeginLoginForUser(ctx, user.ID, luciapg.FactorOAuth)
		wantNoErr(t, "BeginLoginForUser", err)
		record, _, err = a.SessionFactors(ctx, result.Session)
		wantNoErr(t, "SessionFactors", err)
		if result.Pending != nil || !slices.Equal(record.Factors, []string{luciapg.FactorOAuth}) {
			t.Errorf("BeginLoginForUser: %+v, record %v", result, record.Factors)
		}
		_, err = a.BeginLoginForUser(ctx, user.ID, luciapg.FactorTOTP)
		wantErr(t, "BeginLoginForUser with a second factor", err, luciapg.ErrInvalidInput)
		_, err = a.BeginLoginForUser(ctx, "nobody", luciapg.FactorOAuth)
		wantErr(t, "BeginLoginForUser of an unknown user", err, luciapg.ErrInvalidUserID)
	})
}

// TestTwoStepLogin: a pending login for a user with an authenticator app
// says what it waits for, keeps through a wrong code, and ends in a
// session recorded with both factors.
func TestTwoStepLogin(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
		ctx := withAddress(t.Context(), "2001:db8:1:2::10")
		a, c := newMFAAuth(adapter)
		user, _, secret := userWithTOTP(t, ctx, a, c, "ada", "pw")

		pending := beginPending(t, ctx, a, "ada", "pw")
		if !regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`).MatchString(pending.Token) || pending.UserID != user.ID ||
			!pending.Expires.Equal(c.Now().Add(auth.DefaultPendingLoginPeriod)) || !pending.Methods.TOTP {
			t.Fatalf("pending login %+v", pending)
		}
		_, err := a.CompleteLoginWithTOTP(ctx, pending.Token, "000000x")
		wantErr(t, "a wrong code", err, auth.ErrInvalidCode)

		// The same client, from another address of its IPv6 /64.
		moved := withAddress(t.Context(), "2001:db8:1:2::99")
		session, err := a.CompleteLoginWithTOTP(moved, pending.Token, oathtoolCode(t, secret, c.Now()))
		wantNoErr(t, "CompleteLoginWithTOTP", err)
		if !session.Fresh || session.UserID != user.ID {
			t.Fatalf("the session %+v", session)
		}
		_, err = a.ValidateSession(ctx, session.ID)
		wantNoErr(t, "ValidateSession", err)
		record, _, err := a.SessionFactors(ctx, session)
		wantNoErr(t, "SessionFactors", err)
		if !slices.Equal(record.Factors, []string{luciapg.FactorPassword, luciapg.FactorTOTP}) || !record.AuthenticatedAt.Equal(c.Now()) {
			t.Errorf("record %v at %v", record.Factors, record.AuthenticatedAt)
		}

		// An OAuth first factor, finished with a recovery code.
		wantNoErr(t, "RequireSudo", a.RequireSudo(ctx, session))
		codes, err := a.GenerateRecoveryCodes(ctx, session)
		wantNoErr(t, "GenerateRecoveryCodes", err)
		result, err := a.BeginLoginForUser(ctx, user.ID, luciapg.FactorOAuth)
		wantNoErr(t, "BeginLoginForUser", err)
		session, err = a.CompleteLoginWithRecoveryCode(ctx, result.Pending.Token, codes[0])
		wantNoErr(t, "CompleteLoginWithRecoveryCode", err)
		record, _, err = a.SessionFactors(ctx, session)
		wantNoErr(t, "SessionFactors", err)
		if !slices.Equal(record.Factors, []string{luciapg.FactorOAuth, luciapg.FactorRecoveryCode}) {
			t.Errorf("record %v", record.Factors)
		}
	})
}

// TestPendingLoginExpires: a pending login lasts Config.PendingLoginPeriod.
func TestPendingLoginExpires(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
		ctx := t.Context()
		a, c := newMFAAuth(adapter)
		_, _, secret := userWithTOTP(t, ctx, a, c, "ada", "pw")
		pending := beginPending(t, ctx, a, "ada", "pw")
		c.Advance(auth.DefaultPendingLoginPeriod)
		_, err := a.CompleteLoginWithTOTP(ctx, pending.Token, oathtoolCode(t, secret, c.Now()))
		wantErr(t, "CompleteLoginWithTOTP at expiry", err, auth.ErrInvalidPendingLogin)
	})
}

// TestPendingLoginEndsWithPasswordChange: a password change between the two
// steps (a reset by the account's owner) ends the pending login: it was
// begun with the old password.
func TestPendingLoginEndsWithPasswordChange(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
		ctx := t.Context()
		a, c := newMFAAuth(adapter)
		user, _, secret := userWithTOTP(t, ctx, a, c, "ada", "pw")
		pending := beginPending(t, ctx, a, "ada", "pw")
		_, err := a.UpdateKeyPassword(ctx, "username", "ada", "new password")
		wantNoErr(t, "UpdateKeyPassword", err)
		before := sessionCount(t, a, user.ID)
		_, err = a.CompleteLoginWithTOTP(ctx, pending.Token, oathtoolCode(t, secret, c.Now()))
		wantErr(t, "CompleteLoginWithTOTP after a password change", err, auth.ErrInvalidPendingLogin)
		if n := sessionCount(t, a, user.ID); n != before {
			t.Fatalf("a refused completion wrote %d sessions", n-before)
		}
	})
}

// TestCompleteLoginWith: the extension point for other second factors
// hands verify the pending login's user, returns verify's refusal as it
// is (keeping the login for another try), and records the factor.
func TestCompleteLoginWith(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
		ctx := t.Context()
		a, c := newMFAAuth(adapter)
		user, _, _ := userWithTOTP(t, ctx, a, c, "ada", "pw")
		pending := beginPending(t, ctx, a, "ada", "pw")

		_, err := a.CompleteLoginWith(ctx, pending.Token, luciapg.FactorPassword, okVerify)
		wantErr(t, "CompleteLoginWith a first factor", err, luciapg.ErrInvalidInput)
		_, err = a.CompleteLoginWith(ctx, pending.Token, luciapg.FactorPasskey, nil)
		wantErr(t, "CompleteLoginWith no verify", err, luciapg.ErrInvalidInput)
		refusal := errors.New("assertion refused")
		_, err = a.CompleteLoginWith(ctx, pending.Token, luciapg.FactorPasskey, func(context.Context, string) error { return refusal })
		wantErr(t, "CompleteLoginWith a refusing verify", err, refusal)

		var verified string
		session, err := a.CompleteLoginWith(ctx, pending.Token, luciapg.FactorPasskey, func(_ context.Context, userID string) error {
			verified = userID
			return nil
		})
		wantNoErr(t, "CompleteLoginWith", err)
		if verified != user.ID || session.UserID != user.ID {
			t.Fatalf("verify got %q, session of %q, want %q", verified, session.UserID, user.ID)
		}
		record, _, err := a.SessionFactors(ctx, session)
		wantNoErr(t, "SessionFactors", err)
		if !slices.Equal(record.Factors, []string{luciapg.FactorPassword, luciapg.FactorPasskey}) {
			t.Errorf("record %v", record.Factors)
		}
	})
}

// TestCreateSessionWithFactors: a session recorded as made by the factors
// given, each once, now; no factor or an unknown one is refused.
func TestCreateSessionWithFactors(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
		ctx := t.Context()
		a, c := newMFAAuth(adapter)
		user, _, _ := userWithTOTP(t, ctx, a, c, "ada", "pw")
		_, err := a.CreateSessionWithFactors(ctx, user.ID)
		wantErr(t, "no factors", err, luciapg.ErrInvalidInput)
		_, err = a.CreateSessionWithFactors(ctx, user.ID, luciapg.FactorPasskey, "magic")
		wantErr(t, "an unknown factor", err, luciapg.ErrInvalidInput)
		_, err = a.CreateSessionWithFactors(ctx, "nobody", luciapg.FactorPasskey)
		wantErr(t, "an unknown user", err, luciapg.ErrInvalidUserID)

		c.Advance(time.Minute)
		session, err := a.CreateSessionWithFactors(ctx, user.ID, luciapg.FactorPasskey, luciapg.FactorPasskey)
		wantNoErr(t, "CreateSessionWithFactors", err)
		record, _, err := a.SessionFactors(ctx, session)
		wantNoErr(t, "SessionFactors", err)
		if !slices.Equal(record.Factors, []string{luciapg.FactorPasskey}) || !record.AuthenticatedAt.Equal(c.Now()) {
			t.Errorf("record %v at %v", record.Factors, record.AuthenticatedAt)
		}
		wantNoErr(t, "RequireSecondFactor", a.RequireSecondFactor(ctx, session))
		wantNoErr(t, "RequireSudo", a.RequireSudo(ctx, session))
	})
}

// TestSecondFactorsNeedAFactorAdapter: over an adapter that stores no
// second factors, the second-factor calls say so, RequireSecondFactor and
// RequireSudo refuse rather than pass, and Login works as before.
func TestSecondFactorsNeedAFactorAdapter(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
		ctx := t.Context()
		plain := struct {
			luciapg.Adapter
			luciapg.AttemptThrottle
		}{adapter, adapter}
		a := mustAuth(auth.New(plain, auth.Config{PasswordHasher: fastHasher{}}))
		signUp(t, a, "ada", "pw")
		session, err := a.Login(ctx, "username", "ada", "pw")
		wantNoErr(t, "Login", err)
		_, err = a.BeginLogin(ctx, "username", "ada", "pw")
		wantErr(t, "BeginLogin", err, auth.ErrSecondFactorsUnavailable)
		wantErr(t, "RequireSecondFactor", a.RequireSecondFactor(ctx, session), auth.ErrSecondFactorsUnavailable)
		wantErr(t, "RequireSudo", a.RequireSudo(ctx, session), auth.ErrSecondFactorsUnavailable)
		_, err = a.FactorAdapter()
		wantErr(t, "FactorAdapter", err, auth.ErrSecondFactorsUnavailable)
	})
}
