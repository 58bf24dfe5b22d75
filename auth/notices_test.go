package auth_test

import (
	"strings"
	"testing"
	"time"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
)

// Each notice's text says what happened, when (UTC), from where and on
// what device, and what to do if it was not the user.
func TestNoticeText(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 3, 1, 13, 4, 0, 0, time.FixedZone("CET", 3600))
	for _, tt := range []struct {
		kind    auth.NoticeKind
		detail  string
		subject string
		what    string
	}{
		{auth.NoticeNewSignIn, "", "New sign-in", "not been signed in from before"},
		{auth.NoticePasswordChanged, "", "password was changed", "password of your account was changed"},
		{auth.NoticeEmailChangeRequested, "", "change of your email address was requested", "asked to change its email address"},
		{auth.NoticeEmailChanged, "", "email address was changed", "no longer the account's"},
		{auth.NoticeSecondFactorRemoved, "totp", "protection was removed", "an authenticator app"},
		{auth.NoticeSecondFactorRemoved, "passkey", "protection was removed", "a passkey"},
	} {
		n := auth.Notice{Kind: tt.kind, UserID: "u1", At: at, ClientAddress: "192.0.2.1", Device: "Firefox on Linux", Detail: tt.detail}
		body := n.Body()
		if !strings.Contains(n.Subject(), tt.subject) {
			t.Errorf("%s: subject %q, want it to say %q", tt.kind, n.Subject(), tt.subject)
		}
		for _, want := range []string{tt.what, "Sunday 1 March 2026, 12:04 UTC", "192.0.2.1", "Firefox on Linux", "If it was not"} {
			if !strings.Contains(body, want) {
				t.Errorf("%s: the body does not say %q:\n%s", tt.kind, want, body)
			}
		}
		if tt.kind != auth.NoticeEmailChanged && !strings.Contains(body, "your account's security settings") {
			t.Errorf("%s: the body does not point to the security settings:\n%s", tt.kind, body)
		}
	}
	// A device description is the client's words: it cannot add lines.
	n := auth.Notice{Kind: auth.NoticeNewSignIn, At: at, Device: "Evil\r\nReply-To: x@example.com"}
	if strings.Contains(n.Body(), "\r") || strings.Contains(n.Body(), "Evil\n") {
		t.Errorf("the body carries the device's line break:\n%s", n.Body())
	}
	if body := (auth.Notice{Kind: auth.NoticePasswordChanged, At: at}).Body(); !strings.Contains(body, "an unknown address") || !strings.Contains(body, "an unknown device") {
		t.Errorf("without a client the body does not say so:\n%s", body)
	}
}

// A new sign-in notice goes out for a login from a client the user has
// not signed in from (address and user agent), described by
// Config.DescribeDevice; not for the sign-up's client, nor for the first
// login of a user whose sign-up said nothing of its client.
func TestNewSignInNotice(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, adapter luciapg.ThrottlingAdapter) {
		notices := &noticeRecorder{}
		c := newClock()
		describe := func(ua string) string {
			if strings.Contains(ua, "iPhone") {
				return "Safari on an iPhone"
			}
			return "another browser"
		}
		a := mustAuth(auth.New(adapter, auth.Config{Now: c.Now, PasswordHasher: fastHasher{}, Notifier: notices, DescribeDevice: describe}))
		ctx := t.Context()
		ada, err := a.CreateUser(clientA(ctx), auth.CreateUserParams{Key: &auth.PrimaryKeyParams{ProviderID: "username", ProviderUserID: "ada", Password: "pass phrase"}})
		wantNoErr(t, "CreateUser", err)
		passwordLogin(t, clientA(ctx), a, "ada", "pass phrase") // the sign-up's client
		c.Advance(time.Minute)
		passwordLogin(t, clientB(ctx), a, "ada", "pass phrase") // new
		n := notices.waitFor(t, auth.NoticeNewSignIn, 1)
		if n.UserID != ada.ID || n.ClientAddress != "2001:db8:1:2::/64" || n.Device != "Safari on an iPhone" || !n.At.Equal(c.Now()) || n.To != "" {
			t.Fatalf("notice %+v", n)
		}
		passwordLogin(t, clientB(ctx), a, "ada", "pass phrase") // known now

		// Bob was made without a client (by an administrator, say): his
		// first login is his first session, not news.
		_, err = a.CreateUser(ctx, auth.CreateUserParams{Key: &auth.PrimaryKeyParams{ProviderID: "username", ProviderUserID: "bob", Password: "pass phrase"}})
		wantNoErr(t, "CreateUser", err)
		passwordLogin(t, clientA(ctx), a, "bob", "pass phrase")
		passwordLogin(t, clientB(ctx), a, "bob", "pass phrase") // new
		notices.waitFor(t, auth.NoticeNewSignIn, 2)
		// A notice sent by mistake for Bob's first login would have been
		// handed over before this later one: count after it arrived.
		wantNoErr(t, "UpdateKeyPassword", func() error { _, err := a.UpdateKeyPassword(ctx, "username", "ada", "pass phrase"); return err }())
		notices.waitFor(t, auth.NoticePasswordChanged, 1)
		if got := notices.count(auth.NoticeNewSignIn); got != 2 {
			t.Fatalf("%d new sign-in notices, want 2", got)
		}
	})
}
