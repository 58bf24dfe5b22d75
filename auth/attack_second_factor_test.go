package auth_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
)

// The attacker's tests of second factors (issue 22). Each asserts the
// secure behaviour; against the skeleton's stubs every one failed.

// TestAttackTOTPReplay: a code that was accepted is never accepted again,
// not even while its step is still within the ±1 window, and neither is a
// code of an earlier step than the last accepted; of two requests with one
// code at once, one wins.
func TestAttackTOTPReplay(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
		ctx := t.Context()
		a, c := newMFAAuth(adapter)
		_, session, secret := userWithTOTP(t, ctx, a, c, "ada", "pw")

		code := oathtoolCode(t, secret, c.Now())
		pending := beginPending(t, ctx, a, "ada", "pw")
		_, err := a.CompleteLoginWithTOTP(ctx, pending.Token, code)
		wantNoErr(t, "CompleteLoginWithTOTP", err)

		// The same code, at once: another login, and a re-authentication.
		pending = beginPending(t, ctx, a, "ada", "pw")
		_, err = a.CompleteLoginWithTOTP(ctx, pending.Token, code)
		wantErr(t, "the used code again", err, auth.ErrInvalidCode)
		wantErr(t, "the used code to re-authenticate", a.ReauthenticateWithTOTP(ctx, session, code), auth.ErrInvalidCode)

		// One step later the used code is still within the window (the
		// step before the current one): still refused.
		c.Advance(totpPeriod)
		_, err = a.CompleteLoginWithTOTP(ctx, pending.Token, code)
		wantErr(t, "the used code a step later", err, auth.ErrInvalidCode)

		// A code of the step after the current one is accepted early;
		// then the current step's code, older than it, is not.
		next := oathtoolCode(t, secret, c.Now().Add(totpPeriod))
		current := oathtoolCode(t, secret, c.Now())
		if next == current {
			t.Skip("two steps share a code (one chance in a million)")
		}
		wantNoErr(t, "the next step's code", a.ReauthenticateWithTOTP(ctx, session, next))
		_, err = a.CompleteLoginWithTOTP(ctx, pending.Token, current)
		wantErr(t, "a code older than the last accepted", err, auth.ErrInvalidCode)

		// Two requests racing with one fresh code: exactly one passes.
		c.Advance(2 * totpPeriod)
		fresh := oathtoolCode(t, secret, c.Now())
		errs := runConcurrently(2, func(int) error { return a.ReauthenticateWithTOTP(ctx, session, fresh) })
		if (errs[0] == nil) == (errs[1] == nil) {
			t.Fatalf("two uses of one code at once: %v and %v, want one success", errs[0], errs[1])
		}
		for _, err := range errs {
			if err != nil {
				wantErr(t, "the losing use", err, auth.ErrInvalidCode)
			}
		}
	})
}

// TestAttackTOTPBruteForceThrottled: someone who knows the password
// guesses codes. The guesses are counted per user in the storage, across
// every Auth sharing it, across new pending logins, client addresses and
// recovery codes; once blocked even the right code is not checked; and a
// day of patient guessing gets nowhere near the million codes.
func TestAttackTOTPBruteForceThrottled(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
		ctx := t.Context()
		a1, c := newMFAAuth(adapter)
		a2 := mustAuth(auth.New(adapter, mfaConfig(c))) // another instance
		_, _, secret := userWithTOTP(t, ctx, a1, c, "ada", "pw")

		// wrongCode is a code valid at no step within the window.
		wrongCode := func(i int) string {
			for n := i; ; n++ {
				guess := fmt.Sprintf("%06d", n%1000000)
				valid := false
				for d := -1; d <= 1; d++ {
					want, err := totp.GenerateCode(secret, c.Now().Add(time.Duration(d)*totpPeriod))
					wantNoErr(t, "GenerateCode", err)
					valid = valid || want == guess
				}
				if !valid {
					return guess
				}
			}
		}

		// Guesses from two instances, each from its own address with a new
		// pending login, alternating code and recovery code: all count.
		blocked := -1
		for i := range 10 {
			a := []*auth.Auth{a1, a2}[i%2]
			ctx := withAddress(ctx, fmt.Sprintf("192.0.2.%d", i+1))
			pending := beginPending(t, ctx, a, "ada", "pw")
			var err error
			if i%3 == 2 {
				_, err = a.CompleteLoginWithRecoveryCode(ctx, pending.Token, "aaaa-bbbb-cccc-dddd")
			} else {
				_, err = a.CompleteLoginWithTOTP(ctx, pending.Token, wrongCode(i))
			}
			if errors.Is(err, auth.ErrTooManyAttempts) {
				blocked = i
				break
			}
			wantErr(t, "a wrong code", err, auth.ErrInvalidCode)
		}
		if blocked < 0 || blocked > 5 {
			t.Fatalf("blocked after %d guesses, want the 6th refused (5 free)", blocked)
		}

		// Blocked, the right code is refused unchecked, and not used up.
		right := oathtoolCode(t, secret, c.Now())
		pending := beginPending(t, ctx, a1, "ada", "pw")
		_, err := a1.CompleteLoginWithTOTP(ctx, pending.Token, right)
		var tooMany *auth.TooManyAttemptsError
		if !errors.As(err, &tooMany) || tooMany.RetryAfter <= 0 {
			t.Fatalf("the right code while blocked: %v, want a *TooManyAttemptsError", err)
		}
		c.Advance(tooMany.RetryAfter)
		_, err = a2.CompleteLoginWithTOTP(ctx, pending.Token, right)
		wantNoErr(t, "the right code after the wait (the owner's login)", err)

		// A day of guessing, waiting each time as long as told: the
		// success above reset the count, so this starts from zero.
		counted := 0
		for end := c.Now().Add(24 * time.Hour); c.Now().Before(end); {
			pending := beginPending(t, ctx, a1, "ada", "pw")
			_, err := a1.CompleteLoginWithTOTP(ctx, pending.Token, wrongCode(counted))
			if errors.As(err, &tooMany) {
				c.Advance(tooMany.RetryAfter)
				continue
			}
			wantErr(t, "a wrong code", err, auth.ErrInvalidCode)
			counted++
		}
		// 5 free, 10 doublings up to 15 minutes, then 96 a day: about 111,
		// each with 3 codes valid: one chance in 3,000, not certainty.
		if counted > 150 {
			t.Fatalf("%d codes checked in a day, want at most 150", counted)
		}
	})
}

// TestAttackPendingLoginUsedTwice: a pending login makes one session. Once
// completed, its token names nothing, with any factor; of two completions
// at once, one wins.
func TestAttackPendingLoginUsedTwice(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
		ctx := t.Context()
		a, c := newMFAAuth(adapter)
		user, session, secret := userWithTOTP(t, ctx, a, c, "ada", "pw")
		wantNoErr(t, "RequireSudo", a.RequireSudo(ctx, session))
		codes, err := a.GenerateRecoveryCodes(ctx, session)
		wantNoErr(t, "GenerateRecoveryCodes", err)

		pending := beginPending(t, ctx, a, "ada", "pw")
		_, err = a.CompleteLoginWithTOTP(ctx, pending.Token, oathtoolCode(t, secret, c.Now()))
		wantNoErr(t, "CompleteLoginWithTOTP", err)
		before := sessionCount(t, a, user.ID)

		c.Advance(totpPeriod)
		_, err = a.CompleteLoginWithTOTP(ctx, pending.Token, oathtoolCode(t, secret, c.Now()))
		wantErr(t, "the completed login with a new code", err, auth.ErrInvalidPendingLogin)
		_, err = a.CompleteLoginWithRecoveryCode(ctx, pending.Token, codes[0])
		wantErr(t, "the completed login with a recovery code", err, auth.ErrInvalidPendingLogin)
		_, err = a.CompleteLoginWith(ctx, pending.Token, luciapg.FactorPasskey, okVerify)
		wantErr(t, "the completed login with a passkey", err, auth.ErrInvalidPendingLogin)
		_, err = a.GetPendingLogin(ctx, pending.Token)
		wantErr(t, "GetPendingLogin of the completed login", err, auth.ErrInvalidPendingLogin)
		if n := sessionCount(t, a, user.ID); n != before {
			t.Fatalf("the completed login made %d more sessions", n-before)
		}

		// Two completions at once, each with its own right recovery code.
		pending = beginPending(t, ctx, a, "ada", "pw")
		sessions := make([]auth.Session, 2)
		errs := runConcurrently(2, func(i int) error {
			var err error
			sessions[i], err = a.CompleteLoginWithRecoveryCode(ctx, pending.Token, codes[1+i])
			return err
		})
		if (errs[0] == nil) == (errs[1] == nil) {
			t.Fatalf("two completions at once: %v and %v, want one success", errs[0], errs[1])
		}
		if n := sessionCount(t, a, user.ID); n != before+1 {
			t.Fatalf("two completions at once made %d sessions, want 1", n-before)
		}
	})
}

// TestAttackPendingLoginFromAnotherClient: a pending login's token,
// stolen, is useless from another address than the one that began it
// (and the right code presented there is not used up); one begun with no
// address is not finished from one either.
func TestAttackPendingLoginFromAnotherClient(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
		ctx := t.Context()
		a, c := newMFAAuth(adapter)
		_, _, secret := userWithTOTP(t, ctx, a, c, "ada", "pw")
		victim := withAddress(ctx, "198.51.100.7")
		thief := withAddress(ctx, "203.0.113.9")

		pending := beginPending(t, victim, a, "ada", "pw")
		code := oathtoolCode(t, secret, c.Now())
		_, err := a.GetPendingLogin(thief, pending.Token)
		wantErr(t, "GetPendingLogin from another address", err, auth.ErrInvalidPendingLogin)
		_, err = a.CompleteLoginWithTOTP(thief, pending.Token, code)
		wantErr(t, "CompleteLoginWithTOTP from another address", err, auth.ErrInvalidPendingLogin)
		_, err = a.CompleteLoginWithTOTP(ctx, pending.Token, code)
		wantErr(t, "CompleteLoginWithTOTP without an address", err, auth.ErrInvalidPendingLogin)
		_, err = a.CompleteLoginWith(thief, pending.Token, luciapg.FactorPasskey, okVerify)
		wantErr(t, "CompleteLoginWith from another address", err, auth.ErrInvalidPendingLogin)

		got, err := a.GetPendingLogin(victim, pending.Token)
		wantNoErr(t, "GetPendingLogin from the address that began it", err)
		if !got.Methods.TOTP || got.UserID == "" {
			t.Fatalf("GetPendingLogin: %+v", got)
		}
		_, err = a.CompleteLoginWithTOTP(victim, pending.Token, code)
		wantNoErr(t, "CompleteLoginWithTOTP from the address that began it", err)

		// Begun without an address, it is not finished with one.
		c.Advance(totpPeriod)
		pending = beginPending(t, ctx, a, "ada", "pw")
		_, err = a.CompleteLoginWithTOTP(thief, pending.Token, oathtoolCode(t, secret, c.Now()))
		wantErr(t, "an unbound login from an address", err, auth.ErrInvalidPendingLogin)

		// A guessed or forged token names nothing.
		for _, token := range []string{"", "x", pending.Token + "A", pending.Token[:42] + "B"} {
			_, err = a.GetPendingLogin(ctx, token)
			wantErr(t, "GetPendingLogin of a forged token", err, auth.ErrInvalidPendingLogin)
		}
	})
}

// TestAttackRecoveryCodeReused: a recovery code works once, in whichever
// spelling; of two uses at once one wins; a new set ends the old one; and
// one user's code is nothing for another.
func TestAttackRecoveryCodeReused(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
		ctx := t.Context()
		a, c := newMFAAuth(adapter)
		_, session, _ := userWithTOTP(t, ctx, a, c, "ada", "pw")
		codes, err := a.GenerateRecoveryCodes(ctx, session)
		wantNoErr(t, "GenerateRecoveryCodes", err)

		pending := beginPending(t, ctx, a, "ada", "pw")
		_, err = a.CompleteLoginWithRecoveryCode(ctx, pending.Token, codes[0])
		wantNoErr(t, "CompleteLoginWithRecoveryCode", err)
		pending = beginPending(t, ctx, a, "ada", "pw")
		_, err = a.CompleteLoginWithRecoveryCode(ctx, pending.Token, codes[0])
		wantErr(t, "the used code again", err, auth.ErrInvalidCode)
		wantErr(t, "the used code to re-authenticate", a.ReauthenticateWithRecoveryCode(ctx, session, codes[0]), auth.ErrInvalidCode)

		// Another spelling of a code is the same code: once.
		loud := string(bytes.ToUpper([]byte(codes[1])))
		wantNoErr(t, "a code in upper case", a.ReauthenticateWithRecoveryCode(ctx, session, loud))
		plain := string(bytes.ReplaceAll([]byte(codes[1]), []byte("-"), []byte(" ")))
		wantErr(t, "the same code with spaces", a.ReauthenticateWithRecoveryCode(ctx, session, plain), auth.ErrInvalidCode)

		errs := runConcurrently(2, func(int) error { return a.ReauthenticateWithRecoveryCode(ctx, session, codes[2]) })
		if (errs[0] == nil) == (errs[1] == nil) {
			t.Fatalf("two uses of one code at once: %v and %v, want one success", errs[0], errs[1])
		}

		// Another user's codes do not open this user's login.
		_, otherSession, _ := userWithTOTP(t, ctx, a, c, "eve", "pw2")
		otherCodes, err := a.GenerateRecoveryCodes(ctx, otherSession)
		wantNoErr(t, "GenerateRecoveryCodes for another user", err)
		_, err = a.CompleteLoginWithRecoveryCode(ctx, pending.Token, otherCodes[0])
		wantErr(t, "another user's code", err, auth.ErrInvalidCode)

		// A new set ends the old one, used or not.
		wantNoErr(t, "RequireSudo", a.RequireSudo(ctx, session))
		_, err = a.GenerateRecoveryCodes(ctx, session)
		wantNoErr(t, "GenerateRecoveryCodes again", err)
		_, err = a.CompleteLoginWithRecoveryCode(ctx, pending.Token, codes[3])
		wantErr(t, "an unused code of the old set", err, auth.ErrInvalidCode)
	})
}

// TestAttackLoginSkipsSecondFactor: for a user with an authenticator app
// (or only a passkey), no first-factor call returns a session: Login
// refuses, writing nothing, BeginLogin and BeginLoginForUser return a
// pending login; and a session made without the second step
// (CreateSession, as a Lucia v1 app or old code would) fails
// RequireSecondFactor.
func TestAttackLoginSkipsSecondFactor(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
		ctx := t.Context()
		a, c := newMFAAuth(adapter)
		user, _, _ := userWithTOTP(t, ctx, a, c, "ada", "pw")
		wantNoErr(t, "InvalidateAllUserSessions", a.InvalidateAllUserSessions(ctx, user.ID))

		_, err := a.Login(ctx, "username", "ada", "pw")
		wantErr(t, "Login of a user with TOTP", err, auth.ErrSecondFactorRequired)
		_, err = a.Login(ctx, "username", "ada", "wrong")
		wantErr(t, "Login with a wrong password", err, auth.ErrInvalidPassword)
		beginPending(t, ctx, a, "ada", "pw")
		result, err := a.BeginLoginForUser(ctx, user.ID, luciapg.FactorOAuth)
		wantNoErr(t, "BeginLoginForUser", err)
		if result.Pending == nil {
			t.Fatal("BeginLoginForUser opened a session for a user with TOTP")
		}
		if n := sessionCount(t, a, user.ID); n != 0 {
			t.Fatalf("first factors alone left %d sessions", n)
		}

		session, err := a.CreateSession(ctx, user.ID)
		wantNoErr(t, "CreateSession", err)
		wantErr(t, "RequireSecondFactor of CreateSession's session", a.RequireSecondFactor(ctx, session), auth.ErrSecondFactorRequired)
		wantErr(t, "RequireSudo of CreateSession's session", a.RequireSudo(ctx, session), auth.ErrSudoRequired)
		// A record of a password alone does not do either.
		wantNoErr(t, "Reauthenticated", a.Reauthenticated(ctx, session, luciapg.FactorOAuth))
		wantErr(t, "RequireSecondFactor after a password", a.RequireSecondFactor(ctx, session), auth.ErrSecondFactorRequired)
		wantErr(t, "RequireSudo after a password", a.RequireSudo(ctx, session), auth.ErrSudoRequired)

		// A passkey alone is a second factor too.
		signUp(t, a, "bob", "pw")
		bob, err := a.GetKey(ctx, "username", "bob")
		wantNoErr(t, "GetKey", err)
		wantNoErr(t, "SetPasskey", factorAdapter(t, adapter).SetPasskey(ctx, luciapg.Passkey{
			CredentialID: []byte("credential-1"), UserID: bob.UserID, Name: "Laptop", PublicKey: []byte("cose key"),
		}))
		_, err = a.Login(ctx, "username", "bob", "pw")
		wantErr(t, "Login of a user with a passkey", err, auth.ErrSecondFactorRequired)
		beginPending(t, ctx, a, "bob", "pw")
	})
}

// TestAttackSealedSecretMovedToAnotherUser: an attacker who can write the
// table (but has not the application's keys) copies their own sealed
// secret into a victim's row, to log in as the victim with codes from
// their own app: the secret does not open for another user, and no code is
// accepted.
func TestAttackSealedSecretMovedToAnotherUser(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
		ctx := t.Context()
		fa := factorAdapter(t, adapter)
		a, c := newMFAAuth(adapter)
		attacker, _, attackerSecret := userWithTOTP(t, ctx, a, c, "mallory", "pw1")
		victim, _, _ := userWithTOTP(t, ctx, a, c, "victim", "pw2")

		row, err := fa.GetTOTP(ctx, attacker.ID)
		wantNoErr(t, "GetTOTP", err)
		wantNoErr(t, "DeleteTOTP", fa.DeleteTOTP(ctx, victim.ID))
		wantNoErr(t, "SetTOTP", fa.SetTOTP(ctx, luciapg.TOTP{UserID: victim.ID, EncryptionKeyID: row.EncryptionKeyID, EncryptedSecret: row.EncryptedSecret}))
		wantNoErr(t, "ConfirmTOTP", fa.ConfirmTOTP(ctx, victim.ID, 1))

		pending := beginPending(t, ctx, a, "victim", "pw2")
		_, err = a.CompleteLoginWithTOTP(ctx, pending.Token, oathtoolCode(t, attackerSecret, c.Now()))
		if err == nil {
			t.Fatal("the attacker's code opened the victim's login")
		}
		if errors.Is(err, auth.ErrTooManyAttempts) {
			t.Fatalf("refused for throttling, not for the secret: %v", err)
		}

		// A flipped bit in the sealed secret is refused the same way.
		altered := bytes.Clone(row.EncryptedSecret)
		altered[len(altered)-1] ^= 1
		wantNoErr(t, "DeleteTOTP", fa.DeleteTOTP(ctx, attacker.ID))
		wantNoErr(t, "SetTOTP", fa.SetTOTP(ctx, luciapg.TOTP{UserID: attacker.ID, EncryptionKeyID: row.EncryptionKeyID, EncryptedSecret: altered}))
		wantNoErr(t, "ConfirmTOTP", fa.ConfirmTOTP(ctx, attacker.ID, 1))
		pending = beginPending(t, ctx, a, "mallory", "pw1")
		if _, err := a.CompleteLoginWithTOTP(ctx, pending.Token, oathtoolCode(t, attackerSecret, c.Now())); err == nil {
			t.Fatal("an altered sealed secret opened")
		}
	})
}

// okVerify is a CompleteLoginWith check that always passes.
func okVerify(context.Context, string) error { return nil }
