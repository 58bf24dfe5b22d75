package auth_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
	"github.com/luciapg/luciapg/auth/tokens"
)

// eventsOf returns the user's events of kind, newest first.
func eventsOf(t *testing.T, a *auth.Auth, userID, kind string) []luciapg.AuditEvent {
	t.Helper()
	var out []luciapg.AuditEvent
	for _, ev := range allAuditEvents(t, a, userID) {
		if ev.Kind == kind {
			out = append(out, ev)
		}
	}
	return out
}

// oneEvent returns the user's only event of kind, failing otherwise.
func oneEvent(t *testing.T, a *auth.Auth, userID, kind string) luciapg.AuditEvent {
	t.Helper()
	events := eventsOf(t, a, userID, kind)
	if len(events) != 1 {
		t.Fatalf("%d %s events, want 1", len(events), kind)
	}
	return events[0]
}

// The events of sign-up, login (with its factors), logout and revocation
// of everyone's sessions: who, when, which session (by label), from where,
// and what.
func TestAuditSessionEvents(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
		a, c := newFastAuth(adapter)
		ctx := clientA(t.Context())
		user, err := a.CreateUser(ctx, auth.CreateUserParams{Key: &auth.PrimaryKeyParams{ProviderID: "username", ProviderUserID: "ada", Password: "pass phrase"}})
		wantNoErr(t, "CreateUser", err)
		signup := oneEvent(t, a, user.ID, luciapg.AuditSignUp)
		if signup.Detail != "username" || signup.ClientAddress != "192.0.2.10" || signup.UserAgent == "" || !signup.At.Equal(c.Now()) || signup.SessionLabel != "" {
			t.Fatalf("signup event %+v", signup)
		}
		c.Advance(time.Minute)
		session, err := a.Login(ctx, "username", "ada", "pass phrase")
		wantNoErr(t, "Login", err)
		login := oneEvent(t, a, user.ID, luciapg.AuditLogin)
		if login.Detail != "password" || login.SessionLabel != auth.SessionLabel(session.ID) || !login.At.Equal(c.Now()) || login.UserID != user.ID {
			t.Fatalf("login event %+v", login)
		}
		plain, err := a.CreateSession(ctx, user.ID)
		wantNoErr(t, "CreateSession", err)
		if ev := eventsOf(t, a, user.ID, luciapg.AuditLogin)[0]; ev.Detail != "" || ev.SessionLabel != auth.SessionLabel(plain.ID) {
			t.Fatalf("CreateSession's login event %+v, want no factors and its label", ev)
		}
		passkeyed, err := a.CreateSessionWithFactors(ctx, user.ID, luciapg.FactorPasskey, luciapg.FactorPasskey)
		wantNoErr(t, "CreateSessionWithFactors", err)
		if ev := eventsOf(t, a, user.ID, luciapg.AuditLogin)[0]; ev.Detail != "passkey" || ev.SessionLabel != auth.SessionLabel(passkeyed.ID) {
			t.Fatalf("CreateSessionWithFactors' login event %+v", ev)
		}
		oauth, err := a.BeginLoginForUser(ctx, user.ID, luciapg.FactorOAuth)
		wantNoErr(t, "BeginLoginForUser", err)
		if ev := eventsOf(t, a, user.ID, luciapg.AuditLogin)[0]; ev.Detail != "oauth" || ev.SessionLabel != auth.SessionLabel(oauth.Session.ID) {
			t.Fatalf("BeginLoginForUser's login event %+v", ev)
		}

		wantNoErr(t, "InvalidateSession", a.InvalidateSession(ctx, session.ID))
		logout := oneEvent(t, a, user.ID, luciapg.AuditLogout)
		if logout.SessionLabel != auth.SessionLabel(session.ID) || logout.UserID != user.ID {
			t.Fatalf("logout event %+v", logout)
		}
		wantNoErr(t, "InvalidateSession of a gone session", a.InvalidateSession(ctx, session.ID))
		oneEvent(t, a, user.ID, luciapg.AuditLogout) // nothing was logged out of
		wantNoErr(t, "InvalidateAllUserSessions", a.InvalidateAllUserSessions(ctx, user.ID))
		if ev := oneEvent(t, a, user.ID, luciapg.AuditSessionRevoked); ev.Detail != "all" {
			t.Fatalf("InvalidateAllUserSessions' event %+v", ev)
		}
	})
}

// A login refused is recorded on its own: with the key's user when it
// exists, without when not, "throttled" once the throttle refuses; never
// the key id or the password. A user's second-factor code refused too.
func TestAuditLoginFailures(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
		a, c := newMFAAuth(adapter)
		ctx := clientB(t.Context())
		user, _, secret := userWithTOTP(t, ctx, a, c, "ada", "pass phrase")
		_, err := a.BeginLogin(ctx, "username", "ada", "wrong")
		wantErr(t, "BeginLogin with a wrong password", err, auth.ErrInvalidPassword)
		_, err = a.BeginLogin(ctx, "username", "nobody", "wrong")
		wantErr(t, "BeginLogin with an unknown key", err, luciapg.ErrInvalidKeyID)
		pending := beginPending(t, ctx, a, "ada", "pass phrase")
		_, err = a.CompleteLoginWithTOTP(ctx, pending.Token, "12345x")
		wantErr(t, "CompleteLoginWithTOTP with a malformed code", err, auth.ErrInvalidCode)
		_, err = a.CompleteLoginWithRecoveryCode(ctx, pending.Token, "aaaa-bbbb-cccc-dddd")
		wantErr(t, "CompleteLoginWithRecoveryCode with a wrong code", err, auth.ErrInvalidCode)
		session, err := a.CompleteLoginWithTOTP(ctx, pending.Token, oathtoolCode(t, secret, c.Now()))
		wantNoErr(t, "CompleteLoginWithTOTP", err)
		if ev := eventsOf(t, a, user.ID, luciapg.AuditLogin)[0]; ev.Detail != "password+totp" || ev.SessionLabel != auth.SessionLabel(session.ID) {
			t.Fatalf("the two-step login's event %+v", ev)
		}

		var details []string
		for _, ev := range eventsOf(t, a, user.ID, luciapg.AuditLoginFailed) {
			details = append(details, ev.Detail)
		}
		if want := []string{"recovery_code", "totp", "password"}; !slices.Equal(details, want) {
			t.Fatalf("the user's login_failed details %v, want %v", details, want)
		}
		var anonymous []luciapg.AuditEvent
		for _, ev := range allAuditEvents(t, a, "") {
			if ev.Kind == luciapg.AuditLoginFailed && ev.UserID == "" {
				anonymous = append(anonymous, ev)
			}
		}
		if len(anonymous) != 1 || anonymous[0].Detail != "password" || anonymous[0].ClientAddress != "2001:db8:1:2::/64" {
			t.Fatalf("the unknown key's failures: %+v, want one, from the client's /64", anonymous)
		}
		for range 10 {
			_, err = a.BeginLogin(ctx, "username", "ada", "wrong")
		}
		wantErr(t, "the last of many wrong passwords", err, auth.ErrTooManyAttempts)
		if got := eventsOf(t, a, "", luciapg.AuditLoginFailed)[0]; got.Detail != "throttled" {
			t.Fatalf("the latest failure %+v, want throttled", got)
		}
	})
}

// Keys: a persistent key linked or unlinked is recorded with its provider,
// a token's single-use key is not; a password change is, with a notice,
// and an application's own event in ctx replaces the core's.
func TestAuditKeyEvents(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
		notices := &noticeRecorder{}
		c := newClock()
		a := mustAuth(auth.New(adapter, auth.Config{Now: c.Now, PasswordHasher: fastHasher{}, Notifier: notices}))
		ctx := clientA(t.Context())
		user := signUp(t, a, "ada", "pass phrase")
		_, err := a.CreateKey(ctx, user.ID, auth.CreateKeyParams{ProviderID: "github", ProviderUserID: "1234"})
		wantNoErr(t, "CreateKey", err)
		if ev := oneEvent(t, a, user.ID, luciapg.AuditKeyLinked); ev.Detail != "github" {
			t.Fatalf("key_linked event %+v", ev)
		}
		_, err = a.CreateKey(ctx, user.ID, auth.CreateKeyParams{ProviderID: "github", ProviderUserID: "1234"})
		wantErr(t, "CreateKey of a taken key", err, luciapg.ErrDuplicateKeyID)
		oneEvent(t, a, user.ID, luciapg.AuditKeyLinked) // a refused insert records nothing
		verification, err := tokens.NewIDTokens(a, "email-verification", tokens.IDTokenConfig{ExpiresIn: time.Hour})
		wantNoErr(t, "NewIDTokens", err)
		token, err := verification.Issue(ctx, user.ID)
		wantNoErr(t, "Issue", err)
		wantNoErr(t, "Invalidate", verification.Invalidate(ctx, token.Value))
		wantNoErr(t, "DeleteKey of the primary key", a.DeleteKey(ctx, "username", "ada"))
		wantNoErr(t, "DeleteKey", a.DeleteKey(ctx, "github", "1234"))
		if ev := oneEvent(t, a, user.ID, luciapg.AuditKeyUnlinked); ev.Detail != "github" {
			t.Fatalf("key_unlinked event %+v", ev)
		}
		oneEvent(t, a, user.ID, luciapg.AuditKeyLinked) // the token's key was not a link

		_, err = a.UpdateKeyPassword(ctx, "username", "ada", "new pass phrase")
		wantNoErr(t, "UpdateKeyPassword", err)
		if ev := oneEvent(t, a, user.ID, luciapg.AuditPasswordChanged); ev.UserID != user.ID || ev.ClientAddress != "192.0.2.10" {
			t.Fatalf("password_changed event %+v", ev)
		}
		notice := notices.waitFor(t, auth.NoticePasswordChanged, 1)
		if notice.UserID != user.ID || notice.ClientAddress != "192.0.2.10" || !notice.At.Equal(c.Now()) {
			t.Fatalf("password notice %+v", notice)
		}
		reset := a.AuditContext(ctx, luciapg.AuditPasswordResetCompleted, user.ID, "", "")
		_, err = a.UpdateKeyPassword(reset, "username", "ada", "third pass phrase")
		wantNoErr(t, "UpdateKeyPassword with the application's event", err)
		oneEvent(t, a, user.ID, luciapg.AuditPasswordChanged)
		oneEvent(t, a, user.ID, luciapg.AuditPasswordResetCompleted)
		notices.waitFor(t, auth.NoticePasswordChanged, 2)
		_, err = a.UpdateKeyPassword(ctx, "username", "nobody", "x")
		wantErr(t, "UpdateKeyPassword of an unknown key", err, luciapg.ErrInvalidKeyID)
	})
}

// Second factors added and removed: an authenticator app, recovery codes;
// an app removed sends a notice, an enrolment abandoned does not.
func TestAuditSecondFactorEvents(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
		notices := &noticeRecorder{}
		c := newClock()
		cfg := mfaConfig(c)
		cfg.Notifier = notices
		a := mustAuth(auth.New(adapter, cfg))
		ctx := clientA(t.Context())
		user := signUp(t, a, "ada", "pass phrase")
		session := passwordLogin(t, ctx, a, "ada", "pass phrase")
		_, err := a.BeginTOTPEnrollment(ctx, session, "ada@example.com")
		wantNoErr(t, "BeginTOTPEnrollment", err)
		wantNoErr(t, "DisableTOTP of an enrolment not confirmed", a.DisableTOTP(ctx, session))
		enrolTOTP(t, ctx, a, c, session)
		_, err = a.GenerateRecoveryCodes(ctx, session)
		wantNoErr(t, "GenerateRecoveryCodes", err)
		var added []string
		for _, ev := range eventsOf(t, a, user.ID, luciapg.AuditSecondFactorAdded) {
			if ev.SessionLabel != auth.SessionLabel(session.ID) {
				t.Fatalf("second_factor_added event %+v, want the session's label", ev)
			}
			added = append(added, ev.Detail)
		}
		if want := []string{"recovery_codes", "totp"}; !slices.Equal(added, want) {
			t.Fatalf("second_factor_added details %v, want %v", added, want)
		}
		if n := len(eventsOf(t, a, user.ID, luciapg.AuditSecondFactorRemoved)); n != 0 {
			t.Fatalf("%d second_factor_removed events for an abandoned enrolment, want 0", n)
		}
		wantNoErr(t, "DisableTOTP", a.DisableTOTP(ctx, session))
		if ev := oneEvent(t, a, user.ID, luciapg.AuditSecondFactorRemoved); ev.Detail != "totp" {
			t.Fatalf("second_factor_removed event %+v", ev)
		}
		if n := notices.waitFor(t, auth.NoticeSecondFactorRemoved, 1); n.Detail != "totp" || !strings.Contains(n.Body(), "authenticator app") {
			t.Fatalf("second factor notice %+v", n)
		}
		if n := notices.count(auth.NoticeSecondFactorRemoved); n != 1 {
			t.Fatalf("%d second factor notices, want 1", n)
		}
	})
}

// Paging: Limit and Before walk the log newest first without a gap or a
// repeat; Since drops the older events.
func TestAuditEventsPaging(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
		a, c := newFastAuth(adapter)
		ctx := t.Context()
		user := signUp(t, a, "ada", "pass phrase")
		for range 20 {
			c.Advance(time.Minute)
			passwordLogin(t, ctx, a, "ada", "pass phrase")
		}
		all := allAuditEvents(t, a, user.ID) // pages of 7
		if len(all) != 21 {
			t.Fatalf("%d events, want 21", len(all))
		}
		for i := 1; i < len(all); i++ {
			if all[i].ID >= all[i-1].ID {
				t.Fatalf("events not newest first: id %d after %d", all[i].ID, all[i-1].ID)
			}
		}
		recent, err := a.AuditEvents(ctx, luciapg.AuditQuery{UserID: user.ID, Since: c.Now().Add(-4*time.Minute - time.Second)})
		wantNoErr(t, "AuditEvents since", err)
		if len(recent) != 5 {
			t.Fatalf("%d events in the last 4 minutes, want 5", len(recent))
		}
	})
}
