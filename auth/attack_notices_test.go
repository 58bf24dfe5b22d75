package auth_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
)

// A user's whole life through the core — sign-up, logins from two
// clients, wrong passwords and codes, an authenticator app, recovery
// codes, a password change, a linked account, revocations, a logout —
// and then every notice sent and every audit event recorded is searched
// for the secrets the flow handled: session ids, pending-login tokens,
// passwords, the authenticator secret and codes, recovery codes, and the
// key ids of failed logins. None may appear, in any field or in a
// notice's text.
func TestAttackNoticeLeaksSessionID(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
		c := newClock()
		notices := &noticeRecorder{}
		cfg := mfaConfig(c)
		cfg.Notifier = notices
		a := mustAuth(auth.New(adapter, cfg))
		ctx := t.Context()
		const (
			username    = "ada-lovelace-x7"
			password    = "first password, long enough"
			newPassword = "second password, longer still"
			unknownUser = "nobody-9f3k2"
			wrongGuess  = "a wrong guess 51"
		)
		var secrets []string
		keep := func(s ...string) { secrets = append(secrets, s...) }
		keep(password, newPassword, unknownUser, username, wrongGuess)

		user, err := a.CreateUser(clientA(ctx), auth.CreateUserParams{Key: &auth.PrimaryKeyParams{ProviderID: "username", ProviderUserID: username, Password: password}})
		wantNoErr(t, "CreateUser", err)
		laptop := passwordLogin(t, clientA(ctx), a, username, password)
		keep(laptop.ID)
		_, err = a.BeginLogin(clientB(ctx), "username", username, wrongGuess)
		wantErr(t, "BeginLogin with a wrong password", err, auth.ErrInvalidPassword)
		_, err = a.BeginLogin(clientB(ctx), "username", unknownUser, wrongGuess)
		wantErr(t, "BeginLogin with an unknown user", err, luciapg.ErrInvalidKeyID)
		phone := passwordLogin(t, clientB(ctx), a, username, password)
		keep(phone.ID)
		notices.waitFor(t, auth.NoticeNewSignIn, 1)

		secret := enrolTOTP(t, clientA(ctx), a, c, laptop)
		keep(secret, oathtoolCode(t, secret, c.Now()))
		codes, err := a.GenerateRecoveryCodes(clientA(ctx), laptop)
		wantNoErr(t, "GenerateRecoveryCodes", err)
		for _, code := range codes {
			keep(code, strings.ReplaceAll(code, "-", ""))
		}
		c.Advance(totpPeriod)

		pending := beginPending(t, clientB(ctx), a, username, password)
		keep(pending.Token)
		right := oathtoolCode(t, secret, c.Now())
		wrong := fmt.Sprintf("%06d", (mustAtoi(t, right)+1)%1_000_000)
		keep(right, wrong)
		_, err = a.CompleteLoginWithTOTP(clientB(ctx), pending.Token, wrong)
		wantErr(t, "CompleteLoginWithTOTP with a wrong code", err, auth.ErrInvalidCode)
		withTOTP, err := a.CompleteLoginWithTOTP(clientB(ctx), pending.Token, right)
		wantNoErr(t, "CompleteLoginWithTOTP", err)
		keep(withTOTP.ID)
		pending = beginPending(t, clientB(ctx), a, username, password)
		keep(pending.Token)
		withCode, err := a.CompleteLoginWithRecoveryCode(clientB(ctx), pending.Token, codes[0])
		wantNoErr(t, "CompleteLoginWithRecoveryCode", err)
		keep(withCode.ID)

		_, err = a.UpdateKeyPassword(clientA(ctx), "username", username, newPassword)
		wantNoErr(t, "UpdateKeyPassword", err)
		_, err = a.CreateKey(clientA(ctx), user.ID, auth.CreateKeyParams{ProviderID: "github", ProviderUserID: "gh-secretish-4471"})
		wantNoErr(t, "CreateKey", err)
		wantNoErr(t, "DeleteKey", a.DeleteKey(clientA(ctx), "github", "gh-secretish-4471"))
		keep("gh-secretish-4471")

		wantNoErr(t, "RevokeSession", a.RevokeSession(clientA(ctx), laptop, auth.SessionLabel(phone.ID)))
		_, err = a.RevokeOtherSessions(clientA(ctx), laptop)
		wantNoErr(t, "RevokeOtherSessions", err)
		wantNoErr(t, "DisableTOTP", a.DisableTOTP(clientA(ctx), laptop))
		for range 7 { // past the key's free attempts: throttled
			_, err = a.BeginLogin(clientB(ctx), "username", username, wrongGuess)
		}
		wantErr(t, "the throttled BeginLogin", err, auth.ErrTooManyAttempts)
		wantNoErr(t, "InvalidateSession", a.InvalidateSession(clientA(ctx), laptop.ID))
		wantNoErr(t, "InvalidateAllUserSessions", a.InvalidateAllUserSessions(clientA(ctx), user.ID))

		notices.waitFor(t, auth.NoticePasswordChanged, 1)
		notices.waitFor(t, auth.NoticeSecondFactorRemoved, 1)
		events := allAuditEvents(t, a, "")
		for _, kind := range []string{
			luciapg.AuditSignUp, luciapg.AuditLogin, luciapg.AuditLoginFailed, luciapg.AuditLogout,
			luciapg.AuditSessionRevoked, luciapg.AuditPasswordChanged, luciapg.AuditKeyLinked,
			luciapg.AuditKeyUnlinked, luciapg.AuditSecondFactorAdded, luciapg.AuditSecondFactorRemoved,
		} {
			if kinds(events)[kind] == 0 {
				t.Errorf("no %s event was recorded", kind)
			}
		}
		for _, ev := range events {
			for _, field := range []string{ev.Kind, ev.UserID, ev.SessionLabel, ev.ClientAddress, ev.UserAgent, ev.Detail} {
				if s := leaked(field, secrets); s != "" {
					t.Errorf("%s event holds a secret (%.6s…): %+v", ev.Kind, s, ev)
				}
			}
		}
		for _, n := range notices.all() {
			for _, field := range []string{string(n.Kind), n.UserID, n.To, n.ClientAddress, n.Device, n.Detail, n.Subject(), n.Body()} {
				if s := leaked(field, secrets); s != "" {
					t.Errorf("%s notice holds a secret (%.6s…): %q", n.Kind, s, field)
				}
			}
		}
	})
}

// leaked returns the first secret s contains, or "".
func leaked(s string, secrets []string) string {
	for _, secret := range secrets {
		if secret != "" && strings.Contains(s, secret) {
			return secret
		}
	}
	return ""
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	var n int
	if _, err := fmt.Sscanf(s, "%d", &n); err != nil {
		t.Fatalf("not a number: %v", err)
	}
	return n
}

// A Notifier that never returns, or one that panics, must not hold up or
// fail the login it reports: sending is in the background, bounded, and a
// panic there is recovered. The blocking Notifier is released only after
// every login returned, so a login that waited for it would never return
// (and the test fails at its deadline rather than hang).
func TestAttackNotifierBlocksLogin(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	for _, name := range []string{"blocking", "panicking"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
				var calls atomic.Int64
				called := make(chan struct{}, 1000)
				notifier := auth.NotifierFunc(func(context.Context, auth.Notice) error {
					calls.Add(1)
					called <- struct{}{}
					if name == "panicking" {
						panic("the mail library fell over")
					}
					<-release
					return nil
				})
				c := newClock()
				a := mustAuth(auth.New(adapter, auth.Config{Now: c.Now, PasswordHasher: fastHasher{}, Notifier: notifier}))
				ctx := t.Context()
				_, err := a.CreateUser(clientA(ctx), auth.CreateUserParams{Key: &auth.PrimaryKeyParams{ProviderID: "username", ProviderUserID: "ada", Password: "pass phrase"}})
				wantNoErr(t, "CreateUser", err)
				done := make(chan error, 1)
				go func() {
					// Each login from a new address, and a password change:
					// 80 notices, more than can be in flight at once.
					for i := range 40 {
						ctx := auth.WithClient(ctx, fmt.Sprintf("198.51.100.%d", i), "Client "+name)
						if _, err := a.BeginLogin(ctx, "username", "ada", "pass phrase"); err != nil {
							done <- err
							return
						}
						if _, err := a.UpdateKeyPassword(ctx, "username", "ada", "pass phrase"); err != nil {
							done <- err
							return
						}
					}
					done <- nil
				}()
				select {
				case err := <-done:
					wantNoErr(t, "the logins and password changes", err)
				case <-time.After(4 * noticeDeadline): // far beyond 80 writes, even on a loaded machine
					t.Fatal("the logins waited for the Notifier")
				}
				select { // the Notifier was given the notices, in the background
				case <-called:
				case <-time.After(noticeDeadline):
					t.Fatal("the Notifier was never called")
				}
				if n := calls.Load(); name == "blocking" && n > auth.MaxNoticesInFlight {
					t.Fatalf("%d notices were handed to a Notifier that never returns: want at most auth.MaxNoticesInFlight (%d) in flight", n, auth.MaxNoticesInFlight)
				}
			})
		})
	}
}

// A client sends a User-Agent of 100 KB with NUL bytes, control characters
// and invalid UTF-8 (PostgreSQL refuses NUL and invalid UTF-8 in text):
// the sign-up and the login work, and what the session's metadata and the
// audit events keep of it is at most luciapg.MaxUserAgentBytes of valid
// text without control characters.
func TestAttackHostileUserAgent(t *testing.T) {
	t.Parallel()
	hostile := "Mozilla/5.0 \x00\x01 evil\r\nX-Injected: 1 \xff\xfe\xc3 " + strings.Repeat("é\x00A\xff", 25_000)
	eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
		a, _ := newFastAuth(adapter)
		ctx := auth.WithClient(t.Context(), "192.0.2.66", hostile)
		user, err := a.CreateUser(ctx, auth.CreateUserParams{Key: &auth.PrimaryKeyParams{ProviderID: "username", ProviderUserID: "ada", Password: "pass phrase"}})
		wantNoErr(t, "CreateUser with a hostile User-Agent", err)
		session := passwordLogin(t, ctx, a, "ada", "pass phrase")
		_, err = a.BeginLogin(ctx, "username", "ada", "wrong")
		wantErr(t, "BeginLogin with a wrong password", err, auth.ErrInvalidPassword)

		sessions, err := a.ListSessions(ctx, session)
		wantNoErr(t, "ListSessions", err)
		if len(sessions) != 1 || !sessions[0].HasMetadata {
			t.Fatalf("ListSessions: %+v, want the one session, with metadata", sessions)
		}
		var agents []string
		agents = append(agents, sessions[0].UserAgent)
		events := allAuditEvents(t, a, user.ID)
		if len(events) < 3 {
			t.Fatalf("%d events, want the sign-up, the login and the failure", len(events))
		}
		for _, ev := range events {
			agents = append(agents, ev.UserAgent)
		}
		for _, ua := range agents {
			if len(ua) > luciapg.MaxUserAgentBytes || !utf8.ValidString(ua) || strings.ContainsFunc(ua, unicode.IsControl) || !strings.HasPrefix(ua, "Mozilla/5.0") {
				t.Fatalf("a user agent kept as %d bytes, %q…: want at most %d bytes of valid text without control characters, from the start of the header", len(ua), firstBytes(ua, 40), luciapg.MaxUserAgentBytes)
			}
		}
	})
}

func firstBytes(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
