package auth_test

import (
	"slices"
	"testing"
	"time"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
)

// TestSudoWindow: a login is fresh for Config.SudoPeriod, then a
// re-authentication with the user's own password makes it fresh again; a
// wrong password, or another user's right one, does not.
func TestSudoWindow(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
		ctx := t.Context()
		c := newClock()
		cfg := mfaConfig(c)
		cfg.SudoPeriod = 3 * time.Minute
		a := mustAuth(auth.New(adapter, cfg))
		signUp(t, a, "ada", "pw")
		signUp(t, a, "bob", "bobpw")
		session := passwordLogin(t, ctx, a, "ada", "pw")

		wantNoErr(t, "RequireSudo at login", a.RequireSudo(ctx, session))
		c.Advance(3 * time.Minute)
		wantNoErr(t, "RequireSudo at the end of the period", a.RequireSudo(ctx, session))
		c.Advance(time.Millisecond)
		wantErr(t, "RequireSudo after the period", a.RequireSudo(ctx, session), auth.ErrSudoRequired)

		wantErr(t, "a wrong password", a.ReauthenticateWithPassword(ctx, session, "username", "ada", "nope"), auth.ErrInvalidPassword)
		wantErr(t, "another user's password", a.ReauthenticateWithPassword(ctx, session, "username", "bob", "bobpw"), auth.ErrInvalidPassword)
		wantErr(t, "RequireSudo after refusals", a.RequireSudo(ctx, session), auth.ErrSudoRequired)
		wantNoErr(t, "ReauthenticateWithPassword", a.ReauthenticateWithPassword(ctx, session, "username", "ada", "pw"))
		wantNoErr(t, "RequireSudo after re-authenticating", a.RequireSudo(ctx, session))

		// An OAuth sign-in the application checked does it too; an unknown
		// factor name is refused.
		c.Advance(time.Hour)
		wantErr(t, "Reauthenticated with no factor name", a.Reauthenticated(ctx, session, "sms"), luciapg.ErrInvalidInput)
		wantNoErr(t, "Reauthenticated", a.Reauthenticated(ctx, session, luciapg.FactorOAuth))
		wantNoErr(t, "RequireSudo after an OAuth sign-in", a.RequireSudo(ctx, session))
		record, _, err := a.SessionFactors(ctx, session)
		wantNoErr(t, "SessionFactors", err)
		if !slices.Equal(record.Factors, []string{luciapg.FactorPassword, luciapg.FactorOAuth}) || !record.AuthenticatedAt.Equal(c.Now()) {
			t.Errorf("record %v at %v", record.Factors, record.AuthenticatedAt)
		}
	})
}

// TestSudoWithSecondFactor: for a user with a second factor, sudo mode
// needs a session that proved one; a password re-authentication renews the
// time of a session that did.
func TestSudoWithSecondFactor(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
		ctx := t.Context()
		a, c := newMFAAuth(adapter)
		_, _, secret := userWithTOTP(t, ctx, a, c, "ada", "pw")

		pending := beginPending(t, ctx, a, "ada", "pw")
		session, err := a.CompleteLoginWithTOTP(ctx, pending.Token, oathtoolCode(t, secret, c.Now()))
		wantNoErr(t, "CompleteLoginWithTOTP", err)
		wantNoErr(t, "RequireSudo after a two-step login", a.RequireSudo(ctx, session))
		wantNoErr(t, "RequireSecondFactor after a two-step login", a.RequireSecondFactor(ctx, session))

		c.Advance(auth.DefaultSudoPeriod + time.Second)
		wantErr(t, "RequireSudo later", a.RequireSudo(ctx, session), auth.ErrSudoRequired)
		wantNoErr(t, "ReauthenticateWithPassword", a.ReauthenticateWithPassword(ctx, session, "username", "ada", "pw"))
		wantNoErr(t, "RequireSudo after a password", a.RequireSudo(ctx, session))

		// A session that proved only a password is not enough.
		passwordOnly, err := a.CreateSessionWithFactors(ctx, session.UserID, luciapg.FactorPassword)
		wantNoErr(t, "CreateSessionWithFactors", err)
		wantErr(t, "RequireSudo of a password-only session", a.RequireSudo(ctx, passwordOnly), auth.ErrSudoRequired)
		wantNoErr(t, "ReauthenticateWithPassword", a.ReauthenticateWithPassword(ctx, passwordOnly, "username", "ada", "pw"))
		wantErr(t, "RequireSudo after only a password", a.RequireSudo(ctx, passwordOnly), auth.ErrSudoRequired)
	})
}

// TestLuciaMadeSessionNeedsSecondFactor: a session a Lucia v1 app wrote
// (a row of auth_session, no record) is valid, counts as password-only for
// a user with an authenticator app and never fresh; a code steps it up.
func TestLuciaMadeSessionNeedsSecondFactor(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
		ctx := t.Context()
		a, c := newMFAAuth(adapter)
		user, _, secret := userWithTOTP(t, ctx, a, c, "ada", "pw")

		// What Lucia v1's createSession writes: 40 characters, expiries in
		// milliseconds.
		now := c.Now().UnixMilli()
		row := luciapg.Session{ID: "luciav1session0123456789abcdefghijklmnop", UserID: user.ID, ActiveExpires: now + time.Hour.Milliseconds(), IdleExpires: now + 2*time.Hour.Milliseconds()}
		wantNoErr(t, "SetSession", adapter.SetSession(ctx, row))
		session, err := a.ValidateSession(ctx, row.ID)
		wantNoErr(t, "ValidateSession", err)

		record, factors, err := a.SessionFactors(ctx, session)
		wantNoErr(t, "SessionFactors", err)
		if !slices.Equal(record.Factors, []string{luciapg.FactorPassword}) || !record.AuthenticatedAt.IsZero() || !factors.TOTP {
			t.Errorf("a session without a record: %+v, %+v", record, factors)
		}
		wantErr(t, "RequireSecondFactor", a.RequireSecondFactor(ctx, session), auth.ErrSecondFactorRequired)
		wantErr(t, "RequireSudo", a.RequireSudo(ctx, session), auth.ErrSudoRequired)

		wantNoErr(t, "ReauthenticateWithTOTP", a.ReauthenticateWithTOTP(ctx, session, oathtoolCode(t, secret, c.Now())))
		wantNoErr(t, "RequireSecondFactor after a code", a.RequireSecondFactor(ctx, session))
		wantNoErr(t, "RequireSudo after a code", a.RequireSudo(ctx, session))

		// Without a second factor, such a session needs none, but is still
		// never fresh.
		signUp(t, a, "bob", "pw")
		bob, err := a.GetKey(ctx, "username", "bob")
		wantNoErr(t, "GetKey", err)
		row.ID, row.UserID = "luciav1session0123456789abcdefghijklmnoq", bob.UserID
		wantNoErr(t, "SetSession", adapter.SetSession(ctx, row))
		session, err = a.ValidateSession(ctx, row.ID)
		wantNoErr(t, "ValidateSession", err)
		wantNoErr(t, "RequireSecondFactor without a second factor", a.RequireSecondFactor(ctx, session))
		wantErr(t, "RequireSudo without a record", a.RequireSudo(ctx, session), auth.ErrSudoRequired)
	})
}

// TestReauthenticateWithRecoveryCode: a recovery code steps a session up
// like a one-time code, and is used up.
func TestReauthenticateWithRecoveryCode(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
		ctx := t.Context()
		a, _ := newMFAAuth(adapter)
		signUp(t, a, "ada", "pw")
		session := passwordLogin(t, ctx, a, "ada", "pw")
		codes, err := a.GenerateRecoveryCodes(ctx, session)
		wantNoErr(t, "GenerateRecoveryCodes", err)
		wantNoErr(t, "ReauthenticateWithRecoveryCode", a.ReauthenticateWithRecoveryCode(ctx, session, codes[9]))
		record, factors, err := a.SessionFactors(ctx, session)
		wantNoErr(t, "SessionFactors", err)
		if !slices.Equal(record.Factors, []string{luciapg.FactorPassword, luciapg.FactorRecoveryCode}) || factors.RecoveryCodes != 9 {
			t.Errorf("after a recovery code: %v, %d codes left", record.Factors, factors.RecoveryCodes)
		}
	})
}
